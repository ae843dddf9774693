//! Rotation steps against the patched moto over HTTP, in the order Secrets Manager runs them,
//! with retries, crashes, races and early rotations.

mod support;

use chrono::TimeDelta;
use jwks_rotation_core::actions::state;
use jwks_rotation_core::{RotationKind, StoredValue};
use serde_json::json;
use std::collections::BTreeMap;
use support::{Env, assert_signing_key_published, config};

fn days(n: i64) -> TimeDelta {
    TimeDelta::days(n)
}

#[tokio::test]
async fn four_steps_in_order_each_run_twice_then_a_promotion() {
    let env = Env::new(config("app/signing", "jwks-bucket")).await;
    assert!(env.published_kids().await.is_empty());
    let token = env.rotate_secret().await;
    for step in ["createSecret", "setSecret", "testSecret", "finishSecret"] {
        let first = env.step(step, &token).await.unwrap();
        let state = env.state().await;
        let second = env.step(step, &token).await.unwrap();
        assert_eq!(
            env.state().await,
            state,
            "{step} run twice changed the state"
        );
        assert_eq!(first["kids"], second["kids"], "{step}");
        assert_signing_key_published(&env).await;
    }
    let k1 = env.kid_at("AWSCURRENT").await.expect("first key signs");
    let n1 = env.kid_at("NEXT").await.expect("a NEXT key exists");
    assert_ne!(k1, n1);
    assert_eq!(env.published_kids().await, vec![k1.clone(), n1.clone()]);
    let first = env.key_at("AWSCURRENT").await.unwrap();
    assert_eq!(first.rotation.unwrap().kind, RotationKind::Initial);

    // After the activation grace, the next scheduled rotation promotes NEXT.
    env.advance(days(30));
    let t2 = env.full_rotation().await;
    assert_eq!(env.kid_at("AWSCURRENT").await.unwrap(), n1);
    let n2 = env.kid_at("NEXT").await.unwrap();
    assert_eq!(env.published_kids().await, vec![n1.clone(), n2, k1.clone()]);
    // The promoted key came from NEXT; the old current is AWSPREVIOUS.
    let current = env.key_at("AWSCURRENT").await.unwrap();
    assert_eq!(current.rotation.unwrap().kind, RotationKind::Promoted);
    assert_eq!(env.kid_at("AWSPREVIOUS").await.unwrap(), k1);
    let labels = env.labels().await;
    assert!(labels[&t2].contains(&"AWSCURRENT".to_string()));
    // Registry: k1 retired at finish time, n1 activated then.
    let (_, registry) = env.jwks_raw().await.unwrap();
    let registry =
        jwks_rotation_core::Published::from_registry_json(registry.unwrap().as_bytes()).unwrap();
    let at = support::t0() + days(30);
    assert_eq!(registry.get(&k1).unwrap().retired_at, Some(at));
    assert_eq!(registry.get(&n1).unwrap().activated_at, Some(at));
    // Invariant 2: n1 was published at least minActivationGracePeriod (7d) before it signed.
    let published_at = registry.get(&n1).unwrap().published_at;
    let (at, published_at) = (at.timestamp(), published_at.timestamp());
    assert!(at - published_at >= 7 * 86400);
}

#[tokio::test]
async fn api_calls_stay_within_the_budget() {
    let env = Env::new(config("budget", "budget-bucket")).await;
    env.full_rotation().await;
    env.advance(days(30));
    let token = env.rotate_secret().await;
    let mut per_step = Vec::new();
    for step in ["createSecret", "setSecret", "testSecret", "finishSecret"] {
        let out = env.step(step, &token).await.unwrap();
        per_step.push(out["apiCalls"].as_u64().unwrap());
    }
    // The reference construct: create 5, set 0, test 2, finish 5 (12); cleanup 4. Ours:
    // create 4, set 0, test 2, finish 8 (14: the registry is a private object beside the JWKS,
    // finishSecret checks the JWKS serves the key before AWSCURRENT moves, and reads the labels
    // after the registry before it writes; docs/ROTATION.md).
    assert!(per_step[0] <= 4, "createSecret made {} calls", per_step[0]);
    assert_eq!(per_step[1], 0);
    assert_eq!(per_step[2], 2);
    assert!(per_step[3] <= 8, "finishSecret made {} calls", per_step[3]);
    assert!(per_step.iter().sum::<u64>() <= 14, "{per_step:?}");
    let out = env.action(json!({"action": "cleanup"})).await.unwrap();
    assert!(out["apiCalls"].as_u64().unwrap() <= 2);
    // The metric carries the same count.
    let emf = env.emf();
    let last = emf.last().unwrap();
    assert_eq!(last["AwsApiCalls"], out["apiCalls"]);
    assert_eq!(last["Action"], "cleanup");
}

