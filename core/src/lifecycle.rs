//! Key lifecycle rules as pure functions of (what the secret holds, what is published, now).
//!
//! The published state is the JWKS body plus a small registry kept in the JWKS object's user
//! metadata: per kid, when it was published, activated and retired, and the kids an operator
//! revoked. Body and registry live in one S3 object and are replaced together by a conditional
//! write, so every writer (rotation steps, cleanup, emergency actions) sees and replaces one
//! consistent snapshot. Retention is decided by time (`retiredAt + maxTokenValidity + grace`),
//! never by staging label, so any number of retired keys stay while their tokens live.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::duration::Duration;
use crate::jwks::{Jwks, PublicJwk};

/// User-metadata key (without `x-amz-meta-`) that holds the registry.
pub const REGISTRY_METADATA_KEY: &str = "jwks-rotation-registry";

/// Lifecycle of one published key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyState {
    /// The public key.
    pub jwk: PublicJwk,
    /// First time the key appeared in the JWKS.
    pub published_at: DateTime<Utc>,
    /// When it became the signing key (first seen as `AWSCURRENT` by a writer).
    pub activated_at: Option<DateTime<Utc>>,
    /// When it stopped being the signing key.
    pub retired_at: Option<DateTime<Utc>>,
}

impl KeyState {
    /// The key id.
    pub fn kid(&self) -> &str {
        self.jwk.kid()
    }
    /// Signing now: activated and not retired.
    pub fn is_signing(&self) -> bool {
        self.activated_at.is_some() && self.retired_at.is_none()
    }
}

/// What is published: keys in document order, and revoked kids with the time of revocation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Published {
    /// Keys, signing key first.
    pub keys: Vec<KeyState>,
    /// Revoked kids; they never return to the JWKS while listed.
    pub revoked: BTreeMap<String, DateTime<Utc>>,
}

/// Why the registry metadata could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("the JWKS registry metadata is unreadable: {0}")]
pub struct RegistryError(String);

#[derive(Serialize, Deserialize)]
struct RegistryWire {
    v: u32,
    /// kid -> [publishedAt, activatedAt, retiredAt] in Unix seconds, 0 = none.
    #[serde(default)]
    k: BTreeMap<String, [i64; 3]>,
    /// revoked kid -> revokedAt.
    #[serde(default)]
    x: BTreeMap<String, i64>,
}

fn secs(t: Option<DateTime<Utc>>) -> i64 {
    t.map(|t| t.timestamp()).unwrap_or(0)
}

fn time(s: i64) -> Option<DateTime<Utc>> {
    if s <= 0 {
        None
    } else {
        Utc.timestamp_opt(s, 0).single()
    }
}

