//! Key specifications: which JWS algorithm a key signs with, and its curve or modulus length.
//! Ed25519 keys go by two names: `EdDSA` (RFC 8037) and the fully specified `Ed25519` (RFC 9864).
//! Raw user input ([`KeySpecInput`]) is validated once into a [`KeySpec`] that cannot be wrong.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Smallest RSA modulus accepted (RFC 7518 §3.3 requires 2048 bits).
pub const MIN_RSA_BITS: u32 = 2048;
/// Largest RSA modulus accepted (OpenSSL's limit for key generation).
pub const MAX_RSA_BITS: u32 = 16384;
/// RSA modulus used when none is given.
pub const DEFAULT_RSA_BITS: u32 = 2048;

/// A JWS signing algorithm this project can generate keys for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
    /// ECDSA on P-521 with SHA-512.
    ES512,
    /// EdDSA on Ed25519, under the polymorphic name `EdDSA` (RFC 8037).
    EdDSA,
    /// EdDSA on Ed25519, under its fully specified name `Ed25519` (RFC 9864, which deprecates
    /// `EdDSA`): the same key and signature, only the JOSE `alg` differs.
    Ed25519,
}

/// Every algorithm, in the order shown in messages and docs.
pub const ALGORITHMS: [Algorithm; 11] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::ES512,
    Algorithm::EdDSA,
    Algorithm::Ed25519,
];

/// The family of key an algorithm needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyFamily {
    /// RSA keys (`kty: RSA`), for RS* and PS*.
    Rsa,
    /// Elliptic-curve keys (`kty: EC`), for ES*.
    Ec,
    /// Octet key pairs (`kty: OKP`), for EdDSA and Ed25519.
    Okp,
}

/// A named curve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Curve {
    /// NIST P-256.
    #[serde(rename = "P-256")]
    P256,
    /// NIST P-384.
    #[serde(rename = "P-384")]
    P384,
    /// NIST P-521.
    #[serde(rename = "P-521")]
    P521,
    /// Edwards curve 25519.
    Ed25519,
}

impl Algorithm {
    /// The JOSE name, as in a JWT header.
    pub const fn as_str(self) -> &'static str {
        match self {
            Algorithm::RS256 => "RS256",
            Algorithm::RS384 => "RS384",
            Algorithm::RS512 => "RS512",
            Algorithm::PS256 => "PS256",
            Algorithm::PS384 => "PS384",
            Algorithm::PS512 => "PS512",
            Algorithm::ES256 => "ES256",
            Algorithm::ES384 => "ES384",
            Algorithm::ES512 => "ES512",
            Algorithm::EdDSA => "EdDSA",
            Algorithm::Ed25519 => "Ed25519",
        }
    }
    /// The key family the algorithm signs with.
    pub const fn family(self) -> KeyFamily {
        match self {
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => KeyFamily::Rsa,
            Algorithm::ES256 | Algorithm::ES384 | Algorithm::ES512 => KeyFamily::Ec,
            Algorithm::EdDSA | Algorithm::Ed25519 => KeyFamily::Okp,
        }
    }
    /// The only curve the algorithm may use, if it uses one.
    pub const fn required_curve(self) -> Option<Curve> {
        match self {
            Algorithm::ES256 => Some(Curve::P256),
            Algorithm::ES384 => Some(Curve::P384),
            Algorithm::ES512 => Some(Curve::P521),
            Algorithm::EdDSA | Algorithm::Ed25519 => Some(Curve::Ed25519),
            _ => None,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn algorithm_list() -> String {
    ALGORITHMS
        .iter()
        .map(|a| a.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

impl FromStr for Algorithm {
    type Err = KeySpecError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ALGORITHMS
            .iter()
            .copied()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| KeySpecError::UnknownAlgorithm {
                value: s.to_string(),
            })
    }
}

impl Curve {
    /// The JOSE name (`crv`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
            Curve::P521 => "P-521",
            Curve::Ed25519 => "Ed25519",
        }
    }
}

impl fmt::Display for Curve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Curve {
    type Err = KeySpecError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Curve::P256, Curve::P384, Curve::P521, Curve::Ed25519]
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| KeySpecError::UnknownCurve {
                value: s.to_string(),
            })
    }
}

