//! Population rules: statistics per entity, compared with the entity's
//! peers. Run once over all the rows that passed `where` (a peer group
//! spans the whole table, so there is no partitioning).

use std::collections::BTreeMap;
use std::ops::Range;

use rust_decimal::Decimal;

use super::super::agg::aggregate;
use super::super::col::{Col, Scalar};
use super::super::env::Env;
use super::super::eval::Ctx;
use super::super::float_sum::FloatSum;
use super::super::output::{Flagged, Hits, render};
use super::population_partial::PopulationPartial;
use crate::flags::FlagBatch;
use crate::ir::{AggFunc, Form, Rule, Ruleset, TExpr, TExprKind};

/// A population rule's form: the entity each row belongs to (a related
/// row of `entity_table`), which entities are eligible, what groups them
/// into peers, and the fewest peers a usable group has.
pub struct Population<'a> {
    pub entity: &'a TExpr,
    pub entity_table: &'a str,
    pub eligible: Option<&'a TExpr>,
    pub peers_by: &'a [TExpr],
    pub min_peers: Option<&'a TExpr>,
}

impl<'a> Population<'a> {
    /// The population part of a rule's form; `None` for other forms.
    pub fn of(form: &'a Form) -> Option<Population<'a>> {
        match form {
            Form::Population {
                var: _,
                entity,
                entity_table,
                eligible,
                peers_by,
                min_peers,
            } => Some(Population {
                entity,
                entity_table,
                eligible: eligible.as_ref(),
                peers_by,
                min_peers: min_peers.as_ref(),
            }),
            Form::Row
            | Form::Group { .. }
            | Form::Window { .. }
            | Form::Sequence { .. }
            | Form::Pair { .. } => None,
        }
    }
}

/// A population rule evaluated: one context row per entity, and the
/// usable peer group of each entity (if any) with the groups' sizes.
pub struct PopulationContext<'a> {
    pub ctx: Ctx<'a>,
    pub group_of: Vec<Option<usize>>,
    pub group_sizes: Vec<usize>,
}

/// Runs a population rule over `rows` of the rule's table that passed `where`.
pub fn run<'a>(
    ruleset: &Ruleset,
    rule: &'a Rule,
    population: &Population<'a>,
    env: &'a Env<'a>,
    rows: &[u32],
) -> Vec<FlagBatch> {
    flags_of(
        ruleset,
        rule,
        population,
        context(rule, population, env, rows),
    )
}

/// Runs a population rule over the partial aggregates of every partition,
/// merged.
pub fn run_merged<'a>(
    ruleset: &Ruleset,
    rule: &'a Rule,
    population: &Population<'a>,
    env: &'a Env<'a>,
    merged: &'a PopulationPartial,
) -> Vec<FlagBatch> {
    let (entity_rows, aggregates) = merged.finish(rule);
    let context = entity_context(rule, population, env, entity_rows, aggregates);
    flags_of(ruleset, rule, population, context)
}

/// The entities whose condition holds in a usable peer group, flagged.
fn flags_of<'a>(
    ruleset: &Ruleset,
    rule: &'a Rule,
    population: &Population<'a>,
    context: PopulationContext<'a>,
) -> Vec<FlagBatch> {
    let PopulationContext {
        ctx,
        group_of,
        group_sizes,
    } = context;
    let condition = ctx.eval(&rule.condition);
    let positions: Vec<usize> = (0..ctx.n)
        .filter(|&i| group_of[i].is_some() && condition.bools()[i].is_true())
        .collect();
    let peers = positions
        .iter()
        .map(|&i| group_of[i].map(|g| group_sizes[g]))
        .collect();
    let count = positions.len();
    let hits = Hits {
        positions,
        others_table: population.entity_table,
        others: vec![Vec::new(); count],
        more: vec![0; count],
        peers,
        known: None,
    };
    render(ruleset, rule, &ctx, hits, Flagged::Entity)
}

