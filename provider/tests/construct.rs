//! `Construct` through the real binary over gRPC, against the recording engine stand-in: the
//! construct's own cases (defaults, custom props, existing bucket, one inline policy), the
//! options, preview, secrets, the code archive and the optional features.

mod harness;

use harness::*;
use jwks_rotation_core::config::{RotationConfig, env};
use jwks_rotation_core::secret_value::PLACEHOLDER_VALUE;
use jwks_rotation_core::{Duration, KeySpec, KeySpecInput, KidStrategy};
use pulumi_gestalt_proto::pulumi::pulumirpc::{Alias, alias};
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};

/// The pulumi-aws version of `[workspace.metadata.release]` in Cargo.toml (set by build.rs).
const AWS: &str = env!("JWKS_ROTATION_AWS_VERSION");

const SECRET_ARN: &str =
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:my-jwks-secret-AbCdEf";

fn expected_env(config: &RotationConfig, bucket: &str) -> Json {
    let mut env = config.to_env();
    env.insert(env::SECRET_ID.into(), SECRET_ARN.into());
    env.insert(env::BUCKET.into(), bucket.into());
    serde_json::to_value(env).unwrap_or_default()
}

fn default_config() -> RotationConfig {
    let spec = KeySpec::from_input(&KeySpecInput {
        algorithm: "RS256".into(),
        ..Default::default()
    })
    .expect("RS256 is valid");
    RotationConfig::with_defaults("my-jwks-secret", "unused", spec, Duration::from_hours(1))
}

fn statements(doc: &Json) -> Vec<Json> {
    doc["Statement"].as_array().cloned().unwrap_or_default()
}

fn resources(statement: &Json) -> Vec<String> {
    match &statement["Resource"] {
        Json::String(s) => vec![s.clone()],
        Json::Array(a) => a
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    }
}

const DEFAULT_CHILDREN: [(&str, &str); 17] = [
    ("aws:cloudwatch/eventRule:EventRule", "jwks-cleanup"),
    (
        "aws:cloudwatch/eventTarget:EventTarget",
        "jwks-cleanup-target",
    ),
    ("aws:cloudwatch/logGroup:LogGroup", "jwks-rotation-logs"),
    ("aws:iam/role:Role", "jwks-rotation-role"),
    ("aws:iam/rolePolicy:RolePolicy", "jwks-rotation-policy"),
    ("aws:lambda/function:Function", "jwks-rotation"),
    (
        "aws:lambda/permission:Permission",
        "jwks-rotation-invoke-events",
    ),
    (
        "aws:lambda/permission:Permission",
        "jwks-rotation-invoke-secretsmanager",
    ),
    ("aws:s3/bucket:Bucket", "jwks-bucket"),
    (
        "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration",
        "jwks-bucket-cors",
    ),
    (
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "jwks-bucket-ownership",
    ),
    ("aws:s3/bucketPolicy:BucketPolicy", "jwks-bucket-policy"),
    (
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "jwks-bucket-public-access",
    ),
    ("aws:secretsmanager/secret:Secret", "jwks-secret"),
    (
        "aws:secretsmanager/secretRotation:SecretRotation",
        "jwks-rotation-schedule",
    ),
    (
        "aws:secretsmanager/secretVersion:SecretVersion",
        "jwks-secret-initial",
    ),
    (COMPONENT, "jwks"),
];

