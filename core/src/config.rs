//! The configuration contract between the provider and the Lambda. The provider builds a
//! [`RotationConfig`] from the component's inputs and writes it with [`RotationConfig::to_env`]
//! into the function's environment; the Lambda reads it back with [`RotationConfig::from_lookup`].
//! Both sides share [`RotationConfig::validate`], so a configuration the Lambda would refuse is
//! refused at `pulumi preview`.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use crate::duration::{Duration, DurationError};
use crate::key_spec::{KeySpec, KeySpecError, KeySpecInput};

/// Environment variable names, one per field. Public so the provider can substitute values that
/// are only known after deployment (the generated bucket name).
pub mod env {
    /// Secret name or ARN the function rotates.
    pub const SECRET_ID: &str = "JWKS_ROTATION_SECRET_ID";
    /// Bucket holding the JWKS.
    pub const BUCKET: &str = "JWKS_ROTATION_BUCKET";
    /// Object key of the JWKS.
    pub const OBJECT_KEY: &str = "JWKS_ROTATION_OBJECT_KEY";
    /// JWS algorithm.
    pub const KEY_ALGORITHM: &str = "JWKS_ROTATION_KEY_ALGORITHM";
    /// Curve (ES*, EdDSA).
    pub const KEY_CURVE: &str = "JWKS_ROTATION_KEY_CURVE";
    /// RSA modulus length.
    pub const KEY_MODULUS_LENGTH: &str = "JWKS_ROTATION_KEY_MODULUS_LENGTH";
    /// `random` or `thumbprint`.
    pub const KID_STRATEGY: &str = "JWKS_ROTATION_KID_STRATEGY";
    /// Longest token lifetime.
    pub const MAX_TOKEN_VALIDITY: &str = "JWKS_ROTATION_MAX_TOKEN_VALIDITY";
    /// Rotation schedule interval.
    pub const ROTATION_INTERVAL: &str = "JWKS_ROTATION_ROTATION_INTERVAL";
    /// Least pre-publication time.
    pub const MIN_ACTIVATION_GRACE_PERIOD: &str = "JWKS_ROTATION_MIN_ACTIVATION_GRACE_PERIOD";
    /// Cleanup schedule interval.
    pub const CLEANUP_CHECK_INTERVAL: &str = "JWKS_ROTATION_CLEANUP_CHECK_INTERVAL";
    /// Extra retention after the token lifetime.
    pub const MIN_KEY_CLEANUP_GRACE_PERIOD: &str = "JWKS_ROTATION_MIN_KEY_CLEANUP_GRACE_PERIOD";
    /// Cache-Control of the JWKS object.
    pub const CACHE_CONTROL: &str = "JWKS_ROTATION_CACHE_CONTROL";
    /// CloudWatch namespace of the EMF metrics.
    pub const METRICS_NAMESPACE: &str = "JWKS_ROTATION_METRICS_NAMESPACE";
}

/// Default `bucketPath`.
pub const DEFAULT_OBJECT_KEY: &str = ".well-known/jwks.json";
/// Default `rotationInterval`.
pub const DEFAULT_ROTATION_INTERVAL: Duration = Duration::from_days(60);
/// Default `minActivationGracePeriod`.
pub const DEFAULT_MIN_ACTIVATION_GRACE_PERIOD: Duration = Duration::from_days(7);
/// Default `cleanupCheckInterval`.
pub const DEFAULT_CLEANUP_CHECK_INTERVAL: Duration = Duration::from_hours(24);
/// Default `minKeyCleanupGracePeriod`.
pub const DEFAULT_MIN_KEY_CLEANUP_GRACE_PERIOD: Duration = Duration::from_hours(6);
/// Default `cacheControl`: five minutes, like PyJWT's and jose's own caches, far below the
/// activation grace period so a new key is seen long before it signs.
pub const DEFAULT_CACHE_CONTROL: &str = "public, max-age=300";
/// Default metrics namespace.
pub const DEFAULT_METRICS_NAMESPACE: &str = "JwksRotation";
/// Most keys the JWKS may have to hold at once under a configuration (current, next, a pending
/// copy and the retired keys still in their retention). The key registry lives in the JWKS
/// object's user metadata, which S3 caps at 2 KB.
pub const MAX_PUBLISHED_KEYS: u64 = 20;

