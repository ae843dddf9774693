//! Pulumi's wire encoding of property values (`google.protobuf.Struct`): secrets, output values,
//! unknown sentinels, archives and resource references, and the [`Str`] type that carries a
//! string that may be unknown (preview) or secret through the resource graph.

use std::collections::BTreeMap;

pub use prost_types::Value;
use prost_types::{ListValue, Struct, value::Kind};

/// Key that marks a special object.
pub const SIG_KEY: &str = "4dabf18193072939515e22adb298388d";
/// Signature of a secret.
pub const SECRET_SIG: &str = "1b47061264138c4ac30d75fd1eb44270";
/// Signature of an output value.
pub const OUTPUT_SIG: &str = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
/// Signature of a resource reference.
pub const RESOURCE_SIG: &str = "5cf8f73096256a8f31e491e813e4eb8e";
/// Signature of an archive.
pub const ARCHIVE_SIG: &str = "0def7320c3a5731c473e5ecbe6d01bc7";

/// Unknown string sentinel.
pub const UNKNOWN_STRING: &str = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/// Unknown bool sentinel.
pub const UNKNOWN_BOOL: &str = "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7";
/// Unknown number sentinel.
pub const UNKNOWN_NUMBER: &str = "3eeb2bf0-c639-47a8-9e75-3b44932eb421";
/// Unknown array sentinel.
pub const UNKNOWN_ARRAY: &str = "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2";
/// Unknown object sentinel.
pub const UNKNOWN_OBJECT: &str = "dd056dcd-154b-4c76-9bd3-c8f88648b5ff";
/// Unknown asset sentinel.
pub const UNKNOWN_ASSET: &str = "030794c1-ac77-496b-92df-f27374a8bd58";
/// Unknown archive sentinel.
pub const UNKNOWN_ARCHIVE: &str = "e48ece36-62e2-4504-bad9-02848725956a";

const SENTINELS: [&str; 7] = [
    UNKNOWN_STRING,
    UNKNOWN_BOOL,
    UNKNOWN_NUMBER,
    UNKNOWN_ARRAY,
    UNKNOWN_OBJECT,
    UNKNOWN_ASSET,
    UNKNOWN_ARCHIVE,
];

/// A string value.
pub fn string(s: impl Into<String>) -> Value {
    Value {
        kind: Some(Kind::StringValue(s.into())),
    }
}

/// A bool value.
pub fn boolean(b: bool) -> Value {
    Value {
        kind: Some(Kind::BoolValue(b)),
    }
}

/// A number value.
pub fn number(n: f64) -> Value {
    Value {
        kind: Some(Kind::NumberValue(n)),
    }
}

/// A list value.
pub fn list(items: Vec<Value>) -> Value {
    Value {
        kind: Some(Kind::ListValue(ListValue { values: items })),
    }
}

/// A list of plain strings.
pub fn strings<S: AsRef<str>>(items: &[S]) -> Value {
    list(items.iter().map(|s| string(s.as_ref())).collect())
}

/// An object value from fields.
pub fn object<K: Into<String>>(fields: impl IntoIterator<Item = (K, Value)>) -> Value {
    Value {
        kind: Some(Kind::StructValue(structure(fields))),
    }
}

/// A `Struct` from fields.
pub fn structure<K: Into<String>>(fields: impl IntoIterator<Item = (K, Value)>) -> Struct {
    Struct {
        fields: fields.into_iter().map(|(k, v)| (k.into(), v)).collect(),
    }
}

/// Wraps a value as a secret.
pub fn secret(v: Value) -> Value {
    object([(SIG_KEY, string(SECRET_SIG)), ("value", v)])
}

/// A local file archive (`path` must be absolute: the engine resolves relative paths against
/// the program directory), with its precomputed hash.
pub fn archive_path(path: &str, sha256: &str) -> Value {
    object([
        (SIG_KEY, string(ARCHIVE_SIG)),
        ("path", string(path)),
        ("hash", string(sha256)),
    ])
}

/// A reference to a custom resource.
pub fn resource_ref(urn: &str, id: &Str, package_version: &str) -> Value {
    object([
        (SIG_KEY, string(RESOURCE_SIG)),
        ("urn", string(urn)),
        ("id", id.to_wire()),
        ("packageVersion", string(package_version)),
    ])
}

/// Whether a value is one of the unknown sentinels.
pub fn is_unknown(v: &Value) -> bool {
    matches!(&v.kind, Some(Kind::StringValue(s)) if SENTINELS.contains(&s.as_str()))
}

/// A value with its wrappers removed: secret-ness, known-ness and the plain value.
#[derive(Debug, Clone, PartialEq)]
pub struct Unwrapped {
    /// The plain value, `None` when unknown.
    pub value: Option<Value>,
    /// Whether it was marked secret.
    pub secret: bool,
}