#[tokio::test]
async fn defaults_register_the_documented_graph() {
    let mut h = Harness::start(false).await;
    let resp = h
        .construct("jwks", minimal())
        .await
        .expect("construct succeeds");
    let regs = h.registrations();
    assert_valid_children(&regs);

    // The component first, with the request's type, name and parent.
    let component = &regs[0];
    assert_eq!(component.request.r#type, COMPONENT);
    assert_eq!(component.request.name, "jwks");
    assert_eq!(component.request.parent, STACK_URN);
    assert!(!component.request.custom);
    assert_eq!(resp.urn, component.urn);

    let expected: Vec<(String, String)> = {
        let mut v: Vec<(String, String)> = DEFAULT_CHILDREN
            .iter()
            .map(|(t, n)| (t.to_string(), n.to_string()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(shape(&regs), expected);
    for child in regs.iter().skip(1) {
        assert!(child.request.custom, "{}", child.request.name);
        assert_eq!(
            child.request.parent, component.urn,
            "{}",
            child.request.name
        );
        assert_eq!(child.request.version, AWS, "{}", child.request.name);
        assert!(child.request.name.starts_with("jwks-"));
    }
    assert_valid_children(&regs);

    let rotation = one(&regs, "aws:secretsmanager/secretRotation:SecretRotation");
    assert_eq!(
        rotation.input("rotationRules"),
        json!({"scheduleExpression": "rate(60 days)"})
    );
    assert_eq!(rotation.input("rotateImmediately"), json!(true));
    assert_eq!(rotation.input("secretId"), json!(SECRET_ARN));
    let function = one(&regs, "aws:lambda/function:Function");
    assert_eq!(
        rotation.input("rotationLambdaArn"),
        json!("arn:aws:lambda:us-east-1:123456789012:function:jwks-rotation-a1b2c3d")
    );
    let permission_sm = regs
        .iter()
        .find(|r| r.request.name == "jwks-rotation-invoke-secretsmanager")
        .expect("secrets manager permission");
    for needed in [
        &permission_sm.urn,
        &one(&regs, "aws:secretsmanager/secretVersion:SecretVersion").urn,
        &one(&regs, "aws:iam/rolePolicy:RolePolicy").urn,
        &one(&regs, "aws:s3/bucketPolicy:BucketPolicy").urn,
        &function.urn,
    ] {
        assert!(
            rotation.request.dependencies.contains(needed),
            "the rotation schedule must follow {needed}"
        );
    }

    let rule = one(&regs, "aws:cloudwatch/eventRule:EventRule");
    assert_eq!(rule.input("scheduleExpression"), json!("rate(1 day)"));
    let target = one(&regs, "aws:cloudwatch/eventTarget:EventTarget");
    let event: Json =
        serde_json::from_str(target.input("input").as_str().unwrap_or("")).unwrap_or_default();
    assert_eq!(event, json!({"action": "cleanup", "secretArn": SECRET_ARN}));
    assert_eq!(target.input("arn"), rotation.input("rotationLambdaArn"));
    assert_eq!(target.input("rule"), json!("jwks-cleanup-a1b2c3d"));

    assert_eq!(function.input("runtime"), json!("provided.al2023"));
    assert_eq!(function.input("handler"), json!("bootstrap"));
    assert_eq!(function.input("architectures"), json!(["x86_64"]));
    assert_eq!(
        function.input("role"),
        json!("arn:aws:iam::123456789012:role/jwks-rotation-role-a1b2c3d")
    );
    assert_eq!(
        function.input("loggingConfig")["logGroup"],
        json!("jwks-rotation-logs-a1b2c3d")
    );
    let bucket_name = "jwks-bucket-a1b2c3d";
    assert_eq!(
        function.input("environment")["variables"],
        expected_env(&default_config(), bucket_name)
    );
    let logs = one(&regs, "aws:cloudwatch/logGroup:LogGroup");
    assert_eq!(logs.input("retentionInDays"), json!(30.0));

    let version = one(&regs, "aws:secretsmanager/secretVersion:SecretVersion");
    assert!(
        is_secret(&version.raw("secretString")),
        "the placeholder is registered as a secret"
    );
    assert_eq!(version.input("secretString"), json!(PLACEHOLDER_VALUE));
    assert_eq!(
        version.input("versionStages"),
        json!(["JWKS_ROTATION_INITIAL"])
    );
    assert_eq!(
        version.request.ignore_changes,
        vec!["secretString", "versionStages"]
    );

    for (name, principal, source) in [
        (
            "jwks-rotation-invoke-secretsmanager",
            "secretsmanager.amazonaws.com",
            SECRET_ARN,
        ),
        (
            "jwks-rotation-invoke-events",
            "events.amazonaws.com",
            "arn:aws:events:us-east-1:123456789012:rule/jwks-cleanup-a1b2c3d",
        ),
    ] {
        let p = regs.iter().find(|r| r.request.name == name).expect(name);
        assert_eq!(p.input("principal"), json!(principal));
        assert_eq!(p.input("sourceArn"), json!(source));
        assert_eq!(p.input("action"), json!("lambda:InvokeFunction"));
        assert_eq!(p.input("function"), json!("jwks-rotation-a1b2c3d"));
    }

    let bucket = one(&regs, "aws:s3/bucket:Bucket");
    assert_eq!(bucket.input("forceDestroy"), json!(true));
    let ownership = one(
        &regs,
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    );
    assert_eq!(
        ownership.input("rule"),
        json!({"objectOwnership": "BucketOwnerEnforced"})
    );
    let cors = one(
        &regs,
        "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration",
    );
    assert_eq!(
        cors.input("corsRules")[0]["allowedMethods"],
        json!(["GET", "HEAD"])
    );
    assert!(cors.input("corsRules")[0].get("allowedHeaders").is_none());

    // Bucket policy: anonymous GetObject on the JWKS object only; TLS required.
    let policy = one(&regs, "aws:s3/bucketPolicy:BucketPolicy").document("policy");
    let object_arn = format!("arn:aws:s3:::{bucket_name}/.well-known/jwks.json");
    let st = statements(&policy);
    let public: Vec<&Json> = st.iter().filter(|s| s["Effect"] == "Allow").collect();
    assert_eq!(public.len(), 1);
    assert_eq!(public[0]["Principal"], json!("*"));
    assert_eq!(public[0]["Action"], json!("s3:GetObject"));
    assert_eq!(resources(public[0]), vec![object_arn.clone()]);
    let deny = st
        .iter()
        .find(|s| s["Effect"] == "Deny")
        .expect("a deny statement");
    assert_eq!(
        deny["Condition"]["Bool"]["aws:SecureTransport"],
        json!("false")
    );

    // Outputs.
    let out = outputs_json(&h);
    assert_eq!(h.outputs()[0].urn, component.urn);
    assert_eq!(
        out["jwksUrl"],
        json!(format!(
            "https://{bucket_name}.s3.us-east-1.amazonaws.com/.well-known/jwks.json"
        ))
    );
    assert_eq!(out["bucketName"], json!(bucket_name));
    assert_eq!(out["secretArn"], json!(SECRET_ARN));
    assert_eq!(out["secretName"], json!("my-jwks-secret"));
    assert_eq!(out["rotationFunctionName"], json!("jwks-rotation-a1b2c3d"));
    assert_eq!(out["createdBucket"][SIG], json!(RESOURCE_SIG));
    assert_eq!(out["createdBucket"]["urn"], json!(bucket.urn));
    assert_eq!(out["secret"]["id"], json!(SECRET_ARN));
    assert_eq!(out["rotationFunction"]["packageVersion"], json!(AWS));
    let issuer: Json =
        serde_json::from_str(out["issuerPolicy"].as_str().unwrap_or("")).unwrap_or_default();
    let ist = statements(&issuer);
    assert_eq!(ist.len(), 1);
    assert_eq!(ist[0]["Action"], json!("secretsmanager:GetSecretValue"));
    assert_eq!(ist[0]["Resource"], json!(SECRET_ARN));
    assert_eq!(
        ist[0]["Condition"]["StringEquals"]["secretsmanager:VersionStage"],
        json!("AWSCURRENT")
    );
    let state = struct_json(&resp.state.unwrap_or_default());
    assert_eq!(state, out, "the returned state is the registered outputs");
}

#[tokio::test]
async fn custom_props_reach_schedules_and_environment() {
    let mut h = Harness::start(false).await;
    h.construct(
        "jwks",
        with(json!({
            "keySpec": {"algorithm": "ES256", "crv": "P-256"},
            "rotationInterval": "30d",
            "cleanupCheckInterval": "12h",
            "bucketPath": "keys/v1/jwks.json",
            "kidStrategy": "thumbprint",
            "cacheControl": "public, max-age=60",
        })),
    )
    .await
    .expect("construct succeeds");
    let regs = h.registrations();
    assert_valid_children(&regs);
    let rotation = one(&regs, "aws:secretsmanager/secretRotation:SecretRotation");
    assert_eq!(
        rotation.input("rotationRules")["scheduleExpression"],
        json!("rate(30 days)")
    );
    let rule = one(&regs, "aws:cloudwatch/eventRule:EventRule");
    assert_eq!(rule.input("scheduleExpression"), json!("rate(12 hours)"));

    let spec = KeySpec::from_input(&KeySpecInput {
        algorithm: "ES256".into(),
        crv: Some("P-256".into()),
        modulus_length: None,
    })
    .expect("valid");
    let mut config =
        RotationConfig::with_defaults("my-jwks-secret", "x", spec, Duration::from_hours(1));
    config.rotation_interval = Duration::from_days(30);
    config.cleanup_check_interval = Duration::from_hours(12);
    config.object_key = "keys/v1/jwks.json".into();
    config.kid_strategy = KidStrategy::Thumbprint;
    config.cache_control = "public, max-age=60".into();
    let function = one(&regs, "aws:lambda/function:Function");
    let vars = function.input("environment")["variables"].clone();
    assert_eq!(vars, expected_env(&config, "jwks-bucket-a1b2c3d"));
    assert_eq!(vars[env::KEY_ALGORITHM], json!("ES256"));
    assert_eq!(vars[env::KEY_CURVE], json!("P-256"));
    assert_eq!(vars[env::OBJECT_KEY], json!("keys/v1/jwks.json"));

    let role_policy = one(&regs, "aws:iam/rolePolicy:RolePolicy").document("policy");
    let object_arn = "arn:aws:s3:::jwks-bucket-a1b2c3d/keys/v1/jwks.json";
    assert!(
        statements(&role_policy)
            .iter()
            .any(|s| resources(s) == vec![object_arn.to_string()]),
        "{role_policy}"
    );
    let bucket_policy = one(&regs, "aws:s3/bucketPolicy:BucketPolicy").document("policy");
    let public = statements(&bucket_policy)
        .into_iter()
        .find(|s| s["Effect"] == "Allow")
        .expect("public read");
    assert_eq!(resources(&public), vec![object_arn.to_string()]);
    assert_eq!(
        outputs_json(&h)["jwksUrl"],
        json!("https://jwks-bucket-a1b2c3d.s3.us-east-1.amazonaws.com/keys/v1/jwks.json")
    );
}

#[tokio::test]
async fn existing_bucket_creates_no_bucket_and_scopes_grants_to_it() {
    let mut h = Harness::start(false).await;
    h.construct("jwks", with(json!({"bucket": "my-existing-bucket"})))
        .await
        .expect("construct succeeds");
    let regs = h.registrations();
    assert_valid_children(&regs);
    for ty in [
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration",
    ] {
        assert!(
            of_type(&regs, ty).is_empty(),
            "{ty} must not be created for an existing bucket"
        );
    }
    let object_arn = "arn:aws:s3:::my-existing-bucket/.well-known/jwks.json";
    let registry_arn =
        "arn:aws:s3:::my-existing-bucket/.jwks-rotation/.well-known/jwks.json.registry.json";
    let role_policy = one(&regs, "aws:iam/rolePolicy:RolePolicy").document("policy");
    let s3: Vec<Json> = statements(&role_policy)
        .into_iter()
        .filter(|s| s.to_string().contains("s3:"))
        .collect();
    assert_eq!(s3.len(), 3, "{role_policy}");
    for s in &s3 {
        for r in resources(s) {
            assert!(
                r == object_arn || r == registry_arn || r == "arn:aws:s3:::my-existing-bucket",
                "unexpected S3 resource {r}"
            );
        }
        if resources(s) == vec!["arn:aws:s3:::my-existing-bucket".to_string()] {
            assert_eq!(s["Action"], json!("s3:ListBucket"));
            assert_eq!(
                s["Condition"]["StringEquals"]["s3:prefix"],
                json!([
                    ".well-known/jwks.json",
                    ".jwks-rotation/.well-known/jwks.json.registry.json"
                ])
            );
        }
    }
    let function = one(&regs, "aws:lambda/function:Function");
    assert_eq!(
        function.input("environment")["variables"][env::BUCKET],
        json!("my-existing-bucket")
    );
    let logs = h.logs();
    assert!(
        logs.iter().any(|l| l.severity == 2
            && l.urn == regs[0].urn
            && l.message
                .contains("merge the `bucketPolicyStatements` output")),
        "a warning tells to merge the statements: {logs:?}"
    );
    let out = outputs_json(&h);
    assert_eq!(out["bucketName"], json!("my-existing-bucket"));
    assert!(
        out.get("createdBucket").is_none() && out.get("bucket").is_none(),
        "no bucket reference for a bucket we did not create, and no output named like the input"
    );
    assert_eq!(
        out["jwksUrl"],
        json!("https://my-existing-bucket.s3.amazonaws.com/.well-known/jwks.json")
    );
    let merge: Json = serde_json::from_str(out["bucketPolicyStatements"].as_str().unwrap_or(""))
        .unwrap_or_default();
    let allow: Vec<&Json> = merge
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["Effect"] == "Allow")
        .collect();
    assert_eq!(allow.len(), 1);
    assert_eq!(resources(allow[0]), vec![object_arn.to_string()]);
}

#[tokio::test]
async fn the_lambda_has_exactly_one_inline_policy_and_nothing_wider() {
    let mut h = Harness::start(false).await;
    h.construct("jwks", minimal())
        .await
        .expect("construct succeeds");
    let regs = h.registrations();
    assert_valid_children(&regs);
    assert_eq!(of_type(&regs, "aws:iam/rolePolicy:RolePolicy").len(), 1);
    assert!(of_type(&regs, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").is_empty());
    let role = one(&regs, "aws:iam/role:Role");
    assert!(role.input("inlinePolicies").is_null() && role.input("managedPolicyArns").is_null());
    let trust = role.document("assumeRolePolicy");
    assert_eq!(
        trust["Statement"][0]["Principal"]["Service"],
        json!("lambda.amazonaws.com")
    );

    let policy = one(&regs, "aws:iam/rolePolicy:RolePolicy");
    assert_eq!(policy.input("role"), json!("jwks-rotation-role-a1b2c3d"));
    let doc = policy.document("policy");
    let bucket = "jwks-bucket-a1b2c3d";
    let allowed = [
        SECRET_ARN.to_string(),
        format!("arn:aws:s3:::{bucket}/.well-known/jwks.json"),
        format!("arn:aws:s3:::{bucket}/.jwks-rotation/.well-known/jwks.json.registry.json"),
        format!("arn:aws:s3:::{bucket}"),
        "arn:aws:logs:us-east-1:123456789012:log-group:jwks-rotation-logs-a1b2c3d:*".to_string(),
    ];
    let st = statements(&doc);
    assert_eq!(st.len(), 5, "{doc}");
    for s in &st {
        assert_eq!(s["Effect"], json!("Allow"));
        for r in resources(s) {
            assert!(
                allowed.contains(&r),
                "resource {r} is wider than this component"
            );
            assert!(!r.contains('*') || r.ends_with("log-group:jwks-rotation-logs-a1b2c3d:*"));
        }
    }
    let secret_actions = st
        .iter()
        .find(|s| resources(s) == vec![SECRET_ARN.to_string()])
        .map(|s| s["Action"].clone())
        .unwrap_or_default();
    assert_eq!(
        secret_actions,
        json!([
            "secretsmanager:DescribeSecret",
            "secretsmanager:GetSecretValue",
            "secretsmanager:PutSecretValue",
            "secretsmanager:UpdateSecretVersionStage"
        ])
    );
}

#[tokio::test]
async fn an_aws_provider_in_the_providers_map_reaches_every_aws_child() {
    let mut h = Harness::start(false).await;
    let aws =
        "urn:pulumi:test::proj::pulumi:providers:aws::eu::0f0f0f0f-1111-2222-3333-444444444444";
    let mut req = h.request("jwks", with(json!({"issuer": "https://issuer.example.com", "cloudFront": {}, "alarm": {"snsTopicArns": ["arn:aws:sns:us-east-1:123456789012:ops"]}})));
    req.providers = providers(aws);
    h.construct_request(req).await.expect("construct succeeds");
    let regs = h.registrations();
    assert_valid_children(&regs);
    assert_eq!(regs[0].request.providers, providers(aws));
    for child in regs.iter().filter(|r| r.request.custom) {
        assert_eq!(child.request.provider, aws, "{}", child.request.name);
    }
}

#[tokio::test]
async fn request_options_reach_the_component_and_children() {
    let mut h = Harness::start(false).await;
    let dep = "urn:pulumi:test::proj::aws:kms/key:Key::k";
    let deleted_with = "urn:pulumi:test::proj::aws:s3/bucket:Bucket::other";
    let mut req = h.request("jwks", minimal());
    req.protect = Some(true);
    req.retain_on_delete = Some(true);
    req.deleted_with = deleted_with.into();
    req.dependencies = vec![dep.into()];
    req.custom_timeouts = Some(
        pulumi_gestalt_proto::pulumi::pulumirpc::construct_request::CustomTimeouts {
            create: "30m".into(),
            update: "20m".into(),
            delete: "10m".into(),
        },
    );
    req.aliases = vec![Alias {
        alias: Some(alias::Alias::Spec(alias::Spec {
            name: "old-jwks".into(),
            ..Default::default()
        })),
    }];
    h.construct_request(req).await.expect("construct succeeds");
    let regs = h.registrations();
    assert_valid_children(&regs);
    let component = &regs[0].request;
    assert_eq!(component.protect, Some(true));
    assert_eq!(component.retain_on_delete, Some(true));
    assert_eq!(component.deleted_with, deleted_with);
    assert_eq!(component.dependencies, vec![dep.to_string()]);
    assert_eq!(component.aliases.len(), 1);
    assert!(component.alias_specs);
    for child in regs.iter().skip(1) {
        let r = &child.request;
        assert_eq!(r.protect, Some(true), "{}", r.name);
        assert_eq!(r.retain_on_delete, Some(true), "{}", r.name);
        assert_eq!(r.deleted_with, deleted_with, "{}", r.name);
        assert!(r.dependencies.contains(&dep.to_string()), "{}", r.name);
        assert!(
            r.alias_specs,
            "{}: the engine derives child aliases",
            r.name
        );
        let timeouts = r
            .custom_timeouts
            .as_ref()
            .expect("custom timeouts reach children");
        assert_eq!(
            (
                timeouts.create.as_str(),
                timeouts.update.as_str(),
                timeouts.delete.as_str()
            ),
            ("30m", "20m", "10m")
        );
    }
}

#[tokio::test]
async fn preview_with_unknown_inputs_registers_the_same_children() {
    let full = json!({
        "secretName": UNKNOWN,
        "kmsKeyId": UNKNOWN,
        "issuer": UNKNOWN,
        "bucketName": UNKNOWN,
        "rotationInterval": UNKNOWN,
        "lambdaArchitecture": UNKNOWN,
        "publicRead": "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
        "cloudFront": "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
        "alarm": {"snsTopicArns": UNKNOWN},
        "tags": {"team": UNKNOWN},
    });
    let mut preview = Harness::start(true).await;
    let resp = preview
        .construct("jwks", with(full))
        .await
        .expect("preview succeeds");
    let preview_regs = preview.registrations();
    assert_valid_children(&preview_regs);

    let known = json!({
        "kmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "issuer": "https://issuer.example.com",
        "bucketName": "my-jwks-bucket",
        "rotationInterval": "30d",
        "lambdaArchitecture": "arm64",
        "publicRead": false,
        "cloudFront": {},
        "alarm": {"snsTopicArns": ["arn:aws:sns:us-east-1:123456789012:ops"]},
        "tags": {"team": "identity"},
    });
    let mut update = Harness::start(false).await;
    update
        .construct("jwks", with(known))
        .await
        .expect("update succeeds");
    let update_regs = update.registrations();
    assert_valid_children(&update_regs);
    assert_eq!(shape(&preview_regs), shape(&update_regs));

    // Unknowns flow into children and outputs.
    let secret = one(&preview_regs, "aws:secretsmanager/secret:Secret");
    assert_eq!(secret.input("name"), json!(UNKNOWN));
    let rotation = one(
        &preview_regs,
        "aws:secretsmanager/secretRotation:SecretRotation",
    );
    assert_eq!(
        rotation.input("rotationRules")["scheduleExpression"],
        json!(UNKNOWN)
    );
    let function = one(&preview_regs, "aws:lambda/function:Function");
    assert_eq!(
        function.input("code"),
        json!("e48ece36-62e2-4504-bad9-02848725956a")
    );
    let state = struct_json(&resp.state.unwrap_or_default());
    assert_eq!(state["jwksUrl"], json!(UNKNOWN));
    assert_eq!(state["secretArn"], json!(UNKNOWN));
}

#[tokio::test]
async fn secret_inputs_stay_secret() {
    let mut h = Harness::start(false).await;
    let secret = |v: &str| json!({SIG: SECRET_SIG, "value": v});
    let output_secret =
        |v: &str| json!({SIG: "d0e6a833031e9bbcd3f4e8bde6ca49a4", "secret": true, "value": v});
    h.construct(
        "jwks",
        with(json!({
            "secretName": secret("my-jwks-secret"),
            "kmsKeyId": output_secret("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
            "tags": {"owner": secret("alice")},
        })),
    )
    .await
    .expect("construct succeeds");
    let regs = h.registrations();
    assert_valid_children(&regs);
    let s = one(&regs, "aws:secretsmanager/secret:Secret");
    assert!(is_secret(&s.raw("name")), "{}", s.raw("name"));
    assert!(is_secret(&s.raw("kmsKeyId")));
    assert!(is_secret(&s.raw("tags")["owner"]));
    assert_eq!(s.input("name"), json!("my-jwks-secret"));
    let policy = one(&regs, "aws:iam/rolePolicy:RolePolicy");
    assert!(
        is_secret(&policy.raw("policy")),
        "a policy naming a secret key ARN stays secret"
    );
    let function = one(&regs, "aws:lambda/function:Function");
    let vars = function.raw("environment")["variables"].clone();
    let vars = vars.as_object().cloned().unwrap_or_default();
    assert!(!vars.is_empty());
    for (k, v) in &vars {
        assert!(
            is_secret(v),
            "{k} derives from a secret input and must stay secret"
        );
    }
    let out = outputs_json(&h);
    assert!(is_secret(&out["secretName"]), "{}", out["secretName"]);
}

fn code_of(regs: &[Registration]) -> Json {
    one(regs, "aws:lambda/function:Function").raw("code")
}

fn sha256_file(path: &str) -> String {
    hex::encode(Sha256::digest(
        std::fs::read(path).expect("the archive exists"),
    ))
}

#[tokio::test]
async fn the_code_archive_is_absolute_existing_and_identical_across_launches() {
    let cache = std::env::temp_dir().join(format!("jwks-provider-test-{}", std::process::id()));
    let cache_str = cache.display().to_string();
    let mut codes = Vec::new();
    for _ in 0..2 {
        let mut h = Harness::start_with_env(false, &[("XDG_CACHE_HOME", &cache_str)]).await;
        h.construct("jwks", minimal())
            .await
            .expect("construct succeeds");
        codes.push(code_of(&h.registrations()));
    }
    assert_eq!(codes[0], codes[1]);
    let code = &codes[0];
    assert_eq!(code[SIG], json!(ARCHIVE_SIG));
    let path = code["path"].as_str().expect("a path archive");
    assert!(std::path::Path::new(path).is_absolute(), "{path}");
    assert!(path.starts_with(&cache_str), "{path}");
    let digest = sha256_file(path);
    assert_eq!(code["hash"], json!(digest));
    assert!(path.contains(&digest), "content-addressed: {path}");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let shipped = root.join("dist/lambda/x86_64/bootstrap.zip");
    assert_eq!(digest, sha256_file(&shipped.display().to_string()));

    let mut h = Harness::start_with_env(false, &[("XDG_CACHE_HOME", &cache_str)]).await;
    h.construct("jwks", with(json!({"lambdaArchitecture": "arm64"})))
        .await
        .expect("construct succeeds");
    let regs = h.registrations();
    assert_valid_children(&regs);
    let arm = code_of(&regs);
    let arm_path = arm["path"].as_str().expect("a path archive");
    let arm_zip = root.join("dist/lambda/arm64/bootstrap.zip");
    assert_eq!(
        sha256_file(arm_path),
        sha256_file(&arm_zip.display().to_string())
    );
    assert_eq!(
        one(&regs, "aws:lambda/function:Function").input("architectures"),
        json!(["arm64"])
    );
    let _ = std::fs::remove_dir_all(&cache);
}

#[tokio::test]
async fn cloudfront_serves_the_jwks_through_origin_access_control() {
    let mut h = Harness::start(false).await;
    h.construct(
        "jwks",
        with(json!({"cloudFront": {"priceClass": "PriceClass_200"}})),
    )
    .await
    .expect("construct succeeds");
    let regs = h.registrations();
    assert_valid_children(&regs);
    let oac = one(
        &regs,
        "aws:cloudfront/originAccessControl:OriginAccessControl",
    );
    assert_eq!(oac.input("signingBehavior"), json!("always"));
    let dist = one(&regs, "aws:cloudfront/distribution:Distribution");
    assert_eq!(dist.input("priceClass"), json!("PriceClass_200"));
    assert_eq!(
        dist.input("origins")[0]["originAccessControlId"],
        json!("E2OAC")
    );
    assert_eq!(
        dist.input("origins")[0]["domainName"],
        json!("jwks-bucket-a1b2c3d.s3.us-east-1.amazonaws.com")
    );
    let policy = one(&regs, "aws:s3/bucketPolicy:BucketPolicy").document("policy");
    let allow: Vec<Json> = statements(&policy)
        .into_iter()
        .filter(|s| s["Effect"] == "Allow")
        .collect();
    assert_eq!(
        allow.len(),
        1,
        "no anonymous read with CloudFront by default: {policy}"
    );
    assert_eq!(
        allow[0]["Principal"],
        json!({"Service": "cloudfront.amazonaws.com"})
    );
    assert_eq!(
        allow[0]["Condition"]["StringEquals"]["AWS:SourceArn"],
        json!("arn:aws:cloudfront::123456789012:distribution/E1DISTRIBUTION")
    );
    let block = one(
        &regs,
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    );
    assert_eq!(block.input("blockPublicPolicy"), json!(true));
    assert_eq!(
        outputs_json(&h)["jwksUrl"],
        json!("https://d111111abcdef8.cloudfront.net/.well-known/jwks.json")
    );
}

#[tokio::test]
async fn kms_key_encrypts_the_secret_and_is_granted_for_it_only() {
    let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let mut h = Harness::start(false).await;
    h.construct("jwks", with(json!({"kmsKeyId": key})))
        .await
        .expect("construct succeeds");
    let regs = h.registrations();
    assert_valid_children(&regs);
    assert_eq!(
        one(&regs, "aws:secretsmanager/secret:Secret").input("kmsKeyId"),
        json!(key)
    );
    let doc = one(&regs, "aws:iam/rolePolicy:RolePolicy").document("policy");
    let kms = statements(&doc)
        .into_iter()
        .find(|s| resources(s) == vec![key.to_string()])
        .expect("a KMS statement");
    assert_eq!(kms["Action"], json!(["kms:Decrypt", "kms:GenerateDataKey"]));
    assert_eq!(
        kms["Condition"]["StringEquals"]["kms:EncryptionContext:SecretARN"],
        json!(SECRET_ARN)
    );
    let issuer: Json =
        serde_json::from_str(outputs_json(&h)["issuerPolicy"].as_str().unwrap_or(""))
            .unwrap_or_default();
    assert!(
        statements(&issuer)
            .iter()
            .any(|s| s["Action"] == json!("kms:Decrypt"))
    );

    let mut plain = Harness::start(false).await;
    plain
        .construct("jwks", minimal())
        .await
        .expect("construct succeeds");
    let plain_doc = one(&plain.registrations(), "aws:iam/rolePolicy:RolePolicy").document("policy");
    assert!(
        !plain_doc.to_string().contains("kms:"),
        "no KMS grant without kmsKeyId"
    );
}

#[tokio::test]
async fn alarm_watches_the_function_errors() {
    let topic = "arn:aws:sns:us-east-1:123456789012:ops";
    let mut h = Harness::start(false).await;
    h.construct(
        "jwks",
        with(json!({"alarm": {"snsTopicArns": [topic], "evaluationPeriods": 2}})),
    )
    .await
    .expect("construct succeeds");
    let regs = h.registrations();
    assert_valid_children(&regs);
    let alarm = one(&regs, "aws:cloudwatch/metricAlarm:MetricAlarm");
    assert_eq!(alarm.input("metricName"), json!("Errors"));
    assert_eq!(alarm.input("namespace"), json!("AWS/Lambda"));
    assert_eq!(
        alarm.input("dimensions"),
        json!({"FunctionName": "jwks-rotation-a1b2c3d"})
    );
    assert_eq!(alarm.input("alarmActions"), json!([topic]));
    assert_eq!(alarm.input("evaluationPeriods"), json!(2.0));
    assert_eq!(alarm.input("period"), json!(300.0));
}

#[tokio::test]
async fn tags_reach_every_taggable_child() {
    let fx = fixture();
    let mut h = Harness::start(false).await;
    let tags = json!({"team": "identity", "env": "prod"});
    h.construct(
        "jwks",
        with(json!({
            "tags": tags,
            "cloudFront": {},
            "issuer": "https://issuer.example.com",
            "alarm": {"snsTopicArns": ["arn:aws:sns:us-east-1:123456789012:ops"]},
        })),
    )
    .await
    .expect("construct succeeds");
    let regs = h.registrations();
    assert_valid_children(&regs);
    let mut tagged = 0;
    for child in regs.iter().filter(|r| r.request.custom) {
        let taggable = fx["resources"][&child.request.r#type]["inputs"]
            .as_array()
            .is_some_and(|a| a.contains(&json!("tags")));
        if taggable {
            assert_eq!(child.input("tags"), tags, "{}", child.request.name);
            tagged += 1;
        }
    }
    assert_eq!(
        tagged, 9,
        "bucket, secret, role, log group, function, rule, distribution, alarm, openid object"
    );
}

#[tokio::test]
async fn issuer_publishes_the_openid_configuration() {
    let mut h = Harness::start(false).await;
    h.construct(
        "jwks",
        with(json!({"issuer": "https://issuer.example.com"})),
    )
    .await
    .expect("construct succeeds");
    let regs = h.registrations();
    assert_valid_children(&regs);
    let object = one(&regs, "aws:s3/bucketObjectv2:BucketObjectv2");
    assert_eq!(
        object.input("key"),
        json!(".well-known/openid-configuration")
    );
    assert_eq!(object.input("bucket"), json!("jwks-bucket-a1b2c3d"));
    assert_eq!(object.input("contentType"), json!("application/json"));
    let jwks_url = "https://jwks-bucket-a1b2c3d.s3.us-east-1.amazonaws.com/.well-known/jwks.json";
    // OpenID Connect Discovery 1.0 §3: the REQUIRED members a token signer can fill, with the
    // configured algorithm (the default keySpec of `with`) in the signing algorithm list.
    let algorithm = with(json!({}))["keySpec"]["algorithm"].clone();
    assert!(
        algorithm.is_string(),
        "the default inputs name an algorithm"
    );
    assert_eq!(
        object.document("content"),
        json!({
            "issuer": "https://issuer.example.com",
            "jwks_uri": jwks_url,
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [algorithm],
        })
    );
    // The list names the configured algorithm, `Ed25519` and `EdDSA` as given.
    for alg in ["RS256", "PS384", "ES512", "EdDSA", "Ed25519"] {
        let mut h = Harness::start(false).await;
        h.construct(
            "jwks",
            with(json!({"issuer": "https://issuer.example.com", "keySpec": {"algorithm": alg}})),
        )
        .await
        .expect("construct succeeds");
        let regs = h.registrations();
        let doc = one(&regs, "aws:s3/bucketObjectv2:BucketObjectv2").document("content");
        assert_eq!(
            doc["id_token_signing_alg_values_supported"],
            json!([alg]),
            "{alg}"
        );
    }
    let policy = one(&regs, "aws:s3/bucketPolicy:BucketPolicy").document("policy");
    let public = statements(&policy)
        .into_iter()
        .find(|s| s["Effect"] == "Allow")
        .expect("public read");
    assert_eq!(
        resources(&public),
        vec![
            "arn:aws:s3:::jwks-bucket-a1b2c3d/.well-known/jwks.json".to_string(),
            "arn:aws:s3:::jwks-bucket-a1b2c3d/.well-known/openid-configuration".to_string()
        ]
    );
    assert_eq!(
        outputs_json(&h)["openIdConfigurationUrl"],
        json!(
            "https://jwks-bucket-a1b2c3d.s3.us-east-1.amazonaws.com/.well-known/openid-configuration"
        )
    );
}

/// Whether an IAM resource pattern (`*` any run, `?` one character) matches `arn`.
fn iam_matches(pattern: &str, arn: &str) -> bool {
    fn go(p: &[char], a: &[char]) -> bool {
        match (p.first(), a.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], a) || (!a.is_empty() && go(p, &a[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &a[1..]),
            (Some(x), Some(y)) if x == y => go(&p[1..], &a[1..]),
            _ => false,
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let a: Vec<char> = arn.chars().collect();
    go(&p, &a)
}

/// The Allow statements of a policy (document or statements array) whose resources match `arn`.
fn allows(policy: &Json, arn: &str) -> Vec<Json> {
    let list = match policy {
        Json::Array(a) => a.clone(),
        other => statements(other),
    };
    list.into_iter()
        .filter(|s| s["Effect"] == "Allow" && resources(s).iter().any(|r| iam_matches(r, arn)))
        .collect()
}

#[test]
fn iam_patterns_match_like_iam() {
    assert!(iam_matches(
        "arn:aws:s3:::b/*",
        "arn:aws:s3:::b/.jwks-rotation/x"
    ));
    assert!(iam_matches("arn:aws:s3:::b/a?c", "arn:aws:s3:::b/abc"));
    assert!(!iam_matches(
        "arn:aws:s3:::b/jwks.json",
        "arn:aws:s3:::b/jwks.json.x"
    ));
}

#[tokio::test]
async fn the_private_registry_is_granted_to_the_lambda_only() {
    let cases = [
        (
            json!({"cloudFront": {}, "publicRead": true, "issuer": "https://issuer.example.com"}),
            "jwks-bucket-a1b2c3d",
        ),
        (json!({"publicRead": true}), "jwks-bucket-a1b2c3d"),
        (
            json!({"bucket": "my-existing-bucket", "cloudFront": {}, "publicRead": true}),
            "my-existing-bucket",
        ),
    ];
    for (patch, bucket) in cases {
        let mut h = Harness::start(false).await;
        h.construct("jwks", with(patch.clone()))
            .await
            .expect("construct succeeds");
        let regs = h.registrations();
        assert_valid_children(&regs);
        let jwks = format!("arn:aws:s3:::{bucket}/.well-known/jwks.json");
        let registry =
            format!("arn:aws:s3:::{bucket}/.jwks-rotation/.well-known/jwks.json.registry.json");

        // The Lambda reads and writes it, and may list exactly the two keys.
        let role = one(&regs, "aws:iam/rolePolicy:RolePolicy").document("policy");
        let grants = allows(&role, &registry);
        assert_eq!(grants.len(), 1, "{patch}: {role}");
        assert_eq!(grants[0]["Action"], json!(["s3:GetObject", "s3:PutObject"]));
        let list = statements(&role)
            .into_iter()
            .find(|s| s["Action"] == "s3:ListBucket")
            .expect("a ListBucket statement");
        assert_eq!(
            list["Condition"]["StringEquals"]["s3:prefix"],
            json!([
                ".well-known/jwks.json",
                ".jwks-rotation/.well-known/jwks.json.registry.json"
            ])
        );

        // Nobody else: not the bucket policy, not the statements to merge, not CloudFront.
        let out = outputs_json(&h);
        let merge: Json =
            serde_json::from_str(out["bucketPolicyStatements"].as_str().unwrap_or(""))
                .unwrap_or_default();
        let mut policies = vec![merge];
        if bucket != "my-existing-bucket" {
            policies.push(one(&regs, "aws:s3/bucketPolicy:BucketPolicy").document("policy"));
        }
        for policy in &policies {
            assert!(
                !allows(policy, &jwks).is_empty(),
                "{patch}: the JWKS is readable: {policy}"
            );
            assert!(
                allows(policy, &registry).is_empty(),
                "{patch}: the registry must never be granted: {policy}"
            );
            assert!(!policy.to_string().contains(".jwks-rotation"), "{policy}");
        }
    }
}

#[tokio::test]
async fn an_existing_dotted_bucket_gets_a_path_style_jwks_url() {
    let mut h = Harness::start(false).await;
    h.construct(
        "jwks",
        with(json!({"bucket": "jwks.example.com", "issuer": "https://issuer.example.com"})),
    )
    .await
    .expect("construct succeeds");
    let regs = h.registrations();
    assert_valid_children(&regs);
    let out = outputs_json(&h);
    // The region is the deployment's, from the secret ARN (us-east-1 in the stand-in).
    let url = "https://s3.us-east-1.amazonaws.com/jwks.example.com/.well-known/jwks.json";
    assert_eq!(out["jwksUrl"], json!(url));
    assert_eq!(
        out["openIdConfigurationUrl"],
        json!(
            "https://s3.us-east-1.amazonaws.com/jwks.example.com/.well-known/openid-configuration"
        )
    );
    let object = one(&regs, "aws:s3/bucketObjectv2:BucketObjectv2");
    assert_eq!(object.document("content")["jwks_uri"], json!(url));
    // A dot-free existing bucket keeps the virtual-hosted URL.
    let mut plain = Harness::start(false).await;
    plain
        .construct("jwks", with(json!({"bucket": "jwks-example-com"})))
        .await
        .expect("construct succeeds");
    assert_eq!(
        outputs_json(&plain)["jwksUrl"],
        json!("https://jwks-example-com.s3.amazonaws.com/.well-known/jwks.json")
    );
}

#[tokio::test]
async fn the_function_is_sized_for_its_key_generation() {
    for (spec, memory) in [
        (json!({"algorithm": "ES256"}), 256.0),
        (json!({"algorithm": "RS256"}), 256.0),
        (json!({"algorithm": "PS384", "modulusLength": 3072}), 512.0),
        (json!({"algorithm": "RS512", "modulusLength": 4096}), 1024.0),
    ] {
        let mut h = Harness::start(false).await;
        h.construct("jwks", with(json!({"keySpec": spec.clone()})))
            .await
            .expect("construct succeeds");
        let regs = h.registrations();
        assert_valid_children(&regs);
        let function = one(&regs, "aws:lambda/function:Function");
        assert_eq!(function.input("memorySize"), json!(memory), "{spec}");
        assert_eq!(function.input("timeout"), json!(120.0), "{spec}");
    }
    let mut preview = Harness::start(true).await;
    preview
        .construct("jwks", with(json!({"keySpec": {"algorithm": UNKNOWN}})))
        .await
        .expect("preview succeeds");
    let function = one(&preview.registrations(), "aws:lambda/function:Function").clone();
    assert_eq!(
        function.input("memorySize"),
        json!("3eeb2bf0-c639-47a8-9e75-3b44932eb421")
    );
}

#[tokio::test]
async fn reserved_concurrency_is_set_only_when_given() {
    let mut h = Harness::start(false).await;
    h.construct("jwks", with(json!({"reservedConcurrency": 1})))
        .await
        .expect("construct succeeds");
    let regs = h.registrations();
    assert_valid_children(&regs);
    let function = one(&regs, "aws:lambda/function:Function");
    assert_eq!(function.input("reservedConcurrentExecutions"), json!(1.0));

    let mut plain = Harness::start(false).await;
    plain
        .construct("jwks", minimal())
        .await
        .expect("construct succeeds");
    let function = one(&plain.registrations(), "aws:lambda/function:Function").clone();
    assert!(
        function.input("reservedConcurrentExecutions").is_null(),
        "not set by default: {}",
        function.inputs
    );

    let mut preview = Harness::start(true).await;
    preview
        .construct("jwks", with(json!({"reservedConcurrency": UNKNOWN})))
        .await
        .expect("preview succeeds");
    let regs = preview.registrations();
    assert_valid_children(&regs);
    assert_eq!(
        one(&regs, "aws:lambda/function:Function").input("reservedConcurrentExecutions"),
        json!("3eeb2bf0-c639-47a8-9e75-3b44932eb421"),
        "an unknown number in preview"
    );
}

fn registration(ty: &str, inputs: Json) -> Registration {
    Registration {
        request: pulumi_gestalt_proto::pulumi::pulumirpc::RegisterResourceRequest {
            r#type: ty.into(),
            name: "probe".into(),
            custom: true,
            ..Default::default()
        },
        urn: String::new(),
        inputs,
    }
}

#[test]
fn the_fixture_check_refuses_what_pulumi_aws_would() {
    let fx = fixture();
    let ok = registration(
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        json!({"bucket": "b", "rule": {"objectOwnership": "BucketOwnerEnforced"}}),
    );
    assert!(check_against_fixture(&fx, &ok).is_empty());
    for (ty, inputs, problem) in [
        ("aws:s3/bucketV2:BucketV2", json!({}), "deprecated"),
        (
            "aws:s3/bucketCorsConfigurationV2:BucketCorsConfigurationV2",
            json!({"bucket": "b", "corsRules": []}),
            "deprecated",
        ),
        (
            "aws:s3/nothing:Nothing",
            json!({}),
            "not a pulumi-aws type token",
        ),
        (
            "aws:s3/bucketPolicy:BucketPolicy",
            json!({"bucket": "b"}),
            "missing required input `policy`",
        ),
        (
            "aws:s3/bucket:Bucket",
            json!({"bucketName": "b"}),
            "unknown input `bucketName`",
        ),
        (
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
            json!({"bucket": "b", "rule": {"ownership": "BucketOwnerEnforced"}}),
            "unknown field `ownership`",
        ),
        (
            "aws:cloudfront/distribution:Distribution",
            json!({"enabled": true, "origins": [{"domainName": "d"}], "defaultCacheBehavior": {}, "restrictions": {}, "viewerCertificate": {}}),
            "missing required field `originId`",
        ),
    ] {
        let problems = check_against_fixture(&fx, &registration(ty, inputs));
        assert!(
            problems.iter().any(|p| p.contains(problem)),
            "{ty}: expected `{problem}` in {problems:?}"
        );
    }
}
