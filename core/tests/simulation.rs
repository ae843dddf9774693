//! Two-year simulations of the rotation design (docs/ROTATION.md) on an injected clock.
//!
//! An in-memory Secrets Manager (versions, staging labels, AWS's put and label rules) and an
//! in-memory S3 object (body + registry + ETag, conditional writes) run the steps exactly as
//! ROTATION.md describes them, using the core's decision functions. The schedule mixes regular
//! rotations, early rotations, stalled rotations (hours to days between steps), retries of every
//! step, crashes after any number of writes, cleanups at random times racing with rotations,
//! and emergency rotations. Invariants 1-4 and 7 of SPEC.md are checked at every tick.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use jwks_rotation_core::lifecycle::{self, CreatePlan, Published, Retention, SecretKeys};
use jwks_rotation_core::{Duration, jwks::PRIVATE_MEMBERS};
use jwks_rotation_core::{Jwks, PublicJwk, RotationKind, RotationRecord, SecretValue};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

const CURRENT: &str = "AWSCURRENT";
const PENDING: &str = "AWSPENDING";
const PREVIOUS: &str = "AWSPREVIOUS";
const NEXT: &str = "NEXT";

#[derive(Debug)]
struct Crash;

#[derive(Debug, Clone, Default)]
struct Version {
    value: Option<SecretValue>,
    labels: BTreeSet<String>,
}

/// Secrets Manager with the rules that matter here (as AWS applies them, not as moto does).
#[derive(Default)]
struct SecretsManager {
    versions: BTreeMap<String, Version>,
    writes_left: Option<usize>,
}

impl SecretsManager {
    fn write(&mut self) -> Result<(), Crash> {
        match &mut self.writes_left {
            Some(0) => Err(Crash),
            Some(n) => {
                *n -= 1;
                Ok(())
            }
            None => Ok(()),
        }
    }
    fn holder(&self, label: &str) -> Option<String> {
        self.versions
            .iter()
            .find(|(_, v)| v.labels.contains(label))
            .map(|(id, _)| id.clone())
    }
    fn value_at(&self, label: &str) -> Option<(String, SecretValue)> {
        let id = self.holder(label)?;
        let value = self.versions[&id].value.clone()?;
        Some((id, value))
    }
    /// PutSecretValue: same token and same value is a no-op, same token and another value is
    /// refused; the given labels move onto the version (AWSCURRENT leaves AWSPREVIOUS behind).
    fn put(
        &mut self,
        token: &str,
        value: &SecretValue,
        stages: &[&str],
    ) -> Result<Result<(), ()>, Crash> {
        if let Some(v) = self.versions.get(token) {
            if v.value.as_ref() == Some(value) {
                return Ok(Ok(()));
            }
            if v.value.is_some() {
                return Ok(Err(()));
            }
        }
        self.write()?;
        for stage in stages {
            self.attach(stage, token);
        }
        let v = self.versions.entry(token.to_string()).or_default();
        v.value = Some(value.clone());
        Ok(Ok(()))
    }
    fn attach(&mut self, label: &str, to: &str) {
        let old = self.holder(label);
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
                .entry(old)
                .or_default()
                .labels
                .insert(PREVIOUS.into());
        }
        self.versions
            .entry(to.to_string())
            .or_default()
            .labels
            .insert(label.into());
    }
    /// UpdateSecretVersionStage: moving a label that sits elsewhere needs the right RemoveFrom.
    fn update_stage(
        &mut self,
        label: &str,
        move_to: Option<&str>,
        remove_from: Option<&str>,
    ) -> Result<(), Crash> {
        let holder = self.holder(label);
        if let (Some(h), Some(_)) = (&holder, move_to) {
            assert_eq!(
                Some(h.as_str()),
                remove_from,
                "AWS refuses a label move without the right RemoveFromVersionId"
            );
        }
        self.write()?;
        match move_to {
            Some(to) => self.attach(label, to),
            None => {
                if let Some(from) = remove_from {
                    self.versions
                        .entry(from.to_string())
                        .or_default()
                        .labels
                        .remove(label);
                }
            }
        }
        Ok(())
    }
    /// RotateSecret: refused while a rotation is in progress; else a value-less AWSPENDING version.
    fn start_rotation(&mut self, token: &str) -> bool {
        if let Some(p) = self.holder(PENDING)
            && !self.versions[&p].labels.contains(CURRENT)
        {
            return false;
        }
        for v in self.versions.values_mut() {
            v.labels.remove(PENDING);
        }
        self.versions.insert(
            token.to_string(),
            Version {
                value: None,
                labels: [PENDING.to_string()].into(),
            },
        );
        true
    }
}

