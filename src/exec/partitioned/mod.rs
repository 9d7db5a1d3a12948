//! The partitioned scan: the plan's exchange routes every row of the
//! routed tables to a bucket (all rows of a patient together), buckets
//! past the memory limit spill to disk, and the plan runs a group of
//! buckets at a time against the shared (broadcast) tables. Population
//! rules merge their partial aggregates at the end; the flags stream to
//! the output as sorted runs merged. `parts.rs` runs a dataset split by
//! the partition key elsewhere (a distributed scan) a part at a time.

mod buckets;
mod intake;
mod outcome;
mod partials;
mod parts;
mod references;
mod route;
mod spill;
mod unique;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

use arrow::array::RecordBatch;

use super::compiled::Compiled;
use super::env::Env;
use super::env::Frames;
use super::flag_overflow::FlagOverflow;
use super::forms::population::{self, Population};
use super::read::{concat_by_column, projection};
use super::run::{ExecOptions, thread_pool};
use super::tables::Lookups;
use super::tables::Tables;
use crate::data::compact::compact_batch;
use crate::data::load::{first_problem_of, load_dataset};
use crate::data::memory::release_freed_memory;
use crate::flags::{AMOUNT_SCALE, FlagBatch, FlagRuns, OrderedFlags, SharedRuns};
use crate::plan::{Exchange, Route, Routed};
use buckets::Buckets;
use intake::Intake;
use outcome::size;
pub use outcome::{DEFAULT_MEMORY_LIMIT, ScanError, ScanLimits, ScanReport, ScanStep};
pub use partials::Partials;
use route::{BUCKETS, Router};
pub use spill::SpillDir;

