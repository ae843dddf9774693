//! The package schema (`schema.json` at the repository root), embedded at build time.

/// The schema served by `GetSchema`.
pub const SCHEMA: &str = include_str!("../../schema.json");

/// Package (and plugin) version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The component's type token.
pub const COMPONENT_TYPE: &str = "jwks-rotation:index:JwksRotation";
#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::AWS_VERSION;
    use serde_json::Value;

    /// The default `pluginDownloadURL` of Cargo.toml (the repository's release downloads).
    const PLUGIN_DOWNLOAD_URL: &str = env!("JWKS_ROTATION_PLUGIN_DOWNLOAD_URL");

    fn aws_refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    match v {
                        Value::String(s) if k == "$ref" && s.starts_with("/aws/") => {
                            out.push(s.clone())
                        }
                        _ => aws_refs(v, out),
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|v| aws_refs(v, out)),
            _ => {}
        }
    }

    /// schema.json carries Cargo.toml's release settings (`make schema` stamps them).
    #[test]
    fn schema_json_is_stamped() {
        let s: Value = serde_json::from_str(SCHEMA).expect("schema.json is JSON");
        let hint = "run `make schema sdk`";
        assert_eq!(s["version"], VERSION, "{hint}");
        assert_eq!(s["pluginDownloadURL"], PLUGIN_DOWNLOAD_URL, "{hint}");
        let mut refs = Vec::new();
        aws_refs(&s, &mut refs);
        assert_eq!(refs.len(), 3, "bucket, secret, rotation function: {refs:?}");
        let prefix = format!("/aws/v{AWS_VERSION}/schema.json#");
        assert!(
            refs.iter().all(|r| r.starts_with(&prefix)),
            "{hint}: {refs:?}"
        );
        let major = AWS_VERSION.split('.').next().unwrap_or_default();
        let next: u32 = major.parse::<u32>().expect("numeric major") + 1;
        assert_eq!(
            s["language"]["nodejs"]["dependencies"]["@pulumi/aws"],
            format!("^{AWS_VERSION}"),
            "{hint}"
        );
        assert_eq!(
            s["language"]["python"]["requires"]["pulumi-aws"],
            format!(">={AWS_VERSION},<{next}"),
            "{hint}"
        );
        assert!(s.get("dependencies").is_none(), "{hint}");
    }
}
