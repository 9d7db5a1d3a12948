//! Sequence rules: rows of a key in order; `prev` is the row before, and
//! the evidence of a flagged row.

use super::super::env::Env;
use super::super::keyed::{KeyedContext, compute_lets, flag_where, sort_by_key};
use crate::flags::FlagBatch;
use std::ops::Range;

use crate::ir::{Rule, Ruleset, TExpr, TExprKind};

/// Runs a sequence rule over `rows` (row numbers of the rule's table that
/// passed `where`, all of each key in this partition).
pub fn run<'a>(
    ruleset: &Ruleset,
    rule: &'a Rule,
    keys: &'a [TExpr],
    order: &'a [TExpr],
    env: &'a Env<'a>,
    rows: &[u32],
) -> Vec<FlagBatch> {
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
    ctx.prev = Some(rows_back(&sorted.groups, &sorted_rows, 1));
    // `lag(value, n)` reads the row n back; `rank()` counts from the key's first row.
    let mut lags: Vec<u32> = Vec::new();
    let mut ranked = false;
    for e in rule.exprs() {
        e.walk(&mut |x| match &x.kind {
            TExprKind::Lag { rows, .. } if !lags.contains(rows) => lags.push(*rows),
            TExprKind::Rank => ranked = true,
            _ => {}
        });
    }
    ctx.lags = lags
        .into_iter()
        .map(|n| (n, rows_back(&sorted.groups, &sorted_rows, n as usize)))
        .collect();
    if ranked {
        let mut ranks = vec![None; ctx.n];
        for g in &sorted.groups {
            for (place, slot) in ranks[g.clone()].iter_mut().enumerate() {
                *slot = Some(place as i64 + 1);
            }
        }
        ctx.ranks = Some(ranks);
    }
    compute_lets(rule, &mut ctx);
    KeyedContext {
        ctx,
        ranges: Vec::new(),
        sorted_rows,
    }
}

/// For each position, the row `n` positions before it in its key's run
/// (`None` for the first `n` of a run).
fn rows_back(groups: &[Range<usize>], sorted_rows: &[Option<u32>], n: usize) -> Vec<Option<u32>> {
    let mut back = vec![None; sorted_rows.len()];
    for g in groups {
        if g.len() > n {
            back[g.start + n..g.end].copy_from_slice(&sorted_rows[g.start..g.end - n]);
        }
    }
    back
}
