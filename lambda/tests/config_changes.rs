//! Configuration changes on a live deployment (issue 8): a `pulumi up` with a changed input
//! gives the function a new environment; the secret, the registry and the JWKS stay. Each change
//! keeps the invariants: a key of a new kind is published for the full grace before it signs,
//! the JWKS holds both kinds during the change, and a retired key stays for the token lifetime
//! that was in force while it signed.

mod support;

use chrono::TimeDelta;
use jwks_rotation_core::{Algorithm, Duration, KeySpec, KidStrategy, RotationConfig};
use jwks_rotation_lambda::{Deps, MetricsSink};
use serde_json::json;
use support::{Env, assert_signing_key_published, config};

fn days(n: i64) -> TimeDelta {
    TimeDelta::days(n)
}

/// What `pulumi up` with a changed input does to the function: a new environment.
async fn reconfigure(env: &mut Env, change: impl FnOnce(&mut RotationConfig)) {
    let mut cfg = env.deps.config.clone();
    change(&mut cfg);
    cfg.validate().expect("valid new configuration");
    let sdk = env.moto.sdk().await;
    env.deps = Deps::new(
        &sdk,
        true,
        cfg,
        env.clock.clone(),
        MetricsSink::Memory(env.metrics.clone()),
    );
}

async fn algs(env: &Env) -> Vec<String> {
    let (body, _) = env.jwks_raw().await.unwrap();
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["alg"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn moving_from_rs256_to_es256_publishes_the_new_kind_for_the_grace_before_it_signs() {
    let mut cfg = config("alg-change", "alg-change");
    cfg.key_spec = KeySpec::Rsa {
        algorithm: Algorithm::RS256,
        bits: 2048,
    };
    let mut env = Env::new(cfg).await;
    env.full_rotation().await;
    env.advance(days(30));
    env.full_rotation().await;
    assert_eq!(env.key_at("AWSCURRENT").await.unwrap().alg, "RS256");
    reconfigure(&mut env, |c| {
        c.key_spec = KeySpec::Ec {
            algorithm: Algorithm::ES256,
            curve: jwks_rotation_core::Curve::P256,
        };
    })
    .await;
    // A manual rotation right after the change ("rotate immediately") defers: nothing changes.
    env.advance(TimeDelta::hours(1));
    env.full_rotation().await;
    assert_eq!(env.key_at("AWSCURRENT").await.unwrap().alg, "RS256");
    // The next scheduled rotation promotes the RS256 NEXT (published for the full grace) and
    // publishes the first ES256 key as NEXT.
    env.advance(days(30));
    env.full_rotation().await;
    assert_eq!(env.key_at("AWSCURRENT").await.unwrap().alg, "RS256");
    assert_eq!(env.key_at("NEXT").await.unwrap().alg, "ES256");
    let a = algs(&env).await;
    assert!(
        a.contains(&"RS256".into()) && a.contains(&"ES256".into()),
        "{a:?}"
    );
    // An early rotation cannot make the ES256 key sign before its grace.
    env.advance(days(6));
    env.full_rotation().await;
    assert_eq!(env.key_at("AWSCURRENT").await.unwrap().alg, "RS256");
    // The rotation after that does; the RS256 key stays for its tokens.
    env.advance(days(24));
    env.full_rotation().await;
    assert_eq!(env.key_at("AWSCURRENT").await.unwrap().alg, "ES256");
    let a = algs(&env).await;
    assert!(
        a.contains(&"RS256".into()),
        "the retired RS256 key left too early: {a:?}"
    );
    // Once its retention is over, only ES256 keys remain.
    env.advance(TimeDelta::hours(8));
    env.action(json!({"action": "cleanup"})).await.unwrap();
    assert!(algs(&env).await.iter().all(|a| a == "ES256"));
    assert_signing_key_published(&env).await;
}

#[tokio::test]
async fn shortening_the_token_lifetime_keeps_retired_keys_for_the_old_one() {
    let mut cfg = config("ttl-change", "ttl-change");
    cfg.max_token_validity = Duration::from_days(20);
    let mut env = Env::new(cfg).await;
    env.full_rotation().await;
    let k1 = env.kid_at("AWSCURRENT").await.unwrap();
    env.advance(days(30));
    env.full_rotation().await; // k1 retires, its tokens live up to 20 days
    reconfigure(&mut env, |c| c.max_token_validity = Duration::from_hours(1)).await;
    env.advance(days(19));
    env.action(json!({"action": "cleanup"})).await.unwrap();
    assert!(
        env.published_kids().await.contains(&k1),
        "k1's tokens were issued for 20 days"
    );
    env.advance(days(2));
    env.action(json!({"action": "cleanup"})).await.unwrap();
    assert!(!env.published_kids().await.contains(&k1));
}

#[tokio::test]
async fn switching_kid_strategy_interval_and_grace_keeps_rotating() {
    let mut env = Env::new(config("misc-change", "misc-change")).await;
    env.full_rotation().await;
    reconfigure(&mut env, |c| {
        c.kid_strategy = KidStrategy::Thumbprint;
        c.rotation_interval = Duration::from_days(20);
        c.min_activation_grace_period = Duration::from_days(10);
    })
    .await;
    // NEXT was published 8 days ago: too young for the new 10-day grace.
    env.advance(days(8));
    let token = env.rotate_secret().await;
    let out = env.step("createSecret", &token).await.unwrap();
    assert_eq!(out["deferReason"], "NextTooNew");
    for step in ["setSecret", "testSecret", "finishSecret"] {
        env.step(step, &token).await.unwrap();
    }
    env.advance(days(2));
    env.full_rotation().await;
    env.advance(days(20));
    env.full_rotation().await;
    // The key made after the change carries an RFC 7638 thumbprint kid.
    let current = env.key_at("AWSCURRENT").await.unwrap();
    assert_eq!(current.kid, current.public_key_jwk.thumbprint());
    assert_signing_key_published(&env).await;
}
