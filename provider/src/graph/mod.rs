//! The resource graph `Construct` registers: one module per group of children. The set of
//! children depends only on which inputs are present, never on their (possibly unknown) values,
//! so preview and update register the same resources.

mod alarm;
mod bucket;
mod cdn;
mod function;
mod openid;
pub mod policy;
mod schedule;
mod secret;

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;

use prost_types::{Struct, Value};

use crate::args::{Args, In};
use crate::error::ProviderError;
use crate::monitor::{AWS_VERSION, Monitor, Registered};
use crate::wire::{self, Str};

/// Object key of the OpenID configuration published with `issuer`.
pub const OPENID_CONFIGURATION_KEY: &str = ".well-known/openid-configuration";

/// What the graph needs besides the inputs.
pub struct Ctx<'a> {
    /// The component's name; children are named `<name>-...`.
    pub name: &'a str,
    /// The validated inputs.
    pub args: &'a Args,
    /// The monitor, parented to the component.
    pub monitor: &'a Monitor,
    /// Where the Lambda zip is written.
    pub zip_root: PathBuf,
}

impl Ctx<'_> {
    fn child_name(&self, suffix: &str) -> String {
        format!("{}-{suffix}", self.name)
    }

    /// The `tags` input as a wire value, when given.
    fn tags(&self) -> Option<Value> {
        self.args.tags.as_ref().map(|t| match t {
            In::Known(map) => wire::str_map(map),
            In::Unknown => wire::string(wire::UNKNOWN_OBJECT),
        })
    }

    /// Inputs with `tags` added when given.
    fn with_tags<K: Into<String>>(&self, fields: impl IntoIterator<Item = (K, Value)>) -> Struct {
        let mut s = wire::structure(fields);
        if let Some(tags) = self.tags() {
            s.fields.insert("tags".into(), tags);
        }
        s
    }
}

/// The component's outputs with the URNs each depends on.
pub struct Built {
    /// Output properties.
    pub outputs: BTreeMap<String, (Value, Vec<String>)>,
}

