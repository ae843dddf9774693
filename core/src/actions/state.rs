//! Reading the state an action decides on (registry first, then labels), and writing a
//! decision back: the registry with a conditional write, then the JWKS as its projection.

use std::collections::BTreeMap;

use super::backend::{Backend, Fetched, Labels, Precondition, WriteOutcome};
use super::{ActionFailure, label};
use crate::jwks::{Jwks, PublicJwk};
use crate::lifecycle::{Published, SecretKeys};

/// How many times an action re-reads and decides again after a refused conditional write or
/// label move before it gives up with [`ActionFailure::Contention`].
pub const MAX_ATTEMPTS: u32 = 8;

/// The secret's labels and the public key behind every labelled version that matters.
#[derive(Debug, Clone, Default)]
pub struct View {
    /// Version id -> labels.
    pub labels: Labels,
    /// Version id -> its public key (None: the placeholder, no value yet, or not ours), for the
    /// versions holding a reference label.
    pub keys: BTreeMap<String, Option<PublicJwk>>,
}

impl View {
    /// The version holding `label`.
    pub fn holder(&self, label: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(_, ls)| ls.iter().any(|l| l == label))
            .map(|(v, _)| v.as_str())
    }
    /// Whether `version` holds `label`.
    pub fn has(&self, version: &str, label: &str) -> bool {
        self.labels
            .get(version)
            .is_some_and(|ls| ls.iter().any(|l| l == label))
    }
    /// The public key of `version`, when known.
    pub fn key_of(&self, version: &str) -> Option<&PublicJwk> {
        self.keys.get(version).and_then(Option::as_ref)
    }
    /// The public key at `label`.
    pub fn key_at(&self, label: &str) -> Option<&PublicJwk> {
        self.holder(label).and_then(|v| self.key_of(v))
    }
    /// The kid at `label`.
    pub fn kid_at(&self, label: &str) -> Option<&str> {
        self.key_at(label).map(PublicJwk::kid)
    }
    /// The version holding `AWSPENDING` when it is not also `AWSCURRENT` (a rotation in
    /// progress).
    pub fn pending_in_progress(&self) -> Option<&str> {
        self.holder(label::PENDING)
            .filter(|p| !self.has(p, label::CURRENT))
    }
    /// Records that `version` now holds `label` and `key` (after this action's own write).
    pub fn set_label(&mut self, label: &str, version: &str, key: Option<PublicJwk>) {
        for ls in self.labels.values_mut() {
            ls.retain(|l| l != label);
        }
        self.labels
            .entry(version.to_string())
            .or_default()
            .push(label.to_string());
        self.keys.insert(version.to_string(), key);
    }
    /// Records that `label` left `version`.
    pub fn remove_label(&mut self, label: &str, version: &str) {
        if let Some(ls) = self.labels.get_mut(version) {
            ls.retain(|l| l != label);
        }
    }
    /// The keys the labels point at, for [`crate::lifecycle::reconcile`].
    pub fn secret_keys(&self) -> SecretKeys<'_> {
        let mut held = Vec::new();
        for (version, ls) in &self.labels {
            if ls.iter().any(|l| l.starts_with(label::EMERGENCY_PREFIX))
                && let Some(k) = self.key_of(version)
            {
                held.push(k);
            }
        }
        SecretKeys {
            current: self.key_at(label::CURRENT),
            pending: self.pending_in_progress().and_then(|v| self.key_of(v)),
            next: self.key_at(label::NEXT),
            held,
        }
    }
    /// Adds `version -> kid` for every known key of the view whose kid the registry keeps.
    pub fn register(&self, registry: &mut Published) {
        for (version, key) in &self.keys {
            if let Some(k) = key
                && (registry.get(k.kid()).is_some() || registry.is_revoked(k.kid()))
            {
                registry
                    .versions
                    .insert(version.clone(), k.kid().to_string());
            }
        }
    }
}

/// What an action read: the registry (and how to write it and the JWKS back), then the labels.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The registry.
    pub registry: Published,
    /// Its ETag (None: the registry object does not exist yet).
    pub registry_etag: Option<String>,
    /// The guard for the next JWKS write.
    pub jwks_guard: Precondition,
    /// The JWKS body the action read, when it read it (otherwise the JWKS is taken to be the
    /// registry's projection, which `jwks_guard` expects).
    pub jwks_seen: Option<Vec<u8>>,
    /// Labels and keys, read after the registry.
    pub view: View,
}

fn unreadable(what: &str, e: impl std::fmt::Display) -> ActionFailure {
    ActionFailure::Unreadable(format!("the {what} is unreadable: {e}"))
}