impl Published {
    /// Rebuilds the state from a JWKS body and its registry metadata (absent for a document
    /// written by someone else). A key without a registry entry is treated as published now
    /// and as having signed, the conservative reading: it is not promoted early and not
    /// removed before a full retention period.
    pub fn from_parts(
        jwks: &Jwks,
        registry: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Published, RegistryError> {
        let wire = match registry {
            None => RegistryWire {
                v: 1,
                k: BTreeMap::new(),
                x: BTreeMap::new(),
            },
            Some(text) => serde_json::from_str::<RegistryWire>(text)
                .map_err(|e| RegistryError(e.to_string()))?,
        };
        if wire.v != 1 {
            return Err(RegistryError(format!(
                "unknown registry version {}",
                wire.v
            )));
        }
        let keys = jwks
            .keys
            .iter()
            .map(|jwk| match wire.k.get(jwk.kid()) {
                Some([p, a, r]) => KeyState {
                    jwk: jwk.clone(),
                    published_at: time(*p).unwrap_or(now),
                    activated_at: time(*a),
                    retired_at: time(*r),
                },
                None => KeyState {
                    jwk: jwk.clone(),
                    published_at: now,
                    activated_at: Some(now),
                    retired_at: None,
                },
            })
            .collect();
        let revoked = wire
            .x
            .iter()
            .filter_map(|(kid, t)| time(*t).map(|t| (kid.clone(), t)))
            .collect();
        Ok(Published { keys, revoked })
    }

    /// The JWKS document to publish.
    pub fn jwks(&self) -> Jwks {
        Jwks {
            keys: self.keys.iter().map(|k| k.jwk.clone()).collect(),
        }
    }

    /// The registry metadata value (compact ASCII JSON, deterministic).
    pub fn registry(&self) -> String {
        let wire = RegistryWire {
            v: 1,
            k: self
                .keys
                .iter()
                .map(|k| {
                    (
                        k.kid().to_string(),
                        [
                            k.published_at.timestamp(),
                            secs(k.activated_at),
                            secs(k.retired_at),
                        ],
                    )
                })
                .collect(),
            x: self
                .revoked
                .iter()
                .map(|(kid, t)| (kid.clone(), t.timestamp()))
                .collect(),
        };
        serde_json::to_string(&wire).unwrap_or_default()
    }

    /// The state of `kid`, if published.
    pub fn get(&self, kid: &str) -> Option<&KeyState> {
        self.keys.iter().find(|k| k.kid() == kid)
    }

    /// The key the registry believes is signing.
    pub fn signing(&self) -> Option<&KeyState> {
        self.keys.iter().find(|k| k.is_signing())
    }

    /// Published kids in document order.
    pub fn kids(&self) -> Vec<&str> {
        self.keys.iter().map(KeyState::kid).collect()
    }

    /// Whether `kid` is revoked.
    pub fn is_revoked(&self, kid: &str) -> bool {
        self.revoked.contains_key(kid)
    }
}

/// The public keys the secret's staging labels point at, as one writer read them.
#[derive(Debug, Clone, Copy, Default)]
pub struct SecretKeys<'a> {
    /// `AWSCURRENT`: the signing key (None before the first rotation).
    pub current: Option<&'a PublicJwk>,
    /// `AWSPENDING` while a rotation is under way (and not yet current).
    pub pending: Option<&'a PublicJwk>,
    /// `NEXT`: the pre-published next key.
    pub next: Option<&'a PublicJwk>,
}

/// Retention settings for [`reconcile`].
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    /// `maxTokenValidityDuration + minKeyCleanupGracePeriod`: how long a retired key stays.
    pub keep_retired_for: Duration,
}

