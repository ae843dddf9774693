//! Thin wrappers over the Secrets Manager and S3 calls the steps make. They translate AWS
//! outcomes that steps act on (absent, token in use, precondition failed) into values, and
//! everything else into [`Error`]. Secret values are parsed here with
//! [`StoredValue::parse`]; no error quotes a value.

use std::collections::BTreeMap;

use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use chrono::{DateTime, Utc};
use jwks_rotation_core::jwks::{JWKS_CONTENT_TYPE, Jwks};
use jwks_rotation_core::lifecycle::REGISTRY_METADATA_KEY;
use jwks_rotation_core::{Published, SecretValue, StoredValue};

use crate::deps::Deps;
use crate::error::Error;

/// A staging label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// `AWSCURRENT`: signs.
    Current,
    /// `AWSPENDING`: being rotated to.
    Pending,
    /// `AWSPREVIOUS`: set by Secrets Manager on the last retired version.
    Previous,
    /// `NEXT`: the pre-published next key.
    Next,
}

impl Stage {
    /// The label as AWS spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Stage::Current => "AWSCURRENT",
            Stage::Pending => "AWSPENDING",
            Stage::Previous => "AWSPREVIOUS",
            Stage::Next => "NEXT",
        }
    }
}

/// Version id -> staging labels, from `DescribeSecret`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Versions(pub BTreeMap<String, Vec<String>>);

impl Versions {
    /// Labels of a version (None when the version is unknown).
    pub fn stages(&self, version_id: &str) -> Option<&[String]> {
        self.0.get(version_id).map(Vec::as_slice)
    }
    /// Whether `version_id` carries `stage`.
    pub fn has(&self, version_id: &str, stage: Stage) -> bool {
        self.stages(version_id)
            .is_some_and(|s| s.iter().any(|l| l == stage.as_str()))
    }
    /// The version carrying `stage`.
    pub fn holder(&self, stage: Stage) -> Option<&str> {
        self.0
            .iter()
            .find(|(_, s)| s.iter().any(|l| l == stage.as_str()))
            .map(|(v, _)| v.as_str())
    }
}

/// One version read from Secrets Manager.
#[derive(Debug, Clone)]
pub struct Version {
    /// Version id.
    pub version_id: String,
    /// Its labels at read time.
    pub stages: Vec<String>,
    /// Its value.
    pub value: StoredValue,
}

impl Version {
    /// Whether the version carries `stage`.
    pub fn has(&self, stage: Stage) -> bool {
        self.stages.iter().any(|l| l == stage.as_str())
    }
    /// The key, if the value is one (not the placeholder).
    pub fn key(&self) -> Option<&SecretValue> {
        self.value.key()
    }
}

/// What `GetSecretValue` found.
#[derive(Debug)]
pub enum Fetched {
    /// The version and its value.
    Found(Version),
    /// No such version or label, or the version holds no value yet.
    NotFound,
    /// The version exists but does not carry the requested label.
    StageMismatch,
}

/// What `PutSecretValue` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    /// Stored (or the same value was already stored under the token: a no-op).
    Written,
    /// The token already holds a different value; versions are immutable.
    TokenInUse,
}

fn sm_error<E: std::error::Error + 'static>(operation: &'static str, e: E) -> Error {
    Error::SecretsManager {
        operation,
        message: DisplayErrorContext(e).to_string(),
    }
}

fn s3_error<E: std::error::Error + 'static>(operation: &'static str, e: E) -> Error {
    Error::S3 {
        operation,
        message: DisplayErrorContext(e).to_string(),
    }
}

/// The configured secret.
pub struct Secrets<'a> {
    deps: &'a Deps,
}

impl<'a> Secrets<'a> {
    /// The secret of `deps.config`.
    pub fn new(deps: &'a Deps) -> Self {
        Secrets { deps }
    }

    fn id(&self) -> &str {
        &self.deps.config.secret_id
    }

    /// `DescribeSecret`: the versions and their labels.
    pub async fn describe(&self) -> Result<Versions, Error> {
        let out = self
            .deps
            .secrets
            .describe_secret()
            .secret_id(self.id())
            .send()
            .await
            .map_err(|e| sm_error("DescribeSecret", e))?;
        Ok(Versions(
            out.version_ids_to_stages()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
        ))
    }

