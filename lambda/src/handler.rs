//! Dispatch: parse the event, refuse events for another secret, run the step or action, then
//! log one structured line and emit one EMF line, success or failure.

use std::time::Instant;

use serde_json::{Value, json};

use crate::deps::Deps;
use crate::error::Error;
use crate::event::{Action, Event, Step, same_secret};
use crate::metrics::{self, Sample};
use jwks_rotation_core::actions::{self, Outcome, Report};

async fn dispatch(deps: &Deps, event: &Event) -> Result<Report, Error> {
    if !same_secret(&deps.config.secret_id, event.secret_id()) {
        return Err(Error::WrongSecret {
            event: event.secret_id().to_string(),
            configured: deps.config.secret_id.clone(),
        });
    }
    match event {
        Event::Rotation(r) => match r.step {
            Step::CreateSecret => actions::create_secret(deps, &r.token).await,
            // Nothing to configure: no external system holds the key. No AWS call.
            Step::SetSecret => Ok(Report {
                outcome: Outcome::NothingToSet,
                published: None,
            }),
            Step::TestSecret => actions::test_secret(deps, &r.token).await,
            Step::FinishSecret => actions::finish_secret(deps, &r.token).await,
        },
        Event::Action { action, .. } => match action {
            Action::Cleanup => actions::cleanup(deps).await,
            Action::EmergencyRotate {
                request_id,
                revoke_current,
            } => {
                let report = actions::emergency_rotate(deps, request_id, *revoke_current).await?;
                if let Outcome::EmergencyRotated { kid } = &report.outcome {
                    tracing::warn!(
                        kid = kid.as_str(),
                        revoke_current,
                        "emergency rotation: a fresh key signs now; verifiers that cached the JWKS may reject its tokens until their cache expires"
                    );
                }
                Ok(report)
            }
            Action::Status => actions::status(deps).await,
            Action::Revoke { kid } => {
                let report = actions::revoke(deps, kid).await?;
                tracing::warn!(
                    kid = kid.as_str(),
                    "revoked: the kid left the JWKS; verifiers that cached the JWKS keep it until their cache expires"
                );
                Ok(report)
            }
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
        // Boxed: the actions' futures are deep, and a box keeps the runtime's future small.
        Ok(e) => Box::pin(dispatch(deps, &e)).await,
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
    if let Outcome::Status(status) = &report.outcome {
        body["status"] = serde_json::to_value(status).unwrap_or_default();
    }
    Ok(body)
}
