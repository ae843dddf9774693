//! The moto launcher behaves like AWS where the rotation depends on it
//! (tests/support/moto_faithful.py): code that would fail on AWS fails here too.

mod support;

use std::collections::BTreeMap;

use aws_sdk_secretsmanager::operation::put_secret_value::PutSecretValueError;
use aws_sdk_secretsmanager::operation::update_secret_version_stage::UpdateSecretVersionStageError;
use support::{Env, LAMBDA_ARN, config};

#[tokio::test]
async fn patched_moto_refuses_what_aws_refuses() {
    let env = Env::new(config("faithful", "faithful")).await;
    let sm = &env.sm;
    // (b) RotateSecret: AWSPENDING on a new, empty version; AWSCURRENT stays.
    let before = env.labels().await;
    let token = env.rotate_secret().await;
    let after = env.labels().await;
    assert_eq!(after[&token], vec!["AWSPENDING".to_string()]);
    for (v, labels) in &before {
        assert_eq!(&after[v], labels);
    }
    let empty = sm
        .get_secret_value()
        .secret_id("faithful")
        .version_id(&token)
        .version_stage("AWSPENDING")
        .send()
        .await
        .unwrap_err();
    assert!(
        empty
            .as_service_error()
            .unwrap()
            .is_resource_not_found_exception()
    );
    // A second RotateSecret while that rotation is in progress is refused.
    let busy = sm
        .rotate_secret()
        .secret_id("faithful")
        .rotation_lambda_arn(LAMBDA_ARN)
        .client_request_token("11111111-1111-1111-1111-111111111111")
        .send()
        .await
        .unwrap_err();
    assert!(
        busy.as_service_error()
            .unwrap()
            .is_invalid_request_exception()
    );
    // (a) Filling the empty version works; the same value again is a no-op; another value is
    // refused.
    let put = |v: &'static str| {
        sm.put_secret_value()
            .secret_id("faithful")
            .client_request_token(&token)
            .secret_string(v)
            .version_stages("AWSPENDING")
            .send()
    };
    put("one").await.unwrap();
    put("one").await.unwrap();
    let conflict = put("two").await.unwrap_err();
    assert!(
        conflict
            .as_service_error()
            .unwrap()
            .is_resource_exists_exception()
    );
    let stored = sm
        .get_secret_value()
        .secret_id("faithful")
        .version_id(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(stored.secret_string(), Some("one"));
    // (c) A custom label cannot be moved onto a version while another holds it, without
    // RemoveFromVersionId.
    let next = "22222222-2222-2222-2222-222222222222";
    sm.put_secret_value()
        .secret_id("faithful")
        .client_request_token(next)
        .secret_string("next")
        .version_stages("NEXT")
        .send()
        .await
        .unwrap();
    let refused = sm
        .update_secret_version_stage()
        .secret_id("faithful")
        .version_stage("NEXT")
        .move_to_version_id(&token)
        .send()
        .await
        .unwrap_err();
    assert!(
        refused
            .as_service_error()
            .unwrap()
            .is_invalid_parameter_exception()
    );
    sm.update_secret_version_stage()
        .secret_id("faithful")
        .version_stage("NEXT")
        .move_to_version_id(&token)
        .remove_from_version_id(next)
        .send()
        .await
        .unwrap();
    let labels = env.labels().await;
    assert_eq!(
        labels
            .values()
            .filter(|l| l.contains(&"NEXT".to_string()))
            .count(),
        1
    );
    // (d) After AWSCURRENT moved, PutSecretValue([AWSCURRENT]) demotes the right version.
    let current = labels
        .iter()
        .find(|(_, l)| l.contains(&"AWSCURRENT".to_string()))
        .map(|(v, _)| v.clone())
        .unwrap();
    sm.update_secret_version_stage()
        .secret_id("faithful")
        .version_stage("AWSCURRENT")
        .move_to_version_id(&token)
        .remove_from_version_id(&current)
        .send()
        .await
        .unwrap();
    sm.put_secret_value()
        .secret_id("faithful")
        .client_request_token("33333333-3333-3333-3333-333333333333")
        .secret_string("three")
        .version_stages("AWSCURRENT")
        .send()
        .await
        .unwrap();
    let labels = env.labels().await;
    assert_eq!(
        labels
            .values()
            .filter(|l| l.contains(&"AWSCURRENT".to_string()))
            .count(),
        1
    );
    assert!(labels[&token].contains(&"AWSPREVIOUS".to_string()));
}

/// Sorted labels, as `Env::labels` gives them.
fn stages(list: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

/// The versions holding `label`.
fn holders(labels: &BTreeMap<String, Vec<String>>, label: &str) -> Vec<String> {
    labels
        .iter()
        .filter(|(_, l)| l.iter().any(|s| s == label))
        .map(|(v, _)| v.clone())
        .collect()
}

/// The labels of `version` (none when moto dropped the version).
fn of(labels: &BTreeMap<String, Vec<String>>, version: &str) -> Vec<String> {
    labels.get(version).cloned().unwrap_or_default()
}

/// PutSecretValue with a new token and explicit stages.
async fn put(
    env: &Env,
    token: &str,
    value: &str,
    version_stages: &[&str],
) -> Result<(), PutSecretValueError> {
    env.sm
        .put_secret_value()
        .secret_id(env.secret())
        .client_request_token(token)
        .secret_string(value)
        .set_version_stages(Some(version_stages.iter().map(|s| s.to_string()).collect()))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| e.into_service_error())
}

