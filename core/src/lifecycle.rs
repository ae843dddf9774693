//! Key lifecycle rules as pure functions of (what the secret's labels point at, the key
//! registry, now).
//!
//! The **registry** ([`Published`]) is the source of truth of what is published: per kid the
//! public key, when it was published, activated and retired, the longest token lifetime in force
//! while it signed; the kids an operator revoked; and which secret version holds which kid. It
//! is stored as a private JSON object beside the JWKS (`RotationConfig::registry_key`), replaced
//! by conditional writes; the public JWKS is its projection ([`Published::jwks`]). Retention is
//! decided by time (`retiredAt + tokenLifetime + grace`), never by staging label, so any number
//! of retired keys stay while their tokens live.
//!
//! Deployments written before the registry object existed kept a compact registry in the JWKS
//! object's user metadata; [`Published::from_legacy`] reads it so they upgrade in place.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::duration::Duration;
use crate::jwks::{Jwks, PublicJwk};

/// User-metadata key (without `x-amz-meta-`) that held the registry before it moved to its own
/// object. Read for migration only; never written.
pub const REGISTRY_METADATA_KEY: &str = "jwks-rotation-registry";

/// Format version of the registry object.
pub const REGISTRY_FORMAT: u32 = 2;

/// Lifecycle of one published key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyState {
    /// The public key.
    pub jwk: PublicJwk,
    /// First time the key appeared in the JWKS.
    pub published_at: DateTime<Utc>,
    /// When it became the signing key (first seen as `AWSCURRENT` by a writer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activated_at: Option<DateTime<Utc>>,
    /// When it stopped being the signing key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired_at: Option<DateTime<Utc>>,
    /// Longest `maxTokenValidityDuration` in force while the key signed, in seconds: a retired
    /// key is kept for this long (or the current setting, if longer) plus the cleanup grace, so
    /// shortening the token lifetime never drops a key whose tokens were issued under the old one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_ttl_seconds: Option<u64>,
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
    /// When a retired key leaves the JWKS under `retention` (None while it is not retired).
    pub fn removal_at(&self, retention: Retention) -> Option<DateTime<Utc>> {
        let retired = self.retired_at?;
        Some(retired + retention.keep_for(self).to_chrono())
    }
}

/// The key registry: keys in document order, revoked kids with the time of revocation, and the
/// secret versions known to hold each kid.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Published {
    /// Keys, signing key first.
    #[serde(default)]
    pub keys: Vec<KeyState>,
    /// Revoked kids; they never return to the JWKS while listed.
    #[serde(default)]
    pub revoked: BTreeMap<String, DateTime<Utc>>,
    /// Secret version id -> kid it holds, for the versions of the published and revoked keys.
    #[serde(default)]
    pub versions: BTreeMap<String, String>,
}

/// Why the registry could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("the key registry is unreadable: {0}")]
pub struct RegistryError(String);

/// The registry object's JSON form.
#[derive(Serialize, Deserialize)]
struct RegistryDocument {
    format: u32,
    #[serde(flatten)]
    registry: Published,
}

/// The pre-2 registry kept in the JWKS object's user metadata.
#[derive(Deserialize)]
struct LegacyWire {
    v: u32,
    /// kid -> [publishedAt, activatedAt, retiredAt] in Unix seconds, 0 = none.
    #[serde(default)]
    k: BTreeMap<String, [i64; 3]>,
    /// revoked kid -> revokedAt.
    #[serde(default)]
    x: BTreeMap<String, i64>,
}

fn time(s: i64) -> Option<DateTime<Utc>> {
    if s <= 0 {
        None
    } else {
        Utc.timestamp_opt(s, 0).single()
    }
}

