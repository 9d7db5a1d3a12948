//! Window rules: for each row, aggregates over rows of the same key in a
//! range around it (the last N days, or every row up to it), and the
//! other rows of its range as evidence.

use std::ops::Range;

use super::super::col::{Col, Scalar};
use super::super::env::Env;
use super::super::keyed::{KeyedContext, flag_where, others_in_range, sort_by_key, with_ranges};
use crate::flags::Flag;
use crate::ir::{Rule, Ruleset, TExpr, WindowRange};

/// Runs a window rule over `rows` (row numbers of the rule's table that
/// passed `where`, all of each key in this partition).
pub fn run<'a>(
    ruleset: &Ruleset,
    rule: &'a Rule,
    keys: &'a [TExpr],
    range: &'a WindowRange,
    env: &'a Env<'a>,
    rows: &[u32],
) -> Vec<Flag> {
    let keyed = context(rule, keys, range, env, rows);
    flag_where(ruleset, rule, &keyed.ctx, |i| others_in_range(&keyed, i))
}

/// Sorts `rows` by key and the range's order (ties by the table's key) and
/// computes each row's range, the aggregates over it and the lets.
pub fn context<'a>(
    rule: &'a Rule,
    keys: &'a [TExpr],
    range: &'a WindowRange,
    env: &'a Env<'a>,
    rows: &[u32],
) -> KeyedContext<'a> {
    let order: Vec<&TExpr> = match range {
        WindowRange::Last { over, .. } => vec![over],
        WindowRange::Running { order } => order.iter().collect(),
    };
    let sorted = sort_by_key(rule, env, rows, keys, &order);
    let ctx = sorted.ctx;
    let ranges = match range {
        WindowRange::Last { over, days } => {
            let dates = ctx.eval(over);
            let lengths = ctx.eval(days);
            last_days_ranges(&sorted.groups, &dates, &lengths, ctx.n)
        }
        WindowRange::Running { .. } => running_ranges(&sorted.groups, ctx.n),
    };
    with_ranges(rule, ctx, ranges, sorted.sorted_rows)
}

/// For each position, the positions of its group up to and including it.
fn running_ranges(groups: &[Range<usize>], n: usize) -> Vec<Range<usize>> {
    let mut out = vec![0..0; n];
    for g in groups {
        for i in g.clone() {
            out[i] = g.start..i + 1;
        }
    }
    out
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
