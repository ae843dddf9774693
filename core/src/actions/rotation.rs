//! The four rotation steps Secrets Manager calls (setSecret has nothing to do and makes no call).
//!
//! AWS calls on the scheduled path: createSecret 4 (GetObject registry, DescribeSecret,
//! GetSecretValue of the key it copies, PutSecretValue), testSecret 2 (GetSecretValue, GetObject
//! JWKS), finishSecret 8 (GetSecretValue, GetObject registry, GetObject JWKS (the pending key
//! must be served before it can sign), UpdateSecretVersionStage, PutSecretValue NEXT,
//! DescribeSecret, PutObject registry, PutObject JWKS).

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

use super::backend::{Backend, Fetched, MoveOutcome, PutOutcome};
use super::state::{self, MAX_ATTEMPTS, Snapshot};
use super::{ActionFailure, Outcome, Report, derived_token, label};
use crate::decide;
use crate::jwks::{Jwks, PRIVATE_MEMBERS, PublicJwk};
use crate::lifecycle::{self, CreatePlan, Retention};
use crate::secret_value::{RotationKind, RotationRecord, SecretValue, StoredValue};

/// Retention from the configuration.
pub(crate) fn retention<B: Backend>(b: &B) -> Retention {
    let c = b.config();
    Retention {
        max_token_validity: c.max_token_validity,
        cleanup_grace: c.min_key_cleanup_grace_period,
    }
}

/// createSecret: decide with [`lifecycle::plan_create`] whether the rotation promotes NEXT,
/// keeps the current key (early rotation) or makes the first key; store it under the token as
/// `AWSPENDING`; publish it before it can sign.
pub async fn create_secret<B: Backend>(b: &B, token: &str) -> Result<Report, B::Error> {
    let now = b.now();
    let known = BTreeMap::from([(token.to_string(), None)]);
    for _ in 0..MAX_ATTEMPTS {
        let mut snap = state::read_snapshot(b, &known).await?;
        let view = &snap.view;
        let Some(stages) = view.labels.get(token) else {
            return Err(ActionFailure::UnknownToken(token.to_string()).into());
        };
        if stages.iter().any(|l| l == label::CURRENT) {
            return Ok(Report {
                outcome: Outcome::AlreadyCurrent,
                published: None,
            });
        }
        if !stages.iter().any(|l| l == label::PENDING) {
            return Err(ActionFailure::TokenNotPending(token.to_string()).into());
        }
        let current = view.holder(label::CURRENT).map(str::to_string);
        let next = view.holder(label::NEXT).map(str::to_string);
        let plan = lifecycle::plan_create(
            view.kid_at(label::CURRENT),
            view.kid_at(label::NEXT),
            &snap.registry,
            now,
            b.config().min_activation_grace_period,
        );
        let record = |kind, source: Option<&String>| RotationRecord {
            kind,
            replaces_version_id: current.clone(),
            source_version_id: source.cloned(),
        };
        let value: SecretValue = match (&plan, &current, &next) {
            (CreatePlan::Promote, _, Some(n)) => state::read_key(b, n)
                .await?
                .with_rotation(record(RotationKind::Promoted, Some(n))),
            (CreatePlan::Defer(_), Some(c), _) => state::read_key(b, c)
                .await?
                .with_rotation(record(RotationKind::Deferred, Some(c))),
            _ => b
                .generate(now)?
                .with_rotation(record(RotationKind::Initial, None)),
        };
        let pending = match b.put(token, &value, &[label::PENDING]).await? {
            PutOutcome::Written => value,
            // An earlier try stored another value under this token (a random first key, or a
            // decision that changed): versions are immutable, so that value stands.
            PutOutcome::TokenInUse => match b.get(Some(token), Some(label::PENDING)).await? {
                Fetched::Found { value, .. } => match value.key() {
                    Some(k) => k.clone(),
                    None => return Err(ActionFailure::NoPendingValue(token.to_string()).into()),
                },
                Fetched::NotFound | Fetched::StageMismatch => {
                    return Err(ActionFailure::TokenNotPending(token.to_string()).into());
                }
            },
        };
        snap.view
            .keys
            .insert(token.to_string(), Some(pending.public_key_jwk.clone()));
        let next_state = decide::publish(&snap.registry, &snap.view, now, retention(b));
        if let Some(published) = state::commit(b, &snap, next_state).await? {
            let kind = pending.rotation.as_ref().map(|r| r.kind);
            let outcome = match (plan, kind) {
                (CreatePlan::Defer(reason), Some(RotationKind::Deferred)) => {
                    Outcome::Deferred(reason)
                }
                (_, Some(kind)) => Outcome::Staged(kind),
                (_, None) => Outcome::Staged(RotationKind::Initial),
            };
            return Ok(Report {
                outcome,
                published: Some(published),
            });
        }
    }
    Err(ActionFailure::Contention(MAX_ATTEMPTS).into())
}