#[tokio::test]
async fn create_retried_after_a_crash_before_the_jwks_write_converges() {
    let env = Env::new(config("crash-create", "crash-create")).await;
    let token = env.rotate_secret().await;
    let before = env.jwks_raw().await;
    env.step("createSecret", &token).await.unwrap();
    let pending = env.key_at("AWSPENDING").await.unwrap();
    // Crash: the pending value was put, the JWKS write never happened.
    env.restore_jwks(&before).await;
    assert!(env.published_kids().await.is_empty());
    // Secrets Manager retries: the random first key cannot be put again under the token,
    // so the stored one stands and gets published.
    env.step("createSecret", &token).await.unwrap();
    assert_eq!(env.key_at("AWSPENDING").await.unwrap(), pending);
    assert_eq!(env.published_kids().await, vec![pending.kid.clone()]);
    for step in ["setSecret", "testSecret", "finishSecret"] {
        env.step(step, &token).await.unwrap();
    }
    assert_eq!(env.kid_at("AWSCURRENT").await.unwrap(), pending.kid);
}

#[tokio::test]
async fn finish_retried_after_crashes_at_each_write_converges() {
    let env = Env::new(config("crash-finish", "crash-finish")).await;
    env.full_rotation().await;
    let k1 = env.kid_at("AWSCURRENT").await.unwrap();
    let n1 = env.kid_at("NEXT").await.unwrap();
    env.advance(days(30));
    let token = env.rotate_secret().await;
    for step in ["createSecret", "setSecret", "testSecret"] {
        env.step(step, &token).await.unwrap();
    }
    // Crash 1: AWSCURRENT moved, nothing else.
    let labels = env.labels().await;
    let old = labels
        .iter()
        .find(|(_, l)| l.contains(&"AWSCURRENT".to_string()))
        .map(|(v, _)| v.clone())
        .unwrap();
    env.sm
        .update_secret_version_stage()
        .secret_id(env.secret())
        .version_stage("AWSCURRENT")
        .move_to_version_id(&token)
        .remove_from_version_id(&old)
        .send()
        .await
        .unwrap();
    let jwks_before = env.jwks_raw().await;
    env.step("finishSecret", &token).await.unwrap();
    let n2 = env.kid_at("NEXT").await.unwrap();
    assert_eq!(env.kid_at("AWSCURRENT").await.unwrap(), n1);
    // Crash 2: the fresh NEXT was put but the JWKS write was lost.
    env.restore_jwks(&jwks_before).await;
    env.step("finishSecret", &token).await.unwrap();
    assert_eq!(
        env.kid_at("NEXT").await.unwrap(),
        n2,
        "the retry reuses the stored NEXT"
    );
    assert_eq!(env.published_kids().await, vec![n1, n2, k1]);
    // A third run changes nothing.
    let state = env.state().await;
    env.step("finishSecret", &token).await.unwrap();
    assert_eq!(env.state().await, state);
}

#[tokio::test]
async fn rotation_restarted_from_create_with_the_same_token_converges() {
    let env = Env::new(config("restart", "restart")).await;
    env.full_rotation().await;
    env.advance(days(30));
    let token = env.rotate_secret().await;
    env.step("createSecret", &token).await.unwrap();
    env.step("setSecret", &token).await.unwrap();
    // testSecret "fails" (say, a timeout); Secrets Manager starts again from createSecret.
    for step in ["createSecret", "setSecret", "testSecret", "finishSecret"] {
        env.step(step, &token).await.unwrap();
    }
    let promoted = env.key_at("AWSCURRENT").await.unwrap();
    assert_eq!(promoted.rotation.unwrap().kind, RotationKind::Promoted);
}

#[tokio::test]
async fn cleanup_between_create_and_finish_never_loses_the_signing_key() {
    let mut cfg = config("race", "race");
    cfg.max_token_validity = jwks_rotation_core::Duration::from_hours(1);
    let env = Env::new(cfg).await;
    env.full_rotation().await;
    env.advance(days(30));
    env.full_rotation().await; // k1 retired now
    env.advance(days(30));
    let token = env.rotate_secret().await;
    env.step("createSecret", &token).await.unwrap();
    assert_signing_key_published(&env).await;
    // Cleanup runs between the steps; k1's tokens are long dead, so it goes.
    let out = env.action(json!({"action": "cleanup"})).await.unwrap();
    assert_eq!(out["outcome"], "CleanedUp");
    assert_signing_key_published(&env).await;
    for step in ["setSecret", "testSecret"] {
        env.step(step, &token).await.unwrap();
        assert_signing_key_published(&env).await;
    }
    env.action(json!({"action": "cleanup"})).await.unwrap();
    env.step("finishSecret", &token).await.unwrap();
    assert_signing_key_published(&env).await;
    env.action(json!({"action": "cleanup"})).await.unwrap();
    assert_signing_key_published(&env).await;
    assert_eq!(
        env.published_kids().await.len(),
        3,
        "current, next and the just-retired key"
    );
}

