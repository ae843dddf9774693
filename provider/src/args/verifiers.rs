//! `verifiers`: the AWS services the user says will verify the tokens, and the documented limits
//! of each that a configuration can break. A combination the service cannot use at all is
//! refused at preview (naming `verifiers`, the service and the rule); one that only may not work
//! is a warning. Nothing here applies when `verifiers` is left out.
//!
//! The limits (README, "Verifier compatibility"):
//! * API Gateway HTTP API JWT authorizers: "only RSA-based algorithms"; keys found through
//!   `{issuer}/.well-known/openid-configuration`; JWKS at most 150000 bytes.
//! * API Gateway REST API JWT authorizers: `defaultAlgorithms` RS256/384/512 and ES256/384/512;
//!   discovery document and key set reachable from the public internet.
//! * ALB JWT verification: RS256 only; JWKS at most 150 KB and 10 keys; `Issuer` and
//!   `JwksEndpoint` at most 256 characters.

use jwks_rotation_core::config::MAX_JWKS_BYTES;
use jwks_rotation_core::key_spec::KeyFamily;
use jwks_rotation_core::{Algorithm, KeySpec, RotationConfig};

use super::In;
use crate::error::ProviderError;
use crate::wire::Str;

/// Largest JWKS API Gateway HTTP API JWT authorizers and ALB JWT verification fetch, in bytes.
pub const AWS_VERIFIER_MAX_JWKS_BYTES: u64 = 150_000;
/// Most keys ALB JWT verification takes from a JWKS.
pub const ALB_MAX_KEYS: u64 = 10;
/// Longest `Issuer` of an ALB JWT validation action, in characters.
pub const ALB_MAX_ISSUER_CHARS: usize = 256;

// Every configuration the core accepts fits the AWS verifiers' size limit, so size needs no
// rule of its own here.
const _: () = assert!(MAX_JWKS_BYTES <= AWS_VERIFIER_MAX_JWKS_BYTES);

/// An AWS service that verifies the tokens, as named in `verifiers`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verifier {
    /// API Gateway HTTP API (v2) JWT authorizer.
    ApiGatewayHttpApi,
    /// API Gateway REST API JWT authorizer.
    ApiGatewayRestApi,
    /// Application Load Balancer JWT verification.
    Alb,
}

/// Every verifier, in the order shown in messages and docs.
pub const VERIFIERS: [Verifier; 3] = [
    Verifier::ApiGatewayHttpApi,
    Verifier::ApiGatewayRestApi,
    Verifier::Alb,
];