/// How key ids are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum KidStrategy {
    /// A random 21-character nanoid.
    #[default]
    Random,
    /// The RFC 7638 SHA-256 thumbprint of the public key.
    Thumbprint,
}

impl KidStrategy {
    /// The input spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            KidStrategy::Random => "random",
            KidStrategy::Thumbprint => "thumbprint",
        }
    }
}

impl fmt::Display for KidStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for KidStrategy {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "random" => Ok(KidStrategy::Random),
            "thumbprint" => Ok(KidStrategy::Thumbprint),
            _ => Err(ConfigError::Invalid {
                input: "kidStrategy",
                value: s.to_string(),
                rule: "must be `random` or `thumbprint`".into(),
            }),
        }
    }
}

/// Why a configuration was refused; each message names the input, the value and the rule.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// A required setting is absent.
    #[error("{input} is required (environment variable {env})")]
    Missing {
        /// Input name.
        input: &'static str,
        /// Environment variable name.
        env: &'static str,
    },
    /// A duration does not parse.
    #[error("{input}: {source}")]
    Duration {
        /// Input name.
        input: &'static str,
        /// The parse error, which names the value.
        source: DurationError,
    },
    /// The key specification is invalid.
    #[error(transparent)]
    KeySpec(#[from] KeySpecError),
    /// A value breaks a rule.
    #[error("{input} `{value}` is not allowed: {rule}")]
    Invalid {
        /// Input name.
        input: &'static str,
        /// The offending value.
        value: String,
        /// The rule it breaks.
        rule: String,
    },
}

/// Everything the rotation function needs to know, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationConfig {
    /// Name (or ARN) of the secret this function rotates; events for other secrets are refused.
    pub secret_id: String,
    /// Bucket the JWKS is published in.
    pub bucket: String,
    /// Object key of the JWKS (`bucketPath`).
    pub object_key: String,
    /// Key algorithm and size.
    pub key_spec: KeySpec,
    /// How kids are chosen.
    pub kid_strategy: KidStrategy,
    /// Longest lifetime of a token signed by a key.
    pub max_token_validity: Duration,
    /// How often Secrets Manager rotates.
    pub rotation_interval: Duration,
    /// Least time a key is published before it signs.
    pub min_activation_grace_period: Duration,
    /// How often the cleanup runs.
    pub cleanup_check_interval: Duration,
    /// Extra time a retired key stays after `max_token_validity`.
    pub min_key_cleanup_grace_period: Duration,
    /// Cache-Control header of the JWKS object.
    pub cache_control: String,
    /// CloudWatch namespace for EMF metrics.
    pub metrics_namespace: String,
}

impl RotationConfig {
    /// A configuration with the documented defaults for everything but the required fields.
    pub fn with_defaults(
        secret_id: &str,
        bucket: &str,
        key_spec: KeySpec,
        max_token_validity: Duration,
    ) -> Self {
        RotationConfig {
            secret_id: secret_id.to_string(),
            bucket: bucket.to_string(),
            object_key: DEFAULT_OBJECT_KEY.to_string(),
            key_spec,
            kid_strategy: KidStrategy::Random,
            max_token_validity,
            rotation_interval: DEFAULT_ROTATION_INTERVAL,
            min_activation_grace_period: DEFAULT_MIN_ACTIVATION_GRACE_PERIOD,
            cleanup_check_interval: DEFAULT_CLEANUP_CHECK_INTERVAL,
            min_key_cleanup_grace_period: DEFAULT_MIN_KEY_CLEANUP_GRACE_PERIOD,
            cache_control: DEFAULT_CACHE_CONTROL.to_string(),
            metrics_namespace: DEFAULT_METRICS_NAMESPACE.to_string(),
        }
    }

    /// How long a retired key stays published: `maxTokenValidityDuration + minKeyCleanupGracePeriod`.
    pub fn retention(&self) -> Duration {
        self.max_token_validity
            .saturating_add(self.min_key_cleanup_grace_period)
    }

    /// Most keys the JWKS can hold at once under regular rotations.
    pub fn max_published_keys(&self) -> u64 {
        let window = self
            .retention()
            .saturating_add(self.cleanup_check_interval)
            .as_secs();
        let interval = self.rotation_interval.as_secs().max(1);
        // current + next + retired keys still inside their retention window
        2 + window.div_ceil(interval)
    }

