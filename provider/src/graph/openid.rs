//! The optional OpenID configuration document (`issuer`), published like the JWKS.

use crate::error::ProviderError;
use crate::monitor::{Child, Registered};
use crate::wire::{Str, string};

use super::{Ctx, OPENID_CONFIGURATION_KEY};

/// Content type of the OpenID configuration.
pub const OPENID_CONTENT_TYPE: &str = "application/json";

/// The document: `issuer` and `jwks_uri`.
pub fn document(issuer: &Str, jwks_url: &Str) -> Str {
    Str::combine(&[issuer, jwks_url], |v| {
        serde_json::json!({"issuer": v[0], "jwks_uri": v[1]}).to_string()
    })
}

/// The object.
pub async fn configuration(
    ctx: &Ctx<'_>,
    issuer: &Str,
    bucket_name: &Str,
    bucket: Option<&Registered>,
    jwks_url: &Str,
    distribution: Option<&Registered>,
) -> Result<Registered, ProviderError> {
    let mut after: Vec<&Registered> = bucket.into_iter().collect();
    after.extend(distribution);
    ctx.monitor
        .register(
            Child::new(
                "aws:s3/bucketObjectv2:BucketObjectv2",
                ctx.child_name("openid-configuration"),
                ctx.with_tags([
                    ("bucket", bucket_name.to_wire()),
                    ("key", string(OPENID_CONFIGURATION_KEY)),
                    ("content", document(issuer, jwks_url).to_wire()),
                    ("contentType", string(OPENID_CONTENT_TYPE)),
                    ("cacheControl", ctx.args.cache_control.to_wire()),
                ]),
            )
            .after(&after),
        )
        .await
}
