//! The component's inputs: decoded from the wire once, validated with the shared core's rules,
//! defaults applied. Unknown values (preview) pass through without error; only the presence of
//! an input (never its value) shapes the resource graph.

use std::collections::BTreeMap;

use jwks_rotation_core::config::{
    self, DEFAULT_CACHE_CONTROL, DEFAULT_CLEANUP_CHECK_INTERVAL,
    DEFAULT_MIN_ACTIVATION_GRACE_PERIOD, DEFAULT_MIN_KEY_CLEANUP_GRACE_PERIOD, DEFAULT_OBJECT_KEY,
    DEFAULT_ROTATION_INTERVAL,
};
use jwks_rotation_core::{KeySpec, KeySpecInput, KidStrategy, RotationConfig};
use prost_types::Struct;

use crate::error::ProviderError;
use crate::wire::Str;

mod nested;
mod reader;
mod rules;
pub mod verifiers;

use nested::{parse_alarm, parse_cloud_front};
use reader::Reader;
pub use reader::secret_values;
use rules::{
    validate_bucket_name, validate_created_bucket_name, validate_issuer, validate_kms_key_arn,
};
use verifiers::Verifier;

/// Every input the component accepts (the schema's `inputProperties`; a test keeps them equal).
pub const INPUT_NAMES: [&str; 22] = [
    "secretName",
    "keySpec",
    "maxTokenValidityDuration",
    "bucket",
    "bucketPath",
    "bucketName",
    "rotationInterval",
    "minActivationGracePeriod",
    "cleanupCheckInterval",
    "minKeyCleanupGracePeriod",
    "publicRead",
    "cloudFront",
    "kmsKeyId",
    "cacheControl",
    "kidStrategy",
    "issuer",
    "lambdaArchitecture",
    "logRetentionInDays",
    "alarm",
    "tags",
    "reservedConcurrency",
    "verifiers",
];
/// Fields of `keySpec`.
pub const KEY_SPEC_FIELDS: [&str; 3] = ["algorithm", "crv", "modulusLength"];
/// Fields of `cloudFront`.
pub const CLOUD_FRONT_FIELDS: [&str; 3] = ["priceClass", "aliases", "acmCertificateArn"];
/// Fields of `alarm`.
pub const ALARM_FIELDS: [&str; 3] = ["snsTopicArns", "evaluationPeriods", "periodSeconds"];

/// Default `lambdaArchitecture`.
pub const DEFAULT_ARCHITECTURE: Architecture = Architecture::X86_64;
/// Default `logRetentionInDays`.
pub const DEFAULT_LOG_RETENTION_DAYS: u32 = 30;
/// Default `cloudFront.priceClass`.
pub const DEFAULT_PRICE_CLASS: &str = "PriceClass_100";
/// Default `alarm.evaluationPeriods`.
pub const DEFAULT_ALARM_EVALUATION_PERIODS: u32 = 1;
/// Default `alarm.periodSeconds`.
pub const DEFAULT_ALARM_PERIOD_SECONDS: u32 = 300;
/// Largest `reservedConcurrency` accepted: 1000, the standard concurrency quota of a Region. An
/// account can reserve at most its quota minus the 100 Lambda keeps unreserved (all of it while
/// the quota is a new account's 10), so Lambda itself may still refuse a value in this range.
pub const MAX_RESERVED_CONCURRENCY: u32 = 1000;
/// Retention values CloudWatch Logs accepts.
pub const LOG_RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// A value that is known, or unknown during preview.
#[derive(Debug, Clone, PartialEq)]
pub enum In<T> {
    /// Known.
    Known(T),
    /// Unknown until the update.
    Unknown,
}

impl<T> In<T> {
    /// The known value.
    pub fn known(&self) -> Option<&T> {
        match self {
            In::Known(v) => Some(v),
            In::Unknown => None,
        }
    }
}

/// Lambda architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Architecture {
    /// `x86_64`.
    X86_64,
    /// `arm64`.
    Arm64,
}

impl Architecture {
    /// The Lambda API spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Architecture::X86_64 => "x86_64",
            Architecture::Arm64 => "arm64",
        }
    }
}

