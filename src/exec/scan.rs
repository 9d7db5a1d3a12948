//! A whole scan: read what the compiled ruleset needs, prepare, run, and
//! time each phase (with the memory held after it, for tuning).

use std::path::Path;
use std::time::{Duration, Instant};

use super::compiled::Compiled;
use super::run::ExecOptions;
use super::tables::Tables;
use crate::data::load::Problem;
use crate::data::memory::{release_freed_memory, status_bytes};
use crate::flags::Flag;
use crate::ir::Ruleset;
use crate::plan::Selection;
use crate::syntax::Sources;

pub struct ScanReport {
    pub flags: Vec<Flag>,
    /// Rows read per table.
    pub rows: Vec<(String, u64)>,
    /// What the loader skipped, per table (`skipped 1 marker file: _SUCCESS`).
    pub notes: Vec<(String, String)>,
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
    Compiled::new(ruleset, selection, sources).scan(dir, options, progress)
}

impl Compiled<'_> {
    /// Runs the rules over the dataset in `dir`, read in compact storage.
    pub fn scan(
        &self,
        dir: &Path,
        options: &ExecOptions,
        progress: &dyn Fn(&str, u64),
    ) -> Result<ScanReport, Box<Problem>> {
        let started = Instant::now();
        let (tables, notes) = self.read_compact(dir, &options.load, progress)?;
        let read = started.elapsed();
        release_freed_memory();
        log_memory("read", read);
        let rows = self
            .plan()
            .loads
            .iter()
            .map(|l| {
                (
                    l.table.clone(),
                    tables.get(&l.table).map_or(0, |b| b.num_rows() as u64),
                )
            })
            .collect();
        let (flags, mut phases) = self.run_tables(tables, options);
        phases.insert(0, ("read", read));
        Ok(ScanReport {
            flags,
            rows,
            notes,
            phases,
        })
    }

    /// Runs the rules over tables in memory; returns the flags and the
    /// time to prepare (lookups) and to execute.
    pub fn run_tables(
        &self,
        tables: Tables,
        options: &ExecOptions,
    ) -> (Vec<Flag>, Vec<(&'static str, Duration)>) {
        let started = Instant::now();
        crate::data::memory::keep_freed_blocks_for_reuse();
        let env = self.env(tables, options);
        let prepared = started.elapsed();
        log_memory("lookups", prepared);
        let flags = self.run(&env, options);
        (
            flags,
            vec![
                ("lookups", prepared),
                ("execute", started.elapsed() - prepared),
            ],
        )
    }
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
