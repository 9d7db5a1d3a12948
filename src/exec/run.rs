//! Running a plan: one pass per table, keyed rules by partition, in parallel.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use arrow::array::{RecordBatch, RecordBatchOptions, new_null_array};
use arrow::datatypes::{Field, Schema as ArrowSchema};
use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64;

use super::col::Col;
use super::env::{Env, Frame, Frames, Prepared};
use super::eval::Ctx;
use super::keyed::run_keyed;
use super::output::{Flagged, Hits, render};
use super::pair::run_pair;
use super::population::run_population;
use super::pushdown::group_constant_conjuncts;
use super::tables::{Lookups, Tables};
use crate::data::arrow_types::arrow_type;
use crate::data::compact::stores;
use crate::data::load::LoadOptions;
use crate::flags::Flag;
use crate::ir::{Form, ParamValue, Rule, Ruleset, TExpr, TExprKind, Var};
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
}

impl Default for ExecOptions {
    fn default() -> ExecOptions {
        ExecOptions {
            threads: None,
            batch_rows: 64 * 1024,
            partitions: 64,
            overrides: Vec::new(),
            load: LoadOptions::default(),
        }
    }
}

/// A frame of `table` with every column the plan reads from it: columns the
/// batch lacks (as in rule tests that give only the columns that matter)
/// are nulls.
pub fn frame_for(plan: &Plan, table: &str, batch: Option<RecordBatch>) -> Option<Frame> {
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
pub fn lookups_for(plan: &Plan, frames: &Frames) -> Lookups {
    // Built side by side: building a target's key index is one thread's
    // work, and the other lookups need not wait for it.
    plan.lookups
        .par_iter()
        .filter_map(|((table, relation), _)| {
            let r = plan.ruleset.schema.relation(table, relation)?;
            let (from, to) = (frames.get(&r.from_table)?, frames.get(&r.to_table)?);
            Some((
                (table.clone(), relation.clone()),
                Arc::new(super::lookup::build_lookup(r, from, to)),
            ))
        })
        .collect()
}

/// Frames for every table the plan reads, and the lookups between them.
pub fn prepare(plan: &Plan, mut tables: Tables) -> Prepared {
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

/// Runs the plan. The flags come back sorted by (rule_id, claim_id,
/// line_no, provider_id), the same whatever the threads and batch size.
pub fn execute(plan: &Plan, env: &Env<'_>, options: &ExecOptions) -> Vec<Flag> {
    execute_on(&thread_pool(options.threads), plan, env, options)
}

/// Runs the plan on an existing pool (the real-time service keeps one).
pub fn execute_on(
    pool: &rayon::ThreadPool,
    plan: &Plan,
    env: &Env<'_>,
    options: &ExecOptions,
) -> Vec<Flag> {
    let mut flags = pool.install(|| run_passes(plan, env, options));
    flags.sort_by(Flag::output_order);
    flags
}

/// What one batch of a pass yields.
struct BatchResult {
    flags: Vec<Flag>,
    /// For each keyed rule of the pass, its rows that passed `where`.
    selected: Vec<Vec<u32>>,
}

fn chunks(rows: usize, size: usize) -> Vec<Range<usize>> {
    let size = size.max(1);
    (0..rows)
        .step_by(size)
        .map(|s| s..(s + size).min(rows))
        .collect()
}

fn run_passes(plan: &Plan, env: &Env<'_>, options: &ExecOptions) -> Vec<Flag> {
    let ruleset = plan.ruleset;
    let mut flags = Vec::new();
    for pass in &plan.passes {
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
        let results: Vec<BatchResult> = chunks(rows, options.batch_rows)
            .into_par_iter()
            .map(|range| {
                let ctx = Ctx::new(env, table, range.map(|r| Some(r as u32)).collect());
                let mut out = Vec::new();
                for &r in &pass.row_rules {
                    out.extend(run_row_rule(ruleset, &ruleset.rules[r], &ctx));
                }
                let selected = pass
                    .keyed_rules
                    .iter()
                    .zip(&pushed)
                    .map(|(&r, also)| {
                        passing(&ctx.sibling(), ruleset.rules[r].filter.as_ref(), also)
                    })
                    .collect();
                BatchResult {
                    flags: out,
                    selected,
                }
            })
            .collect();
        let mut selected: Vec<Vec<u32>> = vec![Vec::new(); pass.keyed_rules.len()];
        for result in results {
            flags.extend(result.flags);
            for (all, some) in selected.iter_mut().zip(result.selected) {
                all.extend(some);
            }
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
            match &rule.form {
                Form::Population { .. } => flags.extend(run_population(ruleset, rule, env, &rows)),
                Form::Pair {
                    table: partner_table,
                    filter,
                    keys,
                    ..
                } => {
                    let partner_rows = env.frame(partner_table).rows();
                    let partners: Vec<u32> = chunks(partner_rows, options.batch_rows)
                        .into_par_iter()
                        .flat_map(|range| {
                            let ctx = Ctx::for_partners(
                                env,
                                table,
                                partner_table,
                                range.clone().map(|r| Some(r as u32)).collect(),
                            );
                            let keep = filter.as_ref().map(|f| ctx.eval(f));
                            let ids: Vec<u32> = range
                                .enumerate()
                                .filter(|(i, _)| {
                                    keep.as_ref().is_none_or(|k| k.bools()[*i].is_true())
                                })
                                .map(|(_, r)| r as u32)
                                .collect();
                            ids
                        })
                        .collect();
                    let (mine, theirs) = &keys[0];
                    let row_parts = bucket(env, table, None, &rows, mine, options.partitions);
                    let partner_parts = bucket(
                        env,
                        table,
                        Some(partner_table),
                        &partners,
                        theirs,
                        options.partitions,
                    );
                    flags.extend(
                        row_parts
                            .par_iter()
                            .zip(partner_parts.par_iter())
                            .filter(|(r, _)| !r.is_empty())
                            .flat_map(|(r, p)| run_pair(ruleset, rule, env, r, p))
                            .collect::<Vec<_>>(),
                    );
                }
                _ => {
                    let partitioning = plan
                        .partitionings
                        .iter()
                        .position(|p| p.rules.contains(&r))
                        .expect("every keyed rule has a partitioning");
                    let ids = partitions.entry(partitioning).or_insert_with(|| {
                        partition_all(env, table, &plan.partitionings[partitioning].key, options)
                    });
                    let mut buckets: Vec<Vec<u32>> = vec![Vec::new(); options.partitions.max(1)];
                    for row in rows {
                        buckets[ids[row as usize] as usize].push(row);
                    }
                    flags.extend(
                        buckets
                            .par_iter()
                            .filter(|b| !b.is_empty())
                            .flat_map(|b| run_keyed(ruleset, rule, env, b))
                            .collect::<Vec<_>>(),
                    );
                }
            }
        }
    }
    flags
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

fn run_row_rule<'a>(ruleset: &Ruleset, rule: &'a Rule, shared: &Ctx<'a>) -> Vec<Flag> {
    let all = shared.sibling();
    // The rule's own work (lets, condition) only for the rows its `where` keeps.
    let mut ctx = match &rule.filter {
        None => all,
        Some(filter) => {
            let keep = all.eval(filter);
            let kept: Vec<u32> = (0..all.n as u32)
                .filter(|&i| keep.bools()[i as usize].is_true())
                .collect();
            if kept.len() == all.n {
                all
            } else if kept.is_empty() {
                return Vec::new();
            } else {
                all.expand(&kept)
            }
        }
    };
    ctx.lazy_lets = rule.lets.iter().map(|l| &l.expr).collect();
    let condition = ctx.eval(&rule.condition);
    let positions: Vec<usize> = (0..ctx.n)
        .filter(|&i| condition.bools()[i].is_true())
        .collect();
    render(
        ruleset,
        rule,
        &ctx,
        Hits::alone(positions, ctx.row.0),
        Flagged::Row,
    )
}

/// The partition of row `i` of `value` by its hash alone (both sides of a
/// pair rule must agree without seeing each other's rows); `bytes` is
/// scratch space, reused from row to row.
fn partition_of(value: &Col<'_>, i: usize, partitions: usize, bytes: &mut Vec<u8>) -> u16 {
    (key_hash(value, i, bytes) % partitions.max(1) as u64) as u16
}

/// The partition of every row of `table` by `key`.
fn partition_all(env: &Env<'_>, table: &str, key: &TExpr, options: &ExecOptions) -> Vec<u16> {
    partitions_and_null(env, table, key, options).0
}

/// [`partition_all`], and the partition of rows whose key is null.
///
/// A key's partition follows the position of its first row: rows stored
/// together by key (a patient's claims, usually) make each partition one
/// stretch of the table, so a partition's rules read memory in order
/// instead of a row here and there. Equal keys share a partition whatever
/// the order (the mapping is by value); keys are spread over partitions in
/// proportion to the rows before them.
fn partitions_and_null(
    env: &Env<'_>,
    table: &str,
    key: &TExpr,
    options: &ExecOptions,
) -> (Vec<u16>, u16) {
    // A column of a related row (`line.claim.patient_id`): partition the
    // related table, which has fewer rows, and follow the relation.
    if let TExprKind::Column {
        var: Var::Row,
        path,
        column,
    } = &key.kind
        && let Some(last) = path.last()
    {
        let own = TExpr::new(
            TExprKind::Column {
                var: Var::Row,
                path: Vec::new(),
                column: column.clone(),
            },
            key.ty.clone(),
            key.span,
        );
        // A row without a related row has a null key, like a related row
        // whose key is null: the two share a partition.
        let (related, null) = partitions_and_null(env, &last.table, &own, options);
        let rows = env.frame(table).rows();
        let ids = chunks(rows, options.batch_rows)
            .into_par_iter()
            .flat_map_iter(|range| {
                let ctx = Ctx::new(env, table, range.map(|r| Some(r as u32)).collect());
                let (_, reached) = ctx.navigate(Var::Row, path);
                reached
                    .into_iter()
                    .map(|r| r.map_or(null, |r| related[r as usize]))
                    .collect::<Vec<_>>()
            })
            .collect();
        return (ids, null);
    }
    let rows = env.frame(table).rows();
    let hashes: Vec<u64> = chunks(rows, options.batch_rows)
        .into_par_iter()
        .flat_map(|range| {
            let ctx = Ctx::new(env, table, range.clone().map(|r| Some(r as u32)).collect());
            let values = ctx.eval(key);
            let mut bytes = Vec::with_capacity(32);
            (0..range.len())
                .map(|i| key_hash(&values, i, &mut bytes))
                .collect::<Vec<_>>()
        })
        .collect();
    let (ids, first) = by_first_row(&hashes, options.partitions);
    let null_hash = key_hash(&Col::Row(vec![None]), 0, &mut Vec::new());
    let null = first.get(&null_hash).copied().unwrap_or(0);
    (ids, null)
}

type FirstPartition = HashMap<u64, u16, foldhash::fast::FixedState>;

/// The partition of each row by the position of the first row with its
/// key hash (of `partitions`, each for an equal share of the rows), and
/// the partition of each hash.
fn by_first_row(hashes: &[u64], partitions: usize) -> (Vec<u16>, FirstPartition) {
    let partitions = partitions.clamp(1, u16::MAX as usize);
    let rows = hashes.len().max(1);
    let mut first = FirstPartition::default();
    let mut previous: Option<(u64, u16)> = None;
    let ids = hashes
        .iter()
        .enumerate()
        .map(|(row, hash)| match previous {
            Some((h, id)) if h == *hash => id,
            _ => {
                let id = *first
                    .entry(*hash)
                    .or_insert((row * partitions / rows) as u16);
                previous = Some((*hash, id));
                id
            }
        })
        .collect();
    (ids, first)
}

/// A 64-bit hash of row `i` of `value` (`bytes` is scratch space): equal
/// values hash equal; a null of any type hashes as every other null.
fn key_hash(value: &Col<'_>, i: usize, bytes: &mut Vec<u8>) -> u64 {
    bytes.clear();
    super::order::encode(value, i, bytes);
    xxh3_64(bytes)
}

/// `rows` split by the partition of `key` (evaluated for the rule's row, or
/// for the partner when `partner_table` is given).
fn bucket(
    env: &Env<'_>,
    table: &str,
    partner_table: Option<&str>,
    rows: &[u32],
    key: &TExpr,
    partitions: usize,
) -> Vec<Vec<u32>> {
    let ids: Vec<Option<u32>> = rows.iter().map(|r| Some(*r)).collect();
    let ctx = match partner_table {
        None => Ctx::new(env, table, ids),
        Some(partner) => Ctx::for_partners(env, table, partner, ids),
    };
    let values = ctx.eval(key);
    let mut out = vec![Vec::new(); partitions.max(1)];
    let mut bytes = Vec::with_capacity(32);
    for (i, row) in rows.iter().enumerate() {
        out[partition_of(&values, i, partitions, &mut bytes) as usize].push(*row);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::by_first_row;

    #[test]
    fn a_key_takes_the_partition_of_its_first_row() {
        let (ids, first) = by_first_row(&[5, 5, 7, 7, 5, 9], 3);
        assert_eq!(ids, vec![0, 0, 1, 1, 0, 2]);
        assert_eq!(first.len(), 3);
        // More partitions than rows, and no rows at all.
        assert_eq!(by_first_row(&[1, 2], 64).0, vec![0, 32]);
        assert!(by_first_row(&[], 64).0.is_empty());
    }
}
