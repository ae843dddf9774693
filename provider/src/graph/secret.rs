//! The secret holding the private keys, and its placeholder first version.

use jwks_rotation_core::secret_value::PLACEHOLDER_VALUE;

use crate::error::ProviderError;
use crate::monitor::{Child, Registered};
use crate::wire::{self, Str, string, strings};

use super::Ctx;

/// Staging label of the placeholder version. The first version of a secret gets AWSCURRENT
/// anyway; a label of our own keeps the version from being deprecated once rotation moves
/// AWSCURRENT away, so `pulumi refresh` never finds it gone and recreates it as AWSCURRENT.
pub const INITIAL_STAGE: &str = "JWKS_ROTATION_INITIAL";

/// The secret.
pub async fn secret(ctx: &Ctx<'_>) -> Result<Registered, ProviderError> {
    let mut fields = vec![
        ("name", ctx.args.secret_name.to_wire()),
        (
            "description",
            string("JWT signing keys rotated by jwks-rotation; read the AWSCURRENT stage only"),
        ),
    ];
    if let Some(kms) = &ctx.args.kms_key_id {
        fields.push(("kmsKeyId", kms.to_wire()));
    }
    ctx.monitor
        .register(Child::new(
            "aws:secretsmanager/secret:Secret",
            ctx.child_name("secret"),
            ctx.with_tags(fields),
        ))
        .await
}

/// The placeholder version the first rotation replaces.
pub async fn initial_version(
    ctx: &Ctx<'_>,
    secret: &Registered,
) -> Result<Registered, ProviderError> {
    let placeholder = Str {
        value: Some(PLACEHOLDER_VALUE.to_string()),
        secret: true,
    };
    let mut child = Child::new(
        "aws:secretsmanager/secretVersion:SecretVersion",
        ctx.child_name("secret-initial"),
        wire::structure([
            ("secretId", secret.out("arn").to_wire()),
            ("secretString", placeholder.to_wire()),
            ("versionStages", strings(&[INITIAL_STAGE])),
        ]),
    )
    .after(&[secret]);
    child.ignore_changes = vec!["secretString".into(), "versionStages".into()];
    ctx.monitor.register(child).await
}
