//! Key pairs with josekit: generation (RS*/PS* with the configured modulus, ES256/384/512 on
//! their curves, EdDSA on Ed25519), PKCS#8 PEM for the secret, the public JWK for the JWKS, and
//! the sign-then-verify check of `testSecret`.
//!
//! josekit knows Ed25519 signatures only under the polymorphic name `EdDSA`. RFC 9864's fully
//! specified `Ed25519` is the same signature over the same key, so its signer and verifier are
//! josekit's EdDSA ones behind [`FullySpecified`], which changes only the name: the header
//! `alg` written and the one a token must carry to verify.
//!
//! RSA keys are stored as plain `rsaEncryption` PKCS#8 also for PS*: signers in other stacks
//! (Go's `x509.ParsePKCS8PrivateKey`, Rust's `jsonwebtoken`) refuse the `id-RSASSA-PSS` form.
//! Errors name the algorithm and josekit's message, never key material.

use chrono::{DateTime, Utc};
use josekit::jwk::Jwk;
use josekit::jwk::KeyPair;
use josekit::jwk::alg::ed::EdCurve;
use josekit::jwk::alg::rsa::RsaKeyPair;
use josekit::jws::{self, JwsHeader, JwsSigner, JwsVerifier};
use josekit::jwt::{self, JwtPayload};
use jwks_rotation_core::{Algorithm, KeySpec, KidStrategy, PublicJwk, SecretValue};

use crate::error::Error;

fn key_error(alg: Algorithm, e: impl std::fmt::Display) -> Error {
    Error::Key {
        alg: alg.to_string(),
        reason: e.to_string(),
    }
}

/// The JOSE algorithm `Ed25519` (RFC 9864), for josekit, which names only `EdDSA`.
#[derive(Debug, Clone, Copy)]
struct Ed25519Name;

impl jws::JwsAlgorithm for Ed25519Name {
    fn name(&self) -> &str {
        Algorithm::Ed25519.as_str()
    }
    fn box_clone(&self) -> Box<dyn jws::JwsAlgorithm> {
        Box::new(*self)
    }
}

/// A josekit EdDSA signer or verifier that goes by the fully specified name `Ed25519`: the
/// signature is unchanged (RFC 9864 §2.2 defines `Ed25519` as EdDSA with the Ed25519 curve),
/// josekit writes the name into the header when signing and requires it when verifying.
#[derive(Debug, Clone)]
pub struct FullySpecified<T>(T);

impl<T: JwsSigner + Clone + 'static> JwsSigner for FullySpecified<T> {
    fn algorithm(&self) -> &dyn jws::JwsAlgorithm {
        &Ed25519Name
    }
    fn key_id(&self) -> Option<&str> {
        self.0.key_id()
    }
    fn signature_len(&self) -> usize {
        self.0.signature_len()
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, josekit::JoseError> {
        self.0.sign(message)
    }
    fn box_clone(&self) -> Box<dyn JwsSigner> {
        Box::new(self.clone())
    }
}

impl<T: JwsVerifier + Clone + 'static> JwsVerifier for FullySpecified<T> {
    fn algorithm(&self) -> &dyn jws::JwsAlgorithm {
        &Ed25519Name
    }
    fn key_id(&self) -> Option<&str> {
        self.0.key_id()
    }
    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), josekit::JoseError> {
        self.0.verify(message, signature)
    }
    fn box_clone(&self) -> Box<dyn JwsVerifier> {
        Box::new(self.clone())
    }
}

/// A fresh kid: 21 nanoid characters.
pub fn random_kid() -> String {
    nanoid::nanoid!()
}

/// Generates a key pair for `spec` and returns it as a stored value (no rotation record).
pub fn generate(
    spec: KeySpec,
    kid_strategy: KidStrategy,
    now: DateTime<Utc>,
) -> Result<SecretValue, Error> {
    let alg = spec.algorithm();
    let (pem, public): (Vec<u8>, Jwk) = match spec {
        KeySpec::Rsa { bits, .. } => {
            let pair = jws::RS256
                .generate_key_pair(bits)
                .map_err(|e| key_error(alg, e))?;
            (pair.to_pem_private_key(), pair.to_jwk_public_key())
        }
        KeySpec::Ec { .. } => {
            let pair = match alg {
                Algorithm::ES384 => jws::ES384.generate_key_pair(),
                Algorithm::ES512 => jws::ES512.generate_key_pair(),
                _ => jws::ES256.generate_key_pair(),
            }
            .map_err(|e| key_error(alg, e))?;
            (pair.to_pem_private_key(), pair.to_jwk_public_key())
        }
        KeySpec::Ed25519 | KeySpec::Ed25519FullySpecified => {
            let pair = jws::EdDSA
                .generate_key_pair(EdCurve::Ed25519)
                .map_err(|e| key_error(alg, e))?;
            (pair.to_pem_private_key(), pair.to_jwk_public_key())
        }
    };
    let members = public.as_ref();
    let kid = match kid_strategy {
        KidStrategy::Random => random_kid(),
        KidStrategy::Thumbprint => {
            jwks_rotation_core::jwks::thumbprint(members).map_err(|e| key_error(alg, e))?
        }
    };
    let public_key_jwk =
        PublicJwk::from_jwk(members, &kid, alg.as_str()).map_err(|e| key_error(alg, e))?;
    let private_key_pem = String::from_utf8(pem).map_err(|e| key_error(alg, e))?;
    Ok(SecretValue {
        private_key_pem,
        public_key_jwk,
        kid,
        alg: alg.to_string(),
        created_at: now,
        activated_at: None,
        rotation: None,
    })
}

