//! Operator actions. `emergencyRotate` puts a fresh key into use at once (the documented
//! exception to pre-publication) and a fresh NEXT, cancelling any rotation in progress; the old
//! signing key is retired (or revoked with `revokeCurrent`). `revoke` removes a kid from the
//! JWKS at once and keeps it out; the signing key cannot be revoked this way. Verifiers that
//! cached the JWKS keep a revoked key until their cache expires (`cacheControl`).
//!
//! Tokens of the versions written here derive from the request (`uuid5(requestId, ...)`, or
//! the revoked kid), so a retried action converges to the same state.

use jwks_rotation_core::lifecycle::{self, SecretKeys};
use jwks_rotation_core::{Published, RotationKind, RotationRecord, SecretValue};

use super::finish::put_fresh_next;
use super::{Outcome, Report, derived_token};
use crate::deps::Deps;
use crate::error::Error;
use crate::keygen;
use crate::publish;
use crate::store::{Fetched, PutOutcome, Secrets, Stage, Version, Versions};

/// Removes `AWSPENDING` from a version that is not current: cancels a rotation in progress
/// (its finishSecret then fails with `TokenNotPending` and changes nothing).
async fn cancel_rotation(
    secrets: &Secrets<'_>,
    versions: &Versions,
) -> Result<Option<String>, Error> {
    if let Some(p) = versions.holder(Stage::Pending)
        && !versions.has(p, Stage::Current)
    {
        secrets.update_stage(Stage::Pending, None, Some(p)).await?;
        tracing::warn!(version = p, "cancelled the rotation in progress");
        return Ok(Some(p.to_string()));
    }
    Ok(None)
}

async fn read_version(secrets: &Secrets<'_>, version_id: &str) -> Result<Option<Version>, Error> {
    Ok(match secrets.get(Some(version_id), None).await? {
        Fetched::Found(v) => Some(v),
        Fetched::NotFound | Fetched::StageMismatch => None,
    })
}

/// Runs emergencyRotate.
pub async fn rotate(deps: &Deps, request_id: &str, revoke_current: bool) -> Result<Report, Error> {
    let secrets = Secrets::new(deps);
    let versions = secrets.describe().await?;
    let current_token = derived_token(request_id, "current");
    let next_token = derived_token(request_id, "next");
    let retry = versions.stages(&current_token).is_some();
    if retry && !versions.has(&current_token, Stage::Current) {
        return Ok(Report {
            outcome: Outcome::Superseded,
            published: None,
        });
    }
    cancel_rotation(&secrets, &versions).await?;
    let now = deps.now();
    let current = secrets.get_stage(Stage::Current).await?;
    let (fresh, old_kid): (SecretValue, Option<String>) = if retry {
        // An earlier try put the fresh key as AWSCURRENT; the old key is the one it replaced.
        let fresh = current
            .as_ref()
            .and_then(Version::key)
            .cloned()
            .ok_or_else(|| Error::NoPendingValue(current_token.clone()))?;
        let replaced = fresh
            .rotation
            .as_ref()
            .and_then(|r| r.replaces_version_id.clone());
        let old_kid = match replaced {
            Some(v) => read_version(&secrets, &v)
                .await?
                .and_then(|v| v.key().map(|k| k.kid.clone())),
            None => None,
        };
        (fresh, old_kid)
    } else {
        let value = keygen::generate(deps.config.key_spec, deps.config.kid_strategy, now)?
            .with_rotation(RotationRecord {
                kind: RotationKind::Emergency,
                replaces_version_id: current.as_ref().map(|v| v.version_id.clone()),
                source_version_id: None,
            });
        let stored = match secrets
            .put(&current_token, &value, &[Stage::Current])
            .await?
        {
            PutOutcome::Written => value,
            PutOutcome::TokenInUse => read_version(&secrets, &current_token)
                .await?
                .and_then(|v| v.key().cloned())
                .ok_or_else(|| Error::NoPendingValue(current_token.clone()))?,
        };
        let old_kid = current
            .as_ref()
            .and_then(Version::key)
            .map(|k| k.kid.clone());
        (stored, old_kid)
    };
    let next = if versions.stages(&next_token).is_some() {
        read_version(&secrets, &next_token)
            .await?
            .and_then(|v| v.key().cloned())
            .ok_or_else(|| Error::NoPendingValue(next_token.clone()))?
    } else {
        put_fresh_next(deps, &next_token).await?
    };

    let retention = publish::retention(deps);
    let keys = SecretKeys {
        current: Some(&fresh.public_key_jwk),
        pending: None,
        next: Some(&next.public_key_jwk),
    };
    let revoked = old_kid.filter(|k| revoke_current && *k != fresh.kid);
    let done = publish::publish(deps, None, |p| {
        let mut p: Published = p.clone();
        if let Some(kid) = &revoked {
            p.revoked.entry(kid.clone()).or_insert(now);
        }
        lifecycle::reconcile(&p, Some(keys), now, retention)
    })
    .await?;
    tracing::warn!(
        kid = fresh.kid.as_str(),
        revoked = revoked.as_deref(),
        "emergency rotation: a fresh key signs now; verifiers that cached the JWKS may reject its tokens until their cache expires"
    );
    Ok(Report {
        outcome: Outcome::EmergencyRotated {
            kid: fresh.kid.clone(),
        },
        published: Some(done.published),
    })
}

/// Runs revoke.
pub async fn revoke(deps: &Deps, kid: &str) -> Result<Report, Error> {
    let secrets = Secrets::new(deps);
    let versions = secrets.describe().await?;
    let current = secrets.get_stage(Stage::Current).await?;
    let current_key = current.as_ref().and_then(Version::key);
    if current_key.is_some_and(|k| k.kid == kid) {
        return Err(Error::RevokeSigningKey(kid.to_string()));
    }
    // A rotation in progress towards the revoked key is cancelled.
    let mut pending = None;
    if let Some(p) = versions.holder(Stage::Pending)
        && !versions.has(p, Stage::Current)
    {
        let value = read_version(&secrets, p).await?;
        match value.as_ref().and_then(Version::key) {
            Some(k) if k.kid == kid => {
                cancel_rotation(&secrets, &versions).await?;
            }
            Some(k) => pending = Some(k.clone()),
            None => {}
        }
    }
    let next = match versions.holder(Stage::Next) {
        Some(_) => secrets.get_stage(Stage::Next).await?,
        None => None,
    };
    let next_key = match next.as_ref().and_then(Version::key) {
        Some(n) if n.kid == kid => {
            Some(put_fresh_next(deps, &derived_token(kid, "revoked-next")).await?)
        }
        other => other.cloned(),
    };
    let now = deps.now();
    let retention = publish::retention(deps);
    let keys = SecretKeys {
        current: current_key.map(|k| &k.public_key_jwk),
        pending: pending.as_ref().map(|k| &k.public_key_jwk),
        next: next_key.as_ref().map(|k| &k.public_key_jwk),
    };
    let done = publish::publish(deps, None, |p| {
        let mut p: Published = p.clone();
        p.revoked.entry(kid.to_string()).or_insert(now);
        lifecycle::reconcile(&p, Some(keys), now, retention)
    })
    .await?;
    tracing::warn!(
        kid,
        "revoked: the kid left the JWKS; verifiers that cached the JWKS keep it until their cache expires"
    );
    Ok(Report {
        outcome: Outcome::Revoked {
            kid: kid.to_string(),
        },
        published: Some(done.published),
    })
}
