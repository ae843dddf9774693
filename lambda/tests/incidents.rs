//! The incident paths against moto made faithful to AWS (tests/support/moto_faithful.py), one
//! test per defect of issue 8: emergency rotation, revocation and actions that overlap. Each
//! checks what a verifier and an issuer see: the key at AWSCURRENT is always in the JWKS, a key
//! that signed stays published, a revoked key never comes back, and rotation is never wedged.

mod support;

use chrono::TimeDelta;
use serde_json::json;
use support::{Env, assert_signing_key_published, config, verify_current_signs};

fn days(n: i64) -> TimeDelta {
    TimeDelta::days(n)
}

/// Defect 1: finishSecret moved AWSCURRENT to N and stopped before its S3 writes; an emergency
/// rotation must retire N (it signed), never drop it. finishSecret is stopped after each of its
/// calls in turn; every stop that leaves N at AWSCURRENT is followed by an emergency rotation.
#[tokio::test]
async fn emergency_after_an_interrupted_finish_retires_the_real_signer() {
    let moto = std::sync::Arc::new(support::Moto::start());
    let mut interrupted = 0;
    for k in 1..12u64 {
        let env = Env::on(moto.clone(), config(&format!("d1-{k}"), &format!("d1-{k}"))).await;
        env.full_rotation().await;
        env.advance(days(30));
        let token = env.rotate_secret().await;
        for step in ["createSecret", "setSecret", "testSecret"] {
            env.step(step, &token).await.unwrap();
        }
        let before = env.kid_at("AWSCURRENT").await.unwrap();
        env.deps.api_calls.stop_after(Some(env.api_calls() + k));
        let finished = env.step("finishSecret", &token).await.is_ok();
        env.deps.api_calls.stop_after(None);
        if finished {
            break;
        }
        let n = env.kid_at("AWSCURRENT").await.unwrap();
        if n == before {
            continue; // stopped before the move: nothing signed yet
        }
        interrupted += 1;
        // N signs tokens now; then an operator runs an emergency rotation.
        env.advance(TimeDelta::minutes(5));
        env.action(json!({"action": "emergencyRotate", "requestId": "after-crash"}))
            .await
            .unwrap();
        verify_current_signs(&env).await;
        let kids = env.published_kids().await;
        assert!(
            kids.contains(&n),
            "stop after {k}: N signed and must stay published: {kids:?}"
        );
        assert!(kids.contains(&before), "stop after {k}: {kids:?}");
    }
    assert!(interrupted > 0, "no stop left N at AWSCURRENT");
}

/// Defect 2: after a normal rotation AWSPENDING stays on the current version; an emergency must
/// not leave it alone there, or every later RotateSecret is refused.
#[tokio::test]
async fn rotation_goes_on_after_an_emergency_that_follows_a_completed_rotation() {
    let env = Env::new(config("defect2", "defect2")).await;
    env.full_rotation().await;
    env.advance(days(30));
    env.full_rotation().await;
    let labels = env.labels().await;
    assert!(
        labels
            .values()
            .any(|l| l.contains(&"AWSPENDING".to_string()) && l.contains(&"AWSCURRENT".to_string())),
        "precondition: AWSPENDING rests on the current version: {labels:?}"
    );
    env.action(json!({"action": "emergencyRotate", "requestId": "wedge"}))
        .await
        .unwrap();
    let labels = env.labels().await;
    assert!(
        !labels.values().any(
            |l| l.contains(&"AWSPENDING".to_string()) && !l.contains(&"AWSCURRENT".to_string())
        ),
        "a stray AWSPENDING blocks RotateSecret: {labels:?}"
    );
    env.advance(days(30));
    env.full_rotation().await;
    assert_signing_key_published(&env).await;
}

