//! An in-memory model of the AWS services the actions use, faithful to AWS (not to moto), with
//! crash injection and an invariant tracker that checks the world before and after every call.
//!
//! Secrets Manager: versions with immutable values and staging labels.
//! - `PutSecretValue` with an existing token and the same value is a no-op success (labels are
//!   not touched); another value is refused (`TokenInUse`). The given labels move onto the
//!   version from wherever they are; moving `AWSCURRENT` puts `AWSPREVIOUS` on the old holder
//!   (removed from elsewhere) and leaves the old holder's other labels in place.
//! - `UpdateSecretVersionStage`: moving a label attached to another version needs
//!   `RemoveFromVersionId` = that version; a `RemoveFromVersionId` that does not hold the label
//!   is refused (both `MoveOutcome::Conflict`); `MoveTo = None` removes the label.
//! - `GetSecretValue` by version and/or stage; `DescribeSecret` lists the versions that have
//!   labels or a value.
//! - `RotateSecret` (test driver only): refused while `AWSPENDING` is on a version that is not
//!   `AWSCURRENT` ("a previous rotation isn't complete"); else a value-less `AWSPENDING` version.
//!
//! S3: the registry object and the JWKS object, ETag = a hash of the body, conditional writes.

#![allow(dead_code)]

pub mod explore;

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use jwks_rotation_core::actions::{
    ActionFailure, Backend, Fetched, MoveOutcome, Precondition, PutOutcome, RegistryRead,
    WriteOutcome,
};
use jwks_rotation_core::jwks::PRIVATE_MEMBERS;
use jwks_rotation_core::lifecycle::Published;
use jwks_rotation_core::secret_value::PLACEHOLDER_VALUE;
use jwks_rotation_core::{
    Duration, KeySpec, PublicJwk, RotationConfig, RotationKind, SecretValue, StoredValue,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub const CURRENT: &str = "AWSCURRENT";
pub const PENDING: &str = "AWSPENDING";
pub const PREVIOUS: &str = "AWSPREVIOUS";
pub const NEXT: &str = "NEXT";

pub const PLACEHOLDER_VERSION: &str = "00000000-0000-4000-8000-00000000cafe";

/// The backend's error: a domain failure, an injected crash, or an AWS error the actions should
/// never provoke (a malformed request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelError {
    Action(ActionFailure),
    Crash,
    Aws(String),
}

impl From<ActionFailure> for ModelError {
    fn from(f: ActionFailure) -> Self {
        ModelError::Action(f)
    }
}

impl std::fmt::Display for ModelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ModelError::Action(a) => write!(f, "{}({a})", a.error_type()),
            ModelError::Crash => write!(f, "Crash"),
            ModelError::Aws(m) => write!(f, "AwsError({m})"),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Version {
    /// The SecretString (None: RotateSecret's version before createSecret put a value).
    pub value: Option<String>,
    /// The kid of the value, when it is a key.
    pub kid: Option<String>,
    pub labels: BTreeSet<String>,
}

