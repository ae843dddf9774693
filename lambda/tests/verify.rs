//! Keys as a verifier and a signer elsewhere see them: every algorithm family through a full
//! rotation, and the JWKS fetched anonymously over plain HTTP verifying, with the
//! `jsonwebtoken` crate (not josekit), a token signed with the AWSCURRENT private key.

mod support;

use std::sync::Arc;

use jsonwebtoken::{Algorithm as JwtAlg, DecodingKey, EncodingKey, Header, Validation};
use jwks_rotation_core::{Algorithm, KeySpec, KeySpecInput, SecretValue};
use jwks_rotation_lambda::keygen;
use serde_json::{Value, json};
use support::{Env, Moto, config};

fn jwt_alg(alg: Algorithm) -> Option<JwtAlg> {
    Some(match alg {
        Algorithm::RS256 => JwtAlg::RS256,
        Algorithm::RS384 => JwtAlg::RS384,
        Algorithm::RS512 => JwtAlg::RS512,
        Algorithm::PS256 => JwtAlg::PS256,
        Algorithm::PS384 => JwtAlg::PS384,
        Algorithm::PS512 => JwtAlg::PS512,
        Algorithm::ES256 => JwtAlg::ES256,
        Algorithm::ES384 => JwtAlg::ES384,
        Algorithm::EdDSA => JwtAlg::EdDSA,
        Algorithm::ES512 => return None, // jsonwebtoken has no ES512
        // jsonwebtoken knows this signature only as `EdDSA`: tests/ed25519.rs checks it.
        Algorithm::Ed25519 => return None,
    })
}

/// Signs with jsonwebtoken from the stored PKCS#8 PEM and verifies with jsonwebtoken from the
/// published JWK.
fn jsonwebtoken_round_trip(key: &SecretValue, jwks: &Value) {
    let alg: Algorithm = key.alg.parse().unwrap();
    let Some(jalg) = jwt_alg(alg) else { return };
    let pem = key.private_key_pem.as_bytes();
    let encoding = match alg.family() {
        jwks_rotation_core::key_spec::KeyFamily::Rsa => EncodingKey::from_rsa_pem(pem),
        jwks_rotation_core::key_spec::KeyFamily::Ec => EncodingKey::from_ec_pem(pem),
        jwks_rotation_core::key_spec::KeyFamily::Okp => EncodingKey::from_ed_pem(pem),
    }
    .unwrap_or_else(|e| panic!("{alg}: jsonwebtoken cannot load the stored PEM: {e}"));
    let mut header = Header::new(jalg);
    header.kid = Some(key.kid.clone());
    let exp = chrono::Utc::now().timestamp() + 600;
    let token =
        jsonwebtoken::encode(&header, &json!({"sub": "user-1", "exp": exp}), &encoding).unwrap();
    let kid = jsonwebtoken::decode_header(&token).unwrap().kid.unwrap();
    let jwk_value = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .unwrap_or_else(|| panic!("{alg}: kid {kid} not in the JWKS"))
        .clone();
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk_value).unwrap();
    let decoding = DecodingKey::from_jwk(&jwk).unwrap();
    let data = jsonwebtoken::decode::<Value>(&token, &decoding, &Validation::new(jalg)).unwrap();
    assert_eq!(data.claims["sub"], "user-1");
    // A tampered token does not verify.
    let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
    parts[1] = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        json!({"sub": "admin", "exp": exp}).to_string(),
    );
    assert!(
        jsonwebtoken::decode::<Value>(&parts.join("."), &decoding, &Validation::new(jalg)).is_err()
    );
}

#[tokio::test]
async fn every_algorithm_family_rotates_signs_and_verifies() {
    let moto = Arc::new(Moto::start());
    for (i, (alg, bits)) in [
        ("RS256", None),
        ("PS384", None),
        ("ES256", None),
        ("ES384", None),
        ("ES512", None),
        ("EdDSA", None),
        ("RS512", Some(4096)),
    ]
    .into_iter()
    .enumerate()
    {
        let mut cfg = config(&format!("alg-{i}"), &format!("alg-{i}"));
        cfg.key_spec = KeySpec::from_input(&KeySpecInput {
            algorithm: alg.into(),
            crv: None,
            modulus_length: bits,
        })
        .unwrap();
        let env = Env::on(moto.clone(), cfg).await;
        env.full_rotation().await; // includes testSecret: josekit signs and verifies
        let key = env.key_at("AWSCURRENT").await.unwrap();
        assert_eq!(key.alg, alg);
        let next = env.key_at("NEXT").await.unwrap();
        let (body, _) = env.jwks_raw().await.unwrap();
        let jwks: Value = serde_json::from_str(&body).unwrap();
        for k in jwks["keys"].as_array().unwrap() {
            assert_eq!(k["alg"], alg);
            assert_eq!(k["use"], "sig");
        }
        jsonwebtoken_round_trip(&key, &jwks);
        jsonwebtoken_round_trip(&next, &jwks);
        let parsed = jwks_rotation_core::Jwks::parse(body.as_bytes()).unwrap();
        keygen::sign_and_verify(&key, parsed.get(&key.kid).unwrap()).unwrap();
        if let Some(bits) = bits {
            let n = jwks["keys"][0]["n"].as_str().unwrap();
            assert_eq!(n.len(), (bits as usize / 8 * 4).div_ceil(3));
        }
    }
}

#[tokio::test]
async fn anonymous_http_client_fetches_the_jwks_and_verifies_a_token() {
    let mut cfg = config("http", "public-jwks");
    // Not `.well-known/jwks.json`: moto answers unsigned GETs of that path itself.
    cfg.object_key = "keys/jwks.json".into();
    cfg.cache_control = "public, max-age=120".into();
    let env = Env::new(cfg).await;
    env.s3
        .put_bucket_policy()
        .bucket("public-jwks")
        .policy(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
                "Action": "s3:GetObject", "Resource": "arn:aws:s3:::public-jwks/keys/jwks.json"}]})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    env.full_rotation().await;
    let url = format!("{}/public-jwks/keys/jwks.json", env.moto.endpoint);
    let mut response = ureq::get(&url).call().unwrap();
    let content_type = response
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let cache_control = response
        .headers()
        .get("cache-control")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(content_type, "application/jwk-set+json");
    assert_eq!(cache_control, "public, max-age=120");
    let jwks: Value = serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
    let key = env.key_at("AWSCURRENT").await.unwrap();
    jsonwebtoken_round_trip(&key, &jwks);
    // Only that object is public.
    env.s3
        .put_object()
        .bucket("public-jwks")
        .key("private.txt")
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap();
    let denied = ureq::get(format!("{}/public-jwks/private.txt", env.moto.endpoint)).call();
    assert!(denied.is_err());
}

#[tokio::test]
async fn thumbprint_kids_are_the_rfc7638_thumbprint_of_the_published_key() {
    let mut cfg = config("thumb", "thumb");
    cfg.kid_strategy = jwks_rotation_core::KidStrategy::Thumbprint;
    let env = Env::new(cfg).await;
    env.full_rotation().await;
    let (body, _) = env.jwks_raw().await.unwrap();
    let jwks = jwks_rotation_core::Jwks::parse(body.as_bytes()).unwrap();
    assert_eq!(jwks.keys.len(), 2);
    for key in &jwks.keys {
        assert_eq!(key.kid(), key.thumbprint());
        assert_eq!(key.kid().len(), 43);
    }
}
