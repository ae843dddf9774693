//! Two-year simulations of the real rotation steps and operator actions
//! (`jwks_rotation_core::actions`) over the in-memory model of Secrets Manager and S3
//! (tests/model, AWS's label, version and conditional-write rules) on an injected clock.
//!
//! The schedule mixes Secrets Manager's rotations (steps stalled for hours, crashes after a random
//! number of AWS calls and retries, steps run twice), manual rotations, cleanups on schedule and
//! at random times, emergency rotations in both modes and revocations (of `NEXT` and of retired
//! keys), some of them racing a rotation step in a random interleaving of their AWS calls.
//! Invariants 1-4 and 7 of SPEC.md are checked before every AWS call (`World::check`) and at
//! every tick; a rotation left wedged (RotateSecret refused for a completed rotation's stray
//! `AWSPENDING`) is a failure. The pairwise interleavings and replays of the incidents found are
//! in tests/incidents.rs.

mod model;

use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};
use jwks_rotation_core::actions::{ActionFailure, Outcome, Report};
use jwks_rotation_core::{Duration, RotationConfig, RotationKind};
use model::explore::{Action, describe, note_result, run_action, run_schedule};
use model::{CURRENT, Handle, ModelError, NEXT, PENDING, World, block_on, config, lock, t0};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The timing settings a simulation runs with.
#[derive(Clone, Copy)]
struct Settings {
    interval: Duration,
    grace: Duration,
    max_ttl: Duration,
    cleanup_every: Duration,
    cleanup_grace: Duration,
}

impl Settings {
    fn config(&self) -> RotationConfig {
        let mut c = config(self.max_ttl);
        c.rotation_interval = self.interval;
        c.min_activation_grace_period = self.grace;
        c.cleanup_check_interval = self.cleanup_every;
        c.min_key_cleanup_grace_period = self.cleanup_grace;
        c
    }
}

/// How often the rare events happen per tick, zero without chaos.
#[derive(Clone, Copy)]
struct Chaos {
    crash: f64,
    stall: f64,
    repeat: f64,
    race: f64,
    manual: f64,
    cleanup: f64,
    emergency: f64,
    revoke: f64,
}

const CALM: Chaos = Chaos {
    crash: 0.0,
    stall: 0.0,
    repeat: 0.0,
    race: 0.0,
    manual: 0.0,
    cleanup: 0.0,
    emergency: 0.0,
    revoke: 0.0,
};

const STORM: Chaos = Chaos {
    crash: 0.15,
    stall: 0.1,
    repeat: 0.2,
    race: 0.15,
    manual: 0.002,
    cleanup: 0.01,
    emergency: 0.0006,
    revoke: 0.001,
};

/// What happened, for the assertions that the schedule exercised what it should.
#[derive(Debug, Default)]
struct Tally {
    promoted: usize,
    deferred: usize,
    crashes: usize,
    races: usize,
    emergencies: usize,
    revocations: usize,
    max_keys: usize,
    violations: Vec<String>,
}

impl Tally {
    fn summary(&self) -> String {
        format!(
            "{} promoted, {} deferred, {} crashes, {} races, {} emergencies, {} revocations, at most {} keys",
            self.promoted,
            self.deferred,
            self.crashes,
            self.races,
            self.emergencies,
            self.revocations,
            self.max_keys
        )
    }
}

/// A rotation Secrets Manager is running: its token, the next step, when it is due, and
/// whether an operator action ran while it was in flight (its steps may then fail).
struct Rotation {
    token: String,
    step: usize,
    due: DateTime<Utc>,
    signing_before: Option<String>,
    disturbed: bool,
}

/// The simulation's state besides the world.
struct Sim {
    world: Arc<Mutex<World>>,
    cfg: RotationConfig,
    rng: StdRng,
    chaos: Chaos,
    tally: Tally,
    requests: u64,
}

impl Sim {
    fn now(&self) -> DateTime<Utc> {
        lock(&self.world).now
    }

    fn handle(&self) -> Handle {
        Handle::new(self.world.clone(), self.cfg.clone(), "sim")
    }

    fn fail(&mut self, m: String) {
        let now = self.now();
        if self.tally.violations.len() < 40 {
            self.tally.violations.push(format!("{now}: {m}"));
        }
    }

    /// With probability `chaos.crash`, a crash after a random number (below `within`) of the
    /// next action's calls.
    fn maybe_crash(&mut self, within: u64) -> Option<u64> {
        self.rng
            .random_bool(self.chaos.crash)
            .then(|| self.rng.random_range(0..within))
    }

