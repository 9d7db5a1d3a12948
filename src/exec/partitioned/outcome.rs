//! What a scan is given and gives back: its limits, its report, and why
//! it stopped.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use super::super::read::Notes;
use crate::data::load::Problem;

/// Why a scan stopped.
#[derive(Debug)]
pub enum ScanError {
    /// Bad input: the loader's first problem.
    Data(Box<Problem>),
    /// Spill files or the output could not be written or read.
    Io(String),
    /// The memory limit is too small for what must be held at once.
    Memory(String),
}

impl std::fmt::Display for ScanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScanError::Data(p) => write!(f, "{p}"),
            ScanError::Io(m) | ScanError::Memory(m) => f.write_str(m),
        }
    }
}

impl From<std::io::Error> for ScanError {
    fn from(e: std::io::Error) -> ScanError {
        ScanError::Io(format!("spill files: {e}"))
    }
}

/// How far a scan has come, for progress: each phase counts towards its
/// total, so a caller can show a percentage and an estimate of the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanStep<'a> {
    /// Rows of `table` read so far (tables are read one after another).
    Read { table: &'a str, rows: u64 },
    /// Rows the rules have run over, of all the rows read.
    Execute { rows: u64, total: u64 },
    /// Flags written, of all the flags.
    Write { flags: u64, total: u64 },
}

/// What a scan read, how it ran, and how many flags it gave.
#[derive(Debug, Default)]
pub struct ScanReport {
    /// Rows read per table.
    pub rows: Vec<(String, u64)>,
    /// What the loader skipped, per table (`skipped 1 marker file: _SUCCESS`).
    pub notes: Notes,
    /// Time per phase.
    pub phases: Vec<(&'static str, Duration)>,
    /// Flags per rule id, and in all.
    pub flags_per_rule: BTreeMap<String, u64>,
    /// Money at stake per rule id, over its flags' `amount_at_stake`.
    pub amount_per_rule: BTreeMap<String, rust_decimal::Decimal>,
    pub flags: u64,
    /// Partitions run, and the bytes of rows and flags written to spill files.
    pub partitions: usize,
    pub spilled_bytes: u64,
}

/// Where and within what memory a scan runs.
#[derive(Debug, Clone)]
pub struct ScanLimits {
    /// Memory the scan aims to stay under (bytes).
    pub memory: u64,
    /// Where spill files go (a private folder inside it).
    pub temp_dir: PathBuf,
}

impl Default for ScanLimits {
    fn default() -> ScanLimits {
        ScanLimits {
            memory: DEFAULT_MEMORY_LIMIT,
            temp_dir: std::env::temp_dir(),
        }
    }
}

/// The memory limit when none is given: 1.5 GiB, well under half of what
/// DuckDB takes for the same rules on ten million lines. A higher limit
/// holds more rows but is no faster: on ten million lines 2 GiB peaked
/// 0.3 to 0.6 GB higher in the same time (docs/performance.md).
pub const DEFAULT_MEMORY_LIMIT: u64 = 3 << 29;

/// A size as people read it: `1.5 GiB`, `300 MiB`, `12 KiB`.
pub(super) fn size(bytes: u64) -> String {
    let units = [("GiB", 30), ("MiB", 20), ("KiB", 10)];
    for (unit, shift) in units {
        if bytes >= 1 << shift {
            return format!("{:.1} {unit}", bytes as f64 / (1u64 << shift) as f64);
        }
    }
    format!("{bytes} bytes")
}
