//! The interleaving explorer: every action is a future over its own handle to the shared world;
//! each AWS call first awaits a gate that is Pending once (the actor wants that call) and Ready
//! only once the scheduler granted it. A schedule is the sequence of actor choices.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use jwks_rotation_core::RotationConfig;
use jwks_rotation_core::actions::{
    self, ActionFailure, Outcome, Report, cleanup, create_secret, derived_token, emergency_rotate,
    finish_secret, revoke, test_secret,
};

use super::{CURRENT, Handle, ModelError, NEXT, PENDING, World, block_on, lock};

pub struct Sched {
    pub wants: Vec<Option<String>>,
    pub granted: Vec<bool>,
}

#[derive(Clone)]
pub struct GateRef {
    pub sched: Arc<Mutex<Sched>>,
    pub actor: usize,
}

pub struct Gate {
    sched: Arc<Mutex<Sched>>,
    actor: usize,
    op: Option<String>,
}

impl Gate {
    pub fn new(g: &GateRef, op: String) -> Gate {
        Gate {
            sched: g.sched.clone(),
            actor: g.actor,
            op: Some(op),
        }
    }
}

impl Future for Gate {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let mut s = this.sched.lock().unwrap();
        if let Some(op) = this.op.take() {
            s.wants[this.actor] = Some(op);
            return Poll::Pending;
        }
        if s.granted[this.actor] {
            s.granted[this.actor] = false;
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Create(String),
    Test(String),
    Finish(String),
    Cleanup,
    Emergency {
        request: String,
        revoke_current: bool,
    },
    Revoke {
        kid: String,
        target: &'static str,
    },
}

impl Action {
    pub fn name(&self) -> String {
        match self {
            Action::Create(_) => "create".into(),
            Action::Test(_) => "test".into(),
            Action::Finish(_) => "finish".into(),
            Action::Cleanup => "cleanup".into(),
            Action::Emergency { revoke_current, .. } => {
                if *revoke_current {
                    "emergencyRevoke".into()
                } else {
                    "emergency".into()
                }
            }
            Action::Revoke { target, .. } => format!("revoke{target}"),
        }
    }

