//! Group rules: rows with equal keys; aggregates over the whole group,
//! every qualifying row flagged with the other rows of its group.

use std::ops::Range;

use super::super::env::Env;
use super::super::keyed::{
    KeyedContext, flag_where, flag_where_kept, others_in_range, sort_by_key, with_ranges,
};
use crate::flags::FlagBatch;
use crate::ir::{Rule, Ruleset, TExpr};

/// Runs a group rule over `rows` (row numbers of the rule's table that
/// passed `where`, all of each key in this partition).
pub fn run<'a>(
    ruleset: &Ruleset,
    rule: &'a Rule,
    keys: &'a [TExpr],
    env: &'a Env<'a>,
    rows: &[u32],
) -> Vec<FlagBatch> {
    let keyed = context(rule, keys, env, rows);
    let others = |i| others_in_range(&keyed, i);
    if !rule.flag_once {
        return flag_where(ruleset, rule, &keyed.ctx, others);
    }
    // `flag once`: rows are in key order within their group, so the first
    // row of a group where the condition holds is the group's flag.
    let mut flagged_group = None;
    flag_where_kept(ruleset, rule, &keyed.ctx, others, |i| {
        let group = keyed.ranges[i].start;
        let first = flagged_group != Some(group);
        flagged_group = Some(group);
        first
    })
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