/// Removes secret and output-value wrappers (recursively for nested wrappers) and recognizes
/// unknown sentinels. Nulls become `None` only through [`is_null`]; callers check that first.
pub fn unwrap(v: &Value) -> Unwrapped {
    if is_unknown(v) {
        return Unwrapped {
            value: None,
            secret: false,
        };
    }
    if let Some(Kind::StructValue(s)) = &v.kind {
        match sig(s) {
            Some(SECRET_SIG) => {
                let inner = s.fields.get("value").map(unwrap).unwrap_or(Unwrapped {
                    value: None,
                    secret: true,
                });
                return Unwrapped {
                    value: inner.value,
                    secret: true,
                };
            }
            Some(OUTPUT_SIG) => {
                let secret = matches!(
                    s.fields.get("secret").and_then(|v| v.kind.as_ref()),
                    Some(Kind::BoolValue(true))
                );
                let inner = s.fields.get("value").map(unwrap).unwrap_or(Unwrapped {
                    value: None,
                    secret,
                });
                return Unwrapped {
                    value: inner.value,
                    secret: secret || inner.secret,
                };
            }
            _ => {}
        }
    }
    Unwrapped {
        value: Some(v.clone()),
        secret: false,
    }
}

/// Whether a value is null or absent.
pub fn is_null(v: &Value) -> bool {
    matches!(v.kind, None | Some(Kind::NullValue(_)))
}

/// The signature of a special object, if it is one.
pub fn sig(s: &Struct) -> Option<&str> {
    match s.fields.get(SIG_KEY).and_then(|v| v.kind.as_ref()) {
        Some(Kind::StringValue(sig)) => Some(sig.as_str()),
        _ => None,
    }
}

/// A string that may be unknown (during preview) and may be secret. Values computed from
/// several [`Str`]s are unknown if any part is, and secret if any part is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Str {
    /// The value, `None` when unknown.
    pub value: Option<String>,
    /// Whether it must stay secret.
    pub secret: bool,
}

impl Str {
    /// A known, non-secret string.
    pub fn known(s: impl Into<String>) -> Self {
        Str {
            value: Some(s.into()),
            secret: false,
        }
    }

    /// An unknown string.
    pub fn unknown() -> Self {
        Str {
            value: None,
            secret: false,
        }
    }

    /// The wire form: the string, or the unknown sentinel, wrapped as a secret if secret.
    pub fn to_wire(&self) -> Value {
        let v = match &self.value {
            Some(s) => string(s.clone()),
            None => string(UNKNOWN_STRING),
        };
        if self.secret { secret(v) } else { v }
    }

    /// Transforms the value if known, keeping the secret flag.
    pub fn map(&self, f: impl FnOnce(&str) -> String) -> Str {
        Str {
            value: self.value.as_deref().map(f),
            secret: self.secret,
        }
    }

    /// Combines several strings; unknown if any is unknown, secret if any is secret.
    pub fn combine(parts: &[&Str], f: impl FnOnce(&[&str]) -> String) -> Str {
        let secret = parts.iter().any(|p| p.secret);
        let mut values = Vec::with_capacity(parts.len());
        for part in parts {
            match &part.value {
                Some(v) => values.push(v.as_str()),
                None => {
                    return Str {
                        value: None,
                        secret,
                    };
                }
            }
        }
        Str {
            value: Some(f(&values)),
            secret,
        }
    }

    /// Reads a string output of a registered resource; absent or non-string is unknown.
    pub fn from_output(outputs: &Struct, key: &str) -> Str {
        match outputs.fields.get(key).map(unwrap) {
            Some(Unwrapped {
                value:
                    Some(Value {
                        kind: Some(Kind::StringValue(s)),
                    }),
                secret,
            }) => Str {
                value: Some(s),
                secret,
            },
            Some(Unwrapped { secret, .. }) => Str {
                value: None,
                secret,
            },
            None => Str::unknown(),
        }
    }
}

/// A map of maybe-unknown strings as an object value.
pub fn str_map(map: &BTreeMap<String, Str>) -> Value {
    object(map.iter().map(|(k, v)| (k.clone(), v.to_wire())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwraps_secrets_outputs_and_sentinels() {
        let s = secret(string("x"));
        assert_eq!(
            unwrap(&s),
            Unwrapped {
                value: Some(string("x")),
                secret: true
            }
        );
        let o = object([
            (SIG_KEY, string(OUTPUT_SIG)),
            ("secret", boolean(true)),
            ("value", string("y")),
        ]);
        assert_eq!(unwrap(&o).value, Some(string("y")));
        assert!(unwrap(&o).secret);
        let unknown_output = object([(SIG_KEY, string(OUTPUT_SIG))]);
        assert_eq!(unwrap(&unknown_output).value, None);
        assert_eq!(unwrap(&string(UNKNOWN_STRING)).value, None);
    }

    #[test]
    fn combining_propagates_unknown_and_secret() {
        let a = Str::known("a");
        let b = Str {
            value: Some("b".into()),
            secret: true,
        };
        let c = Str::combine(&[&a, &b], |v| format!("{}{}", v[0], v[1]));
        assert_eq!(c.value.as_deref(), Some("ab"));
        assert!(c.secret);
        assert_eq!(
            Str::combine(&[&a, &Str::unknown()], |v| v[0].into()).value,
            None
        );
        assert_eq!(Str::unknown().to_wire(), string(UNKNOWN_STRING));
    }
}