/// Defect 2 and 3: an emergency killed after any one of its AWS calls, then retried with the same
/// requestId, converges; at every point the key at AWSCURRENT is published (the fresh key is
/// published before it can sign); a further retry changes nothing.
#[tokio::test]
async fn emergency_killed_after_each_call_converges_and_never_signs_unpublished() {
    let moto = std::sync::Arc::new(support::Moto::start());
    let mut k = 0u64;
    loop {
        let env = Env::on(
            moto.clone(),
            config(&format!("kill-{k}"), &format!("kill-{k}")),
        )
        .await;
        env.full_rotation().await;
        env.advance(days(30));
        env.full_rotation().await;
        let before = env.kid_at("AWSCURRENT").await.unwrap();
        let event =
            json!({"action": "emergencyRotate", "requestId": "kill", "revokeCurrent": true});
        let start = env.api_calls();
        env.deps.api_calls.stop_after(Some(start + k));
        let first = env.action(event.clone()).await;
        env.deps.api_calls.stop_after(None);
        assert_signing_key_published(&env).await;
        if first.is_ok() {
            assert!(k > 5, "an emergency makes more than {k} calls");
            break;
        }
        env.action(event.clone()).await.unwrap();
        assert_signing_key_published(&env).await;
        verify_current_signs(&env).await;
        let kids = env.published_kids().await;
        assert!(
            !kids.contains(&before),
            "revoked key published after kill at {k}"
        );
        let state = env.state().await;
        let again = env.action(event).await.unwrap();
        assert_eq!(again["outcome"], "EmergencyRotated");
        assert_eq!(
            env.state().await,
            state,
            "a retry after kill at {k} changed something"
        );
        env.advance(days(30));
        env.full_rotation().await;
        assert_signing_key_published(&env).await;
        k += 1;
    }
}

/// Defect 4: the registry has no practical size limit: many emergencies and revocations with a
/// long token lifetime keep every key, and every write succeeds.
#[tokio::test]
async fn dozens_of_incidents_never_fail_a_write_for_size() {
    let mut cfg = config("defect4", "defect4");
    cfg.max_token_validity = jwks_rotation_core::Duration::from_days(90);
    cfg.kid_strategy = jwks_rotation_core::KidStrategy::Thumbprint;
    let env = Env::new(cfg).await;
    env.full_rotation().await;
    for i in 0..30 {
        env.advance(TimeDelta::hours(6));
        env.action(json!({"action": "emergencyRotate", "requestId": format!("e{i}")}))
            .await
            .unwrap();
        let next = env.kid_at("NEXT").await.unwrap();
        env.action(json!({"action": "revoke", "kid": next}))
            .await
            .unwrap();
    }
    let (_, registry) = env.jwks_raw().await.unwrap();
    let registry = registry.unwrap();
    assert!(
        registry.len() > 2048,
        "the registry outgrew S3 metadata: {}",
        registry.len()
    );
    assert!(env.published_kids().await.len() >= 31);
    verify_current_signs(&env).await;
}

/// Defect 5: finishSecret and emergencyRotate overlap: the rotation that began before the
/// emergency must not make its key sign over the emergency key, nor drop it.
#[tokio::test]
async fn a_finish_after_an_emergency_changes_nothing() {
    let env = Env::new(config("defect5", "defect5")).await;
    env.full_rotation().await;
    env.advance(days(30));
    let token = env.rotate_secret().await;
    for step in ["createSecret", "setSecret", "testSecret"] {
        env.step(step, &token).await.unwrap();
    }
    env.action(json!({"action": "emergencyRotate", "requestId": "overlap"}))
        .await
        .unwrap();
    let e = env.kid_at("AWSCURRENT").await.unwrap();
    let state = env.state().await;
    let err = env.step("finishSecret", &token).await.unwrap_err();
    assert_eq!(err.error_type(), "TokenNotPending");
    assert_eq!(env.state().await, state);
    assert_eq!(env.kid_at("AWSCURRENT").await.unwrap(), e);
    verify_current_signs(&env).await;
}

/// Defect 5: a revocation of the key a rotation is promoting: the rotation cannot complete with
/// it, the revocation is never erased, and the next rotation works.
#[tokio::test]
async fn revoking_the_key_a_rotation_promotes_cancels_it_and_stays_revoked() {
    let env = Env::new(config("defect5b", "defect5b")).await;
    env.full_rotation().await;
    let signing = env.kid_at("AWSCURRENT").await.unwrap();
    let n = env.kid_at("NEXT").await.unwrap();
    env.advance(days(30));
    let token = env.rotate_secret().await;
    env.step("createSecret", &token).await.unwrap();
    env.action(json!({"action": "revoke", "kid": n}))
        .await
        .unwrap();
    assert!(env.step("finishSecret", &token).await.is_err());
    assert_eq!(env.kid_at("AWSCURRENT").await.unwrap(), signing);
    assert!(!env.published_kids().await.contains(&n));
    env.action(json!({"action": "cleanup"})).await.unwrap();
    assert!(!env.published_kids().await.contains(&n));
    let (_, registry) = env.jwks_raw().await.unwrap();
    assert!(registry.unwrap().contains(&n), "the revocation is recorded");
    env.advance(days(8));
    env.full_rotation().await;
    assert_ne!(env.kid_at("AWSCURRENT").await.unwrap(), n);
    assert_signing_key_published(&env).await;
}

