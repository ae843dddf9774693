//! The bucket the component creates (unless `bucket` names an existing one): the bucket with
//! force-destroy, ownership controls (ACLs off), a public access block that allows only the
//! bucket policy's grants, CORS for GET, and the bucket policy.

use crate::error::ProviderError;
use crate::monitor::{Child, Registered};
use crate::wire::{self, Str, boolean, object, string, strings};

use super::{Ctx, policy};

/// The bucket.
pub async fn bucket(ctx: &Ctx<'_>) -> Result<Registered, ProviderError> {
    let mut fields = vec![("forceDestroy", boolean(true))];
    if let Some(name) = &ctx.args.bucket_name {
        fields.push(("bucket", name.to_wire()));
    }
    ctx.monitor
        .register(Child::new(
            "aws:s3/bucket:Bucket",
            ctx.child_name("bucket"),
            ctx.with_tags(fields),
        ))
        .await
}

/// Ownership controls, public access block and CORS; returns the public access block, which
/// the bucket policy must follow (a public policy is refused while the block forbids it).
pub async fn controls(ctx: &Ctx<'_>, bucket: &Registered) -> Result<Registered, ProviderError> {
    let name = bucket.out("bucket").to_wire();
    let ownership = Child::new(
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        ctx.child_name("bucket-ownership"),
        wire::structure([
            ("bucket", name.clone()),
            (
                "rule",
                object([("objectOwnership", string("BucketOwnerEnforced"))]),
            ),
        ]),
    )
    .after(&[bucket]);
    let public = match ctx.args.public_read.known() {
        Some(p) => boolean(!*p),
        None => string(wire::UNKNOWN_BOOL),
    };
    let access_block = Child::new(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        ctx.child_name("bucket-public-access"),
        wire::structure([
            ("bucket", name.clone()),
            ("blockPublicAcls", boolean(true)),
            ("ignorePublicAcls", boolean(true)),
            ("blockPublicPolicy", public.clone()),
            ("restrictPublicBuckets", public),
        ]),
    )
    .after(&[bucket]);
    let cors = Child::new(
        "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration",
        ctx.child_name("bucket-cors"),
        wire::structure([
            ("bucket", name),
            (
                "corsRules",
                wire::list(vec![object([
                    ("allowedMethods", strings(&["GET", "HEAD"])),
                    ("allowedOrigins", strings(&["*"])),
                    ("maxAgeSeconds", wire::number(3600.0)),
                ])]),
            ),
        ]),
    )
    .after(&[bucket]);
    let (_, block, _) = tokio::try_join!(
        ctx.monitor.register(ownership),
        ctx.monitor.register(access_block),
        ctx.monitor.register(cors),
    )?;
    Ok(block)
}

/// The bucket policy: deny non-TLS access, allow reading the published objects only.
pub async fn policy(
    ctx: &Ctx<'_>,
    (bucket, access_block): (&Registered, &Registered),
    distribution: Option<&Registered>,
    secret: &Registered,
    statements: &Str,
) -> Result<Registered, ProviderError> {
    let mut after = vec![bucket, access_block, secret];
    after.extend(distribution);
    ctx.monitor
        .register(
            Child::new(
                "aws:s3/bucketPolicy:BucketPolicy",
                ctx.child_name("bucket-policy"),
                wire::structure([
                    ("bucket", bucket.out("bucket").to_wire()),
                    (
                        "policy",
                        policy::policy_from_statements(statements).to_wire(),
                    ),
                ]),
            )
            .after(&after),
        )
        .await
}
