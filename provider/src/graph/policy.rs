//! IAM policy documents, built from values that may be unknown during preview. Each grant names
//! this component's secret and published objects only.

use jwks_rotation_core::config::registry_key_for;
use serde_json::{Value as Json, json};

use crate::wire::Str;

/// Staging label issuers may read.
pub const SIGNING_STAGE: &str = "AWSCURRENT";

/// The partition of an ARN (`aws`, `aws-cn`, `aws-us-gov`), `aws` if it cannot be read.
pub fn partition(arn: &str) -> &str {
    arn.split(':')
        .nth(1)
        .filter(|p| !p.is_empty())
        .unwrap_or("aws")
}

fn object_arn(partition: &str, bucket: &str, key: &str) -> String {
    format!("arn:{partition}:s3:::{bucket}/{key}")
}

fn document(statements: Vec<Json>) -> String {
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

/// The rotation Lambda's inline policy: rotate this secret, read and write the JWKS object and
/// its private key registry (`.jwks-rotation/<key>.registry.json`, [`registry_key_for`]), list
/// the bucket for those two keys only (so a missing object is a 404 rather than a 403), write its
/// own log streams, and use the customer KMS key for this secret only.
pub fn lambda_policy(
    secret_arn: &Str,
    bucket: &Str,
    object_key: &Str,
    log_group_arn: &Str,
    kms_key_arn: Option<&Str>,
) -> Str {
    let mut parts = vec![secret_arn, bucket, object_key, log_group_arn];
    if let Some(k) = kms_key_arn {
        parts.push(k);
    }
    Str::combine(&parts, |v| {
        let (secret, bucket, key, logs) = (v[0], v[1], v[2], v[3]);
        let p = partition(secret);
        let registry = registry_key_for(key);
        let mut statements = vec![
            json!({
                "Sid": "RotateThisSecret",
                "Effect": "Allow",
                "Action": [
                    "secretsmanager:DescribeSecret",
                    "secretsmanager:GetSecretValue",
                    "secretsmanager:PutSecretValue",
                    "secretsmanager:UpdateSecretVersionStage"
                ],
                "Resource": secret
            }),
            json!({
                "Sid": "PublishJwks",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": object_arn(p, bucket, key)
            }),
            json!({
                "Sid": "KeepPrivateKeyRegistry",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": object_arn(p, bucket, &registry)
            }),
            json!({
                "Sid": "SeeOwnKeysOnly",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": format!("arn:{p}:s3:::{bucket}"),
                "Condition": {"StringEquals": {"s3:prefix": [key, registry.as_str()]}}
            }),
            json!({
                "Sid": "WriteOwnLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": format!("{logs}:*")
            }),
        ];
        if let Some(kms) = v.get(4) {
            statements.push(json!({
                "Sid": "UseSecretKmsKey",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": kms,
                "Condition": {"StringEquals": {"kms:EncryptionContext:SecretARN": secret}}
            }));
        }
        document(statements)
    })
}

/// The trust policy of the Lambda's role.
pub fn lambda_trust_policy() -> String {
    document(vec![json!({
        "Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole"
    })])
}

/// The policy for token issuers: the AWSCURRENT version of this secret only.
pub fn issuer_policy(secret_arn: &Str, kms_key_arn: Option<&Str>) -> Str {
    let mut parts = vec![secret_arn];
    if let Some(k) = kms_key_arn {
        parts.push(k);
    }
    Str::combine(&parts, |v| {
        let mut statements = vec![json!({
            "Sid": "ReadSigningKeyOnly",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": v[0],
            "Condition": {"StringEquals": {"secretsmanager:VersionStage": SIGNING_STAGE}}
        })];
        if let Some(kms) = v.get(1) {
            statements.push(json!({
                "Sid": "DecryptSigningKey",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": kms,
                "Condition": {"StringEquals": {"kms:EncryptionContext:SecretARN": v[0]}}
            }));
        }
        document(statements)
    })
}

/// Who may read the published objects.
#[derive(Debug, Clone)]
pub struct Readers<'a> {
    /// Anonymous GET (`publicRead`); `None` when unknown.
    pub public: Option<bool>,
    /// The CloudFront distribution ARN, with `cloudFront`.
    pub distribution_arn: Option<&'a Str>,
}

