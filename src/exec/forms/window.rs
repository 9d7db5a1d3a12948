//! Window rules: for each row, aggregates over rows of the same key in a
//! range around it (the last N days, or every row up to it), and the
//! other rows of its range as evidence.

use std::ops::Range;

use super::super::col::{Col, Scalar};
use super::super::env::Env;
use super::super::keyed::{KeyedContext, flag_where, others_in_range, sort_by_key, with_ranges};
use crate::flags::FlagBatch;
use crate::ir::text::{date_to_days, days_to_date};
use crate::ir::{Rule, Ruleset, TExpr, WindowRange};

/// Runs a window rule over `rows` (row numbers of the rule's table that
/// passed `where`, all of each key in this partition). With `wanted` (a
/// real-time check: for each row of the table, whether it names the
/// checked claim), only those rows' windows are aggregated: no other row
/// can give a flag the check reports, and a chronic patient's every row
/// would otherwise sum its whole window.
pub fn run<'a>(
    ruleset: &Ruleset,
    rule: &'a Rule,
    keys: &'a [TExpr],
    range: &'a WindowRange,
    env: &'a Env<'a>,
    rows: &[u32],
    wanted: Option<&[bool]>,
) -> Vec<FlagBatch> {
    let keyed = context(rule, keys, range, env, rows, wanted);
    flag_where(ruleset, rule, &keyed.ctx, |i| others_in_range(&keyed, i))
}

/// Sorts `rows` by key and the range's order (ties by the table's key) and
/// computes each row's range, the aggregates over it and the lets (the
/// range of a row `wanted` does not hold is left empty).
pub fn context<'a>(
    rule: &'a Rule,
    keys: &'a [TExpr],
    range: &'a WindowRange,
    env: &'a Env<'a>,
    rows: &[u32],
    wanted: Option<&[bool]>,
) -> KeyedContext<'a> {
    let order: Vec<&TExpr> = match range {
        WindowRange::Last { over, .. } | WindowRange::LastMonths { over, .. } => vec![over],
        WindowRange::Running { order } | WindowRange::LastRows { order, .. } => {
            order.iter().collect()
        }
    };
    let sorted = sort_by_key(rule, env, rows, keys, &order);
    let ctx = sorted.ctx;
    let mut ranges = match range {
        WindowRange::Last { over, days } => {
            let dates = ctx.eval(over);
            let lengths = ctx.eval(days);
            dated_ranges(&sorted.groups, &dates, ctx.n, |i, d| match lengths.get(i) {
                Scalar::Int(days) => Some(d as i64 - (days - 1)),
                _ => None,
            })
        }
        WindowRange::LastMonths { over, months } => {
            let dates = ctx.eval(over);
            let lengths = ctx.eval(months);
            dated_ranges(&sorted.groups, &dates, ctx.n, |i, d| match lengths.get(i) {
                Scalar::Int(months) => first_day_of_months(d, months),
                _ => None,
            })
        }
        WindowRange::Running { .. } => running_ranges(&sorted.groups, ctx.n),
        WindowRange::LastRows { rows, .. } => {
            let lengths = ctx.eval(rows);
            last_rows_ranges(&sorted.groups, &lengths, ctx.n)
        }
    };
    if let Some(wanted) = wanted {
        for (range, row) in ranges.iter_mut().zip(&sorted.sorted_rows) {
            if row.is_some_and(|r| !wanted[r as usize]) {
                *range = 0..0;
            }
        }
    }
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

/// For each position, itself and the `rows − 1` positions of its group
/// before it (none for a null or non-positive count).
fn last_rows_ranges(groups: &[Range<usize>], lengths: &Col<'_>, n: usize) -> Vec<Range<usize>> {
    let mut out = vec![0..0; n];
    for g in groups {
        for i in g.clone() {
            if let Scalar::Int(rows) = lengths.get(i)
                && rows >= 1
            {
                let back = usize::try_from(rows - 1).unwrap_or(usize::MAX);
                out[i] = g.start.max(i.saturating_sub(back))..i + 1;
            }
        }
    }
    out
}

/// The first day of the calendar month `months − 1` months before the
/// month of day `d` (`None` when out of the calendar's range; a count below
/// 1 gives a day after `d`, so an empty window).
fn first_day_of_months(d: i32, months: i64) -> Option<i64> {
    use chrono::Datelike;
    if months < 1 {
        return Some(d as i64 + 1);
    }
    let date = days_to_date(d)?.with_day(1)?;
    let back = chrono::Months::new(u32::try_from(months - 1).ok()?);
    Some(date_to_days(date.checked_sub_months(back)?) as i64)
}

/// For each position, the positions of its group whose date lies from the
/// day `first_day` gives (for the position and its date) to its date.
/// Positions are sorted by date within each group, nulls last; a row
/// without a date has an empty window.
fn dated_ranges(
    groups: &[Range<usize>],
    dates: &Col<'_>,
    n: usize,
    first_day: impl Fn(usize, i32) -> Option<i64>,
) -> Vec<Range<usize>> {
    let mut out = vec![0..0; n];
    let mut days: Vec<Option<i64>> = Vec::new();
    for g in groups {
        // Dates ascend within the group, then nulls: both ends of a window
        // are binary searches (a long history costs log n per row, not n).
        days.clear();
        days.extend(g.clone().map(|j| match dates.get(j) {
            Scalar::Date(x) => Some(x as i64),
            _ => None,
        }));
        for i in g.clone() {
            let Some(d) = days[i - g.start] else {
                continue;
            };
            let Some(first_day) = first_day(i, d as i32) else {
                continue;
            };
            let start = days.partition_point(|x| x.is_some_and(|x| x < first_day));
            let end = days.partition_point(|x| x.is_some_and(|x| x <= d));
            out[i] = g.start + start..g.start + end.max(start);
        }
    }
    out
}
