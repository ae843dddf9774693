//! The rotation steps and operator actions, written once against [`Backend`] (the Secrets
//! Manager and S3 calls) and run by the Lambda over the AWS SDK and by the tests over an
//! in-memory model of AWS, where every interleaving of two actions is explored.
//!
//! Every decision is a pure function of (labels, registry, now) from [`crate::lifecycle`] and
//! [`crate::decide`]; this module only reads, calls them, and writes. The disciplines that keep
//! the invariants on every path (docs/ROTATION.md):
//! - the registry is read before the labels, so a key registered before the read shows its
//!   label in the view and is never dropped as unreferenced;
//! - registry and JWKS writes are conditional; a refused write re-reads both and decides again;
//! - `AWSCURRENT` moves only with `RemoveFromVersionId` naming the holder the decision saw, and
//!   only onto a key the registry already publishes.

mod backend;
mod operator;
mod rotation;
pub mod state;

pub use backend::{
    Backend, Fetched, Labels, MoveOutcome, Precondition, PutOutcome, RegistryRead, WriteOutcome,
};
pub use operator::{cleanup, emergency_rotate, revoke, status};
pub use rotation::{create_secret, finish_secret, test_secret};
pub use state::{MAX_ATTEMPTS, View};

use thiserror::Error;

use crate::lifecycle::{DeferReason, Published};
use crate::secret_value::RotationKind;

/// Staging labels.
pub mod label {
    /// Signs.
    pub const CURRENT: &str = "AWSCURRENT";
    /// Being rotated to.
    pub const PENDING: &str = "AWSPENDING";
    /// Set by Secrets Manager on the last retired version.
    pub const PREVIOUS: &str = "AWSPREVIOUS";
    /// The pre-published next key.
    pub const NEXT: &str = "NEXT";
    /// The fence: a copy of the signing key put as `AWSCURRENT` so that a label move decided
    /// before it fails.
    pub const FENCE: &str = "JWKS_FENCE";

    /// The label that holds an emergency key until it signs (one per request, never shared).
    pub fn emergency(request_token: &str) -> String {
        let short: String = request_token
            .chars()
            .filter(|c| *c != '-')
            .take(12)
            .collect();
        format!("{EMERGENCY_PREFIX}{short}")
    }

    /// Prefix of the labels that hold an emergency key until it signs.
    pub const EMERGENCY_PREFIX: &str = "JWKS_EMERGENCY_";

    /// Whether a label references a key that must stay published while it holds it. The fence
    /// does not: its version holds a copy of a key that signed, kept by retention like any other.
    pub fn is_reference(label: &str) -> bool {
        matches!(label, CURRENT | PENDING | NEXT) || label.starts_with(EMERGENCY_PREFIX)
    }
}

/// Why an action refused or could not complete. Nothing the message does not say was changed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ActionFailure {
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
    /// testSecret found the pending key unusable or unpublished.
    #[error("testSecret failed: {0}")]
    TestFailed(String),
    /// revoke was asked to revoke the key that signs now.
    #[error(
        "kid `{0}` is the signing key and cannot be revoked; use emergencyRotate with revokeCurrent=true"
    )]
    RevokeSigningKey(String),
    /// revoke of a kid that is not published, revoked or held by the secret.
    #[error(
        "kid `{0}` is not published by this rotation (never published, or removed after its retention); nothing was changed"
    )]
    NotPublished(String),
    /// testSecret or finishSecret found its pending key revoked: the rotation is cancelled.
    #[error(
        "the pending key `{kid}` of version `{token}` was revoked; the rotation was cancelled (AWSPENDING removed) and the signing key is unchanged"
    )]
    PendingKeyRevoked {
        /// The revoked kid.
        kid: String,
        /// The rotation's token.
        token: String,
    },
    /// finishSecret: `AWSCURRENT` moved since createSecret (an emergency rotation or a fence).
    #[error(
        "AWSCURRENT is no longer on version `{expected}` as when this rotation began (an emergency rotation or a revocation moved it); finishSecret changed nothing"
    )]
    CurrentMoved {
        /// The version createSecret saw at `AWSCURRENT`.
        expected: String,
    },
    /// The emergency key of this request was revoked before it could sign.
    #[error(
        "the emergency key `{0}` of this request was revoked before it signed; start a new emergencyRotate with another requestId"
    )]
    EmergencyKeyRevoked(String),
    /// Concurrent writers kept changing the registry or the labels.
    #[error("the registry or the labels changed under every one of {0} attempts; try again")]
    Contention(u32),
    /// The registry or the JWKS cannot be read as ours.
    #[error("{0}")]
    Unreadable(String),
}