/// Groups `rows` by entity and computes the statistics, eligibility, peer
/// groups and quantiles.
pub fn context<'a>(
    rule: &'a Rule,
    population: &Population<'a>,
    env: &'a Env<'a>,
    rows: &[u32],
) -> PopulationContext<'a> {
    let (entity_rows, aggregates) = entity_aggregates(rule, population, env, rows, false);
    let aggregates = aggregates
        .into_iter()
        .map(|a| match a {
            Aggregated::Value(col) => col,
            Aggregated::Distinct(_) | Aggregated::FloatSums(_) => {
                unreachable!("mergeable states are kept only when asked")
            }
        })
        .collect();
    entity_context(rule, population, env, entity_rows, aggregates)
}

/// One aggregate over each entity's rows: its value, or in a partition what
/// merges exactly: for `count(distinct x)` the distinct values (key texts),
/// for a sum of floats the exact sum before rounding.
pub enum Aggregated<'a> {
    Value(Col<'a>),
    Distinct(Vec<Vec<String>>),
    FloatSums(Vec<FloatSum>),
}

/// The entities `rows` belong to (rows of the entity table, ascending),
/// and each of the rule's aggregates over each entity's rows.
pub fn entity_aggregates<'a>(
    rule: &'a Rule,
    population: &Population<'a>,
    env: &'a Env<'a>,
    rows: &[u32],
    mergeable: bool,
) -> (Vec<Option<u32>>, Vec<Aggregated<'a>>) {
    let table = rule.table.as_str();
    let all = Ctx::new(env, table, rows.iter().map(|r| Some(*r)).collect());
    let Col::Row(entities) = all.eval(population.entity) else {
        unreachable!("`per` names a related row")
    };
    // Rows with an entity, ordered by entity (then by row, as loaded).
    let mut members: Vec<(u32, u32)> = rows
        .iter()
        .zip(&entities)
        .filter_map(|(row, e)| e.map(|e| (e, *row)))
        .collect();
    // What led to the entities (and the rows it reached) is not needed again.
    drop((all, entities));
    members.sort_unstable();
    let mut ranges: Vec<Range<usize>> = Vec::new();
    let mut entity_rows: Vec<Option<u32>> = Vec::new();
    for (i, (e, _)) in members.iter().enumerate() {
        if i == 0 || members[i - 1].0 != *e {
            ranges.push(i..i + 1);
            entity_rows.push(Some(*e));
        } else if let Some(last) = ranges.last_mut() {
            last.end = i + 1;
        }
    }
    let mut member_ctx = Ctx::new(env, table, members.iter().map(|(_, r)| Some(*r)).collect());
    // Inside aggregates each row may also read its entity (`sum(provider.level)`).
    member_ctx.entity = Some((
        population.entity_table,
        members.iter().map(|(e, _)| Some(*e)).collect(),
    ));
    let aggregates = rule
        .aggregates
        .iter()
        .map(|a| {
            let arg = a.arg.as_ref().map(|e| member_ctx.eval(e));
            match (a.func, &arg) {
                (AggFunc::CountDistinct, Some(arg)) if mergeable => {
                    Aggregated::Distinct(distinct_values(arg, &ranges))
                }
                (AggFunc::Sum, Some(Col::Float(values))) if mergeable => {
                    Aggregated::FloatSums(float_sums(values, &ranges))
                }
                _ => Aggregated::Value(aggregate(a.func, arg.as_ref(), &ranges)),
            }
        })
        .collect();
    (entity_rows, aggregates)
}

/// Each range's exact sum of floats, before rounding.
fn float_sums(values: &[Option<f64>], ranges: &[Range<usize>]) -> Vec<FloatSum> {
    ranges
        .iter()
        .map(|r| {
            let mut sum = FloatSum::new();
            values[r.clone()].iter().flatten().for_each(|v| sum.add(*v));
            sum
        })
        .collect()
}

