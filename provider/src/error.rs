//! The provider's error type, mapped to a gRPC status at the boundary.

use jwks_rotation_core::{ConfigError, DurationError, KeySpecError};
use thiserror::Error;

/// Everything that can go wrong while serving a request.
#[derive(Debug, Error)]
pub enum ProviderError {
    /// An input breaks a rule; the message names the input, the value and the rule.
    #[error("{input} `{value}` is not allowed: {rule}")]
    InvalidInput {
        /// Input name (dotted for nested fields).
        input: String,
        /// The offending value.
        value: String,
        /// The rule it breaks.
        rule: String,
    },
    /// A required input is absent.
    #[error("{input} is required: {rule}")]
    MissingInput {
        /// Input name.
        input: String,
        /// What it should be.
        rule: String,
    },
    /// A rule from the shared core refused the configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The key specification is invalid.
    #[error(transparent)]
    KeySpec(#[from] KeySpecError),
    /// A duration input does not parse.
    #[error("{input}: {source}")]
    Duration {
        /// Input name.
        input: String,
        /// The parse error, naming the value.
        source: DurationError,
    },
    /// An invalid input whose message had secret values replaced by `[secret]`.
    #[error("{0}")]
    RedactedInput(String),
    /// The request asks for something this provider does not offer.
    #[error("{0}")]
    Unsupported(String),
    /// The engine's resource monitor refused or failed a call.
    #[error("resource monitor: {context}: {status}")]
    Monitor {
        /// What was being done.
        context: String,
        /// The status it returned.
        status: tonic::Status,
    },
    /// The monitor endpoint could not be reached.
    #[error("cannot connect to the resource monitor at {endpoint}: {source}")]
    Connect {
        /// The endpoint.
        endpoint: String,
        /// Why.
        source: tonic::transport::Error,
    },
    /// Writing the Lambda archive failed.
    #[error("cannot write the Lambda archive to {path}: {source}")]
    Archive {
        /// Where.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

impl ProviderError {
    /// Shorthand for [`ProviderError::InvalidInput`].
    pub fn invalid(
        input: impl Into<String>,
        value: impl Into<String>,
        rule: impl Into<String>,
    ) -> Self {
        ProviderError::InvalidInput {
            input: input.into(),
            value: value.into(),
            rule: rule.into(),
        }
    }
}

impl ProviderError {
    /// Replaces every occurrence of a secret value in the message by `[secret]`, so a refused
    /// secret input never reaches the engine's output or logs.
    pub fn redact(self, secrets: &[String]) -> ProviderError {
        let message = self.to_string();
        if !secrets
            .iter()
            .any(|s| !s.is_empty() && message.contains(s.as_str()))
        {
            return self;
        }
        let mut redacted = message;
        let mut by_length: Vec<&String> = secrets.iter().filter(|s| !s.is_empty()).collect();
        by_length.sort_by_key(|s| std::cmp::Reverse(s.len()));
        for s in by_length {
            redacted = redacted.replace(s.as_str(), "[secret]");
        }
        ProviderError::RedactedInput(redacted)
    }
}

impl From<ProviderError> for tonic::Status {
    fn from(err: ProviderError) -> Self {
        let message = err.to_string();
        match err {
            ProviderError::InvalidInput { .. }
            | ProviderError::MissingInput { .. }
            | ProviderError::Config(_)
            | ProviderError::KeySpec(_)
            | ProviderError::Duration { .. }
            | ProviderError::RedactedInput(_) => tonic::Status::invalid_argument(message),
            ProviderError::Unsupported(_) => tonic::Status::unimplemented(message),
            ProviderError::Monitor { status, .. } => tonic::Status::new(status.code(), message),
            ProviderError::Connect { .. } => tonic::Status::unavailable(message),
            ProviderError::Archive { .. } => tonic::Status::internal(message),
        }
    }
}