/// UpdateSecretVersionStage.
async fn move_label(
    env: &Env,
    label: &str,
    to: Option<&str>,
    from: Option<&str>,
) -> Result<(), UpdateSecretVersionStageError> {
    env.sm
        .update_secret_version_stage()
        .secret_id(env.secret())
        .version_stage(label)
        .set_move_to_version_id(to.map(str::to_string))
        .set_remove_from_version_id(from.map(str::to_string))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| e.into_service_error())
}

/// The version GetSecretValue answers without version arguments.
async fn default_version(env: &Env) -> String {
    env.sm
        .get_secret_value()
        .secret_id(env.secret())
        .send()
        .await
        .expect("GetSecretValue")
        .version_id()
        .expect("version id")
        .to_string()
}

const V1: &str = "44444444-4444-4444-4444-444444444444";
const V2: &str = "55555555-5555-5555-5555-555555555555";
const V3: &str = "66666666-6666-6666-6666-666666666666";

// (e) PutSecretValue([AWSCURRENT]) moves only AWSCURRENT and AWSPREVIOUS: AWSPENDING and custom
// labels of the old current version stay there, so a rotation whose AWSPENDING stayed on the
// current version blocks every later RotateSecret after such a put, as on AWS.
#[tokio::test]
async fn put_current_keeps_the_other_labels_of_the_old_current_version() {
    let env = Env::new(config("keeps", "keeps")).await;
    let v0 = holders(&env.labels().await, "AWSCURRENT").remove(0);
    // A rotation that ends as AWS leaves it: AWSCURRENT and AWSPENDING both on T.
    let t = env.rotate_secret().await;
    put(&env, &t, "t", &["AWSPENDING"]).await.unwrap();
    move_label(&env, "AWSCURRENT", Some(&t), Some(&v0))
        .await
        .unwrap();
    move_label(&env, "NEXT", Some(&t), None).await.unwrap();
    let labels = env.labels().await;
    assert_eq!(
        of(&labels, &t),
        stages(&["AWSCURRENT", "AWSPENDING", "NEXT"])
    );
    assert_eq!(of(&labels, &v0), stages(&["AWSPREVIOUS"]));
    // A new version made current by PutSecretValue.
    put(&env, V1, "e", &["AWSCURRENT"]).await.unwrap();
    let labels = env.labels().await;
    assert_eq!(of(&labels, V1), stages(&["AWSCURRENT"]));
    assert_eq!(
        of(&labels, &t),
        stages(&["AWSPENDING", "AWSPREVIOUS", "NEXT"])
    );
    assert!(of(&labels, &v0).is_empty(), "{labels:?}");
    assert_eq!(default_version(&env).await, V1);
    let pending = env
        .sm
        .get_secret_value()
        .secret_id(env.secret())
        .version_stage("AWSPENDING")
        .send()
        .await
        .unwrap();
    assert_eq!(pending.version_id(), Some(t.as_str()));
    // AWSPENDING alone on a version that is not current: a previous rotation isn't complete.
    let refused = env
        .sm
        .rotate_secret()
        .secret_id(env.secret())
        .rotation_lambda_arn(LAMBDA_ARN)
        .send()
        .await
        .unwrap_err();
    assert!(
        refused
            .as_service_error()
            .unwrap()
            .is_invalid_request_exception(),
        "{refused:?}"
    );
    // Other labels named in the put move off the versions that had them; AWSPREVIOUS follows
    // the version AWSCURRENT left, whose other labels stay.
    put(&env, V2, "f", &["AWSCURRENT", "NEXT"]).await.unwrap();
    let labels = env.labels().await;
    assert_eq!(of(&labels, V2), stages(&["AWSCURRENT", "NEXT"]));
    assert_eq!(of(&labels, V1), stages(&["AWSPREVIOUS"]));
    assert_eq!(of(&labels, &t), stages(&["AWSPENDING"]));
}

