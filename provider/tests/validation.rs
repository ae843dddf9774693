//! Every validation rule, through the binary: `Construct` answers InvalidArgument with a message
//! naming the input, the value and the rule, and registers nothing.

mod harness;

use harness::*;
use serde_json::{Value as Json, json};
use tonic::Code;

/// (inputs, fragments the message must contain)
fn cases() -> Vec<(Json, Vec<&'static str>)> {
    vec![
        (
            with(json!({"secretName": null})),
            vec!["secretName is required"],
        ),
        (
            with(json!({"secretName": "bad name"})),
            vec!["secretName `bad name` is not allowed", "contains ` `"],
        ),
        (
            with(json!({"secretName": "x".repeat(513)})),
            vec!["secretName `xxx", "1 to 512 characters"],
        ),
        (with(json!({"keySpec": null})), vec!["keySpec is required"]),
        (
            with(json!({"keySpec": {"algorithm": "HS256"}})),
            vec!["keySpec.algorithm `HS256` is not supported", "use one of"],
        ),
        (
            with(json!({"keySpec": {"algorithm": "ES256", "crv": "P-384"}})),
            vec![
                "keySpec.crv `P-384` does not match keySpec.algorithm `ES256`",
                "requires P-256",
            ],
        ),
        (
            with(json!({"keySpec": {"algorithm": "EdDSA", "crv": "P-256"}})),
            vec!["keySpec.crv `P-256`", "EdDSA"],
        ),
        (
            with(json!({"keySpec": {"algorithm": "Ed25519", "crv": "P-256"}})),
            vec![
                "keySpec.crv `P-256` does not match keySpec.algorithm `Ed25519`",
                "requires Ed25519",
            ],
        ),
        (
            with(json!({"verifiers": ["lambdaAuthorizer"]})),
            vec![
                "verifiers `lambdaAuthorizer` is not allowed",
                "`apiGatewayHttpApi`, `apiGatewayRestApi`, `alb`",
            ],
        ),
        (
            with(json!({"verifiers": ["alb"], "keySpec": {"algorithm": "ES256"}})),
            vec![
                "verifiers `alb` is not allowed",
                "keySpec.algorithm `ES256`",
                "RS256 only",
            ],
        ),
        (
            with(json!({
                "verifiers": ["alb"],
                "keySpec": {"algorithm": "RS256"},
                "maxTokenValidityDuration": "63d",
                "rotationInterval": "8d",
            })),
            vec![
                "verifiers `alb` is not allowed",
                "up to 11 keys",
                "at most 10",
            ],
        ),
        (
            with(json!({
                "verifiers": ["apiGatewayHttpApi"],
                "keySpec": {"algorithm": "Ed25519"},
                "issuer": "https://issuer.example.com",
            })),
            vec![
                "verifiers `apiGatewayHttpApi` is not allowed",
                "keySpec.algorithm `Ed25519`",
                "only RSA-based algorithms",
            ],
        ),
        (
            with(json!({"verifiers": ["apiGatewayRestApi"], "keySpec": {"algorithm": "ES256"}})),
            vec![
                "verifiers `apiGatewayRestApi` is not allowed",
                "needs `issuer`",
            ],
        ),
        (
            with(json!({"keySpec": {"algorithm": "RS256", "modulusLength": 1024}})),
            vec!["keySpec.modulusLength `1024` is not allowed", "2048"],
        ),
        (
            with(json!({"keySpec": {"algorithm": "RS256", "modulusLength": 32768}})),
            vec!["keySpec.modulusLength `32768` is not allowed", "16384"],
        ),
        (
            with(json!({"keySpec": {"algorithm": "RS256", "modulusLength": 8192}})),
            vec![
                "keySpec.modulusLength `8192` is not allowed",
                "at most 4096 bits",
                "ES384, ES512",
            ],
        ),
        (
            with(json!({"keySpec": {"algorithm": "RS256", "crv": "P-256"}})),
            vec!["keySpec.crv `P-256` does not apply to keySpec.algorithm `RS256`"],
        ),
        (
            with(json!({"keySpec": {"algorithm": "ES256", "modulusLength": 2048}})),
            vec!["keySpec.modulusLength `2048` does not apply"],
        ),
        (
            with(json!({"keySpec": {"algorithm": "RS256", "size": 2048}})),
            vec!["keySpec.size `2048` is not allowed", "is not an input"],
        ),
        (
            with(json!({"maxTokenValidityDuration": null})),
            vec!["maxTokenValidityDuration is required"],
        ),
        (
            with(json!({"maxTokenValidityDuration": "1 hour"})),
            vec![
                "maxTokenValidityDuration: `1 hour` is not a duration",
                "expected",
            ],
        ),
        (
            with(json!({"maxTokenValidityDuration": "0s"})),
            vec![
                "maxTokenValidityDuration `0s` is not allowed",
                "longer than 0s",
            ],
        ),
        (
            with(json!({"maxTokenValidityDuration": "3650d", "rotationInterval": "30d"})),
            vec![
                "rotationInterval `30d` is not allowed",
                "maxTokenValidityDuration 3650d",
                "up to 124 keys of RS256 2048-bit",
                "at most 100 keys (AWS IAM OIDC federation)",
            ],
        ),
        (
            // 94 keys is under the key bound, but 94 RSA-4096 keys are 75 KB of JWKS.
            with(json!({
                "keySpec": {"algorithm": "RS256", "modulusLength": 4096},
                "maxTokenValidityDuration": "90d",
                "rotationInterval": "1d",
                "minActivationGracePeriod": "12h",
            })),
            vec![
                "rotationInterval `1d` is not allowed",
                "up to 94 keys of RS256 4096-bit, up to 72602 bytes",
                "51200 bytes (Nimbus JOSE+JWT's default",
            ],
        ),
        (
            with(json!({"rotationInterval": "36h"})),
            vec![
                "rotationInterval `36h` is not allowed",
                "whole days from 1 to 1000",
            ],
        ),
        (
            with(json!({"rotationInterval": "3h", "minActivationGracePeriod": "1h"})),
            vec![
                "rotationInterval `3h` is not allowed",
                "whole hours from 4 to 23",
            ],
        ),
        (
            with(json!({"rotationInterval": "5d"})),
            vec![
                "rotationInterval `5d` is not allowed",
                "longer than minActivationGracePeriod (7d)",
            ],
        ),
        (
            with(json!({"minActivationGracePeriod": "soon"})),
            vec!["minActivationGracePeriod: `soon` is not a duration"],
        ),
        (
            with(json!({"cleanupCheckInterval": "90s"})),
            vec!["cleanupCheckInterval `90s` is not allowed", "whole minutes"],
        ),
        (
            with(json!({"minKeyCleanupGracePeriod": "-1h"})),
            vec!["minKeyCleanupGracePeriod: `-1h` is not a duration"],
        ),
        (
            with(json!({"bucketPath": "/jwks.json"})),
            vec![
                "bucketPath `/jwks.json` is not allowed",
                "must not start with `/`",
            ],
        ),
        (
            with(json!({"bucketPath": ""})),
            vec!["bucketPath `` is not allowed: must not be empty"],
        ),
        (
            with(json!({"bucketPath": "keys/*.json"})),
            vec![
                "bucketPath `keys/*.json` is not allowed",
                "`*` is a wildcard in the bucket and IAM policies",
            ],
        ),
        (
            with(json!({"bucketPath": "jwks?.json"})),
            vec![
                "bucketPath `jwks?.json` is not allowed",
                "`?` is a wildcard",
            ],
        ),
        (
            with(json!({"bucketPath": "${aws:username}.json"})),
            vec![
                "bucketPath `${aws:username}.json` is not allowed",
                "`$` starts a variable",
            ],
        ),
        (
            with(json!({"bucketPath": "my keys.json"})),
            vec!["bucketPath `my keys.json` is not allowed", "whitespace"],
        ),
        (
            with(json!({"bucketPath": "keys/../jwks.json"})),
            vec![
                "bucketPath `keys/../jwks.json` is not allowed",
                "`.` or `..` segment",
            ],
        ),
        (
            with(json!({"bucketPath": ".jwks-rotation/jwks.json.registry.json"})),
            vec![
                "bucketPath `.jwks-rotation/jwks.json.registry.json` is not allowed",
                "private key registries",
            ],
        ),
        (
            with(json!({"bucket": "existing-bucket", "bucketName": "new-bucket"})),
            vec![
                "bucketName `new-bucket` is not allowed",
                "conflicts with bucket `existing-bucket`",
            ],
        ),
        (
            with(json!({"bucketName": "My_Bucket"})),
            vec!["bucketName `My_Bucket` is not allowed", "lowercase"],
        ),
        (
            with(json!({"bucket": "arn:aws:s3:::b"})),
            vec!["bucket `arn:aws:s3:::b` is not allowed", "not an ARN"],
        ),
        (
            with(json!({"bucketName": "jwks.example.com"})),
            vec![
                "bucketName `jwks.example.com` is not allowed",
                "must not contain `.`",
                "TLS certificate `*.s3.<region>.amazonaws.com` covers one label only",
            ],
        ),
        (
            with(json!({"cacheControl": "public, max-age=999999999"})),
            vec![
                "cacheControl `public, max-age=999999999` is not allowed",
                "exceeds minActivationGracePeriod",
            ],
        ),
        (
            with(json!({"cacheControl": "public, s-maxage=999999999"})),
            vec![
                "cacheControl `public, s-maxage=999999999` is not allowed",
                "s-maxage=999999999 exceeds minActivationGracePeriod",
            ],
        ),
        (
            with(json!({"cacheControl": "public, max-age"})),
            vec![
                "cacheControl `public, max-age` is not allowed",
                "`max-age` needs a whole number of seconds",
            ],
        ),
        (
            with(json!({"cloudFront": {}, "cacheControl": "public"})),
            vec![
                "cacheControl `public` is not allowed",
                "with cloudFront it needs `max-age=N` or `s-maxage=N`",
                "default TTL of 24 hours",
            ],
        ),
        (
            with(json!({
                "cloudFront": {},
                "minActivationGracePeriod": "1d",
                "rotationInterval": "2d",
                "cacheControl": "public, max-age=43200, s-maxage=50000",
            })),
            vec![
                "cacheControl `public, max-age=43200, s-maxage=50000` is not allowed",
                "93200s exceeds minActivationGracePeriod (1d = 86400s)",
            ],
        ),
        (
            with(json!({"cacheControl": "max-age=abc"})),
            vec![
                "cacheControl `max-age=abc` is not allowed",
                "whole number of seconds",
            ],
        ),
        (
            with(json!({"kidStrategy": "sequential"})),
            vec![
                "kidStrategy `sequential` is not allowed",
                "`random` or `thumbprint`",
            ],
        ),
        (
            with(json!({"lambdaArchitecture": "ppc64"})),
            vec![
                "lambdaArchitecture `ppc64` is not allowed",
                "`x86_64` or `arm64`",
            ],
        ),
        (
            with(json!({"logRetentionInDays": 8})),
            vec![
                "logRetentionInDays `8` is not allowed",
                "CloudWatch Logs accepts",
            ],
        ),
        (
            with(json!({"logRetentionInDays": 7.5})),
            vec!["logRetentionInDays `7.5` is not allowed", "whole number"],
        ),
        (
            with(json!({"kmsKeyId": "alias/my-key"})),
            vec!["kmsKeyId `alias/my-key` is not allowed", "KMS key ARN"],
        ),
        (
            with(json!({"issuer": "http://issuer.example.com"})),
            vec![
                "issuer `http://issuer.example.com` is not allowed",
                "https URL",
            ],
        ),
        (
            with(json!({"alarm": {}})),
            vec!["alarm.snsTopicArns is required"],
        ),
        (
            with(json!({"alarm": {"snsTopicArns": []}})),
            vec!["alarm.snsTopicArns `[]` is not allowed", "at least one"],
        ),
        (
            with(json!({"alarm": {"snsTopicArns": ["ops-topic"]}})),
            vec![
                "alarm.snsTopicArns `ops-topic` is not allowed",
                "SNS topic ARN",
            ],
        ),
        (
            with(
                json!({"alarm": {"snsTopicArns": ["arn:aws:sns:us-east-1:1:t"], "periodSeconds": 45}}),
            ),
            vec!["alarm.periodSeconds `45` is not allowed", "multiple of 60"],
        ),
        (
            with(
                json!({"alarm": {"snsTopicArns": ["arn:aws:sns:us-east-1:1:t"], "evaluationPeriods": 0}}),
            ),
            vec!["alarm.evaluationPeriods `0` is not allowed", "at least 1"],
        ),
        (
            with(json!({"cloudFront": {"aliases": ["jwks.example.com"]}})),
            vec!["cloudFront.aliases", "needs cloudFront.acmCertificateArn"],
        ),
        (
            with(json!({"cloudFront": {"priceClass": "PriceClass_1"}})),
            vec!["cloudFront.priceClass `PriceClass_1` is not allowed"],
        ),
        (
            with(
                json!({"cloudFront": {"acmCertificateArn": "arn:aws:acm:eu-west-1:1:certificate/x"}}),
            ),
            vec!["cloudFront.acmCertificateArn", "us-east-1"],
        ),
        (
            with(json!({"cloudFront": true})),
            vec!["cloudFront `true` is not allowed: must be an object"],
        ),
        (
            with(json!({"publicRead": "yes"})),
            vec!["publicRead `yes` is not allowed: must be a boolean"],
        ),
        (
            with(json!({"tags": {"aws:reserved": "x"}})),
            vec!["tags `aws:reserved` is not allowed"],
        ),
        (
            with(json!({"tags": {"team": 5}})),
            vec!["tags.team `5` is not allowed: must be a string"],
        ),
        (
            with(json!({"reservedConcurrency": 0})),
            vec![
                "reservedConcurrency `0` is not allowed",
                "from 1 to 1000",
                "below its minimum value of [10]",
            ],
        ),
        (
            with(json!({"reservedConcurrency": 1001})),
            vec![
                "reservedConcurrency `1001` is not allowed",
                "from 1 to 1000",
            ],
        ),
        (
            with(json!({"reservedConcurrency": 1.5})),
            vec!["reservedConcurrency `1.5` is not allowed", "whole number"],
        ),
        (
            with(json!({"rotationIntervall": "30d"})),
            vec![
                "rotationIntervall `30d` is not allowed",
                "is not an input of JwksRotation",
            ],
        ),
    ]
}