impl Published {
    /// Rebuilds the state from a JWKS body and the legacy registry metadata of deployments
    /// written before the registry object (absent for a document written by someone else). A
    /// key without a registry entry is treated as published now and as having signed, the
    /// conservative reading: it is not promoted early and not removed before a full retention
    /// period. Version ids are not known there; writers learn them from the secret.
    pub fn from_legacy(
        jwks: &Jwks,
        registry: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Published, RegistryError> {
        let wire = match registry {
            None => LegacyWire {
                v: 1,
                k: BTreeMap::new(),
                x: BTreeMap::new(),
            },
            Some(text) => serde_json::from_str::<LegacyWire>(text)
                .map_err(|e| RegistryError(e.to_string()))?,
        };
        if wire.v != 1 {
            return Err(RegistryError(format!(
                "unknown legacy registry version {}",
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
                    token_ttl_seconds: None,
                },
                None => KeyState {
                    jwk: jwk.clone(),
                    published_at: now,
                    activated_at: Some(now),
                    retired_at: None,
                    token_ttl_seconds: None,
                },
            })
            .collect();
        let revoked = wire
            .x
            .iter()
            .filter_map(|(kid, t)| time(*t).map(|t| (kid.clone(), t)))
            .collect();
        Ok(Published {
            keys,
            revoked,
            versions: BTreeMap::new(),
        })
    }

    /// Parses the registry object.
    pub fn from_registry_json(text: &[u8]) -> Result<Published, RegistryError> {
        let doc: RegistryDocument =
            serde_json::from_slice(text).map_err(|e| RegistryError(e.to_string()))?;
        if doc.format != REGISTRY_FORMAT {
            return Err(RegistryError(format!(
                "unknown registry format {} (this function reads format {REGISTRY_FORMAT})",
                doc.format
            )));
        }
        Ok(doc.registry)
    }

    /// The registry object's body (deterministic JSON).
    pub fn to_registry_json(&self) -> Vec<u8> {
        let doc = RegistryDocument {
            format: REGISTRY_FORMAT,
            registry: self.clone(),
        };
        // Maps of strings and timestamps always serialize.
        serde_json::to_vec_pretty(&doc).unwrap_or_default()
    }

    /// The JWKS document to publish: the projection of the registry.
    pub fn jwks(&self) -> Jwks {
        Jwks {
            keys: self.keys.iter().map(|k| k.jwk.clone()).collect(),
        }
    }

    /// The bytes of the published JWKS document.
    pub fn jwks_body(&self) -> Vec<u8> {
        self.jwks().to_bytes()
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

    /// The kid a secret version holds, when known.
    pub fn kid_of_version(&self, version_id: &str) -> Option<&str> {
        self.versions.get(version_id).map(String::as_str)
    }
}

/// The public keys the secret's staging labels point at, as one writer read them (labels read
/// after the registry, so any key registered before that read shows its label here).
#[derive(Debug, Clone, Default)]
pub struct SecretKeys<'a> {
    /// `AWSCURRENT`: the signing key (None before the first rotation).
    pub current: Option<&'a PublicJwk>,
    /// `AWSPENDING` while a rotation is under way (and not yet current).
    pub pending: Option<&'a PublicJwk>,
    /// `NEXT`: the pre-published next key.
    pub next: Option<&'a PublicJwk>,
    /// Keys held by our other labels (an emergency key before it signs, a fence copy).
    pub held: Vec<&'a PublicJwk>,
}

impl<'a> SecretKeys<'a> {
    fn referenced(&self) -> impl Iterator<Item = &'a PublicJwk> + '_ {
        [self.current, self.pending, self.next]
            .into_iter()
            .flatten()
            .chain(self.held.iter().copied())
    }
}

/// Retention settings for [`reconcile`].
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    /// `maxTokenValidityDuration` now in force.
    pub max_token_validity: Duration,
    /// `minKeyCleanupGracePeriod`.
    pub cleanup_grace: Duration,
}

impl Retention {
    /// How long `key` stays after its retirement: the longest token lifetime in force while it
    /// signed (or now, if longer) plus the grace.
    pub fn keep_for(&self, key: &KeyState) -> Duration {
        let ttl = key
            .token_ttl_seconds
            .unwrap_or(0)
            .max(self.max_token_validity.as_secs());
        Duration::from_secs(ttl).saturating_add(self.cleanup_grace)
    }
}

/// The next registry state.
///
/// With `secret` (labels read after the registry): the signing, pending, next and held keys are
/// published; the key at `AWSCURRENT` is stamped activated (and its token lifetime recorded); a
/// key that signed and is no longer `AWSCURRENT` is stamped retired now; keys that never signed
/// and that no label references leave at once (no token can carry them). Without `secret` (the
/// scheduled cleanup): only removals by time. In both cases a retired key leaves when
/// `now >= retiredAt + keep_for`, revoked kids stay out (also when a race put them at
/// `AWSCURRENT`: a revocation is never erased by a writer), and a revocation is forgotten once
/// the longest retention has passed. Version entries of keys that left are dropped.
pub fn reconcile(
    published: &Published,
    secret: Option<&SecretKeys<'_>>,
    now: DateTime<Utc>,
    retention: Retention,
) -> Published {
    let forget_after = Duration::from_secs(
        published
            .keys
            .iter()
            .filter_map(|k| k.token_ttl_seconds)
            .max()
            .unwrap_or(0)
            .max(retention.max_token_validity.as_secs()),
    )
    .saturating_add(retention.cleanup_grace)
    .to_chrono();
    let revoked: BTreeMap<String, DateTime<Utc>> = published
        .revoked
        .iter()
        .filter(|(_, t)| now < **t + forget_after)
        .map(|(k, t)| (k.clone(), *t))
        .collect();
    let current_kid = secret.and_then(|s| s.current).map(PublicJwk::kid);
    let referenced = |kid: &str| secret.is_some_and(|s| s.referenced().any(|k| k.kid() == kid));
    let ttl = retention.max_token_validity.as_secs();

    let mut keys: Vec<KeyState> = Vec::new();
    for state in &published.keys {
        let kid = state.kid();
        if revoked.contains_key(kid) {
            continue;
        }
        if Some(kid) == current_kid {
            keys.push(KeyState {
                activated_at: state.activated_at.or(Some(now)),
                retired_at: None,
                token_ttl_seconds: Some(state.token_ttl_seconds.unwrap_or(0).max(ttl)),
                ..state.clone()
            });
            continue;
        }
        let mut state = state.clone();
        if secret.is_some() && state.is_signing() {
            state.retired_at = Some(now);
        }
        match state.removal_at(retention) {
            Some(removal) if now >= removal => continue,
            Some(_) => keys.push(state),
            // The cleanup does not read the secret: it never removes an unretired key.
            None if secret.is_none() || referenced(kid) => keys.push(state),
            None => {} // never signed and no longer referenced: no token can carry it
        }
    }
    if let Some(s) = secret {
        for jwk in s.referenced() {
            let kid = jwk.kid();
            if keys.iter().any(|k| k.kid() == kid) || revoked.contains_key(kid) {
                continue;
            }
            let is_current = Some(kid) == current_kid;
            keys.push(KeyState {
                jwk: jwk.clone(),
                published_at: now,
                activated_at: is_current.then_some(now),
                retired_at: None,
                token_ttl_seconds: is_current.then_some(ttl),
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
    let versions = published
        .versions
        .iter()
        .filter(|(_, kid)| {
            keys.iter().any(|k| k.kid() == kid.as_str()) || revoked.contains_key(*kid)
        })
        .map(|(v, k)| (v.clone(), k.clone()))
        .collect();
    Published {
        keys,
        revoked,
        versions,
    }
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
        max_token_validity: Duration::from_hours(4),
        cleanup_grace: Duration::from_hours(6),
    };

    #[test]
    fn rotation_marks_activation_and_retirement_and_keeps_by_time() {
        let (a, b, c) = (key("a"), key("b"), key("c"));
        let p0 = reconcile(
            &Published::default(),
            Some(&SecretKeys {
                current: Some(&a),
                pending: None,
                next: Some(&b),
                held: vec![],
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
            Some(&SecretKeys {
                current: Some(&b),
                pending: None,
                next: Some(&c),
                held: vec![],
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
            Some(&SecretKeys {
                current: Some(&a),
                pending: None,
                next: Some(&b),
                held: vec![],
            }),
            t(0),
            R,
        );
        let back = Published::from_registry_json(&p.to_registry_json()).unwrap();
        assert_eq!(back, p);
        let lost = Published::from_legacy(&p.jwks(), None, t(3)).unwrap();
        assert_eq!(lost.get("b").unwrap().published_at, t(3));
        assert!(lost.get("b").unwrap().activated_at.is_some());
        assert!(Published::from_legacy(&p.jwks(), Some("{"), t(3)).is_err());
        assert!(Published::from_registry_json(b"{").is_err());
    }

    #[test]
    fn revoked_keys_leave_at_once_and_never_return_while_listed() {
        let (a, b, c) = (key("a"), key("b"), key("c"));
        let p0 = reconcile(
            &Published::default(),
            Some(&SecretKeys {
                current: Some(&a),
                pending: None,
                next: Some(&b),
                held: vec![],
            }),
            t(0),
            R,
        );
        let mut p1 = reconcile(
            &p0,
            Some(&SecretKeys {
                current: Some(&c),
                pending: None,
                next: Some(&b),
                held: vec![],
            }),
            t(1),
            R,
        );
        p1.revoked.insert("a".into(), t(1));
        let p2 = reconcile(
            &p1,
            Some(&SecretKeys {
                current: Some(&c),
                pending: None,
                next: Some(&b),
                held: vec![],
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
            Some(&SecretKeys {
                current: Some(&a),
                pending: None,
                next: Some(&b),
                held: vec![],
            }),
            t(0),
            R,
        );
        // Emergency: c signs now, d is the new next; b never signed and goes.
        let p1 = reconcile(
            &p0,
            Some(&SecretKeys {
                current: Some(&c),
                pending: None,
                next: Some(&d),
                held: vec![],
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
            Some(&SecretKeys {
                current: Some(&a),
                pending: None,
                next: Some(&b),
                held: vec![],
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

    fn keys3<'a>(c: &'a PublicJwk, n: &'a PublicJwk) -> SecretKeys<'a> {
        SecretKeys {
            current: Some(c),
            pending: None,
            next: Some(n),
            held: vec![],
        }
    }

    #[test]
    fn legacy_metadata_registry_migrates_without_losing_a_key() {
        // What the previous release wrote: body + compact registry in user metadata.
        let (a, b, c) = (key("a"), key("b"), key("c"));
        let jwks = Jwks {
            keys: vec![b.clone(), c.clone(), a.clone()],
        };
        let t0 = t(0).timestamp();
        let legacy = format!(
            r#"{{"v":1,"k":{{"a":[{t0},{t0},{}],"b":[{t0},{},0],"c":[{},0,0]}},"x":{{"z":{}}}}}"#,
            t0 + 5 * 3600,
            t0 + 5 * 3600,
            t0 + 5 * 3600,
            t0 + 5 * 3600
        );
        let p = Published::from_legacy(&jwks, Some(&legacy), t(6)).unwrap();
        assert_eq!(p.kids(), vec!["b", "c", "a"]);
        assert_eq!(p.get("a").unwrap().retired_at, Some(t(5)));
        assert_eq!(p.get("b").unwrap().activated_at, Some(t(5)));
        assert!(p.is_revoked("z"));
        // Migrated into the registry object and read back: nothing lost.
        let back = Published::from_registry_json(&p.to_registry_json()).unwrap();
        assert_eq!(back, p);
        let next = reconcile(&back, Some(&keys3(&b, &c)), t(6), R);
        assert_eq!(next.kids(), vec!["b", "c", "a"]);
    }

    #[test]
    fn shortening_the_token_lifetime_keeps_keys_for_the_lifetime_they_signed_under() {
        let (a, b, c) = (key("a"), key("b"), key("c"));
        let long = Retention {
            max_token_validity: Duration::from_hours(100),
            cleanup_grace: Duration::from_hours(6),
        };
        let p0 = reconcile(&Published::default(), Some(&keys3(&a, &b)), t(0), long);
        assert_eq!(p0.get("a").unwrap().token_ttl_seconds, Some(100 * 3600));
        // The lifetime is cut to 4h (R) and a rotation retires a at t(10).
        let p1 = reconcile(&p0, Some(&keys3(&b, &c)), t(10), R);
        assert_eq!(p1.get("a").unwrap().retired_at, Some(t(10)));
        // a's tokens were issued for 100h: it stays until 10 + 100 + 6.
        assert!(reconcile(&p1, None, t(115), R).get("a").is_some());
        assert!(reconcile(&p1, None, t(116), R).get("a").is_none());
    }

    #[test]
    fn a_revocation_is_never_erased_by_a_writer_that_sees_the_kid_current() {
        let (a, b) = (key("a"), key("b"));
        let mut p = reconcile(&Published::default(), Some(&keys3(&a, &b)), t(0), R);
        p.revoked.insert("b".into(), t(1));
        let p2 = reconcile(&p, Some(&keys3(&b, &a)), t(2), R);
        assert!(p2.is_revoked("b"));
        assert!(p2.get("b").is_none());
    }
}
