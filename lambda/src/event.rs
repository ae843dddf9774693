//! Typed events. Secrets Manager sends `{Step, SecretId, ClientRequestToken}` (and, lately,
//! `RotationToken` and possibly more: unknown fields are tolerated); EventBridge and operators
//! send `{"action": ..., "secretArn": ...}`. Anything else is a [`Error::MalformedEvent`].

use serde_json::Value;

use crate::error::Error;

/// A Secrets Manager rotation step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Store the pending key.
    CreateSecret,
    /// Nothing to configure elsewhere.
    SetSecret,
    /// Check the pending key signs and is published.
    TestSecret,
    /// Make the pending key current and prepare NEXT.
    FinishSecret,
}

impl Step {
    /// The AWS name of the step.
    pub const fn as_str(self) -> &'static str {
        match self {
            Step::CreateSecret => "createSecret",
            Step::SetSecret => "setSecret",
            Step::TestSecret => "testSecret",
            Step::FinishSecret => "finishSecret",
        }
    }

    fn parse(s: &str) -> Result<Step, Error> {
        match s {
            "createSecret" => Ok(Step::CreateSecret),
            "setSecret" => Ok(Step::SetSecret),
            "testSecret" => Ok(Step::TestSecret),
            "finishSecret" => Ok(Step::FinishSecret),
            other => Err(Error::UnknownStep(other.to_string())),
        }
    }
}

/// A rotation step event from Secrets Manager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationEvent {
    /// The step.
    pub step: Step,
    /// Secret name or ARN.
    pub secret_id: String,
    /// The version being rotated to (`ClientRequestToken`).
    pub token: String,
}

/// An operator or scheduler action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Remove retired keys whose tokens are dead.
    Cleanup,
    /// Put a fresh key into use at once.
    EmergencyRotate {
        /// Idempotency key: a retry with the same id converges to the same state.
        request_id: String,
        /// Revoke (not just retire) the key that signs now.
        revoke_current: bool,
    },
    /// Remove a kid from the JWKS at once and never publish it again.
    Revoke {
        /// The kid.
        kid: String,
    },
    /// Report what is published and signing, and every inconsistency; changes nothing.
    Status,
}

impl Action {
    /// The event name of the action.
    pub const fn as_str(&self) -> &'static str {
        match self {
            Action::Cleanup => "cleanup",
            Action::EmergencyRotate { .. } => "emergencyRotate",
            Action::Revoke { .. } => "revoke",
            Action::Status => "status",
        }
    }
}

/// Any event this function handles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A Secrets Manager rotation step.
    Rotation(RotationEvent),
    /// An action for a secret.
    Action {
        /// Secret ARN or name.
        secret_id: String,
        /// What to do.
        action: Action,
    },
}

fn string_field<'a>(obj: &'a serde_json::Map<String, Value>, name: &str) -> Result<&'a str, Error> {
    match obj.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(_) => Err(Error::MalformedEvent(format!(
            "`{name}` must be a non-empty string"
        ))),
        None => Err(Error::MalformedEvent(format!("`{name}` is missing"))),
    }
}

impl Event {
    /// Reads an event; unknown fields are ignored.
    pub fn parse(value: &Value) -> Result<Event, Error> {
        let Value::Object(obj) = value else {
            return Err(Error::MalformedEvent(
                "the event is not a JSON object".into(),
            ));
        };
        if obj.contains_key("Step") {
            let step = Step::parse(string_field(obj, "Step")?)?;
            return Ok(Event::Rotation(RotationEvent {
                step,
                secret_id: string_field(obj, "SecretId")?.to_string(),
                token: string_field(obj, "ClientRequestToken")?.to_string(),
            }));
        }
        if obj.contains_key("action") {
            let name = string_field(obj, "action")?;
            let action = match name {
                "cleanup" => Action::Cleanup,
                "emergencyRotate" => Action::EmergencyRotate {
                    request_id: string_field(obj, "requestId")?.to_string(),
                    revoke_current: match obj.get("revokeCurrent") {
                        None | Some(Value::Null) => false,
                        Some(Value::Bool(b)) => *b,
                        Some(_) => {
                            return Err(Error::MalformedEvent(
                                "`revokeCurrent` must be true or false".into(),
                            ));
                        }
                    },
                },
                "revoke" => Action::Revoke {
                    kid: string_field(obj, "kid")?.to_string(),
                },
                "status" => Action::Status,
                other => return Err(Error::UnknownAction(other.to_string())),
            };
            return Ok(Event::Action {
                secret_id: string_field(obj, "secretArn")?.to_string(),
                action,
            });
        }
        Err(Error::MalformedEvent(
            "expected a Secrets Manager rotation event {Step, SecretId, ClientRequestToken} or an action event {action, secretArn}".into(),
        ))
    }

