//! Running a plan: one pass per table, keyed rules by partition, in
//! parallel. This file is the dispatcher: it runs the passes and hands each
//! rule to the operator of its form (`forms/`), one arm per form.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{RecordBatch, RecordBatchOptions, new_null_array};
use arrow::datatypes::{Field, Schema as ArrowSchema};
use rayon::prelude::*;

use super::col::Col;
use super::env::{Env, Frame, Frames, Prepared};
use super::eval::Ctx;
use super::forms::pair::{self, Pair};
use super::forms::population::{self, Population};
use super::forms::population_partial::PopulationPartial;
use super::forms::{group, row, sequence, window};
use super::merge::merge_flags_as;
use super::order::row_hashes;
use super::output::rows_of_checked_claim;
use super::par;
use super::partition::{chunks, partition_all, split};
use super::pushdown::group_constant_conjuncts;
use super::tables::{Lookups, Tables};
use crate::data::arrow_types::arrow_type;
use crate::data::compact::stores;
use crate::data::load::LoadOptions;
use crate::flags::{Flag, FlagBatch, OrderedFlags};
use crate::ir::{Form, ParamValue, TExpr};
use crate::plan::Plan;

#[derive(Debug, Clone)]
pub struct ExecOptions {
    /// Worker threads; all cores when `None`.
    pub threads: Option<usize>,
    /// Rows per batch of a pass.
    pub batch_rows: usize,
    /// Partitions keyed rules are split into (more than threads, for balance).
    pub partitions: usize,
    /// Parameter values replacing the ruleset's (a rule test's `with`).
    pub overrides: Vec<(String, ParamValue)>,
    /// How a scan reads the dataset's files (the CSV encoding).
    pub load: LoadOptions,
    /// A pair rule's partners of a key are searched within the bounds its
    /// condition sets when the key has at least this many (fewer are all
    /// paired, the condition deciding as quickly).
    pub searched_from: usize,
}

impl Default for ExecOptions {
    fn default() -> ExecOptions {
        ExecOptions {
            threads: None,
            batch_rows: 64 * 1024,
            partitions: 64,
            overrides: Vec::new(),
            load: LoadOptions::default(),
            searched_from: super::forms::pair_band::SEARCHED_FROM,
        }
    }
}

/// A frame of `table` with every column the plan reads from it: columns the
/// batch lacks (as in rule tests that give only the columns that matter)
/// are nulls.
pub(super) fn frame_for(plan: &Plan, table: &str, batch: Option<RecordBatch>) -> Option<Frame> {
    let load = plan.loads.iter().find(|l| l.table == table)?;
    let schema = plan.ruleset.schema.table(table)?;
    let rows = batch.as_ref().map_or(0, RecordBatch::num_rows);
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    for name in &load.columns {
        let Some(column) = schema.column(name) else {
            continue;
        };
        let ty = arrow_type(&column.ty);
        let array = batch
            .as_ref()
            .and_then(|b| b.column_by_name(name).cloned())
            .filter(|a| stores(&column.ty, a.data_type()))
            .unwrap_or_else(|| new_null_array(&ty, rows));
        fields.push(Field::new(name, array.data_type().clone(), true));
        columns.push(array);
    }
    let batch = RecordBatch::try_new_with_options(
        Arc::new(ArrowSchema::new(fields)),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(rows)),
    )
    .expect("columns built to the schema");
    Some(Frame::new(table, batch))
}

/// The lookups the plan follows, between the given frames.
pub(super) fn lookups_for(plan: &Plan, frames: &Frames) -> Lookups {
    missing_lookups(plan, frames, &Lookups::default(), true)
}

