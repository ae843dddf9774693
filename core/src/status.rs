//! The `status` action's answer, as a pure function of what three reads return (the registry,
//! `DescribeSecret`, the JWKS): every published kid with its role and times, the revoked kids,
//! the next rotation Secrets Manager reports, and every inconsistency seen. Changes nothing.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::actions::{Labels, label};
use crate::duration::Duration;
use crate::jwks::Jwks;
use crate::lifecycle::{Published, Retention};

/// The role of a published key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Role {
    /// At `AWSCURRENT`: issuers sign with it.
    Signing,
    /// At `NEXT`: signs from a coming rotation on.
    Next,
    /// At `AWSPENDING` of a rotation in progress.
    Pending,
    /// Held by an emergency rotation that has not moved `AWSCURRENT` yet.
    Emergency,
    /// Signed and retired: stays while its tokens may live.
    Retired,
    /// Published, never signed, no label (left by an interrupted action; the next write drops it).
    Unreferenced,
}

/// One published key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyStatus {
    /// Key id.
    pub kid: String,
    /// JWS algorithm.
    pub alg: String,
    /// Role now.
    pub role: Role,
    /// First published.
    pub published_at: DateTime<Utc>,
    /// Began signing.
    pub activated_at: Option<DateTime<Utc>>,
    /// Stopped signing.
    pub retired_at: Option<DateTime<Utc>>,
    /// When a retired key leaves the JWKS (the first cleanup at or after this instant).
    pub removal_at: Option<DateTime<Utc>>,
    /// For NEXT: the first instant it may sign (published + minActivationGracePeriod).
    pub eligible_at: Option<DateTime<Utc>>,
    /// In the JWKS object as served now.
    pub in_jwks: bool,
    /// Secret versions holding it, with their labels.
    pub versions: Vec<(String, Vec<String>)>,
}

/// A revoked kid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RevokedStatus {
    /// Key id.
    pub kid: String,
    /// When it was revoked.
    pub revoked_at: DateTime<Utc>,
}

/// Something an operator should look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// A stable code.
    pub code: &'static str,
    /// `error` (verification or rotation is broken), `warning` (needs attention), `info`.
    pub severity: &'static str,
    /// What was seen and what it means.
    pub message: String,
}

/// The `status` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// When the status was taken.
    pub now: DateTime<Utc>,
    /// The signing kid (None before the first rotation).
    pub signing_kid: Option<String>,
    /// Published keys, signing key first.
    pub keys: Vec<KeyStatus>,
    /// Revoked kids still remembered.
    pub revoked: Vec<RevokedStatus>,
    /// The next scheduled rotation as Secrets Manager reports it.
    pub next_rotation: Option<DateTime<Utc>>,
    /// Every staging label of the secret: version id -> labels.
    pub labels: Labels,
    /// Inconsistencies (empty when all is well).
    pub problems: Vec<Problem>,
}

fn problem(code: &'static str, severity: &'static str, message: String) -> Problem {
    Problem {
        code,
        severity,
        message,
    }
}

