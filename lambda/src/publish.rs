//! The one write path of the JWKS: read the object (body, registry, ETag), compute the next
//! state with `core::lifecycle::reconcile`, and replace the object with a conditional write
//! only when the state changed. A `412 Precondition Failed` means another writer got there
//! first: the object is re-read and the state recomputed, so no writer ever overwrites a state
//! it did not read (invariant 6).

use chrono::{DateTime, Utc};
use jwks_rotation_core::Published;
use jwks_rotation_core::lifecycle::Retention;

use crate::deps::Deps;
use crate::error::Error;
use crate::store::{JwksObject, JwksStore, Precondition, PutJwks};

/// How many conditional writes are tried before giving up.
pub const MAX_ATTEMPTS: u32 = 5;

/// The JWKS object as a step read it: present, or known to be absent.
#[derive(Debug, Clone)]
pub enum Snapshot {
    /// The object exists.
    Present(JwksObject),
    /// The object does not exist.
    Absent,
}

impl Snapshot {
    /// Reads the object.
    pub async fn read(deps: &Deps, now: DateTime<Utc>) -> Result<Snapshot, Error> {
        Ok(match JwksStore::new(deps).get(now).await? {
            Some(o) => Snapshot::Present(o),
            None => Snapshot::Absent,
        })
    }

    /// The published state (empty when absent).
    pub fn published(&self) -> Published {
        match self {
            Snapshot::Present(o) => o.published.clone(),
            Snapshot::Absent => Published::default(),
        }
    }
}

/// Retention from the configuration.
pub fn retention(deps: &Deps) -> Retention {
    Retention {
        keep_retired_for: deps.config.retention(),
    }
}

/// What [`publish`] did.
#[derive(Debug, Clone)]
pub struct PublishOutcome {
    /// The state now published.
    pub published: Published,
    /// Whether this call wrote the object.
    pub wrote: bool,
    /// Conditional writes refused because another writer changed the object.
    pub conflicts: u32,
}

/// Applies `compute` to the published state and writes the result if it differs. `first` is a
/// snapshot the caller already read (saves a GET); `compute` runs again on every re-read, so it
/// must be a pure function of the state it is given.
pub async fn publish(
    deps: &Deps,
    first: Option<Snapshot>,
    compute: impl Fn(&Published) -> Published,
) -> Result<PublishOutcome, Error> {
    let store = JwksStore::new(deps);
    let mut snapshot = match first {
        Some(s) => s,
        None => Snapshot::read(deps, deps.now()).await?,
    };
    let mut conflicts = 0;
    for _ in 0..MAX_ATTEMPTS {
        let current = snapshot.published();
        let next = compute(&current);
        let precondition = match &snapshot {
            Snapshot::Present(_) if next == current => {
                return Ok(PublishOutcome {
                    published: next,
                    wrote: false,
                    conflicts,
                });
            }
            Snapshot::Present(o) => Precondition::IfMatch(o.etag.clone()),
            Snapshot::Absent => Precondition::IfAbsent,
        };
        match store.put(&next, &precondition).await? {
            PutJwks::Written(_) => {
                return Ok(PublishOutcome {
                    published: next,
                    wrote: true,
                    conflicts,
                });
            }
            PutJwks::PreconditionFailed => {
                conflicts += 1;
                tracing::info!(
                    conflicts,
                    "the JWKS object changed since it was read; re-reading and recomputing"
                );
                snapshot = Snapshot::read(deps, deps.now()).await?;
            }
        }
    }
    Err(Error::Contention(MAX_ATTEMPTS))
}
