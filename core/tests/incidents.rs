//! Incidents: the rotation steps and operator actions of `jwks_rotation_core::actions` run over an
//! in-memory model of Secrets Manager and S3 that applies AWS's rules (tests/model), with
//! 1. every interleaving (or, where there are too many, seeded random ones) of every pair of
//!    actions from start states that make them meaningful, the invariants checked before and
//!    after every AWS call, and a follow-up rotation that must complete (nothing wedged);
//! 2. a crash after every call of every action, a retry, and a further retry that must change
//!    nothing;
//! 3. a year of operation (rotations, cleanups, emergencies, revocations, manual rotations) with
//!    token lifetimes from 1h to 90d, and a configuration change mid-run.
//!
//! Run with `cargo test -p jwks-rotation-core --test incidents -- --nocapture` to see the counts.
//! `INCIDENTS_RANDOM=N` sets the number of random schedules of a pair too large for exhaustive
//! search (default 2000); `INCIDENTS_DFS_LIMIT=N` the size below which a pair is explored
//! exhaustively (default 20000).

mod model;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use chrono::{DateTime, TimeDelta, Utc};
use jwks_rotation_core::actions::{
    Outcome, cleanup, create_secret, emergency_rotate, label, revoke,
};
use jwks_rotation_core::{Duration, RotationConfig, RotationKind};
use model::explore::{
    Action, describe, follow_up, full_rotation, full_rotation_noting, note_result, run_action,
    run_schedule,
};
use model::{CURRENT, Handle, ModelError, NEXT, PENDING, World, block_on, config, lock, t0};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

// ---------------------------------------------------------------------------------------------
// Start states
// ---------------------------------------------------------------------------------------------

struct Starts {
    cfg: RotationConfig,
    /// Steady state after three rotations (day 70): no rotation in progress; the last rotation's
    /// token still holds AWSPENDING beside AWSCURRENT.
    s0: World,
    /// s0 + RotateSecret(T): a rotation in progress, createSecret not run.
    s1: World,
    /// s1 + createSecret(T): NEXT's key staged (promoted) under T.
    s2: World,
    /// Day 61 (NEXT one day old) + RotateSecret(T3) + createSecret(T3): an early, deferred
    /// rotation in progress.
    s3: World,
    /// s0 + 25 days without cleanup: the cleanup has a retired key to remove.
    s_expired: World,
    token: String,
    token3: String,
    last_token: String,
    next_kid: String,
    next_kid3: String,
    retired_kid: String,
    retired_kid3: String,
}

fn advance_days(h: &Handle, days: u64) {
    for _ in 0..days {
        lock(&h.world).now += TimeDelta::days(1);
        block_on(cleanup(h)).expect("cleanup");
    }
}

fn snapshot(w: &Arc<Mutex<World>>) -> World {
    lock(w).clone()
}

fn newest_retired(w: &World) -> Option<String> {
    let reg = w.registry()?;
    let cur = w.kid_at(CURRENT);
    reg.keys
        .iter()
        .filter(|k| k.retired_at.is_some() && Some(k.kid().to_string()) != cur)
        .filter(|k| !reg.is_revoked(k.kid()))
        .max_by_key(|k| k.retired_at)
        .map(|k| k.kid().to_string())
}