/// Reads the pending version `token`. On the error path only, `DescribeSecret` tells an unknown
/// token from a cancelled rotation or a missing value.
async fn read_pending<B: Backend>(
    b: &B,
    token: &str,
) -> Result<(Vec<String>, SecretValue), B::Error> {
    match b.get(Some(token), Some(label::PENDING)).await? {
        Fetched::Found { stages, value, .. } => match value {
            StoredValue::Key(k) => Ok((stages, *k)),
            StoredValue::Placeholder => Err(ActionFailure::ForeignValue {
                location: format!("version {token}"),
                reason: "it holds the placeholder, not a key".into(),
            }
            .into()),
        },
        Fetched::NotFound | Fetched::StageMismatch => {
            let labels = b.describe().await?;
            Err(match labels.get(token) {
                None => ActionFailure::UnknownToken(token.to_string()),
                Some(ls) if !ls.iter().any(|l| l == label::PENDING) => {
                    ActionFailure::TokenNotPending(token.to_string())
                }
                Some(_) => ActionFailure::NoPendingValue(token.to_string()),
            }
            .into())
        }
    }
}

/// Checks a raw JWKS document: no private member, every key with `kid`, `alg` and
/// `use: "sig"`, no kid twice (invariant 4).
pub fn check_document(raw: &[u8]) -> Result<(), ActionFailure> {
    let fail = |m: String| ActionFailure::TestFailed(m);
    let doc: Value = serde_json::from_slice(raw)
        .map_err(|e| fail(format!("the published JWKS is not JSON: {e}")))?;
    let keys = doc
        .get("keys")
        .and_then(Value::as_array)
        .ok_or_else(|| fail("the published JWKS has no `keys` array".into()))?;
    let mut kids = HashSet::new();
    for key in keys {
        let obj = key
            .as_object()
            .ok_or_else(|| fail("a published key is not an object".into()))?;
        let kid = obj.get("kid").and_then(Value::as_str).unwrap_or_default();
        if let Some(m) = PRIVATE_MEMBERS.iter().find(|m| obj.contains_key(**m)) {
            return Err(fail(format!(
                "published key `{kid}` carries the private member `{m}`"
            )));
        }
        let alg = obj.get("alg").and_then(Value::as_str).unwrap_or_default();
        let use_ = obj.get("use").and_then(Value::as_str).unwrap_or_default();
        if kid.is_empty() || alg.is_empty() || use_ != "sig" {
            return Err(fail(format!(
                "published key `{kid}` lacks kid, alg or use=sig"
            )));
        }
        if !kids.insert(kid.to_string()) {
            return Err(fail(format!("kid `{kid}` is published twice")));
        }
    }
    Ok(())
}

/// testSecret: the pending private key must sign a token that verifies with the key published
/// under its kid, and the published document must be clean. A JWKS that lags its registry (a
/// writer stopped between the two writes) is brought up to date first.
pub async fn test_secret<B: Backend>(b: &B, token: &str) -> Result<Report, B::Error> {
    let (_, key) = read_pending(b, token).await?;
    for attempt in 0..2 {
        let object = b.read_jwks().await?;
        if let Some(o) = &object {
            check_document(&o.body)?;
            let jwks = Jwks::parse(&o.body)
                .map_err(|e| ActionFailure::TestFailed(format!("the published JWKS: {e}")))?;
            if let Some(published) = jwks.get(&key.kid) {
                if *published != key.public_key_jwk {
                    return Err(ActionFailure::TestFailed(format!(
                        "the key published as `{}` is not the pending key's public key",
                        key.kid
                    ))
                    .into());
                }
                b.sign_and_verify(&key, published)?;
                return Ok(Report {
                    outcome: Outcome::Tested,
                    published: None,
                });
            }
        }
        if attempt == 0 {
            let (registry, _, _) = state::read_registry(b).await?;
            if registry.is_revoked(&key.kid) {
                // createSecret copied NEXT while a revocation of it completed: cancel this
                // rotation, or every retry of it would fail here and RotateSecret would refuse
                // to start another.
                b.move_label(label::PENDING, None, Some(token)).await?;
                return Err(ActionFailure::PendingKeyRevoked {
                    kid: key.kid.clone(),
                    token: token.to_string(),
                }
                .into());
            }
            if registry.get(&key.kid).is_some() {
                let guard = match &object {
                    Some(o) => super::Precondition::IfMatch(o.etag.clone()),
                    None => super::Precondition::IfAbsent,
                };
                let replaced = object.as_ref().map(|o| o.body.clone()).unwrap_or_default();
                state::sync_jwks(b, registry, guard, &replaced).await?;
                continue;
            }
        }
        break;
    }
    Err(ActionFailure::TestFailed(format!(
        "the pending key `{}` is not in the published JWKS; createSecret publishes it",
        key.kid
    ))
    .into())
}