/// The next published state.
///
/// With `secret` (rotation steps and emergency actions): the signing, pending and next keys
/// are published; a key that signed and is no longer `AWSCURRENT` is marked retired now; keys
/// that never signed and are no longer referenced leave at once (no token can carry them).
/// Without `secret` (the scheduled cleanup): only removals by time. In both cases a retired key
/// leaves when `now >= retiredAt + keep_retired_for`, revoked kids leave at once, and a
/// revocation is forgotten once a retention period has passed.
pub fn reconcile(
    published: &Published,
    secret: Option<SecretKeys<'_>>,
    now: DateTime<Utc>,
    retention: Retention,
) -> Published {
    let keep = retention.keep_retired_for.to_chrono();
    let revoked: BTreeMap<String, DateTime<Utc>> = published
        .revoked
        .iter()
        .filter(|(_, t)| now < **t + keep)
        .map(|(k, t)| (k.clone(), *t))
        .collect();
    let current_kid = secret.and_then(|s| s.current).map(PublicJwk::kid);
    let referenced = |kid: &str| {
        secret.is_some_and(|s| {
            [s.current, s.pending, s.next]
                .into_iter()
                .flatten()
                .any(|k| k.kid() == kid)
        })
    };

    let mut keys: Vec<KeyState> = Vec::new();
    for state in &published.keys {
        let kid = state.kid();
        if Some(kid) == current_kid {
            keys.push(KeyState {
                activated_at: state.activated_at.or(Some(now)),
                retired_at: None,
                ..state.clone()
            });
            continue;
        }
        if revoked.contains_key(kid) {
            continue;
        }
        let mut state = state.clone();
        if secret.is_some() && state.is_signing() {
            state.retired_at = Some(now);
        }
        match state.retired_at {
            Some(retired) if now >= retired + keep => continue,
            Some(_) => keys.push(state),
            // The cleanup does not read the secret: it never removes an unretired key.
            None if secret.is_none() || referenced(kid) => keys.push(state),
            None => {} // never signed and no longer referenced: no token can carry it
        }
    }
    if let Some(s) = secret {
        for jwk in [s.current, s.pending, s.next].into_iter().flatten() {
            let kid = jwk.kid();
            let is_current = Some(kid) == current_kid;
            if keys.iter().any(|k| k.kid() == kid) || (!is_current && revoked.contains_key(kid)) {
                continue;
            }
            keys.push(KeyState {
                jwk: jwk.clone(),
                published_at: now,
                activated_at: is_current.then_some(now),
                retired_at: None,
            });
        }
    }
    // Signing key first, then keys waiting to sign, then retired keys newest first.
    keys.sort_by_key(|k| {
        let rank = if k.is_signing() {
            0
        } else if k.activated_at.is_none() {
            1
        } else {
            2
        };
        (rank, std::cmp::Reverse(k.retired_at), k.published_at)
    });
    let mut revoked = revoked;
    if let Some(kid) = current_kid {
        revoked.remove(kid);
    }
    Published { keys, revoked }
}

/// Why a rotation keeps the current key instead of promoting NEXT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeferReason {
    /// No NEXT key exists (it is created by this rotation's finishSecret).
    NoNextKey,
    /// NEXT is the signing key already.
    NextIsCurrent,
    /// NEXT was revoked (a fresh one is created by this rotation's finishSecret).
    NextRevoked,
    /// NEXT is not in the published JWKS yet.
    NextNotPublished,
    /// NEXT has not been published for `minActivationGracePeriod` yet.
    NextTooNew {
        /// When NEXT was published.
        published_at: DateTime<Utc>,
        /// When it becomes eligible to sign.
        eligible_at: DateTime<Utc>,
    },
}

impl DeferReason {
    /// A stable short code for logs and metric dimensions.
    pub fn code(&self) -> &'static str {
        match self {
            DeferReason::NoNextKey => "NoNextKey",
            DeferReason::NextIsCurrent => "NextIsCurrent",
            DeferReason::NextRevoked => "NextRevoked",
            DeferReason::NextNotPublished => "NextNotPublished",
            DeferReason::NextTooNew { .. } => "NextTooNew",
        }
    }
}

impl std::fmt::Display for DeferReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeferReason::NoNextKey => write!(
                f,
                "there is no NEXT key yet; one is created now and signs from the next rotation on"
            ),
            DeferReason::NextIsCurrent => write!(
                f,
                "the NEXT label is on the signing key; a fresh NEXT key is created now"
            ),
            DeferReason::NextRevoked => write!(
                f,
                "the NEXT key was revoked; a fresh NEXT key is created now"
            ),
            DeferReason::NextNotPublished => {
                write!(f, "the NEXT key is not in the published JWKS yet")
            }
            DeferReason::NextTooNew {
                published_at,
                eligible_at,
            } => write!(
                f,
                "the NEXT key was published at {} and may sign only from {} (minActivationGracePeriod)",
                published_at.to_rfc3339(),
                eligible_at.to_rfc3339()
            ),
        }
    }
}

/// What `createSecret` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreatePlan {
    /// No key exists yet: generate one that signs at once (first deployment only).
    Initial,
    /// Promote NEXT: it has been published long enough.
    Promote,
    /// Keep the current key: the rotation completes without changing the signing key.
    Defer(DeferReason),
}