/// The lookups the plan follows between `frames` that `have` lacks: side
/// by side when `parallel` (building a target's key index is one thread's
/// work, and the other lookups need not wait for it), else one after the
/// other (a real-time check: few rows).
pub(super) fn missing_lookups(
    plan: &Plan,
    frames: &Frames,
    have: &Lookups,
    parallel: bool,
) -> Lookups {
    let wanted: Vec<_> = plan
        .lookups
        .iter()
        .map(|(key, _)| key)
        .filter(|key| !have.contains_key(*key))
        .filter_map(|key| {
            let r = plan.ruleset.schema.relation(&key.0, &key.1)?;
            let (from, to) = (frames.get(&r.from_table)?, frames.get(&r.to_table)?);
            Some((key, r, from, to))
        })
        .collect();
    let build = |&(key, r, from, to): &(&(String, String), _, &Arc<Frame>, &Arc<Frame>)| {
        (
            key.clone(),
            Arc::new(super::lookup::build_lookup(r, from, to, parallel)),
        )
    };
    if parallel {
        wanted.par_iter().map(build).collect()
    } else {
        wanted.iter().map(build).collect()
    }
}

/// Frames for every table the plan reads, and the lookups between them.
pub(super) fn prepare(plan: &Plan, mut tables: Tables) -> Prepared {
    let frames: Frames = plan
        .loads
        .iter()
        .filter_map(|load| {
            let frame = frame_for(plan, &load.table, tables.remove(&load.table))?;
            Some((load.table.clone(), Arc::new(frame)))
        })
        .collect();
    let lookups = lookups_for(plan, &frames);
    (frames, lookups)
}

/// A pool for running plans: threads with stacks deep enough for the
/// deepest expression the checker accepts.
pub fn thread_pool(threads: Option<usize>) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .stack_size(64 << 20)
        .build()
        .expect("a thread pool")
}

/// Runs the plan on a pool. The flags come back sorted by (rule_id,
/// claim_id, line_no, provider_id), the same whatever the threads and
/// batch size.
pub(super) fn execute_on(
    pool: &rayon::ThreadPool,
    plan: &Plan,
    env: &Env<'_>,
    options: &ExecOptions,
) -> Vec<Flag> {
    pool.install(|| {
        let flags = run_passes(plan, env, options, &|_| true, None);
        sorted_structs(merge_flags_as(plan.ruleset, flags), env.parallel)
    })
}

/// The flags of `batches` as structs, in output order (stable). A check's
/// few flags are sorted as structs, not gathered as columns first.
pub(super) fn sorted_structs(batches: Vec<FlagBatch>, parallel: bool) -> Vec<Flag> {
    let mut flags: Vec<Flag> = batches
        .into_iter()
        .flat_map(FlagBatch::into_flags)
        .collect();
    if parallel {
        Flag::sort(&mut flags);
    } else {
        flags.sort_by(Flag::output_order);
    }
    flags
}

/// What one partition of a scan yields: its flags with their output
/// order, and the partial aggregates of each population rule (by rule
/// index).
pub(super) type PartitionOutput = (OrderedFlags, Vec<(usize, PopulationPartial)>);

/// In a real-time check, of a group, window or sequence rule's `rows`, only
/// those sharing all the rule's `keys` with a row of the checked claim
/// (`of_claim`, by row): the others' groups cannot flag the claim, and a
/// chronic patient's history would otherwise be grouped whole for every
/// rule (the first key is the patient).
fn only_keys_of_checked_claim(
    env: &Env<'_>,
    table: &str,
    keys: &[TExpr],
    of_claim: &[bool],
    rows: Vec<u32>,
) -> Vec<u32> {
    // Compared by the keys' hashes, as the rule groups its rows: a row of
    // other keys sharing a hash only forms a group of its own later.
    let ids: Vec<Option<u32>> = rows.iter().map(|r| Some(*r)).collect();
    let ctx = Ctx::new(env, table, ids);
    let keys: Vec<_> = keys.iter().map(|k| ctx.eval(k)).collect();
    let hashes = row_hashes(&keys, rows.len());
    let mut wanted: Vec<u128> = rows
        .iter()
        .zip(&hashes)
        .filter(|(r, _)| of_claim[**r as usize])
        .map(|(_, h)| *h)
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    rows.iter()
        .zip(&hashes)
        .filter(|(_, h)| wanted.binary_search(h).is_ok())
        .map(|(r, _)| *r)
        .collect()
}

