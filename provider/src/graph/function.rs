//! The rotation Lambda: its log group, role, single inline policy, the function with the
//! embedded zip and the rotation configuration in its environment, and the two invoke
//! permissions (Secrets Manager for this secret, EventBridge for the cleanup rule).

use std::collections::BTreeMap;

use jwks_rotation_core::KeySpec;
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
/// Least function timeout in seconds.
pub const TIMEOUT_SECONDS: u32 = 120;
/// Least function memory in MB (what EC, Ed25519 and 2048-bit RSA keys get).
pub const MEMORY_MB: u32 = 256;

/// Memory at which Lambda gives a function one full vCPU; below it the share is proportional
/// (256 MB is about 1/7 of a vCPU).
pub const FULL_VCPU_MB: u32 = 1769;
/// Memory sizes the function may get, smallest first.
pub const MEMORY_STEPS_MB: [u32; 4] = [MEMORY_MB, 512, 1024, FULL_VCPU_MB];
/// Factor applied to the slowest key generation measured.
pub const KEYGEN_MARGIN: u64 = 10;
/// Most keys one run generates: `emergencyRotate` makes a fresh signing key and a fresh NEXT
/// (`createSecret` and `finishSecret` make one).
pub const KEYS_PER_RUN: u64 = 2;
/// Time a run may spend generating keys (at the margin), in seconds.
pub const KEYGEN_BUDGET_SECONDS: u64 = 90;
/// Time a run needs besides key generation: cold start and its AWS calls with the SDK's retries.
pub const NON_KEYGEN_SECONDS: u64 = 30;
/// Slowest key generation measured on one core, as CPU time of the generating thread
/// (docs/BENCHMARKS.md, "RSA key generation and function sizing", `scripts/bench-rsa-keygen.sh`:
/// the maximum of two runs, 400 / 200 / 120 keys), per RSA modulus up to which it applies, in
/// milliseconds. Moduli above the last are refused (`MAX_FUNCTION_RSA_BITS`).
pub const RSA_KEYGEN_WORST_MS: [(u32, u64); 3] = [(2048, 238), (3072, 692), (4096, 2091)];
/// Slowest EC or Ed25519 key generation, in milliseconds (measured: under 2 ms for ES512; this
/// is a generous bound).
pub const EC_KEYGEN_WORST_MS: u64 = 50;

/// Memory and timeout of the rotation function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizing {
    /// `memorySize`, MB.
    pub memory_mb: u32,
    /// `timeout`, seconds.
    pub timeout_seconds: u32,
}

/// Milliseconds one run may spend generating keys at `memory_mb`, for keys whose slowest
/// generation on a full vCPU took `worst_ms`: the worst case, scaled by the CPU share
/// (`FULL_VCPU_MB / memory_mb`, 7 at 256 MB), for `KEYS_PER_RUN` keys, times `KEYGEN_MARGIN`.
pub fn keygen_budget_ms(worst_ms: u64, memory_mb: u32) -> u64 {
    (worst_ms * KEYS_PER_RUN * KEYGEN_MARGIN * u64::from(FULL_VCPU_MB))
        .div_ceil(u64::from(memory_mb.max(1)))
}