    /// Runs `a` alone, crashing after `crash` of its calls if given, and records its result.
    fn run(&mut self, a: &Action, crash: Option<u64>) -> Result<Report, ModelError> {
        if let Some(k) = crash {
            let mut w = lock(&self.world);
            w.crash_after = Some(w.calls + k);
        }
        let h = self.handle();
        let r = block_on(run_action(&h, a));
        let mut w = lock(&self.world);
        w.crash_after = None;
        note_result(&mut w, a, &r);
        r
    }

    /// Runs `a` alone, maybe crashing; a crashed run is retried at once until it completes (an
    /// operator or EventBridge retries the same request), so every action converges.
    fn run_retried(&mut self, a: &Action) -> Result<Report, ModelError> {
        loop {
            let crash = self.maybe_crash(6);
            let r = self.run(a, crash);
            if matches!(r, Err(ModelError::Crash)) {
                self.tally.crashes += 1;
                continue;
            }
            return r;
        }
    }

    /// Runs `a` and `b` concurrently in a random interleaving of their AWS calls.
    fn race(&mut self, a: &Action, b: &Action) -> [Result<Report, ModelError>; 2] {
        self.tally.races += 1;
        let start = lock(&self.world).clone();
        let rng = &mut self.rng;
        let mut choose = |enabled: &[usize], _: Option<usize>, _: &[Option<String>]| -> usize {
            enabled[rng.random_range(0..enabled.len())]
        };
        let r = run_schedule(&start, &self.cfg, &[a.clone(), b.clone()], &mut choose);
        let after = lock(&r.world).clone();
        *lock(&self.world) = after;
        let mut results = r.results.into_iter();
        let first = results.next().expect("two results");
        let second = results.next().expect("two results");
        [first, second]
    }

    /// An operator action picked at random: an emergency rotation (either mode) or a
    /// revocation of NEXT or of the newest retired key.
    fn operator_action(&mut self, emergency: bool) -> Option<Action> {
        if emergency {
            self.requests += 1;
            return Some(Action::Emergency {
                request: format!("sim-emergency-{}", self.requests),
                revoke_current: self.rng.random_bool(0.5),
            });
        }
        let w = lock(&self.world);
        let retired = w.newest_retired();
        let next = w.kid_at(NEXT);
        drop(w);
        let (kid, target) = match (retired, next) {
            (Some(k), _) if self.rng.random_bool(0.5) => (k, "Retired"),
            (_, Some(n)) => (n, "Next"),
            (Some(k), None) => (k, "Retired"),
            (None, None) => return None,
        };
        Some(Action::Revoke { kid, target })
    }

    fn check_operator_result(&mut self, a: &Action, r: &Result<Report, ModelError>) {
        match (a, r) {
            (Action::Emergency { .. }, Ok(rep)) => {
                self.tally.emergencies += 1;
                if !matches!(
                    rep.outcome,
                    Outcome::EmergencyRotated { .. } | Outcome::Superseded
                ) {
                    let o = describe(r);
                    self.fail(format!("emergency answered {o}"));
                }
            }
            (Action::Revoke { .. }, Ok(_)) => self.tally.revocations += 1,
            (_, Err(e)) if a.allowed(e) => {}
            // A retired key picked for revocation left by retention before the revoke read the
            // registry (invariant 1, checked before every call, catches a removal too early).
            (
                Action::Revoke {
                    kid,
                    target: "Retired",
                },
                Err(ModelError::Action(ActionFailure::NotPublished(_))),
            ) if lock(&self.world)
                .registry()
                .is_some_and(|r| r.get(kid).is_none()) => {}
            (_, Err(e)) => self.fail(format!("{} failed: {e}", a.name())),
            _ => {}
        }
    }

    /// Starts a rotation as RotateSecret does (or re-attempts one left in progress).
    fn start_rotation(&mut self) -> Rotation {
        let now = self.now();
        let mut w = lock(&self.world);
        let signing_before = w.kid_at(CURRENT);
        let token = match w.rotate_secret() {
            Ok(t) => t,
            Err(pending) => {
                if w.track.completed_tokens.contains(&pending) {
                    let m = format!(
                        "RotateSecret refused: stray AWSPENDING on {pending}, whose rotation completed"
                    );
                    drop(w);
                    self.fail(m);
                    w = lock(&self.world);
                }
                pending
            }
        };
        drop(w);
        Rotation {
            token,
            step: 0,
            due: now,
            signing_before,
            disturbed: false,
        }
    }

