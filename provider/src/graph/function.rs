//! The rotation Lambda: its log group, role, single inline policy, the function with the
//! embedded zip and the rotation configuration in its environment, and the two invoke
//! permissions (Secrets Manager for this secret, EventBridge for the cleanup rule).

use std::collections::BTreeMap;

use jwks_rotation_core::config::env;

use crate::archive;
use crate::args::In;
use crate::error::ProviderError;
use crate::monitor::{Child, Registered};
use crate::wire::{self, Str, number, object, string};

use super::{Ctx, policy};

/// Lambda runtime of the `bootstrap` binary.
pub const RUNTIME: &str = "provided.al2023";
/// Handler name (ignored by custom runtimes, conventionally `bootstrap`).
pub const HANDLER: &str = "bootstrap";
/// Function timeout in seconds (RSA key generation at large moduli takes seconds).
pub const TIMEOUT_SECONDS: f64 = 120.0;
/// Function memory in MB.
pub const MEMORY_MB: f64 = 256.0;

/// The log group (its name goes to the function's `loggingConfig.logGroup`).
pub async fn log_group(ctx: &Ctx<'_>) -> Result<Registered, ProviderError> {
    let retention = match ctx.args.log_retention_in_days {
        In::Known(d) => number(f64::from(d)),
        In::Unknown => string(wire::UNKNOWN_NUMBER),
    };
    ctx.monitor
        .register(Child::new(
            "aws:cloudwatch/logGroup:LogGroup",
            ctx.child_name("rotation-logs"),
            ctx.with_tags([("retentionInDays", retention)]),
        ))
        .await
}

/// The function's role (trusting lambda.amazonaws.com, no managed policies).
pub async fn role(ctx: &Ctx<'_>) -> Result<Registered, ProviderError> {
    ctx.monitor
        .register(Child::new(
            "aws:iam/role:Role",
            ctx.child_name("rotation-role"),
            ctx.with_tags([
                ("assumeRolePolicy", string(policy::lambda_trust_policy())),
                (
                    "description",
                    string("Rotation Lambda of jwks-rotation: this secret and JWKS object only"),
                ),
            ]),
        ))
        .await
}

/// The role's one inline policy.
pub async fn role_policy(
    ctx: &Ctx<'_>,
    role: &Registered,
    secret: &Registered,
    logs: &Registered,
    bucket_name: &Str,
    bucket: Option<&Registered>,
) -> Result<Registered, ProviderError> {
    let document = policy::lambda_policy(
        &secret.out("arn"),
        bucket_name,
        &ctx.args.bucket_path,
        &logs.out("arn"),
        ctx.args.kms_key_id.as_ref(),
    );
    let mut after = vec![role, secret, logs];
    after.extend(bucket);
    ctx.monitor
        .register(
            Child::new(
                "aws:iam/rolePolicy:RolePolicy",
                ctx.child_name("rotation-policy"),
                wire::structure([
                    ("role", role.out("name").to_wire()),
                    ("policy", document.to_wire()),
                ]),
            )
            .after(&after),
        )
        .await
}

/// The function's environment: the core's configuration contract, with the secret ARN and
/// the bucket name taken from the resources (unknown in preview when they are created).
pub fn environment(ctx: &Ctx<'_>, secret_arn: &Str, bucket_name: &Str) -> wire::Value {
    let Some(config) = &ctx.args.config else {
        return wire::string(wire::UNKNOWN_OBJECT);
    };
    let mut vars: BTreeMap<String, Str> = config
        .to_env()
        .into_iter()
        .map(|(k, v)| (k, Str::known(v)))
        .collect();
    vars.insert(env::SECRET_ID.into(), secret_arn.clone());
    vars.insert(env::BUCKET.into(), bucket_name.clone());
    if ctx.args.config_secret {
        for v in vars.values_mut() {
            v.secret = true;
        }
    }
    wire::str_map(&vars)
}

/// The function.
pub async fn function(
    ctx: &Ctx<'_>,
    role: &Registered,
    logs: &Registered,
    secret: &Registered,
    bucket_name: &Str,
    bucket: Option<&Registered>,
) -> Result<Registered, ProviderError> {
    let (architectures, code) = match ctx.args.architecture {
        In::Known(arch) => {
            let zip = archive::materialize(&ctx.zip_root, arch)?;
            (
                wire::strings(&[arch.as_str()]),
                wire::archive_path(&zip.path.display().to_string(), zip.sha256),
            )
        }
        In::Unknown => (string(wire::UNKNOWN_ARRAY), string(wire::UNKNOWN_ARCHIVE)),
    };
    let inputs = ctx.with_tags([
        ("runtime", string(RUNTIME)),
        ("handler", string(HANDLER)),
        ("architectures", architectures),
        ("code", code),
        ("role", role.out("arn").to_wire()),
        ("timeout", number(TIMEOUT_SECONDS)),
        ("memorySize", number(MEMORY_MB)),
        (
            "description",
            string("Rotates the JWT signing keys of jwks-rotation and publishes the JWKS"),
        ),
        (
            "environment",
            object([(
                "variables",
                environment(ctx, &secret.out("arn"), bucket_name),
            )]),
        ),
        (
            "loggingConfig",
            object([
                ("logFormat", string("JSON")),
                ("logGroup", logs.out("name").to_wire()),
            ]),
        ),
    ]);
    let mut after = vec![role, logs, secret];
    after.extend(bucket);
    ctx.monitor
        .register(
            Child::new(
                "aws:lambda/function:Function",
                ctx.child_name("rotation"),
                inputs,
            )
            .after(&after),
        )
        .await
}

/// Invoke permissions: (Secrets Manager for this secret, EventBridge for the cleanup rule).
pub async fn permissions(
    ctx: &Ctx<'_>,
    function: &Registered,
    secret: &Registered,
    rule: &Registered,
) -> Result<(Registered, Registered), ProviderError> {
    let permission = |suffix: &str, principal: &str, source: &Registered| {
        Child::new(
            "aws:lambda/permission:Permission",
            ctx.child_name(suffix),
            wire::structure([
                ("action", string("lambda:InvokeFunction")),
                ("function", function.out("name").to_wire()),
                ("principal", string(principal)),
                ("sourceArn", source.out("arn").to_wire()),
            ]),
        )
        .after(&[function, source])
    };
    tokio::try_join!(
        ctx.monitor.register(permission(
            "rotation-invoke-secretsmanager",
            "secretsmanager.amazonaws.com",
            secret
        )),
        ctx.monitor.register(permission(
            "rotation-invoke-events",
            "events.amazonaws.com",
            rule
        )),
    )
}