/// The function's size for a key specification: the smallest of [`MEMORY_STEPS_MB`] whose
/// [`keygen_budget_ms`] fits [`KEYGEN_BUDGET_SECONDS`], and a timeout of that budget plus
/// [`NON_KEYGEN_SECONDS`], at least [`TIMEOUT_SECONDS`].
pub fn sizing(spec: KeySpec) -> Sizing {
    let worst_ms = match spec.modulus_bits() {
        Some(bits) => RSA_KEYGEN_WORST_MS
            .iter()
            .find(|(up_to, _)| bits <= *up_to)
            .or(RSA_KEYGEN_WORST_MS.last())
            .map_or(EC_KEYGEN_WORST_MS, |(_, ms)| *ms),
        None => EC_KEYGEN_WORST_MS,
    };
    let memory_mb = MEMORY_STEPS_MB
        .iter()
        .copied()
        .find(|m| keygen_budget_ms(worst_ms, *m) <= KEYGEN_BUDGET_SECONDS * 1000)
        .unwrap_or(FULL_VCPU_MB);
    let needed = keygen_budget_ms(worst_ms, memory_mb).div_ceil(1000) + NON_KEYGEN_SECONDS;
    Sizing {
        memory_mb,
        timeout_seconds: u32::try_from(needed)
            .unwrap_or(u32::MAX)
            .max(TIMEOUT_SECONDS),
    }
}

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
    let (timeout, memory) = match ctx.args.key_spec {
        In::Known(spec) => {
            let size = sizing(spec);
            (
                number(f64::from(size.timeout_seconds)),
                number(f64::from(size.memory_mb)),
            )
        }
        In::Unknown => (string(wire::UNKNOWN_NUMBER), string(wire::UNKNOWN_NUMBER)),
    };
    let mut inputs = ctx.with_tags([
        ("runtime", string(RUNTIME)),
        ("handler", string(HANDLER)),
        ("architectures", architectures),
        ("code", code),
        ("role", role.out("arn").to_wire()),
        ("timeout", timeout),
        ("memorySize", memory),
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
    if let Some(reserved) = &ctx.args.reserved_concurrency {
        let value = match reserved {
            In::Known(n) => number(f64::from(*n)),
            In::Unknown => string(wire::UNKNOWN_NUMBER),
        };
        inputs
            .fields
            .insert("reservedConcurrentExecutions".into(), value);
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use jwks_rotation_core::KeySpecInput;

    fn spec(algorithm: &str, bits: Option<i64>) -> KeySpec {
        KeySpec::from_input(&KeySpecInput {
            algorithm: algorithm.into(),
            crv: None,
            modulus_length: bits,
        })
        .expect("a valid key spec")
    }

    #[test]
    fn a_256_mb_function_is_a_seventh_of_a_vcpu() {
        // 1 ms on a full vCPU, two keys, times ten: 20 ms, 6.9 times slower at 256 MB.
        assert_eq!(keygen_budget_ms(1, 256), 139);
        assert_eq!(keygen_budget_ms(1, FULL_VCPU_MB), 20);
    }

    #[test]
    fn memory_and_timeout_follow_the_key_size() {
        for (s, memory) in [
            (spec("ES256", None), 256),
            (spec("EdDSA", None), 256),
            (spec("RS256", None), 256),
            (spec("PS256", Some(2048)), 256),
            (spec("RS256", Some(3072)), 512),
            (spec("RS512", Some(4096)), 1024),
        ] {
            let size = sizing(s);
            assert_eq!(size.memory_mb, memory, "{s:?}");
            assert_eq!(size.timeout_seconds, TIMEOUT_SECONDS, "{s:?}");
        }
        // The rule holds for every size: the worst case at the margin fits the budget and the
        // timeout leaves the rest of the run its allowance.
        for (bits, worst) in RSA_KEYGEN_WORST_MS {
            let size = sizing(spec("RS256", Some(i64::from(bits))));
            let budget = keygen_budget_ms(worst, size.memory_mb);
            assert!(
                budget <= KEYGEN_BUDGET_SECONDS * 1000,
                "{bits}: {budget} ms"
            );
            assert!(
                budget.div_ceil(1000) + NON_KEYGEN_SECONDS <= u64::from(size.timeout_seconds),
                "{bits}"
            );
            // and a smaller memory step would not fit
            if let Some(smaller) = MEMORY_STEPS_MB.iter().rev().find(|m| **m < size.memory_mb) {
                assert!(keygen_budget_ms(worst, *smaller) > KEYGEN_BUDGET_SECONDS * 1000);
            }
        }
        // Between two measured sizes the larger one's figure applies.
        assert_eq!(
            sizing(spec("RS256", Some(2056))),
            sizing(spec("RS256", Some(3072)))
        );
    }
}
