//! The calls an action makes, as one trait: the Lambda implements it over the AWS SDK, the
//! tests over an in-memory model of Secrets Manager and S3 that applies AWS's rules.

use std::future::Future;

use chrono::{DateTime, Utc};

use super::ActionFailure;
use crate::config::RotationConfig;
use crate::jwks::PublicJwk;
use crate::secret_value::{SecretValue, StoredValue};

/// Version id -> staging labels, as `DescribeSecret` reports them.
pub type Labels = std::collections::BTreeMap<String, Vec<String>>;

/// What `GetSecretValue` found.
#[derive(Debug, Clone)]
pub enum Fetched {
    /// The version, its labels at read time, and its value.
    Found {
        /// Version id.
        version_id: String,
        /// Labels.
        stages: Vec<String>,
        /// The value.
        value: StoredValue,
    },
    /// No such version or label, or the version holds no value yet.
    NotFound,
    /// The version exists but does not carry the requested label.
    StageMismatch,
}

/// What `PutSecretValue` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    /// Stored (or the same value was already stored under the token: a no-op).
    Written,
    /// The token already holds a different value; versions are immutable.
    TokenInUse,
}

/// What a conditional `UpdateSecretVersionStage` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveOutcome {
    /// The label moved (or was removed).
    Moved,
    /// Refused: the label is not where the decision saw it (`RemoveFromVersionId` names a
    /// version that does not hold it, or it is attached elsewhere).
    Conflict,
}

/// How an object write is guarded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// `If-Match`: the object still has this ETag.
    IfMatch(String),
    /// `If-None-Match: *`: the object does not exist.
    IfAbsent,
}

/// What a conditional object write did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOutcome {
    /// Written; the new ETag.
    Written(String),
    /// Someone else wrote (or deleted) the object since it was read.
    Conflict,
}

/// An object as read: body and ETag.
#[derive(Debug, Clone)]
pub struct RegistryRead {
    /// The body.
    pub body: Vec<u8>,
    /// The ETag for `If-Match`.
    pub etag: String,
    /// For the JWKS object only: the legacy registry user metadata, if present.
    pub legacy_registry: Option<String>,
}

/// Secrets Manager and S3 as the actions use them, plus the clock and the key generator.
/// Futures are `Send` so the Lambda's runtime can drive them.
pub trait Backend: Sync {
    /// The error of a call; domain failures convert into it.
    type Error: From<ActionFailure> + Send + std::fmt::Debug;

    /// The rotation configuration.
    fn config(&self) -> &RotationConfig;
    /// Now.
    fn now(&self) -> DateTime<Utc>;
    /// A fresh key pair of the configured kind.
    fn generate(&self, now: DateTime<Utc>) -> Result<SecretValue, Self::Error>;
    /// Signs a token with `key` and verifies it with `published` (testSecret).
    fn sign_and_verify(&self, key: &SecretValue, published: &PublicJwk) -> Result<(), Self::Error>;
    /// The ETag S3 gives an object with this body when written in one part without KMS (the
    /// hex MD5, quoted); a guess: a wrong one only costs a re-read.
    fn etag_of(&self, body: &[u8]) -> String;

    /// `DescribeSecret`: version id -> labels.
    fn describe(&self) -> impl Future<Output = Result<Labels, Self::Error>> + Send;
    /// `DescribeSecret` with the next scheduled rotation Secrets Manager reports (the status
    /// action). The default knows no schedule.
    fn describe_with_schedule(
        &self,
    ) -> impl Future<Output = Result<(Labels, Option<DateTime<Utc>>), Self::Error>> + Send {
        async { Ok((self.describe().await?, None)) }
    }
    /// `GetSecretValue` by version id and/or label.
    fn get(
        &self,
        version_id: Option<&str>,
        stage: Option<&str>,
    ) -> impl Future<Output = Result<Fetched, Self::Error>> + Send;
    /// `PutSecretValue` under `token` with `stages` (labels move onto it from other versions).
    fn put(
        &self,
        token: &str,
        value: &SecretValue,
        stages: &[&str],
    ) -> impl Future<Output = Result<PutOutcome, Self::Error>> + Send;
    /// `UpdateSecretVersionStage`: moves `label` to `move_to` removing it from `remove_from`, or
    /// only removes it when `move_to` is None.
    fn move_label(
        &self,
        label: &str,
        move_to: Option<&str>,
        remove_from: Option<&str>,
    ) -> impl Future<Output = Result<MoveOutcome, Self::Error>> + Send;
    /// `GetObject` of the registry object.
    fn read_registry(
        &self,
    ) -> impl Future<Output = Result<Option<RegistryRead>, Self::Error>> + Send;
    /// Conditional `PutObject` of the registry object (private).
    fn write_registry(
        &self,
        body: &[u8],
        precondition: &Precondition,
    ) -> impl Future<Output = Result<WriteOutcome, Self::Error>> + Send;
    /// `GetObject` of the JWKS object (with the legacy registry metadata, if any).
    fn read_jwks(&self) -> impl Future<Output = Result<Option<RegistryRead>, Self::Error>> + Send;
    /// Conditional `PutObject` of the JWKS object.
    fn write_jwks(
        &self,
        body: &[u8],
        precondition: &Precondition,
    ) -> impl Future<Output = Result<WriteOutcome, Self::Error>> + Send;
}
