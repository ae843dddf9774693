//! Pure rules shared by the jwks-rotation provider and its rotation Lambda: key specifications,
//! durations, the provider-to-Lambda configuration contract, the JWKS document, the stored
//! secret value and the key lifecycle. No AWS, network or clock access happens here: time is a
//! parameter, so every rule is tested with fixed instants.

pub mod actions;
pub mod clock;
pub mod config;
pub mod decide;
pub mod duration;
pub mod jwks;
pub mod key_spec;
pub mod lifecycle;
pub mod secret_value;
pub mod status;

pub use clock::{Clock, FixedClock, SystemClock};
pub use config::{ConfigError, KidStrategy, RotationConfig};
pub use duration::{Duration, DurationError};
pub use jwks::{Jwks, PublicJwk};
pub use key_spec::{Algorithm, Curve, KeySpec, KeySpecError, KeySpecInput};
pub use lifecycle::{CreatePlan, DeferReason, KeyState, Published, Retention, SecretKeys};
pub use secret_value::{RotationKind, RotationRecord, SecretValue, StoredValue};