    /// The secret the event is for.
    pub fn secret_id(&self) -> &str {
        match self {
            Event::Rotation(r) => &r.secret_id,
            Event::Action { secret_id, .. } => secret_id,
        }
    }

    /// The step or action name, for logs and metric dimensions.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Rotation(r) => r.step.as_str(),
            Event::Action { action, .. } => action.as_str(),
        }
    }
}

/// The secret name inside a Secrets Manager ARN
/// (`arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX`), or the input if it is a name.
pub fn secret_name(id: &str) -> &str {
    match id.split_once(":secret:") {
        Some((prefix, rest)) if prefix.starts_with("arn:") => {
            // Secrets Manager appends `-` and six random characters to the name.
            match rest.len().checked_sub(7) {
                Some(cut) if rest.as_bytes().get(cut) == Some(&b'-') => &rest[..cut],
                _ => rest,
            }
        }
        _ => id,
    }
}

/// Whether the secret an event names is the configured one. Two ARNs must be equal; an ARN
/// and a name match when the ARN's name is that name; two names must be equal.
pub fn same_secret(configured: &str, event: &str) -> bool {
    let is_arn = |s: &str| s.starts_with("arn:");
    match (is_arn(configured), is_arn(event)) {
        (true, true) | (false, false) => configured == event,
        _ => secret_name(configured) == secret_name(event),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rotation_events_tolerate_unknown_fields() {
        let e = Event::parse(&json!({"Step":"createSecret","SecretId":"s","ClientRequestToken":"t","RotationToken":"r","Other":1})).unwrap();
        assert_eq!(
            e,
            Event::Rotation(RotationEvent {
                step: Step::CreateSecret,
                secret_id: "s".into(),
                token: "t".into()
            })
        );
    }

    #[test]
    fn bad_events_are_named() {
        assert!(matches!(
            Event::parse(&json!({"Step":"rotateSecret","SecretId":"s","ClientRequestToken":"t"})),
            Err(Error::UnknownStep(s)) if s == "rotateSecret"
        ));
        assert!(matches!(
            Event::parse(&json!({"Step":"createSecret","SecretId":"s"})),
            Err(Error::MalformedEvent(_))
        ));
        assert!(matches!(
            Event::parse(&json!({"action":"explode","secretArn":"s"})),
            Err(Error::UnknownAction(_))
        ));
        assert!(matches!(
            Event::parse(&json!([1])),
            Err(Error::MalformedEvent(_))
        ));
        assert!(matches!(
            Event::parse(&json!({"hello":1})),
            Err(Error::MalformedEvent(_))
        ));
        assert_eq!(
            Event::parse(&json!({"action":"emergencyRotate","secretArn":"s","requestId":"r"}))
                .unwrap(),
            Event::Action {
                secret_id: "s".into(),
                action: Action::EmergencyRotate {
                    request_id: "r".into(),
                    revoke_current: false
                }
            }
        );
    }

    #[test]
    fn secret_ids_match_by_name_or_arn() {
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:my/key-AbC123";
        assert_eq!(secret_name(arn), "my/key");
        assert!(same_secret("my/key", arn));
        assert!(same_secret(arn, "my/key"));
        assert!(same_secret(arn, arn));
        assert!(!same_secret("other", arn));
        assert!(!same_secret(
            arn,
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:my/key-AbC123"
        ));
        assert!(!same_secret("my/key", "my/key2"));
    }
}
