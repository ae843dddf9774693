//! setSecret: no external system holds the key, so there is nothing to set and no AWS call.

use super::{Outcome, Report};

/// Does nothing, successfully.
pub fn run() -> Report {
    Report {
        outcome: Outcome::NothingToSet,
        published: None,
    }
}
