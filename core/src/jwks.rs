//! The published JSON Web Key Set: public keys only, each with `kid`, `alg` and `use: "sig"`.
//! Every key entering a document passes through [`PublicJwk::from_jwk`], which drops private
//! members whatever the source, so a private member can never reach the JWKS.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use thiserror::Error;

/// Media type the JWKS is published with (RFC 7517 §8.5).
pub const JWKS_CONTENT_TYPE: &str = "application/jwk-set+json";

/// JWK members that carry private or symmetric key material (RFC 7518 §6, RFC 8037).
pub const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// Public members kept per key type; anything else is dropped.
fn allowed_members(kty: &str) -> Option<&'static [&'static str]> {
    match kty {
        "RSA" => Some(&["kty", "n", "e"]),
        "EC" => Some(&["kty", "crv", "x", "y"]),
        "OKP" => Some(&["kty", "crv", "x"]),
        _ => None,
    }
}

/// Why a JWK could not be turned into a publishable public key.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum JwkError {
    /// `kty` is missing or not RSA, EC or OKP.
    #[error("JWK has unsupported or missing kty `{0}`: expected RSA, EC or OKP")]
    UnsupportedKeyType(String),
    /// A member needed for the key type is missing or not a string.
    #[error("JWK of type {kty} lacks the public member `{member}`")]
    MissingMember {
        /// Key type.
        kty: String,
        /// The missing member.
        member: &'static str,
    },
    /// `kid` or `alg` is empty.
    #[error("JWK needs a non-empty `{0}`")]
    MissingIdentity(&'static str),
    /// The text is not a JWK Set.
    #[error("not a JWK Set: {0}")]
    NotAJwkSet(String),
}

/// A public JSON Web Key ready to publish: only public members, plus `kid`, `alg`, `use: "sig"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Map<String, Value>", into = "Map<String, Value>")]
pub struct PublicJwk {
    members: Map<String, Value>,
}

impl PublicJwk {
    /// Builds a public key from any JWK (public or private) with the given identity; private
    /// and unknown members are dropped.
    pub fn from_jwk(jwk: &Map<String, Value>, kid: &str, alg: &str) -> Result<Self, JwkError> {
        if kid.is_empty() {
            return Err(JwkError::MissingIdentity("kid"));
        }
        if alg.is_empty() {
            return Err(JwkError::MissingIdentity("alg"));
        }
        let kty = jwk
            .get("kty")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let allowed =
            allowed_members(&kty).ok_or_else(|| JwkError::UnsupportedKeyType(kty.clone()))?;
        let mut members = Map::new();
        for &name in allowed {
            match jwk.get(name) {
                Some(Value::String(s)) if !s.is_empty() => {
                    members.insert(name.to_string(), Value::String(s.clone()));
                }
                _ => {
                    return Err(JwkError::MissingMember {
                        kty: kty.clone(),
                        member: name,
                    });
                }
            }
        }
        members.insert("kid".into(), Value::String(kid.into()));
        members.insert("alg".into(), Value::String(alg.into()));
        members.insert("use".into(), Value::String("sig".into()));
        Ok(PublicJwk { members })
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        self.members
            .get("kid")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The algorithm.
    pub fn alg(&self) -> &str {
        self.members
            .get("alg")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The key type (`RSA`, `EC`, `OKP`).
    pub fn kty(&self) -> &str {
        self.members
            .get("kty")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The members as a JSON object.
    pub fn members(&self) -> &Map<String, Value> {
        &self.members
    }

    /// RFC 7638 SHA-256 thumbprint, base64url without padding.
    pub fn thumbprint(&self) -> String {
        thumbprint(&self.members).unwrap_or_default()
    }
}

/// RFC 7638 SHA-256 thumbprint of a JWK (public or private), base64url without padding.
pub fn thumbprint(jwk: &Map<String, Value>) -> Result<String, JwkError> {
    let kty = jwk.get("kty").and_then(Value::as_str).unwrap_or_default();
    let required: &[&'static str] = match kty {
        "RSA" => &["e", "kty", "n"],
        "EC" => &["crv", "kty", "x", "y"],
        "OKP" => &["crv", "kty", "x"],
        other => return Err(JwkError::UnsupportedKeyType(other.to_string())),
    };
    // Members in lexicographic order, no whitespace: serde_json's Map keeps insertion order only
    // with the preserve_order feature, so the canonical text is written by hand.
    let mut canonical = String::from("{");
    for (i, &name) in required.iter().enumerate() {
        let value = jwk
            .get(name)
            .and_then(Value::as_str)
            .ok_or(JwkError::MissingMember {
                kty: kty.to_string(),
                member: name,
            })?;
        if i > 0 {
            canonical.push(',');
        }
        canonical.push_str(&Value::String(name.into()).to_string());
        canonical.push(':');
        canonical.push_str(&Value::String(value.into()).to_string());
    }
    canonical.push('}');
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(canonical.as_bytes())))
}

impl TryFrom<Map<String, Value>> for PublicJwk {
    type Error = JwkError;
    fn try_from(map: Map<String, Value>) -> Result<Self, Self::Error> {
        let kid = map
            .get("kid")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let alg = map
            .get("alg")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        PublicJwk::from_jwk(&map, &kid, &alg)
    }
}

impl From<PublicJwk> for Map<String, Value> {
    fn from(jwk: PublicJwk) -> Self {
        jwk.members
    }
}

/// A JSON Web Key Set document (`{"keys": [...]}`) with distinct kids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Jwks {
    /// The keys, signing key first.
    pub keys: Vec<PublicJwk>,
}