/// A josekit signer for a stored key.
pub fn signer(value: &SecretValue) -> Result<Box<dyn JwsSigner>, Error> {
    let alg: Algorithm = value.alg.parse().map_err(|e| Error::Key {
        alg: value.alg.clone(),
        reason: format!("{e}"),
    })?;
    let pem = value.private_key_pem.as_bytes();
    let err = |e: josekit::JoseError| key_error(alg, e);
    let pss =
        |a: &jws::alg::rsassa_pss::RsassaPssJwsAlgorithm| -> Result<Box<dyn JwsSigner>, Error> {
            let jwk = RsaKeyPair::from_pem(pem).map_err(err)?.to_jwk_key_pair();
            Ok(Box::new(a.signer_from_jwk(&jwk).map_err(err)?))
        };
    Ok(match alg {
        Algorithm::RS256 => Box::new(jws::RS256.signer_from_pem(pem).map_err(err)?),
        Algorithm::RS384 => Box::new(jws::RS384.signer_from_pem(pem).map_err(err)?),
        Algorithm::RS512 => Box::new(jws::RS512.signer_from_pem(pem).map_err(err)?),
        Algorithm::PS256 => pss(&jws::PS256)?,
        Algorithm::PS384 => pss(&jws::PS384)?,
        Algorithm::PS512 => pss(&jws::PS512)?,
        Algorithm::ES256 => Box::new(jws::ES256.signer_from_pem(pem).map_err(err)?),
        Algorithm::ES384 => Box::new(jws::ES384.signer_from_pem(pem).map_err(err)?),
        Algorithm::ES512 => Box::new(jws::ES512.signer_from_pem(pem).map_err(err)?),
        Algorithm::EdDSA => Box::new(jws::EdDSA.signer_from_pem(pem).map_err(err)?),
        Algorithm::Ed25519 => Box::new(FullySpecified(
            jws::EdDSA.signer_from_pem(pem).map_err(err)?,
        )),
    })
}

/// A josekit verifier for a published key.
pub fn verifier(public: &PublicJwk) -> Result<Box<dyn JwsVerifier>, Error> {
    let alg: Algorithm = public.alg().parse().map_err(|e| Error::Key {
        alg: public.alg().to_string(),
        reason: format!("{e}"),
    })?;
    let err = |e: josekit::JoseError| key_error(alg, e);
    let mut members = public.members().clone();
    if alg == Algorithm::Ed25519 {
        // josekit's EdDSA verifier refuses a JWK whose `alg` is not `EdDSA`; the name was read
        // above and is enforced on the token by `FullySpecified`.
        members.remove("alg");
    }
    let jwk = Jwk::from_map(members).map_err(err)?;
    Ok(match alg {
        Algorithm::RS256 => Box::new(jws::RS256.verifier_from_jwk(&jwk).map_err(err)?),
        Algorithm::RS384 => Box::new(jws::RS384.verifier_from_jwk(&jwk).map_err(err)?),
        Algorithm::RS512 => Box::new(jws::RS512.verifier_from_jwk(&jwk).map_err(err)?),
        Algorithm::PS256 => Box::new(jws::PS256.verifier_from_jwk(&jwk).map_err(err)?),
        Algorithm::PS384 => Box::new(jws::PS384.verifier_from_jwk(&jwk).map_err(err)?),
        Algorithm::PS512 => Box::new(jws::PS512.verifier_from_jwk(&jwk).map_err(err)?),
        Algorithm::ES256 => Box::new(jws::ES256.verifier_from_jwk(&jwk).map_err(err)?),
        Algorithm::ES384 => Box::new(jws::ES384.verifier_from_jwk(&jwk).map_err(err)?),
        Algorithm::ES512 => Box::new(jws::ES512.verifier_from_jwk(&jwk).map_err(err)?),
        Algorithm::EdDSA => Box::new(jws::EdDSA.verifier_from_jwk(&jwk).map_err(err)?),
        Algorithm::Ed25519 => Box::new(FullySpecified(
            jws::EdDSA.verifier_from_jwk(&jwk).map_err(err)?,
        )),
    })
}