/// The JWKS object: body and registry replaced together, with an ETag for conditional writes.
/// The parsed state is kept beside the bytes so the simulation does not re-parse on every read.
#[derive(Default)]
struct Bucket {
    object: Option<(Vec<u8>, Published, u64)>,
    etag: u64,
    writes_left: Option<usize>,
}

impl Bucket {
    fn read(&self, _now: DateTime<Utc>) -> (Published, Option<u64>) {
        match &self.object {
            None => (Published::default(), None),
            Some((_, published, etag)) => (published.clone(), Some(*etag)),
        }
    }
    /// Conditional put; Ok(false) is 412 Precondition Failed. The stored state is what a reader
    /// would rebuild from the bytes and the registry metadata.
    fn put_if(&mut self, published: &Published, expected: Option<u64>) -> Result<bool, Crash> {
        if let Some(n) = &mut self.writes_left {
            if *n == 0 {
                return Err(Crash);
            }
            *n -= 1;
        }
        if self.object.as_ref().map(|o| o.2) != expected {
            return Ok(false);
        }
        self.etag += 1;
        let bytes = published.jwks().to_bytes();
        Jwks::parse(&bytes).expect("our JWKS parses");
        let stored =
            Published::from_registry_json(&published.to_registry_json()).expect("registry parses");
        assert_eq!(&stored, published, "body + registry round-trip");
        self.object = Some((bytes, stored, self.etag));
        Ok(true)
    }
}

struct Settings {
    interval: Duration,
    grace: Duration,
    max_ttl: Duration,
    cleanup_every: Duration,
    cleanup_grace: Duration,
}

struct System {
    sm: SecretsManager,
    s3: Bucket,
    cfg: Settings,
    keys_made: u64,
}

fn jwk(kid: &str) -> PublicJwk {
    let m = json!({"kty":"OKP","crv":"Ed25519","x": format!("x-{kid}"), "d": "PRIVATE"});
    PublicJwk::from_jwk(m.as_object().unwrap(), kid, "EdDSA").unwrap()
}

impl System {
    fn new(cfg: Settings) -> Self {
        let mut sm = SecretsManager::default();
        // The provider's placeholder: no value of ours, AWSCURRENT by virtue of being first.
        sm.versions.insert(
            "placeholder".into(),
            Version {
                value: None,
                labels: [CURRENT.to_string()].into(),
            },
        );
        System {
            sm,
            s3: Bucket::default(),
            cfg,
            keys_made: 0,
        }
    }
    fn retention(&self) -> Retention {
        Retention {
            max_token_validity: self.cfg.max_ttl,
            cleanup_grace: self.cfg.cleanup_grace,
        }
    }
    fn generate(&mut self, now: DateTime<Utc>) -> SecretValue {
        self.keys_made += 1;
        let kid = format!("k{}", self.keys_made);
        SecretValue {
            private_key_pem: "-----BEGIN PRIVATE KEY-----\nPRIVATE\n-----END PRIVATE KEY-----\n"
                .into(),
            public_key_jwk: jwk(&kid),
            kid: kid.clone(),
            alg: "EdDSA".into(),
            created_at: now,
            activated_at: None,
            rotation: None,
        }
    }
    fn signing_kid(&self) -> Option<String> {
        self.sm.value_at(CURRENT).map(|(_, v)| v.kid)
    }
    fn published_kids(&self, now: DateTime<Utc>) -> Vec<String> {
        self.s3
            .read(now)
            .0
            .kids()
            .into_iter()
            .map(String::from)
            .collect()
    }

    /// Reads the secret's labels and reconciles the JWKS until a conditional put succeeds.
    fn publish(&mut self, now: DateTime<Utc>) -> Result<(), Crash> {
        loop {
            let current = self.sm.value_at(CURRENT).map(|v| v.1.public_key_jwk);
            let pending = self.sm.value_at(PENDING).map(|v| v.1.public_key_jwk);
            let next = self.sm.value_at(NEXT).map(|v| v.1.public_key_jwk);
            let keys = SecretKeys {
                current: current.as_ref(),
                pending: pending.as_ref(),
                next: next.as_ref(),
                held: vec![],
            };
            let (old, etag) = self.s3.read(now);
            let new = lifecycle::reconcile(&old, Some(&keys), now, self.retention());
            if etag.is_some() && new == old {
                return Ok(());
            }
            if self.s3.put_if(&new, etag)? {
                return Ok(());
            }
        }
    }

