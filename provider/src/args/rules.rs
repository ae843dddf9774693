//! Rules for inputs the shared core does not know: bucket names, KMS key ARNs, issuer URLs.

use crate::error::ProviderError;

/// S3 bucket naming rules (general purpose buckets).
pub(super) fn validate_bucket_name(input: &str, name: &str) -> Result<(), ProviderError> {
    let fail = |rule: &str| Err(ProviderError::invalid(input, name, rule));
    if !(3..=63).contains(&name.len()) {
        return fail("S3 bucket names are 3 to 63 characters");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
    {
        return fail(
            "S3 bucket names use lowercase letters, digits, `.` and `-` only (give the name, not an ARN or URL)",
        );
    }
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !edge_ok(name.chars().next()) || !edge_ok(name.chars().last()) {
        return fail("S3 bucket names begin and end with a letter or digit");
    }
    if name.contains("..") {
        return fail("S3 bucket names must not contain `..`");
    }
    Ok(())
}

/// A bucket the component creates must not have a dot in its name: the `jwksUrl` of a created
/// bucket is virtual-hosted (`https://<bucket>.s3.<region>.amazonaws.com/...`), and S3's
/// certificate (`*.s3.<region>.amazonaws.com`) matches a single label, so verifiers would fail
/// TLS verification on a dotted name. (An existing dotted `bucket` gets a path-style URL.)
pub(super) fn validate_created_bucket_name(name: &str) -> Result<(), ProviderError> {
    if name.contains('.') {
        return Err(ProviderError::invalid(
            "bucketName",
            name,
            "must not contain `.`: the jwksUrl names the bucket in its host (`https://<bucketName>.s3.<region>.amazonaws.com/...`) and S3's TLS certificate `*.s3.<region>.amazonaws.com` covers one label only, so every verifier would fail TLS verification; use `-` instead",
        ));
    }
    Ok(())
}

pub(super) fn validate_kms_key_arn(arn: &str) -> Result<(), ProviderError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[2] == "kms"
        && !parts[3].is_empty()
        && !parts[4].is_empty()
        && parts[5]
            .strip_prefix("key/")
            .is_some_and(|id| !id.is_empty());
    if ok {
        Ok(())
    } else {
        Err(ProviderError::invalid(
            "kmsKeyId",
            arn,
            "must be a KMS key ARN (`arn:aws:kms:<region>:<account>:key/<key-id>`), so the rotation Lambda's policy can name the key",
        ))
    }
}

pub(super) fn validate_issuer(issuer: &str) -> Result<(), ProviderError> {
    let rest = issuer.strip_prefix("https://");
    let ok = rest.is_some_and(|r| {
        !r.is_empty()
            && !r.starts_with('/')
            && !r.contains(['?', '#', ' '])
            && !r.chars().any(char::is_control)
    });
    if ok {
        Ok(())
    } else {
        Err(ProviderError::invalid(
            "issuer",
            issuer,
            "must be an https URL without query or fragment (OpenID Connect Discovery 1.0 §3)",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names() {
        assert!(validate_bucket_name("bucketName", "my-jwks.bucket-1").is_ok());
        assert!(validate_created_bucket_name("my-jwks-bucket-1").is_ok());
        assert!(
            validate_created_bucket_name("my-jwks.bucket-1")
                .unwrap_err()
                .to_string()
                .contains("must not contain `.`")
        );
        for bad in ["ab", "My-Bucket", "arn:aws:s3:::b", "-abc", "a..b"] {
            assert!(validate_bucket_name("bucketName", bad).is_err(), "{bad}");
        }
    }
}
