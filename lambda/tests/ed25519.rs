//! `algorithm: Ed25519` (RFC 9864's fully specified name for EdDSA on Ed25519), against moto:
//! a deployment configured with it rotates, publishes OKP Ed25519 keys with `alg: Ed25519`,
//! its tokens carry header `alg: Ed25519` and verify with the published key (with josekit as
//! `testSecret` does, and the bare Ed25519 signature with the `jsonwebtoken` crate); and a
//! deployment that moves from `EdDSA` to `Ed25519` keeps its `EdDSA` keys verifying while the
//! new name takes over through the normal pre-publication.

mod support;

use chrono::TimeDelta;
use jsonwebtoken::{Algorithm as JwtAlg, DecodingKey};
use jwks_rotation_core::{Jwks, KeySpec, KeySpecInput, SecretValue};
use jwks_rotation_lambda::{Deps, MetricsSink, keygen};
use serde_json::{Value, json};
use support::{Env, assert_signing_key_published, config};

fn ed25519_spec(algorithm: &str) -> KeySpec {
    KeySpec::from_input(&KeySpecInput {
        algorithm: algorithm.into(),
        crv: None,
        modulus_length: None,
    })
    .expect("a valid key spec")
}

fn header_alg(token: &str) -> String {
    let head = token.split('.').next().expect("a compact JWS");
    let bytes =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, head).unwrap();
    let header: Value = serde_json::from_slice(&bytes).unwrap();
    header["alg"].as_str().unwrap_or_default().to_string()
}

/// Verifies the token's signature over `header.payload` with the published `x` alone, with
/// jsonwebtoken's Ed25519 (it knows the signature as `EdDSA`; the bytes are the same).
fn ed25519_signature_verifies(token: &str, jwk: &Value) -> bool {
    let (signing_input, signature) = token.rsplit_once('.').expect("a compact JWS");
    let x = jwk["x"].as_str().expect("x");
    let key = DecodingKey::from_ed_components(x).expect("an Ed25519 public key");
    jsonwebtoken::crypto::verify(signature, signing_input.as_bytes(), &key, JwtAlg::EdDSA)
        .unwrap_or(false)
}

async fn jwks(env: &Env) -> (Value, Jwks) {
    let (body, _) = env.jwks_raw().await.expect("a JWKS");
    (
        serde_json::from_str(&body).unwrap(),
        Jwks::parse(body.as_bytes()).unwrap(),
    )
}

fn published<'a>(jwks: &'a Value, kid: &str) -> &'a Value {
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid)
        .unwrap_or_else(|| panic!("kid {kid} not published"))
}

fn assert_signs_and_verifies(key: &SecretValue, raw: &Value, parsed: &Jwks, alg: &str) {
    let token = keygen::sign(key, "user-1").unwrap();
    assert_eq!(header_alg(&token), alg);
    let jwk = published(raw, &key.kid);
    assert!(
        ed25519_signature_verifies(&token, jwk),
        "{alg}: not an Ed25519 signature"
    );
    keygen::sign_and_verify(key, parsed.get(&key.kid).unwrap()).unwrap();
}

#[tokio::test]
async fn ed25519_rotates_publishes_and_verifies_under_its_fully_specified_name() {
    let mut cfg = config("ed25519", "ed25519");
    cfg.key_spec = ed25519_spec("Ed25519");
    cfg.validate().unwrap();
    // What the provider writes and the Lambda reads back.
    let env_vars = cfg.to_env();
    assert_eq!(
        env_vars
            .get(jwks_rotation_core::config::env::KEY_ALGORITHM)
            .map(String::as_str),
        Some("Ed25519")
    );
    let env = Env::new(cfg).await;
    env.full_rotation().await; // testSecret signs and verifies with josekit
    env.advance(TimeDelta::days(30));
    env.full_rotation().await;

    let (raw, parsed) = jwks(&env).await;
    let keys = raw["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 3, "retired, signing, NEXT: {raw}");
    for k in keys {
        assert_eq!(
            (&k["kty"], &k["crv"], &k["alg"], &k["use"]),
            (
                &json!("OKP"),
                &json!("Ed25519"),
                &json!("Ed25519"),
                &json!("sig")
            ),
            "{k}"
        );
        assert!(k.get("d").is_none(), "private member published: {k}");
    }
    for stage in ["AWSCURRENT", "NEXT", "AWSPREVIOUS"] {
        let key = env.key_at(stage).await.unwrap();
        assert_eq!(key.alg, "Ed25519", "{stage}");
        assert_signs_and_verifies(&key, &raw, &parsed, "Ed25519");
    }
    // A tampered token is refused.
    let key = env.key_at("AWSCURRENT").await.unwrap();
    let token = keygen::sign(&key, "user-1").unwrap();
    let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
    parts[1] = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        json!({"sub": "admin"}).to_string(),
    );
    let forged = parts.join(".");
    assert!(!ed25519_signature_verifies(
        &forged,
        published(&raw, &key.kid)
    ));
    assert_signing_key_published(&env).await;
}

#[tokio::test]
async fn moving_from_eddsa_to_ed25519_keeps_the_eddsa_keys_verifying() {
    let mut cfg = config("eddsa-to-ed25519", "eddsa-to-ed25519");
    cfg.key_spec = ed25519_spec("EdDSA");
    let mut env = Env::new(cfg).await;
    env.full_rotation().await;
    let first = env.key_at("AWSCURRENT").await.unwrap();
    assert_eq!(first.alg, "EdDSA");
    let (raw, parsed) = jwks(&env).await;
    assert_signs_and_verifies(&first, &raw, &parsed, "EdDSA");

    // `pulumi up` with `algorithm: Ed25519`: a new environment for the function.
    let mut new_cfg = env.deps.config.clone();
    new_cfg.key_spec = ed25519_spec("Ed25519");
    new_cfg.validate().unwrap();
    let sdk = env.moto.sdk().await;
    env.deps = Deps::new(
        &sdk,
        true,
        new_cfg,
        env.clock.clone(),
        MetricsSink::Memory(env.metrics.clone()),
    );
    // The EdDSA NEXT signs next (it was published for the grace); the new NEXT is Ed25519.
    env.advance(TimeDelta::days(30));
    env.full_rotation().await;
    let current = env.key_at("AWSCURRENT").await.unwrap();
    let next = env.key_at("NEXT").await.unwrap();
    assert_eq!(
        (current.alg.as_str(), next.alg.as_str()),
        ("EdDSA", "Ed25519")
    );
    let (raw, parsed) = jwks(&env).await;
    let algs: Vec<&str> = raw["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["alg"].as_str().unwrap())
        .collect();
    assert!(
        algs.contains(&"EdDSA") && algs.contains(&"Ed25519"),
        "{algs:?}"
    );
    // Every key verifies under the name it was published with.
    assert_signs_and_verifies(&first, &raw, &parsed, "EdDSA");
    assert_signs_and_verifies(&current, &raw, &parsed, "EdDSA");
    assert_signs_and_verifies(&next, &raw, &parsed, "Ed25519");
    // The next rotation makes the Ed25519 key sign.
    env.advance(TimeDelta::days(30));
    env.full_rotation().await;
    assert_eq!(env.key_at("AWSCURRENT").await.unwrap().alg, "Ed25519");
    assert_signing_key_published(&env).await;
}