/// An S3 object key as a URL path: every byte outside RFC 3986's unreserved set and `/` is
/// percent-encoded.
pub fn url_path(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The URL of an existing bucket's objects, up to the key. Virtual-hosted
/// (`https://<bucket>.s3.amazonaws.com/`) when the name is one DNS label; path-style
/// (`https://s3.<region>.<domain>/<bucket>/`) when it has a dot, because S3's TLS certificate
/// (`*.s3.amazonaws.com`) covers one label only. The region is the one the component deploys to,
/// read from the secret's ARN (the Lambda writes the bucket from that region, so an existing
/// bucket must be there).
pub fn existing_bucket_base_url(bucket: &str, secret_arn: &str) -> String {
    if !bucket.contains('.') {
        return format!("https://{bucket}.s3.amazonaws.com/");
    }
    let region = secret_arn
        .split(':')
        .nth(3)
        .filter(|r| !r.is_empty())
        .unwrap_or("us-east-1");
    let domain = if policy::partition(secret_arn) == "aws-cn" {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    format!("https://s3.{region}.{domain}/{bucket}/")
}

/// Registers what `f` registers when `value` is present (an optional group of children).
async fn for_some<T, U, F: Future<Output = Result<U, ProviderError>>>(
    value: Option<T>,
    f: impl FnOnce(T) -> F,
) -> Result<Option<U>, ProviderError> {
    match value {
        Some(v) => f(v).await.map(Some),
        None => Ok(None),
    }
}

/// Registers every child and computes the outputs.
pub async fn build(ctx: &Ctx<'_>) -> Result<Built, ProviderError> {
    let args = ctx.args;
    let creates_bucket = args.bucket.is_none();

    let (bucket, secret, logs, role, rule, oac) = tokio::try_join!(
        for_some(creates_bucket.then_some(()), |()| bucket::bucket(ctx)),
        secret::secret(ctx),
        function::log_group(ctx),
        function::role(ctx),
        schedule::cleanup_rule(ctx),
        for_some(args.cloud_front.as_ref(), |_| cdn::origin_access_control(
            ctx
        )),
    )?;
    let bucket_name = match (&bucket, &args.bucket) {
        (Some(b), _) => b.out("bucket"),
        (None, Some(existing)) => existing.clone(),
        (None, None) => Str::unknown(),
    };
    let regional_domain = match &bucket {
        Some(b) => b.out("bucketRegionalDomainName"),
        None => bucket_name.map(|b| format!("{b}.s3.amazonaws.com")),
    };
    let secret_arn = secret.out("arn");

    let (controls, version, role_policy, distribution, function) = tokio::try_join!(
        for_some(bucket.as_ref(), |b| bucket::controls(ctx, b)),
        secret::initial_version(ctx, &secret),
        function::role_policy(ctx, &role, &secret, &logs, &bucket_name, bucket.as_ref()),
        for_some(args.cloud_front.as_ref().zip(oac.as_ref()), |pair| {
            cdn::distribution(ctx, pair, &regional_domain, bucket.as_ref())
        }),
        function::function(ctx, &role, &logs, &secret, &bucket_name, bucket.as_ref()),
    )?;

    let path = &args.bucket_path;
    let jwks_url = match (&distribution, &args.cloud_front) {
        (Some(d), Some(cf)) => {
            let host = match &cf.aliases {
                In::Known(list) if !list.is_empty() => list[0].clone(),
                In::Known(_) => d.out("domainName"),
                In::Unknown => Str::unknown(),
            };
            Str::combine(&[&host, path], |v| {
                format!("https://{}/{}", v[0], url_path(v[1]))
            })
        }
        _ => {
            let base = match (&bucket, bucket_name.value.as_deref()) {
                (Some(b), _) => b
                    .out("bucketRegionalDomainName")
                    .map(|d| format!("https://{d}/")),
                (None, Some(name)) if name.contains('.') => {
                    Str::combine(&[&bucket_name, &secret_arn], |v| {
                        existing_bucket_base_url(v[0], v[1])
                    })
                }
                (None, _) => bucket_name.map(|b| existing_bucket_base_url(b, "")),
            };
            Str::combine(&[&base, path], |v| format!("{}{}", v[0], url_path(v[1])))
        }
    };
    let openid_url = jwks_url.map(|u| {
        let base = u
            .strip_suffix(&url_path(path.value.as_deref().unwrap_or_default()))
            .unwrap_or(u);
        format!("{base}{OPENID_CONFIGURATION_KEY}")
    });

    let openid_key = Str::known(OPENID_CONFIGURATION_KEY);
    let mut published: Vec<&Str> = vec![path];
    if args.issuer.is_some() {
        published.push(&openid_key);
    }
    let distribution_arn = distribution.as_ref().map(|d| d.out("arn"));
    let statements = policy::bucket_statements(
        &bucket_name,
        &published,
        &policy::Readers {
            public: args.public_read.known().copied(),
            distribution_arn: distribution_arn.as_ref(),
        },
        &secret_arn,
    );

    let (bucket_policy, permissions, _target, _alarm, _openid) = tokio::try_join!(
        for_some(bucket.as_ref().zip(controls.as_ref()), |pair| {
            bucket::policy(ctx, pair, distribution.as_ref(), &secret, &statements)
        }),
        function::permissions(ctx, &function, &secret, &rule),
        schedule::cleanup_target(ctx, &rule, &function, &secret),
        for_some(args.alarm.as_ref(), |a| alarm::alarm(ctx, a, &function)),
        for_some(args.issuer.as_ref(), |issuer| openid::configuration(
            ctx,
            issuer,
            &bucket_name,
            bucket.as_ref(),
            &jwks_url,
            distribution.as_ref()
        )),
    )?;

    let mut after: Vec<&Registered> = vec![&permissions.0, &version, &role_policy, &function];
    if let Some(p) = &bucket_policy {
        after.push(p);
    }
    schedule::rotation(ctx, &secret, &function, &after).await?;

    let kms = args.kms_key_id.as_ref();
    let issuer_policy = policy::issuer_policy(&secret_arn, kms);
    let mut outputs = BTreeMap::new();
    let mut put = |k: &str, v: Value, deps: Vec<&Registered>| {
        outputs.insert(
            k.to_string(),
            (v, deps.iter().map(|r| r.urn.clone()).collect()),
        );
    };
    let bucket_deps: Vec<&Registered> = bucket.iter().chain(distribution.iter()).collect();
    put("jwksUrl", jwks_url.to_wire(), bucket_deps.clone());
    put("bucketName", bucket_name.to_wire(), bucket.iter().collect());
    put("secretArn", secret_arn.to_wire(), vec![&secret]);
    put("secretName", secret.out("name").to_wire(), vec![&secret]);
    put(
        "rotationFunctionArn",
        function.out("arn").to_wire(),
        vec![&function],
    );
    put(
        "rotationFunctionName",
        function.out("name").to_wire(),
        vec![&function],
    );
    put("issuerPolicy", issuer_policy.to_wire(), vec![&secret]);
    put(
        "bucketPolicyStatements",
        statements.to_wire(),
        bucket_deps.clone(),
    );
    if args.issuer.is_some() {
        put("openIdConfigurationUrl", openid_url.to_wire(), bucket_deps);
    }
    if let Some(b) = &bucket {
        // Not `bucket`: that is the input naming an existing bucket, and the SDKs fill an output
        // left out from the input of the same name.
        put(
            "createdBucket",
            wire::resource_ref(&b.urn, &b.id, AWS_VERSION),
            vec![b],
        );
    }
    put(
        "secret",
        wire::resource_ref(&secret.urn, &secret.id, AWS_VERSION),
        vec![&secret],
    );
    put(
        "rotationFunction",
        wire::resource_ref(&function.urn, &function.id, AWS_VERSION),
        vec![&function],
    );
    Ok(Built { outputs })
}

#[cfg(test)]
mod tests {
    use super::{existing_bucket_base_url, url_path};

    #[test]
    fn dotted_existing_buckets_get_path_style_urls() {
        let arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:s-AbC";
        assert_eq!(
            existing_bucket_base_url("my-bucket", arn),
            "https://my-bucket.s3.amazonaws.com/"
        );
        assert_eq!(
            existing_bucket_base_url("jwks.example.com", arn),
            "https://s3.eu-west-1.amazonaws.com/jwks.example.com/"
        );
        assert_eq!(
            existing_bucket_base_url("a.b", "arn:aws-cn:secretsmanager:cn-north-1:1:secret:s-AbC"),
            "https://s3.cn-north-1.amazonaws.com.cn/a.b/"
        );
    }

    #[test]
    fn object_keys_become_url_paths() {
        assert_eq!(url_path(".well-known/jwks.json"), ".well-known/jwks.json");
        assert_eq!(url_path("keys/a b+c.json"), "keys/a%20b%2Bc.json");
        assert_eq!(url_path("clé"), "cl%C3%A9");
    }
}
