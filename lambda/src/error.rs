//! The one error type of the Lambda. Every variant carries the offending input (never a secret
//! value or key material) and maps to a stable error type name for the Lambda diagnostic.

use jwks_rotation_core::ConfigError;
use jwks_rotation_core::actions::ActionFailure;
use jwks_rotation_core::secret_value::SecretValueError;
use thiserror::Error;

/// Why an invocation failed. Nothing was changed unless the variant says otherwise.
#[derive(Debug, Error)]
pub enum Error {
    /// The configuration in the environment is missing or invalid.
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigError),
    /// The event is not JSON of a known shape.
    #[error("malformed event: {0}")]
    MalformedEvent(String),
    /// A rotation event with a step Secrets Manager does not define.
    #[error(
        "unknown rotation step `{0}`: expected createSecret, setSecret, testSecret or finishSecret"
    )]
    UnknownStep(String),
    /// An action event with an unknown action.
    #[error("unknown action `{0}`: expected cleanup, emergencyRotate, revoke or status")]
    UnknownAction(String),
    /// The event names another secret than the one this function rotates.
    #[error(
        "the event is for secret `{event}`, but this function rotates `{configured}`; nothing was changed"
    )]
    WrongSecret {
        /// Secret named by the event.
        event: String,
        /// Secret in the configuration.
        configured: String,
    },
    /// Key generation or loading failed.
    #[error("key operation failed for {alg}: {reason}")]
    Key {
        /// Algorithm.
        alg: String,
        /// What went wrong (library message; holds no key material).
        reason: String,
    },
    /// A Secrets Manager call failed.
    #[error("Secrets Manager {operation} failed: {message}")]
    SecretsManager {
        /// API operation.
        operation: &'static str,
        /// SDK error with context.
        message: String,
    },
    /// A rotation step or operator action refused or could not complete.
    #[error(transparent)]
    Action(#[from] ActionFailure),
    /// An S3 call failed.
    #[error("S3 {operation} failed: {message}")]
    S3 {
        /// API operation.
        operation: &'static str,
        /// SDK error with context.
        message: String,
    },
}

impl Error {
    /// A stable name for the Lambda diagnostic `errorType` and the error metric.
    pub fn error_type(&self) -> &'static str {
        match self {
            Error::Config(_) => "InvalidConfiguration",
            Error::MalformedEvent(_) => "MalformedEvent",
            Error::UnknownStep(_) => "UnknownStep",
            Error::UnknownAction(_) => "UnknownAction",
            Error::WrongSecret { .. } => "WrongSecret",
            Error::Key { .. } => "KeyError",
            Error::Action(a) => a.error_type(),
            Error::SecretsManager { .. } => "SecretsManagerError",
            Error::S3 { .. } => "S3Error",
        }
    }

    /// A stored value refused by [`jwks_rotation_core::StoredValue::parse`].
    pub fn foreign(location: impl Into<String>, e: SecretValueError) -> Error {
        Error::foreign_reason(location, e.to_string())
    }

    /// A stored value that is not one of ours, with the reason (never the value).
    pub fn foreign_reason(location: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::Action(ActionFailure::ForeignValue {
            location: location.into(),
            reason: reason.into(),
        })
    }

    /// testSecret's failure.
    pub fn test_failed(message: impl Into<String>) -> Error {
        Error::Action(ActionFailure::TestFailed(message.into()))
    }
}

impl From<Error> for lambda_runtime::Diagnostic {
    fn from(e: Error) -> Self {
        lambda_runtime::Diagnostic {
            error_type: e.error_type().to_string(),
            error_message: e.to_string(),
        }
    }
}