#[tokio::test]
async fn a_stale_writer_meets_a_changed_etag_retries_and_keeps_both_changes() {
    let env = Env::new(config("etag", "etag")).await;
    env.full_rotation().await;
    let next = env.kid_at("NEXT").await.unwrap();
    let now = env.deps.now();
    let stale = state::read_snapshot(&env.deps, &BTreeMap::new())
        .await
        .unwrap();
    // Another writer changes the registry after the stale read (a revocation of NEXT).
    env.action(json!({"action": "revoke", "kid": next}))
        .await
        .unwrap();
    // Our writer decided on the stale snapshot: its conditional write is refused...
    let mut ours = stale.registry.clone();
    ours.revoked.insert("revoked-by-us".into(), now);
    assert!(
        state::commit(&env.deps, &stale, ours)
            .await
            .unwrap()
            .is_none()
    );
    // ...so it re-reads and decides again: both changes stand.
    let fresh = state::read_snapshot(&env.deps, &BTreeMap::new())
        .await
        .unwrap();
    let mut ours = fresh.registry.clone();
    ours.revoked.insert("revoked-by-us".into(), now);
    assert!(
        state::commit(&env.deps, &fresh, ours)
            .await
            .unwrap()
            .is_some()
    );
    let (body, registry) = env.jwks_raw().await.unwrap();
    let registry = registry.unwrap();
    assert!(registry.contains(&next), "{registry}");
    assert!(registry.contains("revoked-by-us"), "{registry}");
    assert!(
        !body.contains(&next),
        "the revoked NEXT left the JWKS: {body}"
    );
    assert_signing_key_published(&env).await;
}

#[tokio::test]
async fn an_early_rotation_keeps_the_signing_key_and_says_why() {
    let env = Env::new(config("early", "early")).await;
    env.full_rotation().await;
    let k1 = env.kid_at("AWSCURRENT").await.unwrap();
    let n1 = env.kid_at("NEXT").await.unwrap();
    env.advance(TimeDelta::hours(1));
    // A manual rotation right after the first one: NEXT is too new to sign.
    let token = env.rotate_secret().await;
    let out = env.step("createSecret", &token).await.unwrap();
    assert_eq!(out["outcome"], "Deferred");
    assert_eq!(out["deferReason"], "NextTooNew");
    for step in ["setSecret", "testSecret", "finishSecret"] {
        env.step(step, &token).await.unwrap();
    }
    assert_eq!(
        env.kid_at("AWSCURRENT").await.unwrap(),
        k1,
        "the signing key stays"
    );
    assert_eq!(
        env.kid_at("NEXT").await.unwrap(),
        n1,
        "NEXT keeps its publication time"
    );
    assert_eq!(env.published_kids().await, vec![k1.clone(), n1.clone()]);
    let stored = env.key_at("AWSCURRENT").await.unwrap();
    assert_eq!(stored.rotation.unwrap().kind, RotationKind::Deferred);
    let deferred: Vec<_> = env
        .emf()
        .into_iter()
        .filter(|m| m.get("RotationDeferred").is_some())
        .collect();
    assert_eq!(deferred.len(), 1);
    assert_eq!(deferred[0]["DeferReason"], "NextTooNew");
    assert_eq!(deferred[0]["Succeeded"], 1);
    // The next scheduled rotation promotes the same NEXT: the deferral did not reset it.
    env.advance(days(30));
    env.full_rotation().await;
    assert_eq!(env.kid_at("AWSCURRENT").await.unwrap(), n1);
}

#[tokio::test]
async fn cleanup_removes_a_retired_key_only_after_token_validity_and_grace() {
    let env = Env::new(config("cleanup", "cleanup")).await; // 1h tokens + 6h grace
    env.full_rotation().await;
    let k1 = env.kid_at("AWSCURRENT").await.unwrap();
    env.advance(days(30));
    env.full_rotation().await; // k1 retires now
    env.advance(TimeDelta::hours(7) - TimeDelta::seconds(1));
    env.action(json!({"action": "cleanup"})).await.unwrap();
    assert!(
        env.published_kids().await.contains(&k1),
        "removed too early"
    );
    env.advance(TimeDelta::seconds(1));
    let out = env.action(json!({"action": "cleanup"})).await.unwrap();
    assert!(
        !env.published_kids().await.contains(&k1),
        "not removed at retirement + 7h"
    );
    assert_eq!(out["kids"].as_array().unwrap().len(), 2);
    // Nothing left to remove: no write.
    let state = env.state().await;
    let out = env.action(json!({"action": "cleanup"})).await.unwrap();
    assert_eq!(
        out["apiCalls"], 2,
        "reads the registry and the JWKS, writes nothing"
    );
    assert_eq!(env.state().await, state);
}

