//! createSecret: decide with `core::lifecycle::plan_create` whether the rotation promotes NEXT,
//! keeps the current key (early rotation, invariant 7) or makes the first key; store that value
//! under the token as `AWSPENDING`; publish it before it can sign.
//!
//! AWS calls: DescribeSecret, GetSecretValue(AWSCURRENT), GetSecretValue(NEXT) when the label
//! exists, GetObject, PutSecretValue, and PutObject only when the JWKS changes.

use jwks_rotation_core::lifecycle::{self, CreatePlan, SecretKeys};
use jwks_rotation_core::{RotationKind, RotationRecord, SecretValue};

use super::{Outcome, Report};
use crate::deps::Deps;
use crate::error::Error;
use crate::keygen;
use crate::publish::{self, Snapshot};
use crate::store::{Fetched, PutOutcome, Secrets, Stage, Version};

/// Runs createSecret for `token`.
pub async fn run(deps: &Deps, token: &str) -> Result<Report, Error> {
    let secrets = Secrets::new(deps);
    let versions = secrets.describe().await?;
    if versions.stages(token).is_none() {
        return Err(Error::UnknownToken(token.to_string()));
    }
    if versions.has(token, Stage::Current) {
        return Ok(Report {
            outcome: Outcome::AlreadyCurrent,
            published: None,
        });
    }
    if !versions.has(token, Stage::Pending) {
        return Err(Error::TokenNotPending(token.to_string()));
    }
    let current = secrets.get_stage(Stage::Current).await?;
    let next = match versions.holder(Stage::Next) {
        Some(_) => secrets.get_stage(Stage::Next).await?,
        None => None,
    };
    let now = deps.now();
    let snapshot = Snapshot::read(deps, now).await?;
    let published = snapshot.published();

    let current_key = current.as_ref().and_then(Version::key);
    let next_key = next.as_ref().and_then(Version::key);
    let plan = lifecycle::plan_create(
        current_key.map(|k| k.kid.as_str()),
        next_key.map(|k| k.kid.as_str()),
        &published,
        now,
        deps.config.min_activation_grace_period,
    );
    let record = |kind, source: Option<&Version>| RotationRecord {
        kind,
        replaces_version_id: current.as_ref().map(|v| v.version_id.clone()),
        source_version_id: source.map(|v| v.version_id.clone()),
    };
    let value: SecretValue = match (&plan, current_key, next_key) {
        (CreatePlan::Promote, _, Some(n)) => {
            n.with_rotation(record(RotationKind::Promoted, next.as_ref()))
        }
        (CreatePlan::Defer(_), Some(c), _) => {
            c.with_rotation(record(RotationKind::Deferred, current.as_ref()))
        }
        // Initial, and (defensively) any plan whose key is missing.
        _ => keygen::generate(deps.config.key_spec, deps.config.kid_strategy, now)?
            .with_rotation(record(RotationKind::Initial, None)),
    };

    let pending = match secrets.put(token, &value, &[Stage::Pending]).await? {
        PutOutcome::Written => value,
        // An earlier try stored another value under this token (a random first key, or a
        // decision that changed): versions are immutable, so that value stands.
        PutOutcome::TokenInUse => match secrets.get(Some(token), Some(Stage::Pending)).await? {
            Fetched::Found(v) => match v.value.key() {
                Some(k) => k.clone(),
                None => return Err(Error::NoPendingValue(token.to_string())),
            },
            Fetched::NotFound | Fetched::StageMismatch => {
                return Err(Error::TokenNotPending(token.to_string()));
            }
        },
    };

    let retention = publish::retention(deps);
    let keys = SecretKeys {
        current: current_key.map(|k| &k.public_key_jwk),
        pending: Some(&pending.public_key_jwk),
        next: next_key.map(|k| &k.public_key_jwk),
    };
    let done = publish::publish(deps, Some(snapshot), |p| {
        lifecycle::reconcile(p, Some(keys), now, retention)
    })
    .await?;

    let kind = pending.rotation.as_ref().map(|r| r.kind);
    let outcome = match (plan, kind) {
        (CreatePlan::Defer(reason), Some(RotationKind::Deferred)) => Outcome::Deferred(reason),
        (_, Some(kind)) => Outcome::Staged(kind),
        (_, None) => Outcome::Staged(RotationKind::Initial),
    };
    Ok(Report {
        outcome,
        published: Some(done.published),
    })
}