/// The bucket policy statements (a JSON array): deny non-TLS access to the bucket, and allow
/// reading the published objects (never the whole bucket) to the anonymous public and/or the
/// CloudFront distribution. The private key registry is never among them: its key is under
/// `.jwks-rotation/`, where `bucketPath` may not point, and no statement names a wildcard.
pub fn bucket_statements(
    bucket: &Str,
    published_keys: &[&Str],
    readers: &Readers<'_>,
    partition_hint: &Str,
) -> Str {
    let Some(public) = readers.public else {
        return Str {
            value: None,
            secret: false,
        };
    };
    let mut parts = vec![bucket, partition_hint];
    parts.extend(published_keys.iter().copied());
    if let Some(d) = readers.distribution_arn {
        parts.push(d);
    }
    let keys = published_keys.len();
    let has_cdn = readers.distribution_arn.is_some();
    Str::combine(&parts, |v| {
        let bucket = v[0];
        let p = partition(v[1]);
        let objects: Vec<String> = v[2..2 + keys]
            .iter()
            .map(|k| object_arn(p, bucket, k))
            .collect();
        let bucket_arn = format!("arn:{p}:s3:::{bucket}");
        let mut statements = vec![json!({
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn.clone(), format!("{bucket_arn}/*")],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}
        })];
        if public {
            statements.push(json!({
                "Sid": "PublicReadPublishedObjects",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": objects.clone()
            }));
        }
        if has_cdn {
            statements.push(json!({
                "Sid": "CloudFrontReadPublishedObjects",
                "Effect": "Allow",
                "Principal": {"Service": "cloudfront.amazonaws.com"},
                "Action": "s3:GetObject",
                "Resource": objects,
                "Condition": {"StringEquals": {"AWS:SourceArn": v[2 + keys]}}
            }));
        }
        Json::Array(statements).to_string()
    })
}

/// A policy document from a statements array.
pub fn policy_from_statements(statements: &Str) -> Str {
    statements.map(|s| format!(r#"{{"Version":"2012-10-17","Statement":{s}}}"#))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_policy_reads_awscurrent_only() {
        let p = issuer_policy(
            &Str::known("arn:aws:secretsmanager:eu-west-1:1:secret:s-AbC"),
            None,
        );
        let j: Json = serde_json::from_str(p.value.as_deref().unwrap_or("")).unwrap_or_default();
        assert_eq!(
            j["Statement"][0]["Condition"]["StringEquals"]["secretsmanager:VersionStage"],
            "AWSCURRENT"
        );
        assert_eq!(j["Statement"].as_array().map(Vec::len), Some(1));
    }

    #[test]
    fn unknown_parts_make_the_document_unknown() {
        let p = lambda_policy(
            &Str::unknown(),
            &Str::known("b"),
            &Str::known("k"),
            &Str::known("arn:aws:logs:x"),
            None,
        );
        assert_eq!(p.value, None);
        let s = bucket_statements(
            &Str::known("b"),
            &[&Str::known("k")],
            &Readers {
                public: None,
                distribution_arn: None,
            },
            &Str::known("arn:aws:x"),
        );
        assert_eq!(s.value, None);
    }

    #[test]
    fn the_lambda_keeps_its_registry_and_nobody_else_reads_it() {
        let key = ".well-known/jwks.json";
        let registry = registry_key_for(key);
        let lambda: Json = serde_json::from_str(
            lambda_policy(
                &Str::known("arn:aws:secretsmanager:eu-west-1:1:secret:s-AbC"),
                &Str::known("b"),
                &Str::known(key),
                &Str::known("arn:aws:logs:eu-west-1:1:log-group:g"),
                None,
            )
            .value
            .as_deref()
            .unwrap_or(""),
        )
        .unwrap_or_default();
        let text = lambda.to_string();
        assert!(
            text.contains(&format!("arn:aws:s3:::b/{registry}")),
            "{text}"
        );
        let list = lambda["Statement"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|s| s["Action"] == "s3:ListBucket")
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            list["Condition"]["StringEquals"]["s3:prefix"],
            json!([key, registry])
        );
        for public in [Some(true), Some(false)] {
            let dist = Str::known("arn:aws:cloudfront::1:distribution/E1");
            let s = bucket_statements(
                &Str::known("b"),
                &[
                    &Str::known(key),
                    &Str::known(".well-known/openid-configuration"),
                ],
                &Readers {
                    public,
                    distribution_arn: Some(&dist),
                },
                &Str::known("arn:aws:x"),
            );
            let text = s.value.unwrap_or_default();
            assert!(!text.contains(".jwks-rotation"), "{text}");
            let statements: Json = serde_json::from_str(&text).unwrap_or_default();
            for st in statements.as_array().into_iter().flatten() {
                if st["Effect"] == "Allow" {
                    for r in st["Resource"].as_array().into_iter().flatten() {
                        let r = r.as_str().unwrap_or("*");
                        assert!(!r.contains(['*', '?']), "a wildcard grant: {r}");
                    }
                }
            }
        }
    }

    #[test]
    fn partitions() {
        assert_eq!(partition("arn:aws-cn:secretsmanager:x"), "aws-cn");
        assert_eq!(partition("nonsense"), "aws");
    }
}