    fn create(&mut self, token: &str, now: DateTime<Utc>) -> Result<(), Crash> {
        let Some(v) = self.sm.versions.get(token) else {
            panic!("unknown token")
        };
        if v.labels.contains(CURRENT) {
            return Ok(());
        }
        assert!(
            v.labels.contains(PENDING),
            "create on a version without AWSPENDING"
        );
        if v.value.is_none() {
            let current = self.sm.value_at(CURRENT);
            let next = self.sm.value_at(NEXT);
            let (published, _) = self.s3.read(now);
            let plan = lifecycle::plan_create(
                current.as_ref().map(|c| c.1.kid.as_str()),
                next.as_ref().map(|n| n.1.kid.as_str()),
                &published,
                now,
                self.cfg.grace,
            );
            let value = match (&plan, &current, &next) {
                (CreatePlan::Initial, _, _) => self.generate(now).with_rotation(RotationRecord {
                    kind: RotationKind::Initial,
                    replaces_version_id: self.sm.holder(CURRENT),
                    source_version_id: None,
                }),
                (CreatePlan::Promote, Some((cid, _)), Some((nid, n))) => {
                    n.with_rotation(RotationRecord {
                        kind: RotationKind::Promoted,
                        replaces_version_id: Some(cid.clone()),
                        source_version_id: Some(nid.clone()),
                    })
                }
                (CreatePlan::Defer(_), Some((cid, c)), _) => c.with_rotation(RotationRecord {
                    kind: RotationKind::Deferred,
                    replaces_version_id: Some(cid.clone()),
                    source_version_id: Some(cid.clone()),
                }),
                other => panic!("impossible plan {other:?}"),
            };
            // A refused put means an earlier try stored another value: that one stands.
            let _ = self.sm.put(token, &value, &[PENDING])?;
        }
        self.publish(now)
    }

    fn test_step(&self, token: &str, now: DateTime<Utc>) {
        let v = &self.sm.versions[token];
        let value = v.value.as_ref().expect("testSecret after createSecret");
        assert!(
            self.published_kids(now).contains(&value.kid),
            "testSecret: pending key is not published"
        );
    }

    fn finish(&mut self, token: &str, now: DateTime<Utc>) -> Result<(), Crash> {
        let v = self.sm.versions.get(token).expect("known token").clone();
        let value = v.value.expect("finish after create");
        if !v.labels.contains(CURRENT) {
            assert!(v.labels.contains(PENDING), "finish on a cancelled rotation");
            let from = value
                .rotation
                .as_ref()
                .and_then(|r| r.replaces_version_id.clone());
            self.sm
                .update_stage(CURRENT, Some(token), from.as_deref())?;
        }
        self.ensure_next(&format!("{token}-next"), now)?;
        self.publish(now)
    }

    fn ensure_next(&mut self, token: &str, now: DateTime<Utc>) -> Result<(), Crash> {
        let (published, _) = self.s3.read(now);
        let current = self.signing_kid();
        let next = self.sm.value_at(NEXT).map(|n| n.1.kid);
        if lifecycle::needs_new_next(current.as_deref(), next.as_deref(), &published) {
            let fresh = self.generate(now);
            if self.sm.put(token, &fresh, &[NEXT])?.is_err() {
                let id = token.to_string();
                let holder = self.sm.holder(NEXT);
                if holder.as_deref() != Some(&id) {
                    self.sm.update_stage(NEXT, Some(&id), holder.as_deref())?;
                }
            }
        }
        Ok(())
    }

    fn cleanup(&mut self, now: DateTime<Utc>) -> Result<(), Crash> {
        loop {
            let (old, etag) = self.s3.read(now);
            let new = lifecycle::reconcile(&old, None, now, self.retention());
            if new == old || self.s3.put_if(&new, etag)? {
                return Ok(());
            }
        }
    }

    fn emergency(&mut self, request: &str, now: DateTime<Utc>) -> Result<(), Crash> {
        if let Some(p) = self.sm.holder(PENDING)
            && !self.sm.versions[&p].labels.contains(CURRENT)
        {
            self.sm.update_stage(PENDING, None, Some(&p))?;
        }
        let token = format!("{request}-current");
        if !self
            .sm
            .versions
            .get(&token)
            .is_some_and(|v| v.labels.contains(CURRENT))
        {
            let fresh = self.generate(now);
            if self.sm.put(&token, &fresh, &[])?.is_ok() {
                let holder = self.sm.holder(CURRENT);
                self.sm
                    .update_stage(CURRENT, Some(&token), holder.as_deref())?;
            }
        }
        self.ensure_next(&format!("{request}-next"), now)?;
        self.publish(now)
    }
}