/// Reads the registry object; where it does not exist yet, migrates the legacy registry from the
/// JWKS object's metadata (deployments written before the registry object existed).
pub async fn read_registry<B: Backend>(
    b: &B,
) -> Result<(Published, Option<String>, Precondition), B::Error> {
    if let Some(r) = b.read_registry().await? {
        let registry =
            Published::from_registry_json(&r.body).map_err(|e| unreadable("key registry", e))?;
        let guard = Precondition::IfMatch(b.etag_of(&registry.jwks_body()));
        return Ok((registry, Some(r.etag), guard));
    }
    match b.read_jwks().await? {
        Some(j) => {
            let jwks = Jwks::parse(&j.body).map_err(|e| unreadable("published JWKS", e))?;
            let registry = Published::from_legacy(&jwks, j.legacy_registry.as_deref(), b.now())
                .map_err(|e| unreadable("legacy registry metadata", e))?;
            Ok((registry, None, Precondition::IfMatch(j.etag)))
        }
        None => Ok((Published::default(), None, Precondition::IfAbsent)),
    }
}

/// Reads the labels and resolves the key of every version holding a reference label: from
/// `known` (this action's own values), the registry's version map, or by reading the version.
pub async fn read_view<B: Backend>(
    b: &B,
    registry: &Published,
    known: &BTreeMap<String, Option<PublicJwk>>,
) -> Result<View, B::Error> {
    let labels = b.describe().await?;
    let mut keys = BTreeMap::new();
    for (version, ls) in &labels {
        if !ls.iter().any(|l| label::is_reference(l)) {
            continue;
        }
        if let Some(k) = known.get(version) {
            keys.insert(version.clone(), k.clone());
            continue;
        }
        if let Some(state) = registry
            .kid_of_version(version)
            .and_then(|kid| registry.get(kid))
        {
            keys.insert(version.clone(), Some(state.jwk.clone()));
            continue;
        }
        let key = match b.get(Some(version), None).await? {
            Fetched::Found { value, .. } => value.key().map(|k| k.public_key_jwk.clone()),
            Fetched::NotFound | Fetched::StageMismatch => None,
        };
        keys.insert(version.clone(), key);
    }
    Ok(View { labels, keys })
}

/// Registry, then labels.
pub async fn read_snapshot<B: Backend>(
    b: &B,
    known: &BTreeMap<String, Option<PublicJwk>>,
) -> Result<Snapshot, B::Error> {
    let (registry, registry_etag, jwks_guard) = read_registry(b).await?;
    let view = read_view(b, &registry, known).await?;
    Ok(Snapshot {
        registry,
        registry_etag,
        jwks_guard,
        jwks_seen: None,
        view,
    })
}

/// Writes `next` if it differs from what `snap` read: the registry conditionally, then the JWKS
/// when its projection changed. `Ok(None)`: the registry changed since it was read; re-read and
/// decide again.
pub async fn commit<B: Backend>(
    b: &B,
    snap: &Snapshot,
    next: Published,
) -> Result<Option<Published>, B::Error> {
    if snap.registry_etag.is_some() && next == snap.registry {
        return Ok(Some(next));
    }
    let guard = match &snap.registry_etag {
        Some(e) => Precondition::IfMatch(e.clone()),
        None => Precondition::IfAbsent,
    };
    if b.write_registry(&next.to_registry_json(), &guard).await? == WriteOutcome::Conflict {
        return Ok(None);
    }
    let replaced = snap
        .jwks_seen
        .clone()
        .unwrap_or_else(|| snap.registry.jwks_body());
    if snap.registry_etag.is_none() || next.jwks_body() != replaced {
        sync_jwks(b, next.clone(), snap.jwks_guard.clone(), &replaced).await?;
    }
    Ok(Some(next))
}

/// How long after its recorded publication a key may first reach the JWKS before the record is
/// moved to the time it did (an action's own registry and JWKS writes are seconds apart).
const PUBLICATION_SLACK_MINUTES: i64 = 10;

