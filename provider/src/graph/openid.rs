//! The optional OpenID configuration document (`issuer`), published like the JWKS.

use jwks_rotation_core::KeySpec;

use crate::args::In;
use crate::error::ProviderError;
use crate::monitor::{Child, Registered};
use crate::wire::{Str, string};

use super::{Ctx, OPENID_CONFIGURATION_KEY};

/// Content type of the OpenID configuration.
pub const OPENID_CONTENT_TYPE: &str = "application/json";

/// `response_types_supported`: `id_token` alone. The issuer hands out signed tokens and has no
/// authorization or token endpoint; of the response types OpenID Connect defines, only
/// `id_token` (implicit: the token straight from the issuer) describes that, and with it OpenID
/// Connect Discovery 1.0 §3 does not require `token_endpoint`.
pub const RESPONSE_TYPES_SUPPORTED: [&str; 1] = ["id_token"];

/// `subject_types_supported`: `public`, the same `sub` for every client (no pairwise subjects).
pub const SUBJECT_TYPES_SUPPORTED: [&str; 1] = ["public"];

/// The JOSE name of the configured algorithm, as `id_token_signing_alg_values_supported` lists
/// it (`Ed25519` and `EdDSA` as configured: the same key, two names). Unknown while `keySpec` is.
pub fn signing_algorithm(key_spec: &In<KeySpec>) -> Str {
    match key_spec {
        In::Known(spec) => Str::known(spec.algorithm().as_str()),
        In::Unknown => Str::unknown(),
    }
}

/// The document (OpenID Connect Discovery 1.0 §3): `issuer`, `jwks_uri`, the configured
/// algorithm in `id_token_signing_alg_values_supported` (REQUIRED; without it go-oidc and other
/// strict clients assume RS256 alone), and the REQUIRED `response_types_supported` and
/// `subject_types_supported`. `authorization_endpoint`, REQUIRED too, is left out: there is
/// none, and a made-up URL would send a client somewhere that does not answer (README, "OIDC
/// discovery").
pub fn document(issuer: &Str, jwks_url: &Str, algorithm: &Str) -> Str {
    Str::combine(&[issuer, jwks_url, algorithm], |v| {
        serde_json::json!({
            "issuer": v[0],
            "jwks_uri": v[1],
            "response_types_supported": RESPONSE_TYPES_SUPPORTED,
            "subject_types_supported": SUBJECT_TYPES_SUPPORTED,
            "id_token_signing_alg_values_supported": [v[2]],
        })
        .to_string()
    })
}

/// The object.
pub async fn configuration(
    ctx: &Ctx<'_>,
    issuer: &Str,
    bucket_name: &Str,
    bucket: Option<&Registered>,
    jwks_url: &Str,
    distribution: Option<&Registered>,
) -> Result<Registered, ProviderError> {
    let mut after: Vec<&Registered> = bucket.into_iter().collect();
    after.extend(distribution);
    ctx.monitor
        .register(
            Child::new(
                "aws:s3/bucketObjectv2:BucketObjectv2",
                ctx.child_name("openid-configuration"),
                ctx.with_tags([
                    ("bucket", bucket_name.to_wire()),
                    ("key", string(OPENID_CONFIGURATION_KEY)),
                    (
                        "content",
                        document(issuer, jwks_url, &signing_algorithm(&ctx.args.key_spec))
                            .to_wire(),
                    ),
                    ("contentType", string(OPENID_CONTENT_TYPE)),
                    ("cacheControl", ctx.args.cache_control.to_wire()),
                ]),
            )
            .after(&after),
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(doc: &Str) -> serde_json::Value {
        serde_json::from_str(doc.value.as_deref().expect("known")).expect("JSON")
    }

    #[test]
    fn the_document_has_every_member_a_strict_client_reads() {
        let spec = KeySpec::Ed25519FullySpecified;
        let doc = document(
            &Str::known("https://issuer.example.com"),
            &Str::known("https://issuer.example.com/.well-known/jwks.json"),
            &signing_algorithm(&In::Known(spec)),
        );
        assert_eq!(
            parsed(&doc),
            serde_json::json!({
                "issuer": "https://issuer.example.com",
                "jwks_uri": "https://issuer.example.com/.well-known/jwks.json",
                "response_types_supported": ["id_token"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["Ed25519"],
            })
        );
        let eddsa = signing_algorithm(&In::Known(KeySpec::Ed25519));
        assert_eq!(eddsa.value.as_deref(), Some("EdDSA"));
    }

    #[test]
    fn an_unknown_key_spec_leaves_the_document_unknown() {
        let doc = document(
            &Str::known("https://issuer.example.com"),
            &Str::known("https://issuer.example.com/jwks.json"),
            &signing_algorithm(&In::Unknown),
        );
        assert_eq!(doc.value, None);
    }
}
