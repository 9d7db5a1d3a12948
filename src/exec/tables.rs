//! The types every stage of execution shares, kept apart from the code
//! that runs a plan so the kernels need not import the dispatcher.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::RecordBatch;

/// Loaded tables by name (only the columns the plan reads are needed).
pub type Tables = HashMap<String, RecordBatch>;

/// For each (table, relation), the related row of each row of the table.
/// Shared, so lookups between reference tables are built once for many
/// checks. Each entry is the related row, or [`NO_ROW`] (4 bytes a row).
pub type Lookups = foldhash::HashMap<(String, String), Arc<Vec<u32>>>;

/// A lookup entry for a row with no related row.
pub const NO_ROW: u32 = u32::MAX;