/// Runs the passes over the tables `include` names. With `partial`,
/// population rules give partial aggregates instead of flags (one
/// partition of a scan).
pub(super) fn execute_passes_on(
    pool: &rayon::ThreadPool,
    plan: &Plan,
    env: &Env<'_>,
    options: &ExecOptions,
    include: &(dyn Fn(&str) -> bool + Sync),
    partial: bool,
) -> PartitionOutput {
    pool.install(|| {
        let (flags, partials) = execute_passes(plan, env, options, include, partial);
        // Stable, as a sequential sort: equal flags keep their order.
        (OrderedFlags::new(flags, env.parallel), partials)
    })
}

/// The passes of [`execute_passes_on`] on the current pool, or on the
/// caller's thread alone when the environment is not parallel (a
/// real-time check): the flags as the rules gave them, not yet ordered.
pub(super) fn execute_passes(
    plan: &Plan,
    env: &Env<'_>,
    options: &ExecOptions,
    include: &(dyn Fn(&str) -> bool + Sync),
    partial: bool,
) -> (Vec<FlagBatch>, Vec<(usize, PopulationPartial)>) {
    let mut partials = Vec::new();
    let flags = run_passes(
        plan,
        env,
        options,
        include,
        partial.then_some(&mut partials),
    );
    (merge_flags_as(plan.ruleset, flags), partials)
}

/// What one batch of a pass yields.
struct BatchResult {
    flags: Vec<FlagBatch>,
    /// For each keyed rule of the pass, its rows that passed `where`.
    selected: Vec<Vec<u32>>,
}

