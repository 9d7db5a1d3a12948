//! A whole scan: plan the ruleset, read what it needs, run it.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use super::env::Env;
use super::run::{ExecOptions, Tables, execute, prepare};
use crate::data::arrow_types::table_arrow_schema;
use crate::data::load::{Problem, load_dataset};
use crate::data::memory::{release_freed_memory, status_bytes};
use crate::flags::Flag;
use crate::ir::Ruleset;
use crate::plan::{Plan, Selection, plan};
use crate::syntax::Sources;

pub struct ScanReport {
    pub flags: Vec<Flag>,
    /// Rows read per table.
    pub rows: Vec<(String, u64)>,
    /// Time per phase: read, prepare (lookups), execute.
    pub phases: Vec<(&'static str, Duration)>,
}

/// Runs the selected rules of `ruleset` over the dataset in `dir`. Bad
/// input stops the scan with the loader's first problem.
pub fn scan_dataset(
    ruleset: &Ruleset,
    sources: &Sources,
    dir: &Path,
    selection: &Selection,
    options: &ExecOptions,
    progress: &dyn Fn(&str, u64),
) -> Result<ScanReport, Box<Problem>> {
    let plan = plan(ruleset, selection, sources);
    let started = Instant::now();
    let tables = read_tables(&plan, dir, progress)?;
    let read = started.elapsed();
    release_freed_memory();
    log_memory("read", read);
    let rows = plan
        .loads
        .iter()
        .map(|l| {
            (
                l.table.clone(),
                tables.get(&l.table).map_or(0, |b| b.num_rows() as u64),
            )
        })
        .collect();
    let (flags, mut phases) = run_tables(&plan, tables, options);
    phases.insert(0, ("read", read));
    Ok(ScanReport {
        flags,
        rows,
        phases,
    })
}

/// Reads the tables and columns a plan needs.
pub fn read_tables(
    plan: &Plan,
    dir: &Path,
    progress: &dyn Fn(&str, u64),
) -> Result<Tables, Box<Problem>> {
    let schema = &plan.ruleset.schema;
    let projection: HashMap<String, Vec<String>> = plan
        .loads
        .iter()
        .map(|l| (l.table.clone(), l.columns.clone()))
        .collect();
    let mut batches: HashMap<String, Vec<arrow::array::RecordBatch>> = HashMap::new();
    let validation = load_dataset(
        dir,
        schema,
        &projection,
        &mut |table, batch| {
            batches.entry(table.to_string()).or_default().push(batch);
        },
        progress,
    );
    if let Some(problem) = validation.problems.into_first() {
        return Err(Box::new(problem));
    }
    let mut tables = Tables::new();
    for (name, list) in batches {
        let Some(table) = schema.table(&name) else {
            continue;
        };
        let batch = match list.first() {
            Some(_) => concat_by_column(list),
            None => arrow::array::RecordBatch::new_empty(table_arrow_schema(table)),
        };
        tracing::info!(table = %name, rows = batch.num_rows(), mib = batch.get_array_memory_size() as f64 / 1048576.0, "table loaded");
        tables.insert(name, batch);
    }
    Ok(tables)
}

/// One batch of all of them, joined a column at a time and freeing each
/// column's pieces as it goes, so the table is not held twice at once.
fn concat_by_column(batches: Vec<arrow::array::RecordBatch>) -> arrow::array::RecordBatch {
    let schema = batches[0].schema();
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    let mut pieces: Vec<Vec<Option<arrow::array::ArrayRef>>> = batches
        .into_iter()
        .map(|b| b.columns().iter().cloned().map(Some).collect())
        .collect();
    let columns = (0..schema.fields().len())
        .map(|i| {
            let parts: Vec<arrow::array::ArrayRef> =
                pieces.iter_mut().filter_map(|p| p[i].take()).collect();
            let refs: Vec<&dyn arrow::array::Array> = parts.iter().map(|a| a.as_ref()).collect();
            arrow::compute::concat(&refs).expect("pieces of one column share a type")
        })
        .collect();
    arrow::array::RecordBatch::try_new_with_options(
        schema,
        columns,
        &arrow::array::RecordBatchOptions::new().with_row_count(Some(rows)),
    )
    .expect("columns of equal length")
}

/// Runs a plan over tables in memory; returns the flags and phase times.
pub fn run_tables(
    plan: &Plan,
    tables: Tables,
    options: &ExecOptions,
) -> (Vec<Flag>, Vec<(&'static str, Duration)>) {
    let started = Instant::now();
    let (frames, lookups) = prepare(plan, tables);
    let env = Env::new(plan.ruleset, frames, lookups, &options.overrides);
    let prepared = started.elapsed();
    log_memory("lookups", prepared);
    let flags = execute(plan, &env, options);
    (
        flags,
        vec![
            ("lookups", prepared),
            ("execute", started.elapsed() - prepared),
        ],
    )
}

/// Logs (at info level) the memory held after a phase, for tuning.
fn log_memory(phase: &str, time: Duration) {
    let mib = |b: Option<u64>| b.map_or(0.0, |b| b as f64 / (1024.0 * 1024.0));
    tracing::info!(
        phase,
        seconds = time.as_secs_f64(),
        rss_mib = mib(status_bytes("VmRSS:")),
        peak_mib = mib(status_bytes("VmHWM:")),
        "phase done"
    );
}

pub use crate::data::memory::peak_memory_bytes;