fn starts() -> &'static Starts {
    static S: OnceLock<Starts> = OnceLock::new();
    S.get_or_init(|| {
        let cfg = config(Duration::from_days(30));
        let world = Arc::new(Mutex::new(World::new(t0())));
        lock(&world).track.check_removal = true;
        let h = Handle::new(world.clone(), cfg.clone(), "setup");
        let (_, o) = full_rotation(&h).expect("first rotation");
        assert_eq!(o, Outcome::Staged(RotationKind::Initial));
        for _ in 0..2 {
            advance_days(&h, 30);
            let (_, o) = full_rotation(&h).expect("rotation");
            assert_eq!(o, Outcome::Staged(RotationKind::Promoted));
        }
        // s3: an early rotation one day after the last one.
        let s3_world = Arc::new(Mutex::new(snapshot(&world)));
        let h3 = Handle::new(s3_world.clone(), cfg.clone(), "setup");
        advance_days(&h3, 1);
        let token3 = lock(&s3_world).rotate_secret().expect("rotate");
        let c = block_on(create_secret(&h3, &token3)).expect("create");
        assert!(matches!(c.outcome, Outcome::Deferred(_)), "{:?}", c.outcome);
        let s3 = snapshot(&s3_world);

        advance_days(&h, 10);
        let s0 = snapshot(&world);
        let last_token = s0.holder(CURRENT).unwrap().to_string();
        let token = lock(&world).rotate_secret().expect("rotate");
        let s1 = snapshot(&world);
        let c = block_on(create_secret(&h, &token)).expect("create");
        assert_eq!(c.outcome, Outcome::Staged(RotationKind::Promoted));
        let s2 = snapshot(&world);
        let mut s_expired = s0.clone();
        s_expired.now += TimeDelta::days(25);
        s_expired.track.check_removal = false;
        for w in [&s0, &s1, &s2, &s3] {
            assert!(w.violations.is_empty(), "setup: {:?}", w.violations);
        }
        let mut starts = Starts {
            cfg,
            next_kid: s0.kid_at(NEXT).unwrap(),
            next_kid3: s3.kid_at(NEXT).unwrap(),
            retired_kid: newest_retired(&s0).expect("a retired kid"),
            retired_kid3: newest_retired(&s3).expect("a retired kid"),
            s0,
            s1,
            s2,
            s3,
            s_expired,
            token,
            token3,
            last_token,
        };
        // The pair runs keep the clock still (and jump it in the follow-up): invariant 3 is
        // checked where the cleanup keeps its schedule (setup, year).
        for w in [
            &mut starts.s0,
            &mut starts.s1,
            &mut starts.s2,
            &mut starts.s3,
        ] {
            w.track.check_removal = false;
            w.trace.clear();
        }
        starts
    })
}

// ---------------------------------------------------------------------------------------------
// Pairs
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct PairStats {
    schedules: usize,
    exhaustive: bool,
    truncated: bool,
    outcomes: BTreeMap<String, usize>,
    failing: usize,
    /// First failing schedules, one per distinct first violation.
    examples: Vec<String>,
    seen: BTreeSet<String>,
}

/// The shape of a violation message without context, kids, versions and times, to group
/// failures.
fn shape(v: &str) -> String {
    let body = v.rsplit("] ").next().unwrap_or(v);
    body.split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(_, p)| p)
        .collect::<String>()
        .chars()
        .filter(|c| !c.is_ascii_digit())
        .collect()
}

fn evaluate(
    label: &str,
    acts: &[Action],
    cfg: &RotationConfig,
    r: model::explore::RunResult,
    stats: &mut PairStats,
) {
    let mut v = lock(&r.world).violations.clone();
    for (i, res) in r.results.iter().enumerate() {
        if let Err(e) = res
            && !acts[i].allowed(e)
        {
            v.push(format!(
                "{} returned an unexpected error: {e}",
                acts[i].name()
            ));
        }
    }
    let outcome = r
        .results
        .iter()
        .map(describe)
        .collect::<Vec<_>>()
        .join(" / ");
    if v.is_empty() {
        v.extend(follow_up(&r.world, cfg));
    }
    *stats.outcomes.entry(outcome.clone()).or_default() += 1;
    if !v.is_empty() {
        stats.failing += 1;
        let key = shape(&v[0]);
        if stats.seen.insert(key) && stats.examples.len() < 4 {
            stats.examples.push(format!(
                "{label}\n    schedule: {}\n    results: {outcome}\n    violations:\n      {}",
                r.trace.join(" -> "),
                v.join("\n      ")
            ));
        }
    }
}