    /// Errors an action may return when another action changed the world under it.
    pub fn allowed(&self, e: &ModelError) -> bool {
        use ActionFailure as F;
        let ModelError::Action(f) = e else {
            return false;
        };
        match self {
            // A cancelled rotation whose version never got a value has no label left: the token
            // is then unknown to DescribeSecret.
            Action::Create(_) => matches!(f, F::TokenNotPending(_) | F::UnknownToken(_)),
            Action::Test(_) => matches!(
                f,
                F::TokenNotPending(_)
                    | F::UnknownToken(_)
                    | F::NoPendingValue(_)
                    | F::TestFailed(_)
                    // createSecret copied a NEXT that a revocation took meanwhile.
                    | F::PendingKeyRevoked { .. }
            ),
            Action::Finish(_) => matches!(
                f,
                F::TokenNotPending(_)
                    | F::UnknownToken(_)
                    | F::NoPendingValue(_)
                    | F::CurrentMoved { .. }
                    | F::PendingKeyRevoked { .. }
                    | F::TestFailed(_)
            ),
            Action::Cleanup | Action::Emergency { .. } => false,
            Action::Revoke { target, .. } => match f {
                F::RevokeSigningKey(_) => true,
                // An emergency rotation drops the NEXT it replaces (it never signed).
                F::NotPublished(_) => *target == "Next",
                _ => false,
            },
        }
    }
}

pub async fn run_action(h: &Handle, a: &Action) -> Result<Report, ModelError> {
    match a {
        Action::Create(t) => create_secret(h, t).await,
        Action::Test(t) => test_secret(h, t).await,
        Action::Finish(t) => finish_secret(h, t).await,
        Action::Cleanup => cleanup(h).await,
        Action::Emergency {
            request,
            revoke_current,
        } => emergency_rotate(h, request, *revoke_current).await,
        Action::Revoke { kid, .. } => revoke(h, kid).await,
    }
}

/// Records what a completed action reported, for the invariants that follow.
pub fn note_result(w: &mut World, a: &Action, r: &Result<Report, ModelError>) {
    let Ok(report) = r else { return };
    let now = w.now;
    match (a, &report.outcome) {
        (Action::Revoke { .. }, Outcome::Revoked { kid }) => {
            w.track.reported_revoked.entry(kid.clone()).or_insert(now);
        }
        (
            Action::Emergency {
                request,
                revoke_current: true,
            },
            Outcome::EmergencyRotated { .. },
        ) => {
            let fresh = derived_token(request, "current");
            let replaced = w
                .value_of(&fresh)
                .and_then(|v| v.rotation)
                .and_then(|r| r.replaces_version_id);
            if let Some(kid) = replaced.and_then(|v| w.versions.get(&v).and_then(|v| v.kid.clone()))
            {
                w.track.reported_revoked.entry(kid).or_insert(now);
            }
        }
        (Action::Finish(t), Outcome::Finished { .. }) => {
            w.track.completed_tokens.insert(t.clone());
        }
        _ => {}
    }
}

pub fn describe(r: &Result<Report, ModelError>) -> String {
    match r {
        Ok(rep) => match &rep.outcome {
            Outcome::Deferred(reason) => format!("Deferred({})", reason.code()),
            o => o.code().to_string(),
        },
        Err(e) => match e {
            ModelError::Action(f) => format!("Err({})", f.error_type()),
            other => format!("Err({other})"),
        },
    }
}

pub struct RunResult {
    /// The granted calls, "actor:op".
    pub trace: Vec<String>,
    pub results: Vec<Result<Report, ModelError>>,
    /// (choice, number of enabled actors) at every point with a choice.
    /// The number of enabled actors at every point with a choice.
    pub branches: Vec<usize>,
    pub world: Arc<Mutex<World>>,
}

/// Picks the actor granted next: (waiting actors, actor granted last, call each actor wants).
pub type Chooser<'a> = dyn FnMut(&[usize], Option<usize>, &[Option<String>]) -> usize + 'a;

type ActorFuture<'a> = Pin<Box<dyn Future<Output = Result<Report, ModelError>> + Send + 'a>>;

fn poll_actor<'a>(
    i: usize,
    futs: &mut [Option<ActorFuture<'a>>],
    results: &mut [Option<Result<Report, ModelError>>],
    cx: &mut Context<'_>,
    world: &Arc<Mutex<World>>,
    acts: &[Action],
    sched: &Mutex<Sched>,
) {
    let Some(f) = futs[i].as_mut() else { return };
    match f.as_mut().poll(cx) {
        Poll::Ready(r) => {
            note_result(&mut lock(world), &acts[i], &r);
            results[i] = Some(r);
            futs[i] = None;
        }
        Poll::Pending => {
            assert!(
                sched.lock().unwrap().wants[i].is_some(),
                "actor {i} is pending without wanting a call"
            );
        }
    }
}

/// Runs `acts` concurrently on a copy of `start`, choosing among the actors that want a call
/// with `choose(enabled actors, actor granted last, call each actor wants) -> actor` (called
/// before every call, also when only one actor is waiting).
pub fn run_schedule(
    start: &World,
    cfg: &RotationConfig,
    acts: &[Action],
    choose: &mut Chooser<'_>,
) -> RunResult {
    let n = acts.len();
    let world = Arc::new(Mutex::new(start.clone()));
    lock(&world).trace.clear();
    let sched = Arc::new(Mutex::new(Sched {
        wants: vec![None; n],
        granted: vec![false; n],
    }));
    let names: Vec<String> = acts
        .iter()
        .enumerate()
        .map(|(i, a)| format!("{}{}", a.name(), ["#A", "#B", "#C", "#D"][i.min(3)]))
        .collect();
    let handles: Vec<Handle> = (0..n)
        .map(|i| Handle {
            world: world.clone(),
            config: cfg.clone(),
            name: names[i].clone(),
            gate: Some(GateRef {
                sched: sched.clone(),
                actor: i,
            }),
        })
        .collect();
    let mut futs: Vec<Option<ActorFuture<'_>>> = handles
        .iter()
        .zip(acts)
        .map(|(h, a)| Some(Box::pin(run_action(h, a)) as ActorFuture<'_>))
        .collect();
    let mut results: Vec<Option<Result<Report, ModelError>>> = vec![None; n];
    let mut cx = Context::from_waker(Waker::noop());
    let mut branches = Vec::new();
    let mut last: Option<usize> = None;
    for i in 0..n {
        poll_actor(i, &mut futs, &mut results, &mut cx, &world, acts, &sched);
    }
    loop {
        let enabled: Vec<usize> = {
            let s = sched.lock().unwrap();
            (0..n).filter(|i| s.wants[*i].is_some()).collect()
        };
        if enabled.is_empty() {
            break;
        }
        if enabled.len() > 1 {
            branches.push(enabled.len());
        }
        let wants = sched.lock().unwrap().wants.clone();
        let pick = choose(&enabled, last, &wants);
        assert!(enabled.contains(&pick));
        last = Some(pick);
        {
            let mut s = sched.lock().unwrap();
            s.wants[pick] = None;
            s.granted[pick] = true;
        }
        poll_actor(pick, &mut futs, &mut results, &mut cx, &world, acts, &sched);
    }
    drop(futs);
    let results = results
        .into_iter()
        .map(|r| r.expect("every actor completed"))
        .collect();
    let trace = std::mem::take(&mut lock(&world).trace);
    RunResult {
        trace,
        results,
        branches,
        world,
    }
}

/// One full rotation as Secrets Manager runs it: RotateSecret (or, when a previous rotation is
/// not complete, its re-attempt with the same token) and the steps; up to 3 attempts.
/// Returns the create outcome of the attempt that completed. A refusal of RotateSecret because
/// of a stray AWSPENDING (on a version whose rotation completed earlier) is a problem, reported
/// in `problems`; the re-attempt goes on as Secrets Manager's would.
pub fn full_rotation_noting(
    h: &Handle,
    problems: &mut Vec<String>,
) -> Result<(String, Outcome), String> {
    let mut log = Vec::new();
    // A step failure is a problem in a rotation this function started; a re-attempt of a
    // rotation left in progress by earlier actions may fail (and cancel itself).
    let mut fresh_failed = false;
    for _ in 0..3 {
        let attempt = lock(&h.world).rotate_secret();
        let fresh = attempt.is_ok();
        let token = match attempt {
            Ok(t) => t,
            Err(pending) => {
                let w = lock(&h.world);
                if w.track.completed_tokens.contains(&pending) {
                    problems.push(format!(
                        "RotateSecret refused: stray AWSPENDING on version {pending}, whose rotation completed earlier (labels {:?}); Secrets Manager re-attempts that rotation instead",
                        w.versions[&pending].labels
                    ));
                }
                log.push(format!(
                    "RotateSecret refused, re-attempt {}",
                    &pending[..8]
                ));
                pending
            }
        };
        let c = block_on(create_secret(h, &token));
        log.push(format!("create {}", describe(&c)));
        let Ok(created) = c else {
            fresh_failed |= fresh;
            continue;
        };
        let t = block_on(test_secret(h, &token));
        log.push(format!("test {}", describe(&t)));
        if t.is_err() {
            fresh_failed |= fresh;
            continue;
        }
        let f = block_on(finish_secret(h, &token));
        log.push(format!("finish {}", describe(&f)));
        note_result(&mut lock(&h.world), &Action::Finish(token.clone()), &f);
        if f.is_ok() {
            if fresh_failed {
                problems.push(format!("a rotation step failed: {}", log.join("; ")));
            }
            return Ok((token, created.outcome));
        }
        fresh_failed |= fresh;
    }
    Err(format!(
        "rotation did not complete in 3 attempts: {}",
        log.join("; ")
    ))
}

/// [`full_rotation_noting`] where any problem is an error.
pub fn full_rotation(h: &Handle) -> Result<(String, Outcome), String> {
    let mut problems = Vec::new();
    let r = full_rotation_noting(h, &mut problems)?;
    if problems.is_empty() {
        Ok(r)
    } else {
        Err(problems.join("; "))
    }
}

/// After the actions: the end conditions, then the secret must still rotate: one rotation now,
/// one after minActivationGracePeriod (which must promote NEXT).
pub fn follow_up(world: &Arc<Mutex<World>>, cfg: &RotationConfig) -> Vec<String> {
    let mut out = Vec::new();
    let h = Handle::new(world.clone(), cfg.clone(), "followup");
    {
        let w = lock(world);
        let reg = w.registry();
        for kid in w.track.reported_revoked.keys() {
            if !reg.as_ref().is_some_and(|r| r.is_revoked(kid)) {
                out.push(format!(
                    "revocation of `{kid}` was reported done and is not in the registry"
                ));
            }
        }
        if let (Some(r), Some(j)) = (&reg, &w.jwks)
            && r.jwks_body() != j.body
        {
            out.push(format!(
                "at rest the JWKS {:?} is not the registry's projection {:?}",
                w.jwks_kids(),
                r.kids()
            ));
        }
    }
    let mut problems = Vec::new();
    let first = full_rotation_noting(&h, &mut problems);
    out.extend(
        problems
            .drain(..)
            .map(|p| format!("follow-up rotation: {p}")),
    );
    if let Err(e) = first {
        out.push(format!("follow-up rotation: {e}"));
        return out;
    }
    if let Err(e) = block_on(cleanup(&h)) {
        out.push(format!("follow-up cleanup: {e}"));
    }
    {
        let mut w = lock(world);
        let next = w.kid_at(NEXT);
        if next.is_none() || next == w.kid_at(CURRENT) {
            out.push(format!("after a rotation NEXT is {next:?}"));
        }
        let stray = w
            .holder(PENDING)
            .filter(|p| !w.versions[*p].labels.contains(CURRENT));
        if let Some(p) = stray {
            out.push(format!("after a completed rotation AWSPENDING is on {p}"));
        }
        w.now += cfg.min_activation_grace_period.to_chrono() + chrono::TimeDelta::hours(1);
    }
    let next_before = lock(world).kid_at(NEXT);
    let second = full_rotation_noting(&h, &mut problems);
    out.extend(
        problems
            .drain(..)
            .map(|p| format!("second follow-up rotation: {p}")),
    );
    match second {
        Err(e) => out.push(format!("second follow-up rotation: {e}")),
        Ok((_, outcome)) => {
            let cur = lock(world).kid_at(CURRENT);
            if outcome != Outcome::Staged(jwks_rotation_core::RotationKind::Promoted)
                || cur != next_before
            {
                out.push(format!(
                    "rotation after minActivationGracePeriod did not promote NEXT {next_before:?}: {outcome:?}, current {cur:?}"
                ));
            }
        }
    }
    if let Err(e) = block_on(cleanup(&h)) {
        out.push(format!("second follow-up cleanup: {e}"));
    }
    let _ = actions::MAX_ATTEMPTS;
    out
}

/// Where a segment of a script ends.
#[derive(Clone, Copy, Debug)]
pub enum Until {
    /// After this many calls.
    Calls(usize),
    /// Before the actor's `n`th call (in this segment) whose description contains the text.
    Before(&'static str, usize),
    /// After the first call whose description contains the text, and `n` calls more.
    After(&'static str, usize),
    /// When the actor has finished.
    End,
}

/// A chooser that follows a script of (actor, until) segments; an actor that has finished is
/// skipped; after the script, the lowest waiting actor goes on.
pub fn scripted(
    script: &[(usize, Until)],
) -> impl FnMut(&[usize], Option<usize>, &[Option<String>]) -> usize + '_ {
    let mut seg = 0;
    let mut used = 0;
    let mut seen = 0;
    let mut after: Option<usize> = None;
    move |enabled, _, wants| {
        while seg < script.len() {
            let (actor, until) = script[seg];
            let op = wants[actor].as_deref().unwrap_or("");
            let go = enabled.contains(&actor)
                && match until {
                    Until::Calls(n) => used < n,
                    Until::Before(text, n) => !(op.contains(text) && seen + 1 >= n),
                    Until::After(_, _) => after != Some(0),
                    Until::End => true,
                };
            if go {
                used += 1;
                match until {
                    Until::Before(text, _) if op.contains(text) => seen += 1,
                    Until::After(text, n) => {
                        after = match after {
                            None if op.contains(text) => Some(n),
                            None => None,
                            Some(k) => Some(k - 1),
                        }
                    }
                    _ => {}
                }
                return actor;
            }
            seg += 1;
            used = 0;
            seen = 0;
            after = None;
        }
        enabled[0]
    }
}