/// Each range's distinct non-null values, as their key texts.
fn distinct_values(values: &Col<'_>, ranges: &[Range<usize>]) -> Vec<Vec<String>> {
    ranges
        .iter()
        .map(|r| {
            let mut seen: Vec<String> = r
                .clone()
                .map(|i| values.get(i))
                .filter(|v| !v.is_null())
                .map(|v| v.key_text())
                .collect();
            seen.sort_unstable();
            seen.dedup();
            seen
        })
        .collect()
}

/// The rest of a population rule, from each entity's aggregates: lets,
/// eligibility, peer groups and quantiles, one context row per entity.
pub fn entity_context<'a>(
    rule: &'a Rule,
    population: &Population<'a>,
    env: &'a Env<'a>,
    entity_rows: Vec<Option<u32>>,
    aggregates: Vec<Col<'a>>,
) -> PopulationContext<'a> {
    let &Population {
        entity: _,
        entity_table,
        eligible,
        peers_by,
        min_peers,
    } = population;
    let table = rule.table.as_str();
    let mut ctx = Ctx::new(env, table, vec![None; entity_rows.len()]);
    ctx.entity = Some((entity_table, entity_rows));
    ctx.aggregates = aggregates;
    for l in &rule.lets {
        let value = ctx.eval(&l.expr);
        ctx.lets.push(value);
    }
    let n = ctx.n;
    let is_eligible: Vec<bool> = match eligible {
        Some(e) => ctx.eval(e).bools().iter().map(|t| t.is_true()).collect(),
        None => vec![true; n],
    };
    let peer_values: Vec<Col<'a>> = peers_by.iter().map(|p| ctx.eval(p)).collect();
    // Constants (parameters) are read once, on a context of one row.
    let constant = Ctx::new(env, table, vec![None]);
    let minimum = min_peers.and_then(|m| match constant.eval(m).get(0) {
        Scalar::Int(i) => Some(i.max(0) as usize),
        _ => None,
    });
    // Peer groups: eligible entities with the same peer values, none null.
    let mut groups: BTreeMap<Vec<String>, Vec<usize>> = BTreeMap::new();
    for (i, eligible) in is_eligible.iter().enumerate() {
        if *eligible && peer_values.iter().all(|v| !v.is_null(i)) {
            let key = peer_values.iter().map(|v| v.get(i).key_text()).collect();
            groups.entry(key).or_default().push(i);
        }
    }
    let mut group_of: Vec<Option<usize>> = vec![None; n];
    let usable: Vec<Vec<usize>> = groups
        .into_values()
        .filter(|members| minimum.is_none_or(|m| members.len() >= m))
        .collect();
    for (g, members) in usable.iter().enumerate() {
        for &i in members {
            group_of[i] = Some(g);
        }
    }
    ctx.quantiles = quantiles(rule, &ctx, &constant, &usable, &group_of);
    let group_sizes = usable.iter().map(Vec::len).collect();
    PopulationContext {
        ctx,
        group_of,
        group_sizes,
    }
}