/// What a run observed, for the invariant checks.
#[derive(Default)]
struct Truth {
    /// kid -> the last instant a token signed by it can still be valid.
    token_expiry: HashMap<String, DateTime<Utc>>,
    /// kid -> since when it has been published without interruption.
    published_since: HashMap<String, DateTime<Utc>>,
    /// kid -> when AWSCURRENT left it.
    retired_at: HashMap<String, DateTime<Utc>>,
    /// kids that were allowed to sign without pre-publication (first key, emergency).
    exempt: BTreeSet<String>,
    deferred: u32,
    promoted: u32,
    crashes: u32,
    races: u32,
    max_keys: usize,
}

#[derive(Clone, Copy)]
enum Step {
    Create,
    Set,
    Test,
    Finish,
}

struct Rotation {
    token: String,
    step: usize,
    next_at: DateTime<Utc>,
    signing_before: Option<String>,
    early: bool,
}

fn check_jwks(sys: &System, now: DateTime<Utc>, truth: &mut Truth) {
    let Some((body, _, _)) = &sys.s3.object else {
        return;
    };
    let doc: serde_json::Value = serde_json::from_slice(body).unwrap();
    let keys = doc["keys"].as_array().unwrap();
    let mut seen = BTreeSet::new();
    for k in keys {
        let o = k.as_object().unwrap();
        for m in PRIVATE_MEMBERS {
            assert!(
                !o.contains_key(m),
                "invariant 4: private member {m} published at {now}"
            );
        }
        assert_eq!(o.get("use"), Some(&json!("sig")), "invariant 4: use");
        assert!(
            o.get("alg")
                .and_then(|v| v.as_str())
                .is_some_and(|s| !s.is_empty()),
            "invariant 4: alg"
        );
        let kid = o
            .get("kid")
            .and_then(|v| v.as_str())
            .expect("invariant 4: kid")
            .to_string();
        assert!(
            seen.insert(kid.clone()),
            "invariant 4: kid {kid} published twice at {now}"
        );
        truth.published_since.entry(kid).or_insert(now);
    }
    truth.published_since.retain(|kid, _| seen.contains(kid));
    truth.max_keys = truth.max_keys.max(seen.len());
    // Invariant 1: every token that can still be valid verifies.
    for (kid, expiry) in &truth.token_expiry {
        if *expiry > now {
            assert!(
                seen.contains(kid),
                "invariant 1: tokens of {kid} valid until {expiry} but it left the JWKS at {now}"
            );
        }
    }
}