fn binomial(n: usize, k: usize) -> f64 {
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

fn explore_pair(label: &str, start: &World, cfg: &RotationConfig, acts: &[Action]) -> PairStats {
    let mut stats = PairStats::default();
    let dfs_limit = env_usize("INCIDENTS_DFS_LIMIT", 20_000);
    let random_runs = env_usize("INCIDENTS_RANDOM", 2_000);
    // Size estimate from the sequential schedule: C(a + b, a).
    let probe = run_schedule(start, cfg, acts, &mut |_| 0);
    let per_actor: Vec<usize> = acts
        .iter()
        .enumerate()
        .map(|(i, _)| {
            let tag = ["#A:", "#B:"][i];
            probe.trace.iter().filter(|t| t.contains(tag)).count()
        })
        .collect();
    let estimate = binomial(per_actor[0] + per_actor[1], per_actor[0]);
    if estimate <= dfs_limit as f64 {
        stats.exhaustive = true;
        let mut stack: Vec<(usize, usize)> = Vec::new();
        loop {
            let prefix = stack.clone();
            let mut depth = 0;
            let r = run_schedule(start, cfg, acts, &mut |_n| {
                let c = prefix.get(depth).map_or(0, |p| p.0);
                depth += 1;
                c
            });
            stack = r.branches.clone();
            evaluate(label, acts, cfg, r, &mut stats);
            stats.schedules += 1;
            while let Some((c, n)) = stack.pop() {
                if c + 1 < n {
                    stack.push((c + 1, n));
                    break;
                }
            }
            if stack.is_empty() {
                break;
            }
            if stats.schedules >= dfs_limit * 4 {
                stats.truncated = true;
                break;
            }
        }
    } else {
        let seed = label.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        let mut rng = StdRng::seed_from_u64(seed);
        for _ in 0..random_runs {
            let r = run_schedule(start, cfg, acts, &mut |n| rng.random_range(0..n));
            evaluate(label, acts, cfg, r, &mut stats);
            stats.schedules += 1;
        }
    }
    stats
}

fn menu(st: &Starts, token: &str, next: &str, retired: &str, rotation_steps: bool) -> Vec<Action> {
    let mut v = Vec::new();
    if rotation_steps {
        v.extend([
            Action::Create(token.to_string()),
            Action::Test(token.to_string()),
            Action::Finish(token.to_string()),
        ]);
    } else {
        // A late re-delivery of the completed rotation's last step.
        v.push(Action::Finish(st.last_token.clone()));
    }
    v.extend([
        Action::Cleanup,
        Action::Emergency {
            request: String::new(),
            revoke_current: false,
        },
        Action::Emergency {
            request: String::new(),
            revoke_current: true,
        },
        Action::Revoke {
            kid: next.to_string(),
            target: "Next",
        },
        Action::Revoke {
            kid: retired.to_string(),
            target: "Retired",
        },
    ]);
    v
}

fn run_pairs(state: &str) {
    let st = starts();
    let (start, acts) = match state {
        "S0" => (&st.s0, menu(st, "", &st.next_kid, &st.retired_kid, false)),
        "S1" => (
            &st.s1,
            menu(st, &st.token, &st.next_kid, &st.retired_kid, true),
        ),
        "S2" => (
            &st.s2,
            menu(st, &st.token, &st.next_kid, &st.retired_kid, true),
        ),
        "S3" => (
            &st.s3,
            menu(st, &st.token3, &st.next_kid3, &st.retired_kid3, true),
        ),
        _ => unreachable!(),
    };
    let began = Instant::now();
    let mut total = 0;
    let mut failures = Vec::new();
    let mut lines = Vec::new();
    for i in 0..acts.len() {
        for j in i..acts.len() {
            let mut pair = [acts[i].clone(), acts[j].clone()];
            for (k, a) in pair.iter_mut().enumerate() {
                if let Action::Emergency {
                    request,
                    revoke_current,
                } = a
                {
                    *request = format!("req-{state}-{k}-{revoke_current}");
                }
            }
            let label = format!("{state} {} x {}", pair[0].name(), pair[1].name());
            let s = explore_pair(&label, start, &st.cfg, &pair);
            total += s.schedules;
            lines.push(format!(
                "{label}: {} {} schedules{}, {} failing; outcomes {:?}",
                if s.exhaustive { "all" } else { "random" },
                s.schedules,
                if s.truncated { " (truncated)" } else { "" },
                s.failing,
                s.outcomes
            ));
            failures.extend(s.examples);
        }
    }
    println!(
        "== pairs from {state}: {total} schedules in {:.1}s",
        began.elapsed().as_secs_f64()
    );
    for l in &lines {
        println!("  {l}");
    }
    assert!(total > 0);
    if !failures.is_empty() {
        println!("== FAILING schedules from {state}:");
        for f in &failures {
            println!("{f}\n");
        }
        panic!("{} failing pair examples from {state}", failures.len());
    }
}

#[test]
fn pairs_steady_state() {
    run_pairs("S0");
}

#[test]
fn pairs_rotation_started() {
    run_pairs("S1");
}

#[test]
fn pairs_rotation_staged() {
    run_pairs("S2");
}

#[test]
fn pairs_early_rotation_staged() {
    run_pairs("S3");
}

// ---------------------------------------------------------------------------------------------
// Crashes
// ---------------------------------------------------------------------------------------------

/// Runs `acts` one after the other (stopping at the first error) on `w`.
fn run_seq(w: &Arc<Mutex<World>>, cfg: &RotationConfig, acts: &[Action]) -> Vec<String> {
    let h = Handle::new(w.clone(), cfg.clone(), "seq");
    let mut out = Vec::new();
    for a in acts {
        let r = block_on(run_action(&h, a));
        note_result(&mut lock(w), a, &r);
        out.push(describe(&r));
        if r.is_err() {
            break;
        }
    }
    out
}

/// Checks that hold whenever no action is running.
fn at_rest(w: &World, cfg: &RotationConfig) -> Vec<String> {
    let mut out = Vec::new();
    let reg = w.registry();
    if let (Some(r), Some(j)) = (&reg, &w.jwks)
        && r.jwks_body() != j.body
    {
        out.push(format!(
            "at rest the JWKS {:?} is not the registry's projection {:?}",
            w.jwks_kids(),
            r.kids()
        ));
    }
    // No garbage: every published kid is referenced by a label or still has live tokens.
    let referenced: BTreeSet<String> = w
        .versions
        .values()
        .filter(|v| v.labels.iter().any(|l| label::is_reference(l)))
        .filter_map(|v| v.kid.clone())
        .collect();
    let keep = cfg
        .min_key_cleanup_grace_period
        .saturating_add(cfg.cleanup_check_interval);
    for kid in w.jwks_kids() {
        if referenced.contains(&kid) {
            continue;
        }
        let t = w.track.kids.get(&kid);
        let live = t.and_then(|t| t.last_current).is_some_and(|l| {
            let ttl =
                Duration::from_secs(t.unwrap().ttl_secs.max(cfg.max_token_validity.as_secs()));
            w.now <= l + ttl.saturating_add(keep).to_chrono()
        });
        if !live {
            out.push(format!(
                "`{kid}` is published but no label references it and it never signed (or its tokens are long dead)"
            ));
        }
    }
    out
}

struct CrashCase {
    name: &'static str,
    start: World,
    acts: Vec<Action>,
}

fn crash_cases(st: &Starts) -> Vec<CrashCase> {
    let emergency = |revoke_current| Action::Emergency {
        request: format!("crash-req-{revoke_current}"),
        revoke_current,
    };
    let rev = |kid: &str, target| Action::Revoke {
        kid: kid.to_string(),
        target,
    };
    let t = st.token.clone();
    let mut cases = vec![
        CrashCase {
            name: "S1 createSecret",
            start: st.s1.clone(),
            acts: vec![Action::Create(t.clone())],
        },
        CrashCase {
            name: "S2 testSecret",
            start: st.s2.clone(),
            acts: vec![Action::Test(t.clone())],
        },
        CrashCase {
            name: "S2 finishSecret",
            start: st.s2.clone(),
            acts: vec![Action::Finish(t.clone())],
        },
        CrashCase {
            name: "S1 rotation (create,test,finish; retried from createSecret)",
            start: st.s1.clone(),
            acts: vec![
                Action::Create(t.clone()),
                Action::Test(t.clone()),
                Action::Finish(t.clone()),
            ],
        },
        CrashCase {
            name: "S3 early rotation (create,test,finish)",
            start: st.s3.clone(),
            acts: vec![
                Action::Create(st.token3.clone()),
                Action::Test(st.token3.clone()),
                Action::Finish(st.token3.clone()),
            ],
        },
        CrashCase {
            name: "S0 cleanup",
            start: st.s0.clone(),
            acts: vec![Action::Cleanup],
        },
        CrashCase {
            name: "expired cleanup",
            start: st.s_expired.clone(),
            acts: vec![Action::Cleanup],
        },
    ];
    for (sname, s) in [("S0", &st.s0), ("S1", &st.s1), ("S2", &st.s2)] {
        for (aname, a) in [
            ("emergencyRotate", emergency(false)),
            ("emergencyRotate revokeCurrent", emergency(true)),
            ("revoke NEXT", rev(&st.next_kid, "Next")),
            ("revoke retired", rev(&st.retired_kid, "Retired")),
        ] {
            cases.push(CrashCase {
                name: Box::leak(format!("{sname} {aname}").into_boxed_str()),
                start: s.clone(),
                acts: vec![a],
            });
        }
    }
    cases
}

/// One crash scenario: crash after `ks[0]` calls, retry (crashing after `ks[1]` calls if given),
/// ..., then a retry to completion and one more that must change nothing.
fn crash_run(case: &CrashCase, cfg: &RotationConfig, base: &[String], ks: &[u64]) -> Vec<String> {
    let w = Arc::new(Mutex::new(case.start.clone()));
    let mut v = Vec::new();
    let mut history = Vec::new();
    for k in ks {
        {
            let mut g = lock(&w);
            g.crash_after = Some(g.calls + k);
        }
        let r = run_seq(&w, cfg, &case.acts);
        history.push(format!("crash after {k}: {r:?}"));
    }
    lock(&w).crash_after = None;
    let r = run_seq(&w, cfg, &case.acts);
    history.push(format!("retry: {r:?}"));
    if r.last() != base.last() {
        v.push(format!(
            "the retry ended {:?}, the run without a crash {:?}",
            r.last(),
            base.last()
        ));
    }
    let before = lock(&w).observable();
    let r2 = run_seq(&w, cfg, &case.acts);
    history.push(format!("second retry: {r2:?}"));
    let after = lock(&w).observable();
    if before != after {
        v.push(format!(
            "a further retry changed the world:\n--- before\n{before}--- after\n{after}"
        ));
    }
    {
        let g = lock(&w);
        v.extend(g.violations.iter().cloned());
        v.extend(at_rest(&g, cfg));
    }
    if v.is_empty() {
        v.extend(follow_up(&w, cfg));
    }
    if !v.is_empty() {
        let trace = lock(&w).trace.join(" -> ");
        v.insert(0, format!("history: {}", history.join("; ")));
        v.push(format!("calls: {trace}"));
    }
    v
}

#[test]
fn crash_after_every_call_then_retry() {
    let began = Instant::now();
    let st = starts();
    let cfg = &st.cfg;
    let mut failures = Vec::new();
    let mut total = 0;
    for case in crash_cases(st) {
        let w = Arc::new(Mutex::new(case.start.clone()));
        let calls0 = lock(&w).calls;
        let base = run_seq(&w, cfg, &case.acts);
        let n = lock(&w).calls - calls0;
        let mut runs = 0;
        let mut failing = 0;
        let mut shown = BTreeSet::new();
        let mut scenarios: Vec<Vec<u64>> = (0..n).map(|k| vec![k]).collect();
        // Crashes in the retry too: after every call of the first run, and after every call
        // (every few calls, for the long actions) of the retry.
        let stride = (n / 8).max(1) as usize;
        for k1 in 0..n {
            for k2 in (0..n).step_by(stride) {
                scenarios.push(vec![k1, k2]);
            }
        }
        for ks in scenarios {
            let v = crash_run(&case, cfg, &base, &ks);
            runs += 1;
            if !v.is_empty() {
                failing += 1;
                let key = v.get(1).map(|s| shape(s)).unwrap_or_default();
                if shown.insert(key) && shown.len() <= 3 {
                    failures.push(format!(
                        "{} crash after {ks:?} calls:\n      {}",
                        case.name,
                        v.join("\n      ")
                    ));
                }
            }
        }
        total += runs;
        println!(
            "  crash {}: {n} calls uncrashed ({base:?}), {runs} crash scenarios, {failing} failing",
            case.name
        );
    }
    println!(
        "== crash scenarios: {total} in {:.1}s",
        began.elapsed().as_secs_f64()
    );
    assert!(total > 0);
    if !failures.is_empty() {
        println!("== FAILING crash scenarios:");
        for f in &failures {
            println!("{f}\n");
        }
        panic!("{} failing crash scenario examples", failures.len());
    }
}

// ---------------------------------------------------------------------------------------------
// A year
// ---------------------------------------------------------------------------------------------

struct YearReport {
    violations: Vec<String>,
    counts: BTreeMap<&'static str, usize>,
}

fn expected_rotation(w: &World, cfg: &RotationConfig) -> (Option<String>, bool) {
    let cur = w.kid_at(CURRENT);
    let Some(_) = &cur else { return (None, true) };
    let next = w.kid_at(NEXT);
    let reg = w.registry().unwrap_or_default();
    let eligible = next
        .as_ref()
        .and_then(|n| reg.get(n))
        .is_some_and(|s| s.published_at + cfg.min_activation_grace_period.to_chrono() <= w.now)
        && next.as_ref().is_some_and(|n| !reg.is_revoked(n));
    if eligible { (next, true) } else { (cur, false) }
}

fn year(ttl: Duration, change: Option<(u64, Duration)>) -> YearReport {
    let mut cfg = config(ttl);
    let world = Arc::new(Mutex::new(World::new(t0())));
    {
        let mut w = lock(&world);
        w.track.check_removal = true;
        w.record_trace = false;
    }
    let mut v: Vec<String> = Vec::new();
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut emergencies = 0;
    let mut revokes = 0;
    let mut protected: Option<(String, DateTime<Utc>, Duration)> = None;
    let hour = TimeDelta::hours(1);
    for hr in 0..=(365 * 24u64) {
        let now = t0() + TimeDelta::hours(hr as i64);
        lock(&world).now = now;
        if let Some((at, new_ttl)) = change
            && hr == at
        {
            let w = lock(&world);
            let reg = w.registry().unwrap();
            let k = newest_retired(&w).expect("a retired key at the change");
            let retired = reg.get(&k).unwrap().retired_at.unwrap();
            protected = Some((k, retired, cfg.max_token_validity));
            cfg = config(new_ttl);
        }
        let h = Handle::new(world.clone(), cfg.clone(), "year");
        let rotation = |kind: &'static str,
                        v: &mut Vec<String>,
                        counts: &mut BTreeMap<&'static str, usize>| {
            let (expect_kid, promote) = expected_rotation(&lock(&world), &cfg);
            let before = lock(&world).kid_at(CURRENT);
            let mut problems = Vec::new();
            let r = full_rotation_noting(&h, &mut problems);
            v.extend(
                problems
                    .into_iter()
                    .map(|p| format!("{now} {kind} rotation: {p}")),
            );
            match r {
                Err(e) => v.push(format!("{now} {kind} rotation: {e}")),
                Ok((_, outcome)) => {
                    let after = lock(&world).kid_at(CURRENT);
                    let ok = match &outcome {
                        Outcome::Staged(RotationKind::Initial) => before.is_none(),
                        Outcome::Staged(RotationKind::Promoted) => promote && after == expect_kid,
                        Outcome::Deferred(_) => !promote && after == before,
                        _ => false,
                    };
                    if !ok {
                        v.push(format!(
                            "{now} {kind} rotation: {outcome:?}, signing {before:?} -> {after:?}, expected {} to {expect_kid:?}",
                            if promote { "promotion" } else { "deferral" }
                        ));
                    }
                    *counts
                        .entry(match outcome {
                            Outcome::Deferred(_) => "rotations deferred",
                            _ => "rotations promoted/initial",
                        })
                        .or_default() += 1;
                }
            }
        };
        if hr % (30 * 24) == 0 {
            rotation("scheduled", &mut v, &mut counts);
        }
        if hr % 24 == 3 {
            if let Err(e) = block_on(cleanup(&h)) {
                v.push(format!("{now} cleanup: {e}"));
            }
            *counts.entry("cleanups").or_default() += 1;
        }
        if hr % (30 * 24) == 15 * 24 + 6 {
            emergencies += 1;
            let revoke_current = emergencies % 2 == 0;
            let act = Action::Emergency {
                request: format!("year-emergency-{emergencies}"),
                revoke_current,
            };
            let before = lock(&world).kid_at(CURRENT);
            let r = block_on(emergency_rotate(
                &h,
                &format!("year-emergency-{emergencies}"),
                revoke_current,
            ));
            note_result(&mut lock(&world), &act, &r);
            match &r {
                Ok(rep) => match &rep.outcome {
                    Outcome::EmergencyRotated { kid } => {
                        let w = lock(&world);
                        if w.kid_at(CURRENT).as_ref() != Some(kid) || Some(kid) == before.as_ref() {
                            v.push(format!(
                                "{now} emergency: {kid} is not the fresh signing key"
                            ));
                        }
                        if revoke_current
                            && !w.registry().unwrap().is_revoked(before.as_deref().unwrap())
                        {
                            v.push(format!("{now} emergency: {before:?} not revoked"));
                        }
                    }
                    o => v.push(format!("{now} emergency: {o:?}")),
                },
                Err(e) => v.push(format!("{now} emergency: {e}")),
            }
            *counts.entry("emergencies").or_default() += 1;
        }
        if hr % (10 * 24) == 5 * 24 + 9 {
            revokes += 1;
            let (kid, target) = {
                let w = lock(&world);
                let retired =
                    newest_retired(&w).filter(|k| protected.as_ref().is_none_or(|p| p.0 != *k));
                match retired {
                    Some(k) if revokes % 2 == 1 => (k, "Retired"),
                    _ => (w.kid_at(NEXT).unwrap(), "Next"),
                }
            };
            let act = Action::Revoke {
                kid: kid.clone(),
                target,
            };
            let r = block_on(revoke(&h, &kid));
            note_result(&mut lock(&world), &act, &r);
            match r {
                Ok(_) => {
                    let w = lock(&world);
                    if w.jwks_kids().contains(&kid) {
                        v.push(format!("{now} revoke {kid}: still published"));
                    }
                    if target == "Next" && w.kid_at(NEXT).is_none_or(|n| n == kid) {
                        v.push(format!("{now} revoke {kid}: NEXT not replaced"));
                    }
                }
                Err(e) => v.push(format!("{now} revoke {target} {kid}: {e}")),
            }
            *counts
                .entry(if target == "Next" {
                    "revocations of NEXT"
                } else {
                    "revocations of a retired key"
                })
                .or_default() += 1;
        }
        if hr % (3 * 24) == 24 + 14 {
            rotation("manual", &mut v, &mut counts);
        }
        // At rest: the tracker's invariants at this instant, and the at-rest checks.
        {
            let mut w = lock(&world);
            let tick = w.check(&cfg, "tick");
            w.record(tick);
            let rest = at_rest(&w, &cfg);
            v.extend(rest.into_iter().map(|m| format!("{now} {m}")));
            if let Some(p) = w.holder(PENDING)
                && !w.versions[p].labels.contains(CURRENT)
            {
                v.push(format!(
                    "{now} AWSPENDING left on {p} (not current) at rest"
                ));
            }
            if let Some((k, retired, old_ttl)) = &protected {
                let published = w.jwks_kids().contains(k);
                let live_until = *retired + old_ttl.to_chrono();
                if now < live_until && !published {
                    v.push(format!(
                        "{now} `{k}` retired at {retired} under a {}s token lifetime left before {live_until}",
                        old_ttl.as_secs()
                    ));
                }
                let gone_by = live_until
                    + cfg.min_key_cleanup_grace_period.to_chrono()
                    + cfg.cleanup_check_interval.to_chrono()
                    + hour;
                if now > gone_by && published {
                    v.push(format!("{now} `{k}` still published after {gone_by}"));
                }
            }
        }
    }
    // One line per kind of violation: the first occurrence, and how often it recurred.
    let w = lock(&world);
    v.extend(w.violations.iter().cloned());
    let mut kinds: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for m in v.drain(..) {
        let e = kinds.entry(shape(&m)).or_insert((m, 0));
        e.1 += 1;
    }
    let mut v: Vec<String> = kinds
        .into_values()
        .map(|(m, n)| {
            if n > 1 {
                format!("{m} (and {} more like it)", n - 1)
            } else {
                m
            }
        })
        .collect();
    for r in &w.refusals {
        v.push(format!("a write was refused in a sequential run: {r}"));
    }
    *counts.entry("AWS calls").or_default() += w.calls as usize;
    YearReport {
        violations: v,
        counts,
    }
}

