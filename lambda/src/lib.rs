//! The jwks-rotation rotation Lambda as a library: the binary `bootstrap` (`main.rs`) builds
//! [`deps::Deps`] once and hands every event to [`handler::handle`]. The steps and actions, and
//! every decision in them, live in `jwks-rotation-core` (`actions`, `decide`, `lifecycle`),
//! written against its `Backend` trait; this crate implements that trait over the AWS SDK
//! (`store`), and adds the key generator, the event parser, logs and metrics
//! (see `docs/ROTATION.md`).

pub mod deps;
pub mod error;
pub mod event;
pub mod handler;
pub mod keygen;
pub mod metrics;
pub mod store;

pub use deps::{ApiCallCounter, Deps, MetricsSink};
pub use error::Error;
pub use event::{Action, Event, RotationEvent, Step};
pub use handler::handle;