    /// The Secrets Manager `ScheduleExpression` for `rotation_interval`.
    pub fn rotation_schedule_expression(&self) -> Result<String, ConfigError> {
        rotation_schedule(self.rotation_interval)
    }

    /// The EventBridge `scheduleExpression` for `cleanup_check_interval`.
    pub fn cleanup_schedule_expression(&self) -> Result<String, ConfigError> {
        eventbridge_rate(self.cleanup_check_interval)
    }

    /// Checks every rule that relates fields to each other or to AWS limits.
    pub fn validate(&self) -> Result<(), ConfigError> {
        validate_secret_name("secretName", &self.secret_id)?;
        validate_object_key(&self.object_key)?;
        if self.bucket.is_empty() {
            return Err(ConfigError::Invalid {
                input: "bucket",
                value: String::new(),
                rule: "must not be empty".into(),
            });
        }
        if self.max_token_validity.as_secs() == 0 {
            return Err(invalid(
                "maxTokenValidityDuration",
                self.max_token_validity,
                "must be longer than 0s",
            ));
        }
        self.rotation_schedule_expression()?;
        self.cleanup_schedule_expression()?;
        if self.rotation_interval <= self.min_activation_grace_period {
            return Err(invalid(
                "rotationInterval",
                self.rotation_interval,
                &format!(
                    "must be longer than minActivationGracePeriod ({}), or the next key is never old enough to sign",
                    self.min_activation_grace_period
                ),
            ));
        }
        validate_cache_control(&self.cache_control, self.min_activation_grace_period)?;
        let keys = self.max_published_keys();
        if keys > MAX_PUBLISHED_KEYS {
            return Err(invalid(
                "rotationInterval",
                self.rotation_interval,
                &format!(
                    "with maxTokenValidityDuration {} + minKeyCleanupGracePeriod {} + cleanupCheckInterval {} the JWKS would hold up to {keys} keys; at most {MAX_PUBLISHED_KEYS} are supported: rotate less often or shorten the token lifetime",
                    self.max_token_validity,
                    self.min_key_cleanup_grace_period,
                    self.cleanup_check_interval
                ),
            ));
        }
        if self.metrics_namespace.is_empty() || self.metrics_namespace.len() > 255 {
            return Err(ConfigError::Invalid {
                input: "metricsNamespace",
                value: self.metrics_namespace.clone(),
                rule: "must be 1 to 255 characters".into(),
            });
        }
        Ok(())
    }

    /// The environment variables that carry this configuration to the Lambda.
    pub fn to_env(&self) -> BTreeMap<String, String> {
        let mut vars = BTreeMap::new();
        let mut put = |k: &str, v: String| {
            vars.insert(k.to_string(), v);
        };
        put(env::SECRET_ID, self.secret_id.clone());
        put(env::BUCKET, self.bucket.clone());
        put(env::OBJECT_KEY, self.object_key.clone());
        put(env::KEY_ALGORITHM, self.key_spec.algorithm().to_string());
        if let Some(crv) = self.key_spec.curve() {
            put(env::KEY_CURVE, crv.to_string());
        }
        if let Some(bits) = self.key_spec.modulus_bits() {
            put(env::KEY_MODULUS_LENGTH, bits.to_string());
        }
        put(env::KID_STRATEGY, self.kid_strategy.to_string());
        put(env::MAX_TOKEN_VALIDITY, self.max_token_validity.to_string());
        put(env::ROTATION_INTERVAL, self.rotation_interval.to_string());
        put(
            env::MIN_ACTIVATION_GRACE_PERIOD,
            self.min_activation_grace_period.to_string(),
        );
        put(
            env::CLEANUP_CHECK_INTERVAL,
            self.cleanup_check_interval.to_string(),
        );
        put(
            env::MIN_KEY_CLEANUP_GRACE_PERIOD,
            self.min_key_cleanup_grace_period.to_string(),
        );
        put(env::CACHE_CONTROL, self.cache_control.clone());
        put(env::METRICS_NAMESPACE, self.metrics_namespace.clone());
        vars
    }

