//! Tables in and flags out: Arrow through the C data interface, and the
//! options a call gives the engine.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use arrow::array::RecordBatch;
use arrow_pyarrow::{PyArrowType, Table};
use pyo3::prelude::*;

use claimaudit::data::load::{InMemory, LoadOptions};
use claimaudit::exec::{ExecOptions, ScanLimits};
use claimaudit::flags::flags_arrow_schema;

use crate::errors::ClaimauditError;

/// Where problems of tables given in memory are said to be.
pub(crate) const IN_MEMORY: &str = "(tables in memory)";

/// The Arrow tables a caller gives, by table name, as batches.
pub(crate) type GivenTables = HashMap<String, PyArrowType<Table>>;

pub(crate) fn batches_of(tables: GivenTables) -> BTreeMap<String, Vec<RecordBatch>> {
    tables
        .into_iter()
        .map(|(name, table)| (name, table.0.into_inner().0))
        .collect()
}

pub(crate) fn options(memory: InMemory, threads: Option<usize>) -> ExecOptions {
    ExecOptions {
        threads,
        load: LoadOptions {
            memory: Some(memory),
            ..LoadOptions::default()
        },
        ..ExecOptions::default()
    }
}

pub(crate) fn limits(memory_limit: Option<u64>, temp_dir: Option<PathBuf>) -> ScanLimits {
    let mut limits = ScanLimits::default();
    if let Some(bytes) = memory_limit {
        limits.memory = bytes;
    }
    if let Some(dir) = temp_dir {
        limits.temp_dir = dir;
    }
    limits
}

pub(crate) fn flags_table(batches: Vec<RecordBatch>) -> PyResult<PyArrowType<Table>> {
    Table::try_new(batches, flags_arrow_schema())
        .map(PyArrowType)
        .map_err(|e| ClaimauditError::new_err(e.to_string()))
}

pub(crate) fn json_to_python(py: Python<'_>, value: &serde_json::Value) -> PyResult<Py<PyAny>> {
    let text = value.to_string();
    Ok(py.import("json")?.call_method1("loads", (text,))?.unbind())
}