/// What the checker reads from the registry object: the revoked kids and the recorded
/// retirements.
#[derive(Debug, Clone, Default)]
pub struct RegistryFacts {
    pub revoked: BTreeSet<String>,
    pub retired: BTreeMap<String, DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct Object {
    pub body: Vec<u8>,
    pub etag: String,
}

pub fn etag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Per kid, what the tracker saw.
#[derive(Debug, Clone, Default)]
pub struct KidTrack {
    pub first_published: Option<DateTime<Utc>>,
    pub first_current: Option<DateTime<Utc>>,
    pub last_current: Option<DateTime<Utc>>,
    /// The latest retirement the registry recorded for it.
    pub recorded_retired: Option<DateTime<Utc>>,
    /// Longest maxTokenValidity in force while it signed.
    pub ttl_secs: u64,
    /// It first signed as an emergency key or as the very first key.
    pub exempt_prepublication: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Tracker {
    pub kids: BTreeMap<String, KidTrack>,
    /// Revocations an action reported done: kid -> when.
    pub reported_revoked: BTreeMap<String, DateTime<Utc>>,
    /// Rotation tokens whose finishSecret returned Ok.
    pub completed_tokens: BTreeSet<String>,
    /// Check invariant 3 (prompt removal); only where the cleanup runs on its schedule.
    pub check_removal: bool,
}

#[derive(Clone)]
pub struct World {
    pub versions: BTreeMap<String, Version>,
    pub registry: Option<Object>,
    pub jwks: Option<Object>,
    pub now: DateTime<Utc>,
    pub keys_made: u64,
    pub tokens_made: u64,
    /// AWS calls made.
    pub calls: u64,
    /// After this many calls every call fails with `Crash` (and changes nothing).
    pub crash_after: Option<u64>,
    /// Crash (from then on) at the `n`th call whose description contains the text.
    pub crash_on: Option<(String, usize)>,
    /// Conditional writes, puts and label moves that AWS refused.
    pub refusals: Vec<String>,
    pub track: Tracker,
    pub violations: Vec<String>,
    /// The calls, as "actor:op", for failure reports.
    pub trace: Vec<String>,
    pub record_trace: bool,
    /// DescribeSecret lists versions that have a value but no label (deprecated versions) too.
    /// The brief's reading; AWS documents VersionIdsToStages as the versions with labels, so the
    /// other reading is tested where it matters.
    pub describe_lists_unlabelled: bool,
    /// Parsed JWKS (etag -> problems, kids) and registry (etag -> revoked kids), for speed.
    jwks_cache: Option<(String, Vec<String>, BTreeSet<String>)>,
    registry_cache: Option<(String, Result<RegistryFacts, String>)>,
    /// (calls, now) at the last check: nothing changed since, the check before the next call
    /// would repeat it.
    last_check: Option<(u64, DateTime<Utc>)>,
}

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

pub fn config(ttl: Duration) -> RotationConfig {
    RotationConfig::with_defaults("jwks-secret", "jwks-bucket", KeySpec::Ed25519, ttl)
}

pub fn fake_jwk(kid: &str) -> PublicJwk {
    let m = json!({"kty":"OKP","crv":"Ed25519","x": format!("x-{kid}"), "d": "PRIVATE-MEMBER"});
    PublicJwk::from_jwk(m.as_object().unwrap(), kid, "EdDSA").unwrap()
}

pub fn fake_pem(x: &str) -> String {
    format!("-----BEGIN PRIVATE KEY-----\nPRIVATE-{x}\n-----END PRIVATE KEY-----\n")
}

impl World {
    pub fn new(now: DateTime<Utc>) -> World {
        let mut versions = BTreeMap::new();
        versions.insert(
            PLACEHOLDER_VERSION.to_string(),
            Version {
                value: Some(PLACEHOLDER_VALUE.to_string()),
                kid: None,
                labels: [CURRENT.to_string()].into(),
            },
        );
        World {
            versions,
            registry: None,
            jwks: None,
            now,
            keys_made: 0,
            tokens_made: 0,
            calls: 0,
            crash_after: None,
            crash_on: None,
            refusals: Vec::new(),
            track: Tracker::default(),
            violations: Vec::new(),
            trace: Vec::new(),
            record_trace: true,
            describe_lists_unlabelled: true,
            jwks_cache: None,
            registry_cache: None,
            last_check: None,
        }
    }

    pub fn holder(&self, label: &str) -> Option<&str> {
        self.versions
            .iter()
            .find(|(_, v)| v.labels.contains(label))
            .map(|(id, _)| id.as_str())
    }

    pub fn kid_at(&self, label: &str) -> Option<String> {
        self.holder(label)
            .and_then(|v| self.versions[v].kid.clone())
    }

    pub fn value_of(&self, version: &str) -> Option<SecretValue> {
        let text = self.versions.get(version)?.value.as_ref()?;
        StoredValue::parse(text).ok()?.key().cloned()
    }

    /// The labels of the versions holding `kid`, for messages.
    /// The newest retired kid that is neither signing nor revoked (a target for revoke).
    pub fn newest_retired(&self) -> Option<String> {
        let reg = self.registry()?;
        let cur = self.kid_at(CURRENT);
        reg.keys
            .iter()
            .filter(|k| k.retired_at.is_some() && Some(k.kid().to_string()) != cur)
            .filter(|k| !reg.is_revoked(k.kid()))
            .max_by_key(|k| k.retired_at)
            .map(|k| k.kid().to_string())
    }

    pub fn holders_of(&self, kid: &str) -> String {
        let hs: Vec<String> = self
            .versions
            .iter()
            .filter(|(_, v)| v.kid.as_deref() == Some(kid) && !v.labels.is_empty())
            .map(|(id, v)| format!("{}{:?}", &id[..8], v.labels))
            .collect();
        if hs.is_empty() {
            "no labelled version".into()
        } else {
            hs.join(", ")
        }
    }