    /// Reads a configuration from a lookup (the process environment in the Lambda, a map in
    /// tests), then validates it.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let required = |input: &'static str, env: &'static str| {
            lookup(env)
                .filter(|v| !v.is_empty())
                .ok_or(ConfigError::Missing { input, env })
        };
        let duration = |input: &'static str, env: &'static str, default: Duration| match lookup(env)
        {
            None => Ok(default),
            Some(v) => {
                Duration::parse(&v).map_err(|source| ConfigError::Duration { input, source })
            }
        };
        let modulus_length = match lookup(env::KEY_MODULUS_LENGTH) {
            None => None,
            Some(v) => Some(v.parse::<i64>().map_err(|_| ConfigError::Invalid {
                input: "keySpec.modulusLength",
                value: v.clone(),
                rule: "must be a whole number of bits".into(),
            })?),
        };
        let key_spec = KeySpec::from_input(&KeySpecInput {
            algorithm: required("keySpec.algorithm", env::KEY_ALGORITHM)?,
            crv: lookup(env::KEY_CURVE),
            modulus_length,
        })?;
        let config = RotationConfig {
            secret_id: required("secretName", env::SECRET_ID)?,
            bucket: required("bucket", env::BUCKET)?,
            object_key: lookup(env::OBJECT_KEY).unwrap_or_else(|| DEFAULT_OBJECT_KEY.to_string()),
            key_spec,
            kid_strategy: lookup(env::KID_STRATEGY)
                .map(|v| v.parse())
                .transpose()?
                .unwrap_or_default(),
            max_token_validity: Duration::parse(&required(
                "maxTokenValidityDuration",
                env::MAX_TOKEN_VALIDITY,
            )?)
            .map_err(|source| ConfigError::Duration {
                input: "maxTokenValidityDuration",
                source,
            })?,
            rotation_interval: duration(
                "rotationInterval",
                env::ROTATION_INTERVAL,
                DEFAULT_ROTATION_INTERVAL,
            )?,
            min_activation_grace_period: duration(
                "minActivationGracePeriod",
                env::MIN_ACTIVATION_GRACE_PERIOD,
                DEFAULT_MIN_ACTIVATION_GRACE_PERIOD,
            )?,
            cleanup_check_interval: duration(
                "cleanupCheckInterval",
                env::CLEANUP_CHECK_INTERVAL,
                DEFAULT_CLEANUP_CHECK_INTERVAL,
            )?,
            min_key_cleanup_grace_period: duration(
                "minKeyCleanupGracePeriod",
                env::MIN_KEY_CLEANUP_GRACE_PERIOD,
                DEFAULT_MIN_KEY_CLEANUP_GRACE_PERIOD,
            )?,
            cache_control: lookup(env::CACHE_CONTROL)
                .unwrap_or_else(|| DEFAULT_CACHE_CONTROL.to_string()),
            metrics_namespace: lookup(env::METRICS_NAMESPACE)
                .unwrap_or_else(|| DEFAULT_METRICS_NAMESPACE.to_string()),
        };
        config.validate()?;
        Ok(config)
    }
}

fn invalid(input: &'static str, value: Duration, rule: &str) -> ConfigError {
    ConfigError::Invalid {
        input,
        value: value.to_string(),
        rule: rule.to_string(),
    }
}

fn plural(n: u64, unit: &str) -> String {
    if n == 1 {
        format!("rate(1 {unit})")
    } else {
        format!("rate({n} {unit}s)")
    }
}

/// Secrets Manager rotation schedule for an interval: whole days from 1 to 1000, or whole hours
/// from 4 to 23.
pub fn rotation_schedule(interval: Duration) -> Result<String, ConfigError> {
    if let Some(days) = interval.whole_days().filter(|d| *d >= 1) {
        if days <= 1000 {
            return Ok(plural(days, "day"));
        }
    } else if let Some(hours) = interval.whole_hours().filter(|h| (4..24).contains(h)) {
        return Ok(plural(hours, "hour"));
    }
    Err(invalid(
        "rotationInterval",
        interval,
        "Secrets Manager rotates in whole days from 1 to 1000 (`30d`) or whole hours from 4 to 23 (`12h`)",
    ))
}

