//! Test harness: a patched moto server (`tests/support/moto_faithful.py`) per test on a free
//! loopback port, the real AWS SDK over HTTP, and a `Deps` built explicitly (no process-wide
//! environment) with a `FixedClock` the test moves.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::config::Credentials;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use jwks_rotation_core::config::KidStrategy;
use jwks_rotation_core::secret_value::PLACEHOLDER_VALUE;
use jwks_rotation_core::{Duration, FixedClock, KeySpec, RotationConfig, SecretValue, StoredValue};
use jwks_rotation_lambda::{Deps, Error, MetricsSink, handle};
use serde_json::{Value, json};

/// The workspace root (parent of `lambda/`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// The Python that runs the launcher: next to `MOTO_SERVER` when set, else `.venv/bin/python`.
pub fn python() -> PathBuf {
    if let Some(server) = std::env::var_os("MOTO_SERVER") {
        let dir = PathBuf::from(server).parent().map(PathBuf::from);
        if let Some(p) = dir.map(|d| d.join("python")).filter(|p| p.exists()) {
            return p;
        }
    }
    let p = workspace_root().join(".venv/bin/python");
    assert!(
        p.exists(),
        "moto not found: run scripts/ensure-tools.sh (expected {})",
        p.display()
    );
    p
}

/// A moto server process, stopped on drop.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// The port.
    pub port: u16,
}

impl Moto {
    /// Starts moto on a free loopback port and waits until it answers.
    pub fn start() -> Moto {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new(python())
            .arg(workspace_root().join("tests/support/moto_faithful.py"))
            .arg(port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto");
        let moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            port,
        };
        let deadline = Instant::now() + StdDuration::from_secs(60);
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok()
                && ureq::get(format!("{}/moto-api/", moto.endpoint))
                    .call()
                    .is_ok()
            {
                return moto;
            }
            assert!(
                Instant::now() < deadline,
                "moto did not start on port {port}"
            );
            std::thread::sleep(StdDuration::from_millis(100));
        }
    }

    /// SDK configuration for this server with dummy credentials.
    pub async fn sdk(&self) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "test"))
            .load()
            .await
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Lambda's ARN used in RotateSecret (the patched moto invokes nothing).
pub const LAMBDA_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:jwks-rotation";

/// Where each test begins: 2026-01-01T00:00:00Z.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

/// A configuration for tests: ES256, 1h tokens, 30d rotation, 7d activation grace.
pub fn config(secret: &str, bucket: &str) -> RotationConfig {
    let mut c = RotationConfig::with_defaults(
        secret,
        bucket,
        KeySpec::Ec {
            algorithm: jwks_rotation_core::Algorithm::ES256,
            curve: jwks_rotation_core::Curve::P256,
        },
        Duration::from_hours(1),
    );
    c.rotation_interval = Duration::from_days(30);
    c.kid_strategy = KidStrategy::Random;
    c.validate().expect("valid test config");
    c
}

/// A secret, a bucket and the Lambda's dependencies on one moto.
pub struct Env {
    /// The server (shared when several environments use one).
    pub moto: Arc<Moto>,
    /// What the Lambda uses.
    pub deps: Deps,
    /// The clock the Lambda reads.
    pub clock: Arc<FixedClock>,
    /// EMF lines emitted.
    pub metrics: Arc<Mutex<Vec<String>>>,
    /// Raw clients for setup and assertions (not counted).
    pub sm: aws_sdk_secretsmanager::Client,
    /// Raw S3 client.
    pub s3: aws_sdk_s3::Client,
}

/// The observable state, for before/after comparisons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    /// version id -> (sorted labels, value).
    pub versions: BTreeMap<String, (Vec<String>, Option<String>)>,
    /// JWKS body and registry metadata.
    pub jwks: Option<(String, Option<String>)>,
}

impl Env {
    /// A fresh moto with one environment configured by `config`.
    pub async fn new(config: RotationConfig) -> Env {
        let moto = Arc::new(Moto::start());
        Env::on(moto, config).await
    }

