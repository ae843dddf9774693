//! Bad input gets a clear error and changes nothing.

mod support;

use jwks_rotation_core::{Duration, RotationConfig};
use jwks_rotation_lambda::handle;
use serde_json::json;
use support::{Env, config};

#[tokio::test]
async fn bad_events_are_refused_without_changes() {
    let env = Env::new(config("inputs", "inputs")).await;
    env.full_rotation().await;
    let token = env.rotate_secret().await;
    let before = env.state().await;
    let cases = [
        (
            json!({"Step": "rotateSecret", "SecretId": "inputs", "ClientRequestToken": token}),
            "UnknownStep",
        ),
        (
            json!({"Step": "createSecret", "SecretId": "inputs"}),
            "MalformedEvent",
        ),
        (json!("createSecret"), "MalformedEvent"),
        (json!({"hello": "world"}), "MalformedEvent"),
        (
            json!({"action": "explode", "secretArn": "inputs"}),
            "UnknownAction",
        ),
        (
            json!({"Step": "createSecret", "SecretId": "inputs", "ClientRequestToken": "00000000-0000-0000-0000-000000000000"}),
            "UnknownToken",
        ),
        (
            json!({"Step": "finishSecret", "SecretId": "inputs", "ClientRequestToken": "00000000-0000-0000-0000-000000000000"}),
            "UnknownToken",
        ),
        (
            json!({"Step": "testSecret", "SecretId": "inputs", "ClientRequestToken": "00000000-0000-0000-0000-000000000000"}),
            "UnknownToken",
        ),
        (
            json!({"Step": "createSecret", "SecretId": "someone-else", "ClientRequestToken": token}),
            "WrongSecret",
        ),
        (
            json!({"Step": "createSecret", "SecretId": "arn:aws:secretsmanager:us-east-1:123456789012:secret:other-AbCdEf", "ClientRequestToken": token}),
            "WrongSecret",
        ),
        (
            json!({"action": "cleanup", "secretArn": "someone-else"}),
            "WrongSecret",
        ),
        (
            json!({"action": "emergencyRotate", "secretArn": "inputs"}),
            "MalformedEvent",
        ),
        // testSecret/finishSecret before createSecret stored anything.
        (
            json!({"Step": "testSecret", "SecretId": "inputs", "ClientRequestToken": token}),
            "NoPendingValue",
        ),
        (
            json!({"Step": "finishSecret", "SecretId": "inputs", "ClientRequestToken": token}),
            "NoPendingValue",
        ),
    ];
    for (event, expected) in cases {
        let err = handle(&env.deps, event.clone()).await.unwrap_err();
        assert_eq!(err.error_type(), expected, "{event}: {err}");
        assert!(!err.to_string().is_empty());
        assert_eq!(env.state().await, before, "{event} changed the state");
    }
    // An ARN of our own secret is accepted.
    let arn = env
        .sm
        .describe_secret()
        .secret_id("inputs")
        .send()
        .await
        .unwrap()
        .arn()
        .unwrap()
        .to_string();
    let out = handle(
        &env.deps,
        json!({"Step": "setSecret", "SecretId": arn, "ClientRequestToken": token}),
    )
    .await
    .unwrap();
    assert_eq!(out["outcome"], "NothingToSet");
    // Failures are counted in the metrics with their error type.
    let emf = env.emf();
    assert!(
        emf.iter()
            .any(|m| m["ErrorType"] == "WrongSecret" && m["Failed"] == 1)
    );
}

#[tokio::test]
async fn a_foreign_secret_value_is_refused_without_quoting_it() {
    let env = Env::new(config("foreign", "foreign")).await;
    env.sm
        .put_secret_value()
        .secret_id("foreign")
        .secret_string(r#"{"password":"hunter2-SECRET-VALUE"}"#)
        .send()
        .await
        .unwrap();
    let token = env.rotate_secret().await;
    let before = env.state().await;
    let err = env.step("createSecret", &token).await.unwrap_err();
    assert_eq!(err.error_type(), "ForeignSecretValue");
    assert!(!err.to_string().contains("hunter2"), "{err}");
    assert_eq!(env.state().await, before);
    for event in [
        json!({"action": "cleanup"}),
        json!({"action": "revoke", "kid": "x"}),
    ] {
        let _ = env.action(event).await;
    }
    let err = env
        .action(json!({"action": "emergencyRotate", "requestId": "r"}))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "ForeignSecretValue");
}

#[test]
fn missing_or_invalid_configuration_is_a_clear_error() {
    let ok = config("cfg", "cfg-bucket").to_env();
    let lookup = |vars: std::collections::BTreeMap<String, String>| {
        RotationConfig::from_lookup(move |k| vars.get(k).cloned())
    };
    let mut missing = ok.clone();
    missing.remove("JWKS_ROTATION_SECRET_ID");
    let e = lookup(missing).unwrap_err().to_string();
    assert!(e.contains("JWKS_ROTATION_SECRET_ID"), "{e}");
    let mut bad = ok.clone();
    bad.insert("JWKS_ROTATION_MAX_TOKEN_VALIDITY".into(), "forever".into());
    assert!(lookup(bad).unwrap_err().to_string().contains("forever"));
    let c = lookup(ok).unwrap();
    assert_eq!(c.max_token_validity, Duration::from_hours(1));
}