/// EventBridge rate expression for an interval: whole minutes, at least one.
pub fn eventbridge_rate(interval: Duration) -> Result<String, ConfigError> {
    let s = interval.as_secs();
    if s == 0 || !s.is_multiple_of(60) {
        return Err(invalid(
            "cleanupCheckInterval",
            interval,
            "EventBridge schedules in whole minutes, at least 1 (`24h`, `90m`)",
        ));
    }
    Ok(if s.is_multiple_of(86_400) {
        plural(s / 86_400, "day")
    } else if s.is_multiple_of(3600) {
        plural(s / 3600, "hour")
    } else {
        plural(s / 60, "minute")
    })
}

/// Secrets Manager secret-name rules.
pub fn validate_secret_name(input: &'static str, name: &str) -> Result<(), ConfigError> {
    let fail = |rule: &str| {
        Err(ConfigError::Invalid {
            input,
            value: name.to_string(),
            rule: rule.to_string(),
        })
    };
    if name.starts_with("arn:") {
        return Ok(());
    }
    if name.is_empty() || name.len() > 512 {
        return fail("must be 1 to 512 characters");
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "/_+=.@-".contains(*c)))
    {
        return fail(&format!(
            "contains `{c}`; Secrets Manager allows letters, digits and /_+=.@-"
        ));
    }
    Ok(())
}

/// `bucketPath` rules: an S3 object key, not empty, not starting with `/`, at most 1024 bytes.
pub fn validate_object_key(key: &str) -> Result<(), ConfigError> {
    let fail = |rule: &str| {
        Err(ConfigError::Invalid {
            input: "bucketPath",
            value: key.to_string(),
            rule: rule.into(),
        })
    };
    if key.is_empty() {
        return fail("must not be empty");
    }
    if key.starts_with('/') {
        return fail("must not start with `/` (S3 object keys are relative to the bucket)");
    }
    if key.len() > 1024 {
        return fail("must be at most 1024 bytes");
    }
    if key.chars().any(char::is_control) {
        return fail("must not contain control characters");
    }
    Ok(())
}

