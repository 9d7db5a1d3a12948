//! Flags: what a scan or a check reports, one record per rule firing, and
//! writing them out.

pub mod batch;
mod merge;
pub mod ordered;
pub mod read;
pub mod record;
mod rule_table;
pub mod runs;
pub mod write;

pub use batch::{FlagBatch, FlagBuilder, FlagRow};
pub use ordered::OrderedFlags;
pub use read::{count_flags, for_each_flag};
pub use record::{
    AMOUNT_SCALE, Flag, Grain, amount_to_cent, cents_text, flags_arrow_schema, flags_from_batch,
    try_flags_from_batch,
};
pub use runs::{FlagRuns, SharedRuns};
pub use write::{
    BackgroundWriter, FlagFormat, FlagJson, FlagWriter, flag_json, flags_batch, write_beside,
    write_flags,
};