/// Runs the passes over the tables `include` names. With `partials`,
/// population rules leave their partial aggregates there (a partition of a
/// scan); without, they flag.
fn run_passes(
    plan: &Plan,
    env: &Env<'_>,
    options: &ExecOptions,
    include: &(dyn Fn(&str) -> bool + Sync),
    mut partials: Option<&mut Vec<(usize, PopulationPartial)>>,
) -> Vec<FlagBatch> {
    let ruleset = plan.ruleset;
    // Each rule's (or batch's) flags as they come, put together once at
    // the end: a flag is a large struct, moved as few times as can be.
    let mut flags: Vec<Vec<FlagBatch>> = Vec::new();
    for pass in plan.passes.iter().filter(|p| include(&p.table)) {
        let table = pass.table.as_str();
        let rows = env.frame(table).rows();
        let pass_started = std::time::Instant::now();
        // Each keyed rule's rows: those its `where` keeps and that are in a
        // group that can flag (see `pushdown`).
        let pushed: Vec<Vec<&TExpr>> = pass
            .keyed_rules
            .iter()
            .map(|&r| group_constant_conjuncts(&ruleset.rules[r], &ruleset.schema))
            .collect();
        // In a real-time check, the rows naming the checked claim (none
        // when the table's flags name no claim): only they can give a
        // flag the check reports, so row rules run on them alone.
        let checked = env.only_claim.is_some().then(|| {
            env.reach
                .and_then(|r| r.rows_of_checked_claim(table))
                .or_else(|| rows_of_checked_claim(env, table))
                .unwrap_or_else(|| vec![false; rows])
        });
        // In a check, the rows within each keyed rule's own look-back.
        let reaches: Vec<Option<Vec<bool>>> = pass
            .keyed_rules
            .iter()
            .map(|&r| {
                env.reach
                    .and_then(|reach| reach.rows(&ruleset.rules[r].id, table))
            })
            .collect();
        let results: Vec<BatchResult> =
            par::map(env.parallel, chunks(rows, options.batch_rows), |range| {
                let ids = |of_claim: Option<&Vec<bool>>| -> Vec<Option<u32>> {
                    let rows = range.clone().map(|r| r as u32);
                    rows.filter(|r| of_claim.is_none_or(|c| c[*r as usize]))
                        .map(Some)
                        .collect()
                };
                let ctx = Ctx::new(env, table, ids(None));
                let claim_ctx = checked.as_ref().map(|c| Ctx::new(env, table, ids(Some(c))));
                let row_ctx = claim_ctx.as_ref().unwrap_or(&ctx);
                let mut out = Vec::new();
                for &r in pass.row_rules.iter().filter(|_| row_ctx.n > 0) {
                    out.extend(row::run(ruleset, &ruleset.rules[r], row_ctx));
                }
                // A batch's flags at another grain merge already, so a
                // partition holds one per provider and batch, not per row.
                let out = merge_flags_as(ruleset, out);
                let selected = pass
                    .keyed_rules
                    .iter()
                    .zip(&pushed)
                    .zip(&reaches)
                    .map(|((&r, also), reach)| {
                        let filter = ruleset.rules[r].filter.as_ref();
                        match reach {
                            None => passing(&ctx.sibling(), filter, also),
                            Some(_) => {
                                passing(&Ctx::new(env, table, ids(reach.as_ref())), filter, also)
                            }
                        }
                    })
                    .collect();
                BatchResult {
                    flags: out,
                    selected,
                }
            });
        let mut selected: Vec<Vec<u32>> = vec![Vec::new(); pass.keyed_rules.len()];
        for result in results {
            flags.push(result.flags);
            for (all, some) in selected.iter_mut().zip(result.selected) {
                all.extend(some);
            }
        }
        // The pass's row rules are done: their flags are whole.
        if let Some(overflow) = env.flags_out {
            overflow.offer(ruleset, &mut flags);
        }
        tracing::debug!(
            table,
            rows,
            seconds = pass_started.elapsed().as_secs_f64(),
            rss = crate::data::memory::status_bytes("VmRSS:").unwrap_or(0) >> 20,
            hwm = crate::data::memory::status_bytes("VmHWM:").unwrap_or(0) >> 20,
            "row rules and filters done"
        );
        // Keyed rules sharing a first key share the partition of every row.
        let mut partitions: HashMap<usize, Vec<u16>> = HashMap::new();
        for (k, &r) in pass.keyed_rules.iter().enumerate() {
            let rule = &ruleset.rules[r];
            let rule_started = std::time::Instant::now();
            let _timing = TimeOnDrop(rule.id.as_str(), rule_started);
            let rows = std::mem::take(&mut selected[k]);
            // In a check, the partners within the rule's own look-back.
            let within = |table: &str| env.reach.and_then(|r| r.rows(&rule.id, table));
            // Group, window, sequence and pair rules have a partitioning.
            let partitioning = plan.partitionings.iter().position(|p| p.rules.contains(&r));
            let key = partitioning.map(|p| &plan.partitionings[p].key);
            let rows = match (&checked, &rule.form, key) {
                (None, _, _) | (_, Form::Population { .. }, _) => rows,
                // A pair flags its own row: only the claim's need partners
                // (the partners are every row of the partner table).
                (Some(of_claim), Form::Pair { .. }, _) => {
                    rows.into_iter().filter(|r| of_claim[*r as usize]).collect()
                }
                (_, _, None) => rows,
                (Some(of_claim), form, Some(key)) => {
                    let keys = match form {
                        Form::Group { keys }
                        | Form::Window { keys, .. }
                        | Form::Sequence { keys, .. } => keys.as_slice(),
                        _ => std::slice::from_ref(key),
                    };
                    only_keys_of_checked_claim(env, table, keys, of_claim, rows)
                }
            };
            // All rows of a key in one partition, the partitions in parallel
            // (group, window and sequence rules).
            let mut partitioned = |rows: Vec<u32>| -> Vec<Vec<u32>> {
                // One partition (a real-time check): nothing to hash.
                if options.partitions <= 1 {
                    return vec![rows];
                }
                let (partitioning, key) = partitioning
                    .zip(key)
                    .expect("every keyed rule has a partitioning");
                let ids = partitions.entry(partitioning).or_insert_with(|| {
                    partition_all(env, table, key, options.batch_rows, options.partitions)
                });
                split(rows, ids, options.partitions)
            };
            match &rule.form {
                Form::Row => unreachable!("row rules run batch by batch, above"),
                Form::Group { keys } => flags.extend(each_partition(env, partitioned(rows), |b| {
                    group::run(ruleset, rule, keys, env, b)
                })),
                Form::Window { keys, range } => {
                    flags.extend(each_partition(env, partitioned(rows), |b| {
                        window::run(ruleset, rule, keys, range, env, b, checked.as_deref())
                    }))
                }
                Form::Sequence { keys, order } => {
                    flags.extend(each_partition(env, partitioned(rows), |b| {
                        sequence::run(ruleset, rule, keys, order, env, b)
                    }))
                }
                Form::Pair {
                    var: _,
                    table: partner_table,
                    filter,
                    keys,
                    known,
                } => {
                    let form = Pair {
                        table: partner_table,
                        filter: filter.as_ref(),
                        keys,
                        known: known.as_ref(),
                        range: plan.pair_ranges.get(&r).map(|(range, _)| range),
                        searched_from: options.searched_from,
                    };
                    // A pair with a partitioning (its first key reads
                    // alike on both rows) takes the partitions the other
                    // rules of that key use.
                    let by_first_key =
                        (options.partitions > 1 && partitioning.is_some()).then(|| {
                            let (partitioning, key) = partitioning
                                .zip(key)
                                .expect("every keyed rule has a partitioning");
                            &*partitions.entry(partitioning).or_insert_with(|| {
                                partition_all(
                                    env,
                                    table,
                                    key,
                                    options.batch_rows,
                                    options.partitions,
                                )
                            })
                        });
                    flags.push(pair::run(
                        ruleset,
                        rule,
                        &form,
                        env,
                        &rows,
                        within(partner_table).as_deref(),
                        by_first_key.map(Vec::as_slice),
                        options.batch_rows,
                        options.partitions,
                    ))
                }
                Form::Population { .. } => {
                    let form = Population::of(&rule.form).expect("a population form");
                    match partials.as_deref_mut() {
                        Some(partials) => {
                            partials.push((r, PopulationPartial::of(rule, &form, env, &rows)))
                        }
                        None => flags.push(population::run(ruleset, rule, &form, env, &rows)),
                    }
                }
            }
            if let Some(overflow) = env.flags_out {
                overflow.offer(ruleset, &mut flags);
            }
        }
    }
    // What the last rule handed over and no offer took.
    if let Some(overflow) = env.flags_out {
        flags.push(overflow.gathered());
    }
    let mut all = Vec::with_capacity(flags.iter().map(Vec::len).sum());
    for piece in flags {
        all.extend(piece);
    }
    all
}

