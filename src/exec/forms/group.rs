//! Group rules: rows with equal keys; aggregates over the whole group,
//! every qualifying row flagged with the other rows of its group.

use std::ops::Range;

use super::super::env::Env;
use super::super::keyed::{KeyedContext, flag_where, others_in_range, sort_by_key, with_ranges};
use crate::flags::Flag;
use crate::ir::{Rule, Ruleset, TExpr};

/// Runs a group rule over `rows` (row numbers of the rule's table that
/// passed `where`, all of each key in this partition).
pub fn run<'a>(
    ruleset: &Ruleset,
    rule: &'a Rule,
    keys: &'a [TExpr],
    env: &'a Env<'a>,
    rows: &[u32],
) -> Vec<Flag> {
    let keyed = context(rule, keys, env, rows);
    flag_where(ruleset, rule, &keyed.ctx, |i| others_in_range(&keyed, i))
}

/// Sorts `rows` by key, and within a group by the table's key, each row's
/// range being its whole group. The aggregates do not depend on the order
/// within a group, but the evidence does (the other rows, the first
/// `MAX_OTHER_ROWS` of them): ordering by the table's key keeps it the same
/// whatever order the rows came in (a scan's file order, a real-time
/// check's history then claim).
pub fn context<'a>(
    rule: &'a Rule,
    keys: &'a [TExpr],
    env: &'a Env<'a>,
    rows: &[u32],
) -> KeyedContext<'a> {
    let sorted = sort_by_key(rule, env, rows, keys, &[]);
    let ctx = sorted.ctx;
    let mut ranges: Vec<Range<usize>> = vec![0..0; ctx.n];
    for g in &sorted.groups {
        for slot in &mut ranges[g.clone()] {
            *slot = g.clone();
        }
    }
    with_ranges(rule, ctx, ranges, sorted.sorted_rows)
}
