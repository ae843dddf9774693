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
use crate::key_spec::{Curve, KeySpec, KeySpecError, KeySpecInput};

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
    /// Curve (ES*, EdDSA, Ed25519).
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
/// Most keys the JWKS may have to hold at once under a configuration (current, next and the
/// retired keys still in their retention). The key registry no longer lives in the JWKS object's
/// 2 KB user metadata (it is a private object of its own, [`registry_key_for`]), so the bound is
/// what verifiers take: AWS IAM OIDC federation (`AssumeRoleWithWebIdentity`, Cognito identity
/// pools) was observed to find a `kid` only among 100 keys of a JWKS (spiffe/spire#4699; AWS does
/// not document it). AWS ALB JWT
/// verification takes at most 10 keys: a configuration for ALB keeps
/// [`RotationConfig::max_published_keys`] at 10 or below (README, "How many keys").
pub const MAX_PUBLISHED_KEYS: u64 = 100;

/// Largest JWKS body a configuration may produce, in bytes: 51 200, the default size limit of
/// Nimbus JOSE+JWT's remote JWK set (`JWKSourceBuilder.DEFAULT_HTTP_SIZE_LIMIT`, used by Spring
/// Security and most Java verifiers), the smallest documented limit. API Gateway HTTP API JWT
/// authorizers and ALB JWT verification take 150 000 bytes.
pub const MAX_JWKS_BYTES: u64 = 51_200;

/// Bytes of the JWKS document besides its keys: `{"keys":[...]}`, the separators and the
/// registry fingerprint member the Lambda adds (an allowance, larger than what is written).
pub const JWKS_DOCUMENT_OVERHEAD_BYTES: u64 = 128;

/// Largest RSA modulus the rotation function generates. Key generation time grows steeply with
/// the modulus and has a long tail (docs/BENCHMARKS.md, "RSA key generation and function
/// sizing"): the function is sized per modulus up to 4096 bits, while at 8192 bits the slowest
/// key measured took 21.7 s of CPU (35 s wall), so an `emergencyRotate` (two keys) at the 10x
/// margin would need a full vCPU (1769 MB) for over 7 minutes, and 50 minutes at 256 MB, beyond
/// Lambda's 15-minute limit. Above 3072 bits, EC keys (ES384, ES512) give more strength for less.
pub const MAX_FUNCTION_RSA_BITS: u32 = 4096;

/// Prefix of the private key registry objects. The registry (per kid: public key, version ids,
/// publishedAt / activatedAt / retiredAt, revocations) is the source of truth of what is
/// published; the JWKS is its projection. It lives under its own prefix, never granted to
/// anonymous readers or CloudFront, so a broad policy on the JWKS's folder does not expose it.
pub const REGISTRY_PREFIX: &str = ".jwks-rotation/";

/// Object key of the private registry for the JWKS at `object_key`:
/// `.jwks-rotation/<object_key>.registry.json`.
pub fn registry_key_for(object_key: &str) -> String {
    format!("{REGISTRY_PREFIX}{object_key}.registry.json")
}

/// Length of a kid under a strategy: a nanoid is 21 characters, an RFC 7638 SHA-256 thumbprint
/// 43 (base64url of 32 bytes).
pub const fn kid_len(kid: KidStrategy) -> u64 {
    match kid {
        KidStrategy::Random => 21,
        KidStrategy::Thumbprint => 43,
    }
}

/// Characters of the unpadded base64url encoding of `bytes` bytes.
const fn base64url_len(bytes: u64) -> u64 {
    (bytes * 4).div_ceil(3)
}

