//! cleanup (EventBridge, `{"action":"cleanup","secretArn":...}`): remove retired keys whose
//! tokens are dead and revocations that have expired; removals by time only, so a cleanup can
//! never drop a key a rotation relies on. A missing JWKS object is rebuilt from the secret.
//!
//! AWS calls: GetObject, and PutObject only when something is removed.

use std::collections::BTreeSet;

use jwks_rotation_core::lifecycle::{self, SecretKeys};

use super::{Outcome, Report};
use crate::deps::Deps;
use crate::error::Error;
use crate::publish::{self, Snapshot};
use crate::store::{Secrets, Stage, Version};

/// Runs the cleanup.
pub async fn run(deps: &Deps) -> Result<Report, Error> {
    let now = deps.now();
    let retention = publish::retention(deps);
    let snapshot = Snapshot::read(deps, now).await?;
    let before: BTreeSet<String> = snapshot
        .published()
        .kids()
        .into_iter()
        .map(str::to_string)
        .collect();
    let done = match snapshot {
        Snapshot::Present(_) => {
            publish::publish(deps, Some(snapshot), |p| {
                lifecycle::reconcile(p, None, now, retention)
            })
            .await?
        }
        Snapshot::Absent => {
            tracing::warn!("the JWKS object is missing; rebuilding it from the secret");
            let secrets = Secrets::new(deps);
            let current = secrets.get_stage(Stage::Current).await?;
            let next = secrets.get_stage(Stage::Next).await?;
            let keys = SecretKeys {
                current: current
                    .as_ref()
                    .and_then(Version::key)
                    .map(|k| &k.public_key_jwk),
                pending: None,
                next: next
                    .as_ref()
                    .and_then(Version::key)
                    .map(|k| &k.public_key_jwk),
            };
            publish::publish(deps, Some(snapshot), |p| {
                lifecycle::reconcile(p, Some(keys), now, retention)
            })
            .await?
        }
    };
    let removed = before
        .into_iter()
        .filter(|kid| done.published.get(kid).is_none())
        .collect();
    Ok(Report {
        outcome: Outcome::CleanedUp { removed },
        published: Some(done.published),
    })
}
