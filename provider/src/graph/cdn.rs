//! The optional CloudFront distribution with origin access control (`cloudFront`).

use crate::args::{CloudFrontArgs, In};
use crate::error::ProviderError;
use crate::monitor::{Child, Registered};
use crate::wire::{self, Str, boolean, list, object, string, strings};

use super::Ctx;

/// Managed cache policy `CachingOptimized`: honors the origin's Cache-Control.
pub const CACHING_OPTIMIZED_POLICY_ID: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
const ORIGIN_ID: &str = "jwks-bucket";

/// The origin access control (SigV4-signed requests from CloudFront to S3).
pub async fn origin_access_control(ctx: &Ctx<'_>) -> Result<Registered, ProviderError> {
    ctx.monitor
        .register(Child::new(
            "aws:cloudfront/originAccessControl:OriginAccessControl",
            ctx.child_name("oac"),
            wire::structure([
                ("originAccessControlOriginType", string("s3")),
                ("signingBehavior", string("always")),
                ("signingProtocol", string("sigv4")),
                (
                    "description",
                    string("jwks-rotation: CloudFront reads the published JWKS"),
                ),
            ]),
        ))
        .await
}

/// The distribution.
pub async fn distribution(
    ctx: &Ctx<'_>,
    (cf, oac): (&CloudFrontArgs, &Registered),
    regional_domain: &Str,
    bucket: Option<&Registered>,
) -> Result<Registered, ProviderError> {
    let viewer_certificate = match &cf.acm_certificate_arn {
        Some(arn) => object([
            ("acmCertificateArn", arn.to_wire()),
            ("sslSupportMethod", string("sni-only")),
            ("minimumProtocolVersion", string("TLSv1.2_2021")),
        ]),
        None => object([("cloudfrontDefaultCertificate", boolean(true))]),
    };
    let aliases = match &cf.aliases {
        In::Known(list) => wire::list(list.iter().map(Str::to_wire).collect()),
        In::Unknown => string(wire::UNKNOWN_ARRAY),
    };
    let mut after = vec![oac];
    after.extend(bucket);
    ctx.monitor
        .register(
            Child::new(
                "aws:cloudfront/distribution:Distribution",
                ctx.child_name("cdn"),
                ctx.with_tags([
                    ("enabled", boolean(true)),
                    ("comment", string("jwks-rotation JWKS")),
                    ("priceClass", cf.price_class.to_wire()),
                    ("aliases", aliases),
                    ("httpVersion", string("http2and3")),
                    (
                        "origins",
                        list(vec![object([
                            ("domainName", regional_domain.to_wire()),
                            ("originId", string(ORIGIN_ID)),
                            ("originAccessControlId", oac.id.to_wire()),
                        ])]),
                    ),
                    (
                        "defaultCacheBehavior",
                        object([
                            ("targetOriginId", string(ORIGIN_ID)),
                            ("viewerProtocolPolicy", string("redirect-to-https")),
                            ("allowedMethods", strings(&["GET", "HEAD", "OPTIONS"])),
                            ("cachedMethods", strings(&["GET", "HEAD"])),
                            ("cachePolicyId", string(CACHING_OPTIMIZED_POLICY_ID)),
                            ("compress", boolean(true)),
                        ]),
                    ),
                    (
                        "restrictions",
                        object([(
                            "geoRestriction",
                            object([("restrictionType", string("none"))]),
                        )]),
                    ),
                    ("viewerCertificate", viewer_certificate),
                ]),
            )
            .after(&after),
        )
        .await
}
