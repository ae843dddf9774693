//! Emergency actions (invariant 8): a fresh key signs at once, the old one is retired or
//! revoked, a revoked kid leaves the JWKS at once; retries converge.

mod support;

use jwks_rotation_core::RotationKind;
use serde_json::json;
use support::{Env, assert_signing_key_published, config, verify_current_signs};

#[tokio::test]
async fn emergency_rotation_signs_at_once_and_retires_the_old_key() {
    let env = Env::new(config("emergency", "emergency")).await;
    env.full_rotation().await;
    let k1 = env.kid_at("AWSCURRENT").await.unwrap();
    let n1 = env.kid_at("NEXT").await.unwrap();
    let event = json!({"action": "emergencyRotate", "requestId": "incident-42"});
    let out = env.action(event.clone()).await.unwrap();
    assert_eq!(out["outcome"], "EmergencyRotated");
    let e = env.kid_at("AWSCURRENT").await.unwrap();
    let n2 = env.kid_at("NEXT").await.unwrap();
    assert!(![k1.clone(), n1.clone()].contains(&e));
    assert_ne!(n2, n1);
    assert_eq!(
        env.key_at("AWSCURRENT")
            .await
            .unwrap()
            .rotation
            .unwrap()
            .kind,
        RotationKind::Emergency
    );
    // Fresh key first, fresh NEXT, old key kept for its tokens, old NEXT gone (never signed).
    assert_eq!(
        env.published_kids().await,
        vec![e.clone(), n2.clone(), k1.clone()]
    );
    verify_current_signs(&env).await;
    // A retry with the same request id changes nothing.
    let state = env.state().await;
    env.action(event).await.unwrap();
    assert_eq!(env.state().await, state);
    // Rotations go on normally afterwards.
    env.advance(chrono::TimeDelta::days(30));
    env.full_rotation().await;
    assert_eq!(env.kid_at("AWSCURRENT").await.unwrap(), n2);
    assert_signing_key_published(&env).await;
}

#[tokio::test]
async fn emergency_rotation_can_revoke_the_old_key_and_cancels_a_rotation_in_progress() {
    let env = Env::new(config("emergency-revoke", "emergency-revoke")).await;
    env.full_rotation().await;
    let k1 = env.kid_at("AWSCURRENT").await.unwrap();
    env.advance(chrono::TimeDelta::days(30));
    let token = env.rotate_secret().await;
    env.step("createSecret", &token).await.unwrap();
    let out = env
        .action(json!({"action": "emergencyRotate", "requestId": "leak", "revokeCurrent": true}))
        .await
        .unwrap();
    assert_eq!(out["outcome"], "EmergencyRotated");
    let kids = env.published_kids().await;
    assert!(!kids.contains(&k1), "revoked key still published: {kids:?}");
    assert_eq!(kids.len(), 2);
    verify_current_signs(&env).await;
    // The cancelled rotation's finishSecret refuses and changes nothing.
    let state = env.state().await;
    let err = env.step("finishSecret", &token).await.unwrap_err();
    assert_eq!(err.error_type(), "TokenNotPending");
    assert_eq!(env.state().await, state);
    // A later RotateSecret is not blocked by the cancelled one.
    env.advance(chrono::TimeDelta::days(30));
    env.full_rotation().await;
    assert_signing_key_published(&env).await;
}

#[tokio::test]
async fn revoke_removes_a_kid_at_once_and_replaces_next() {
    let env = Env::new(config("revoke", "revoke")).await;
    env.full_rotation().await;
    let k1 = env.kid_at("AWSCURRENT").await.unwrap();
    let n1 = env.kid_at("NEXT").await.unwrap();
    env.advance(chrono::TimeDelta::days(30));
    env.full_rotation().await;
    let n2 = env.kid_at("NEXT").await.unwrap();
    // Revoke the retired k1: gone at once, although its retention has not passed.
    env.action(json!({"action": "revoke", "kid": k1}))
        .await
        .unwrap();
    assert_eq!(env.published_kids().await, vec![n1.clone(), n2.clone()]);
    // Revoke NEXT: a fresh NEXT replaces it.
    let event = json!({"action": "revoke", "kid": n2});
    env.action(event.clone()).await.unwrap();
    let n3 = env.kid_at("NEXT").await.unwrap();
    assert_ne!(n3, n2);
    assert_eq!(env.published_kids().await, vec![n1.clone(), n3.clone()]);
    let state = env.state().await;
    env.action(event).await.unwrap();
    assert_eq!(env.state().await, state, "revoke twice changes nothing");
    // The signing key cannot be revoked this way; nothing changes.
    let err = env
        .action(json!({"action": "revoke", "kid": n1}))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "RevokeSigningKey");
    assert_eq!(env.state().await, state);
    // Cleanup never brings a revoked kid back; the next rotation promotes n3 only after its
    // own grace period.
    env.action(json!({"action": "cleanup"})).await.unwrap();
    assert!(!env.published_kids().await.contains(&n2));
    let token = env.rotate_secret().await;
    let out = env.step("createSecret", &token).await.unwrap();
    assert_eq!(out["deferReason"], "NextTooNew");
}