/// Puts a fresh key as NEXT under `token`. A retry finds the token in use: the stored key stands
/// if it still holds NEXT (None when NEXT has moved on since: the labels say which key is next).
pub(crate) async fn put_fresh_next<B: Backend>(
    b: &B,
    token: &str,
) -> Result<Option<PublicJwk>, B::Error> {
    let fresh = b.generate(b.now())?;
    match b.put(token, &fresh, &[label::NEXT]).await? {
        PutOutcome::Written => Ok(Some(fresh.public_key_jwk)),
        PutOutcome::TokenInUse => match b.get(Some(token), None).await? {
            Fetched::Found { stages, value, .. } if stages.iter().any(|l| l == label::NEXT) => {
                Ok(value.key().map(|k| k.public_key_jwk.clone()))
            }
            _ => Ok(None),
        },
    }
}

/// finishSecret: check the pending key is published and not revoked, move `AWSCURRENT` to the
/// token conditionally (`RemoveFromVersionId` = the version current when the rotation began),
/// put a fresh NEXT when the labels need one, and record the activation and the retirement.
pub async fn finish_secret<B: Backend>(b: &B, token: &str) -> Result<Report, B::Error> {
    let (stages, key) = read_pending(b, token).await?;
    let now = b.now();
    let (registry, registry_etag, jwks_guard) = state::read_registry(b).await?;
    let already_current = stages.iter().any(|l| l == label::CURRENT);
    if !already_current {
        let revoked = registry.is_revoked(&key.kid);
        if revoked || registry.get(&key.kid).is_none() {
            // Cancel this rotation so that the next RotateSecret is not blocked by it.
            b.move_label(label::PENDING, None, Some(token)).await?;
            return Err(if revoked {
                ActionFailure::PendingKeyRevoked {
                    kid: key.kid.clone(),
                    token: token.to_string(),
                }
            } else {
                ActionFailure::TestFailed(format!(
                    "the pending key `{}` is not in the published JWKS; the rotation was cancelled",
                    key.kid
                ))
            }
            .into());
        }
        // A writer stopped between its registry and JWKS writes leaves a JWKS that lags: the
        // pending key must be served before it can sign.
        let served = b
            .read_jwks()
            .await?
            .is_some_and(|j| Jwks::parse(&j.body).is_ok_and(|jwks| jwks.get(&key.kid).is_some()));
        if !served {
            state::ensure_jwks(b).await?;
        }
        let from = key
            .rotation
            .as_ref()
            .and_then(|r| r.replaces_version_id.clone());
        if b.move_label(label::CURRENT, Some(token), from.as_deref())
            .await?
            == MoveOutcome::Conflict
        {
            b.move_label(label::PENDING, None, Some(token)).await?;
            return Err(ActionFailure::CurrentMoved {
                expected: from.unwrap_or_default(),
            }
            .into());
        }
    }
    let mut known = BTreeMap::from([(token.to_string(), Some(key.public_key_jwk.clone()))]);
    let mut snap = Snapshot {
        view: state::read_view(b, &registry, &known).await?,
        registry,
        registry_etag,
        jwks_guard,
        jwks_seen: None,
    };
    let new_next = lifecycle::needs_new_next(
        snap.view.kid_at(label::CURRENT),
        snap.view.kid_at(label::NEXT),
        &snap.registry,
    );
    if new_next {
        let next_token = derived_token(token, "next");
        if let Some(n) = put_fresh_next(b, &next_token).await? {
            known.insert(next_token.clone(), Some(n.clone()));
            snap.view.set_label(label::NEXT, &next_token, Some(n));
        }
    }
    for attempt in 0..MAX_ATTEMPTS {
        if attempt > 0 {
            snap = state::read_snapshot(b, &known).await?;
        }
        let mut next_state = decide::publish(&snap.registry, &snap.view, now, retention(b));
        // The version that signs now is always registered (the status action names its kid
        // without reading the secret), also when a deferred rotation changes nothing else.
        snap.view.register(&mut next_state);
        if let Some(published) = state::commit(b, &snap, next_state).await? {
            if already_current {
                // A retry: the run before may have stopped between its registry and JWKS
                // writes, and the commit above writes nothing when the registry is up to date.
                state::ensure_jwks(b).await?;
            }
            return Ok(Report {
                outcome: Outcome::Finished { new_next },
                published: Some(published),
            });
        }
    }
    Err(ActionFailure::Contention(MAX_ATTEMPTS).into())
}
