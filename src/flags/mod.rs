//! Flags: what a scan or a check reports, one record per rule firing, and
//! writing them out.

pub mod record;
pub mod write;

pub use record::{Flag, Grain, flags_arrow_schema};
pub use write::{FlagFormat, flag_json, flags_batch, write_flags};
