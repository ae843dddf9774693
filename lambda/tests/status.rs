//! The status action (issue 10): at most 3 AWS calls, changes nothing, names every published kid
//! with its role and times, and reports each inconsistency it can see.

mod support;

use chrono::TimeDelta;
use serde_json::{Value, json};
use support::{Env, config};

async fn status(env: &Env) -> Value {
    let before = env.state().await;
    let out = env.action(json!({"action": "status"})).await.unwrap();
    assert!(out["apiCalls"].as_u64().unwrap() <= 3, "{out}");
    assert_eq!(env.state().await, before, "status changed something");
    out["status"].clone()
}

fn codes(s: &Value) -> Vec<String> {
    s["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap().to_string())
        .collect()
}

fn role(s: &Value, kid: &str) -> String {
    s["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid)
        .unwrap_or_else(|| panic!("{kid} not in {s}"))["role"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn status_names_roles_and_reports_each_inconsistency() {
    let env = Env::new(config("status", "status")).await;
    // Before the first rotation.
    let s = status(&env).await;
    assert!(
        codes(&s).contains(&"AwaitingFirstRotation".to_string()),
        "{s}"
    );

    env.full_rotation().await;
    let k1 = env.kid_at("AWSCURRENT").await.unwrap();
    let n1 = env.kid_at("NEXT").await.unwrap();
    let s = status(&env).await;
    assert_eq!(s["signingKid"], k1);
    assert_eq!(role(&s, &k1), "signing");
    assert_eq!(role(&s, &n1), "next");
    assert_eq!(codes(&s), vec!["NextNotYetEligible"], "{s}");

    env.advance(TimeDelta::days(30));
    env.full_rotation().await;
    let s = status(&env).await;
    assert_eq!(role(&s, &k1), "retired");
    let k1_state = s["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == k1)
        .unwrap();
    assert!(k1_state["removalAt"].is_string(), "{s}");
    assert_eq!(role(&s, &n1), "signing");

    // A stray AWSPENDING (a rotation started and never finished).
    env.advance(TimeDelta::days(8));
    let token = env.rotate_secret().await;
    let s = status(&env).await;
    assert!(codes(&s).contains(&"PendingNotCurrent".to_string()), "{s}");
    for step in ["createSecret", "setSecret", "testSecret", "finishSecret"] {
        env.step(step, &token).await.unwrap();
    }

    // The signer missing from the served JWKS (a JWKS written by hand, or lagging).
    let cfg = env.deps.config.clone();
    let saved = env.object(&cfg.object_key).await;
    env.put_raw(&cfg.object_key, &Some(r#"{"keys":[]}"#.to_string()))
        .await;
    let s = status(&env).await;
    let c = codes(&s);
    assert!(c.contains(&"SignerNotPublished".to_string()), "{s}");
    assert!(c.contains(&"JwksLagsRegistry".to_string()), "{s}");
    env.action(json!({"action": "cleanup"})).await.unwrap();
    assert!(!codes(&status(&env).await).contains(&"SignerNotPublished".to_string()));
    assert_eq!(env.object(&cfg.object_key).await, saved);

    // An emergency stopped midway (after its first call that writes).
    let start = env.api_calls();
    env.deps.api_calls.stop_after(Some(start + 3));
    let _ = env
        .action(json!({"action": "emergencyRotate", "requestId": "midway"}))
        .await;
    env.deps.api_calls.stop_after(None);
    let s = status(&env).await;
    assert!(
        codes(&s).contains(&"EmergencyInProgress".to_string()),
        "{s}"
    );
    env.action(json!({"action": "emergencyRotate", "requestId": "midway"}))
        .await
        .unwrap();
    let s = status(&env).await;
    assert!(
        !codes(&s).contains(&"EmergencyInProgress".to_string()),
        "{s}"
    );
    assert!(
        !s["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["severity"] == "error"),
        "{s}"
    );
}