/// `cacheControl` rules: a header value whose `max-age` and `s-maxage` do not exceed the
/// activation grace period (otherwise a verifier may not see a key before it signs).
pub fn validate_cache_control(value: &str, grace: Duration) -> Result<(), ConfigError> {
    let fail = |rule: String| {
        Err(ConfigError::Invalid {
            input: "cacheControl",
            value: value.to_string(),
            rule,
        })
    };
    if value.trim().is_empty() {
        return fail("must not be empty".into());
    }
    if value.chars().any(|c| c.is_control() || !c.is_ascii()) {
        return fail("must be printable ASCII".into());
    }
    for directive in value.split(',') {
        let directive = directive.trim();
        let Some((name, arg)) = directive.split_once('=') else {
            continue;
        };
        let name = name.trim().to_ascii_lowercase();
        if name != "max-age" && name != "s-maxage" {
            continue;
        }
        let Ok(secs) = arg.trim().trim_matches('"').parse::<u64>() else {
            return fail(format!("`{directive}` needs a whole number of seconds"));
        };
        if secs > grace.as_secs() {
            return fail(format!(
                "{name}={secs} exceeds minActivationGracePeriod ({grace} = {}s): verifiers could cache the JWKS past a key's activation",
                grace.as_secs()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key_spec::Algorithm;

    fn base() -> RotationConfig {
        let spec = KeySpec::Ec {
            algorithm: Algorithm::ES256,
            curve: crate::key_spec::Curve::P256,
        };
        RotationConfig::with_defaults("my-jwks-secret", "my-bucket", spec, Duration::from_hours(1))
    }

    #[test]
    fn env_round_trip() {
        let mut c = base();
        c.kid_strategy = KidStrategy::Thumbprint;
        c.rotation_interval = Duration::from_hours(12);
        c.min_activation_grace_period = Duration::from_hours(2);
        c.cache_control = "public, max-age=60".into();
        c.validate().unwrap();
        let env = c.to_env();
        assert_eq!(env[env::ROTATION_INTERVAL], "12h");
        let back = RotationConfig::from_lookup(|k| env.get(k).cloned()).unwrap();
        assert_eq!(back, c);
        let rsa = RotationConfig {
            key_spec: KeySpec::Rsa {
                algorithm: Algorithm::PS512,
                bits: 3072,
            },
            ..base()
        };
        let env = rsa.to_env();
        assert_eq!(
            RotationConfig::from_lookup(|k| env.get(k).cloned()).unwrap(),
            rsa
        );
    }

    #[test]
    fn defaults_are_valid_and_schedules_match_the_construct() {
        let c = base();
        c.validate().unwrap();
        assert_eq!(c.rotation_schedule_expression().unwrap(), "rate(60 days)");
        assert_eq!(c.cleanup_schedule_expression().unwrap(), "rate(1 day)");
        assert_eq!(
            rotation_schedule(Duration::from_hours(12)).unwrap(),
            "rate(12 hours)"
        );
        assert_eq!(
            rotation_schedule(Duration::from_days(1)).unwrap(),
            "rate(1 day)"
        );
        assert_eq!(
            eventbridge_rate(Duration::from_mins(90)).unwrap(),
            "rate(90 minutes)"
        );
        assert_eq!(
            eventbridge_rate(Duration::from_hours(1)).unwrap(),
            "rate(1 hour)"
        );
    }

    #[test]
    fn missing_and_bad_env_values_are_named() {
        let env = base().to_env();
        let without = |key: &str| {
            let mut e = env.clone();
            e.remove(key);
            RotationConfig::from_lookup(|k| e.get(k).cloned())
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            without(env::BUCKET),
            "bucket is required (environment variable JWKS_ROTATION_BUCKET)"
        );
        assert!(without(env::KEY_ALGORITHM).contains("JWKS_ROTATION_KEY_ALGORITHM"));
        let mut e = env.clone();
        e.insert(env::ROTATION_INTERVAL.into(), "sixty days".into());
        let msg = RotationConfig::from_lookup(|k| e.get(k).cloned())
            .unwrap_err()
            .to_string();
        assert!(
            msg.starts_with("rotationInterval: `sixty days` is not a duration"),
            "{msg}"
        );
    }

    #[test]
    fn relation_rules() {
        let c = RotationConfig {
            rotation_interval: Duration::from_days(7),
            ..base()
        };
        let msg = c.validate().unwrap_err().to_string();
        assert!(
            msg.contains("rotationInterval `7d`") && msg.contains("minActivationGracePeriod (7d)"),
            "{msg}"
        );
        let c = RotationConfig {
            rotation_interval: Duration::from_hours(36),
            ..base()
        };
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("whole days from 1 to 1000")
        );
        let c = RotationConfig {
            rotation_interval: Duration::from_hours(3),
            min_activation_grace_period: Duration::from_hours(1),
            ..base()
        };
        assert!(c.validate().unwrap_err().to_string().contains("`3h`"));
        let c = RotationConfig {
            cleanup_check_interval: Duration::from_secs(90),
            ..base()
        };
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("cleanupCheckInterval `90s`")
        );
        let c = RotationConfig {
            cache_control: "public, max-age=700000".into(),
            ..base()
        };
        let msg = c.validate().unwrap_err().to_string();
        assert!(
            msg.contains("cacheControl `public, max-age=700000`")
                && msg.contains("exceeds minActivationGracePeriod"),
            "{msg}"
        );
        let c = RotationConfig {
            max_token_validity: Duration::from_days(3650),
            ..base()
        };
        assert!(c.validate().unwrap_err().to_string().contains("at most 20"));
        let c = RotationConfig {
            max_token_validity: Duration::from_days(90),
            ..base()
        };
        c.validate().unwrap();
        assert_eq!(c.max_published_keys(), 4);
    }

    #[test]
    fn names_and_paths() {
        assert!(validate_secret_name("secretName", "my/jwks_secret+=.@-1").is_ok());
        assert!(
            validate_secret_name("secretName", "bad name")
                .unwrap_err()
                .to_string()
                .contains("contains ` `")
        );
        assert!(validate_secret_name("secretName", "").is_err());
        assert!(
            validate_secret_name("secretName", &"a".repeat(513))
                .unwrap_err()
                .to_string()
                .contains("1 to 512")
        );
        assert!(
            validate_object_key("/jwks.json")
                .unwrap_err()
                .to_string()
                .contains("must not start with `/`")
        );
        assert!(
            validate_object_key("")
                .unwrap_err()
                .to_string()
                .contains("bucketPath `` is not allowed: must not be empty")
        );
        assert!(validate_object_key("keys/jwks.json").is_ok());
    }
}
