//! Group, window and sequence rules over the rows of one partition.

use std::ops::Range;

use super::agg::aggregate;
use super::col::{Col, Scalar};
use super::env::Env;
use super::eval::Ctx;
use super::order::{group_positions, hash_runs, row_hashes};
use super::output::{Flagged, Hits, render};
use crate::flags::Flag;
use crate::ir::{Form, Rule, Ruleset, WindowRange};

/// Evidence lists at most this many other rows of a group or window.
pub const MAX_OTHER_ROWS: usize = 20;

/// Runs a group, window or sequence rule over `rows` (row numbers of the
/// rule's table that passed `where`, all of each key in this partition).
/// A keyed rule evaluated over some rows: the rows sorted by key and
/// order, aggregates and lets computed, and each row's aggregate range.
pub struct KeyedContext<'a> {
    pub ctx: Ctx<'a>,
    pub ranges: Vec<Range<usize>>,
    pub sorted_rows: Vec<Option<u32>>,
}

pub fn run_keyed<'a>(
    ruleset: &Ruleset,
    rule: &'a Rule,
    env: &'a Env<'a>,
    rows: &[u32],
) -> Vec<Flag> {
    let KeyedContext {
        ctx,
        ranges,
        sorted_rows,
    } = keyed_context(rule, env, rows);
    let table = rule.table.as_str();
    let condition = ctx.eval(&rule.condition);
    let positions: Vec<usize> = (0..ctx.n)
        .filter(|i| condition.bools()[*i].is_true())
        .collect();
    let others: Vec<Vec<u32>> = positions
        .iter()
        .map(|&i| match &rule.form {
            Form::Sequence { .. } => ctx.prev.as_ref().and_then(|p| p[i]).into_iter().collect(),
            _ => ranges[i]
                .clone()
                .filter(|j| *j != i)
                .filter_map(|j| sorted_rows[j])
                .take(MAX_OTHER_ROWS)
                .collect(),
        })
        .collect();
    let n = positions.len();
    let hits = Hits {
        positions,
        others_table: table,
        others,
        peers: vec![None; n],
    };
    render(ruleset, rule, &ctx, hits, Flagged::Row)
}

/// Sorts `rows` by the rule's keys and order, and computes each row's
/// aggregate range, the aggregates and the lets.
pub fn keyed_context<'a>(rule: &'a Rule, env: &'a Env<'a>, rows: &[u32]) -> KeyedContext<'a> {
    let table = rule.table.as_str();
    let unsorted = Ctx::new(env, table, rows.iter().map(|r| Some(*r)).collect());
    let (keys, order) = match &rule.form {
        Form::Group { keys } => (keys, Vec::new()),
        Form::Window {
            keys,
            range: WindowRange::Last { over, .. },
        } => (keys, vec![over]),
        Form::Window {
            keys,
            range: WindowRange::Running { order },
        }
        | Form::Sequence { keys, order } => (keys, order.iter().collect()),
        _ => unreachable!("run_keyed runs group, window and sequence rules"),
    };
    // Group by a hash of the keys (no string comparisons), then order within
    // each group (groups follow their first row); ties are broken by the table's key (for windows and
    // sequences, where the order matters), else kept in row order.
    let key_values: Vec<Col<'a>> = keys.iter().map(|k| unsorted.eval(k)).collect();
    let hashes = row_hashes(&key_values, rows.len());
    let mut order_columns: Vec<Col<'a>> = order.iter().map(|o| unsorted.eval(o)).collect();
    if !matches!(rule.form, Form::Group { .. }) {
        order_columns.extend(env.key_exprs[table].iter().map(|k| unsorted.eval(k)));
    }
    let permutation = group_positions(&hashes, &order_columns);
    let sorted_rows: Vec<Option<u32>> = permutation
        .iter()
        .map(|p| Some(rows[*p as usize]))
        .collect();
    let sorted_hashes: Vec<u128> = permutation.iter().map(|p| hashes[*p as usize]).collect();
    let mut ctx = Ctx::new(env, table, sorted_rows.clone());
    let groups = hash_runs(&sorted_hashes);

    // For each position, the rows its aggregates range over.
    let ranges: Vec<Range<usize>> = match &rule.form {
        Form::Group { .. } => {
            let mut out = vec![0..0; ctx.n];
            for g in &groups {
                for slot in &mut out[g.clone()] {
                    *slot = g.clone();
                }
            }
            out
        }
        Form::Window {
            range: WindowRange::Last { over, days },
            ..
        } => {
            let dates = ctx.eval(over);
            let lengths = ctx.eval(days);
            last_days_ranges(&groups, &dates, &lengths, ctx.n)
        }
        Form::Window {
            range: WindowRange::Running { .. },
            ..
        } => {
            let mut out = vec![0..0; ctx.n];
            for g in &groups {
                for i in g.clone() {
                    out[i] = g.start..i + 1;
                }
            }
            out
        }
        Form::Sequence { .. } => {
            let mut prev = vec![None; ctx.n];
            for g in &groups {
                if g.len() > 1 {
                    prev[g.start + 1..g.end].copy_from_slice(&sorted_rows[g.start..g.end - 1]);
                }
            }
            ctx.prev = Some(prev);
            Vec::new()
        }
        _ => unreachable!(),
    };
    if !matches!(rule.form, Form::Sequence { .. }) {
        ctx.aggregates = rule
            .aggregates
            .iter()
            .map(|a| {
                let arg = a.arg.as_ref().map(|e| ctx.eval(e));
                aggregate(a.func, arg.as_ref(), &ranges)
            })
            .collect();
    }
    for l in &rule.lets {
        let value = ctx.eval(&l.expr);
        ctx.lets.push(value);
    }
    KeyedContext {
        ctx,
        ranges,
        sorted_rows,
    }
}

/// For each position, the positions of its group whose date lies in the
/// `days` days ending on its date. Positions are sorted by date within
/// each group, nulls last; a row without a date has an empty window.
fn last_days_ranges(
    groups: &[Range<usize>],
    dates: &Col<'_>,
    lengths: &Col<'_>,
    n: usize,
) -> Vec<Range<usize>> {
    let mut out = vec![0..0; n];
    for g in groups {
        for i in g.clone() {
            let (Scalar::Date(d), Scalar::Int(days)) = (dates.get(i), lengths.get(i)) else {
                continue;
            };
            let first_day = d as i64 - (days - 1);
            let date_at = |j: usize| match dates.get(j) {
                Scalar::Date(x) => Some(x as i64),
                _ => None,
            };
            // Dates ascend within the group, then nulls.
            let start = (g.start..g.end)
                .find(|&j| date_at(j).is_some_and(|x| x >= first_day))
                .unwrap_or(g.end);
            let end = (start..g.end)
                .find(|&j| date_at(j).is_none_or(|x| x > d as i64))
                .unwrap_or(g.end);
            out[i] = start..end.max(start);
        }
    }
    out
}
