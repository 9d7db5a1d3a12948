//! Flags: what a scan or a check reports, one record per rule firing.

pub mod record;

pub use record::{Flag, Grain, flags_arrow_schema};