#[tokio::test]
async fn several_retired_keys_stay_while_their_tokens_live() {
    let mut cfg = config("long-tokens", "long-tokens");
    cfg.max_token_validity = jwks_rotation_core::Duration::from_days(25);
    cfg.rotation_interval = jwks_rotation_core::Duration::from_days(10);
    cfg.min_activation_grace_period = jwks_rotation_core::Duration::from_days(2);
    cfg.validate().unwrap();
    let env = Env::new(cfg).await;
    let mut signing = Vec::new();
    env.full_rotation().await;
    signing.push(env.kid_at("AWSCURRENT").await.unwrap());
    for _ in 0..3 {
        env.advance(days(10));
        env.full_rotation().await;
        env.action(json!({"action": "cleanup"})).await.unwrap();
        signing.push(env.kid_at("AWSCURRENT").await.unwrap());
    }
    // Day 30: k1 retired on day 10, k2 on day 20, k3 on day 30; 25d tokens keep all three.
    let kids = env.published_kids().await;
    for k in &signing {
        assert!(
            kids.contains(k),
            "{k} dropped while its tokens live: {kids:?}"
        );
    }
    assert_eq!(kids.len(), 5, "current, next and three retired keys");
    // k1 leaves at day 10 + 25d + 6h = day 35.25.
    env.advance(days(5) + TimeDelta::hours(6));
    env.action(json!({"action": "cleanup"})).await.unwrap();
    let kids = env.published_kids().await;
    assert!(!kids.contains(&signing[0]));
    assert!(kids.contains(&signing[1]));
}

#[tokio::test]
async fn a_missing_jwks_object_is_rebuilt_by_cleanup() {
    let env = Env::new(config("rebuild", "rebuild")).await;
    env.full_rotation().await;
    env.restore_jwks(&None).await;
    env.action(json!({"action": "cleanup"})).await.unwrap();
    let current = env.kid_at("AWSCURRENT").await.unwrap();
    let next = env.kid_at("NEXT").await.unwrap();
    assert_eq!(env.published_kids().await, vec![current, next]);
}

#[tokio::test]
async fn stored_values_parse_as_ours() {
    let env = Env::new(config("values", "values")).await;
    env.full_rotation().await;
    for (_, (_, value)) in env.state().await.versions {
        let value = value.unwrap();
        assert!(matches!(
            StoredValue::parse(&value).unwrap(),
            StoredValue::Key(_) | StoredValue::Placeholder
        ));
    }
}

#[tokio::test]
async fn a_cleanup_that_read_before_finish_and_writes_after_it_keeps_the_new_signing_key() {
    // The construct's defect 7: cleanup reads, finishSecret publishes, cleanup writes blindly.
    let mut cfg = config("defect7", "defect7");
    cfg.max_token_validity = jwks_rotation_core::Duration::from_days(8); // kept 8d + 6h
    let env = Env::new(cfg).await;
    env.full_rotation().await;
    let k1 = env.kid_at("AWSCURRENT").await.unwrap();
    env.advance(days(30));
    env.full_rotation().await; // k1 retired
    env.advance(days(8));
    let token = env.rotate_secret().await;
    for step in ["createSecret", "setSecret", "testSecret"] {
        env.step(step, &token).await.unwrap();
    }
    assert!(env.published_kids().await.contains(&k1));
    // The cleanup runs once k1's tokens are dead and reads the JWKS...
    env.advance(TimeDelta::hours(7));
    let now = env.deps.now();
    let r = jwks_rotation_core::Retention {
        max_token_validity: env.deps.config.max_token_validity,
        cleanup_grace: env.deps.config.min_key_cleanup_grace_period,
    };
    let stale = state::read_snapshot(&env.deps, &BTreeMap::new())
        .await
        .unwrap();
    // ...finishSecret publishes the new signing key and NEXT...
    env.step("finishSecret", &token).await.unwrap();
    // ...and the cleanup writes what it computed from its stale read: refused.
    let computed = jwks_rotation_core::lifecycle::reconcile(&stale.registry, None, now, r);
    assert!(
        state::commit(&env.deps, &stale, computed)
            .await
            .unwrap()
            .is_none(),
        "the stale write must be refused"
    );
    // The cleanup, run for real, re-reads and applies the removal.
    env.action(json!({"action": "cleanup"})).await.unwrap();
    assert_signing_key_published(&env).await;
    let kids = env.published_kids().await;
    assert!(kids.contains(&env.kid_at("NEXT").await.unwrap()));
    assert!(!kids.contains(&k1), "k1's removal still applies");
    assert_eq!(kids.len(), 3);
}
