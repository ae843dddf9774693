//! finishSecret: move `AWSCURRENT` to the token (unless an earlier try did), make sure a usable
//! NEXT key exists, and reconcile the JWKS, which stamps the activation of the new signing key
//! and the retirement of the old one now, at finish time (the construct's defect 3).
//!
//! Which NEXT key stands is read from the JWKS that createSecret reconciled with the secret's
//! labels: the one published key that never signed, is not revoked and is not the new signing
//! key. None means finishSecret puts a fresh NEXT under `uuid5(token, "next")`; more than one
//! (only after an interrupted emergency action) is settled by reading the NEXT label.
//!
//! AWS calls: GetSecretValue(token, AWSPENDING), UpdateSecretVersionStage, GetObject,
//! PutSecretValue(NEXT) when a fresh NEXT is needed, PutObject when the JWKS changes.

use jwks_rotation_core::lifecycle::{self, SecretKeys};
use jwks_rotation_core::{PublicJwk, SecretValue};

use super::{Outcome, Report, derived_token, read_pending};
use crate::deps::Deps;
use crate::error::Error;
use crate::keygen;
use crate::publish::{self, Snapshot};
use crate::store::{Fetched, PutOutcome, Secrets, Stage};

/// Runs finishSecret for `token`.
pub async fn run(deps: &Deps, token: &str) -> Result<Report, Error> {
    let secrets = Secrets::new(deps);
    let pending = read_pending(deps, token).await?;
    let Some(key) = pending.key().cloned() else {
        return Err(Error::ForeignValue {
            location: format!("version {token}"),
            reason: "it holds the placeholder, not a key".into(),
        });
    };
    if !pending.has(Stage::Current) {
        let from = key
            .rotation
            .as_ref()
            .and_then(|r| r.replaces_version_id.as_deref());
        secrets
            .update_stage(Stage::Current, Some(token), from)
            .await?;
    }
    let now = deps.now();
    let snapshot = Snapshot::read(deps, now).await?;
    let published = snapshot.published();
    let candidates: Vec<&PublicJwk> = published
        .keys
        .iter()
        .filter(|k| {
            k.activated_at.is_none() && k.kid() != key.kid && !published.is_revoked(k.kid())
        })
        .map(|k| &k.jwk)
        .collect();
    let standing: Option<PublicJwk> = match candidates.as_slice() {
        [one] => Some((*one).clone()),
        [] => None,
        _ => secrets
            .get_stage(Stage::Next)
            .await?
            .and_then(|v| v.key().map(|k| k.public_key_jwk.clone())),
    };
    let keep =
        standing.filter(|n| !lifecycle::needs_new_next(Some(&key.kid), Some(n.kid()), &published));
    let new_next = keep.is_none();
    let next = match keep {
        Some(n) => n,
        None => {
            put_fresh_next(deps, &derived_token(token, "next"))
                .await?
                .public_key_jwk
        }
    };

    let retention = publish::retention(deps);
    let keys = SecretKeys {
        current: Some(&key.public_key_jwk),
        pending: None,
        next: Some(&next),
    };
    let done = publish::publish(deps, Some(snapshot), |p| {
        lifecycle::reconcile(p, Some(keys), now, retention)
    })
    .await?;
    Ok(Report {
        outcome: Outcome::Finished { new_next },
        published: Some(done.published),
    })
}

/// Puts a fresh key as NEXT under `next_token`. A retry finds the token in use: the stored key
/// stands, and the NEXT label is moved onto it if it is elsewhere.
pub async fn put_fresh_next(deps: &Deps, next_token: &str) -> Result<SecretValue, Error> {
    let secrets = Secrets::new(deps);
    let fresh = keygen::generate(deps.config.key_spec, deps.config.kid_strategy, deps.now())?;
    match secrets.put(next_token, &fresh, &[Stage::Next]).await? {
        PutOutcome::Written => Ok(fresh),
        PutOutcome::TokenInUse => {
            let Fetched::Found(stored) = secrets.get(Some(next_token), None).await? else {
                return Err(Error::NoPendingValue(next_token.to_string()));
            };
            if !stored.has(Stage::Next) {
                let versions = secrets.describe().await?;
                secrets
                    .update_stage(Stage::Next, Some(next_token), versions.holder(Stage::Next))
                    .await?;
            }
            stored
                .value
                .key()
                .cloned()
                .ok_or_else(|| Error::ForeignValue {
                    location: format!("version {next_token}"),
                    reason: "it holds the placeholder, not a key".into(),
                })
        }
    }
}
