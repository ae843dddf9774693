//! The moto launcher behaves like AWS where the rotation depends on it
//! (tests/support/moto_faithful.py): code that would fail on AWS fails here too.

mod support;

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
