//! The actions that are not rotation steps: the scheduled cleanup, and the operator's
//! emergencyRotate and revoke. The two operator actions run as loops of read, decide one step
//! ([`crate::decide`]), do it; a step refused because the world changed is decided again.
//!
//! Tokens of the versions written here derive from the request (`uuid5(requestId, ...)`, the
//! revoked kid, or the fenced version), so a retried action converges to the same state.

use std::collections::BTreeMap;

use super::backend::{Backend, MoveOutcome, PutOutcome};
use super::rotation::{put_fresh_next, retention};
use super::state::{self, MAX_ATTEMPTS};
use super::{ActionFailure, Outcome, Report, derived_token, label};
use crate::decide::{self, EmergencyIds, EmergencyStep, RevokeStep};
use crate::jwks::PublicJwk;
use crate::lifecycle;

/// cleanup: removals by time (retired keys past their retention, expired revocations), and
/// repair of a JWKS that lags its registry. Reads the registry and the JWKS (2 calls) and writes
/// only when something changed. With neither object present it rebuilds them from the secret.
pub async fn cleanup<B: Backend>(b: &B) -> Result<Report, B::Error> {
    let now = b.now();
    for _ in 0..MAX_ATTEMPTS {
        // The JWKS first, then the registry: a repair never writes a projection older than
        // the registry behind the JWKS it replaces.
        let jwks_first = b.read_jwks().await?;
        let (registry, registry_etag, guard) = state::read_registry(b).await?;
        if registry_etag.is_none() && guard == super::Precondition::IfAbsent {
            let snap = state::read_snapshot(b, &BTreeMap::new()).await?;
            let next = decide::publish(&snap.registry, &snap.view, now, retention(b));
            if next.keys.is_empty() {
                return Ok(Report {
                    outcome: Outcome::CleanedUp { removed: vec![] },
                    published: Some(next),
                });
            }
            match state::commit(b, &snap, next).await? {
                Some(p) => {
                    return Ok(Report {
                        outcome: Outcome::CleanedUp { removed: vec![] },
                        published: Some(p),
                    });
                }
                None => continue,
            }
        }
        let jwks = if registry_etag.is_some() {
            jwks_first
        } else {
            None
        };
        let next = lifecycle::reconcile(&registry, None, now, retention(b));
        let removed: Vec<String> = registry
            .kids()
            .into_iter()
            .filter(|k| next.get(k).is_none())
            .map(str::to_string)
            .collect();
        let jwks_guard = match (&jwks, registry_etag.is_some()) {
            (Some(j), true) => super::Precondition::IfMatch(j.etag.clone()),
            (None, true) => super::Precondition::IfAbsent,
            (_, false) => guard,
        };
        if next != registry || registry_etag.is_none() {
            let snap = state::Snapshot {
                registry,
                registry_etag,
                jwks_guard,
                view: state::View::default(),
            };
            match state::commit(b, &snap, next).await? {
                Some(p) => {
                    return Ok(Report {
                        outcome: Outcome::CleanedUp { removed },
                        published: Some(p),
                    });
                }
                None => continue,
            }
        }
        // The JWKS lags its registry when a writer stopped between its two writes: repair it.
        let body = registry.jwks_body();
        if jwks.as_ref().is_none_or(|j| j.body != body) {
            state::sync_jwks(b, body, jwks_guard).await?;
        }
        return Ok(Report {
            outcome: Outcome::CleanedUp { removed },
            published: Some(registry),
        });
    }
    Err(ActionFailure::Contention(MAX_ATTEMPTS).into())
}

/// The ids of one emergency request.
pub fn emergency_ids(request_id: &str) -> EmergencyIds {
    let key_version = derived_token(request_id, "current");
    EmergencyIds {
        label: label::emergency(&key_version),
        next_version: derived_token(request_id, "next"),
        key_version,
    }
}