fn simulate(cfg: Settings, seed: u64, days: i64, chaos: bool) -> Truth {
    let mut rng = StdRng::seed_from_u64(seed);
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let tick = TimeDelta::minutes(30);
    let interval = cfg.interval.to_chrono();
    let cleanup_every = cfg.cleanup_every.to_chrono();
    let removal_bound = cfg
        .max_ttl
        .saturating_add(cfg.cleanup_grace)
        .saturating_add(cfg.cleanup_every)
        .to_chrono();
    let grace = cfg.grace.to_chrono();
    let max_ttl = cfg.max_ttl.to_chrono();
    // A stalled or crashed step is retried within this delay (Secrets Manager retries promptly).
    let max_retry_delay = TimeDelta::hours(6);
    let mut sys = System::new(cfg);
    let mut truth = Truth::default();
    let mut rotation: Option<Rotation> = None;
    let mut next_scheduled = start;
    let mut next_cleanup = start + cleanup_every;
    let mut tokens = 0u64;
    let mut recorded_retirement: HashMap<String, DateTime<Utc>> = HashMap::new();
    let mut now = start;
    let end = start + TimeDelta::days(days);

    while now < end {
        let before = sys.signing_kid();
        // Secrets Manager's schedule, plus early (manual) rotations.
        let early = chaos && rng.random_bool(0.002);
        if rotation.is_none() && (now >= next_scheduled || early) {
            tokens += 1;
            let token = format!("t{tokens}");
            if sys.sm.start_rotation(&token) {
                let scheduled = now >= next_scheduled;
                rotation = Some(Rotation {
                    token,
                    step: 0,
                    next_at: now,
                    signing_before: before.clone(),
                    early: !scheduled,
                });
                if scheduled {
                    next_scheduled = now + interval;
                }
            }
        }
        // Advance the rotation by one step when due; maybe stall, crash, or repeat a step.
        if let Some(r) = rotation.as_mut()
            && now >= r.next_at
        {
            let step = [Step::Create, Step::Set, Step::Test, Step::Finish][r.step];
            let crash_after = (chaos && rng.random_bool(0.15)).then(|| rng.random_range(0..3usize));
            sys.sm.writes_left = crash_after;
            sys.s3.writes_left = crash_after;
            // A cleanup racing with the step: it reads before the step and writes after.
            let racing = chaos && rng.random_bool(0.1);
            let race_read = racing.then(|| sys.s3.read(now));
            let outcome = match step {
                Step::Create => sys.create(&r.token, now),
                Step::Set => Ok(()),
                Step::Test => {
                    sys.test_step(&r.token, now);
                    Ok(())
                }
                Step::Finish => sys.finish(&r.token, now),
            };
            sys.sm.writes_left = None;
            sys.s3.writes_left = None;
            if let Some((old, etag)) = race_read {
                let stale = lifecycle::reconcile(&old, None, now, sys.retention());
                if stale != old {
                    let landed = sys.s3.put_if(&stale, etag).unwrap();
                    if !landed {
                        truth.races += 1;
                        sys.cleanup(now).unwrap();
                    }
                }
            }
            match outcome {
                Err(Crash) => {
                    truth.crashes += 1;
                    r.next_at = now
                        + TimeDelta::minutes(rng.random_range(30..=max_retry_delay.num_minutes()));
                }
                Ok(()) => {
                    // Secrets Manager may run a step again; it must converge.
                    if chaos && rng.random_bool(0.2) {
                        let again = match r.step {
                            0 => sys.create(&r.token, now),
                            3 => sys.finish(&r.token, now),
                            _ => Ok(()),
                        };
                        again.unwrap();
                    }
                    r.step += 1;
                    let stall = if chaos && rng.random_bool(0.1) {
                        TimeDelta::minutes(rng.random_range(30..=max_retry_delay.num_minutes()))
                    } else {
                        TimeDelta::zero()
                    };
                    r.next_at = now + stall;
                }
            }
            if r.step == 4 {
                let after = sys.signing_kid();
                // A completed finishSecret has recorded the retirement of the old key.
                if let (Some(old), true) = (&r.signing_before, after != r.signing_before) {
                    let (published, _) = sys.s3.read(now);
                    let recorded = published.get(old).and_then(|k| k.retired_at);
                    assert!(
                        recorded.is_some() || published.get(old).is_none(),
                        "finish did not record the retirement of {old}"
                    );
                }
                let pending_left = sys
                    .sm
                    .holder(PENDING)
                    .filter(|p| !sys.sm.versions[p].labels.contains(CURRENT));
                assert!(
                    pending_left.is_none(),
                    "rotation left AWSPENDING on a non-current version"
                );
                let value = sys.sm.versions[&r.token].value.clone().unwrap();
                match value.rotation.map(|x| x.kind) {
                    Some(RotationKind::Deferred) => {
                        truth.deferred += 1;
                        // Invariant 7: an early rotation completes without changing the signing key.
                        assert_eq!(
                            after, r.signing_before,
                            "invariant 7: deferred rotation changed the key"
                        );
                    }
                    Some(RotationKind::Promoted) => truth.promoted += 1,
                    Some(RotationKind::Initial) => {
                        truth.exempt.insert(after.clone().unwrap());
                    }
                    other => panic!("unexpected rotation kind {other:?}"),
                }
                let _ = r.early;
                rotation = None;
            }
        }
        // Rare emergency rotations (operator action), never in the middle of a step.
        if chaos && rng.random_bool(0.0005) && sys.signing_kid().is_some() {
            let request = format!("e{}", now.timestamp());
            let mut r = sys.emergency(&request, now);
            while r.is_err() {
                truth.crashes += 1;
                r = sys.emergency(&request, now);
            }
            truth.exempt.insert(sys.signing_kid().unwrap());
            rotation = None; // the cancelled rotation fails; Secrets Manager starts anew on schedule
        }
        // Scheduled cleanups, plus random extra ones.
        if now >= next_cleanup || (chaos && rng.random_bool(0.01)) {
            let mut r = sys.cleanup(now);
            if now >= next_cleanup {
                next_cleanup = now + cleanup_every;
            }
            while r.is_err() {
                r = sys.cleanup(now);
            }
        }

        // Track activations and retirements (the truth), and check invariant 2 on activation.
        let after = sys.signing_kid();
        if after != before {
            if let Some(new) = &after
                && !truth.exempt.contains(new)
            {
                let since = truth.published_since.get(new).copied();
                let since = since.unwrap_or_else(|| {
                    panic!("invariant 2: {new} signs at {now} but is not published")
                });
                assert!(
                    now - since >= grace,
                    "invariant 2: {new} signs at {now}, published only since {since}"
                );
            }
            if let Some(old) = &before {
                truth.retired_at.insert(old.clone(), now);
            }
        }
        // The signing key signs a token with the longest lifetime at every tick.
        if let Some(kid) = &after {
            truth.token_expiry.insert(kid.clone(), now + max_ttl);
        }
        check_jwks(&sys, now, &mut truth);
        truth.token_expiry.retain(|_, expiry| *expiry > now);
        // Invariant 3: retired keys leave in time (counted from the recorded retirement, which
        // lags the label move only by a crashed finishSecret's retry delay).
        let (published, _) = sys.s3.read(now);
        for k in &published.keys {
            if let Some(r) = k.retired_at {
                recorded_retirement.entry(k.kid().to_string()).or_insert(r);
            }
        }
        let kids = sys.published_kids(now);
        // A retired key that left the JWKS never returns: stop watching it.
        truth.retired_at.retain(|kid, _| {
            kids.contains(kid) || sys.signing_kid().as_deref() == Some(kid.as_str())
        });
        for (kid, retired) in &truth.retired_at {
            if sys.signing_kid().as_deref() == Some(kid) {
                continue;
            }
            if let Some(recorded) = recorded_retirement.get(kid) {
                assert!(
                    !(kids.contains(kid) && now > *recorded + removal_bound),
                    "invariant 3: {kid} retired at {retired} still published at {now}"
                );
            }
        }
        now += tick;
    }
    truth
}

