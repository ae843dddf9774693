//! The schedules: Secrets Manager's rotation of the secret, and the EventBridge rule and target
//! that send the cleanup event.

use crate::error::ProviderError;
use crate::monitor::{Child, Registered};
use crate::wire::{self, Str, boolean, object, string};

use super::Ctx;

/// The cleanup event the target sends (the Lambda's `cleanup` action).
pub fn cleanup_event(secret_arn: &Str) -> Str {
    secret_arn.map(|arn| serde_json::json!({"action": "cleanup", "secretArn": arn}).to_string())
}

/// The EventBridge rule that triggers the cleanup.
pub async fn cleanup_rule(ctx: &Ctx<'_>) -> Result<Registered, ProviderError> {
    let schedule = match &ctx.args.config {
        Some(c) => string(c.cleanup_schedule_expression()?),
        None => string(wire::UNKNOWN_STRING),
    };
    ctx.monitor
        .register(Child::new(
            "aws:cloudwatch/eventRule:EventRule",
            ctx.child_name("cleanup"),
            ctx.with_tags([
                ("scheduleExpression", schedule),
                (
                    "description",
                    string("Removes expired keys from the JWKS (jwks-rotation)"),
                ),
            ]),
        ))
        .await
}

/// The target sending the cleanup event to the function.
pub async fn cleanup_target(
    ctx: &Ctx<'_>,
    rule: &Registered,
    function: &Registered,
    secret: &Registered,
) -> Result<Registered, ProviderError> {
    ctx.monitor
        .register(
            Child::new(
                "aws:cloudwatch/eventTarget:EventTarget",
                ctx.child_name("cleanup-target"),
                wire::structure([
                    ("rule", rule.out("name").to_wire()),
                    ("arn", function.out("arn").to_wire()),
                    ("input", cleanup_event(&secret.out("arn")).to_wire()),
                ]),
            )
            .after(&[rule, function, secret]),
        )
        .await
}

/// The rotation schedule, rotating immediately so the first key exists after the first
/// `pulumi up`. It follows everything a rotation needs (`after`).
pub async fn rotation(
    ctx: &Ctx<'_>,
    secret: &Registered,
    function: &Registered,
    after: &[&Registered],
) -> Result<Registered, ProviderError> {
    let schedule = match &ctx.args.config {
        Some(c) => string(c.rotation_schedule_expression()?),
        None => string(wire::UNKNOWN_STRING),
    };
    let mut deps = vec![secret, function];
    deps.extend(after.iter().copied());
    ctx.monitor
        .register(
            Child::new(
                "aws:secretsmanager/secretRotation:SecretRotation",
                ctx.child_name("rotation-schedule"),
                wire::structure([
                    ("secretId", secret.out("arn").to_wire()),
                    ("rotationLambdaArn", function.out("arn").to_wire()),
                    ("rotationRules", object([("scheduleExpression", schedule)])),
                    ("rotateImmediately", boolean(true)),
                ]),
            )
            .after(&deps),
        )
        .await
}
