//! The jwks-rotation rotation Lambda as a library: the binary `bootstrap` (`main.rs`) builds
//! [`deps::Deps`] once and hands every event to [`handler::handle`]. The decisions live in the
//! pure crate `jwks-rotation-core`; this crate reads, calls and writes (see `docs/ROTATION.md`).

pub mod deps;
pub mod error;
pub mod event;
pub mod handler;
pub mod keygen;
pub mod metrics;
pub mod publish;
pub mod steps;
pub mod store;

pub use deps::{ApiCallCounter, Deps, MetricsSink};
pub use error::Error;
pub use event::{Action, Event, RotationEvent, Step};
pub use handler::handle;