/// emergencyRotate: a fresh key signs at once (the documented exception to pre-publication), a
/// fresh NEXT is put, a rotation in progress is cancelled; the key that was signing is retired,
/// or revoked with `revoke_current`. The fresh key is published before `AWSCURRENT` moves onto
/// it; if anything fails before that move, nothing an issuer reads has changed.
pub async fn emergency_rotate<B: Backend>(
    b: &B,
    request_id: &str,
    revoke_current: bool,
) -> Result<Report, B::Error> {
    let now = b.now();
    let ids = emergency_ids(request_id);
    let mut known: BTreeMap<String, Option<PublicJwk>> = BTreeMap::new();
    let mut revoke_kid: Option<Option<String>> = (!revoke_current).then_some(None);
    for _ in 0..(MAX_ATTEMPTS * 3) {
        let snap = state::read_snapshot(b, &known).await?;
        // The key to revoke is the one signing when the request began, recorded in the fresh
        // key's version (read once).
        if revoke_kid.is_none() && snap.view.labels.contains_key(&ids.key_version) {
            let fresh = state::read_key(b, &ids.key_version).await?;
            let replaced = fresh
                .rotation
                .as_ref()
                .and_then(|r| r.replaces_version_id.clone());
            let kid = match replaced {
                Some(v) => match snap.registry.kid_of_version(&v) {
                    Some(k) => Some(k.to_string()),
                    None => match b.get(Some(&v), None).await? {
                        super::Fetched::Found { value, .. } => value.key().map(|k| k.kid.clone()),
                        _ => None,
                    },
                },
                None => None,
            };
            revoke_kid = Some(kid);
        }
        let step = decide::plan_emergency(
            &snap.registry,
            &snap.view,
            &ids,
            revoke_kid.as_ref().and_then(|k| k.as_deref()),
            now,
            retention(b),
        );
        match step {
            EmergencyStep::PutKey => {
                let current = snap.view.holder(label::CURRENT).map(str::to_string);
                let value = b
                    .generate(now)?
                    .with_rotation(crate::secret_value::RotationRecord {
                        kind: crate::secret_value::RotationKind::Emergency,
                        replaces_version_id: current,
                        source_version_id: None,
                    });
                let jwk = match b.put(&ids.key_version, &value, &[&ids.label]).await? {
                    PutOutcome::Written => value.public_key_jwk,
                    PutOutcome::TokenInUse => {
                        state::read_key(b, &ids.key_version).await?.public_key_jwk
                    }
                };
                known.insert(ids.key_version.clone(), Some(jwk));
            }
            EmergencyStep::PutNext => {
                if let Some(n) = put_fresh_next(b, &ids.next_version).await? {
                    known.insert(ids.next_version.clone(), Some(n));
                }
            }
            EmergencyStep::CancelPending { from } => {
                b.move_label(label::PENDING, None, Some(&from)).await?;
            }
            EmergencyStep::Publish(next) => {
                state::commit(b, &snap, next).await?;
            }
            EmergencyStep::MoveCurrent { from } => {
                // The JWKS must hold the fresh key before any issuer can read it.
                state::ensure_jwks(b).await?;
                b.move_label(label::CURRENT, Some(&ids.key_version), from.as_deref())
                    .await?;
            }
            EmergencyStep::ReleaseLabel => {
                b.move_label(&ids.label, None, Some(&ids.key_version))
                    .await?;
            }
            EmergencyStep::Done { kid } => {
                state::ensure_jwks(b).await?;
                return Ok(Report {
                    outcome: Outcome::EmergencyRotated { kid },
                    published: Some(snap.registry),
                });
            }
            EmergencyStep::Superseded => {
                return Ok(Report {
                    outcome: Outcome::Superseded,
                    published: Some(snap.registry),
                });
            }
            EmergencyStep::Refuse(f) => return Err(f.into()),
        }
    }
    Err(ActionFailure::Contention(MAX_ATTEMPTS * 3).into())
}

/// revoke: the kid leaves the JWKS at once and stays out; a rotation towards it is cancelled and
/// a NEXT that is it replaced, after a fence on `AWSCURRENT` so that a finishSecret that decided
/// before the revocation cannot make it sign. The signing key cannot be revoked this way, and a
/// kid that was never published is refused; both change nothing.
pub async fn revoke<B: Backend>(b: &B, kid: &str) -> Result<Report, B::Error> {
    let now = b.now();
    let mut known: BTreeMap<String, Option<PublicJwk>> = BTreeMap::new();
    let mut fenced = false;
    for _ in 0..(MAX_ATTEMPTS * 3) {
        let snap = state::read_snapshot(b, &known).await?;
        match decide::plan_revoke(&snap.registry, &snap.view, kid, fenced, now, retention(b)) {
            RevokeStep::Fence { current } => {
                let value = state::read_key(b, &current).await?;
                let fence = derived_token(&current, &format!("fence {kid}"));
                b.put(&fence, &value, &[label::FENCE]).await?;
                known.insert(fence.clone(), Some(value.public_key_jwk.clone()));
                if b.move_label(label::CURRENT, Some(&fence), Some(&current))
                    .await?
                    == MoveOutcome::Moved
                {
                    fenced = true;
                }
            }
            RevokeStep::CancelPending { from } => {
                b.move_label(label::PENDING, None, Some(&from)).await?;
            }
            RevokeStep::ReplaceNext => {
                let token = derived_token(kid, "revoked-next");
                if let Some(n) = put_fresh_next(b, &token).await? {
                    known.insert(token, Some(n));
                }
            }
            RevokeStep::Publish(next) => {
                state::commit(b, &snap, next).await?;
            }
            RevokeStep::Done => {
                state::ensure_jwks(b).await?;
                return Ok(Report {
                    outcome: Outcome::Revoked {
                        kid: kid.to_string(),
                    },
                    published: Some(snap.registry),
                });
            }
            RevokeStep::Refuse(f) => return Err(f.into()),
        }
    }
    Err(ActionFailure::Contention(MAX_ATTEMPTS * 3).into())
}

/// status: reads the registry, the labels (with the next scheduled rotation) and the JWKS, and
/// answers what is published and signing and every inconsistency it sees. Three calls, no write,
/// no permission beyond the function's own.
pub async fn status<B: Backend>(b: &B) -> Result<Report, B::Error> {
    let now = b.now();
    let read = b.read_registry().await?;
    let present = read.is_some();
    let (labels, next_rotation) = b.describe_with_schedule().await?;
    let jwks = b.read_jwks().await?;
    let registry = match &read {
        Some(r) => crate::lifecycle::Published::from_registry_json(&r.body)
            .map_err(|e| ActionFailure::Unreadable(e.to_string()))?,
        None => match &jwks {
            Some(j) => crate::jwks::Jwks::parse(&j.body)
                .ok()
                .and_then(|jw| {
                    crate::lifecycle::Published::from_legacy(&jw, j.legacy_registry.as_deref(), now)
                        .ok()
                })
                .unwrap_or_default(),
            None => crate::lifecycle::Published::default(),
        },
    };
    let status = crate::status::status(
        &registry,
        present,
        &labels,
        jwks.as_ref().map(|j| j.body.as_slice()),
        next_rotation,
        now,
        retention(b),
        b.config().min_activation_grace_period,
    );
    Ok(Report::new(
        Outcome::Status(Box::new(status)),
        Some(registry),
    ))
}