impl Compiled<'_> {
    /// Runs the rules over the dataset in `dir`, partition by partition
    /// when the plan has a partition key, and passes the flags to `sink` in
    /// output order, a chunk at a time.
    pub fn scan_into(
        &self,
        dir: &std::path::Path,
        options: &ExecOptions,
        limits: &ScanLimits,
        progress: &(dyn Fn(ScanStep<'_>) + Sync),
        sink: &mut dyn FnMut(RecordBatch) -> std::io::Result<()>,
    ) -> Result<ScanReport, ScanError> {
        self.scan_with(dir, options, limits, progress, sink, None)
    }

    pub(super) fn scan_with(
        &self,
        dir: &std::path::Path,
        options: &ExecOptions,
        limits: &ScanLimits,
        progress: &(dyn Fn(ScanStep<'_>) + Sync),
        sink: &mut dyn FnMut(RecordBatch) -> std::io::Result<()>,
        keep_partials: Option<&mut Partials>,
    ) -> Result<ScanReport, ScanError> {
        let read_progress = |table: &str, rows: u64| progress(ScanStep::Read { table, rows });
        // Refused before anything is read.
        let mut spill = SpillDir::create(&limits.temp_dir).map_err(ScanError::Io)?;
        let mut report = ScanReport::default();
        let mut runs = FlagRuns::new(spill.path(), limits.memory / 4)?;
        match &self.plan().exchange {
            Exchange::Key { .. } => self.run_partitioned(
                dir,
                options,
                limits,
                &mut spill,
                progress,
                &read_progress,
                &mut runs,
                &mut report,
                keep_partials,
            )?,
            Exchange::Whole { .. } => {
                let started = Instant::now();
                let (tables, notes) = self
                    .read_compact(dir, &options.load, &read_progress)
                    .map_err(ScanError::Data)?;
                report.phases.push(("read", started.elapsed()));
                report.notes = notes;
                report.rows = self
                    .plan()
                    .loads
                    .iter()
                    .map(|l| {
                        let rows = tables.get(&l.table).map_or(0, |b| b.num_rows() as u64);
                        (l.table.clone(), rows)
                    })
                    .collect();
                release_freed_memory();
                let total = report.rows.iter().map(|(_, n)| n).sum();
                progress(ScanStep::Execute { rows: 0, total });
                let (flags, phases) = self.run_tables(tables, options);
                progress(ScanStep::Execute { rows: total, total });
                report.phases.extend(phases);
                report.partitions = 1;
                // Encoded on a pool of --threads, not on every core.
                thread_pool(options.threads).install(|| runs.push(OrderedFlags::sorted(flags)))?;
            }
        }
        let started = Instant::now();
        let counts = &mut report.flags_per_rule;
        let amounts = &mut report.amount_per_rule;
        let mut total = 0u64;
        let all = runs.len();
        progress(ScanStep::Write {
            flags: 0,
            total: all,
        });
        runs.merge(64 * 1024, &mut |batch: RecordBatch| {
            count_per_rule(&batch, counts, amounts);
            total += batch.num_rows() as u64;
            progress(ScanStep::Write {
                flags: total,
                total: all,
            });
            sink(batch)
        })?;
        report.flags = total;
        report.phases.push(("write", started.elapsed()));
        Ok(report)
    }

    /// Reads the dataset, routes the rows to buckets and runs the plan a
    /// group of buckets at a time, then what needs every partition.
    #[allow(clippy::too_many_arguments)]
    fn run_partitioned(
        &self,
        dir: &std::path::Path,
        options: &ExecOptions,
        limits: &ScanLimits,
        spill: &mut SpillDir,
        progress: &(dyn Fn(ScanStep<'_>) + Sync),
        read_progress: &(dyn Fn(&str, u64) + Sync),
        runs: &mut FlagRuns,
        report: &mut ScanReport,
        keep_partials: Option<&mut Partials>,
    ) -> Result<(), ScanError> {
        let started = Instant::now();
        let pool = thread_pool(options.threads);
        let read = self.read_routed(dir, options, limits, spill, read_progress, &pool)?;
        report.notes = read.notes;
        report.rows = self
            .plan()
            .loads
            .iter()
            .map(|l| {
                (
                    l.table.clone(),
                    read.rows.get(&l.table).copied().unwrap_or(0),
                )
            })
            .collect();
        report.phases.push(("read", started.elapsed()));
        release_freed_memory();
        // From here the blocks freed are the evaluator's, of the same
        // sizes partition after partition: kept for reuse, not faulted in
        // afresh.
        crate::data::memory::keep_freed_blocks_for_reuse();
        log_memory("read");

        let started = Instant::now();
        self.run_groups(
            dir,
            read.buckets,
            read.shared,
            options,
            limits,
            &pool,
            spill,
            runs,
            report,
            progress,
            keep_partials,
        )?;
        report.spilled_bytes += spill.bytes_written();
        report.phases.push(("execute", started.elapsed()));
        Ok(())
    }

    /// Reads the tables the plan needs: rows of routed tables into their
    /// buckets, the shared tables whole.
    fn read_routed(
        &self,
        dir: &std::path::Path,
        options: &ExecOptions,
        limits: &ScanLimits,
        spill: &mut SpillDir,
        progress: &(dyn Fn(&str, u64) + Sync),
        pool: &rayon::ThreadPool,
    ) -> Result<ReadRouted, ScanError> {
        let plan = self.plan();
        let schema = &plan.ruleset.schema;
        let Exchange::Key { routed, .. } = &plan.exchange else {
            unreachable!("run only with a partition key")
        };
        let tables = routed
            .iter()
            .map(|r| {
                schema
                    .table(&r.table)
                    .cloned()
                    .expect("routed tables exist")
            })
            .collect();
        // Rows held before spilling: under half the limit, so a partition
        // can run beside them.
        let buckets = Buckets::new(tables, limits.memory / 20 * 9, limits.memory / 100 * 55);
        let mut intake = Intake::new(Router::new(routed), buckets, pool);
        let mut shared: HashMap<String, Vec<RecordBatch>> = HashMap::new();
        let mut rows: BTreeMap<String, u64> = BTreeMap::new();
        let mut failure: Option<std::io::Error> = None;
        let narrow = |table: &crate::ir::Table, batch| compact_batch(batch, table);
        // Keys the loader checks for uniqueness by sorting go to the spill
        // folder too (a hundred million lines' keys are 1.6 GB).
        let load = crate::data::load::LoadOptions {
            key_spill_dir: Some(spill.path().to_path_buf()),
            keys_checked_later: routed
                .iter()
                .filter(|r| r.key_checked_per_partition || r.key_checked_while_routing)
                .map(|r| r.table.clone())
                .collect(),
            references_checked_later: routed
                .iter()
                .filter(|r| r.reference_checked_per_partition)
                .filter_map(|r| match &r.route {
                    Route::Relation { relation, .. } => Some((r.table.clone(), relation.clone())),
                    Route::Columns { .. } => None,
                })
                .collect(),
            ..options.load.clone()
        };
        // On the scan's pool, so that reading uses the threads it was given.
        let projection = projection(plan);
        let validation = pool.install(|| {
            load_dataset(
                dir,
                schema,
                &load,
                &projection,
                Some(&narrow as crate::data::load::Narrow<'_>),
                &mut |table, batch| {
                    if failure.is_some() {
                        return;
                    }
                    *rows.entry(table.to_string()).or_default() += batch.num_rows() as u64;
                    let Some(t) = intake.index(table) else {
                        shared.entry(table.to_string()).or_default().push(batch);
                        return;
                    };
                    if let Err(e) = intake.accept(t, batch, spill) {
                        failure = Some(e);
                    }
                },
                progress,
            )
        });
        if let Some(problem) = validation.problems.into_first() {
            return Err(ScanError::Data(Box::new(problem)));
        }
        if let Some(e) = failure {
            return Err(e.into());
        }
        intake.finish(spill)?;
        // A key the router saw twice is named by reading its table again
        // with every check; two keys sharing a hash are no problem.
        for &t in &intake.repeated_keys {
            let table = routed[t].table.as_str();
            if routed[t].key_checked_while_routing
                && let Some(problem) = first_problem_of(dir, schema, &options.load, &[table])
            {
                return Err(ScanError::Data(Box::new(problem)));
            }
        }
        let notes = validation
            .sources
            .iter()
            .filter_map(|s| Some((s.table.clone(), s.skipped_note()?)))
            .collect();
        Ok(ReadRouted {
            buckets: intake.buckets,
            shared,
            rows,
            notes,
        })
    }

    /// Runs the plan on consecutive buckets at a time, then the rules over
    /// the shared tables and the population rules' merged partials.
    #[allow(clippy::too_many_arguments)]
    fn run_groups(
        &self,
        dir: &std::path::Path,
        mut buckets: Buckets,
        mut shared_batches: HashMap<String, Vec<RecordBatch>>,
        options: &ExecOptions,
        limits: &ScanLimits,
        pool: &rayon::ThreadPool,
        spill: &mut SpillDir,
        runs: &mut FlagRuns,
        report: &mut ScanReport,
        progress: &(dyn Fn(ScanStep<'_>) + Sync),
        keep_partials: Option<&mut Partials>,
    ) -> Result<(), ScanError> {
        let plan = self.plan();
        let ruleset = plan.ruleset;
        let schema = &ruleset.schema;
        let Exchange::Key { routed, .. } = &plan.exchange else {
            unreachable!("run only with a partition key")
        };
        // The shared tables, each read whole once; their key indexes are
        // built once and serve every partition.
        let shared = self.shared_frames(std::mem::take(&mut shared_batches));
        let is_routed = |t: &str| plan.exchange.routed(t).is_some();
        // Lookups among the shared tables: built once for every partition.
        let shared_lookups = self.lookups(&shared);
        let mut partials = Partials::new(&ruleset.hash);
        // Consecutive buckets run together up to a tenth of the limit: the
        // engine holds a few times a partition's rows while it runs.
        let target = (limits.memory / 10).max(1);
        let total: u64 = (0..BUCKETS).map(|b| buckets.rows(b)).sum();
        let mut done = 0u64;
        progress(ScanStep::Execute { rows: 0, total });
        let mut first = 0;
        while first < BUCKETS {
            let mut last = first + 1;
            let mut bytes = buckets.bytes(first);
            while last < BUCKETS && bytes + buckets.bytes(last) <= target {
                bytes += buckets.bytes(last);
                last += 1;
            }
            let group = first..last;
            first = last;
            let group_rows: u64 = group.clone().map(|b| buckets.rows(b)).sum();
            if group_rows == 0 {
                continue;
            }
            // A partition holds a few times its rows while it runs: flag
            // runs make room when the process would otherwise pass the limit.
            // What the later buckets hold goes next: what they free is
            // reused by this partition instead of growing the process.
            // Aimed under the limit: the allocator keeps what is freed, so
            // the process seldom shrinks back.
            let resident = crate::data::memory::resident_bytes().unwrap_or(0);
            let needed = resident + bytes * WORKING_SET_PER_BYTE;
            let ceiling = limits.memory / 100 * 85;
            if needed > ceiling {
                let excess = needed - ceiling;
                let flags = runs.memory_bytes();
                runs.shrink_to(flags.saturating_sub(excess))?;
                let freed = flags - runs.memory_bytes();
                let spilled = if excess > freed {
                    buckets.spill_from(last, excess - freed, spill)?
                } else {
                    0
                };
                tracing::debug!(
                    resident_mib = resident >> 20,
                    partition_mib = bytes >> 20,
                    flags_spilled_mib = freed >> 20,
                    rows_spilled_mib = spilled >> 20,
                    "room made for a partition"
                );
            }
            let loading = Instant::now();
            let mut pieces: Vec<Vec<RecordBatch>> = vec![Vec::new(); routed.len()];
            for (t, batches) in buckets.take_group(group)?.into_iter().enumerate() {
                pieces[t].extend(batches);
            }
            // A partition is one bucket at least; a bucket past what the
            // limit can run is refused when a single key makes it so.
            if bytes > limits.memory / 4
                && let Some((key, share)) = largest_key(&plan.exchange, routed, &pieces)
                && (bytes as f64 * share) as u64 > limits.memory / 4
            {
                let needs = (bytes as f64 * share) as u64;
                return Err(ScanError::Memory(format!(
                    "the rows of {key} alone need about {} to run, more than \
                     --memory-limit {} allows (a partition may use a quarter of it); \
                     raise the limit to at least {}",
                    size(needs),
                    size(limits.memory),
                    size(needs * 4)
                )));
            }
            let tables: Tables = routed
                .iter()
                .zip(pieces)
                .filter(|(_, batches)| !batches.is_empty())
                .map(|(r, batches)| {
                    let table = schema.table(&r.table).expect("routed tables exist");
                    (r.table.clone(), concat_by_column(batches, table))
                })
                .collect();
            let loaded = loading.elapsed();
            // The flags of the rules done so far become runs of their own
            // when they pass a sixteenth of the limit (a long history's),
            // up to that much a run; so do the flags one task of a rule is
            // making, where the plan lets them go in pieces.
            let run_bytes = (limits.memory / 16) as usize;
            let pushed_early = SharedRuns::new(runs);
            let to_runs = |flags: Vec<FlagBatch>, between_rules: bool| {
                pushed_early.push_in_runs(flags, run_bytes);
                // The flags just pushed were the most of what the rules
                // held; what the allocator keeps of them counts against the
                // limit as much. Between rules every thread gives back what
                // it keeps; inside a rule's task, the thread making the
                // flags gives back its own.
                let resident = crate::data::memory::resident_bytes().unwrap_or(0);
                if resident > limits.memory / 4 * 3 {
                    crate::data::memory::give_back_freed_blocks(&|collect| match between_rules {
                        true => drop(rayon::broadcast(|_| collect())),
                        false => collect(),
                    });
                    tracing::debug!(
                        before_mib = resident >> 20,
                        after_mib = crate::data::memory::resident_bytes().unwrap_or(0) >> 20,
                        "freed blocks given back"
                    );
                }
            };
            let overflow = FlagOverflow::new(
                run_bytes,
                (plan.flags_in_pieces.iter())
                    .map(|&r| plan.ruleset.rules[r].id.as_str())
                    .collect(),
                &to_runs,
            );
            let mut env = pool
                .install(|| self.partition_env(&shared, &shared_lookups, tables, options, true));
            env.flags_out = Some(&overflow);
            tracing::debug!(
                rows = group_rows,
                load_seconds = loaded.as_secs_f64(),
                lookups_seconds = (loading.elapsed() - loaded).as_secs_f64(),
                "partition ready"
            );
            let running = Instant::now();
            // What the loader left to the partitions is checked beside the
            // rules, on the same pool; a failure is named by file and row by
            // reading its tables again with every check.
            let (failed, (flags, partial)) = pool.install(|| {
                rayon::join(
                    || failing_tables(routed, &env),
                    || self.run_partition(pool, &env, options, &is_routed, true),
                )
            });
            let ran = running.elapsed();
            drop(env);
            drop(overflow);
            pushed_early.finish()?;
            if let Some(tables) = failed {
                let problem = first_problem_of(dir, schema, &options.load, &tables)
                    .expect("what fails in a partition fails in the files");
                return Err(ScanError::Data(Box::new(problem)));
            }
            for (rule, partial) in partial {
                partials.add(ruleset, rule, partial);
            }
            let pushing = Instant::now();
            pool.install(|| runs.push(flags))?;
            tracing::debug!(
                run_seconds = ran.as_secs_f64(),
                push_seconds = pushing.elapsed().as_secs_f64(),
                "partition done"
            );
            report.partitions += 1;
            done += group_rows;
            progress(ScanStep::Execute { rows: done, total });
        }
        log_memory("partitions");
        match keep_partials {
            Some(kept) => *kept = partials,
            None => {
                let flags = self.finish(pool, &shared, &shared_lookups, &partials, options);
                pool.install(|| runs.push(flags))?;
            }
        }
        Ok(())
    }

    /// Frames of the shared tables the plan reads, from their batches.
    pub(super) fn shared_frames(&self, mut batches: HashMap<String, Vec<RecordBatch>>) -> Frames {
        let plan = self.plan();
        plan.loads
            .iter()
            .filter(|l| plan.exchange.routed(&l.table).is_none())
            .filter_map(|l| {
                let table = plan.ruleset.schema.table(&l.table)?;
                let batch = batches
                    .remove(&l.table)
                    .filter(|b| !b.is_empty())
                    .map(|b| concat_by_column(b, table));
                Some((l.table.clone(), Arc::new(self.frame(&l.table, batch)?)))
            })
            .collect()
    }

    /// What needs every partition: the rules over the shared tables, and
    /// the population rules from their merged partials; in output order.
    pub(super) fn finish(
        &self,
        pool: &rayon::ThreadPool,
        shared: &Frames,
        shared_lookups: &Lookups,
        partials: &Partials,
        options: &ExecOptions,
    ) -> OrderedFlags {
        let plan = self.plan();
        let ruleset = plan.ruleset;
        let is_routed = |t: &str| plan.exchange.routed(t).is_some();
        let env = self.partition_env(shared, shared_lookups, Tables::new(), options, true);
        let (flags, _) = self.run_partition(pool, &env, options, &|t| !is_routed(t), false);
        let mut flags = vec![flags.into_made()];
        for (rule, merged) in partials.by_rule(ruleset) {
            let rule = &ruleset.rules[rule];
            let form = Population::of(&rule.form).expect("partials come from population rules");
            flags.extend(population::run_merged(ruleset, rule, &form, &env, merged));
        }
        pool.install(|| OrderedFlags::new(flags, true))
    }
}

/// Adds a batch of flags to the flags and the money at stake per rule. A
/// rule's flags come together: each run of one rule is counted at once.
fn count_per_rule(
    batch: &RecordBatch,
    counts: &mut BTreeMap<String, u64>,
    amounts: &mut BTreeMap<String, rust_decimal::Decimal>,
) {
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::Decimal128Type;
    let column = |name: &str| batch.column_by_name(name).expect("a batch of flags");
    let rule_ids = column("rule_id").as_string::<i32>();
    let amount = column("amount_at_stake").as_primitive::<Decimal128Type>();
    let mut start = 0;
    while start < batch.num_rows() {
        let rule = rule_ids.value(start);
        let end = (start..batch.num_rows())
            .find(|&i| rule_ids.value(i) != rule)
            .unwrap_or(batch.num_rows());
        *counts.entry(rule.to_owned()).or_default() += (end - start) as u64;
        let sum = (start..end)
            .filter(|&i| amount.is_valid(i))
            .map(|i| rust_decimal::Decimal::from_i128_with_scale(amount.value(i), AMOUNT_SCALE))
            .reduce(|a, b| a + b);
        if let Some(sum) = sum {
            *amounts.entry(rule.to_owned()).or_default() += sum;
        }
        start = end;
    }
}

/// The tables to read again to name a problem the loader left to the
/// partitions and this one has: a routed table whose key repeats here, or
/// one with a row whose related row is missing (with that related table).
fn failing_tables<'r>(routed: &'r [Routed], env: &Env<'_>) -> Option<Vec<&'r str>> {
    routed.iter().find_map(|r| {
        let repeats = r.key_checked_per_partition
            && env
                .frames
                .get(&r.table)
                .zip(env.schema.table(&r.table))
                .is_some_and(|(frame, table)| unique::repeats_in(env, r, frame, table));
        let missing =
            r.reference_checked_per_partition && references::refers_to_a_missing_row(env, r);
        match &r.route {
            Route::Relation { to_table, .. } if missing => {
                Some(vec![r.table.as_str(), to_table.as_str()])
            }
            _ if repeats => Some(vec![r.table.as_str()]),
            _ => None,
        }
    })
}

/// What reading a dataset for a partitioned scan gives.
struct ReadRouted {
    buckets: Buckets,
    /// The shared tables' batches.
    shared: HashMap<String, Vec<RecordBatch>>,
    /// Rows read per table.
    rows: BTreeMap<String, u64>,
    notes: super::read::Notes,
}

/// The key with the most rows of the key table among `pieces` (one
/// partition's batches of each routed table), named as `table.column =
/// value`, with its share of those rows.
fn largest_key(
    exchange: &Exchange,
    routed: &[crate::plan::Routed],
    pieces: &[Vec<RecordBatch>],
) -> Option<(String, f64)> {
    let Exchange::Key { table, column, .. } = exchange else {
        return None;
    };
    let t = routed.iter().position(|r| &r.table == table)?;
    let mut counts: HashMap<String, u64> = HashMap::new();
    let mut rows = 0u64;
    for batch in &pieces[t] {
        let frame = super::env::Frame::new(table, batch.clone());
        for key in super::env::key_texts(&frame, std::slice::from_ref(column)) {
            rows += 1;
            *counts
                .entry(key.unwrap_or_else(|| "null".to_string()))
                .or_default() += 1;
        }
    }
    let (key, most) = counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))?;
    Some((
        format!("{table}.{column} = {key} ({most} rows of {table})"),
        most as f64 / rows.max(1) as f64,
    ))
}

/// Bytes a partition holds while it runs, per byte of its rows (frames,
/// lookups, the rules' contexts and flags), as measured on the CHS rules.
const WORKING_SET_PER_BYTE: u64 = 3;

/// Logs (at info level) the memory held after a phase, for tuning.
fn log_memory(phase: &str) {
    let mib = |b: Option<u64>| b.map_or(0.0, |b| b as f64 / (1024.0 * 1024.0));
    tracing::info!(
        phase,
        rss_mib = mib(crate::data::memory::status_bytes("VmRSS:")),
        peak_mib = mib(crate::data::memory::status_bytes("VmHWM:")),
        "phase done"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::record::arbitrary_flag;
    use crate::flags::{Flag, flags_batch};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn counts_per_rule_from_batches_equal_counts_from_flags(
            mut flags in prop::collection::vec(arbitrary_flag(), 0..60),
            split in 0usize..60,
        ) {
            flags.sort_by(Flag::output_order);
            let mut counts = BTreeMap::new();
            let mut amounts = BTreeMap::new();
            let split = split.min(flags.len());
            for part in [&flags[..split], &flags[split..]] {
                count_per_rule(&flags_batch(part), &mut counts, &mut amounts);
            }
            let mut expected_counts: BTreeMap<String, u64> = BTreeMap::new();
            let mut expected_amounts: BTreeMap<String, rust_decimal::Decimal> = BTreeMap::new();
            for flag in &flags {
                *expected_counts.entry(flag.rule_id.to_string()).or_default() += 1;
                if let Some(amount) = flag.amount_at_stake {
                    *expected_amounts.entry(flag.rule_id.to_string()).or_default() += amount;
                }
            }
            prop_assert_eq!(counts, expected_counts);
            prop_assert_eq!(amounts, expected_amounts);
        }
    }
}
