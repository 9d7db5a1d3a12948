//! A whole scan held in memory: for tests, the demo and small datasets.
//! A scan of real size streams its flags (`Compiled::scan_into`).

use std::path::Path;
use std::time::{Duration, Instant};

use super::compiled::Compiled;
use super::partitioned::{ScanError, ScanLimits, ScanReport, ScanStep};
use super::run::ExecOptions;
use super::tables::Tables;
use crate::flags::Flag;
use crate::ir::Ruleset;
use crate::plan::Selection;
use crate::syntax::Sources;

/// Runs the selected rules of `ruleset` over the dataset in `dir` and
/// returns the flags in output order, all in memory.
pub fn scan_dataset(
    ruleset: &Ruleset,
    sources: &Sources,
    dir: &Path,
    selection: &Selection,
    options: &ExecOptions,
    progress: &(dyn Fn(&str, u64) + Sync),
) -> Result<(ScanReport, Vec<Flag>), ScanError> {
    let compiled = Compiled::new(ruleset, selection, sources);
    let mut flags = Vec::new();
    let report = compiled.scan_into(
        dir,
        options,
        &ScanLimits::default(),
        &|step| {
            if let ScanStep::Read { table, rows } = step {
                progress(table, rows);
            }
        },
        &mut |batch| {
            flags.extend(crate::flags::flags_from_batch(&batch));
            Ok(())
        },
    )?;
    Ok((report, flags))
}

impl Compiled<'_> {
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

pub use crate::data::memory::peak_memory_bytes;
