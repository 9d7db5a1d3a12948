//! The kernel group, window and sequence rules share: a partition's rows
//! sorted by key and order, with the runs of equal keys, and the flags of
//! the positions where the condition holds. What each form makes of the
//! sorted rows (aggregate ranges, `prev`) lives in its own file under
//! `forms/`.

use std::ops::Range;

use super::agg::{Runs, aggregate, runs_of};
use super::col::Col;
use super::env::Env;
use super::env::scalar_of;
use super::eval::{Ctx, arithmetic, like_type};
use super::order::{group_positions_with, row_hashes};
use super::output::{Flagged, Hits, MAX_OTHER_ROWS, render};
use crate::flags::FlagBatch;
use crate::ir::{ArithOp, Rule, Ruleset, TExpr, TExprKind};

/// A keyed rule evaluated over some rows: the rows sorted by key and
/// order, aggregates and lets computed, and each row's aggregate range
/// (none for sequences, which read `prev` instead).
pub struct KeyedContext<'a> {
    pub ctx: Ctx<'a>,
    pub ranges: Vec<Range<usize>>,
    pub sorted_rows: Vec<Option<u32>>,
}

/// `rows` sorted by key and order: a context over them, the rows in their
/// sorted order, and the positions of each run of equal keys.
pub struct Sorted<'a> {
    pub ctx: Ctx<'a>,
    pub sorted_rows: Vec<Option<u32>>,
    pub groups: Vec<Range<usize>>,
}

/// Sorts `rows` (of the rule's table) by `keys`, then by `order`, then by
/// the table's key.
pub fn sort_by_key<'a>(
    rule: &'a Rule,
    env: &'a Env<'a>,
    rows: &[u32],
    keys: &'a [TExpr],
    order: &[&'a TExpr],
) -> Sorted<'a> {
    let table = rule.table.as_str();
    let unsorted = Ctx::new(env, table, rows.iter().map(|r| Some(*r)).collect());
    // Group by a hash of the keys (no string comparisons), then order within
    // each group (groups in the order of their hashes); ties are broken by the
    // table's key, so that neither windows, nor `prev`, nor the rows a
    // flag's evidence names depend on the order the rows came in.
    let key_values: Vec<Col<'a>> = keys.iter().map(|k| unsorted.eval(k)).collect();
    let hashes = row_hashes(&key_values, rows.len());
    drop(key_values);
    let (permutation, groups) = group_positions_with(&hashes, |positions| {
        let some = Ctx::new(
            env,
            table,
            positions.iter().map(|p| Some(rows[*p as usize])).collect(),
        );
        let mut columns: Vec<Col<'a>> = order.iter().map(|o| some.eval(o)).collect();
        columns.extend(env.consts.key_exprs[table].iter().map(|k| some.eval(k)));
        columns
    });
    let sorted_rows: Vec<Option<u32>> = permutation
        .iter()
        .map(|p| Some(rows[*p as usize]))
        .collect();
    let ctx = Ctx::new(env, table, sorted_rows.clone());
    Sorted {
        ctx,
        sorted_rows,
        groups,
    }
}

/// The context of a group or window rule: its aggregates over each
/// position's range, then its lets.
pub fn with_ranges<'a>(
    rule: &'a Rule,
    mut ctx: Ctx<'a>,
    ranges: Vec<Range<usize>>,
    sorted_rows: Vec<Option<u32>>,
) -> KeyedContext<'a> {
    aggregate_over(rule, &mut ctx, &ranges);
    compute_lets(rule, &mut ctx);
    KeyedContext {
        ctx,
        ranges,
        sorted_rows,
    }
}

/// The rule's aggregates, each over every position's range.
fn aggregate_over<'a>(rule: &'a Rule, ctx: &mut Ctx<'a>, ranges: &[Range<usize>]) {
    ctx.aggregates = rule
        .aggregates
        .iter()
        .map(|a| match &a.per {
            None => {
                let arg = a.arg.as_ref().map(|e| ctx.eval(e));
                aggregate(a.func, arg.as_ref(), ranges)
            }
            Some(per) => {
                let runs = runs_of(&ctx.eval(&per.key), ranges);
                let values = run_values(rule, ctx, &runs, &per.value);
                runs.outer(a.func, &values)
            }
        })
        .collect();
}