/// Builds the status from the three reads. `registry_present`: the registry object exists (else
/// `registry` was migrated from the legacy metadata, or is empty).
#[allow(clippy::too_many_arguments)]
pub fn status(
    registry: &Published,
    registry_present: bool,
    labels: &Labels,
    jwks_body: Option<&[u8]>,
    next_rotation: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    retention: Retention,
    grace: Duration,
) -> Status {
    let mut problems = Vec::new();
    let holder = |l: &str| {
        labels
            .iter()
            .find(|(_, ls)| ls.iter().any(|x| x == l))
            .map(|(v, _)| v.clone())
    };
    let kid_of = |v: &str| registry.kid_of_version(v).map(str::to_string);
    let current = holder(label::CURRENT);
    let signing_kid = current.as_deref().and_then(kid_of);
    let next_kid = holder(label::NEXT).as_deref().and_then(kid_of);
    let pending = holder(label::PENDING);
    let served = jwks_body.and_then(|b| Jwks::parse(b).ok());
    let served_kids: Vec<String> = served
        .as_ref()
        .map(|j| j.kids().into_iter().map(str::to_string).collect())
        .unwrap_or_default();

    let mut keys = Vec::new();
    for k in &registry.keys {
        let kid = k.kid().to_string();
        let versions: Vec<(String, Vec<String>)> = registry
            .versions
            .iter()
            .filter(|(_, kd)| **kd == kid)
            .map(|(v, _)| (v.clone(), labels.get(v).cloned().unwrap_or_default()))
            .collect();
        let has = |l: &str| versions.iter().any(|(_, ls)| ls.iter().any(|x| x == l));
        let role = if signing_kid.as_deref() == Some(&kid) {
            Role::Signing
        } else if has(label::NEXT) || next_kid.as_deref() == Some(&kid) {
            Role::Next
        } else if has(label::PENDING) {
            Role::Pending
        } else if versions
            .iter()
            .any(|(_, ls)| ls.iter().any(|x| x.starts_with(label::EMERGENCY_PREFIX)))
        {
            Role::Emergency
        } else if k.activated_at.is_some() {
            Role::Retired
        } else {
            Role::Unreferenced
        };
        let eligible_at = (role == Role::Next).then(|| k.published_at + grace.to_chrono());
        if let (Role::Next, Some(e)) = (role, eligible_at)
            && now < e
        {
            problems.push(problem(
                "NextNotYetEligible",
                "info",
                format!(
                    "NEXT `{kid}` was published at {} and may sign only from {}: a rotation before then completes without changing the key (Deferred)",
                    k.published_at.to_rfc3339(),
                    e.to_rfc3339()
                ),
            ));
        }
        keys.push(KeyStatus {
            alg: k.jwk.alg().to_string(),
            role,
            published_at: k.published_at,
            activated_at: k.activated_at,
            retired_at: k.retired_at,
            removal_at: k.removal_at(retention),
            eligible_at,
            in_jwks: served_kids.contains(&kid),
            versions,
            kid,
        });
    }

    match (&current, &signing_kid) {
        (Some(v), None) if registry.keys.is_empty() => problems.push(problem(
            "AwaitingFirstRotation",
            "warning",
            format!("AWSCURRENT (version {v}) holds no published key yet: the first rotation has not completed; issuers read the placeholder"),
        )),
        (Some(v), None) => problems.push(problem(
            "SignerNotInRegistry",
            "error",
            format!("the key at AWSCURRENT (version {v}) is not in the registry: its tokens may not verify; run the cleanup action (it re-publishes from the secret) or an emergencyRotate"),
        )),
        (Some(_), Some(kid)) if !served_kids.contains(kid) => problems.push(problem(
            "SignerNotPublished",
            "error",
            format!("the signing key `{kid}` is not in the served JWKS: its tokens fail verification; run the cleanup action to repair the JWKS"),
        )),
        _ => {}
    }
    if signing_kid.is_some() && next_kid.is_none() {
        problems.push(problem(
            "NoNext",
            "warning",
            "no NEXT key: the next rotation defers and creates one".into(),
        ));
    }
    if let Some(p) = &pending
        && current.as_deref() != Some(p.as_str())
    {
        problems.push(problem(
            "PendingNotCurrent",
            "warning",
            format!("AWSPENDING is on version {p}, which is not AWSCURRENT: a rotation is in progress or was left incomplete; Secrets Manager refuses RotateSecret until it completes or is cancelled (an emergencyRotate cancels it)"),
        ));
    }
    for (v, ls) in labels {
        if ls.iter().any(|l| l.starts_with(label::EMERGENCY_PREFIX)) {
            problems.push(problem(
                "EmergencyInProgress",
                "warning",
                format!("version {v} holds an emergency key that has not taken over AWSCURRENT: an emergencyRotate stopped midway; retry it with the same requestId"),
            ));
        }
    }
    if let Some(served) = &served {
        for kid in served.kids() {
            if registry.is_revoked(kid) {
                problems.push(problem(
                    "RevokedPublished",
                    "error",
                    format!(
                        "the revoked kid `{kid}` is in the served JWKS; run the cleanup action"
                    ),
                ));
            }
        }
        if served != &registry.jwks() {
            problems.push(problem(
                "JwksLagsRegistry",
                "warning",
                "the served JWKS differs from the registry's projection (a writer stopped between its two writes); the next cleanup repairs it".into(),
            ));
        }
    } else if !registry.keys.is_empty() {
        problems.push(problem(
            "JwksMissing",
            "error",
            "the JWKS object does not exist; run the cleanup action to rebuild it".into(),
        ));
    }
    if !registry_present && !registry.keys.is_empty() {
        problems.push(problem(
            "LegacyRegistry",
            "info",
            "the registry is still in the JWKS object's metadata (previous release); the next write moves it to its own object".into(),
        ));
    }
    Status {
        now,
        signing_kid,
        keys,
        revoked: registry
            .revoked
            .iter()
            .map(|(kid, t)| RevokedStatus {
                kid: kid.clone(),
                revoked_at: *t,
            })
            .collect(),
        next_rotation,
        labels: labels.clone(),
        problems,
    }
}
