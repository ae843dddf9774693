//! Typed reading of wire inputs: secrets, output values and unknowns unwrapped, every field
//! named with its path in errors.

use prost_types::{Struct, Value, value::Kind};

use jwks_rotation_core::Duration;
use std::collections::BTreeMap;

use crate::error::ProviderError;
use crate::wire::{self, Str};

use super::In;

/// The plain values (strings and numbers) of every secret in the inputs, at any depth.
pub fn secret_values(inputs: &Struct) -> Vec<String> {
    fn plain(v: &Value, out: &mut Vec<String>) {
        match &v.kind {
            Some(Kind::StringValue(s)) => out.push(s.clone()),
            Some(Kind::NumberValue(n)) => out.push(n.to_string()),
            Some(Kind::ListValue(l)) => l.values.iter().for_each(|v| plain(v, out)),
            Some(Kind::StructValue(s)) => s.fields.values().for_each(|v| plain(v, out)),
            _ => {}
        }
    }
    fn walk(v: &Value, out: &mut Vec<String>) {
        let u = wire::unwrap(v);
        match (&u.value, u.secret) {
            (Some(inner), true) => plain(inner, out),
            (
                Some(Value {
                    kind: Some(Kind::StructValue(s)),
                }),
                false,
            ) => s.fields.values().for_each(|v| walk(v, out)),
            (
                Some(Value {
                    kind: Some(Kind::ListValue(l)),
                }),
                false,
            ) => l.values.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    inputs.fields.values().for_each(|v| walk(v, &mut out));
    out
}

/// Reads typed fields of an input object, naming each field in errors with its path.
pub(super) struct Reader<'a> {
    fields: &'a Struct,
    prefix: &'static str,
}

impl<'a> Reader<'a> {
    pub(super) fn new(fields: &'a Struct, prefix: &'static str) -> Self {
        Reader { fields, prefix }
    }

    pub(super) fn name(&self, field: &str) -> String {
        format!("{}{field}", self.prefix)
    }

    pub(super) fn refuse_unknown_fields(&self, known: &[&str]) -> Result<(), ProviderError> {
        let mut names: Vec<&String> = self.fields.fields.keys().collect();
        names.sort();
        for name in names {
            if !known.contains(&name.as_str()) && !name.starts_with("__") {
                return Err(ProviderError::invalid(
                    self.name(name),
                    display(&self.fields.fields[name]),
                    format!(
                        "is not an input of JwksRotation; known inputs: {}",
                        known.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    pub(super) fn get(&self, field: &str) -> Option<wire::Unwrapped> {
        self.fields
            .fields
            .get(field)
            .filter(|v| !wire::is_null(v))
            .map(wire::unwrap)
            .filter(|u| u.value.as_ref().is_none_or(|v| !wire::is_null(v)))
    }

    pub(super) fn is_secret(&self, field: &str) -> bool {
        self.get(field).is_some_and(|u| u.secret)
    }

    pub(super) fn wrong_type(&self, field: &str, v: &Value, expected: &str) -> ProviderError {
        ProviderError::invalid(self.name(field), display(v), format!("must be {expected}"))
    }

    pub(super) fn string(&self, field: &str) -> Result<Option<Str>, ProviderError> {
        let Some(u) = self.get(field) else {
            return Ok(None);
        };
        match u.value {
            None => Ok(Some(Str {
                value: None,
                secret: u.secret,
            })),
            Some(Value {
                kind: Some(Kind::StringValue(s)),
            }) => Ok(Some(Str {
                value: Some(s),
                secret: u.secret,
            })),
            Some(other) => Err(self.wrong_type(field, &other, "a string")),
        }
    }

    pub(super) fn required_string(&self, field: &str) -> Result<Str, ProviderError> {
        self.string(field)?
            .ok_or_else(|| ProviderError::MissingInput {
                input: self.name(field),
                rule: "a string".into(),
            })
    }

    pub(super) fn boolean(&self, field: &str) -> Result<Option<In<bool>>, ProviderError> {
        let Some(u) = self.get(field) else {
            return Ok(None);
        };
        match u.value {
            None => Ok(Some(In::Unknown)),
            Some(Value {
                kind: Some(Kind::BoolValue(b)),
            }) => Ok(Some(In::Known(b))),
            Some(other) => Err(self.wrong_type(field, &other, "a boolean")),
        }
    }

    pub(super) fn integer(&self, field: &str) -> Result<Option<In<i64>>, ProviderError> {
        let Some(u) = self.get(field) else {
            return Ok(None);
        };
        match u.value {
            None => Ok(Some(In::Unknown)),
            Some(Value {
                kind: Some(Kind::NumberValue(n)),
            }) if n.fract() == 0.0 && n.abs() < 9.0e15 => Ok(Some(In::Known(n as i64))),
            Some(other) => Err(self.wrong_type(field, &other, "a whole number")),
        }
    }

    pub(super) fn duration(&self, field: &str) -> Result<Option<In<Duration>>, ProviderError> {
        match self.string(field)? {
            None => Ok(None),
            Some(Str { value: None, .. }) => Ok(Some(In::Unknown)),
            Some(Str { value: Some(s), .. }) => Duration::parse(&s)
                .map(|d| Some(In::Known(d)))
                .map_err(|source| ProviderError::Duration {
                    input: self.name(field),
                    source,
                }),
        }
    }

    pub(super) fn object(&self, field: &str) -> Result<Option<(In<Struct>, bool)>, ProviderError> {
        let Some(u) = self.get(field) else {
            return Ok(None);
        };
        match u.value {
            None => Ok(Some((In::Unknown, u.secret))),
            Some(Value {
                kind: Some(Kind::StructValue(s)),
            }) if wire::sig(&s).is_none() => Ok(Some((In::Known(s), u.secret))),
            Some(other) => Err(self.wrong_type(field, &other, "an object")),
        }
    }

    pub(super) fn string_list(&self, field: &str) -> Result<Option<In<Vec<Str>>>, ProviderError> {
        let Some(u) = self.get(field) else {
            return Ok(None);
        };
        match u.value {
            None => Ok(Some(In::Unknown)),
            Some(Value {
                kind: Some(Kind::ListValue(l)),
            }) => {
                let mut out = Vec::with_capacity(l.values.len());
                for item in &l.values {
                    let iu = wire::unwrap(item);
                    match iu.value {
                        None => out.push(Str {
                            value: None,
                            secret: iu.secret || u.secret,
                        }),
                        Some(Value {
                            kind: Some(Kind::StringValue(s)),
                        }) => out.push(Str {
                            value: Some(s),
                            secret: iu.secret || u.secret,
                        }),
                        Some(other) => {
                            return Err(self.wrong_type(field, &other, "a list of strings"));
                        }
                    }
                }
                Ok(Some(In::Known(out)))
            }
            Some(other) => Err(self.wrong_type(field, &other, "a list of strings")),
        }
    }

    pub(super) fn tags(
        &self,
        field: &str,
    ) -> Result<Option<In<BTreeMap<String, Str>>>, ProviderError> {
        let Some((obj, secret)) = self.object(field)? else {
            return Ok(None);
        };
        let In::Known(obj) = obj else {
            return Ok(Some(In::Unknown));
        };
        let r = Reader::new(&obj, "tags.");
        let mut out = BTreeMap::new();
        if obj.fields.len() > 50 {
            return Err(ProviderError::invalid(
                "tags",
                format!("{} tags", obj.fields.len()),
                "AWS allows at most 50 tags per resource",
            ));
        }
        for key in obj.fields.keys() {
            if key.is_empty() || key.len() > 128 || key.starts_with("aws:") {
                return Err(ProviderError::invalid(
                    "tags",
                    key.clone(),
                    "tag keys are 1 to 128 characters and must not start with `aws:`",
                ));
            }
            let Some(mut v) = r.string(key)? else {
                continue;
            };
            if v.value.as_ref().is_some_and(|s| s.len() > 256) {
                return Err(ProviderError::invalid(
                    format!("tags.{key}"),
                    v.value.unwrap_or_default(),
                    "tag values are at most 256 characters",
                ));
            }
            v.secret |= secret;
            out.insert(key.clone(), v);
        }
        Ok(Some(In::Known(out)))
    }
}

/// A short rendering of a wire value for error messages.
pub(super) fn display(v: &Value) -> String {
    match &v.kind {
        None | Some(Kind::NullValue(_)) => "null".into(),
        Some(Kind::StringValue(s)) => s.clone(),
        Some(Kind::BoolValue(b)) => b.to_string(),
        Some(Kind::NumberValue(n)) => n.to_string(),
        Some(Kind::ListValue(l)) => format!(
            "[{}]",
            l.values.iter().map(display).collect::<Vec<_>>().join(", ")
        ),
        Some(Kind::StructValue(s)) => {
            let mut keys: Vec<&String> = s.fields.keys().collect();
            keys.sort();
            format!(
                "{{{}}}",
                keys.iter()
                    .map(|k| format!("{k}: {}", display(&s.fields[*k])))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    }
}