/// Every `quantile(stat, p)` the rule uses, for each entity over its group.
fn quantiles<'a>(
    rule: &'a Rule,
    ctx: &Ctx<'a>,
    constant: &Ctx<'a>,
    groups: &[Vec<usize>],
    group_of: &[Option<usize>],
) -> Vec<(usize, Decimal, Col<'a>)> {
    let mut wanted: Vec<(usize, &'a TExpr)> = Vec::new();
    let mut exprs: Vec<&'a TExpr> = vec![&rule.condition];
    exprs.extend(rule.message.iter().filter_map(|m| match m {
        crate::ir::MessagePart::Value { expr, .. } => Some(expr),
        crate::ir::MessagePart::Text(_) => None,
    }));
    exprs.extend(rule.evidence.iter().map(|(_, e)| e));
    for e in exprs {
        e.walk(&mut |x| {
            if let TExprKind::Quantile { stat, p } = &x.kind {
                wanted.push((*stat, p));
            }
        });
    }
    let mut out: Vec<(usize, Decimal, Col<'a>)> = Vec::new();
    for (stat, p_expr) in wanted {
        let p = match constant.eval(p_expr).get(0) {
            Scalar::Dec(d) => d,
            Scalar::Int(i) => Decimal::from(i),
            _ => continue,
        };
        if out.iter().any(|(s, q, _)| *s == stat && *q == p) {
            continue;
        }
        let values = &ctx.lets[stat];
        // Each group's quantile, then each entity's group's.
        fn spread<T: Copy>(group_of: &[Option<usize>], per_group: &[Option<T>]) -> Vec<Option<T>> {
            group_of
                .iter()
                .map(|g| g.and_then(|g| per_group[g]))
                .collect()
        }
        let column = if let Col::Float(values) = values {
            let per_group: Vec<Option<f64>> = groups
                .iter()
                .map(|members| {
                    let mut sorted: Vec<f64> = members.iter().filter_map(|&i| values[i]).collect();
                    sorted.sort_by(f64::total_cmp);
                    linear_quantile_float(&sorted, p)
                })
                .collect();
            Col::Float(spread(group_of, &per_group))
        } else {
            let per_group: Vec<Option<Decimal>> = groups
                .iter()
                .map(|members| {
                    let mut sorted: Vec<Decimal> = members
                        .iter()
                        .filter_map(|&i| match values.get(i) {
                            Scalar::Dec(d) => Some(d),
                            Scalar::Int(v) => Some(Decimal::from(v)),
                            _ => None,
                        })
                        .collect();
                    sorted.sort();
                    linear_quantile(&sorted, p)
                })
                .collect();
            Col::Dec(spread(group_of, &per_group))
        };
        out.push((stat, p, column));
    }
    out
}

/// Where the `p` quantile of `len` sorted values lies: position (len −
/// 1)·p, between the ranks `lower` and `upper` (its floor and the next,
/// within the values), `fraction` of the way.
fn quantile_position(len: usize, p: Decimal) -> Option<(usize, usize, Decimal)> {
    let last = len.checked_sub(1)?;
    let position = Decimal::from(last) * p;
    let floor = position.floor();
    let lower = usize::try_from(floor.mantissa() / 10i128.pow(floor.scale()))
        .ok()?
        .min(last);
    Some((lower, (lower + 1).min(last), position - floor))
}

/// The `p` quantile of sorted values by linear interpolation between the
/// closest ranks: position (k − 1)·p, between its floor and its ceiling.
pub fn linear_quantile(sorted: &[Decimal], p: Decimal) -> Option<Decimal> {
    let (lower, upper, fraction) = quantile_position(sorted.len(), p)?;
    Some(sorted[lower] + (sorted[upper] - sorted[lower]) * fraction)
}

/// [`linear_quantile`] of floats: the position is the same exact decimal,
/// the interpolation in floating point.
pub fn linear_quantile_float(sorted: &[f64], p: Decimal) -> Option<f64> {
    use rust_decimal::prelude::ToPrimitive;
    let (lower, upper, fraction) = quantile_position(sorted.len(), p)?;
    let value = sorted[lower] + (sorted[upper] - sorted[lower]) * fraction.to_f64()?;
    value.is_finite().then_some(value + 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_between_closest_ranks() {
        let values: Vec<Decimal> = (1..=21).map(Decimal::from).collect();
        // (21 − 1)·0.95 = 19: exactly the 20th value.
        assert_eq!(
            linear_quantile(&values, Decimal::new(95, 2)),
            Some(Decimal::from(20))
        );
        let values = [Decimal::from(0), Decimal::from(10)];
        // (2 − 1)·0.95 = 0.95 of the way from 0 to 10.
        assert_eq!(
            linear_quantile(&values, Decimal::new(95, 2)),
            Some(Decimal::new(95, 1))
        );
        assert_eq!(linear_quantile(&[], Decimal::ONE), None);
    }
}