    /// Runs the rotation's next step (maybe racing an operator action or a cleanup); returns
    /// false when the rotation ended (completed or failed).
    fn step(&mut self, r: &mut Rotation) -> bool {
        let now = self.now();
        let token = r.token.clone();
        let action = match r.step {
            0 => Action::Create(token),
            1 => {
                r.step = 2; // setSecret makes no call
                return true;
            }
            2 => Action::Test(token),
            _ => Action::Finish(token),
        };
        let result = if self.rng.random_bool(self.chaos.race) {
            let other = match self.rng.random_range(0..3) {
                0 => Some(Action::Cleanup),
                1 => self.operator_action(true),
                _ => self.operator_action(false),
            }
            .unwrap_or(Action::Cleanup);
            if other != Action::Cleanup {
                r.disturbed = true;
            }
            let [mine, theirs] = self.race(&action, &other);
            self.check_operator_result(&other, &theirs);
            mine
        } else {
            let crash = self.maybe_crash(8);
            self.run(&action, crash)
        };
        match result {
            Err(ModelError::Crash) => {
                self.tally.crashes += 1;
                r.due = now + TimeDelta::minutes(self.rng.random_range(30..=360));
                true
            }
            Err(e) => {
                if !(r.disturbed && action.allowed(&e)) {
                    self.fail(format!("{} failed: {e}", action.name()));
                }
                false
            }
            Ok(report) => {
                if self.rng.random_bool(self.chaos.repeat) {
                    // Secrets Manager may run a step again: it must succeed and converge.
                    if let Err(e) = self.run(&action, None)
                        && !(r.disturbed && action.allowed(&e))
                    {
                        self.fail(format!("{} run again failed: {e}", action.name()));
                    }
                }
                if r.step == 0 {
                    match report.outcome {
                        Outcome::Staged(RotationKind::Promoted) => self.tally.promoted += 1,
                        Outcome::Deferred(_) => self.tally.deferred += 1,
                        _ => {}
                    }
                }
                if r.step == 3 {
                    self.finished(r);
                    return false;
                }
                r.step += 1;
                let stall = if self.rng.random_bool(self.chaos.stall) {
                    TimeDelta::minutes(self.rng.random_range(30..=360))
                } else {
                    TimeDelta::zero()
                };
                r.due = now + stall;
                true
            }
        }
    }

    /// After a completed finishSecret: invariant 7 for a deferred rotation, and no
    /// `AWSPENDING` left on a version that is not current.
    fn finished(&mut self, r: &Rotation) {
        let w = lock(&self.world);
        let after = w.kid_at(CURRENT);
        let kind = w
            .value_of(&r.token)
            .and_then(|v| v.rotation)
            .map(|x| x.kind);
        let stray = w
            .holder(PENDING)
            .filter(|p| !w.versions[*p].labels.contains(CURRENT))
            .map(str::to_string);
        drop(w);
        if kind == Some(RotationKind::Deferred) && after != r.signing_before && !r.disturbed {
            self.fail(format!(
                "invariant 7: a deferred rotation changed the signing key {:?} -> {after:?}",
                r.signing_before
            ));
        }
        if let Some(p) = stray {
            self.fail(format!("the rotation left AWSPENDING on {p}"));
        }
    }
}

