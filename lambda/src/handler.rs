//! Dispatch: parse the event, refuse events for another secret, run the step or action, then
//! log one structured line and emit one EMF line, success or failure.

use std::time::Instant;

use serde_json::{Value, json};

use crate::deps::Deps;
use crate::error::Error;
use crate::event::{Action, Event, Step, same_secret};
use crate::metrics::{self, Sample};
use crate::steps::{self, Outcome, Report};

async fn dispatch(deps: &Deps, event: &Event) -> Result<Report, Error> {
    if !same_secret(&deps.config.secret_id, event.secret_id()) {
        return Err(Error::WrongSecret {
            event: event.secret_id().to_string(),
            configured: deps.config.secret_id.clone(),
        });
    }
    match event {
        Event::Rotation(r) => match r.step {
            Step::CreateSecret => steps::create::run(deps, &r.token).await,
            Step::SetSecret => Ok(steps::set::run()),
            Step::TestSecret => steps::test::run(deps, &r.token).await,
            Step::FinishSecret => steps::finish::run(deps, &r.token).await,
        },
        Event::Action { action, .. } => match action {
            Action::Cleanup => steps::cleanup::run(deps).await,
            Action::EmergencyRotate {
                request_id,
                revoke_current,
            } => steps::emergency::rotate(deps, request_id, *revoke_current).await,
            Action::Revoke { kid } => steps::emergency::revoke(deps, kid).await,
        },
    }
}

/// Handles one event: the Lambda's entry point.
pub async fn handle(deps: &Deps, payload: Value) -> Result<Value, Error> {
    let started = Instant::now();
    let calls_before = deps.api_calls.get();
    let event = Event::parse(&payload);
    let action: &'static str = event.as_ref().map(Event::name).unwrap_or("unknown");
    let result = match event {
        Ok(e) => dispatch(deps, &e).await,
        Err(e) => Err(e),
    };
    let api_calls = deps.api_calls.get().saturating_sub(calls_before);
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    let now = deps.now();
    let mut sample = Sample {
        action: action.to_string(),
        succeeded: result.is_ok(),
        api_calls,
        duration_ms,
        ..Sample::default()
    };
    match &result {
        Ok(report) => {
            sample.outcome = Some(report.outcome.code().to_string());
            if let Outcome::Deferred(reason) = &report.outcome {
                sample.defer_reason = Some(reason.code().to_string());
            }
            if let Some(p) = &report.published {
                sample.keys_published = Some(p.keys.len());
                (sample.signing_key_age, sample.next_key_age) = metrics::key_ages(p, now);
            }
            let kids = report.published.as_ref().map(|p| p.kids().join(","));
            match &report.outcome {
                Outcome::Deferred(reason) => tracing::warn!(
                    action,
                    outcome = report.outcome.code(),
                    defer_reason = reason.code(),
                    api_calls,
                    duration_ms,
                    kids,
                    "rotation deferred, the signing key stays: {reason}"
                ),
                _ => tracing::info!(
                    action,
                    outcome = report.outcome.code(),
                    api_calls,
                    duration_ms,
                    kids,
                    "{action} done"
                ),
            }
        }
        Err(e) => {
            sample.error_type = Some(e.error_type().to_string());
            tracing::error!(
                action,
                error_type = e.error_type(),
                api_calls,
                duration_ms,
                "{action} failed: {e}"
            );
        }
    }
    deps.metrics.emit(&metrics::emf_line(
        &deps.config.metrics_namespace,
        &sample,
        now,
    ));
    let report = result?;
    let mut body = json!({
        "action": action,
        "outcome": report.outcome.code(),
        "apiCalls": api_calls,
    });
    if let Outcome::Deferred(reason) = &report.outcome {
        body["deferReason"] = json!(reason.code());
    }
    if let Some(p) = &report.published {
        body["kids"] = json!(p.kids());
    }
    Ok(body)
}