/// `cloudFront` settings.
#[derive(Debug, Clone, PartialEq)]
pub struct CloudFrontArgs {
    /// Price class.
    pub price_class: Str,
    /// Alternate domain names (unknown as a whole, or each element maybe unknown).
    pub aliases: In<Vec<Str>>,
    /// ACM certificate for the aliases.
    pub acm_certificate_arn: Option<Str>,
}

/// `alarm` settings.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmArgs {
    /// Topics notified.
    pub sns_topic_arns: In<Vec<Str>>,
    /// Periods before alarming.
    pub evaluation_periods: In<u32>,
    /// Period length in seconds.
    pub period_seconds: In<u32>,
}

/// The validated inputs with defaults applied.
#[derive(Debug, Clone)]
pub struct Args {
    /// `secretName`.
    pub secret_name: Str,
    /// `bucket` (an existing bucket).
    pub bucket: Option<Str>,
    /// `bucketName` (name for the created bucket).
    pub bucket_name: Option<Str>,
    /// `bucketPath`.
    pub bucket_path: Str,
    /// `cacheControl`.
    pub cache_control: Str,
    /// `publicRead` with its default resolved.
    pub public_read: In<bool>,
    /// `cloudFront`.
    pub cloud_front: Option<CloudFrontArgs>,
    /// `kmsKeyId`.
    pub kms_key_id: Option<Str>,
    /// `issuer`.
    pub issuer: Option<Str>,
    /// `lambdaArchitecture`.
    pub architecture: In<Architecture>,
    /// `logRetentionInDays`.
    pub log_retention_in_days: In<u32>,
    /// `alarm`.
    pub alarm: Option<AlarmArgs>,
    /// `tags`.
    pub tags: Option<In<BTreeMap<String, Str>>>,
    /// `keySpec`, which sizes the function (RSA key generation time grows with the modulus).
    pub key_spec: In<KeySpec>,
    /// `reservedConcurrency`: the function's reserved concurrent executions, when given.
    pub reserved_concurrency: Option<In<u32>>,
    /// The rotation configuration, when every input it is made of is known. Its `secret_id`
    /// and `bucket` are placeholders when those inputs are unknown; the graph substitutes the
    /// created resources' outputs.
    pub config: Option<RotationConfig>,
    /// Whether any input of the rotation configuration was secret.
    pub config_secret: bool,
    /// Warnings for the AWS services named in `verifiers`, shown by the engine: a combination
    /// that may not work (one that cannot is refused instead).
    pub warnings: Vec<String>,
}

/// Decodes and validates the `Construct` inputs; messages never show secret values.
pub fn parse(inputs: &Struct) -> Result<Args, ProviderError> {
    parse_inputs(inputs).map_err(|e| e.redact(&secret_values(inputs)))
}

