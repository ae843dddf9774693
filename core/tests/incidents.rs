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
//! Run with `cargo test -p jwks-rotation-core --test incidents -- --nocapture` to see the counts
//! (the total number of schedules explored is printed by each `pairs_*` test). The `replay_*`
//! tests are the schedules this search found against earlier versions of the actions, kept as
//! short regression tests; each failed on the commit before its fix (docs/ROTATION.md).
//!
//! Search per pair: Knuth's estimate of the number of schedules (8 random probes); at most
//! `INCIDENTS_DFS_LIMIT` (default 500): every schedule, by depth-first search replaying from a
//! fresh world each time. Above (or when that search passes the limit: the estimate is often
//! low): every schedule with at most `INCIDENTS_PREEMPTIONS` (default 1)
//! preemptions (switches away from an actor that could go on), plus `INCIDENTS_RANDOM` (default
//! 120) seeded random schedules. `INCIDENTS_THOROUGH=1` sets 20000 / 2 / 2000 (an hour or more).
//! The defaults keep the file under a minute on two idle cores: a schedule costs 2-5 ms, most of
//! it the actions' own registry parsing. `INCIDENTS_ONLY=<text>` runs the pairs whose label
//! contains the text, `INCIDENTS_PROGRESS=1` prints each pair as it ends, `INCIDENTS_DETAIL=1`
//! groups failures per pair.

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
    Action, Until, describe, follow_up, full_rotation, full_rotation_noting, note_result,
    run_action, run_schedule,
};
use model::{CURRENT, Handle, NEXT, PENDING, World, block_on, config, lock, t0};
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
            retired_kid: s0.newest_retired().expect("a retired kid"),
            retired_kid3: s3.newest_retired().expect("a retired kid"),
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
    /// "all": every schedule; "bounded": every schedule with at most N preemptions, plus
    /// `random` seeded random ones.
    mode: &'static str,
    complete: bool,
    random: usize,
    bound: usize,
    /// Schedules of a full search cut off before the bounded one.
    cut_full: usize,
    estimate: f64,
    outcomes: BTreeMap<String, usize>,
    failing: usize,
    /// First failing schedules, one per distinct first violation.
    /// Failing schedules by the shape of their first violation: count, and the shortest one.
    shapes: BTreeMap<String, (usize, usize, String)>,
    /// Follow-up results by end-state fingerprint.
    followups: std::collections::HashMap<u64, Vec<String>>,
}

/// The shape of a violation message without context, kids, versions and times, to group
/// failures.
fn shape(v: &str) -> String {
    let body = v.rsplit("] ").next().unwrap_or(v);
    let body: String = body
        .split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(_, p)| p)
        .collect();
    body.split_whitespace()
        .filter(|w| !w.chars().any(|c| c.is_ascii_digit() || "[]\"".contains(c)))
        .collect::<Vec<_>>()
        .join(" ")
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
    if v.is_empty() && std::env::var("INCIDENTS_NO_FOLLOWUP").is_err() {
        // Many schedules end in the same state: the follow-up of a state is run once.
        let fp = lock(&r.world).fingerprint();
        let found = stats.followups.get(&fp).cloned();
        let f = found.unwrap_or_else(|| {
            let f = follow_up(&r.world, cfg);
            stats.followups.insert(fp, f.clone());
            f
        });
        v.extend(f);
    }
    *stats.outcomes.entry(outcome.clone()).or_default() += 1;
    if !v.is_empty() {
        stats.failing += 1;
        let mut key = shape(&v[0]);
        if std::env::var("INCIDENTS_DETAIL").is_ok() {
            key = format!("{label}: {key}");
        }
        let e = stats
            .shapes
            .entry(key)
            .or_insert((0, usize::MAX, String::new()));
        e.0 += 1;
        if r.trace.len() < e.1 {
            e.1 = r.trace.len();
            e.2 = format!(
                "{label}\n    schedule: {}\n    results: {outcome}\n    violations:\n      {}",
                r.trace.join(" -> "),
                v.iter()
                    .take(8)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("\n      ")
            );
        }
    }
}

