//! CloudWatch metrics as Embedded Metric Format lines (one JSON line per invocation on stdout;
//! CloudWatch Logs turns them into metrics). Dimension `Action` on every metric;
//! `RotationDeferred` also per `DeferReason`.

use chrono::{DateTime, Utc};
use jwks_rotation_core::Published;
use serde_json::{Map, Value, json};

/// What one invocation reports.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    /// Step or action name (`createSecret`, `cleanup`, ...; `unknown` for unreadable events).
    pub action: String,
    /// Whether it succeeded.
    pub succeeded: bool,
    /// Stable error type on failure.
    pub error_type: Option<String>,
    /// Outcome code on success.
    pub outcome: Option<String>,
    /// Deferral reason code (early rotation).
    pub defer_reason: Option<String>,
    /// Keys in the JWKS after the invocation, when known.
    pub keys_published: Option<usize>,
    /// Seconds since the signing key was activated.
    pub signing_key_age: Option<i64>,
    /// Seconds since NEXT was published.
    pub next_key_age: Option<i64>,
    /// AWS API requests made.
    pub api_calls: u64,
    /// Wall time of the invocation in milliseconds.
    pub duration_ms: f64,
}

/// Ages of the signing key (since activation) and of NEXT (since publication), in seconds.
pub fn key_ages(published: &Published, now: DateTime<Utc>) -> (Option<i64>, Option<i64>) {
    let signing = published
        .signing()
        .and_then(|k| k.activated_at)
        .map(|t| (now - t).num_seconds());
    let next = published
        .keys
        .iter()
        .filter(|k| k.activated_at.is_none())
        .map(|k| (now - k.published_at).num_seconds())
        .min();
    (signing, next)
}

/// The EMF line for `sample` in `namespace`.
pub fn emf_line(namespace: &str, sample: &Sample, now: DateTime<Utc>) -> String {
    let mut metrics: Vec<(&str, Value, &str)> = vec![
        ("Succeeded", json!(u8::from(sample.succeeded)), "Count"),
        ("Failed", json!(u8::from(!sample.succeeded)), "Count"),
        ("AwsApiCalls", json!(sample.api_calls), "Count"),
        ("Duration", json!(sample.duration_ms), "Milliseconds"),
    ];
    if let Some(n) = sample.keys_published {
        metrics.push(("KeysPublished", json!(n), "Count"));
    }
    if let Some(a) = sample.signing_key_age {
        metrics.push(("SigningKeyAge", json!(a), "Seconds"));
    }
    if let Some(a) = sample.next_key_age {
        metrics.push(("NextKeyAge", json!(a), "Seconds"));
    }
    let mut root = Map::new();
    let mut directives = vec![json!({
        "Namespace": namespace,
        "Dimensions": [["Action"]],
        "Metrics": metrics.iter().map(|(n, _, u)| json!({"Name": n, "Unit": u})).collect::<Vec<_>>(),
    })];
    if let Some(reason) = &sample.defer_reason {
        root.insert("RotationDeferred".into(), json!(1));
        root.insert("DeferReason".into(), json!(reason));
        directives.push(json!({
            "Namespace": namespace,
            "Dimensions": [["Action", "DeferReason"], ["Action"]],
            "Metrics": [{"Name": "RotationDeferred", "Unit": "Count"}],
        }));
    }
    root.insert(
        "_aws".into(),
        json!({"Timestamp": now.timestamp_millis(), "CloudWatchMetrics": directives}),
    );
    root.insert("Action".into(), json!(sample.action));
    if let Some(o) = &sample.outcome {
        root.insert("Outcome".into(), json!(o));
    }
    if let Some(e) = &sample.error_type {
        root.insert("ErrorType".into(), json!(e));
    }
    for (name, value, _) in metrics {
        root.insert(name.into(), value);
    }
    Value::Object(root).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_has_directives_and_values() {
        let s = Sample {
            action: "createSecret".into(),
            succeeded: true,
            defer_reason: Some("NextTooNew".into()),
            keys_published: Some(2),
            api_calls: 5,
            ..Sample::default()
        };
        let v: Value = serde_json::from_str(&emf_line("Ns", &s, Utc::now())).unwrap();
        assert_eq!(v["_aws"]["CloudWatchMetrics"][0]["Namespace"], "Ns");
        assert_eq!(v["AwsApiCalls"], 5);
        assert_eq!(v["RotationDeferred"], 1);
        assert_eq!(v["DeferReason"], "NextTooNew");
        assert_eq!(v["KeysPublished"], 2);
        assert!(v.get("SigningKeyAge").is_none());
    }
}