impl Jwks {
    /// Parses a published document. Keys that are not valid public keys are an error: the
    /// document is ours and is never edited by hand.
    pub fn parse(text: &[u8]) -> Result<Self, JwkError> {
        let jwks: Jwks =
            serde_json::from_slice(text).map_err(|e| JwkError::NotAJwkSet(e.to_string()))?;
        Ok(jwks.deduplicated())
    }

    /// The document as compact JSON bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serializing maps of strings cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// The key with `kid`, if present.
    pub fn get(&self, kid: &str) -> Option<&PublicJwk> {
        self.keys.iter().find(|k| k.kid() == kid)
    }

    /// The kids, in document order.
    pub fn kids(&self) -> Vec<&str> {
        self.keys.iter().map(PublicJwk::kid).collect()
    }

    /// The same set keeping only the first key of each kid.
    pub fn deduplicated(mut self) -> Self {
        let mut seen = std::collections::HashSet::new();
        self.keys.retain(|k| seen.insert(k.kid().to_string()));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn private_members_are_dropped() {
        let private = obj(
            json!({"kty":"EC","crv":"P-256","x":"xx","y":"yy","d":"secret","kid":"old","ext":true}),
        );
        let jwk = PublicJwk::from_jwk(&private, "k1", "ES256").unwrap();
        let text = serde_json::to_string(&jwk).unwrap();
        assert!(
            !text.contains("secret") && !text.contains("\"d\""),
            "{text}"
        );
        assert_eq!(jwk.kid(), "k1");
        assert_eq!(jwk.members().get("use"), Some(&json!("sig")));
        let rsa = obj(
            json!({"kty":"RSA","n":"nn","e":"AQAB","d":"1","p":"2","q":"3","dp":"4","dq":"5","qi":"6"}),
        );
        let jwk = PublicJwk::from_jwk(&rsa, "k2", "RS256").unwrap();
        for m in PRIVATE_MEMBERS {
            assert!(!jwk.members().contains_key(m), "{m}");
        }
    }

    #[test]
    fn symmetric_and_incomplete_keys_are_refused() {
        assert!(matches!(
            PublicJwk::from_jwk(&obj(json!({"kty":"oct","k":"abc"})), "k", "HS256"),
            Err(JwkError::UnsupportedKeyType(_))
        ));
        assert!(matches!(
            PublicJwk::from_jwk(&obj(json!({"kty":"RSA","n":"nn"})), "k", "RS256"),
            Err(JwkError::MissingMember { member: "e", .. })
        ));
        assert!(
            PublicJwk::from_jwk(
                &obj(json!({"kty":"OKP","crv":"Ed25519","x":"x"})),
                "",
                "EdDSA"
            )
            .is_err()
        );
    }

    #[test]
    fn rfc7638_example_thumbprint() {
        // RFC 7638 §3.1 example.
        let jwk = obj(json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        }));
        assert_eq!(
            thumbprint(&jwk).unwrap(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn parse_deduplicates_and_round_trips() {
        let doc = json!({"keys":[
            {"kty":"OKP","crv":"Ed25519","x":"a","kid":"k1","alg":"EdDSA","use":"sig"},
            {"kty":"OKP","crv":"Ed25519","x":"b","kid":"k1","alg":"EdDSA","use":"sig"},
            {"kty":"OKP","crv":"Ed25519","x":"c","kid":"k2","alg":"EdDSA","use":"sig","d":"private"}
        ]});
        let jwks = Jwks::parse(doc.to_string().as_bytes()).unwrap();
        assert_eq!(jwks.kids(), vec!["k1", "k2"]);
        let text = String::from_utf8(jwks.to_bytes()).unwrap();
        assert!(!text.contains("private"));
        assert_eq!(Jwks::parse(text.as_bytes()).unwrap(), jwks);
        assert!(Jwks::parse(b"{\"nope\":1}").is_err());
    }
}