    pub fn registry(&self) -> Option<Published> {
        self.registry
            .as_ref()
            .and_then(|o| Published::from_registry_json(&o.body).ok())
    }

    pub fn jwks_kids(&self) -> Vec<String> {
        let Some(o) = &self.jwks else { return vec![] };
        let Ok(doc) = serde_json::from_slice::<Value>(&o.body) else {
            return vec![];
        };
        doc["keys"]
            .as_array()
            .map(|ks| {
                ks.iter()
                    .filter_map(|k| k["kid"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A hash of everything a follow-up depends on: the observable state, the clock, and what the
    /// tracker knows about this run (kids that signed now, reported revocations, completed
    /// rotations).
    pub fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.observable().hash(&mut h);
        self.now.hash(&mut h);
        for (k, t) in &self.track.kids {
            (
                k,
                t.first_published,
                t.first_current,
                t.last_current,
                t.ttl_secs,
            )
                .hash(&mut h);
        }
        for k in &self.track.reported_revoked {
            k.hash(&mut h);
        }
        for t in &self.track.completed_tokens {
            t.hash(&mut h);
        }
        self.violations.hash(&mut h);
        h.finish()
    }

    /// What an observer compares to tell whether anything changed: versions (values, labels),
    /// both objects.
    pub fn observable(&self) -> String {
        let mut s = String::new();
        for (id, v) in &self.versions {
            s.push_str(&format!(
                "{id} {:?} {:?}\n",
                v.labels,
                v.value.as_deref().map(|t| etag(t.as_bytes()))
            ));
        }
        for o in [&self.registry, &self.jwks] {
            s.push_str(&format!(
                "{:?}\n",
                o.as_ref()
                    .map(|o| String::from_utf8_lossy(&o.body).to_string())
            ));
        }
        s
    }

    fn attach(&mut self, label: &str, to: &str) {
        let old = self.holder(label).map(str::to_string);
        for v in self.versions.values_mut() {
            v.labels.remove(label);
        }
        if label == CURRENT
            && let Some(old) = old.filter(|o| o != to)
        {
            for v in self.versions.values_mut() {
                v.labels.remove(PREVIOUS);
            }
            self.versions
                .get_mut(&old)
                .expect("holder exists")
                .labels
                .insert(PREVIOUS.into());
        }
        self.versions
            .get_mut(to)
            .expect("target exists")
            .labels
            .insert(label.into());
    }

    // ---- Secrets Manager ----

    pub fn describe(&self) -> backend_labels::Labels {
        self.versions
            .iter()
            .filter(|(_, v)| {
                !v.labels.is_empty() || (self.describe_lists_unlabelled && v.value.is_some())
            })
            .map(|(id, v)| (id.clone(), v.labels.iter().cloned().collect()))
            .collect()
    }

    pub fn get(&self, version: Option<&str>, stage: Option<&str>) -> Result<Fetched, ModelError> {
        let id = match (version, stage) {
            (Some(v), _) => v.to_string(),
            (None, Some(s)) => match self.holder(s) {
                Some(h) => h.to_string(),
                None => return Ok(Fetched::NotFound),
            },
            (None, None) => match self.holder(CURRENT) {
                Some(h) => h.to_string(),
                None => return Ok(Fetched::NotFound),
            },
        };
        let Some(v) = self.versions.get(&id) else {
            return Ok(Fetched::NotFound);
        };
        if let Some(s) = stage
            && !v.labels.contains(s)
        {
            return Ok(Fetched::StageMismatch);
        }
        let Some(text) = &v.value else {
            return Ok(Fetched::NotFound);
        };
        let value = StoredValue::parse(text)
            .map_err(|e| ModelError::Aws(format!("stored value of {id} unparsable: {e}")))?;
        Ok(Fetched::Found {
            version_id: id,
            stages: v.labels.iter().cloned().collect(),
            value,
        })
    }

    pub fn put(
        &mut self,
        token: &str,
        value: &SecretValue,
        stages: &[&str],
    ) -> Result<PutOutcome, ModelError> {
        let text = value.to_json();
        if let Some(v) = self.versions.get(token)
            && let Some(existing) = &v.value
        {
            if *existing == text {
                return Ok(PutOutcome::Written);
            }
            self.refusals
                .push(format!("PutSecretValue({token}) TokenInUse"));
            return Ok(PutOutcome::TokenInUse);
        }
        let v = self.versions.entry(token.to_string()).or_default();
        v.value = Some(text);
        v.kid = Some(value.kid.clone());
        let stages: Vec<&str> = if stages.is_empty() {
            vec![CURRENT]
        } else {
            stages.to_vec()
        };
        for s in stages {
            self.attach(s, token);
        }
        Ok(PutOutcome::Written)
    }

    pub fn move_label(
        &mut self,
        label: &str,
        move_to: Option<&str>,
        remove_from: Option<&str>,
    ) -> Result<MoveOutcome, ModelError> {
        let holder = self.holder(label).map(str::to_string);
        for id in [move_to, remove_from].into_iter().flatten() {
            if !self.versions.contains_key(id) {
                return Err(ModelError::Aws(format!(
                    "UpdateSecretVersionStage: version {id} does not exist"
                )));
            }
        }
        let refuse = |w: &mut World, why: String| {
            w.refusals.push(why);
            Ok(MoveOutcome::Conflict)
        };
        match move_to {
            Some(to) => {
                match (holder.as_deref(), remove_from) {
                    (Some(h), Some(r)) if h == r => {}
                    (Some(h), None) if h == to => {}
                    (Some(h), r) => {
                        return refuse(
                            self,
                            format!("move {label} -> {to}: held by {h}, RemoveFrom {r:?}"),
                        );
                    }
                    (None, Some(r)) => {
                        return refuse(
                            self,
                            format!("move {label} -> {to}: RemoveFrom {r} does not hold it"),
                        );
                    }
                    (None, None) => {}
                }
                self.attach(label, to);
                Ok(MoveOutcome::Moved)
            }
            None => {
                let Some(r) = remove_from else {
                    return Err(ModelError::Aws(
                        "UpdateSecretVersionStage needs MoveToVersionId or RemoveFromVersionId"
                            .into(),
                    ));
                };
                if holder.as_deref() != Some(r) {
                    return refuse(self, format!("remove {label} from {r}: not there"));
                }
                if label == CURRENT {
                    return Err(ModelError::Aws(
                        "AWSCURRENT cannot be removed, only moved".into(),
                    ));
                }
                self.versions.get_mut(r).unwrap().labels.remove(label);
                Ok(MoveOutcome::Moved)
            }
        }
    }

    /// RotateSecret. Err(pending token): a previous rotation is not complete (AWS re-attempts it
    /// with that token).
    pub fn rotate_secret(&mut self) -> Result<String, String> {
        self.last_check = None;
        if let Some(p) = self.holder(PENDING)
            && !self.versions[p].labels.contains(CURRENT)
        {
            return Err(p.to_string());
        }
        for v in self.versions.values_mut() {
            v.labels.remove(PENDING);
        }
        self.tokens_made += 1;
        let token = uuid::Uuid::from_u128(
            0xa000_0000_0000_4000_8000_0000_0000_0000 + u128::from(self.tokens_made),
        )
        .to_string();
        self.versions.insert(
            token.clone(),
            Version {
                value: None,
                kid: None,
                labels: [PENDING.to_string()].into(),
            },
        );
        Ok(token)
    }

    // ---- S3 ----

    fn write_object(slot: &mut Option<Object>, body: &[u8], pre: &Precondition) -> Option<String> {
        let ok = match (pre, slot.as_ref()) {
            (Precondition::IfMatch(e), Some(o)) => *e == o.etag,
            (Precondition::IfMatch(_), None) => false,
            (Precondition::IfAbsent, o) => o.is_none(),
        };
        if !ok {
            return None;
        }
        let e = etag(body);
        *slot = Some(Object {
            body: body.to_vec(),
            etag: e.clone(),
        });
        Some(e)
    }

    // ---- invariants ----

    /// Checks the invariants and updates the tracker; returns the violations.
    pub fn check(&mut self, cfg: &RotationConfig, ctx: &str) -> Vec<String> {
        let now = self.now;
        let mut out = Vec::new();
        let mut bad = |m: String| out.push(format!("[{ctx} @ {}] {m}", now.to_rfc3339()));
        // Invariant 4 on the raw document.
        let (jwks_problems, jwks_kids) = self.parsed_jwks();
        for p in jwks_problems {
            bad(p);
        }
        let (revoked, retired) = match self.parsed_registry() {
            Ok(r) => (r.revoked, r.retired),
            Err(e) => {
                bad(e);
                Default::default()
            }
        };
        for (k, at) in retired {
            let t = self.track.kids.entry(k).or_default();
            t.recorded_retired = Some(t.recorded_retired.map_or(at, |r| r.max(at)));
        }
        for k in &jwks_kids {
            self.track
                .kids
                .entry(k.clone())
                .or_default()
                .first_published
                .get_or_insert(now);
        }
        let cur_version = self.holder(CURRENT).map(str::to_string);
        let cur = cur_version
            .as_ref()
            .and_then(|v| self.versions[v].kid.clone());
        let ttl = cfg.max_token_validity.as_secs();
        let grace = cfg.min_activation_grace_period.to_chrono();
        if let Some(c) = &cur {
            let first_key = !self.track.kids.values().any(|t| t.first_current.is_some());
            let emergency = cur_version
                .as_deref()
                .and_then(|v| self.value_of(v))
                .and_then(|v| v.rotation)
                .is_some_and(|r| r.kind == RotationKind::Emergency);
            let t = self.track.kids.entry(c.clone()).or_default();
            if t.first_current.is_none() {
                t.exempt_prepublication = first_key || emergency;
                if !t.exempt_prepublication {
                    match t.first_published {
                        None => bad(format!("inv2: `{c}` signs and was never published")),
                        Some(p) if now - p < grace => bad(format!(
                            "inv2: `{c}` signs {} after its publication (< minActivationGracePeriod)",
                            now - p
                        )),
                        Some(_) => {}
                    }
                }
                t.first_current = Some(now);
            }
            t.last_current = Some(now);
            t.ttl_secs = t.ttl_secs.max(ttl);
            if !jwks_kids.contains(c) {
                bad(format!("inv1: the signing kid `{c}` is not in the JWKS"));
            }
            if revoked.contains(c) {
                bad(format!("the signing kid `{c}` is revoked in the registry"));
            }
        }
        let keep_extra = cfg
            .min_key_cleanup_grace_period
            .saturating_add(cfg.cleanup_check_interval);
        for (k, t) in &self.track.kids {
            let Some(last) = t.last_current else { continue };
            if Some(k) == cur.as_ref() {
                continue;
            }
            let tokens_live_until = last + TimeDelta::seconds(t.ttl_secs as i64);
            let is_revoked = revoked.contains(k) || self.track.reported_revoked.contains_key(k);
            if !is_revoked && now < tokens_live_until && !jwks_kids.contains(k) {
                bad(format!(
                    "inv1: `{k}` signed until {} (tokens live until {}) and is not in the JWKS",
                    last.to_rfc3339(),
                    tokens_live_until.to_rfc3339()
                ));
            }
            if self.track.check_removal {
                let keep = Duration::from_secs(t.ttl_secs.max(ttl)).saturating_add(keep_extra);
                // Retention counts from the retirement the registry recorded, which lags the
                // label move when the action that moved it stopped before its registry write
                // and was retried later.
                let recorded = t.recorded_retired.map_or(last, |r| r.max(last));
                if now > recorded + keep.to_chrono() && jwks_kids.contains(k) {
                    bad(format!(
                        "inv3: `{k}` retired at {} (recorded {}) is still published (held by {})",
                        last.to_rfc3339(),
                        recorded.to_rfc3339(),
                        self.holders_of(k)
                    ));
                }
            }
        }
        let forget = Duration::from_secs(ttl).saturating_add(cfg.min_key_cleanup_grace_period);
        for (k, at) in &self.track.reported_revoked {
            if now < *at + forget.to_chrono() && jwks_kids.contains(k) {
                bad(format!("`{k}` was reported revoked and is in the JWKS"));
            }
            if cur.as_ref() == Some(k) {
                bad(format!("`{k}` was reported revoked and signs"));
            }
        }
        out
    }

    fn parsed_jwks(&mut self) -> (Vec<String>, BTreeSet<String>) {
        let Some(o) = &self.jwks else {
            return (vec![], BTreeSet::new());
        };
        if let Some((e, p, k)) = &self.jwks_cache
            && *e == o.etag
        {
            return (p.clone(), k.clone());
        }
        let mut problems = Vec::new();
        let mut kids = BTreeSet::new();
        match serde_json::from_slice::<Value>(&o.body) {
            Err(e) => problems.push(format!("JWKS is not JSON: {e}")),
            Ok(doc) => match doc.get("keys").and_then(Value::as_array) {
                None => problems.push("JWKS has no keys array".into()),
                Some(keys) => {
                    for k in keys {
                        let Some(obj) = k.as_object() else {
                            problems.push("JWKS key is not an object".into());
                            continue;
                        };
                        let kid = obj.get("kid").and_then(Value::as_str).unwrap_or("");
                        let alg = obj.get("alg").and_then(Value::as_str).unwrap_or("");
                        let use_ = obj.get("use").and_then(Value::as_str).unwrap_or("");
                        if kid.is_empty() || alg.is_empty() || use_ != "sig" {
                            problems.push(format!("inv4: key `{kid}` lacks kid/alg/use=sig"));
                        }
                        for m in PRIVATE_MEMBERS {
                            if obj.contains_key(m) {
                                problems.push(format!(
                                    "inv4: key `{kid}` carries private member `{m}`"
                                ));
                            }
                        }
                        if !kids.insert(kid.to_string()) {
                            problems.push(format!("inv4: kid `{kid}` listed twice"));
                        }
                    }
                }
            },
        }
        self.jwks_cache = Some((o.etag.clone(), problems.clone(), kids.clone()));
        (problems, kids)
    }

    fn parsed_registry(&mut self) -> Result<RegistryFacts, String> {
        let Some(o) = &self.registry else {
            return Ok(RegistryFacts::default());
        };
        if let Some((e, r)) = &self.registry_cache
            && *e == o.etag
        {
            return r.clone();
        }
        let r = Published::from_registry_json(&o.body)
            .map(|r| RegistryFacts {
                revoked: r.revoked.keys().cloned().collect(),
                retired: r
                    .keys
                    .iter()
                    .filter_map(|k| k.retired_at.map(|t| (k.kid().to_string(), t)))
                    .collect(),
            })
            .map_err(|e| format!("registry unreadable: {e}"));
        self.registry_cache = Some((o.etag.clone(), r.clone()));
        r
    }

    pub fn record(&mut self, v: Vec<String>) {
        for m in v {
            if self.violations.len() < 100 {
                self.violations.push(m);
            }
        }
    }
}

/// The view of the model one action has (its own gate, its configuration).
#[derive(Clone)]
pub struct Handle {
    pub world: Arc<Mutex<World>>,
    pub config: RotationConfig,
    pub name: String,
    pub gate: Option<explore::GateRef>,
}

pub fn lock(w: &Mutex<World>) -> MutexGuard<'_, World> {
    w.lock().unwrap_or_else(|p| p.into_inner())
}

impl Handle {
    pub fn new(world: Arc<Mutex<World>>, config: RotationConfig, name: &str) -> Handle {
        Handle {
            world,
            config,
            name: name.to_string(),
            gate: None,
        }
    }

    async fn call<T, F>(&self, op: String, f: F) -> Result<T, ModelError>
    where
        F: FnOnce(&mut World) -> Result<T, ModelError> + Send,
        T: Send,
    {
        if let Some(g) = &self.gate {
            explore::Gate::new(g, op.clone()).await;
        }
        let mut w = lock(&self.world);
        if let Some((text, n)) = w.crash_on.clone()
            && op.contains(&text)
        {
            if n <= 1 {
                w.crash_on = None;
                w.crash_after = Some(w.calls);
            } else {
                w.crash_on = Some((text, n - 1));
            }
        }
        if w.crash_after.is_some_and(|k| w.calls >= k) {
            return Err(ModelError::Crash);
        }
        w.calls += 1;
        let entry = format!("{}:{op}", self.name);
        static CHECKING: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        let checking = *CHECKING.get_or_init(|| std::env::var("INCIDENTS_NO_CHECK").is_err());
        if checking && w.last_check != Some((w.calls - 1, w.now)) {
            let v = w.check(&self.config, &format!("before {entry}"));
            w.record(v);
        }
        if w.record_trace {
            w.trace.push(entry.clone());
        }
        let r = f(&mut w);
        if checking {
            let v = w.check(&self.config, &format!("after {entry}"));
            w.record(v);
            w.last_check = Some((w.calls, w.now));
        }
        r
    }
}

pub mod backend_labels {
    pub type Labels = std::collections::BTreeMap<String, Vec<String>>;
}

fn short(id: &str) -> String {
    id.chars().take(8).collect()
}

impl Backend for Handle {
    type Error = ModelError;

    fn config(&self) -> &RotationConfig {
        &self.config
    }

    fn now(&self) -> DateTime<Utc> {
        lock(&self.world).now
    }

    fn generate(&self, now: DateTime<Utc>) -> Result<SecretValue, ModelError> {
        let mut w = lock(&self.world);
        w.keys_made += 1;
        let kid = format!("k{}", w.keys_made);
        let jwk = fake_jwk(&kid);
        Ok(SecretValue {
            private_key_pem: fake_pem(&format!("x-{kid}")),
            public_key_jwk: jwk,
            kid,
            alg: "EdDSA".into(),
            created_at: now,
            activated_at: None,
            rotation: None,
        })
    }

    fn sign_and_verify(&self, key: &SecretValue, published: &PublicJwk) -> Result<(), ModelError> {
        let x = published
            .members()
            .get("x")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if *published != key.public_key_jwk || key.private_key_pem != fake_pem(x) {
            return Err(ActionFailure::TestFailed(format!(
                "`{}` does not verify with the published key",
                key.kid
            ))
            .into());
        }
        Ok(())
    }

    fn etag_of(&self, body: &[u8]) -> String {
        etag(body)
    }

    async fn describe(&self) -> Result<backend_labels::Labels, ModelError> {
        self.call("describe".into(), |w| Ok(w.describe())).await
    }

    async fn get(
        &self,
        version_id: Option<&str>,
        stage: Option<&str>,
    ) -> Result<Fetched, ModelError> {
        let op = format!(
            "get({},{})",
            version_id.map(short).unwrap_or("-".into()),
            stage.unwrap_or("-")
        );
        self.call(op, |w| w.get(version_id, stage)).await
    }

    async fn put(
        &self,
        token: &str,
        value: &SecretValue,
        stages: &[&str],
    ) -> Result<PutOutcome, ModelError> {
        let op = format!("put({},{},{:?})", short(token), value.kid, stages);
        self.call(op, |w| w.put(token, value, stages)).await
    }

    async fn move_label(
        &self,
        label: &str,
        move_to: Option<&str>,
        remove_from: Option<&str>,
    ) -> Result<MoveOutcome, ModelError> {
        let op = format!(
            "move({label},to={},from={})",
            move_to.map(short).unwrap_or("-".into()),
            remove_from.map(short).unwrap_or("-".into())
        );
        self.call(op, |w| w.move_label(label, move_to, remove_from))
            .await
    }

    async fn read_registry(&self) -> Result<Option<RegistryRead>, ModelError> {
        self.call("read_registry".into(), |w| {
            Ok(w.registry.as_ref().map(|o| RegistryRead {
                body: o.body.clone(),
                etag: o.etag.clone(),
                legacy_registry: None,
            }))
        })
        .await
    }

    async fn write_registry(
        &self,
        body: &[u8],
        precondition: &Precondition,
    ) -> Result<WriteOutcome, ModelError> {
        self.call("write_registry".into(), |w| {
            Ok(
                match World::write_object(&mut w.registry, body, precondition) {
                    Some(e) => WriteOutcome::Written(e),
                    None => {
                        w.refusals
                            .push(format!("write_registry {precondition:?} refused"));
                        WriteOutcome::Conflict
                    }
                },
            )
        })
        .await
    }

    async fn read_jwks(&self) -> Result<Option<RegistryRead>, ModelError> {
        self.call("read_jwks".into(), |w| {
            Ok(w.jwks.as_ref().map(|o| RegistryRead {
                body: o.body.clone(),
                etag: o.etag.clone(),
                legacy_registry: None,
            }))
        })
        .await
    }

    async fn write_jwks(
        &self,
        body: &[u8],
        precondition: &Precondition,
    ) -> Result<WriteOutcome, ModelError> {
        self.call("write_jwks".into(), |w| {
            Ok(match World::write_object(&mut w.jwks, body, precondition) {
                Some(e) => WriteOutcome::Written(e),
                None => {
                    w.refusals
                        .push(format!("write_jwks {precondition:?} refused"));
                    WriteOutcome::Conflict
                }
            })
        })
        .await
    }
}

/// Runs a future that never waits on anything but the (absent) gate: one poll completes it.
pub fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    match f.as_mut().poll(&mut cx) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("an ungated action waited on something"),
    }
}
