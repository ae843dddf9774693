//! The actions that are not rotation steps: the scheduled cleanup, and the operator's
//! emergencyRotate and revoke. The two operator actions run as loops of read, decide one step
//! ([`crate::decide`]), do it; a step refused because the world changed is decided again.
//!
//! Tokens of the versions written here derive from the request (`uuid5(requestId, ...)`, the
//! revoked kid, or the fenced version), so a retried action converges to the same state.

use std::collections::BTreeMap;

use super::backend::{Backend, Fetched, MoveOutcome, PutOutcome};
use super::rotation::{put_fresh_next, retention};
use super::state::{self, MAX_ATTEMPTS};
use super::{ActionFailure, Outcome, Report, derived_token, label};
use crate::decide::{self, EmergencyIds, EmergencyRequest, EmergencyStep, RevokeStep};
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
                // A migration (no registry object yet) replaces the legacy JWKS, which is the
                // projection of the legacy registry.
                jwks_seen: registry_etag
                    .is_some()
                    .then(|| jwks.as_ref().map(|j| j.body.clone()).unwrap_or_default()),
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
            let replaced = jwks.map(|j| j.body).unwrap_or_default();
            state::sync_jwks(b, registry.clone(), jwks_guard, &replaced).await?;
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
    // The kid that signed when the fresh key was put, recorded in its value (read once).
    let mut replaced: Option<Option<String>> = None;
    let mut fenced = false;
    for _ in 0..(MAX_ATTEMPTS * 3) {
        let snap = state::read_snapshot(b, &known).await?;
        if replaced.is_none() && snap.view.labels.contains_key(&ids.key_version) {
            replaced = Some(replaced_kid(b, &snap.registry, &ids.key_version).await?);
        }
        let request = EmergencyRequest {
            ids: &ids,
            replaced_kid: replaced.as_ref().and_then(|k| k.as_deref()),
            revoke_current,
            fenced,
        };
        match decide::plan_emergency(&snap.registry, &snap.view, request, now, retention(b)) {
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
                    // An earlier run put the key. Where DescribeSecret does not list a version
                    // without labels, the version's own labels tell whether it still belongs
                    // to this request or a later rotation superseded it.
                    PutOutcome::TokenInUse => match b.get(Some(&ids.key_version), None).await? {
                        Fetched::Found { stages, value, .. } => {
                            if !stages
                                .iter()
                                .any(|l| l == label::CURRENT || *l == ids.label)
                            {
                                return Ok(Report::new(Outcome::Superseded, Some(snap.registry)));
                            }
                            match value.key() {
                                Some(k) => k.public_key_jwk.clone(),
                                None => {
                                    return Err(ActionFailure::NoPendingValue(
                                        ids.key_version.clone(),
                                    )
                                    .into());
                                }
                            }
                        }
                        Fetched::NotFound | Fetched::StageMismatch => {
                            return Err(
                                ActionFailure::NoPendingValue(ids.key_version.clone()).into()
                            );
                        }
                    },
                };
                known.insert(ids.key_version.clone(), Some(jwk));
            }
            EmergencyStep::PutNext => {
                if let Some(n) = put_fresh_next(b, &ids.next_version).await? {
                    known.insert(ids.next_version.clone(), Some(n));
                }
            }
            EmergencyStep::Fence { current } => {
                let purpose = format!("fence emergency {}", ids.key_version);
                if let Some(f) = fence(b, &current, &purpose).await? {
                    known.insert(f.0, Some(f.1));
                    fenced = true;
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
                return Ok(Report::new(
                    Outcome::EmergencyRotated { kid },
                    Some(snap.registry),
                ));
            }
            EmergencyStep::Superseded => {
                return Ok(Report::new(Outcome::Superseded, Some(snap.registry)));
            }
            EmergencyStep::Refuse(f) => return Err(f.into()),
        }
    }
    Err(ActionFailure::Contention(MAX_ATTEMPTS * 3).into())
}

/// The kid of the version an emergency key replaced (its `replaces_version_id`).
async fn replaced_kid<B: Backend>(
    b: &B,
    registry: &crate::lifecycle::Published,
    key_version: &str,
) -> Result<Option<String>, B::Error> {
    let fresh = state::read_key(b, key_version).await?;
    let Some(v) = fresh.rotation.and_then(|r| r.replaces_version_id) else {
        return Ok(None);
    };
    if let Some(k) = registry.kid_of_version(&v) {
        return Ok(Some(k.to_string()));
    }
    Ok(match b.get(Some(&v), None).await? {
        Fetched::Found { value, .. } => value.key().map(|k| k.kid.clone()),
        Fetched::NotFound | Fetched::StageMismatch => None,
    })
}

/// Puts a copy of the key at `current` under a version derived from it and `purpose`, with the
/// fence label, and moves `AWSCURRENT` onto the copy (conditionally on `current`). Returns the
/// fence version and its public key when the move happened.
async fn fence<B: Backend>(
    b: &B,
    current: &str,
    purpose: &str,
) -> Result<Option<(String, PublicJwk)>, B::Error> {
    let value = state::read_key(b, current).await?;
    let version = derived_token(current, purpose);
    b.put(&version, &value, &[label::FENCE]).await?;
    Ok(
        match b
            .move_label(label::CURRENT, Some(&version), Some(current))
            .await?
        {
            MoveOutcome::Moved => Some((version, value.public_key_jwk)),
            MoveOutcome::Conflict => None,
        },
    )
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
                if let Some(f) = fence(b, &current, &format!("fence {kid}")).await? {
                    known.insert(f.0, Some(f.1));
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
