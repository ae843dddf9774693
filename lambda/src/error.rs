//! The one error type of the Lambda. Every variant carries the offending input (never a secret
//! value or key material) and maps to a stable error type name for the Lambda diagnostic.

use jwks_rotation_core::ConfigError;
use jwks_rotation_core::jwks::JwkError;
use jwks_rotation_core::lifecycle::RegistryError;
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
    #[error("unknown action `{0}`: expected cleanup, emergencyRotate or revoke")]
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
    /// The `ClientRequestToken` is not a version of the secret.
    #[error("ClientRequestToken `{0}` is not a version of the secret; nothing was changed")]
    UnknownToken(String),
    /// The token names a version that is neither `AWSPENDING` nor `AWSCURRENT`.
    #[error(
        "version `{0}` is not staged AWSPENDING (the rotation was cancelled or superseded); nothing was changed"
    )]
    TokenNotPending(String),
    /// testSecret or finishSecret ran before createSecret stored a key for the token.
    #[error("version `{0}` holds no key yet: createSecret has not completed for this token")]
    NoPendingValue(String),
    /// A stored value is not one of ours (or is the placeholder where a key is needed).
    #[error("the secret value at {location} is not usable: {reason}")]
    ForeignValue {
        /// Stage or version that was read.
        location: String,
        /// Why it was refused (never quotes the value).
        reason: String,
    },
    /// Key generation or loading failed.
    #[error("key operation failed for {alg}: {reason}")]
    Key {
        /// Algorithm.
        alg: String,
        /// What went wrong (library message; holds no key material).
        reason: String,
    },
    /// testSecret found the pending key unusable or unpublished.
    #[error("testSecret failed: {0}")]
    TestFailed(String),
    /// revoke was asked to revoke the key that signs now.
    #[error(
        "kid `{0}` is the signing key and cannot be revoked; use emergencyRotate with revokeCurrent=true"
    )]
    RevokeSigningKey(String),
    /// The published JWKS object cannot be read as ours.
    #[error("the published JWKS is unreadable: {0}")]
    Jwks(#[from] JwkError),
    /// The registry metadata of the JWKS object is unreadable.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// A Secrets Manager call failed.
    #[error("Secrets Manager {operation} failed: {message}")]
    SecretsManager {
        /// API operation.
        operation: &'static str,
        /// SDK error with context.
        message: String,
    },
    /// An S3 call failed.
    #[error("S3 {operation} failed: {message}")]
    S3 {
        /// API operation.
        operation: &'static str,
        /// SDK error with context.
        message: String,
    },
    /// Concurrent writers kept changing the JWKS object.
    #[error("the JWKS object changed under every one of {0} conditional writes; try again")]
    Contention(u32),
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
            Error::UnknownToken(_) => "UnknownToken",
            Error::TokenNotPending(_) => "TokenNotPending",
            Error::NoPendingValue(_) => "NoPendingValue",
            Error::ForeignValue { .. } => "ForeignSecretValue",
            Error::Key { .. } => "KeyError",
            Error::TestFailed(_) => "TestFailed",
            Error::RevokeSigningKey(_) => "RevokeSigningKey",
            Error::Jwks(_) => "UnreadableJwks",
            Error::Registry(_) => "UnreadableRegistry",
            Error::SecretsManager { .. } => "SecretsManagerError",
            Error::S3 { .. } => "S3Error",
            Error::Contention(_) => "JwksContention",
        }
    }

    /// A stored value refused by [`jwks_rotation_core::StoredValue::parse`].
    pub fn foreign(location: impl Into<String>, e: SecretValueError) -> Error {
        Error::ForeignValue {
            location: location.into(),
            reason: e.to_string(),
        }
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