/// Makes the JWKS the projection of the newest registry, replacing a document with the body
/// `replaced` (as read or as computed; empty when there was none). A refused write means another
/// writer got there: the JWKS is re-read first and the registry after it, so the projection
/// written is never older than the registry behind what it replaces (a writer that wrote a
/// newer registry after our read either already changed the JWKS, and our conditional write
/// fails, or will write it after us, guarded by the ETag of the projection we write).
///
/// A key this write serves for the first time, well after the registry recorded its
/// publication (its writer stopped between the two writes, and this is the repair), gets its
/// `publishedAt` moved to now: `minActivationGracePeriod` counts from when verifiers could
/// fetch the key, not from when the registry listed it.
pub async fn sync_jwks<B: Backend>(
    b: &B,
    mut registry: Published,
    mut guard: Precondition,
    replaced: &[u8],
) -> Result<(), B::Error> {
    let mut replaced = replaced.to_vec();
    let mut body = registry.jwks_body();
    for _ in 0..MAX_ATTEMPTS {
        if let WriteOutcome::Written(_) = b.write_jwks(&body, &guard).await? {
            return stamp_late_publications(b, &registry, &replaced).await;
        }
        let jwks = b.read_jwks().await?;
        if let Some(r) = b.read_registry().await? {
            registry = Published::from_registry_json(&r.body)
                .map_err(|e| unreadable("key registry", e))?;
            body = registry.jwks_body();
        }
        match jwks {
            Some(j) if j.body == body => return Ok(()),
            Some(j) => {
                guard = Precondition::IfMatch(j.etag);
                replaced = j.body;
            }
            None => {
                guard = Precondition::IfAbsent;
                replaced = Vec::new();
            }
        }
    }
    Err(ActionFailure::Contention(MAX_ATTEMPTS).into())
}

/// The kids of a JWKS body (none when it is empty or unreadable).
fn kids_of(body: &[u8]) -> std::collections::BTreeSet<String> {
    Jwks::parse(body)
        .map(|j| j.keys.iter().map(|k| k.kid().to_string()).collect())
        .unwrap_or_default()
}

/// After a JWKS write that replaced `replaced` with the projection of `written`: moves the
/// `publishedAt` of every key served for the first time, and recorded as published more than
/// the slack ago, to now. No call unless there is such a key (only after a repair).
async fn stamp_late_publications<B: Backend>(
    b: &B,
    written: &Published,
    replaced: &[u8],
) -> Result<(), B::Error> {
    let now = b.now();
    let slack = chrono::TimeDelta::minutes(PUBLICATION_SLACK_MINUTES);
    let before = kids_of(replaced);
    let late: Vec<String> = written
        .keys
        .iter()
        .filter(|k| !before.contains(k.kid()) && k.published_at + slack < now)
        .map(|k| k.kid().to_string())
        .collect();
    if late.is_empty() {
        return Ok(());
    }
    for _ in 0..MAX_ATTEMPTS {
        let Some(r) = b.read_registry().await? else {
            return Ok(());
        };
        let mut registry =
            Published::from_registry_json(&r.body).map_err(|e| unreadable("key registry", e))?;
        let mut changed = false;
        for k in registry.keys.iter_mut() {
            if late.iter().any(|l| l == k.kid()) && k.published_at + slack < now {
                k.published_at = now;
                changed = true;
            }
        }
        if !changed {
            return Ok(());
        }
        let guard = Precondition::IfMatch(r.etag);
        if b.write_registry(&registry.to_registry_json(), &guard)
            .await?
            != WriteOutcome::Conflict
        {
            return Ok(());
        }
    }
    Err(ActionFailure::Contention(MAX_ATTEMPTS).into())
}

/// Makes sure the JWKS is the projection of the newest registry (two reads, JWKS first; a write
/// only when it lags, after a writer stopped between its registry write and its JWKS write).
pub async fn ensure_jwks<B: Backend>(b: &B) -> Result<(), B::Error> {
    let jwks = b.read_jwks().await?;
    let Some(r) = b.read_registry().await? else {
        return Ok(());
    };
    let registry =
        Published::from_registry_json(&r.body).map_err(|e| unreadable("key registry", e))?;
    let body = registry.jwks_body();
    match jwks {
        Some(j) if j.body == body => Ok(()),
        Some(j) => sync_jwks(b, registry, Precondition::IfMatch(j.etag), &j.body).await,
        None => sync_jwks(b, registry, Precondition::IfAbsent, &[]).await,
    }
}

/// Reads the key stored in `version`.
pub async fn read_key<B: Backend>(
    b: &B,
    version: &str,
) -> Result<crate::secret_value::SecretValue, B::Error> {
    match b.get(Some(version), None).await? {
        Fetched::Found { value, .. } => value.key().cloned().ok_or_else(|| {
            ActionFailure::ForeignValue {
                location: format!("version {version}"),
                reason: "it holds the placeholder, not a key".into(),
            }
            .into()
        }),
        Fetched::NotFound | Fetched::StageMismatch => {
            Err(ActionFailure::NoPendingValue(version.to_string()).into())
        }
    }
}