fn defaults() -> Settings {
    Settings {
        interval: Duration::from_days(60),
        grace: Duration::from_days(7),
        max_ttl: Duration::from_hours(1),
        cleanup_every: Duration::from_hours(24),
        cleanup_grace: Duration::from_hours(6),
    }
}

#[test]
fn two_years_with_defaults_and_no_faults() {
    let t = simulate(defaults(), 1, 730, false);
    assert!(t.promoted >= 11, "promoted {}", t.promoted);
    // Only the very first rotation of a deployment defers (no NEXT yet exists before it).
    assert!(t.deferred <= 1, "deferred {}", t.deferred);
    assert!(t.max_keys <= 3, "max keys {}", t.max_keys);
}

#[test]
fn two_years_with_defaults_under_chaos() {
    for seed in 0..8 {
        let t = simulate(defaults(), seed, 730, true);
        assert!(t.promoted >= 8, "seed {seed}: promoted {}", t.promoted);
        assert!(t.crashes > 0, "seed {seed}: chaos produced no crash");
    }
}

#[test]
fn token_lifetime_longer_than_rotation_interval() {
    let cfg = || Settings {
        interval: Duration::from_days(30),
        grace: Duration::from_days(7),
        max_ttl: Duration::from_days(90),
        cleanup_every: Duration::from_hours(24),
        cleanup_grace: Duration::from_hours(6),
    };
    let t = simulate(cfg(), 42, 730, false);
    // Three or four retired keys are kept at once, where the construct kept one.
    assert!(t.max_keys >= 5, "max keys {}", t.max_keys);
    for seed in 100..106 {
        simulate(cfg(), seed, 730, true);
    }
}

#[test]
fn short_intervals_with_frequent_cleanups_under_chaos() {
    for seed in 200..204 {
        let t = simulate(
            Settings {
                interval: Duration::from_hours(12),
                grace: Duration::from_hours(4),
                max_ttl: Duration::from_hours(20),
                cleanup_every: Duration::from_hours(1),
                cleanup_grace: Duration::from_mins(30),
            },
            seed,
            730,
            true,
        );
        assert!(t.races > 0, "seed {seed}: no cleanup raced with a rotation");
        assert!(
            t.deferred > 0,
            "seed {seed}: no early rotation was deferred"
        );
    }
}