/// The value of `outer(value per key)` for each run: its aggregates over
/// the run, lagged ones from the runs before, and arithmetic on them.
fn run_values<'a>(rule: &'a Rule, ctx: &Ctx<'a>, runs: &Runs, value: &'a TExpr) -> Col<'a> {
    match &value.kind {
        TExprKind::Aggregate(i) => {
            let inner = &rule.aggregates[*i];
            let arg = inner.arg.as_ref().map(|e| ctx.eval(e));
            runs.aggregate(inner.func, arg.as_ref())
        }
        TExprKind::Lag { value, rows } => {
            runs.lagged(&run_values(rule, ctx, runs, value), *rows as usize)
        }
        TExprKind::Arith { op, left, right } => arithmetic(
            &run_values(rule, ctx, runs, left),
            &run_values(rule, ctx, runs, right),
            *op,
        ),
        // 0 - x: a whole number, decimal or float, as x is.
        TExprKind::Neg(inner) => {
            let values = run_values(rule, ctx, runs, inner);
            let zeros = Col::Int(vec![Some(0); values.len()]);
            arithmetic(&zeros, &values, ArithOp::Sub)
        }
        TExprKind::Const(constant) => {
            Col::repeat(scalar_of(constant), &like_type(value), runs.len())
        }
        _ => unreachable!("the checker allows only these in a run's value"),
    }
}

/// The rule's lets, in order (each may read the ones before).
pub fn compute_lets<'a>(rule: &'a Rule, ctx: &mut Ctx<'a>) {
    for l in &rule.lets {
        let value = ctx.eval(&l.expr);
        ctx.lets.push(value);
    }
}

/// Flags the positions of `ctx` where the rule's condition holds, each
/// with `others` of it (rows of the rule's table) as evidence.
pub fn flag_where<'a>(
    ruleset: &Ruleset,
    rule: &'a Rule,
    ctx: &Ctx<'a>,
    others: impl Fn(usize) -> (Vec<u32>, usize),
) -> Vec<FlagBatch> {
    flag_where_kept(ruleset, rule, ctx, others, |_| true)
}

/// [`flag_where`], flagging only the positions (in order) that `keep`
/// accepts of those where the condition holds.
pub fn flag_where_kept<'a>(
    ruleset: &Ruleset,
    rule: &'a Rule,
    ctx: &Ctx<'a>,
    others: impl Fn(usize) -> (Vec<u32>, usize),
    mut keep: impl FnMut(usize) -> bool,
) -> Vec<FlagBatch> {
    let condition = ctx.eval(&rule.condition);
    let positions: Vec<usize> = (0..ctx.n)
        .filter(|i| condition.bools()[*i].is_true() && keep(*i))
        .collect();
    let (others, more): (Vec<Vec<u32>>, Vec<usize>) = positions.iter().map(|&i| others(i)).unzip();
    let n = positions.len();
    let hits = Hits {
        positions,
        others_table: rule.table.as_str(),
        others,
        more,
        peers: vec![None; n],
        known: None,
    };
    render(ruleset, rule, ctx, hits, Flagged::Row)
}

/// The evidence of position `i` of a group or window: the other rows of
/// its range, at most [`MAX_OTHER_ROWS`], and how many more there are.
pub fn others_in_range(keyed: &KeyedContext<'_>, i: usize) -> (Vec<u32>, usize) {
    let range = keyed.ranges[i].clone();
    let all = range.len() - usize::from(range.contains(&i));
    let listed: Vec<u32> = range
        .filter(|j| *j != i)
        .filter_map(|j| keyed.sorted_rows[j])
        .take(MAX_OTHER_ROWS)
        .collect();
    let more = all.saturating_sub(listed.len());
    (listed, more)
}
