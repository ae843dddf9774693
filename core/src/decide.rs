//! The decisions of the incident paths (emergency rotation, revocation) and of every registry
//! write, as pure functions of (registry, labels, now). The actions in [`crate::actions`] call
//! them in a loop: read, decide one step, do it, read again; so a decision is always made on
//! labels read after the registry, and a step that finds the world changed (a refused
//! conditional write or label move) is decided again.

use chrono::{DateTime, Utc};

use crate::actions::{ActionFailure, View, label};
use crate::lifecycle::{self, Published, Retention};

/// The registry an action writes: [`lifecycle::reconcile`] with the keys the labels point at,
/// plus the version ids of those keys when anything changes.
pub fn publish(
    registry: &Published,
    view: &View,
    now: DateTime<Utc>,
    retention: Retention,
) -> Published {
    let keys = view.secret_keys();
    let mut next = lifecycle::reconcile(registry, Some(&keys), now, retention);
    if next != *registry {
        view.register(&mut next);
    }
    next
}

/// The versions and label of one emergency request, derived from its `requestId`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmergencyIds {
    /// Version of the fresh signing key.
    pub key_version: String,
    /// Version of the fresh NEXT key.
    pub next_version: String,
    /// The label that holds the fresh key until it signs.
    pub label: String,
}

/// What the emergency loop knows of its own request besides the labels and the registry.
#[derive(Debug, Clone, Copy)]
pub struct EmergencyRequest<'a> {
    /// The request's versions and label.
    pub ids: &'a EmergencyIds,
    /// The kid that signed when the request put its key (recorded in the fresh key's value);
    /// None before the key is put or when nothing signed then.
    pub replaced_kid: Option<&'a str>,
    /// Revoke the replaced kid once the fresh key signs.
    pub revoke_current: bool,
    /// This run already fenced `AWSCURRENT`.
    pub fenced: bool,
}

/// The next step of an emergency rotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmergencyStep {
    /// Put the fresh key under `key_version` with the request's label (not `AWSCURRENT`).
    PutKey,
    /// Put a fresh NEXT under `next_version`.
    PutNext,
    /// Put a copy of the signing key under a new version and move `AWSCURRENT` onto it from
    /// `current`, before a rotation in progress is cancelled: its finishSecret, which may have
    /// read its pending version before the cancellation, then fails its conditional move
    /// instead of making the cancelled key sign.
    Fence {
        /// The version holding `AWSCURRENT`.
        current: String,
    },
    /// Remove `AWSPENDING` from this version (cancels a rotation in progress, and clears the
    /// label a completed rotation leaves on the current version, which would otherwise block
    /// every later `RotateSecret` once `AWSCURRENT` moves away from it).
    CancelPending {
        /// The version holding `AWSPENDING`.
        from: String,
    },
    /// Write this registry (and its JWKS projection).
    Publish(Published),
    /// Move `AWSCURRENT` onto the fresh key, removing it from the holder the decision saw.
    MoveCurrent {
        /// The holder seen.
        from: Option<String>,
    },
    /// Remove the request's label from the fresh key: it signs now, or it was revoked after a
    /// later rotation had already replaced the key this request was to replace.
    ReleaseLabel,
    /// The fresh key signs, the registry says so: done.
    Done {
        /// The fresh signing kid.
        kid: String,
    },
    /// This request's key signed and a later rotation replaced it, or a later rotation replaced
    /// the key this request was to replace: nothing to do.
    Superseded,
    /// Refused.
    Refuse(ActionFailure),
}

