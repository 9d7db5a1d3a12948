//! A scan split into parts by the partition key, each run on its own (a
//! distributed scan's partitions: every row of a key in one part, the
//! shared tables whole in each), then finished once from the parts'
//! population partials.

use arrow::array::RecordBatch;

use super::super::compiled::Compiled;
use super::super::run::{ExecOptions, thread_pool};
use super::{Partials, ScanError, ScanLimits, ScanReport, ScanStep};
use crate::flags::Flag;

impl Compiled<'_> {
    /// [`Compiled::scan_into`] over one part of a dataset split by the
    /// plan's partition key (a distributed scan's partition: every row of
    /// a key in one part, the shared tables whole in each): the rules over
    /// shared tables do not run and the population rules give their
    /// partial aggregates, for [`Compiled::finish_parts`] to finish once
    /// every part has run. A plan without a partition key runs every rule,
    /// and its partials are empty: its one part must be the whole dataset.
    pub fn scan_part_into(
        &self,
        dir: &std::path::Path,
        options: &ExecOptions,
        limits: &ScanLimits,
        progress: &(dyn Fn(ScanStep<'_>) + Sync),
        sink: &mut dyn FnMut(RecordBatch) -> std::io::Result<()>,
    ) -> Result<(ScanReport, Partials), ScanError> {
        let mut partials = Partials::new(&self.ruleset().hash);
        let report = self.scan_with(dir, options, limits, progress, sink, Some(&mut partials))?;
        Ok((report, partials))
    }

    /// What a scan split into parts runs once they have all run: the rules
    /// over the shared tables (read from `dir`) and the population rules
    /// from the parts' merged partials. The flags come in output order.
    pub fn finish_parts(
        &self,
        dir: &std::path::Path,
        options: &ExecOptions,
        partials: &Partials,
    ) -> Result<Vec<Flag>, ScanError> {
        let plan = self.plan();
        let routed: Vec<String> = plan
            .loads
            .iter()
            .filter(|l| plan.exchange.routed(&l.table).is_some())
            .map(|l| l.table.clone())
            .collect();
        if routed.is_empty() {
            return Ok(Vec::new());
        }
        let tables = self
            .reads_except(&routed)
            .read(dir, &options.load, &|_, _| {})
            .map_err(ScanError::Data)?;
        let shared = self.shared_frames(
            tables
                .into_iter()
                .map(|(table, batch)| (table, vec![batch]))
                .collect(),
        );
        let pool = thread_pool(options.threads);
        let shared_lookups = pool.install(|| self.lookups(&shared));
        Ok(self
            .finish(&pool, &shared, &shared_lookups, partials, options)
            .into_sorted())
    }
}