#[tokio::test]
async fn every_rule_is_refused_with_its_message_before_anything_is_registered() {
    let mut h = Harness::start(false).await;
    let mut failures = Vec::new();
    for (inputs, fragments) in cases() {
        h.clear();
        match h.construct("jwks", inputs.clone()).await {
            Ok(_) => failures.push(format!("accepted: {inputs}")),
            Err(status) => {
                if status.code() != Code::InvalidArgument {
                    failures.push(format!(
                        "{inputs}: code {:?}: {}",
                        status.code(),
                        status.message()
                    ));
                }
                for f in &fragments {
                    if !status.message().contains(f) {
                        failures.push(format!(
                            "{inputs}: message `{}` lacks `{f}`",
                            status.message()
                        ));
                    }
                }
                if !h.registrations().is_empty() {
                    failures.push(format!("{inputs}: registered resources before refusing"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn unknown_values_pass_validation_during_preview() {
    let mut h = Harness::start(true).await;
    for field in [
        "secretName",
        "maxTokenValidityDuration",
        "rotationInterval",
        "bucketPath",
        "cacheControl",
        "kidStrategy",
        "kmsKeyId",
        "issuer",
        "logRetentionInDays",
        "reservedConcurrency",
    ] {
        h.clear();
        h.construct("jwks", with(json!({ field: UNKNOWN })))
            .await
            .unwrap_or_else(|e| panic!("unknown {field} was refused: {}", e.message()));
        assert!(h.registrations().len() > 10, "{field}");
    }
    h.clear();
    h.construct("jwks", with(json!({"keySpec": {"algorithm": UNKNOWN}})))
        .await
        .expect("an unknown algorithm passes during preview");
}

#[tokio::test]
async fn valid_key_specs_are_accepted() {
    let mut h = Harness::start(false).await;
    for spec in [
        json!({"algorithm": "RS512", "modulusLength": 4096}),
        json!({"algorithm": "PS256"}),
        json!({"algorithm": "ES384"}),
        json!({"algorithm": "ES512", "crv": "P-521"}),
        json!({"algorithm": "EdDSA", "crv": "Ed25519"}),
        json!({"algorithm": "Ed25519"}),
        json!({"algorithm": "Ed25519", "crv": "Ed25519"}),
    ] {
        h.clear();
        h.construct("jwks", with(json!({"keySpec": spec.clone()})))
            .await
            .unwrap_or_else(|e| panic!("{spec} was refused: {}", e.message()));
    }
}

#[tokio::test]
async fn a_refused_secret_input_is_not_echoed() {
    let mut h = Harness::start(false).await;
    let secret = json!({SIG: SECRET_SIG, "value": "bad secret name"});
    let err = h
        .construct("jwks", with(json!({"secretName": secret})))
        .await
        .expect_err("refused");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(
        err.message()
            .contains("secretName `[secret]` is not allowed"),
        "{}",
        err.message()
    );
    assert!(
        !err.message().contains("bad secret name"),
        "{}",
        err.message()
    );
    assert!(h.registrations().is_empty());
}

#[tokio::test]
async fn configurations_the_named_verifiers_can_use_are_accepted() {
    let mut h = Harness::start(false).await;
    for inputs in [
        json!({"verifiers": ["alb"], "keySpec": {"algorithm": "RS256"}, "maxTokenValidityDuration": "1d", "rotationInterval": "30d"}),
        json!({"verifiers": ["apiGatewayHttpApi", "apiGatewayRestApi", "alb"], "keySpec": {"algorithm": "RS256"}, "issuer": "https://issuer.example.com"}),
        json!({"verifiers": ["apiGatewayRestApi"], "keySpec": {"algorithm": "ES256"}, "issuer": "https://issuer.example.com"}),
        json!({"verifiers": [], "keySpec": {"algorithm": "Ed25519"}}),
        // A PS* algorithm with an HTTP API authorizer is a warning, not a refusal.
        json!({"verifiers": ["apiGatewayHttpApi"], "keySpec": {"algorithm": "PS256"}, "issuer": "https://issuer.example.com"}),
        // Unknown during preview: checked at the update.
        json!({"verifiers": UNKNOWN, "keySpec": {"algorithm": "ES256"}}),
        json!({"verifiers": ["alb"], "keySpec": {"algorithm": UNKNOWN}}),
    ] {
        h.clear();
        h.construct("jwks", with(inputs.clone()))
            .await
            .unwrap_or_else(|e| panic!("{inputs} was refused: {}", e.message()));
    }
}

#[tokio::test]
async fn a_risky_verifier_combination_is_a_warning_of_the_component() {
    let mut h = Harness::start(false).await;
    h.construct(
        "jwks",
        with(json!({
            "verifiers": ["apiGatewayHttpApi"],
            "keySpec": {"algorithm": "PS256"},
            "issuer": "https://issuer.example.com",
        })),
    )
    .await
    .expect("a warning does not refuse");
    let regs = h.registrations();
    let logs = h.logs();
    assert!(
        logs.iter().any(|l| l.severity == 2
            && l.urn == regs[0].urn
            && l.message.contains("verifiers `apiGatewayHttpApi`")
            && l.message.contains("`PS256`")),
        "a warning names the verifier and the algorithm: {logs:?}"
    );
    // RS256 draws no warning.
    h.clear();
    h.construct(
        "jwks",
        with(json!({
            "verifiers": ["apiGatewayHttpApi"],
            "keySpec": {"algorithm": "RS256"},
            "issuer": "https://issuer.example.com",
        })),
    )
    .await
    .expect("accepted");
    let logs = h.logs();
    assert!(
        !logs.iter().any(|l| l.message.contains("verifiers")),
        "{logs:?}"
    );
}

/// Where each schema enum is used: the input path and how to place a value there.
fn enum_input(enum_token: &str, value: &str) -> Json {
    match enum_token {
        "jwks-rotation:index:Algorithm" => json!({"keySpec": {"algorithm": value}}),
        "jwks-rotation:index:Curve" => {
            let algorithm = match value {
                "P-256" => "ES256",
                "P-384" => "ES384",
                "P-521" => "ES512",
                _ => "EdDSA",
            };
            json!({"keySpec": {"algorithm": algorithm, "crv": value}})
        }
        "jwks-rotation:index:KidStrategy" => json!({"kidStrategy": value}),
        "jwks-rotation:index:LambdaArchitecture" => json!({"lambdaArchitecture": value}),
        "jwks-rotation:index:PriceClass" => json!({"cloudFront": {"priceClass": value}}),
        other => panic!("schema enum {other} has no case here: add one"),
    }
}

/// Every value of every enum in schema.json is accepted by `Construct`, and a value outside an
/// enum is refused by the provider's own validation (an SDK user may pass any string).
#[tokio::test]
async fn schema_enums_match_what_the_provider_accepts() {
    let schema: Json = serde_json::from_str(include_str!("../../schema.json")).expect("schema");
    let enums: Vec<(String, Vec<String>)> = schema["types"]
        .as_object()
        .expect("types")
        .iter()
        .filter_map(|(token, t)| {
            let values = t.get("enum")?.as_array()?;
            let values = values
                .iter()
                .map(|v| v["value"].as_str().expect("string enum").to_string())
                .collect();
            Some((token.clone(), values))
        })
        .collect();
    assert_eq!(enums.len(), 5, "{enums:?}");
    let mut h = Harness::start(false).await;
    for (token, values) in &enums {
        for value in values {
            h.clear();
            h.construct("jwks", with(enum_input(token, value)))
                .await
                .unwrap_or_else(|e| panic!("{token} {value} refused: {}", e.message()));
        }
        h.clear();
        let err = h
            .construct("jwks", with(enum_input(token, "not-a-value")))
            .await
            .expect_err("a value outside the enum is refused");
        assert_eq!(err.code(), Code::InvalidArgument, "{token}");
        assert!(err.message().contains("not-a-value"), "{}", err.message());
    }
}