/// Signs a JWT with the stored private key.
pub fn sign(value: &SecretValue, subject: &str) -> Result<String, Error> {
    let signer = signer(value)?;
    let mut header = JwsHeader::new();
    header.set_token_type("JWT");
    header.set_key_id(value.kid.clone());
    let mut payload = JwtPayload::new();
    payload.set_subject(subject);
    jwt::encode_with_signer(&payload, &header, &*signer).map_err(|e| Error::Key {
        alg: value.alg.clone(),
        reason: e.to_string(),
    })
}

/// Signs a token with the stored private key and verifies it with `public` (the key as
/// published): proves the pair belongs together and the published key is usable.
pub fn sign_and_verify(value: &SecretValue, public: &PublicJwk) -> Result<(), Error> {
    let token = sign(value, "jwks-rotation-test")?;
    let verifier = verifier(public)?;
    let (payload, header) = jwt::decode_with_verifier(&token, &*verifier).map_err(|e| {
        Error::test_failed(format!(
            "a token signed by kid `{}` does not verify with the published key: {e}",
            value.kid
        ))
    })?;
    if header.key_id() != Some(value.kid.as_str())
        || payload.subject() != Some("jwks-rotation-test")
    {
        return Err(Error::test_failed(format!(
            "the token signed by kid `{}` came back altered",
            value.kid
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jwks_rotation_core::{Curve, KeySpecInput};

    fn spec(alg: &str, bits: Option<i64>) -> KeySpec {
        KeySpec::from_input(&KeySpecInput {
            algorithm: alg.into(),
            crv: None,
            modulus_length: bits,
        })
        .unwrap()
    }

    #[test]
    fn every_algorithm_family_generates_signs_and_verifies() {
        let now = Utc::now();
        for (alg, bits) in [
            ("RS256", None),
            ("RS512", None),
            ("PS256", None),
            ("PS384", Some(3072)),
            ("ES256", None),
            ("ES384", None),
            ("ES512", None),
            ("EdDSA", None),
            ("Ed25519", None),
        ] {
            let key = generate(spec(alg, bits), KidStrategy::Random, now).unwrap();
            assert_eq!(key.kid.len(), 21);
            assert!(
                key.private_key_pem
                    .starts_with("-----BEGIN PRIVATE KEY-----")
            );
            sign_and_verify(&key, &key.public_key_jwk).unwrap();
            // A foreign public key must not verify.
            let other = generate(spec(alg, bits), KidStrategy::Random, now).unwrap();
            assert!(
                sign_and_verify(&key, &other.public_key_jwk).is_err(),
                "{alg}"
            );
            if let Some(bits) = bits {
                let n = key.public_key_jwk.members()["n"].as_str().unwrap().len();
                assert_eq!(n, (bits as usize / 8 * 4).div_ceil(3), "{alg}");
            }
        }
        let ec = spec("ES512", None);
        assert_eq!(ec.curve(), Some(Curve::P521));
    }

    fn header_alg(token: &str) -> String {
        let header = jwt::decode_header(token).unwrap();
        header.claim("alg").unwrap().as_str().unwrap().to_string()
    }

    #[test]
    fn ed25519_signs_under_its_fully_specified_name() {
        let now = Utc::now();
        let named = generate(spec("Ed25519", None), KidStrategy::Random, now).unwrap();
        assert_eq!(named.alg, "Ed25519");
        assert_eq!(named.public_key_jwk.alg(), "Ed25519");
        let m = named.public_key_jwk.members();
        assert_eq!(
            (m["kty"].as_str(), m["crv"].as_str()),
            (Some("OKP"), Some("Ed25519"))
        );
        let token = sign(&named, "s").unwrap();
        assert_eq!(header_alg(&token), "Ed25519");

        let legacy = generate(spec("EdDSA", None), KidStrategy::Random, now).unwrap();
        assert_eq!(legacy.public_key_jwk.alg(), "EdDSA");
        assert_eq!(header_alg(&sign(&legacy, "s").unwrap()), "EdDSA");

        // The signature is the same EdDSA signature: the key published as `EdDSA` verifies
        // the bytes, but the name is enforced both ways, so a token never verifies under a
        // JWK that announces the other name.
        let mut as_eddsa = named.clone();
        as_eddsa.alg = "EdDSA".into();
        as_eddsa.public_key_jwk = PublicJwk::from_jwk(m, &named.kid, "EdDSA").unwrap();
        sign_and_verify(&as_eddsa, &as_eddsa.public_key_jwk).unwrap();
        assert!(sign_and_verify(&named, &as_eddsa.public_key_jwk).is_err());
        assert!(sign_and_verify(&as_eddsa, &named.public_key_jwk).is_err());
    }

    #[test]
    fn thumbprint_kids_are_rfc7638() {
        let key = generate(KeySpec::Ed25519, KidStrategy::Thumbprint, Utc::now()).unwrap();
        assert_eq!(key.kid, key.public_key_jwk.thumbprint());
        assert_eq!(key.kid.len(), 43);
    }
}