/// Issue 8 item 6: revoke of a kid that was never published fails, names the kid, changes nothing.
#[tokio::test]
async fn revoking_an_unknown_kid_is_refused_and_changes_nothing() {
    let env = Env::new(config("unknown-kid", "unknown-kid")).await;
    env.full_rotation().await;
    let state = env.state().await;
    let err = env
        .action(json!({"action": "revoke", "kid": "no-such-kid"}))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "KidNotPublished");
    assert!(err.to_string().contains("no-such-kid"), "{err}");
    assert_eq!(env.state().await, state);
}

/// Rotations continue normally for a year after each kind of emergency.
#[tokio::test]
async fn a_year_of_rotations_after_each_kind_of_incident() {
    for (i, incident) in [
        json!({"action": "emergencyRotate", "requestId": "y1"}),
        json!({"action": "emergencyRotate", "requestId": "y2", "revokeCurrent": true}),
        json!({"action": "revoke", "kid": "NEXT"}),
    ]
    .into_iter()
    .enumerate()
    {
        let env = Env::new(config(&format!("year-{i}"), &format!("year-{i}"))).await;
        env.full_rotation().await;
        env.advance(days(10));
        let mut incident = incident;
        if incident["kid"] == "NEXT" {
            incident["kid"] = json!(env.kid_at("NEXT").await.unwrap());
        }
        env.action(incident).await.unwrap();
        let mut signers = vec![env.kid_at("AWSCURRENT").await.unwrap()];
        for _ in 0..12 {
            env.advance(days(30));
            env.full_rotation().await;
            env.action(json!({"action": "cleanup"})).await.unwrap();
            assert_signing_key_published(&env).await;
            signers.push(env.kid_at("AWSCURRENT").await.unwrap());
        }
        signers.dedup();
        assert!(
            signers.len() >= 12,
            "incident {i}: rotations stalled: {signers:?}"
        );
        let kids = env.published_kids().await;
        assert_eq!(
            kids.len(),
            3,
            "incident {i}: current, next, last retired: {kids:?}"
        );
    }
}

/// The registry of the previous release (in the JWKS object's user metadata) is read, migrated
/// into the registry object, and no key is lost.
#[tokio::test]
async fn a_deployment_of_the_previous_release_upgrades_in_place() {
    let env = Env::new(config("upgrade", "upgrade")).await;
    env.full_rotation().await;
    env.advance(days(30));
    env.full_rotation().await;
    let kids = env.published_kids().await;
    assert_eq!(kids.len(), 3);
    let (body, registry) = env.jwks_raw().await.unwrap();
    let registry =
        jwks_rotation_core::Published::from_registry_json(registry.unwrap().as_bytes()).unwrap();
    // What the previous release left: the body and the compact registry in user metadata.
    let legacy: serde_json::Map<String, serde_json::Value> = registry
        .keys
        .iter()
        .map(|k| {
            let s =
                |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.timestamp()).unwrap_or(0);
            (
                k.kid().to_string(),
                json!([
                    k.published_at.timestamp(),
                    s(k.activated_at),
                    s(k.retired_at)
                ]),
            )
        })
        .collect();
    let metadata = json!({"v": 1, "k": legacy, "x": {}}).to_string();
    let cfg = &env.deps.config;
    env.put_raw(&cfg.registry_key(), &None).await;
    env.s3
        .put_object()
        .bucket(&cfg.bucket)
        .key(&cfg.object_key)
        .body(body.into_bytes().into())
        .metadata("jwks-rotation-registry", metadata)
        .send()
        .await
        .unwrap();
    // The upgraded function's first action migrates; nothing is lost, retention is kept.
    env.advance(TimeDelta::hours(1));
    env.action(json!({"action": "cleanup"})).await.unwrap();
    assert_eq!(env.published_kids().await, kids);
    let (_, migrated) = env.jwks_raw().await.unwrap();
    let migrated =
        jwks_rotation_core::Published::from_registry_json(migrated.unwrap().as_bytes()).unwrap();
    for k in &registry.keys {
        let m = migrated.get(k.kid()).unwrap();
        assert_eq!(m.published_at, k.published_at);
        assert_eq!(m.retired_at, k.retired_at);
    }
    env.advance(days(30));
    env.full_rotation().await;
    assert_signing_key_published(&env).await;
}
