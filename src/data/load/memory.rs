//! Tables given in memory instead of files: a Python program's Arrow
//! tables, or one partition of a distributed scan. They are read as a
//! Parquet file is (converted to the contract's types, every row checked),
//! each table a "file" named `<table> (in memory)`, its rows numbered from
//! 1 across its batches.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const LABEL_SUFFIX: &str = " (in memory)";
use std::sync::Arc;

use arrow::array::RecordBatch;

/// The batches of one table given in memory, shared without copying.
#[derive(Clone, Default)]
pub struct MemoryBatches(pub Arc<Vec<RecordBatch>>);

impl MemoryBatches {
    pub fn rows(&self) -> u64 {
        self.0.iter().map(|b| b.num_rows() as u64).sum()
    }
}

// The rows themselves would flood a debug print.
impl std::fmt::Debug for MemoryBatches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} batches, {} rows", self.0.len(), self.rows())
    }
}

/// A dataset given in memory: each table's batches by table name.
#[derive(Clone, Default)]
pub struct InMemory(Arc<BTreeMap<String, MemoryBatches>>);

impl InMemory {
    pub fn new(tables: BTreeMap<String, Vec<RecordBatch>>) -> InMemory {
        InMemory(Arc::new(
            tables
                .into_iter()
                .map(|(name, batches)| (name, MemoryBatches(Arc::new(batches))))
                .collect(),
        ))
    }

    pub fn table(&self, name: &str) -> Option<&MemoryBatches> {
        self.0.get(name)
    }

    pub fn tables(&self) -> impl Iterator<Item = (&str, &MemoryBatches)> {
        self.0
            .iter()
            .map(|(name, batches)| (name.as_str(), batches))
    }

    /// What problems name as the "file" of a table given in memory.
    pub fn label(table: &str) -> PathBuf {
        PathBuf::from(format!("{table}{LABEL_SUFFIX}"))
    }

    /// The table a [`InMemory::label`] names, for callers that report
    /// problems by table.
    pub fn table_of(label: &Path) -> Option<&str> {
        label.to_str()?.strip_suffix(LABEL_SUFFIX)
    }
}

// Two datasets are the same when they are the same tables, not equal rows.
impl PartialEq for InMemory {
    fn eq(&self, other: &InMemory) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for InMemory {}

impl std::fmt::Debug for InMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.0.iter()).finish()
    }
}