#[test]
fn a_year_of_operation() {
    let began = Instant::now();
    let mut failures = Vec::new();
    let runs: Vec<(&str, Duration, Option<(u64, Duration)>)> = vec![
        ("maxTokenValidity 1h", Duration::from_hours(1), None),
        ("maxTokenValidity 1d", Duration::from_days(1), None),
        ("maxTokenValidity 7d", Duration::from_days(7), None),
        ("maxTokenValidity 30d", Duration::from_days(30), None),
        ("maxTokenValidity 90d", Duration::from_days(90), None),
        (
            "maxTokenValidity 30d then 1h from day 182",
            Duration::from_days(30),
            Some((182 * 24 + 1, Duration::from_hours(1))),
        ),
    ];
    for (name, ttl, change) in runs {
        let r = year(ttl, change);
        println!(
            "  year {name}: {:?}, {} violations",
            r.counts,
            r.violations.len()
        );
        if !r.violations.is_empty() {
            failures.push(format!(
                "year {name}:\n      {}",
                r.violations
                    .iter()
                    .take(12)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("\n      ")
            ));
        }
    }
    println!("== year runs in {:.1}s", began.elapsed().as_secs_f64());
    if !failures.is_empty() {
        println!("== FAILING year runs:");
        for f in &failures {
            println!("{f}\n");
        }
        panic!("{} failing year runs", failures.len());
    }
}

#[allow(dead_code)]
fn unused(_: ModelError) {}