/// Why a key specification was refused. Each message names the input field, the value and the rule.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeySpecError {
    /// The algorithm is not one we generate keys for.
    #[error(
        "keySpec.algorithm `{value}` is not supported: use one of {}",
        algorithm_list()
    )]
    UnknownAlgorithm {
        /// The given algorithm.
        value: String,
    },
    /// The curve name is not known at all.
    #[error("keySpec.crv `{value}` is not a supported curve: use P-256, P-384, P-521 or Ed25519")]
    UnknownCurve {
        /// The given curve.
        value: String,
    },
    /// The curve does not belong to the algorithm.
    #[error(
        "keySpec.crv `{crv}` does not match keySpec.algorithm `{algorithm}`: {algorithm} requires {expected}"
    )]
    CurveMismatch {
        /// The algorithm.
        algorithm: Algorithm,
        /// The given curve.
        crv: String,
        /// The curve the algorithm requires.
        expected: Curve,
    },
    /// An RSA algorithm was given a curve.
    #[error(
        "keySpec.crv `{crv}` does not apply to keySpec.algorithm `{algorithm}`: RSA keys have no curve; leave crv out"
    )]
    CurveNotApplicable {
        /// The algorithm.
        algorithm: Algorithm,
        /// The given curve.
        crv: String,
    },
    /// A modulus length was given for a non-RSA algorithm.
    #[error(
        "keySpec.modulusLength `{bits}` does not apply to keySpec.algorithm `{algorithm}`: only RS* and PS* keys have a modulus; leave modulusLength out"
    )]
    ModulusNotApplicable {
        /// The algorithm.
        algorithm: Algorithm,
        /// The given length.
        bits: i64,
    },
    /// The RSA modulus is out of range or not a whole number of bytes.
    #[error(
        "keySpec.modulusLength `{bits}` is not allowed: RSA keys need {MIN_RSA_BITS} to {MAX_RSA_BITS} bits, a multiple of 8 (RFC 7518 §3.3)"
    )]
    ModulusOutOfRange {
        /// The given length.
        bits: i64,
    },
}

/// Key specification as a user writes it (`{algorithm, crv?, modulusLength?}`), before validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct KeySpecInput {
    /// JWS algorithm name.
    pub algorithm: String,
    /// Curve name for ES* and EdDSA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// RSA modulus length in bits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modulus_length: Option<i64>,
}

/// A validated key specification: the algorithm with its curve or modulus length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeySpec {
    /// RS*/PS* with a modulus length.
    Rsa {
        /// The algorithm (an RS* or PS* one).
        algorithm: Algorithm,
        /// Modulus length in bits.
        bits: u32,
    },
    /// ES* on its curve.
    Ec {
        /// The algorithm (an ES* one).
        algorithm: Algorithm,
        /// The matching curve.
        curve: Curve,
    },
    /// EdDSA on Ed25519, published and signed as `alg: EdDSA`.
    Ed25519,
    /// The same Ed25519 key, published and signed as `alg: Ed25519` (RFC 9864's fully specified
    /// name). A variant of its own, not a field of [`KeySpec::Ed25519`], so that every existing
    /// `EdDSA` configuration keeps its meaning unchanged.
    Ed25519FullySpecified,
}

impl KeySpec {
    /// Validates raw input; see [`KeySpecError`] for the rules.
    pub fn from_input(input: &KeySpecInput) -> Result<Self, KeySpecError> {
        let algorithm: Algorithm = input.algorithm.parse()?;
        match algorithm.family() {
            KeyFamily::Rsa => {
                if let Some(crv) = &input.crv {
                    return Err(KeySpecError::CurveNotApplicable {
                        algorithm,
                        crv: crv.clone(),
                    });
                }
                let bits = input.modulus_length.unwrap_or(i64::from(DEFAULT_RSA_BITS));
                let ok = bits >= i64::from(MIN_RSA_BITS)
                    && bits <= i64::from(MAX_RSA_BITS)
                    && bits % 8 == 0;
                if !ok {
                    return Err(KeySpecError::ModulusOutOfRange { bits });
                }
                Ok(KeySpec::Rsa {
                    algorithm,
                    bits: bits as u32,
                })
            }
            KeyFamily::Ec | KeyFamily::Okp => {
                if let Some(bits) = input.modulus_length {
                    return Err(KeySpecError::ModulusNotApplicable { algorithm, bits });
                }
                let expected = algorithm.required_curve().unwrap_or(Curve::Ed25519);
                if let Some(crv) = &input.crv {
                    let mismatch = || KeySpecError::CurveMismatch {
                        algorithm,
                        crv: crv.clone(),
                        expected,
                    };
                    let curve: Curve = crv.parse().map_err(|_| mismatch())?;
                    if curve != expected {
                        return Err(mismatch());
                    }
                }
                Ok(match algorithm {
                    Algorithm::Ed25519 => KeySpec::Ed25519FullySpecified,
                    Algorithm::EdDSA => KeySpec::Ed25519,
                    _ => KeySpec::Ec {
                        algorithm,
                        curve: expected,
                    },
                })
            }
        }
    }

    /// The signing algorithm.
    pub const fn algorithm(self) -> Algorithm {
        match self {
            KeySpec::Rsa { algorithm, .. } | KeySpec::Ec { algorithm, .. } => algorithm,
            KeySpec::Ed25519 => Algorithm::EdDSA,
            KeySpec::Ed25519FullySpecified => Algorithm::Ed25519,
        }
    }

    /// The curve, for EC and OKP keys.
    pub const fn curve(self) -> Option<Curve> {
        match self {
            KeySpec::Rsa { .. } => None,
            KeySpec::Ec { curve, .. } => Some(curve),
            KeySpec::Ed25519 | KeySpec::Ed25519FullySpecified => Some(Curve::Ed25519),
        }
    }