/// Decides what a rotation does, from the kids behind `AWSCURRENT` and `NEXT` (None when the
/// label is absent or holds no key of ours) and the published state.
pub fn plan_create(
    current_kid: Option<&str>,
    next_kid: Option<&str>,
    published: &Published,
    now: DateTime<Utc>,
    min_activation_grace: Duration,
) -> CreatePlan {
    let Some(current) = current_kid else {
        return CreatePlan::Initial;
    };
    let Some(next) = next_kid else {
        return CreatePlan::Defer(DeferReason::NoNextKey);
    };
    if next == current {
        return CreatePlan::Defer(DeferReason::NextIsCurrent);
    }
    if published.is_revoked(next) {
        return CreatePlan::Defer(DeferReason::NextRevoked);
    }
    let Some(state) = published.get(next) else {
        return CreatePlan::Defer(DeferReason::NextNotPublished);
    };
    let eligible_at = state.published_at + min_activation_grace.to_chrono();
    if now < eligible_at {
        return CreatePlan::Defer(DeferReason::NextTooNew {
            published_at: state.published_at,
            eligible_at,
        });
    }
    CreatePlan::Promote
}

/// Whether `finishSecret` (or an emergency action) must put a fresh NEXT key: there is none,
/// it is the signing key, or it was revoked.
pub fn needs_new_next(
    current_kid: Option<&str>,
    next_kid: Option<&str>,
    published: &Published,
) -> bool {
    match next_kid {
        None => true,
        Some(next) => Some(next) == current_kid || published.is_revoked(next),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(kid: &str) -> PublicJwk {
        let m = json!({"kty":"OKP","crv":"Ed25519","x":kid})
            .as_object()
            .cloned()
            .unwrap();
        PublicJwk::from_jwk(&m, kid, "EdDSA").unwrap()
    }
    fn t(h: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + h * 3600, 0).unwrap()
    }
    const R: Retention = Retention {
        keep_retired_for: Duration::from_hours(10),
    };

    #[test]
    fn rotation_marks_activation_and_retirement_and_keeps_by_time() {
        let (a, b, c) = (key("a"), key("b"), key("c"));
        let p0 = reconcile(
            &Published::default(),
            Some(SecretKeys {
                current: Some(&a),
                pending: None,
                next: Some(&b),
            }),
            t(0),
            R,
        );
        assert_eq!(p0.kids(), vec!["a", "b"]);
        assert_eq!(p0.get("a").unwrap().activated_at, Some(t(0)));
        assert_eq!(p0.get("b").unwrap().activated_at, None);
        // b becomes current, c next: a retires now.
        let p1 = reconcile(
            &p0,
            Some(SecretKeys {
                current: Some(&b),
                pending: None,
                next: Some(&c),
            }),
            t(5),
            R,
        );
        assert_eq!(p1.kids(), vec!["b", "c", "a"]);
        assert_eq!(p1.get("a").unwrap().retired_at, Some(t(5)));
        assert_eq!(p1.get("b").unwrap().activated_at, Some(t(5)));
        assert_eq!(p1.get("b").unwrap().published_at, t(0));
        // Cleanup before and after the retention.
        assert_eq!(reconcile(&p1, None, t(14), R).kids(), vec!["b", "c", "a"]);
        assert_eq!(reconcile(&p1, None, t(15), R).kids(), vec!["b", "c"]);
    }

    #[test]
    fn registry_round_trip_and_conservative_defaults() {
        let (a, b) = (key("a"), key("b"));
        let p = reconcile(
            &Published::default(),
            Some(SecretKeys {
                current: Some(&a),
                pending: None,
                next: Some(&b),
            }),
            t(0),
            R,
        );
        let back = Published::from_parts(&p.jwks(), Some(&p.registry()), t(3)).unwrap();
        assert_eq!(back, p);
        let lost = Published::from_parts(&p.jwks(), None, t(3)).unwrap();
        assert_eq!(lost.get("b").unwrap().published_at, t(3));
        assert!(lost.get("b").unwrap().activated_at.is_some());
        assert!(Published::from_parts(&p.jwks(), Some("{"), t(3)).is_err());
    }

    #[test]
    fn revoked_keys_leave_at_once_and_never_return_while_listed() {
        let (a, b, c) = (key("a"), key("b"), key("c"));
        let p0 = reconcile(
            &Published::default(),
            Some(SecretKeys {
                current: Some(&a),
                pending: None,
                next: Some(&b),
            }),
            t(0),
            R,
        );
        let mut p1 = reconcile(
            &p0,
            Some(SecretKeys {
                current: Some(&c),
                pending: None,
                next: Some(&b),
            }),
            t(1),
            R,
        );
        p1.revoked.insert("a".into(), t(1));
        let p2 = reconcile(
            &p1,
            Some(SecretKeys {
                current: Some(&c),
                pending: None,
                next: Some(&b),
            }),
            t(1),
            R,
        );
        assert_eq!(p2.kids(), vec!["c", "b"]);
        assert_eq!(reconcile(&p2, None, t(9), R).revoked.len(), 1);
        assert!(reconcile(&p2, None, t(11), R).revoked.is_empty());
    }

    #[test]
    fn never_signed_keys_leave_when_unreferenced() {
        let (a, b, c, d) = (key("a"), key("b"), key("c"), key("d"));
        let p0 = reconcile(
            &Published::default(),
            Some(SecretKeys {
                current: Some(&a),
                pending: None,
                next: Some(&b),
            }),
            t(0),
            R,
        );
        // Emergency: c signs now, d is the new next; b never signed and goes.
        let p1 = reconcile(
            &p0,
            Some(SecretKeys {
                current: Some(&c),
                pending: None,
                next: Some(&d),
            }),
            t(1),
            R,
        );
        assert_eq!(p1.kids(), vec!["c", "d", "a"]);
        // Cleanup alone never removes an unretired key.
        assert_eq!(reconcile(&p1, None, t(100), R).kids(), vec!["c", "d"]);
    }

    #[test]
    fn plan_create_rules() {
        let (a, b) = (key("a"), key("b"));
        let p = reconcile(
            &Published::default(),
            Some(SecretKeys {
                current: Some(&a),
                pending: None,
                next: Some(&b),
            }),
            t(0),
            R,
        );
        let g = Duration::from_hours(24);
        assert_eq!(plan_create(None, None, &p, t(0), g), CreatePlan::Initial);
        assert_eq!(
            plan_create(Some("a"), None, &p, t(0), g),
            CreatePlan::Defer(DeferReason::NoNextKey)
        );
        assert_eq!(
            plan_create(Some("a"), Some("a"), &p, t(0), g),
            CreatePlan::Defer(DeferReason::NextIsCurrent)
        );
        assert_eq!(
            plan_create(Some("a"), Some("z"), &p, t(0), g),
            CreatePlan::Defer(DeferReason::NextNotPublished)
        );
        assert!(matches!(
            plan_create(Some("a"), Some("b"), &p, t(23), g),
            CreatePlan::Defer(DeferReason::NextTooNew { .. })
        ));
        assert_eq!(
            plan_create(Some("a"), Some("b"), &p, t(24), g),
            CreatePlan::Promote
        );
        let mut r = p.clone();
        r.revoked.insert("b".into(), t(1));
        assert_eq!(
            plan_create(Some("a"), Some("b"), &r, t(48), g),
            CreatePlan::Defer(DeferReason::NextRevoked)
        );
        assert!(needs_new_next(Some("a"), None, &p));
        assert!(needs_new_next(Some("a"), Some("a"), &p));
        assert!(!needs_new_next(Some("a"), Some("b"), &p));
        assert!(needs_new_next(Some("a"), Some("b"), &r));
    }
}
