//! Sequence rules: rows of a key in order; `prev` is the row before, and
//! the evidence of a flagged row.

use super::super::env::Env;
use super::super::keyed::{KeyedContext, compute_lets, flag_where, sort_by_key};
use crate::flags::Flag;
use crate::ir::{Rule, Ruleset, TExpr};

/// Runs a sequence rule over `rows` (row numbers of the rule's table that
/// passed `where`, all of each key in this partition).
pub fn run<'a>(
    ruleset: &Ruleset,
    rule: &'a Rule,
    keys: &'a [TExpr],
    order: &'a [TExpr],
    env: &'a Env<'a>,
    rows: &[u32],
) -> Vec<Flag> {
    let keyed = context(rule, keys, order, env, rows);
    let ctx = &keyed.ctx;
    flag_where(ruleset, rule, ctx, |i| {
        (
            ctx.prev.as_ref().and_then(|p| p[i]).into_iter().collect(),
            0,
        )
    })
}

/// Sorts `rows` by key and `order` (ties by the table's key) and sets each
/// row's `prev`, the row before it in its key; no aggregates, no ranges.
pub fn context<'a>(
    rule: &'a Rule,
    keys: &'a [TExpr],
    order: &'a [TExpr],
    env: &'a Env<'a>,
    rows: &[u32],
) -> KeyedContext<'a> {
    let order: Vec<&TExpr> = order.iter().collect();
    let sorted = sort_by_key(rule, env, rows, keys, &order);
    let mut ctx = sorted.ctx;
    let sorted_rows = sorted.sorted_rows;
    let mut prev = vec![None; ctx.n];
    for g in &sorted.groups {
        if g.len() > 1 {
            prev[g.start + 1..g.end].copy_from_slice(&sorted_rows[g.start..g.end - 1]);
        }
    }
    ctx.prev = Some(prev);
    compute_lets(rule, &mut ctx);
    KeyedContext {
        ctx,
        ranges: Vec::new(),
        sorted_rows,
    }
}