fn parse_inputs(inputs: &Struct) -> Result<Args, ProviderError> {
    let r = Reader::new(inputs, "");
    r.refuse_unknown_fields(&INPUT_NAMES)?;
    let mut secret_config = false;

    let secret_name = r.required_string("secretName")?;
    if let Some(name) = &secret_name.value {
        config::validate_secret_name("secretName", name)?;
    }
    secret_config |= secret_name.secret;

    let key_spec = match r.object("keySpec")? {
        None => {
            return Err(ProviderError::MissingInput {
                input: "keySpec".into(),
                rule: "an object `{algorithm, crv?, modulusLength?}`".into(),
            });
        }
        Some((In::Unknown, secret)) => {
            secret_config |= secret;
            In::Unknown
        }
        Some((In::Known(obj), secret)) => {
            secret_config |= secret;
            let k = Reader::new(&obj, "keySpec.");
            k.refuse_unknown_fields(&KEY_SPEC_FIELDS)?;
            let algorithm = k.required_string("algorithm")?;
            let crv = k.string("crv")?;
            let modulus = k.integer("modulusLength")?;
            secret_config |= algorithm.secret || crv.as_ref().is_some_and(|c| c.secret);
            match (&algorithm.value, crv.as_ref().map(|c| &c.value), &modulus) {
                (Some(alg), None | Some(Some(_)), None | Some(In::Known(_))) => {
                    In::Known(KeySpec::from_input(&KeySpecInput {
                        algorithm: alg.clone(),
                        crv: crv.and_then(|c| c.value),
                        modulus_length: match modulus {
                            Some(In::Known(n)) => Some(n),
                            _ => None,
                        },
                    })?)
                }
                _ => In::Unknown,
            }
        }
    };

    if let In::Known(spec) = &key_spec {
        config::validate_function_key_spec(*spec)?;
    }

    let max_token_validity = match r.duration("maxTokenValidityDuration")? {
        Some(d) => d,
        None => {
            return Err(ProviderError::MissingInput {
                input: "maxTokenValidityDuration".into(),
                rule: format!(
                    "a duration, {}",
                    jwks_rotation_core::duration::ACCEPTED_FORMATS
                ),
            });
        }
    };
    let rotation_interval = r
        .duration("rotationInterval")?
        .unwrap_or(In::Known(DEFAULT_ROTATION_INTERVAL));
    let min_activation = r
        .duration("minActivationGracePeriod")?
        .unwrap_or(In::Known(DEFAULT_MIN_ACTIVATION_GRACE_PERIOD));
    let cleanup_interval = r
        .duration("cleanupCheckInterval")?
        .unwrap_or(In::Known(DEFAULT_CLEANUP_CHECK_INTERVAL));
    let cleanup_grace = r
        .duration("minKeyCleanupGracePeriod")?
        .unwrap_or(In::Known(DEFAULT_MIN_KEY_CLEANUP_GRACE_PERIOD));
    for name in [
        "maxTokenValidityDuration",
        "rotationInterval",
        "minActivationGracePeriod",
        "cleanupCheckInterval",
        "minKeyCleanupGracePeriod",
    ] {
        secret_config |= r.is_secret(name);
    }

    let bucket = r.string("bucket")?;
    let bucket_name = r.string("bucketName")?;
    if let (Some(b), Some(n)) = (&bucket, &bucket_name) {
        return Err(ProviderError::invalid(
            "bucketName",
            n.value.clone().unwrap_or_default(),
            format!(
                "conflicts with bucket `{}`: give `bucket` to publish into an existing bucket, or `bucketName` to name the bucket the component creates, not both",
                b.value.clone().unwrap_or_default()
            ),
        ));
    }
    if let Some(Str {
        value: Some(name), ..
    }) = &bucket_name
    {
        validate_bucket_name("bucketName", name)?;
        validate_created_bucket_name(name)?;
    }
    if let Some(Str {
        value: Some(name), ..
    }) = &bucket
    {
        validate_bucket_name("bucket", name)?;
    }

    let bucket_path = r
        .string("bucketPath")?
        .unwrap_or_else(|| Str::known(DEFAULT_OBJECT_KEY));
    if let Some(path) = &bucket_path.value {
        config::validate_object_key(path)?;
    }
    secret_config |= bucket_path.secret;

    let cache_control = r
        .string("cacheControl")?
        .unwrap_or_else(|| Str::known(DEFAULT_CACHE_CONTROL));
    secret_config |= cache_control.secret;

    let kid_strategy = match r.string("kidStrategy")? {
        None => In::Known(KidStrategy::Random),
        Some(Str { value: None, .. }) => In::Unknown,
        Some(Str {
            value: Some(v),
            secret,
        }) => {
            secret_config |= secret;
            In::Known(v.parse::<KidStrategy>()?)
        }
    };

    let cloud_front = match r.object("cloudFront")? {
        None => None,
        Some((In::Unknown, _)) => Some(CloudFrontArgs {
            price_class: Str::unknown(),
            aliases: In::Unknown,
            acm_certificate_arn: Some(Str::unknown()),
        }),
        Some((In::Known(obj), _)) => Some(parse_cloud_front(&obj)?),
    };

    let public_read = match r.boolean("publicRead")? {
        Some(b) => b,
        None => In::Known(cloud_front.is_none()),
    };

    let kms_key_id = r.string("kmsKeyId")?;
    if let Some(Str { value: Some(k), .. }) = &kms_key_id {
        validate_kms_key_arn(k)?;
    }
    let issuer = r.string("issuer")?;
    if let Some(Str { value: Some(i), .. }) = &issuer {
        validate_issuer(i)?;
    }

    let architecture = match r.string("lambdaArchitecture")? {
        None => In::Known(DEFAULT_ARCHITECTURE),
        Some(Str { value: None, .. }) => In::Unknown,
        Some(Str { value: Some(v), .. }) => In::Known(match v.as_str() {
            "x86_64" => Architecture::X86_64,
            "arm64" => Architecture::Arm64,
            _ => {
                return Err(ProviderError::invalid(
                    "lambdaArchitecture",
                    v,
                    "must be `x86_64` or `arm64`",
                ));
            }
        }),
    };

    let log_retention_in_days = match r.integer("logRetentionInDays")? {
        None => In::Known(DEFAULT_LOG_RETENTION_DAYS),
        Some(In::Unknown) => In::Unknown,
        Some(In::Known(n)) => match u32::try_from(n) {
            Ok(days) if LOG_RETENTION_DAYS.contains(&days) => In::Known(days),
            _ => {
                return Err(ProviderError::invalid(
                    "logRetentionInDays",
                    n.to_string(),
                    format!("CloudWatch Logs accepts one of {LOG_RETENTION_DAYS:?}"),
                ));
            }
        },
    };

    let alarm = match r.object("alarm")? {
        None => None,
        Some((In::Unknown, _)) => Some(AlarmArgs {
            sns_topic_arns: In::Unknown,
            evaluation_periods: In::Unknown,
            period_seconds: In::Unknown,
        }),
        Some((In::Known(obj), _)) => Some(parse_alarm(&obj)?),
    };

    let tags = r.tags("tags")?;

    let reserved_concurrency = match r.integer("reservedConcurrency")? {
        None => None,
        Some(In::Unknown) => Some(In::Unknown),
        Some(In::Known(n)) => match u32::try_from(n) {
            Ok(v) if (1..=MAX_RESERVED_CONCURRENCY).contains(&v) => Some(In::Known(v)),
            _ => {
                return Err(ProviderError::invalid(
                    "reservedConcurrency",
                    n.to_string(),
                    format!(
                        "must be a whole number from 1 to {MAX_RESERVED_CONCURRENCY}, or left out (the default: nothing reserved); 1 serializes the function's runs, which correctness never needs. Note that Lambda keeps 100 of a Region's concurrency unreserved, and all of it while the quota is a new account's 10 (`below its minimum value of [10]`): such an account cannot reserve any until the quota is raised"
                    ),
                ));
            }
        },
    };

    // The relations between inputs are checked by the core once every part is known.
    let config = match (
        &key_spec,
        &max_token_validity,
        &rotation_interval,
        &min_activation,
        &cleanup_interval,
        &cleanup_grace,
        &bucket_path.value,
        &cache_control.value,
        &kid_strategy,
    ) {
        (
            In::Known(spec),
            In::Known(max),
            In::Known(rotation),
            In::Known(activation),
            In::Known(cleanup),
            In::Known(grace),
            Some(path),
            Some(cache),
            In::Known(kid),
        ) => {
            let secret_id = secret_name
                .value
                .clone()
                .unwrap_or_else(|| "unknown".into());
            let bucket_value = bucket
                .as_ref()
                .and_then(|b| b.value.clone())
                .unwrap_or_else(|| "unknown".into());
            let mut c = RotationConfig::with_defaults(&secret_id, &bucket_value, *spec, *max);
            c.object_key = path.clone();
            c.kid_strategy = *kid;
            c.rotation_interval = *rotation;
            c.min_activation_grace_period = *activation;
            c.cleanup_check_interval = *cleanup;
            c.min_key_cleanup_grace_period = *grace;
            c.cache_control = cache.clone();
            c.validate()?;
            Some(c)
        }
        _ => {
            if let (Some(cache), In::Known(activation)) = (&cache_control.value, &min_activation) {
                config::validate_cache_control(cache, *activation)?;
            }
            None
        }
    };
    // What the named verifiers cannot use is refused here, at preview (README, "Verifier
    // compatibility"); values unknown until the update are checked then.
    let targets = match r.string_list("verifiers")? {
        None | Some(In::Unknown) => Vec::new(),
        Some(In::Known(list)) => list
            .iter()
            .filter_map(|v| v.value.as_deref())
            .map(Verifier::parse)
            .collect::<Result<Vec<_>, _>>()?,
    };
    let warnings = verifiers::check(
        &targets,
        verifiers::Subject {
            key_spec: &key_spec,
            issuer: issuer.as_ref(),
            config: config.as_ref(),
        },
    )?;

    // Behind CloudFront the cache lifetimes add up (README, "Caching behind CloudFront").
    if let (Some(_), Some(cache), In::Known(activation)) =
        (&cloud_front, &cache_control.value, &min_activation)
    {
        config::validate_cdn_cache_control(cache, *activation)?;
    }

    Ok(Args {
        secret_name,
        bucket,
        bucket_name,
        bucket_path,
        cache_control,
        public_read,
        cloud_front,
        kms_key_id,
        issuer,
        architecture,
        log_retention_in_days,
        alarm,
        tags,
        key_spec,
        reserved_concurrency,
        config,
        config_secret: secret_config,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jwks_rotation_core::Duration;

    fn schema() -> serde_json::Value {
        serde_json::from_str(crate::schema::SCHEMA).expect("schema.json is JSON")
    }

    fn keys(v: &serde_json::Value) -> Vec<String> {
        let mut k: Vec<String> = v
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        k.sort();
        k
    }

    fn sorted(names: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    }

    #[test]
    fn parsed_inputs_match_the_schema_both_ways() {
        let s = schema();
        let res = &s["resources"]["jwks-rotation:index:JwksRotation"];
        assert_eq!(keys(&res["inputProperties"]), sorted(&INPUT_NAMES));
        for (ty, fields) in [
            ("KeySpec", &KEY_SPEC_FIELDS[..]),
            ("CloudFront", &CLOUD_FRONT_FIELDS[..]),
            ("Alarm", &ALARM_FIELDS[..]),
        ] {
            let t = &s["types"][format!("jwks-rotation:index:{ty}")]["properties"];
            assert_eq!(keys(t), sorted(fields), "{ty}");
        }
    }

    #[test]
    fn schema_defaults_are_the_provider_defaults() {
        let s = schema();
        let p = &s["resources"]["jwks-rotation:index:JwksRotation"]["inputProperties"];
        assert_eq!(p["bucketPath"]["default"], DEFAULT_OBJECT_KEY);
        let duration =
            |name: &str| Duration::parse(p[name]["default"].as_str().unwrap_or_default()).ok();
        assert_eq!(
            duration("rotationInterval"),
            Some(DEFAULT_ROTATION_INTERVAL)
        );
        assert_eq!(
            duration("minActivationGracePeriod"),
            Some(DEFAULT_MIN_ACTIVATION_GRACE_PERIOD)
        );
        assert_eq!(
            duration("cleanupCheckInterval"),
            Some(DEFAULT_CLEANUP_CHECK_INTERVAL)
        );
        assert_eq!(
            duration("minKeyCleanupGracePeriod"),
            Some(DEFAULT_MIN_KEY_CLEANUP_GRACE_PERIOD)
        );
        assert_eq!(p["cacheControl"]["default"], DEFAULT_CACHE_CONTROL);
        assert_eq!(p["kidStrategy"]["default"], KidStrategy::Random.as_str());
        assert_eq!(
            p["lambdaArchitecture"]["default"],
            DEFAULT_ARCHITECTURE.as_str()
        );
        assert_eq!(
            p["logRetentionInDays"]["default"],
            DEFAULT_LOG_RETENTION_DAYS
        );
        let cf = &s["types"]["jwks-rotation:index:CloudFront"]["properties"];
        assert_eq!(cf["priceClass"]["default"], DEFAULT_PRICE_CLASS);
        let alarm = &s["types"]["jwks-rotation:index:Alarm"]["properties"];
        assert_eq!(
            alarm["evaluationPeriods"]["default"],
            DEFAULT_ALARM_EVALUATION_PERIODS
        );
        assert_eq!(
            alarm["periodSeconds"]["default"],
            DEFAULT_ALARM_PERIOD_SECONDS
        );
    }
}