impl ActionFailure {
    /// A stable name for the Lambda diagnostic `errorType` and the error metric.
    pub fn error_type(&self) -> &'static str {
        match self {
            ActionFailure::UnknownToken(_) => "UnknownToken",
            ActionFailure::TokenNotPending(_) => "TokenNotPending",
            ActionFailure::NoPendingValue(_) => "NoPendingValue",
            ActionFailure::ForeignValue { .. } => "ForeignSecretValue",
            ActionFailure::TestFailed(_) => "TestFailed",
            ActionFailure::RevokeSigningKey(_) => "RevokeSigningKey",
            ActionFailure::NotPublished(_) => "KidNotPublished",
            ActionFailure::PendingKeyRevoked { .. } => "PendingKeyRevoked",
            ActionFailure::CurrentMoved { .. } => "CurrentMoved",
            ActionFailure::EmergencyKeyRevoked(_) => "EmergencyKeyRevoked",
            ActionFailure::Contention(_) => "Contention",
            ActionFailure::Unreadable(_) => "UnreadableRegistry",
        }
    }
}

/// What a step or action did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// createSecret stored the pending key.
    Staged(RotationKind),
    /// createSecret kept the current key: the rotation completes without changing it.
    Deferred(DeferReason),
    /// The token is already `AWSCURRENT`: nothing to do.
    AlreadyCurrent,
    /// setSecret: nothing to configure.
    NothingToSet,
    /// testSecret: the pending key signs and verifies against the published JWKS.
    Tested,
    /// finishSecret: the pending key is current.
    Finished {
        /// Whether a fresh NEXT key was put.
        new_next: bool,
    },
    /// cleanup: the kids removed from the JWKS.
    CleanedUp {
        /// Removed kids.
        removed: Vec<String>,
    },
    /// emergencyRotate: a fresh key signs now.
    EmergencyRotated {
        /// The fresh signing kid.
        kid: String,
    },
    /// emergencyRotate with a request id that an earlier run completed and later rotations
    /// superseded: nothing changed.
    Superseded,
    /// revoke: the kid is gone from the JWKS.
    Revoked {
        /// The revoked kid.
        kid: String,
    },
    /// status: what is published and signing, and every inconsistency seen.
    Status(Box<crate::status::Status>),
}

impl Outcome {
    /// A stable short code for logs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Outcome::Staged(RotationKind::Initial) => "StagedInitial",
            Outcome::Staged(RotationKind::Promoted) => "StagedPromoted",
            Outcome::Staged(RotationKind::Deferred) => "StagedDeferred",
            Outcome::Staged(RotationKind::Emergency) => "StagedEmergency",
            Outcome::Deferred(_) => "Deferred",
            Outcome::AlreadyCurrent => "AlreadyCurrent",
            Outcome::NothingToSet => "NothingToSet",
            Outcome::Tested => "Tested",
            Outcome::Finished { .. } => "Finished",
            Outcome::CleanedUp { .. } => "CleanedUp",
            Outcome::EmergencyRotated { .. } => "EmergencyRotated",
            Outcome::Superseded => "Superseded",
            Outcome::Revoked { .. } => "Revoked",
            Outcome::Status(_) => "Status",
        }
    }
}

/// A step's result: the outcome and, when the step read or wrote it, the registry.
#[derive(Debug, Clone)]
pub struct Report {
    /// What happened.
    pub outcome: Outcome,
    /// The registry after the step, if known.
    pub published: Option<Published>,
}

impl Report {
    /// A report with the registry the step saw or wrote.
    pub fn new(outcome: Outcome, published: Option<Published>) -> Report {
        Report { outcome, published }
    }
}

/// A version token derived from another token and a purpose (`uuid5(token, purpose)`), so a
/// retry computes the same token. A token that is not a UUID is first hashed into one.
pub fn derived_token(token: &str, purpose: &str) -> String {
    let namespace = uuid::Uuid::parse_str(token)
        .unwrap_or_else(|_| uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, token.as_bytes()));
    uuid::Uuid::new_v5(&namespace, purpose.as_bytes()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_tokens_are_stable_distinct_uuids() {
        let t = "6f1d7a4e-2c3b-4e8f-9a0b-1c2d3e4f5a6b";
        assert_eq!(derived_token(t, "next"), derived_token(t, "next"));
        assert_ne!(derived_token(t, "next"), derived_token(t, "current"));
        assert_ne!(derived_token(t, "next"), derived_token("other", "next"));
        assert!(uuid::Uuid::parse_str(&derived_token("not a uuid", "next")).is_ok());
    }

    #[test]
    fn emergency_labels_are_ours_and_distinct() {
        let a = label::emergency("6f1d7a4e-2c3b-4e8f-9a0b-1c2d3e4f5a6b");
        assert!(label::is_reference(&a));
        assert_ne!(a, label::emergency("7f1d7a4e-2c3b-4e8f-9a0b-1c2d3e4f5a6b"));
        assert!(!label::is_reference(label::PREVIOUS));
    }
}
