//! Invariant 9: structured JSON logs and EMF metrics, and no private key material in any log
//! line, metric or error, across rotations, actions and failures.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use support::{Env, config};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn logs_and_metrics_never_carry_key_material() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let env = Env::new(config("logs", "logs")).await;
    let mut errors = Vec::new();
    env.full_rotation().await;
    let token = env.rotate_secret().await;
    for step in ["createSecret", "setSecret", "testSecret", "finishSecret"] {
        env.step(step, &token).await.unwrap(); // an early rotation: deferred
    }
    env.advance(chrono::TimeDelta::days(30));
    env.full_rotation().await;
    env.action(json!({"action": "emergencyRotate", "requestId": "r1"}))
        .await
        .unwrap();
    let next = env.kid_at("NEXT").await.unwrap();
    env.action(json!({"action": "revoke", "kid": next}))
        .await
        .unwrap();
    env.action(json!({"action": "cleanup"})).await.unwrap();
    let current = env.kid_at("AWSCURRENT").await.unwrap();
    errors.push(
        env.action(json!({"action": "revoke", "kid": current}))
            .await
            .unwrap_err(),
    );
    errors.push(env.step("finishSecret", "nope").await.unwrap_err());
    errors.push(env.step("testSecret", &token).await.unwrap_err());

    // Every private key the secret ever held.
    let mut secrets = Vec::new();
    for (_, (_, value)) in env.state().await.versions {
        let Some(value) = value else { continue };
        let v: Value = serde_json::from_str(&value).unwrap();
        if let Some(pem) = v["privateKeyPem"].as_str() {
            secrets.extend(
                pem.lines()
                    .filter(|l| !l.starts_with("-----") && l.len() > 16)
                    .map(str::to_string),
            );
        }
    }
    assert!(secrets.len() >= 5, "expected several stored keys");

    let logs = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    let metrics = env.metrics.lock().unwrap().join("\n");
    let errors: String = errors.iter().map(|e| format!("{e}\n{e:?}\n")).collect();
    assert!(
        logs.lines().count() >= 10,
        "logs were not captured:\n{logs}"
    );
    for line in logs.lines() {
        let _: Value = serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
    }
    assert!(logs.contains("\"defer_reason\":\"NextTooNew\""), "{logs}");
    assert!(logs.contains("\"outcome\":\"EmergencyRotated\""));
    for (name, text) in [("logs", &logs), ("metrics", &metrics), ("errors", &errors)] {
        assert!(!text.contains("PRIVATE KEY"), "{name} carry a PEM");
        assert!(
            !text.contains("\"d\":"),
            "{name} carry a private JWK member"
        );
        for s in &secrets {
            assert!(
                !text.contains(s.as_str()),
                "{name} carry private key material"
            );
        }
    }
}