// (d) The version PutSecretValue([AWSCURRENT]) demotes, and the one GetSecretValue answers
// without arguments, is the one holding the AWSCURRENT label, whatever moved it.
#[tokio::test]
async fn the_current_version_is_the_awscurrent_label_holder() {
    let env = Env::new(config("holder", "holder")).await;
    let v0 = holders(&env.labels().await, "AWSCURRENT").remove(0);
    put(&env, V1, "one", &["AWSCURRENT"]).await.unwrap();
    // Roll back with UpdateSecretVersionStage: AWSCURRENT onto v0 again.
    move_label(&env, "AWSCURRENT", Some(&v0), Some(V1))
        .await
        .unwrap();
    let labels = env.labels().await;
    assert_eq!(holders(&labels, "AWSCURRENT"), vec![v0.clone()]);
    assert_eq!(of(&labels, V1), stages(&["AWSPREVIOUS"]));
    assert_eq!(default_version(&env).await, v0);
    // A put with a custom label only changes nothing about the current version.
    put(&env, V2, "two", &["NEXT"]).await.unwrap();
    assert_eq!(default_version(&env).await, v0);
    // The next put with AWSCURRENT demotes v0 (the holder), not V1 (moto's cached default).
    put(&env, V3, "three", &["AWSCURRENT"]).await.unwrap();
    let labels = env.labels().await;
    assert_eq!(holders(&labels, "AWSCURRENT"), vec![V3.to_string()]);
    assert_eq!(holders(&labels, "AWSPREVIOUS"), vec![v0.clone()]);
    assert!(of(&labels, V1).is_empty(), "{labels:?}");
    assert_eq!(of(&labels, V2), stages(&["NEXT"]));
    assert_eq!(default_version(&env).await, V3);
    let described = env
        .sm
        .describe_secret()
        .secret_id(env.secret())
        .send()
        .await
        .unwrap();
    let current: Vec<&String> = described
        .version_ids_to_stages()
        .unwrap()
        .iter()
        .filter(|(_, l)| l.iter().any(|s| s == "AWSCURRENT"))
        .map(|(v, _)| v)
        .collect();
    assert_eq!(current, vec![V3]);
}

// (f) RemoveFromVersionId must name the version that holds the label; otherwise the call is
// refused and nothing changes (a move with a stale RemoveFromVersionId must not apply).
#[tokio::test]
async fn remove_from_a_version_without_the_label_is_refused() {
    let env = Env::new(config("stale", "stale")).await;
    let v0 = holders(&env.labels().await, "AWSCURRENT").remove(0);
    put(&env, V1, "one", &["AWSCURRENT"]).await.unwrap();
    put(&env, V2, "two", &["NEXT"]).await.unwrap();
    let before = env.labels().await;
    let refused = |r: Result<(), UpdateSecretVersionStageError>| {
        assert!(
            matches!(&r, Err(e) if e.is_invalid_parameter_exception()),
            "{r:?}"
        )
    };
    // AWSCURRENT is on V1: v0 (its holder before the put) is stale.
    refused(move_label(&env, "AWSCURRENT", Some(V2), Some(&v0)).await);
    // NEXT is on V2.
    refused(move_label(&env, "NEXT", Some(V1), Some(&v0)).await);
    refused(move_label(&env, "NEXT", None, Some(V1)).await);
    // OTHER is on no version.
    refused(move_label(&env, "OTHER", Some(V1), Some(V1)).await);
    refused(move_label(&env, "OTHER", Some(V1), Some(&v0)).await);
    refused(move_label(&env, "OTHER", None, Some(V1)).await);
    assert_eq!(env.labels().await, before);
    // With the holder named, the moves apply.
    move_label(&env, "AWSCURRENT", Some(V2), Some(V1))
        .await
        .unwrap();
    move_label(&env, "NEXT", Some(V1), Some(V2)).await.unwrap();
    move_label(&env, "OTHER", Some(V1), None).await.unwrap();
    let labels = env.labels().await;
    assert_eq!(of(&labels, V2), stages(&["AWSCURRENT"]));
    assert_eq!(of(&labels, V1), stages(&["AWSPREVIOUS", "NEXT", "OTHER"]));
}

/// (g) A bucket policy's DenyInsecureTransport statement (the provider's) does not deny the
/// SDK's requests: on AWS they use TLS. An unconditional Deny still does.
#[tokio::test]
async fn deny_insecure_transport_does_not_deny_the_sdk() {
    let env = Env::new(config("tls", "tls")).await;
    let bucket = "tls";
    env.s3
        .put_object()
        .bucket(bucket)
        .key("keys/jwks.json")
        .body(b"{\"keys\":[]}".to_vec().into())
        .send()
        .await
        .unwrap();
    let policy = |extra: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::{bucket}","arn:aws:s3:::{bucket}/*"],"Condition":{{"Bool":{{"aws:SecureTransport":"false"}}}}}}{extra}]}}"#
        )
    };
    let get = |key: &'static str| {
        let s3 = env.s3.clone();
        async move { s3.get_object().bucket(bucket).key(key).send().await }
    };
    env.s3
        .put_bucket_policy()
        .bucket(bucket)
        .policy(policy(""))
        .send()
        .await
        .unwrap();
    assert!(get("keys/jwks.json").await.is_ok());
    let missing = get("keys/other.json").await.unwrap_err();
    assert!(
        missing.as_service_error().unwrap().is_no_such_key(),
        "{missing:?}"
    );
    let deny = format!(
        r#",{{"Sid":"DenyAll","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*"}}"#
    );
    env.s3
        .put_bucket_policy()
        .bucket(bucket)
        .policy(policy(&deny))
        .send()
        .await
        .unwrap();
    let denied = get("keys/jwks.json").await.unwrap_err();
    assert_eq!(
        denied.raw_response().map(|r| r.status().as_u16()),
        Some(403),
        "{denied:?}"
    );
}