/// One decision of a systematic search: the alternative taken (0 = keep running the actor
/// that ran last), how many there were, the preemptions before it, and whether switching here is
/// free (the actor that ran last is not waiting).
#[derive(Clone, Copy)]
struct Decision {
    alt: usize,
    n: usize,
    preemptions_before: usize,
    free: bool,
}

/// Depth-first search over schedules with at most `bound` preemptions (a switch away from an
/// actor that could go on); `usize::MAX` explores every schedule. Stops after `cap` schedules.
fn dfs(
    label: &str,
    start: &World,
    cfg: &RotationConfig,
    acts: &[Action],
    bound: usize,
    cap: usize,
    stats: &mut PairStats,
) -> bool {
    let mut prefix: Vec<usize> = Vec::new();
    let mut runs = 0;
    loop {
        let mut decisions: Vec<Decision> = Vec::new();
        let mut preemptions = 0;
        let r = run_schedule(start, cfg, acts, &mut |enabled, last, _| {
            if enabled.len() == 1 {
                return enabled[0];
            }
            let mut alts: Vec<usize> = Vec::with_capacity(enabled.len());
            let free = !last.is_some_and(|l| enabled.contains(&l));
            if let Some(l) = last.filter(|l| enabled.contains(l)) {
                alts.push(l);
            }
            alts.extend(enabled.iter().copied().filter(|a| Some(*a) != last));
            let depth = decisions.len();
            let alt = prefix.get(depth).copied().unwrap_or(0);
            decisions.push(Decision {
                alt,
                n: alts.len(),
                preemptions_before: preemptions,
                free,
            });
            if !free && alt > 0 {
                preemptions += 1;
            }
            alts[alt]
        });
        evaluate(label, acts, cfg, r, stats);
        stats.schedules += 1;
        runs += 1;
        while let Some(d) = decisions.pop() {
            if d.alt + 1 < d.n && (d.free || d.preemptions_before < bound) {
                decisions.push(Decision {
                    alt: d.alt + 1,
                    ..d
                });
                break;
            }
        }
        if decisions.is_empty() {
            return true;
        }
        if runs >= cap {
            return false;
        }
        prefix = decisions.iter().map(|d| d.alt).collect();
    }
}