    /// An environment on an existing moto: creates the secret (placeholder) and the bucket.
    pub async fn on(moto: Arc<Moto>, config: RotationConfig) -> Env {
        let sdk = moto.sdk().await;
        let sm = aws_sdk_secretsmanager::Client::new(&sdk);
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        );
        sm.create_secret()
            .name(&config.secret_id)
            .secret_string(PLACEHOLDER_VALUE)
            .send()
            .await
            .expect("create secret");
        s3.create_bucket()
            .bucket(&config.bucket)
            .send()
            .await
            .expect("create bucket");
        let clock = Arc::new(FixedClock::new(t0()));
        let metrics = Arc::new(Mutex::new(Vec::new()));
        let deps = Deps::new(
            &sdk,
            true,
            config,
            clock.clone(),
            MetricsSink::Memory(metrics.clone()),
        );
        Env {
            moto,
            deps,
            clock,
            metrics,
            sm,
            s3,
        }
    }

    /// The configured secret name.
    pub fn secret(&self) -> &str {
        &self.deps.config.secret_id
    }

    /// Moves the Lambda's clock.
    pub fn advance(&self, by: TimeDelta) {
        self.clock.advance(by);
    }

    /// Starts a rotation as Secrets Manager does (AWSPENDING on a new, empty version) and
    /// returns the token.
    pub async fn rotate_secret(&self) -> String {
        let out = self
            .sm
            .rotate_secret()
            .secret_id(self.secret())
            .rotation_lambda_arn(LAMBDA_ARN)
            .send()
            .await
            .expect("RotateSecret");
        out.version_id().expect("version id").to_string()
    }

    /// A step event.
    pub fn step_event(&self, step: &str, token: &str) -> Value {
        json!({"Step": step, "SecretId": self.secret(), "ClientRequestToken": token,
               "RotationToken": "ignored-by-the-lambda"})
    }

    /// Runs one step.
    pub async fn step(&self, step: &str, token: &str) -> Result<Value, Error> {
        handle(&self.deps, self.step_event(step, token)).await
    }

    /// Runs an action.
    pub async fn action(&self, mut event: Value) -> Result<Value, Error> {
        if event.get("secretArn").is_none() {
            event["secretArn"] = json!(self.secret());
        }
        handle(&self.deps, event).await
    }

    /// RotateSecret, then the four steps in order; returns the token.
    pub async fn full_rotation(&self) -> String {
        let token = self.rotate_secret().await;
        for step in ["createSecret", "setSecret", "testSecret", "finishSecret"] {
            self.step(step, &token)
                .await
                .unwrap_or_else(|e| panic!("{step}: {e}"));
        }
        token
    }

    /// The key at a staging label.
    pub async fn key_at(&self, stage: &str) -> Option<SecretValue> {
        let out = self
            .sm
            .get_secret_value()
            .secret_id(self.secret())
            .version_stage(stage)
            .send()
            .await
            .ok()?;
        match StoredValue::parse(out.secret_string()?).ok()? {
            StoredValue::Key(k) => Some(*k),
            StoredValue::Placeholder => None,
        }
    }

    /// Kid at a staging label.
    pub async fn kid_at(&self, stage: &str) -> Option<String> {
        self.key_at(stage).await.map(|k| k.kid)
    }

    /// Version id -> labels.
    pub async fn labels(&self) -> BTreeMap<String, Vec<String>> {
        let out = self
            .sm
            .describe_secret()
            .secret_id(self.secret())
            .send()
            .await
            .expect("describe");
        out.version_ids_to_stages()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        let mut v = v.clone();
                        v.sort();
                        (k.clone(), v)
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The JWKS object's body and the registry object's body (None when either is absent).
    pub async fn jwks_raw(&self) -> Option<(String, Option<String>)> {
        let cfg = &self.deps.config;
        let body = self.object(&cfg.object_key).await?;
        Some((body, self.object(&cfg.registry_key()).await))
    }

    /// An object's body as text.
    pub async fn object(&self, key: &str) -> Option<String> {
        let out = self
            .s3
            .get_object()
            .bucket(&self.deps.config.bucket)
            .key(key)
            .send()
            .await
            .ok()?;
        let body = out.body.collect().await.expect("body").into_bytes();
        Some(String::from_utf8(body.to_vec()).expect("utf8"))
    }

    /// Writes (or deletes, with None) an object.
    pub async fn put_raw(&self, key: &str, body: &Option<String>) {
        let cfg = &self.deps.config;
        match body {
            None => {
                self.s3
                    .delete_object()
                    .bucket(&cfg.bucket)
                    .key(key)
                    .send()
                    .await
                    .expect("delete");
            }
            Some(b) => {
                self.s3
                    .put_object()
                    .bucket(&cfg.bucket)
                    .key(key)
                    .body(b.clone().into_bytes().into())
                    .send()
                    .await
                    .expect("put");
            }
        }
    }

    /// Published kids in document order.
    pub async fn published_kids(&self) -> Vec<String> {
        let Some((body, _)) = self.jwks_raw().await else {
            return Vec::new();
        };
        let v: Value = serde_json::from_str(&body).expect("jwks json");
        v["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .map(|k| k["kid"].as_str().expect("kid").to_string())
            .collect()
    }

    /// Writes the JWKS and registry objects back as they were (or deletes them): what a crash
    /// before the S3 writes leaves behind.
    pub async fn restore_jwks(&self, saved: &Option<(String, Option<String>)>) {
        let cfg = &self.deps.config;
        match saved {
            None => {
                self.put_raw(&cfg.object_key, &None).await;
                self.put_raw(&cfg.registry_key(), &None).await;
            }
            Some((body, registry)) => {
                self.put_raw(&cfg.object_key, &Some(body.clone())).await;
                self.put_raw(&cfg.registry_key(), registry).await;
            }
        }
    }

    /// Every version with labels and value, and the JWKS object.
    pub async fn state(&self) -> State {
        let mut versions = BTreeMap::new();
        for (id, labels) in self.labels().await {
            let value = self
                .sm
                .get_secret_value()
                .secret_id(self.secret())
                .version_id(&id)
                .send()
                .await
                .ok()
                .and_then(|o| o.secret_string().map(str::to_string));
            versions.insert(id, (labels, value));
        }
        State {
            versions,
            jwks: self.jwks_raw().await,
        }
    }

    /// EMF lines emitted so far, parsed.
    pub fn emf(&self) -> Vec<Value> {
        self.metrics
            .lock()
            .unwrap()
            .iter()
            .map(|l| serde_json::from_str(l).expect("EMF is JSON"))
            .collect()
    }

    /// API calls counted by the Lambda's clients so far.
    pub fn api_calls(&self) -> u64 {
        self.deps.api_calls.get()
    }
}

/// Asserts the JWKS holds the key at AWSCURRENT (invariant 6).
pub async fn assert_signing_key_published(env: &Env) {
    if let Some(kid) = env.kid_at("AWSCURRENT").await {
        let kids = env.published_kids().await;
        assert!(
            kids.contains(&kid),
            "signing key {kid} missing from JWKS {kids:?}"
        );
    }
}

/// Asserts the key at AWSCURRENT signs a token that verifies with the key the JWKS publishes
/// under its kid.
pub async fn verify_current_signs(env: &Env) {
    let key = env.key_at("AWSCURRENT").await.unwrap();
    let (body, _) = env.jwks_raw().await.unwrap();
    let jwks = jwks_rotation_core::Jwks::parse(body.as_bytes()).unwrap();
    jwks_rotation_lambda::keygen::sign_and_verify(
        &key,
        jwks.get(&key.kid).expect("signing key published"),
    )
    .unwrap();
}