/// Decides the next step of emergencyRotate. The fresh key is published (held by the request's
/// label) before `AWSCURRENT` moves; a rotation in progress is fenced off and cancelled first;
/// the key that was current is stamped activated (it signed, whatever the registry said) and
/// retired, or revoked with `revoke_current`, only once the fresh key signs.
pub fn plan_emergency(
    registry: &Published,
    view: &View,
    request: EmergencyRequest<'_>,
    now: DateTime<Utc>,
    retention: Retention,
) -> EmergencyStep {
    let ids = request.ids;
    if !view.labels.contains_key(&ids.key_version) {
        return EmergencyStep::PutKey;
    }
    let is_current = view.has(&ids.key_version, label::CURRENT);
    let labelled = view.has(&ids.key_version, &ids.label);
    if !is_current && !labelled {
        return EmergencyStep::Superseded;
    }
    let Some(fresh) = view.key_of(&ids.key_version).map(|k| k.kid().to_string()) else {
        return EmergencyStep::Refuse(ActionFailure::ForeignValue {
            location: format!("version {}", ids.key_version),
            reason: "the emergency version holds no key".into(),
        });
    };
    if !is_current {
        if registry.is_revoked(&fresh) {
            // Revoked while it waited for AWSCURRENT. If the key it was to replace still signs,
            // the emergency did not happen: say so. If a later rotation replaced that key (for
            // example another emergency that made this key sign and then revoked it), the
            // request's purpose is met: let go of the label and report Superseded.
            if view.kid_at(label::CURRENT) == request.replaced_kid {
                return EmergencyStep::Refuse(ActionFailure::EmergencyKeyRevoked(fresh));
            }
            return EmergencyStep::ReleaseLabel;
        }
        if !view.labels.contains_key(&ids.next_version) {
            return EmergencyStep::PutNext;
        }
        if let Some(p) = view.pending_in_progress() {
            if !request.fenced
                && view.key_at(label::CURRENT).is_some()
                && let Some(c) = view.holder(label::CURRENT)
            {
                return EmergencyStep::Fence {
                    current: c.to_string(),
                };
            }
            return EmergencyStep::CancelPending {
                from: p.to_string(),
            };
        }
        if let Some(p) = view.holder(label::PENDING) {
            return EmergencyStep::CancelPending {
                from: p.to_string(),
            };
        }
        let next = publish(registry, view, now, retention);
        if next != *registry {
            return EmergencyStep::Publish(next);
        }
        return EmergencyStep::MoveCurrent {
            from: view.holder(label::CURRENT).map(str::to_string),
        };
    }
    let mut base = registry.clone();
    if request.revoke_current
        && let Some(kid) = request.replaced_kid.filter(|k| *k != fresh)
    {
        base.revoked.entry(kid.to_string()).or_insert(now);
    }
    let next = publish(&base, view, now, retention);
    if next != *registry {
        return EmergencyStep::Publish(next);
    }
    if labelled {
        return EmergencyStep::ReleaseLabel;
    }
    EmergencyStep::Done { kid: fresh }
}

/// The next step of a revocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevokeStep {
    /// Put a copy of the signing key under a new version and move `AWSCURRENT` onto it from
    /// `current`: a finishSecret that decided before the revocation then fails its conditional
    /// move instead of making the revoked key sign.
    Fence {
        /// The version holding `AWSCURRENT`.
        current: String,
    },
    /// Remove `AWSPENDING` from this version: the rotation towards the revoked key is cancelled.
    CancelPending {
        /// The version holding `AWSPENDING`.
        from: String,
    },
    /// Replace the NEXT key (it is the revoked one).
    ReplaceNext,
    /// Write this registry (the revocation, and its JWKS projection).
    Publish(Published),
    /// The kid is revoked and out of the JWKS.
    Done,
    /// Refused; nothing was changed.
    Refuse(ActionFailure),
}

/// Decides the next step of revoke. `fenced`: this action already fenced `AWSCURRENT`.
pub fn plan_revoke(
    registry: &Published,
    view: &View,
    kid: &str,
    fenced: bool,
    now: DateTime<Utc>,
    retention: Retention,
) -> RevokeStep {
    if view.kid_at(label::CURRENT) == Some(kid) {
        return RevokeStep::Refuse(ActionFailure::RevokeSigningKey(kid.to_string()));
    }
    let held = view.keys.values().flatten().any(|k| k.kid() == kid);
    if !registry.is_revoked(kid) && registry.get(kid).is_none() && !held {
        return RevokeStep::Refuse(ActionFailure::NotPublished(kid.to_string()));
    }
    let pending = view
        .pending_in_progress()
        .filter(|p| view.key_of(p).is_some_and(|k| k.kid() == kid));
    let next = view.kid_at(label::NEXT) == Some(kid);
    let current = view.holder(label::CURRENT);
    let current_is_key = view.key_at(label::CURRENT).is_some();
    if (pending.is_some() || next)
        && !fenced
        && current_is_key
        && let Some(c) = current
    {
        // A completed rotation leaves AWSPENDING on the current version; moving AWSCURRENT away
        // from it would leave a lone AWSPENDING that blocks every later RotateSecret.
        if view.has(c, label::PENDING) {
            return RevokeStep::CancelPending {
                from: c.to_string(),
            };
        }
        return RevokeStep::Fence {
            current: c.to_string(),
        };
    }
    if let Some(p) = pending {
        return RevokeStep::CancelPending {
            from: p.to_string(),
        };
    }
    if next {
        return RevokeStep::ReplaceNext;
    }
    let mut base = registry.clone();
    base.revoked.entry(kid.to_string()).or_insert(now);
    let published = publish(&base, view, now, retention);
    if published != *registry {
        return RevokeStep::Publish(published);
    }
    RevokeStep::Done
}