impl Verifier {
    /// The input spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Verifier::ApiGatewayHttpApi => "apiGatewayHttpApi",
            Verifier::ApiGatewayRestApi => "apiGatewayRestApi",
            Verifier::Alb => "alb",
        }
    }

    /// Parses the input spelling; the error lists the accepted values.
    pub fn parse(value: &str) -> Result<Self, ProviderError> {
        VERIFIERS
            .into_iter()
            .find(|v| v.as_str() == value)
            .ok_or_else(|| {
                ProviderError::invalid(
                    "verifiers",
                    value,
                    format!(
                        "must be one of {}",
                        VERIFIERS
                            .iter()
                            .map(|v| format!("`{}`", v.as_str()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })
    }
}

/// What a verifier's rules need to see of the other inputs (unknown parts are not checked).
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// `keySpec`.
    pub key_spec: &'a In<KeySpec>,
    /// `issuer`, when given (its value may be unknown).
    pub issuer: Option<&'a Str>,
    /// The rotation configuration, when every input of it is known.
    pub config: Option<&'a RotationConfig>,
}

fn refuse(verifier: Verifier, rule: String) -> ProviderError {
    ProviderError::invalid("verifiers", verifier.as_str(), rule)
}

/// Checks the configuration against every named verifier: `Err` for a combination the service
/// cannot use, otherwise the warnings to show (a combination that may not work).
pub fn check(verifiers: &[Verifier], s: Subject<'_>) -> Result<Vec<String>, ProviderError> {
    let mut warnings = Vec::new();
    for &verifier in verifiers {
        check_one(verifier, s, &mut warnings)?;
    }
    Ok(warnings)
}

fn check_one(v: Verifier, s: Subject<'_>, warnings: &mut Vec<String>) -> Result<(), ProviderError> {
    let algorithm = s.key_spec.known().map(|k| k.algorithm());
    match v {
        Verifier::ApiGatewayHttpApi => {
            if let Some(alg) = algorithm {
                match alg.family() {
                    KeyFamily::Rsa => {
                        if matches!(alg, Algorithm::PS256 | Algorithm::PS384 | Algorithm::PS512) {
                            warnings.push(format!(
                                "verifiers `apiGatewayHttpApi` with keySpec.algorithm `{alg}`: API Gateway HTTP API JWT authorizers take \"only RSA-based algorithms\" and AWS names none but RS256 (API Gateway's algorithm lists, for REST API authorizers, have no PS*): RS256 is the safe choice"
                            ));
                        }
                    }
                    KeyFamily::Ec | KeyFamily::Okp => {
                        return Err(refuse(
                            v,
                            format!(
                                "keySpec.algorithm `{alg}` cannot be verified by API Gateway HTTP API JWT authorizers, which take only RSA-based algorithms: use RS256 (or RS384, RS512)"
                            ),
                        ));
                    }
                }
            }
            require_issuer(v, s, "API Gateway HTTP API JWT authorizers")
        }
        Verifier::ApiGatewayRestApi => {
            if let Some(alg) = algorithm {
                let accepted = [
                    Algorithm::RS256,
                    Algorithm::RS384,
                    Algorithm::RS512,
                    Algorithm::ES256,
                    Algorithm::ES384,
                    Algorithm::ES512,
                ];
                if !accepted.contains(&alg) {
                    return Err(refuse(
                        v,
                        format!(
                            "keySpec.algorithm `{alg}` cannot be verified by API Gateway REST API JWT authorizers, whose defaultAlgorithms are RS256, RS384, RS512, ES256, ES384 and ES512 only"
                        ),
                    ));
                }
            }
            require_issuer(v, s, "API Gateway REST API JWT authorizers")
        }
        Verifier::Alb => {
            if let Some(alg) = algorithm
                && alg != Algorithm::RS256
            {
                return Err(refuse(
                    v,
                    format!(
                        "keySpec.algorithm `{alg}` cannot be verified by ALB JWT verification, which supports RS256 only: use RS256"
                    ),
                ));
            }
            if let Some(c) = s.config {
                let keys = c.max_published_keys();
                if keys > ALB_MAX_KEYS {
                    return Err(refuse(
                        v,
                        format!(
                            "the JWKS may hold up to {keys} keys (2 + ceil((maxTokenValidityDuration {} + minKeyCleanupGracePeriod {} + cleanupCheckInterval {}) / rotationInterval {})) and ALB JWT verification takes at most {ALB_MAX_KEYS}: lengthen rotationInterval or shorten maxTokenValidityDuration",
                            c.max_token_validity,
                            c.min_key_cleanup_grace_period,
                            c.cleanup_check_interval,
                            c.rotation_interval,
                        ),
                    ));
                }
            }
            if let Some(Str {
                value: Some(issuer),
                ..
            }) = s.issuer
                && issuer.chars().count() > ALB_MAX_ISSUER_CHARS
            {
                return Err(refuse(
                    v,
                    format!(
                        "issuer `{issuer}` is {} characters and an ALB JWT validation action's Issuer takes at most {ALB_MAX_ISSUER_CHARS}",
                        issuer.chars().count()
                    ),
                ));
            }
            Ok(())
        }
    }
}

fn require_issuer(v: Verifier, s: Subject<'_>, who: &str) -> Result<(), ProviderError> {
    if s.issuer.is_none() {
        return Err(refuse(
            v,
            format!(
                "needs `issuer`: {who} find the keys through the issuer's discovery document ({{issuer}}/.well-known/openid-configuration, its jwks_uri), which the component publishes only when `issuer` is given"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jwks_rotation_core::{Duration, KeySpecInput};

    fn spec(alg: &str) -> In<KeySpec> {
        In::Known(
            KeySpec::from_input(&KeySpecInput {
                algorithm: alg.into(),
                crv: None,
                modulus_length: None,
            })
            .expect("a valid key spec"),
        )
    }

    fn config(spec: KeySpec, ttl: Duration, rotation: Duration) -> RotationConfig {
        let mut c = RotationConfig::with_defaults("s", "b", spec, ttl);
        c.rotation_interval = rotation;
        c
    }

    fn run(
        v: Verifier,
        key_spec: &In<KeySpec>,
        issuer: Option<&str>,
        config: Option<&RotationConfig>,
    ) -> Result<Vec<String>, String> {
        let issuer = issuer.map(Str::known);
        check(
            &[v],
            Subject {
                key_spec,
                issuer: issuer.as_ref(),
                config,
            },
        )
        .map_err(|e| e.to_string())
    }

    const ISSUER: Option<&str> = Some("https://issuer.example.com");

    #[test]
    fn names_are_parsed_and_unknown_ones_listed() {
        for v in VERIFIERS {
            assert_eq!(Verifier::parse(v.as_str()).unwrap(), v);
        }
        let e = Verifier::parse("cognito").unwrap_err().to_string();
        assert_eq!(
            e,
            "verifiers `cognito` is not allowed: must be one of `apiGatewayHttpApi`, `apiGatewayRestApi`, `alb`"
        );
    }

    #[test]
    fn http_api_takes_rsa_only_and_warns_on_pss() {
        assert_eq!(
            run(Verifier::ApiGatewayHttpApi, &spec("RS256"), ISSUER, None),
            Ok(vec![])
        );
        assert_eq!(
            run(Verifier::ApiGatewayHttpApi, &spec("RS512"), ISSUER, None),
            Ok(vec![])
        );
        for alg in ["ES256", "ES512", "EdDSA", "Ed25519"] {
            let e = run(Verifier::ApiGatewayHttpApi, &spec(alg), ISSUER, None).unwrap_err();
            assert!(
                e.starts_with("verifiers `apiGatewayHttpApi` is not allowed: ")
                    && e.contains(&format!("keySpec.algorithm `{alg}`"))
                    && e.contains("only RSA-based algorithms"),
                "{e}"
            );
        }
        let w = run(Verifier::ApiGatewayHttpApi, &spec("PS256"), ISSUER, None).unwrap();
        assert_eq!(w.len(), 1);
        assert!(
            w[0].contains("`PS256`") && w[0].contains("RS256 is the safe choice"),
            "{w:?}"
        );
    }

    #[test]
    fn api_gateway_needs_the_discovery_document() {
        for v in [Verifier::ApiGatewayHttpApi, Verifier::ApiGatewayRestApi] {
            let e = run(v, &spec("RS256"), None, None).unwrap_err();
            assert!(
                e.starts_with(&format!("verifiers `{}` is not allowed: ", v.as_str()))
                    && e.contains("needs `issuer`")
                    && e.contains("/.well-known/openid-configuration"),
                "{e}"
            );
        }
        // An issuer unknown at preview is an issuer.
        let unknown = Str::unknown();
        assert!(
            check(
                &[Verifier::ApiGatewayHttpApi],
                Subject {
                    key_spec: &spec("RS256"),
                    issuer: Some(&unknown),
                    config: None,
                },
            )
            .is_ok()
        );
    }

    #[test]
    fn rest_api_takes_rs_and_es_only() {
        for alg in ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"] {
            assert_eq!(
                run(Verifier::ApiGatewayRestApi, &spec(alg), ISSUER, None),
                Ok(vec![]),
                "{alg}"
            );
        }
        for alg in ["PS256", "PS512", "EdDSA", "Ed25519"] {
            let e = run(Verifier::ApiGatewayRestApi, &spec(alg), ISSUER, None).unwrap_err();
            assert!(
                e.contains(&format!("keySpec.algorithm `{alg}`"))
                    && e.contains("defaultAlgorithms"),
                "{e}"
            );
        }
    }

    #[test]
    fn alb_takes_rs256_only() {
        assert_eq!(run(Verifier::Alb, &spec("RS256"), None, None), Ok(vec![]));
        for alg in ["RS384", "PS256", "ES256", "EdDSA", "Ed25519"] {
            let e = run(Verifier::Alb, &spec(alg), None, None).unwrap_err();
            assert!(
                e.starts_with("verifiers `alb` is not allowed: ")
                    && e.contains(&format!("keySpec.algorithm `{alg}`"))
                    && e.contains("RS256 only"),
                "{e}"
            );
        }
    }

    #[test]
    fn alb_takes_at_most_ten_keys() {
        let rs256 = spec("RS256");
        let key_spec = *rs256.known().expect("known");
        // Tokens of a day, monthly rotation: 2 + ceil((1d + 6h + 24h) / 30d) = 3 keys.
        let ok = config(key_spec, Duration::from_days(1), Duration::from_days(30));
        assert_eq!(ok.max_published_keys(), 3);
        assert_eq!(run(Verifier::Alb, &rs256, None, Some(&ok)), Ok(vec![]));
        // Rotation every 8 days: tokens of 62 days give 2 + ceil((62d + 30h) / 8d) = 10 keys,
        // 63 days 11.
        let ten = config(key_spec, Duration::from_days(62), Duration::from_days(8));
        assert!(ten.validate().is_ok());
        assert_eq!(ten.max_published_keys(), ALB_MAX_KEYS);
        assert_eq!(run(Verifier::Alb, &rs256, None, Some(&ten)), Ok(vec![]));
        let over = config(key_spec, Duration::from_days(63), Duration::from_days(8));
        assert!(over.validate().is_ok());
        assert_eq!(over.max_published_keys(), 11);
        let e = run(Verifier::Alb, &rs256, None, Some(&over)).unwrap_err();
        assert!(
            e.starts_with("verifiers `alb` is not allowed: the JWKS may hold up to 11 keys")
                && e.contains("at most 10")
                && e.contains("rotationInterval"),
            "{e}"
        );
    }

    #[test]
    fn alb_issuer_length() {
        let long = format!("https://{}.example.com", "a".repeat(240));
        let e = run(Verifier::Alb, &spec("RS256"), Some(&long), None).unwrap_err();
        assert!(e.contains("at most 256"), "{e}");
        let fits = format!("https://{}", "a".repeat(248));
        assert_eq!(fits.len(), 256);
        assert_eq!(
            run(Verifier::Alb, &spec("RS256"), Some(&fits), None),
            Ok(vec![])
        );
    }

    #[test]
    fn unknown_inputs_are_not_judged() {
        for v in VERIFIERS {
            assert_eq!(run(v, &In::Unknown, ISSUER, None), Ok(vec![]), "{v:?}");
        }
    }

    #[test]
    fn every_named_verifier_is_checked() {
        let e = check(
            &[Verifier::ApiGatewayRestApi, Verifier::Alb],
            Subject {
                key_spec: &spec("ES256"),
                issuer: Some(&Str::known("https://issuer.example.com")),
                config: None,
            },
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("verifiers `alb`"), "{e}");
        assert_eq!(
            check(
                &[],
                Subject {
                    key_spec: &spec("EdDSA"),
                    issuer: None,
                    config: None
                }
            )
            .map(|w| w.len())
            .ok(),
            Some(0)
        );
    }
}