    /// The RSA modulus length, for RSA keys.
    pub const fn modulus_bits(self) -> Option<u32> {
        match self {
            KeySpec::Rsa { bits, .. } => Some(bits),
            _ => None,
        }
    }

    /// The canonical input form (what the provider writes and the Lambda reads back).
    pub fn to_input(self) -> KeySpecInput {
        KeySpecInput {
            algorithm: self.algorithm().as_str().to_string(),
            crv: self.curve().map(|c| c.as_str().to_string()),
            modulus_length: self.modulus_bits().map(i64::from),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(alg: &str, crv: Option<&str>, bits: Option<i64>) -> Result<KeySpec, KeySpecError> {
        KeySpec::from_input(&KeySpecInput {
            algorithm: alg.into(),
            crv: crv.map(Into::into),
            modulus_length: bits,
        })
    }

    #[test]
    fn every_algorithm_with_defaults() {
        for alg in ALGORITHMS {
            let s = spec(alg.as_str(), None, None).unwrap();
            assert_eq!(s.algorithm(), alg);
            assert_eq!(KeySpec::from_input(&s.to_input()).unwrap(), s);
        }
        assert_eq!(
            spec("RS256", None, None).unwrap().modulus_bits(),
            Some(2048)
        );
        assert_eq!(
            spec("ES512", None, None).unwrap().curve(),
            Some(Curve::P521)
        );
        assert_eq!(
            spec("EdDSA", Some("Ed25519"), None).unwrap(),
            KeySpec::Ed25519
        );
    }

    #[test]
    fn ed25519_is_the_fully_specified_name_of_the_eddsa_key() {
        // RFC 9864: `Ed25519` names the same OKP key as `EdDSA`; both stay accepted, each
        // keeps its own `alg`.
        let named = spec("Ed25519", None, None).unwrap();
        assert_eq!(named, KeySpec::Ed25519FullySpecified);
        assert_eq!(named.algorithm(), Algorithm::Ed25519);
        assert_eq!(named.algorithm().as_str(), "Ed25519");
        assert_eq!(named.algorithm().family(), KeyFamily::Okp);
        assert_eq!(named.curve(), Some(Curve::Ed25519));
        assert_eq!(
            spec("Ed25519", Some("Ed25519"), None).unwrap(),
            KeySpec::Ed25519FullySpecified
        );
        assert_eq!(
            named.to_input(),
            KeySpecInput {
                algorithm: "Ed25519".into(),
                crv: Some("Ed25519".into()),
                modulus_length: None,
            }
        );
        // EdDSA is unchanged.
        let legacy = spec("EdDSA", None, None).unwrap();
        assert_eq!(legacy, KeySpec::Ed25519);
        assert_eq!(legacy.algorithm().as_str(), "EdDSA");
        let e = spec("Ed25519", None, Some(2048)).unwrap_err().to_string();
        assert!(e.contains("only RS* and PS*"), "{e}");
        // Ed448 is neither an algorithm nor a curve we generate.
        assert!(spec("Ed448", None, None).is_err());
    }

    #[test]
    fn curves_must_match() {
        assert!(spec("ES256", Some("P-256"), None).is_ok());
        assert!(spec("ES384", Some("P-384"), None).is_ok());
        let e = spec("ES256", Some("P-384"), None).unwrap_err().to_string();
        assert_eq!(
            e,
            "keySpec.crv `P-384` does not match keySpec.algorithm `ES256`: ES256 requires P-256"
        );
        let e = spec("ES512", Some("P-512"), None).unwrap_err().to_string();
        assert!(
            e.contains("`P-512`") && e.contains("ES512 requires P-521"),
            "{e}"
        );
        let e = spec("EdDSA", Some("Ed448"), None).unwrap_err().to_string();
        assert!(e.contains("requires Ed25519"), "{e}");
        let e = spec("Ed25519", Some("P-256"), None)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "keySpec.crv `P-256` does not match keySpec.algorithm `Ed25519`: Ed25519 requires Ed25519"
        );
        let e = spec("RS256", Some("P-256"), None).unwrap_err().to_string();
        assert!(e.contains("RSA keys have no curve"), "{e}");
    }

    #[test]
    fn rsa_modulus_rules() {
        assert_eq!(
            spec("PS384", None, Some(4096)).unwrap().modulus_bits(),
            Some(4096)
        );
        for bad in [1024, 2047, 2049, 16392, -1, 0] {
            let e = spec("RS256", None, Some(bad)).unwrap_err().to_string();
            assert!(
                e.contains(&format!("`{bad}`")) && e.contains("2048 to 16384"),
                "{e}"
            );
        }
        let e = spec("ES256", None, Some(2048)).unwrap_err().to_string();
        assert!(e.contains("only RS* and PS*"), "{e}");
    }

    #[test]
    fn unknown_algorithms_are_named() {
        for bad in ["HS256", "RSA-OAEP", "rs256", "", "ES256K"] {
            let e = spec(bad, None, None).unwrap_err().to_string();
            assert!(
                e.contains(&format!("`{bad}`")) && e.contains("RS256, RS384"),
                "{e}"
            );
        }
    }
}