fn explore_pair(label: &str, start: &World, cfg: &RotationConfig, acts: &[Action]) -> PairStats {
    let mut stats = PairStats::default();
    let thorough = std::env::var("INCIDENTS_THOROUGH").is_ok();
    let dfs_limit = env_usize("INCIDENTS_DFS_LIMIT", if thorough { 20_000 } else { 500 });
    let random_runs = env_usize("INCIDENTS_RANDOM", if thorough { 2_000 } else { 120 });
    let bound = env_usize("INCIDENTS_PREEMPTIONS", if thorough { 2 } else { 1 });
    let seed = label.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let mut rng = StdRng::seed_from_u64(seed);
    // Knuth's estimate of the number of schedules: the mean over random schedules of the
    // product of the branching factors along them.
    let probes = 8;
    let mut estimate = 0.0;
    for _ in 0..probes {
        let r = run_schedule(start, cfg, acts, &mut |e, _, _| {
            e[rng.random_range(0..e.len())]
        });
        estimate += r.branches.iter().map(|n| *n as f64).product::<f64>() / probes as f64;
    }
    stats.estimate = estimate;
    if estimate <= dfs_limit as f64 {
        stats.mode = "all";
        stats.complete = dfs(label, start, cfg, acts, usize::MAX, dfs_limit, &mut stats);
        if stats.complete {
            return stats;
        }
        // The estimate was low (it often is: uniform random probes rarely take the long
        // interleavings); go on as for a large pair.
        stats.cut_full = stats.schedules;
    }
    {
        stats.mode = "bounded";
        stats.bound = bound;
        stats.complete = dfs(label, start, cfg, acts, bound, dfs_limit * 2, &mut stats);
        for _ in 0..random_runs {
            let r = run_schedule(start, cfg, acts, &mut |e, _, _| {
                e[rng.random_range(0..e.len())]
            });
            evaluate(label, acts, cfg, r, &mut stats);
            stats.schedules += 1;
            stats.random += 1;
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
    let mut failures: BTreeMap<String, (usize, Vec<String>, usize, String)> = BTreeMap::new();
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
            if std::env::var("INCIDENTS_ONLY").is_ok_and(|only| !label.contains(&only)) {
                continue;
            }
            let s = explore_pair(&label, start, &st.cfg, &pair);
            total += s.schedules;
            if std::env::var("INCIDENTS_PROGRESS").is_ok() {
                eprintln!(
                    "{label}: {} schedules, {:.1}s",
                    s.schedules,
                    began.elapsed().as_secs_f64()
                );
            }
            lines.push(format!(
                "{label}: {} schedules ({}; ~{:.0} in all by Knuth's estimate), {} failing; outcomes {:?}",
                s.schedules,
                match s.mode {
                    "all" => "every schedule".to_string(),
                    _ => format!(
                        "{}every schedule with <= {} preemptions{} + {} random",
                        if s.cut_full > 0 {
                            format!("{} of a full search, then ", s.cut_full)
                        } else {
                            String::new()
                        },
                        s.bound,
                        if s.complete { "" } else { " (cut off)" },
                        s.random
                    ),
                },
                s.estimate,
                s.failing,
                s.outcomes
            ));
            for (k, (n, len, example)) in s.shapes {
                let f = failures
                    .entry(k)
                    .or_insert((0, vec![], usize::MAX, String::new()));
                f.0 += n;
                f.1.push(format!("{} x {}", pair[0].name(), pair[1].name()));
                if len < f.2 {
                    f.2 = len;
                    f.3 = example;
                }
            }
        }
    }
    println!(
        "== pairs from {state}: {total} schedules in {:.1}s",
        began.elapsed().as_secs_f64()
    );
    for l in &lines {
        println!("  {l}");
    }
    // `make test` prints these after `cargo test` (which keeps a passing test's output).
    let summary = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("incidents-pairs-{state}.txt"));
    let pairs = lines.len();
    let failing = failures.len();
    std::fs::write(
        &summary,
        format!(
            "interleavings from {state}: {total} schedules of {pairs} action pairs explored, {failing} kinds of failure\n"
        ),
    )
    .expect("write the schedule summary");
    assert!(total > 0);
    if !failures.is_empty() {
        println!("== FAILING schedules from {state}, by kind of first violation:");
        for (kind, (n, pairs, _, example)) in &failures {
            println!(
                "-- {kind}\n   {n} schedules, in {}\n   shortest: {example}\n",
                pairs.join(", ")
            );
        }
        panic!("{} kinds of failing schedules from {state}", failures.len());
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
        let stride = (n / 4).max(1) as usize;
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

/// A configuration change a year run applies at an hour: what `pulumi up` with a changed input
/// gives the function.
type Change = (u64, fn(&mut RotationConfig));

fn year(ttl: Duration, change: Option<Change>) -> YearReport {
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
        if let Some((at, apply)) = change
            && hr == at
        {
            // The newest retired key must stay for the token lifetime in force when it signed.
            let w = lock(&world);
            let reg = w.registry().unwrap();
            protected = w.newest_retired().map(|k| {
                let retired = reg.get(&k).unwrap().retired_at.unwrap();
                (k, retired, cfg.max_token_validity)
            });
            apply(&mut cfg);
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
                let retired = w
                    .newest_retired()
                    .filter(|k| protected.as_ref().is_none_or(|p| p.0 != *k));
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
    type Run<'a> = (&'a str, Duration, Option<Change>);
    let runs: Vec<Run> = vec![
        ("maxTokenValidity 1h", Duration::from_hours(1), None),
        ("maxTokenValidity 1d", Duration::from_days(1), None),
        ("maxTokenValidity 7d", Duration::from_days(7), None),
        ("maxTokenValidity 30d", Duration::from_days(30), None),
        ("maxTokenValidity 90d", Duration::from_days(90), None),
        (
            "maxTokenValidity 30d then 1h from day 182",
            Duration::from_days(30),
            Some((182 * 24 + 1, |c| {
                c.max_token_validity = Duration::from_hours(1)
            })),
        ),
        (
            "maxTokenValidity 1d, minActivationGracePeriod 7d then 20d from day 100",
            Duration::from_days(1),
            Some((100 * 24 + 1, |c| {
                c.min_activation_grace_period = Duration::from_days(20)
            })),
        ),
        (
            "maxTokenValidity 1d, minActivationGracePeriod 7d then 1d from day 100",
            Duration::from_days(1),
            Some((100 * 24 + 1, |c| {
                c.min_activation_grace_period = Duration::from_days(1)
            })),
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

// ---------------------------------------------------------------------------------------------
// The failing schedules found above, one by one, as short replays
// ---------------------------------------------------------------------------------------------

/// Runs `acts` on `start` following `script` ((actor, calls) segments), then the checks of a
/// pair run; returns the violations and the calls made.
fn replay(start: &World, acts: &[Action], script: &[(usize, Until)]) -> (Vec<String>, String) {
    let cfg = &starts().cfg;
    let mut chooser = model::explore::scripted(script);
    let r = run_schedule(start, cfg, acts, &mut chooser);
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
    let results = r
        .results
        .iter()
        .map(describe)
        .collect::<Vec<_>>()
        .join(" / ");
    if v.is_empty() {
        v.extend(at_rest(&lock(&r.world), cfg));
    }
    if v.is_empty() {
        v.extend(follow_up(&r.world, cfg));
    }
    (
        v,
        format!("results {results}\nschedule {}", r.trace.join(" -> ")),
    )
}

fn assert_clean(what: &str, (v, how): (Vec<String>, String)) {
    assert!(
        v.is_empty(),
        "{what}\n{how}\nviolations:\n  {}",
        v.join("\n  ")
    );
}

fn emergency_action(request: &str, revoke_current: bool) -> Action {
    Action::Emergency {
        request: request.to_string(),
        revoke_current,
    }
}

/// cleanup reads the registry, an emergency rotation completes, cleanup reads the (newer) JWKS,
/// finds it differs from the projection of the registry it read and "repairs" it with that older
/// projection under If-Match of the JWKS it just read: the fresh signing key leaves the JWKS.
#[test]
fn replay_cleanup_repair_writes_an_older_projection() {
    let st = starts();
    assert_clean(
        "cleanup's lag repair overwrote a newer JWKS",
        replay(
            &st.s0,
            &[Action::Cleanup, emergency_action("r-1", false)],
            &[(0, Until::Calls(1)), (1, Until::End), (0, Until::End)],
        ),
    );
}

/// The same flaw in `ensure_jwks` at the end of revoke (and of emergencyRotate): it compares the
/// JWKS with the registry of the action's last snapshot, which another action may have
/// superseded since; the older projection is written over the newer JWKS and a revoked kid
/// returns.
#[test]
fn replay_ensure_jwks_writes_an_older_projection() {
    let st = starts();
    let retired = Action::Revoke {
        kid: st.retired_kid.clone(),
        target: "Retired",
    };
    let next = Action::Revoke {
        kid: st.next_kid.clone(),
        target: "Next",
    };
    // revoke(retired) stops before its final JWKS read; revoke(NEXT) runs; revoke(retired) ends.
    assert_clean(
        "revoke's ensure_jwks overwrote a newer JWKS",
        replay(
            &st.s0,
            &[retired, next],
            &[
                (0, Until::Before("read_jwks", 1)),
                (1, Until::End),
                (0, Until::End),
            ],
        ),
    );
}

/// Two emergency rotations: the first stops before its final JWKS read, the second runs, the
/// first's ensure_jwks writes its older projection: the second one's signing key leaves the JWKS.
#[test]
fn replay_emergency_ensure_jwks_drops_the_signing_key() {
    let st = starts();
    assert_clean(
        "emergencyRotate's ensure_jwks overwrote a newer JWKS",
        replay(
            &st.s0,
            &[
                emergency_action("r-1", false),
                emergency_action("r-2", false),
            ],
            &[
                (0, Until::After("move(JWKS_EMERGENCY", 2)),
                (1, Until::End),
                (0, Until::End),
            ],
        ),
    );
}

/// emergencyRotate moves AWSCURRENT onto its key once the registry lists it; a late
/// finishSecret wrote the registry (listing the emergency key, which its labels showed) but not
/// yet the JWKS: the fresh key signs while the JWKS lacks it.
#[test]
fn replay_emergency_moves_current_before_the_jwks_has_the_key() {
    let st = starts();
    assert_clean(
        "the emergency key signed before it was in the JWKS",
        replay(
            &st.s0,
            &[
                Action::Finish(st.last_token.clone()),
                emergency_action("r-1", false),
            ],
            &[
                (1, Until::Before("move(AWSPENDING", 1)),
                (0, Until::Before("write_jwks", 1)),
                (1, Until::End),
                (0, Until::End),
            ],
        ),
    );
}

/// Runs `acts` one after the other on a copy of `start`, crashing at the `n`th call whose
/// description contains the text (and at every call after it), then again without a crash;
/// returns the violations.
fn crash_then_retry(start: &World, acts: &[Action], crash_on: (&str, usize)) -> Vec<String> {
    let cfg = &starts().cfg;
    let w = Arc::new(Mutex::new(start.clone()));
    lock(&w).crash_on = Some((crash_on.0.to_string(), crash_on.1));
    let first = run_seq(&w, cfg, acts);
    lock(&w).crash_after = None;
    let retry = run_seq(&w, cfg, acts);
    let g = lock(&w);
    let mut v = g.violations.clone();
    v.extend(at_rest(&g, cfg));
    if !v.is_empty() {
        v.insert(0, format!("first run {first:?}, retry {retry:?}"));
    }
    v
}

/// emergencyRotate crashes between the registry write and the JWKS write of its publication;
/// the retry finds the registry already listing the fresh key and moves AWSCURRENT onto it:
/// it signs while not in the JWKS (until the retry's next write).
#[test]
fn replay_emergency_crash_between_registry_and_jwks() {
    let st = starts();
    let v = crash_then_retry(&st.s0, &[emergency_action("r-1", false)], ("write_jwks", 1));
    assert!(v.is_empty(), "{}", v.join("\n"));
}

/// finishSecret crashes between the registry write and the JWKS write; the retry finds the
/// registry up to date and returns without writing the JWKS: the new NEXT is in the registry
/// (its publishedAt counting towards minActivationGracePeriod) but not in the JWKS.
#[test]
fn replay_finish_crash_between_registry_and_jwks() {
    let st = starts();
    let v = crash_then_retry(
        &st.s2,
        &[Action::Finish(st.token.clone())],
        ("write_jwks", 1),
    );
    assert!(v.is_empty(), "{}", v.join("\n"));
}

/// finishSecret stops between its registry write (which lists the fresh NEXT as published) and
/// its JWKS write; nothing retries it, and the JWKS lags until the next day's cleanup repairs
/// it. `minActivationGracePeriod` must count from the repair, when verifiers could first fetch
/// the key: the rotation due one grace after the registry write must not promote it (found by
/// core/tests/simulation.rs under chaos: a key signed 3.5 h after it reached the JWKS with a
/// 4 h grace).
#[test]
fn a_key_that_reaches_the_jwks_late_counts_its_grace_from_then() {
    let st = starts();
    let cfg = &st.cfg;
    let w = Arc::new(Mutex::new(st.s2.clone()));
    lock(&w).crash_on = Some(("write_jwks".to_string(), 1));
    let first = run_seq(&w, cfg, &[Action::Finish(st.token.clone())]);
    assert_eq!(
        first,
        ["Err(Crash)"],
        "finishSecret stops before its JWKS write"
    );
    lock(&w).crash_after = None;
    let next = lock(&w).kid_at(NEXT).expect("a fresh NEXT");
    let listed = lock(&w)
        .registry()
        .unwrap()
        .get(&next)
        .unwrap()
        .published_at;
    assert!(!lock(&w).jwks_kids().contains(&next), "the JWKS lags");
    let h = Handle::new(w.clone(), cfg.clone(), "later");
    advance_days(&h, 1);
    let repaired = lock(&w).now;
    assert!(
        lock(&w).jwks_kids().contains(&next),
        "the cleanup repaired the JWKS"
    );
    let recorded = lock(&w)
        .registry()
        .unwrap()
        .get(&next)
        .unwrap()
        .published_at;
    assert_eq!(
        recorded, repaired,
        "publishedAt of `{next}` is when it reached the JWKS, not when the registry listed it ({listed})"
    );
    // One grace after the registry write the NEXT is not yet eligible; one grace after the
    // repair it is.
    lock(&w).now = listed + cfg.min_activation_grace_period.to_chrono();
    let (_, early) = full_rotation(&h).expect("rotation");
    assert!(
        matches!(early, Outcome::Deferred(_)),
        "promoted {next} before it was served for the grace: {early:?}"
    );
    lock(&w).now = repaired + cfg.min_activation_grace_period.to_chrono();
    let (_, due) = full_rotation(&h).expect("rotation");
    assert_eq!(due, Outcome::Staged(RotationKind::Promoted));
    let g = lock(&w);
    assert!(g.violations.is_empty(), "{}", g.violations.join("\n"));
}

/// A retry of a completed emergencyRotate after a later emergency replaced its key: the
/// version of its key holds no reference label any more, so its key is not resolved and the
/// action fails with ForeignSecretValue instead of reporting Superseded (where DescribeSecret
/// lists unlabelled versions; where it does not, the retry puts its key again, finds the token
/// in use, and loops until Contention).
#[test]
fn replay_emergency_retry_after_it_was_superseded() {
    let st = starts();
    let cfg = &st.cfg;
    let mut got = Vec::new();
    for lists_unlabelled in [true, false] {
        let mut start = st.s0.clone();
        start.describe_lists_unlabelled = lists_unlabelled;
        let w = Arc::new(Mutex::new(start));
        let a = emergency_action("r-1", false);
        let b = emergency_action("r-2", false);
        let r1 = run_seq(&w, cfg, std::slice::from_ref(&a));
        let r2 = run_seq(&w, cfg, std::slice::from_ref(&b));
        let r3 = run_seq(&w, cfg, std::slice::from_ref(&a));
        got.push((lists_unlabelled, [r1, r2, r3].concat()));
    }
    let want = ["EmergencyRotated", "EmergencyRotated", "Superseded"].map(String::from);
    assert!(
        got.iter().all(|(_, r)| *r == want),
        "emergency r-1, emergency r-2, retry of r-1 (DescribeSecret lists unlabelled versions: outcomes): {got:?}"
    );
}

/// createSecret decides to promote NEXT; a revocation of NEXT completes (the rotation's version
/// has no value yet, so it is not cancelled); createSecret then stages the revoked key. Every
/// testSecret fails (the key is not published), finishSecret never runs to cancel, and
/// RotateSecret is refused for good: the secret never rotates again.
#[test]
fn replay_create_stages_a_revoked_key() {
    let st = starts();
    assert_clean(
        "createSecret staged a revoked key",
        replay(
            &st.s1,
            &[
                Action::Create(st.token.clone()),
                Action::Revoke {
                    kid: st.next_kid.clone(),
                    target: "Next",
                },
            ],
            &[
                (0, Until::Before("put(", 1)),
                (1, Until::End),
                (0, Until::End),
            ],
        ),
    );
}

/// emergencyRotate A's key signs; emergencyRotate B with revokeCurrent replaces and revokes it;
/// A then fails with EmergencyKeyRevoked ("revoked before it signed"), though its key signed.
#[test]
fn replay_emergency_superseded_and_revoked_reports_an_error() {
    let st = starts();
    assert_clean(
        "emergency A reported an error after its key signed",
        replay(
            &st.s0,
            &[
                emergency_action("r-1", false),
                emergency_action("r-2", true),
            ],
            &[
                (0, Until::After("move(AWSCURRENT", 0)),
                (1, Until::End),
                (0, Until::End),
            ],
        ),
    );
}

// ---------------------------------------------------------------------------------------------
// The model and the checker themselves
// ---------------------------------------------------------------------------------------------

#[test]
fn the_model_applies_aws_rules() {
    use jwks_rotation_core::actions::{Backend, Fetched, MoveOutcome, Precondition, PutOutcome};
    let st = starts();
    let w = Arc::new(Mutex::new(st.s0.clone()));
    let h = Handle::new(w.clone(), st.cfg.clone(), "model");
    let cur = lock(&w).holder(CURRENT).unwrap().to_string();
    let next = lock(&w).holder(NEXT).unwrap().to_string();
    let now = lock(&w).now;
    let key = h.generate(now).unwrap();
    // A new version with a label; the same token and value again: a no-op; another value: refused.
    assert_eq!(
        block_on(h.put("v-new", &key, &["X"])),
        Ok(PutOutcome::Written)
    );
    assert_eq!(
        block_on(h.put("v-new", &key, &["Y"])),
        Ok(PutOutcome::Written)
    );
    assert!(
        !lock(&w).versions["v-new"].labels.contains("Y"),
        "a no-op put moves no label"
    );
    let other = h.generate(now).unwrap();
    assert_eq!(
        block_on(h.put("v-new", &other, &["X"])),
        Ok(PutOutcome::TokenInUse)
    );
    // Moving a label held elsewhere needs RemoveFromVersionId = its holder.
    assert_eq!(
        block_on(h.move_label(NEXT, Some("v-new"), None)),
        Ok(MoveOutcome::Conflict)
    );
    assert_eq!(
        block_on(h.move_label(NEXT, Some("v-new"), Some(&cur))),
        Ok(MoveOutcome::Conflict)
    );
    assert_eq!(
        block_on(h.move_label(NEXT, Some("v-new"), Some(&next))),
        Ok(MoveOutcome::Moved)
    );
    // Moving AWSCURRENT: AWSPREVIOUS goes to the old holder, which keeps its other labels.
    assert_eq!(
        block_on(h.move_label(CURRENT, Some("v-new"), Some(&cur))),
        Ok(MoveOutcome::Moved)
    );
    {
        let g = lock(&w);
        let old = &g.versions[&cur].labels;
        assert!(
            old.contains("AWSPREVIOUS") && old.contains(PENDING),
            "{old:?}"
        );
        assert_eq!(g.holder("AWSPREVIOUS"), Some(cur.as_str()));
    }
    // GetSecretValue: stage mismatch, unknown version.
    assert!(matches!(
        block_on(h.get(Some(&cur), Some(CURRENT))),
        Ok(Fetched::StageMismatch)
    ));
    assert!(matches!(
        block_on(h.get(Some("nope"), None)),
        Ok(Fetched::NotFound)
    ));
    // RotateSecret refuses while AWSPENDING is on a version that is not current.
    assert!(lock(&w).rotate_secret().is_err());
    // S3: If-Match with another ETag, If-None-Match on an existing object.
    assert_eq!(
        block_on(h.write_jwks(b"{}", &Precondition::IfMatch("\"x\"".into()))),
        Ok(jwks_rotation_core::actions::WriteOutcome::Conflict)
    );
    assert_eq!(
        block_on(h.write_jwks(b"{}", &Precondition::IfAbsent)),
        Ok(jwks_rotation_core::actions::WriteOutcome::Conflict)
    );
    // A crash: the call fails and changes nothing.
    let before = lock(&w).observable();
    {
        let mut g = lock(&w);
        g.crash_after = Some(g.calls);
    }
    assert_eq!(
        block_on(h.move_label(NEXT, Some(&next), Some("v-new"))),
        Err(model::ModelError::Crash)
    );
    assert_eq!(before, lock(&w).observable());
}

#[test]
fn the_checker_sees_each_violation() {
    let st = starts();
    let cfg = &st.cfg;
    let edit_jwks = |w: &mut World, f: &dyn Fn(&mut Vec<serde_json::Value>)| {
        let mut doc: serde_json::Value =
            serde_json::from_slice(&w.jwks.as_ref().unwrap().body).unwrap();
        f(doc["keys"].as_array_mut().unwrap());
        let body = serde_json::to_vec(&doc).unwrap();
        w.jwks = Some(model::Object {
            etag: model::etag(&body),
            body,
        });
    };
    let sees = |mut w: World, what: &str| {
        let v = w.check(cfg, "probe");
        assert!(
            v.iter().any(|m| m.contains(what)),
            "expected `{what}` in {v:?}"
        );
    };
    let mut w = st.s0.clone();
    let cur = w.kid_at(CURRENT).unwrap();
    edit_jwks(&mut w, &|ks| ks.retain(|k| k["kid"] != cur.as_str()));
    sees(w, "inv1: the signing kid");
    let mut w = st.s0.clone();
    edit_jwks(&mut w, &|ks| ks[0]["d"] = "secret".into());
    sees(w, "private member `d`");
    let mut w = st.s0.clone();
    edit_jwks(&mut w, &|ks| {
        let k = ks[0].clone();
        ks.push(k)
    });
    sees(w, "listed twice");
    let mut w = st.s0.clone();
    edit_jwks(&mut w, &|ks| {
        ks[0]
            .as_object_mut()
            .unwrap()
            .remove("use")
            .map(|_| ())
            .unwrap()
    });
    sees(w, "lacks kid/alg/use=sig");
    // A retired key that signed (tokens live) leaves the JWKS.
    let mut w = st.s0.clone();
    let retired = st.retired_kid.clone();
    edit_jwks(&mut w, &|ks| ks.retain(|k| k["kid"] != retired.as_str()));
    sees(w, "inv1: `");
    // NEXT one day old made to sign.
    let mut w = st.s3.clone();
    let (cur_v, next_v) = (
        w.holder(CURRENT).unwrap().to_string(),
        w.holder(NEXT).unwrap().to_string(),
    );
    w.move_label(CURRENT, Some(&next_v), Some(&cur_v)).unwrap();
    sees(w, "inv2:");
    // Forty days without cleanup: the retired key outstays its retention.
    let mut w = st.s0.clone();
    w.track.check_removal = true;
    w.now += TimeDelta::days(40);
    sees(w, "inv3:");
    // A revocation reported done whose kid is still published.
    let mut w = st.s0.clone();
    let now = w.now;
    w.track.reported_revoked.insert(st.retired_kid.clone(), now);
    sees(w, "reported revoked and is in the JWKS");
}

/// finishSecret reads its pending version; emergencyRotate cancels that rotation (removes
/// AWSPENDING) and takes its snapshot; finishSecret, which does not look at AWSPENDING again,
/// moves AWSCURRENT onto the cancelled key (AWSCURRENT is still where the rotation began); the
/// emergency, deciding on its snapshot, drops that key from the registry and the JWKS (never
/// signed, no label): the signing key is not published until the emergency moves AWSCURRENT.
#[test]
fn replay_finish_moves_current_onto_a_cancelled_rotation() {
    let st = starts();
    assert_clean(
        "finishSecret made a cancelled pending key sign",
        replay(
            &st.s2,
            &[
                Action::Finish(st.token.clone()),
                emergency_action("r-1", false),
            ],
            &[
                (0, Until::Calls(1)),
                (1, Until::After("move(AWSPENDING", 2)),
                (0, Until::After("move(AWSCURRENT", 0)),
                (1, Until::End),
                (0, Until::End),
            ],
        ),
    );
}