    /// `GetSecretValue` by version id and/or label.
    pub async fn get(
        &self,
        version_id: Option<&str>,
        stage: Option<Stage>,
    ) -> Result<Fetched, Error> {
        let result = self
            .deps
            .secrets
            .get_secret_value()
            .secret_id(self.id())
            .set_version_id(version_id.map(str::to_string))
            .set_version_stage(stage.map(|s| s.as_str().to_string()))
            .send()
            .await;
        let out = match result {
            Ok(out) => out,
            Err(e) => {
                return match e.as_service_error() {
                    Some(s) if s.is_resource_not_found_exception() => Ok(Fetched::NotFound),
                    Some(s)
                        if s.is_invalid_request_exception()
                            && version_id.is_some()
                            && stage.is_some() =>
                    {
                        Ok(Fetched::StageMismatch)
                    }
                    _ => Err(sm_error("GetSecretValue", e)),
                };
            }
        };
        let location = match (version_id, stage) {
            (Some(v), _) => format!("version {v}"),
            (None, Some(s)) => format!("stage {}", s.as_str()),
            (None, None) => "AWSCURRENT".to_string(),
        };
        let Some(text) = out.secret_string() else {
            return Err(Error::ForeignValue {
                location,
                reason: "the version holds a binary secret, not a jwks-rotation key".into(),
            });
        };
        let value = StoredValue::parse(text).map_err(|e| Error::foreign(location, e))?;
        Ok(Fetched::Found(Version {
            version_id: out.version_id().unwrap_or_default().to_string(),
            stages: out.version_stages().to_vec(),
            value,
        }))
    }

    /// The version carrying `stage`, if any.
    pub async fn get_stage(&self, stage: Stage) -> Result<Option<Version>, Error> {
        Ok(match self.get(None, Some(stage)).await? {
            Fetched::Found(v) => Some(v),
            Fetched::NotFound | Fetched::StageMismatch => None,
        })
    }

    /// `PutSecretValue` under `token` with `stages`.
    pub async fn put(
        &self,
        token: &str,
        value: &SecretValue,
        stages: &[Stage],
    ) -> Result<PutOutcome, Error> {
        let result = self
            .deps
            .secrets
            .put_secret_value()
            .secret_id(self.id())
            .client_request_token(token)
            .secret_string(value.to_json())
            .set_version_stages(Some(
                stages.iter().map(|s| s.as_str().to_string()).collect(),
            ))
            .send()
            .await;
        match result {
            Ok(_) => Ok(PutOutcome::Written),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_exists_exception()) =>
            {
                Ok(PutOutcome::TokenInUse)
            }
            Err(e) => Err(sm_error("PutSecretValue", e)),
        }
    }

    /// `UpdateSecretVersionStage`: moves `stage` to `move_to` (removing it from `remove_from`),
    /// or only removes it when `move_to` is None.
    pub async fn update_stage(
        &self,
        stage: Stage,
        move_to: Option<&str>,
        remove_from: Option<&str>,
    ) -> Result<(), Error> {
        self.deps
            .secrets
            .update_secret_version_stage()
            .secret_id(self.id())
            .version_stage(stage.as_str())
            .set_move_to_version_id(move_to.map(str::to_string))
            .set_remove_from_version_id(remove_from.map(str::to_string))
            .send()
            .await
            .map_err(|e| sm_error("UpdateSecretVersionStage", e))?;
        Ok(())
    }
}

/// The published JWKS object as read: the state and the ETag to write against.
#[derive(Debug, Clone)]
pub struct JwksObject {
    /// Keys and registry.
    pub published: Published,
    /// ETag for `If-Match`.
    pub etag: String,
    /// The body as stored, for checks on the raw document.
    pub raw: Vec<u8>,
}

/// What a conditional JWKS write did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutJwks {
    /// Written; the new ETag.
    Written(String),
    /// Someone else wrote (or deleted) the object since it was read.
    PreconditionFailed,
}

/// How a JWKS write is guarded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// `If-Match`: the object still has this ETag.
    IfMatch(String),
    /// `If-None-Match: *`: the object does not exist.
    IfAbsent,
}

