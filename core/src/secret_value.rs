//! The JSON stored in each Secrets Manager version: the construct's fields (`privateKeyPem`,
//! `publicKeyJwk`, `kid`, `alg`, `createdAt`, `activatedAt`) plus a `rotation` record on the
//! versions that `createSecret` writes, which lets later steps act without extra reads.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use thiserror::Error;

use crate::jwks::{JwkError, PublicJwk};

/// The value the provider stores as the secret's first `AWSCURRENT` version, before the first
/// rotation has made a key. Signers that read it get no key, never a wrong one.
pub const PLACEHOLDER_VALUE: &str = r#"{"jwksRotation":"awaiting-first-rotation"}"#;

/// Why a stored value is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SecretValueError {
    /// Not JSON or lacking our fields. The message never quotes the value: it may hold a key.
    #[error(
        "the secret value is not a jwks-rotation key (expected JSON with privateKeyPem, publicKeyJwk, kid, alg, createdAt): {0}"
    )]
    NotOurs(String),
    /// The public key is unusable.
    #[error("the secret value's publicKeyJwk is invalid: {0}")]
    BadPublicKey(#[from] JwkError),
}

/// Why a version was written by `createSecret`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RotationKind {
    /// The first key of a deployment: signs at once, without pre-publication.
    Initial,
    /// The pre-published NEXT key is promoted.
    Promoted,
    /// The rotation came too early: the current key is kept.
    Deferred,
    /// An operator forced a fresh key into use.
    Emergency,
}

/// What a `createSecret` version records about its rotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RotationRecord {
    /// Promotion, deferral or first key.
    pub kind: RotationKind,
    /// Version id that was `AWSCURRENT` when the rotation began (the placeholder's for the first
    /// key): finishSecret moves `AWSCURRENT` away from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces_version_id: Option<String>,
    /// Version id the key was copied from (NEXT when promoted, AWSCURRENT when deferred).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_version_id: Option<String>,
}

/// One key as stored in a secret version.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretValue {
    /// PKCS#8 PEM of the private key.
    pub private_key_pem: String,
    /// The public key, with `kid`, `alg` and `use`.
    pub public_key_jwk: PublicJwk,
    /// Key id.
    pub kid: String,
    /// JWS algorithm.
    pub alg: String,
    /// When the key was generated.
    pub created_at: DateTime<Utc>,
    /// When the key began signing, where known at write time (see the README: the retention
    /// clock uses the activation recorded in the JWKS registry at `finishSecret`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activated_at: Option<DateTime<Utc>>,
    /// Present on versions written by `createSecret`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation: Option<RotationRecord>,
}

impl std::fmt::Debug for SecretValue {
    /// Never prints the private key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretValue")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("created_at", &self.created_at)
            .field("activated_at", &self.activated_at)
            .field("rotation", &self.rotation)
            .finish_non_exhaustive()
    }
}

/// A stored value: a key of ours, or the provider's placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredValue {
    /// The placeholder written at deployment, before the first rotation.
    Placeholder,
    /// A key.
    Key(Box<SecretValue>),
}

impl SecretValue {
    /// The value as JSON text for `PutSecretValue`.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The same key stored for a new purpose (a pending copy), with a rotation record.
    pub fn with_rotation(&self, record: RotationRecord) -> SecretValue {
        SecretValue {
            rotation: Some(record),
            ..self.clone()
        }
    }
}

impl StoredValue {
    /// Parses a stored secret string. The error never contains the text.
    pub fn parse(text: &str) -> Result<StoredValue, SecretValueError> {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            SecretValueError::NotOurs(format!(
                "not JSON (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        let Value::Object(map) = value else {
            return Err(SecretValueError::NotOurs("not a JSON object".into()));
        };
        if map.get("jwksRotation").and_then(Value::as_str) == Some("awaiting-first-rotation")
            && map.len() == 1
        {
            return Ok(StoredValue::Placeholder);
        }
        let missing: Vec<&str> = ["privateKeyPem", "publicKeyJwk", "kid", "alg", "createdAt"]
            .into_iter()
            .filter(|k| !map.contains_key(*k))
            .collect();
        if !missing.is_empty() {
            return Err(SecretValueError::NotOurs(format!(
                "missing {}",
                missing.join(", ")
            )));
        }
        let jwk_map: Map<String, Value> = map
            .get("publicKeyJwk")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
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
        // Rebuild the public key defensively, whatever was stored.
        let public_key_jwk = PublicJwk::from_jwk(&jwk_map, &kid, &alg)?;
        let mut map = map;
        map.insert(
            "publicKeyJwk".into(),
            Value::Object(public_key_jwk.members().clone()),
        );
        let value: SecretValue = serde_json::from_value(Value::Object(map))
            .map_err(|e| SecretValueError::NotOurs(strip_value(&e.to_string())))?;
        if !value
            .private_key_pem
            .starts_with("-----BEGIN PRIVATE KEY-----")
        {
            return Err(SecretValueError::NotOurs(
                "privateKeyPem is not a PKCS#8 PEM".into(),
            ));
        }
        Ok(StoredValue::Key(Box::new(value)))
    }

    /// The key, if this is one.
    pub fn key(&self) -> Option<&SecretValue> {
        match self {
            StoredValue::Placeholder => None,
            StoredValue::Key(k) => Some(k),
        }
    }
}

/// serde's messages can quote values; keep only the part before any quote.
fn strip_value(msg: &str) -> String {
    msg.split(['`', '"'])
        .next()
        .unwrap_or("invalid field")
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> String {
        json!({
            "privateKeyPem": "-----BEGIN PRIVATE KEY-----\nSECRETSECRET\n-----END PRIVATE KEY-----\n",
            "publicKeyJwk": {"kty":"OKP","crv":"Ed25519","x":"abc","d":"SECRETSECRET"},
            "kid": "k1", "alg": "EdDSA", "createdAt": "2026-01-01T00:00:00Z"
        })
        .to_string()
    }

    #[test]
    fn parses_ours_and_strips_private_members_from_the_public_key() {
        let v = StoredValue::parse(&sample()).unwrap();
        let key = v.key().unwrap();
        assert_eq!(key.kid, "k1");
        assert!(
            !serde_json::to_string(&key.public_key_jwk)
                .unwrap()
                .contains("SECRET")
        );
        assert!(!format!("{key:?}").contains("SECRET"));
        let again = StoredValue::parse(&key.to_json()).unwrap();
        assert_eq!(&again, &v);
    }

    #[test]
    fn placeholder_and_foreign_values() {
        assert_eq!(
            StoredValue::parse(PLACEHOLDER_VALUE).unwrap(),
            StoredValue::Placeholder
        );
        for bad in [
            "hunter2-SECRET",
            "{\"password\":\"SECRET\"}",
            "[1]",
            "{\"privateKeyPem\":\"SECRET\",\"publicKeyJwk\":{},\"kid\":\"k\",\"alg\":\"ES256\",\"createdAt\":\"x\"}",
        ] {
            let e = StoredValue::parse(bad).unwrap_err().to_string();
            assert!(!e.contains("SECRET"), "{e}");
        }
        let mut v: Value = serde_json::from_str(&sample()).unwrap();
        v["privateKeyPem"] = json!("SECRET");
        assert!(
            StoredValue::parse(&v.to_string())
                .unwrap_err()
                .to_string()
                .contains("PKCS#8")
        );
    }
}
