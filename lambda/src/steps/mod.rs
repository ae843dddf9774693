//! One module per rotation step and action. Steps only read, call and write; every decision is
//! a function from `jwks-rotation-core`. Each returns a [`Report`] (an expected outcome is a
//! value, not an error) that the handler logs once and turns into metrics.

pub mod cleanup;
pub mod create;
pub mod emergency;
pub mod finish;
pub mod set;
pub mod test;

use jwks_rotation_core::lifecycle::DeferReason;
use jwks_rotation_core::{Published, RotationKind};
use uuid::Uuid;

use crate::deps::Deps;
use crate::error::Error;
use crate::store::{Fetched, Secrets, Stage, Version};

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
        }
    }
}

/// A step's result: the outcome and, when the step read or wrote it, the published state.
#[derive(Debug, Clone)]
pub struct Report {
    /// What happened.
    pub outcome: Outcome,
    /// The JWKS state after the step, if known.
    pub published: Option<Published>,
}

/// A version token derived from another token and a purpose (`uuid5(token, purpose)`), so a
/// retry computes the same token. A token that is not a UUID is first hashed into one.
pub fn derived_token(token: &str, purpose: &str) -> String {
    let namespace = Uuid::parse_str(token)
        .unwrap_or_else(|_| Uuid::new_v5(&Uuid::NAMESPACE_URL, token.as_bytes()));
    Uuid::new_v5(&namespace, purpose.as_bytes()).to_string()
}

/// Reads the pending version `token` (testSecret, finishSecret). On the error path only,
/// `DescribeSecret` tells an unknown token from a cancelled rotation or a missing value.
pub async fn read_pending(deps: &Deps, token: &str) -> Result<Version, Error> {
    let secrets = Secrets::new(deps);
    match secrets.get(Some(token), Some(Stage::Pending)).await? {
        Fetched::Found(v) => Ok(v),
        Fetched::NotFound | Fetched::StageMismatch => {
            let versions = secrets.describe().await?;
            match versions.stages(token) {
                None => Err(Error::UnknownToken(token.to_string())),
                Some(_) if !versions.has(token, Stage::Pending) => {
                    Err(Error::TokenNotPending(token.to_string()))
                }
                Some(_) => Err(Error::NoPendingValue(token.to_string())),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_tokens_are_stable_distinct_uuids() {
        let t = "6f1d7a4e-2c3b-4e8f-9a0b-1c2d3e4f5a6b";
        assert_eq!(derived_token(t, "next"), derived_token(t, "next"));
        assert_ne!(derived_token(t, "next"), derived_token(t, "current"));
        assert_ne!(
            derived_token(t, "next"),
            derived_token("other-token", "next")
        );
        assert!(Uuid::parse_str(&derived_token("not a uuid", "next")).is_ok());
    }
}
