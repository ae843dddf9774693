//! testSecret: the pending private key must sign a token that verifies with the key published
//! under its kid, and the published document must be clean (no private member, every key with
//! `kid`, `alg`, `use: "sig"`, no kid twice).
//!
//! AWS calls: GetSecretValue(token, AWSPENDING), GetObject (DescribeSecret only on error).

use std::collections::HashSet;

use jwks_rotation_core::jwks::PRIVATE_MEMBERS;
use serde_json::Value;

use super::{Outcome, Report, read_pending};
use crate::deps::Deps;
use crate::error::Error;
use crate::keygen;
use crate::store::JwksStore;

/// Checks a raw JWKS document: invariant 4.
pub fn check_document(raw: &[u8]) -> Result<(), Error> {
    let doc: Value = serde_json::from_slice(raw)
        .map_err(|e| Error::TestFailed(format!("the published JWKS is not JSON: {e}")))?;
    let keys = doc
        .get("keys")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::TestFailed("the published JWKS has no `keys` array".into()))?;
    let mut kids = HashSet::new();
    for key in keys {
        let obj = key
            .as_object()
            .ok_or_else(|| Error::TestFailed("a published key is not an object".into()))?;
        let kid = obj.get("kid").and_then(Value::as_str).unwrap_or_default();
        if let Some(m) = PRIVATE_MEMBERS.iter().find(|m| obj.contains_key(**m)) {
            return Err(Error::TestFailed(format!(
                "published key `{kid}` carries the private member `{m}`"
            )));
        }
        let alg = obj.get("alg").and_then(Value::as_str).unwrap_or_default();
        let use_ = obj.get("use").and_then(Value::as_str).unwrap_or_default();
        if kid.is_empty() || alg.is_empty() || use_ != "sig" {
            return Err(Error::TestFailed(format!(
                "published key `{kid}` lacks kid, alg or use=sig"
            )));
        }
        if !kids.insert(kid.to_string()) {
            return Err(Error::TestFailed(format!("kid `{kid}` is published twice")));
        }
    }
    Ok(())
}

/// Runs testSecret for `token`.
pub async fn run(deps: &Deps, token: &str) -> Result<Report, Error> {
    let pending = read_pending(deps, token).await?;
    let Some(key) = pending.key() else {
        return Err(Error::TestFailed(format!(
            "version `{token}` holds the placeholder, not a key"
        )));
    };
    let Some(object) = JwksStore::new(deps).get(deps.now()).await? else {
        return Err(Error::TestFailed(
            "the JWKS object does not exist; createSecret publishes it".into(),
        ));
    };
    check_document(&object.raw)?;
    let Some(state) = object.published.get(&key.kid) else {
        return Err(Error::TestFailed(format!(
            "the pending key `{}` is not in the published JWKS",
            key.kid
        )));
    };
    if state.jwk != key.public_key_jwk {
        return Err(Error::TestFailed(format!(
            "the key published as `{}` is not the pending key's public key",
            key.kid
        )));
    }
    keygen::sign_and_verify(key, &state.jwk)?;
    Ok(Report {
        outcome: Outcome::Tested,
        published: Some(object.published),
    })
}