/// Top-level member of the published document that fingerprints the registry. S3's ETag is the
/// MD5 of the body, so without it a change of the registry metadata alone (a revocation, a
/// retirement stamp) would keep the ETag, and a writer holding a stale registry would pass
/// `If-Match` and overwrite it (a lost update). JWK Set readers ignore unknown members
/// (RFC 7517 §5).
pub const REVISION_MEMBER: &str = "jwks_rotation_revision";

/// The body to publish: the JWK Set plus the registry fingerprint.
pub fn document(published: &Published) -> Vec<u8> {
    use sha2::Digest as _;
    let registry = published.registry();
    let digest = sha2::Sha256::digest(registry.as_bytes());
    let mut doc = serde_json::Map::new();
    doc.insert(
        "keys".into(),
        serde_json::to_value(&published.jwks().keys).unwrap_or_default(),
    );
    doc.insert(
        REVISION_MEMBER.into(),
        serde_json::Value::String(hex::encode(&digest[..12])),
    );
    serde_json::to_vec(&doc).unwrap_or_default()
}

/// The published JWKS object.
pub struct JwksStore<'a> {
    deps: &'a Deps,
}

impl<'a> JwksStore<'a> {
    /// The object of `deps.config`.
    pub fn new(deps: &'a Deps) -> Self {
        JwksStore { deps }
    }

    /// `GetObject`: body, registry metadata and ETag; None when the object does not exist.
    pub async fn get(&self, now: DateTime<Utc>) -> Result<Option<JwksObject>, Error> {
        let cfg = &self.deps.config;
        let result = self
            .deps
            .s3
            .get_object()
            .bucket(&cfg.bucket)
            .key(&cfg.object_key)
            .send()
            .await;
        let out = match result {
            Ok(out) => out,
            Err(e) => {
                let missing = e.as_service_error().is_some_and(|s| s.is_no_such_key())
                    || e.raw_response().is_some_and(|r| r.status().as_u16() == 404);
                return if missing {
                    Ok(None)
                } else {
                    Err(s3_error("GetObject", e))
                };
            }
        };
        let etag = out.e_tag().unwrap_or_default().to_string();
        let registry = out
            .metadata()
            .and_then(|m| m.get(REGISTRY_METADATA_KEY))
            .cloned();
        let body = out
            .body
            .collect()
            .await
            .map_err(|e| s3_error("GetObject", e))?
            .into_bytes();
        let jwks = Jwks::parse(&body)?;
        let published = Published::from_parts(&jwks, registry.as_deref(), now)?;
        Ok(Some(JwksObject {
            published,
            etag,
            raw: body.to_vec(),
        }))
    }

    /// `PutObject` guarded by `precondition`.
    pub async fn put(
        &self,
        published: &Published,
        precondition: &Precondition,
    ) -> Result<PutJwks, Error> {
        let cfg = &self.deps.config;
        let mut req = self
            .deps
            .s3
            .put_object()
            .bucket(&cfg.bucket)
            .key(&cfg.object_key)
            .body(ByteStream::from(document(published)))
            .content_type(JWKS_CONTENT_TYPE)
            .cache_control(&cfg.cache_control)
            .metadata(REGISTRY_METADATA_KEY, published.registry());
        req = match precondition {
            Precondition::IfMatch(etag) => req.if_match(etag),
            Precondition::IfAbsent => req.if_none_match("*"),
        };
        match req.send().await {
            Ok(out) => Ok(PutJwks::Written(
                out.e_tag().unwrap_or_default().to_string(),
            )),
            Err(e) => {
                let status = e.raw_response().map(|r| r.status().as_u16());
                let code = e
                    .as_service_error()
                    .and_then(|s| s.code())
                    .unwrap_or_default();
                // 412: changed since read; 404: deleted since read (If-Match on a missing
                // key); 409: a concurrent conditional write is in flight.
                if matches!(status, Some(412 | 404 | 409))
                    || matches!(
                        code,
                        "PreconditionFailed" | "NoSuchKey" | "ConditionalRequestConflict"
                    )
                {
                    Ok(PutJwks::PreconditionFailed)
                } else {
                    Err(s3_error("PutObject", e))
                }
            }
        }
    }
}