fn simulate(settings: Settings, seed: u64, days: i64, chaos: Chaos) -> Tally {
    let world = Arc::new(Mutex::new(World::new(t0())));
    {
        let mut w = lock(&world);
        w.track.check_removal = true;
        w.record_trace = false;
    }
    let mut sim = Sim {
        world,
        cfg: settings.config(),
        rng: StdRng::seed_from_u64(seed),
        chaos,
        tally: Tally::default(),
        requests: 0,
    };
    let tick = TimeDelta::minutes(30);
    let interval = settings.interval.to_chrono();
    let cleanup_every = settings.cleanup_every.to_chrono();
    let end = t0() + TimeDelta::days(days);
    let mut next_scheduled = t0();
    let mut next_cleanup = t0() + cleanup_every;
    let mut rotation: Option<Rotation> = None;
    let mut now = t0();
    while now < end {
        lock(&sim.world).now = now;
        let manual = sim.rng.random_bool(chaos.manual);
        if rotation.is_none() && (now >= next_scheduled || manual) {
            if now >= next_scheduled {
                next_scheduled = now + interval;
            }
            rotation = Some(sim.start_rotation());
        }
        if let Some(mut r) = rotation.take_if(|r| now >= r.due) {
            let mut going = sim.step(&mut r);
            // Steps follow each other at once unless one stalled or crashed.
            while going && r.due <= now {
                going = sim.step(&mut r);
            }
            if going {
                rotation = Some(r);
            }
        }
        // Operator actions between steps (a rotation in flight is disturbed by them).
        for emergency in [true, false] {
            let p = if emergency {
                chaos.emergency
            } else {
                chaos.revoke
            };
            if sim.rng.random_bool(p)
                && let Some(a) = sim.operator_action(emergency)
            {
                if let Some(r) = rotation.as_mut() {
                    r.disturbed = true;
                }
                let res = sim.run_retried(&a);
                sim.check_operator_result(&a, &res);
            }
        }
        if now >= next_cleanup || sim.rng.random_bool(chaos.cleanup) {
            if now >= next_cleanup {
                next_cleanup = now + cleanup_every;
            }
            if let Err(e) = sim.run_retried(&Action::Cleanup) {
                sim.fail(format!("cleanup failed: {e}"));
            }
        }
        {
            let mut w = lock(&sim.world);
            let v = w.check(&sim.cfg, "tick");
            w.record(v);
            let keys = w.jwks_kids().len();
            sim.tally.max_keys = sim.tally.max_keys.max(keys);
        }
        now += tick;
    }
    let w = lock(&sim.world);
    let mut tally = std::mem::take(&mut sim.tally);
    tally.violations.extend(w.violations.iter().cloned());
    tally
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

fn assert_clean(what: &str, t: &Tally) {
    assert!(
        t.violations.is_empty(),
        "{what} ({}):\n  {}",
        t.summary(),
        t.violations.join("\n  ")
    );
}

#[test]
fn two_years_with_defaults_and_no_faults() {
    let t = simulate(defaults(), 1, 730, CALM);
    assert_clean("calm", &t);
    assert!(t.promoted >= 11, "promoted {}", t.promoted);
    // Only the very first rotation of a deployment defers (no NEXT exists before it).
    assert!(t.deferred <= 1, "deferred {}", t.deferred);
    assert!(t.max_keys <= 3, "max keys {}", t.max_keys);
}

#[test]
fn two_years_with_defaults_under_chaos() {
    let mut emergencies = 0;
    let mut revocations = 0;
    for seed in 0..8 {
        let t = simulate(defaults(), seed, 730, STORM);
        assert_clean(&format!("seed {seed}"), &t);
        assert!(t.promoted >= 6, "seed {seed}: promoted {}", t.promoted);
        assert!(t.crashes > 0, "seed {seed}: chaos produced no crash");
        assert!(t.races > 0, "seed {seed}: nothing raced a rotation step");
        emergencies += t.emergencies;
        revocations += t.revocations;
    }
    assert!(
        emergencies >= 8 && revocations >= 8,
        "too few incidents: {emergencies} emergencies, {revocations} revocations"
    );
}

#[test]
fn token_lifetime_longer_than_rotation_interval() {
    let cfg = Settings {
        interval: Duration::from_days(30),
        grace: Duration::from_days(7),
        max_ttl: Duration::from_days(90),
        cleanup_every: Duration::from_hours(24),
        cleanup_grace: Duration::from_hours(6),
    };
    let t = simulate(cfg, 42, 730, CALM);
    assert_clean("calm, 90d tokens", &t);
    // Three or four retired keys are kept at once, where the construct kept one.
    assert!(t.max_keys >= 5, "max keys {}", t.max_keys);
    for seed in 100..104 {
        let t = simulate(cfg, seed, 730, STORM);
        assert_clean(&format!("chaos, 90d tokens, seed {seed}"), &t);
    }
}

#[test]
fn short_intervals_with_frequent_cleanups_under_chaos() {
    for seed in 200..203 {
        let t = simulate(
            Settings {
                interval: Duration::from_hours(12),
                grace: Duration::from_hours(4),
                max_ttl: Duration::from_hours(20),
                cleanup_every: Duration::from_hours(1),
                cleanup_grace: Duration::from_mins(30),
            },
            seed,
            365,
            Chaos {
                manual: 0.02,
                ..STORM
            },
        );
        assert_clean(&format!("seed {seed}"), &t);
        assert!(t.races > 0, "seed {seed}: no race");
        assert!(
            t.deferred > 0,
            "seed {seed}: no early rotation was deferred"
        );
    }
}
