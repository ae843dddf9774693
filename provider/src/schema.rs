//! The package schema (`schema.json` at the repository root), embedded at build time.

/// The schema served by `GetSchema`.
pub const SCHEMA: &str = include_str!("../../schema.json");

/// Package (and plugin) version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The component's type token.
pub const COMPONENT_TYPE: &str = "jwks-rotation:index:JwksRotation";