/// Bytes of one published key in the JWKS (compact JSON with `kty`, the public members, `kid`,
/// `alg` and `use`), for keys the Lambda generates (RSA with the public exponent 65537).
pub fn jwk_bytes(spec: KeySpec, kid: KidStrategy) -> u64 {
    // `"name":"value"` is the two lengths plus 5 characters of quotes and colon.
    let member = |name: u64, value: u64| name + value + 5;
    let alg = spec.algorithm().as_str().len() as u64;
    let mut members = vec![member(3, alg), member(3, 3), member(3, kid_len(kid))];
    match spec {
        KeySpec::Rsa { bits, .. } => {
            let n = base64url_len(u64::from(bits).div_ceil(8));
            members.extend([member(3, 3), member(1, n), member(1, 4)]);
        }
        KeySpec::Ec { curve, .. } => {
            let coordinate = match curve {
                Curve::P384 => 48,
                Curve::P521 => 66,
                _ => 32,
            };
            let c = base64url_len(coordinate);
            let crv = curve.as_str().len() as u64;
            members.extend([member(3, 2), member(3, crv), member(1, c), member(1, c)]);
        }
        KeySpec::Ed25519 | KeySpec::Ed25519FullySpecified => {
            members.extend([member(3, 3), member(3, 7), member(1, base64url_len(32))]);
        }
    }
    // Braces, and a comma between members.
    members.iter().sum::<u64>() + members.len() as u64 + 1
}

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

    /// Object key of the private key registry beside the JWKS (see [`registry_key_for`]).
    pub fn registry_key(&self) -> String {
        registry_key_for(&self.object_key)
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

    /// Most bytes the published JWKS can reach under regular rotations: every key of
    /// [`Self::max_published_keys`], a comma between keys, and the document around them.
    pub fn max_jwks_bytes(&self) -> u64 {
        let keys = self.max_published_keys();
        keys.saturating_mul(jwk_bytes(self.key_spec, self.kid_strategy) + 1)
            .saturating_add(JWKS_DOCUMENT_OVERHEAD_BYTES)
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
        validate_function_key_spec(self.key_spec)?;
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
        let bytes = self.max_jwks_bytes();
        if keys > MAX_PUBLISHED_KEYS || bytes > MAX_JWKS_BYTES {
            return Err(invalid(
                "rotationInterval",
                self.rotation_interval,
                &format!(
                    "with maxTokenValidityDuration {} + minKeyCleanupGracePeriod {} + cleanupCheckInterval {} the JWKS would hold up to {keys} keys of {}, up to {bytes} bytes; verifiers take at most {MAX_PUBLISHED_KEYS} keys (AWS IAM OIDC federation) and {MAX_JWKS_BYTES} bytes (Nimbus JOSE+JWT's default, Spring Security): rotate less often, shorten the token lifetime or use smaller keys",
                    self.max_token_validity,
                    self.min_key_cleanup_grace_period,
                    self.cleanup_check_interval,
                    describe_key_spec(self.key_spec),
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

/// A key specification in words: `ES256`, `RS256 4096-bit`.
fn describe_key_spec(spec: KeySpec) -> String {
    match spec.modulus_bits() {
        Some(bits) => format!("{} {bits}-bit", spec.algorithm()),
        None => spec.algorithm().to_string(),
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

/// The rotation function's rule on key specifications: RSA moduli up to
/// [`MAX_FUNCTION_RSA_BITS`] (the key specification itself allows more).
pub fn validate_function_key_spec(spec: KeySpec) -> Result<(), ConfigError> {
    match spec.modulus_bits() {
        Some(bits) if bits > MAX_FUNCTION_RSA_BITS => Err(ConfigError::Invalid {
            input: "keySpec.modulusLength",
            value: bits.to_string(),
            rule: format!(
                "the rotation Lambda generates RSA keys of at most {MAX_FUNCTION_RSA_BITS} bits: larger keys take too long to generate within its timeout (at 8192 bits up to 22 s of CPU per key, measured: docs/BENCHMARKS.md); use {MAX_FUNCTION_RSA_BITS} or an EC algorithm (ES384, ES512)"
            ),
        }),
        _ => Ok(()),
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

/// Most bytes of an S3 object key.
pub const MAX_OBJECT_KEY_BYTES: usize = 1024;

/// Characters `bucketPath` may use besides ASCII letters and digits: S3's "safe characters" for
/// object keys (`/ - _ . ! ' ( )`, without `*`) and `+ = , @`, which need no escaping in policies
/// and are percent-encoded in the `jwksUrl`.
pub const OBJECT_KEY_PUNCTUATION: &str = "/-_.!'()+=,@";

/// `bucketPath` rules. The key is named in the bucket policy and the Lambda's IAM policy, becomes
/// the path of the `jwksUrl`, and decides where the private key registry lives
/// ([`registry_key_for`]); so it must be:
/// not empty, not starting with `/`; letters, digits and [`OBJECT_KEY_PUNCTUATION`] only (`*` and
/// `?` are wildcards and `${` starts a variable in IAM policies, whitespace and control
/// characters are invisible, and `# % ? \ ^ [ ] { } < > | " ~` and backquote change or break
/// URLs, S3 advises against them); no `.` or `..` segment (URL clients remove them, RFC 3986
/// §5.2.4, so the URL would name another object), no empty segment (`//`, merged by proxies) and
/// no trailing `/` (an S3 "folder"); not under [`REGISTRY_PREFIX`] (private registries); and short
/// enough that its registry key fits S3's 1024 bytes.
pub fn validate_object_key(key: &str) -> Result<(), ConfigError> {
    let fail = |rule: String| {
        Err(ConfigError::Invalid {
            input: "bucketPath",
            value: key.to_string(),
            rule,
        })
    };
    if key.is_empty() {
        return fail("must not be empty".into());
    }
    if key.starts_with('/') {
        return fail("must not start with `/` (S3 object keys are relative to the bucket)".into());
    }
    if key.len() > MAX_OBJECT_KEY_BYTES {
        return fail(format!(
            "must be at most {MAX_OBJECT_KEY_BYTES} bytes (S3's object key limit)"
        ));
    }
    if let Some(c) = key
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || OBJECT_KEY_PUNCTUATION.contains(*c)))
    {
        let why = match c {
            '*' | '?' => format!(
                "`{c}` is a wildcard in the bucket and IAM policies that name the object: they would grant more than the JWKS"
            ),
            '$' => "`$` starts a variable (`${...}`) in the bucket and IAM policies that name the object".into(),
            c if c.is_control() => format!(
                "control character {:?} is invisible in URLs and policies",
                c
            ),
            c if c.is_whitespace() => format!(
                "whitespace {:?} is invisible in URLs and policies and is altered by copy and paste",
                c
            ),
            c if !c.is_ascii() => format!(
                "`{c}` is not ASCII: the jwksUrl would need percent-encoding that verifiers' configuration often gets wrong"
            ),
            c => format!(
                "`{c}` changes or breaks the jwksUrl (`# % ? \\ ^ [ ] {{ }} < > | \" ~` and backquote are URL delimiters or unsafe, S3 advises against them in keys)"
            ),
        };
        return fail(format!(
            "{why}; use letters, digits and `{OBJECT_KEY_PUNCTUATION}` only"
        ));
    }
    let segments: Vec<&str> = key.split('/').collect();
    if segments.iter().any(|s| *s == "." || *s == "..") {
        return fail(
            "must not contain a `.` or `..` segment: URL clients remove dot segments (RFC 3986 §5.2.4), so the jwksUrl would fetch another object than the one published"
                .into(),
        );
    }
    if key.ends_with('/') {
        return fail(
            "must not end with `/`: that is an S3 folder placeholder, not an object name".into(),
        );
    }
    if segments.iter().any(|s| s.is_empty()) {
        return fail(
            "must not contain an empty segment (`//`): proxies and URL normalizers merge slashes, so the jwksUrl would fetch another object"
                .into(),
        );
    }
    if key.starts_with(REGISTRY_PREFIX) {
        return fail(format!(
            "must not be under `{REGISTRY_PREFIX}`: that prefix holds the private key registries, which are never published"
        ));
    }
    let registry = registry_key_for(key).len();
    if registry > MAX_OBJECT_KEY_BYTES {
        let most = MAX_OBJECT_KEY_BYTES - (registry - key.len());
        return fail(format!(
            "must be at most {most} bytes: the private key registry `{}` must also fit S3's {MAX_OBJECT_KEY_BYTES}-byte key limit",
            registry_key_for("<bucketPath>")
        ));
    }
    Ok(())
}

/// Lifetimes a Cache-Control value gives: (`max-age`, `s-maxage`) in seconds, the largest when a
/// directive repeats. Errs with the rule when a lifetime directive has no whole number.
fn cache_lifetimes(value: &str) -> Result<(Option<u64>, Option<u64>), String> {
    let (mut max_age, mut s_maxage) = (None::<u64>, None::<u64>);
    for directive in value.split(',') {
        let directive = directive.trim();
        let (name, arg) = match directive.split_once('=') {
            Some((n, a)) => (
                n.trim().to_ascii_lowercase(),
                Some(a.trim().trim_matches('"')),
            ),
            None => (directive.to_ascii_lowercase(), None),
        };
        let slot = match name.as_str() {
            "max-age" => &mut max_age,
            "s-maxage" => &mut s_maxage,
            _ => continue,
        };
        let Some(secs) = arg.and_then(|a| a.parse::<u64>().ok()) else {
            return Err(format!("`{directive}` needs a whole number of seconds"));
        };
        *slot = Some(slot.map_or(secs, |s| s.max(secs)));
    }
    Ok((max_age, s_maxage))
}

/// `cacheControl` rules: a header value whose `max-age` and `s-maxage` (the lifetime for shared
/// caches such as CloudFront) do not exceed the activation grace period (otherwise a verifier may
/// not see a key before it signs).
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
    let (max_age, s_maxage) = match cache_lifetimes(value) {
        Ok(l) => l,
        Err(rule) => return fail(rule),
    };
    for (name, secs) in [("max-age", max_age), ("s-maxage", s_maxage)] {
        if let Some(secs) = secs.filter(|s| *s > grace.as_secs()) {
            return fail(format!(
                "{name}={secs} exceeds minActivationGracePeriod ({grace} = {}s): verifiers could cache the JWKS past a key's activation",
                grace.as_secs()
            ));
        }
    }
    Ok(())
}

/// Least time CloudFront's managed `CachingOptimized` policy keeps an object (MinTTL), seconds.
pub const CDN_MIN_TTL_SECONDS: u64 = 1;
/// What `CachingOptimized` keeps an object whose Cache-Control has neither `max-age` nor
/// `s-maxage` (DefaultTTL), seconds.
pub const CDN_DEFAULT_TTL_SECONDS: u64 = 86_400;
/// Most time `CachingOptimized` keeps an object (MaxTTL), seconds.
pub const CDN_MAX_TTL_SECONDS: u64 = 31_536_000;

/// How long CloudFront (managed `CachingOptimized` policy) caches the JWKS for a Cache-Control
/// value: `s-maxage`, else `max-age`, clamped to the policy's MinTTL and MaxTTL; the DefaultTTL
/// (24 h) when neither is given.
pub fn cdn_ttl_seconds(value: &str) -> Result<u64, ConfigError> {
    let (max_age, s_maxage) = cache_lifetimes(value).map_err(|rule| ConfigError::Invalid {
        input: "cacheControl",
        value: value.to_string(),
        rule,
    })?;
    Ok(s_maxage.or(max_age).map_or(CDN_DEFAULT_TTL_SECONDS, |s| {
        s.clamp(CDN_MIN_TTL_SECONDS, CDN_MAX_TTL_SECONDS)
    }))
}

/// `cacheControl` rules with `cloudFront`, on top of [`validate_cache_control`]: the value must
/// give `max-age` or `s-maxage` (without them CloudFront keeps the JWKS for its default TTL of
/// 24 hours, whatever the grace period), and a copy CloudFront cached for its TTL and a verifier
/// then kept for `max-age` must still be younger than the grace period: CDN TTL + `max-age` ≤
/// `minActivationGracePeriod`.
pub fn validate_cdn_cache_control(value: &str, grace: Duration) -> Result<(), ConfigError> {
    validate_cache_control(value, grace)?;
    let fail = |rule: String| {
        Err(ConfigError::Invalid {
            input: "cacheControl",
            value: value.to_string(),
            rule,
        })
    };
    let (max_age, s_maxage) = match cache_lifetimes(value) {
        Ok(l) => l,
        Err(rule) => return fail(rule),
    };
    if max_age.is_none() && s_maxage.is_none() {
        return fail(format!(
            "with cloudFront it needs `max-age=N` or `s-maxage=N`: CloudFront's CachingOptimized cache policy keeps a response without them for its default TTL of 24 hours ({CDN_DEFAULT_TTL_SECONDS}s), whatever minActivationGracePeriod ({grace}) is"
        ));
    }
    let cdn = cdn_ttl_seconds(value)?;
    let client = max_age.unwrap_or(0);
    let total = cdn.saturating_add(client);
    if total > grace.as_secs() {
        return fail(format!(
            "with cloudFront a verifier can get a copy CloudFront cached {cdn}s ago (s-maxage, else max-age) and keep it max-age={client}s more: {total}s exceeds minActivationGracePeriod ({grace} = {}s)",
            grace.as_secs()
        ));
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
            rotation_interval: Duration::from_days(30),
            ..base()
        };
        let msg = c.validate().unwrap_err().to_string();
        assert!(
            msg.starts_with("rotationInterval `30d` is not allowed")
                && msg.contains("maxTokenValidityDuration 3650d")
                && msg.contains("up to 124 keys of ES256")
                && msg.contains("at most 100 keys"),
            "{msg}"
        );
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

    fn rsa(bits: u32) -> KeySpec {
        KeySpec::Rsa {
            algorithm: Algorithm::RS256,
            bits,
        }
    }

    fn synthetic_jwk(spec: KeySpec, kid: KidStrategy) -> String {
        let b64 = |bytes: u64| "A".repeat(base64url_len(bytes) as usize);
        let members = match spec {
            KeySpec::Rsa { bits, .. } => {
                serde_json::json!({"kty": "RSA", "n": b64(u64::from(bits) / 8), "e": "AQAB"})
            }
            KeySpec::Ec { curve, .. } => {
                let size = match curve {
                    Curve::P384 => 48,
                    Curve::P521 => 66,
                    _ => 32,
                };
                serde_json::json!({"kty": "EC", "crv": curve.as_str(), "x": b64(size), "y": b64(size)})
            }
            KeySpec::Ed25519 | KeySpec::Ed25519FullySpecified => {
                serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": b64(32)})
            }
        };
        let kid = "k".repeat(kid_len(kid) as usize);
        let jwk = crate::jwks::PublicJwk::from_jwk(
            members.as_object().expect("an object"),
            &kid,
            spec.algorithm().as_str(),
        )
        .expect("a valid public key");
        serde_json::to_string(&jwk).expect("serializes")
    }

    #[test]
    fn jwk_bytes_is_the_published_size() {
        let specs = [
            rsa(2048),
            rsa(3072),
            rsa(4096),
            rsa(16384),
            KeySpec::Ec {
                algorithm: Algorithm::ES256,
                curve: Curve::P256,
            },
            KeySpec::Ec {
                algorithm: Algorithm::ES384,
                curve: Curve::P384,
            },
            KeySpec::Ec {
                algorithm: Algorithm::ES512,
                curve: Curve::P521,
            },
            KeySpec::Ed25519,
            KeySpec::Ed25519FullySpecified,
        ];
        for spec in specs {
            for kid in [KidStrategy::Random, KidStrategy::Thumbprint] {
                let text = synthetic_jwk(spec, kid);
                assert_eq!(
                    jwk_bytes(spec, kid),
                    text.len() as u64,
                    "{spec:?} {kid}: {text}"
                );
            }
        }
        // The whole document stays within the estimate (keys, commas, overhead).
        let c = base();
        let keys = vec![synthetic_jwk(c.key_spec, c.kid_strategy); c.max_published_keys() as usize];
        let doc = format!(
            r#"{{"keys":[{}],"jwks_rotation_revision":"{}"}}"#,
            keys.join(","),
            "0".repeat(24)
        );
        assert!(doc.len() as u64 <= c.max_jwks_bytes(), "{}", doc.len());
    }

    #[test]
    fn published_key_bound_is_what_verifiers_take() {
        // 34 keys: refused by the old 20-key bound (registry in 2 KB of metadata), accepted now.
        let many = RotationConfig {
            max_token_validity: Duration::from_days(30),
            rotation_interval: Duration::from_days(1),
            min_activation_grace_period: Duration::from_hours(12),
            ..base()
        };
        assert_eq!(many.max_published_keys(), 34);
        many.validate().unwrap();
        let rsa4096 = RotationConfig {
            key_spec: rsa(4096),
            ..many.clone()
        };
        rsa4096.validate().unwrap();
        assert!(rsa4096.max_jwks_bytes() <= MAX_JWKS_BYTES);
        // 94 keys pass the key bound, but 94 RSA-4096 keys are 72 KB: over the byte bound.
        let big = RotationConfig {
            key_spec: rsa(4096),
            max_token_validity: Duration::from_days(90),
            ..many.clone()
        };
        assert_eq!(big.max_published_keys(), 94);
        let msg = big.validate().unwrap_err().to_string();
        assert!(
            msg.starts_with("rotationInterval `1d` is not allowed")
                && msg.contains("up to 94 keys of RS256 4096-bit, up to 72602 bytes")
                && msg.contains(&format!("up to {} bytes", big.max_jwks_bytes()))
                && msg.contains("51200 bytes"),
            "{msg}"
        );
        // Exactly at the key bound passes; one more is refused.
        let at_bound = |days: u64| RotationConfig {
            max_token_validity: Duration::from_days(days),
            rotation_interval: Duration::from_days(1),
            min_activation_grace_period: Duration::from_hours(12),
            min_key_cleanup_grace_period: Duration::from_hours(0),
            cleanup_check_interval: Duration::from_days(1),
            ..base()
        };
        assert_eq!(at_bound(97).max_published_keys(), MAX_PUBLISHED_KEYS);
        at_bound(97).validate().unwrap();
        assert_eq!(at_bound(98).max_published_keys(), MAX_PUBLISHED_KEYS + 1);
        assert!(
            at_bound(98)
                .validate()
                .unwrap_err()
                .to_string()
                .contains("up to 101 keys")
        );
    }

    #[test]
    fn rsa_moduli_above_what_the_function_is_sized_for_are_refused() {
        for bits in [2048, 3072, 4096] {
            validate_function_key_spec(rsa(bits)).unwrap();
            RotationConfig {
                key_spec: rsa(bits),
                ..base()
            }
            .validate()
            .unwrap();
        }
        for bits in [4104, 8192, 16384] {
            let c = RotationConfig {
                key_spec: rsa(bits),
                ..base()
            };
            let msg = c.validate().unwrap_err().to_string();
            assert!(
                msg.starts_with(&format!("keySpec.modulusLength `{bits}` is not allowed: "))
                    && msg.contains("at most 4096 bits"),
                "{msg}"
            );
            // The Lambda refuses such a configuration at start too.
            let env = c.to_env();
            assert!(RotationConfig::from_lookup(|k| env.get(k).cloned()).is_err());
        }
        validate_function_key_spec(KeySpec::Ed25519).unwrap();
        validate_function_key_spec(KeySpec::Ed25519FullySpecified).unwrap();
    }

    #[test]
    fn bucket_path_characters_and_segments() {
        for ok in [
            ".well-known/jwks.json",
            "keys/v1/jwks.json",
            "a-b_c.d!e'(f)+g=h,i@j",
            "jwks",
        ] {
            validate_object_key(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for (bad, fragment) in [
            (
                "keys/*.json",
                "`*` is a wildcard in the bucket and IAM policies",
            ),
            ("jwks?.json", "`?` is a wildcard"),
            ("${aws:username}/jwks.json", "`$` starts a variable"),
            ("my jwks.json", "whitespace ' '"),
            ("jwks.json\u{a0}", "whitespace '\\u{a0}'"),
            ("jw\tks.json", "control character '\\t'"),
            ("clé.json", "`é` is not ASCII"),
            ("keys#1.json", "`#` changes or breaks the jwksUrl"),
            ("keys%2F.json", "`%` changes or breaks the jwksUrl"),
            ("keys\\jwks.json", "`\\` changes or breaks the jwksUrl"),
            ("a/../jwks.json", "`.` or `..` segment"),
            ("./jwks.json", "`.` or `..` segment"),
            ("a//jwks.json", "empty segment (`//`)"),
            ("keys/", "must not end with `/`"),
            (
                ".jwks-rotation/x.json",
                "must not be under `.jwks-rotation/`",
            ),
        ] {
            let msg = validate_object_key(bad).unwrap_err().to_string();
            assert!(
                msg.starts_with(&format!("bucketPath `{bad}` is not allowed: "))
                    && msg.contains(fragment),
                "{bad}: {msg}"
            );
        }
        // The registry key `.jwks-rotation/<key>.registry.json` must fit 1024 bytes too.
        let longest = MAX_OBJECT_KEY_BYTES - registry_key_for("").len();
        validate_object_key(&"a".repeat(longest)).unwrap();
        assert_eq!(
            registry_key_for(&"a".repeat(longest)).len(),
            MAX_OBJECT_KEY_BYTES
        );
        let msg = validate_object_key(&"a".repeat(longest + 1))
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains(&format!("must be at most {longest} bytes"))
                && msg.contains(".jwks-rotation/<bucketPath>.registry.json"),
            "{msg}"
        );
    }

    #[test]
    fn cache_control_lifetimes() {
        let week = DEFAULT_MIN_ACTIVATION_GRACE_PERIOD;
        validate_cache_control("public, max-age=300", week).unwrap();
        validate_cache_control("public, max-age=300, s-maxage=600", week).unwrap();
        validate_cache_control("no-store", week).unwrap();
        for (bad, fragment) in [
            (
                "public, s-maxage=604801",
                "s-maxage=604801 exceeds minActivationGracePeriod (7d = 604800s)",
            ),
            ("public, max-age=604801", "max-age=604801 exceeds"),
            (
                "public, max-age",
                "`max-age` needs a whole number of seconds",
            ),
            ("S-MAXAGE=soon", "`S-MAXAGE=soon` needs a whole number"),
            ("max-age=60, max-age=700000", "max-age=700000 exceeds"),
        ] {
            let msg = validate_cache_control(bad, week).unwrap_err().to_string();
            assert!(
                msg.starts_with(&format!("cacheControl `{bad}` is not allowed: "))
                    && msg.contains(fragment),
                "{bad}: {msg}"
            );
        }
    }

    #[test]
    fn cache_control_behind_cloudfront() {
        let week = DEFAULT_MIN_ACTIVATION_GRACE_PERIOD;
        assert_eq!(cdn_ttl_seconds("public, max-age=300").unwrap(), 300);
        assert_eq!(cdn_ttl_seconds("max-age=300, s-maxage=60").unwrap(), 60);
        assert_eq!(cdn_ttl_seconds("max-age=0").unwrap(), CDN_MIN_TTL_SECONDS);
        assert_eq!(cdn_ttl_seconds("public").unwrap(), CDN_DEFAULT_TTL_SECONDS);
        validate_cdn_cache_control(DEFAULT_CACHE_CONTROL, week).unwrap();
        validate_cdn_cache_control("public, s-maxage=3600", week).unwrap();
        for bad in ["public", "no-cache", "public, must-revalidate"] {
            let msg = validate_cdn_cache_control(bad, week)
                .unwrap_err()
                .to_string();
            assert!(
                msg.starts_with(&format!("cacheControl `{bad}` is not allowed: "))
                    && msg.contains("needs `max-age=N` or `s-maxage=N`")
                    && msg.contains("24 hours (86400s)"),
                "{msg}"
            );
        }
        // Each lifetime fits the grace, their sum does not: refused only behind CloudFront.
        let grace = Duration::from_hours(2);
        let value = "max-age=3600, s-maxage=5400";
        validate_cache_control(value, grace).unwrap();
        let msg = validate_cdn_cache_control(value, grace)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("cached 5400s ago")
                && msg.contains(
                    "max-age=3600s more: 9000s exceeds minActivationGracePeriod (2h = 7200s)"
                ),
            "{msg}"
        );
        // The plain rule still applies behind CloudFront.
        assert!(
            validate_cdn_cache_control("s-maxage=999999", week)
                .unwrap_err()
                .to_string()
                .contains("s-maxage=999999 exceeds")
        );
    }
}