/// Runs `run` on each non-empty partition, in parallel in a scan.
fn each_partition(
    env: &Env<'_>,
    mut partitions: Vec<Vec<u32>>,
    run: impl Fn(&[u32]) -> Vec<FlagBatch> + Sync + Send,
) -> Vec<Vec<FlagBatch>> {
    partitions.retain(|b| !b.is_empty());
    par::map(env.parallel, partitions, |b| run(&b))
}

/// Logs (at debug level) how long a keyed rule took, whichever way it ends.
struct TimeOnDrop<'a>(&'a str, std::time::Instant);

impl Drop for TimeOnDrop<'_> {
    fn drop(&mut self) {
        tracing::debug!(
            rule = self.0,
            seconds = self.1.elapsed().as_secs_f64(),
            rss = crate::data::memory::status_bytes("VmRSS:").unwrap_or(0) >> 20,
            hwm = crate::data::memory::status_bytes("VmHWM:").unwrap_or(0) >> 20,
            "keyed rule done"
        );
    }
}

/// The rows of the context where `filter` and each of `also` are true (all
/// without any), as row numbers.
fn passing<'a>(ctx: &Ctx<'a>, filter: Option<&'a TExpr>, also: &[&'a TExpr]) -> Vec<u32> {
    let tests: Vec<Col<'a>> = filter
        .into_iter()
        .chain(also.iter().copied())
        .map(|f| ctx.eval(f))
        .collect();
    (0..ctx.n)
        .filter(|i| tests.iter().all(|t| t.bools()[*i].is_true()))
        .filter_map(|i| ctx.row.1[i])
        .collect()
}
