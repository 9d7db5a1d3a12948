//! A population rule over partitions: each partition yields its entities'
//! partial aggregates, the partials merge (an entity's rows may lie in
//! many partitions), and the rule then runs once over the merged
//! entities, exactly as over the whole data.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

use super::super::col::{Col, Scalar, Tri};
use super::super::env::Env;
use super::super::float_sum::FloatSum;
use super::population::{Aggregated, Population, entity_aggregates};
use crate::ir::{AggFunc, Rule};

/// One aggregate of one entity, so far.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
enum State {
    /// `count()` and `count(condition)`: counts add up.
    Count(i64),
    /// `sum(x)`: null until a value is seen.
    Sum(Option<Owned>),
    /// `min(x)` and `max(x)`: the best value seen.
    Best(Option<Owned>),
    /// `any(x)` and `all(x)`: null until a non-null value is seen.
    Logic(Tri),
    /// `count(distinct x)`: the values seen (as key texts).
    Distinct(BTreeSet<String>),
    /// `sum(x)` of floats: exact until the end, so it does not depend on
    /// how the rows were split.
    FloatSum(FloatSum),
}

/// A value that outlives the partition it was read from.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
enum Owned {
    Bool(bool),
    Int(i64),
    Dec(Decimal),
    Float(#[serde(with = "crate::exec::float_sum::f64_bits")] f64),
    Text(String),
    Date(i32),
    Ts(i64),
}

impl Owned {
    fn of(value: Scalar<'_>) -> Option<Owned> {
        match value {
            Scalar::Bool(b) => Some(Owned::Bool(b)),
            Scalar::Int(i) => Some(Owned::Int(i)),
            Scalar::Dec(d) => Some(Owned::Dec(d)),
            Scalar::Float(x) => Some(Owned::Float(x)),
            Scalar::Text(t) => Some(Owned::Text(t.to_string())),
            Scalar::Date(d) => Some(Owned::Date(d)),
            Scalar::Ts(t) => Some(Owned::Ts(t)),
            // The checker gives lists and rows no order or sum.
            Scalar::Null | Scalar::List(..) | Scalar::Row(_) => None,
        }
    }

    fn scalar(&self) -> Scalar<'_> {
        match self {
            Owned::Bool(b) => Scalar::Bool(*b),
            Owned::Int(i) => Scalar::Int(*i),
            Owned::Dec(d) => Scalar::Dec(*d),
            Owned::Float(x) => Scalar::Float(*x),
            Owned::Text(t) => Scalar::Text(t),
            Owned::Date(d) => Scalar::Date(*d),
            Owned::Ts(t) => Scalar::Ts(*t),
        }
    }
}

/// The shape of an aggregate's column, so merged values become the same
/// column the whole data would give.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
enum Shape {
    Bool,
    Int,
    Dec,
    Float,
    Text,
    Date,
    Ts,
}

impl Shape {
    fn of(col: &Col<'_>) -> Shape {
        match col {
            Col::Bool(_) => Shape::Bool,
            Col::Int(_) => Shape::Int,
            Col::Dec(_) => Shape::Dec,
            Col::Float(_) => Shape::Float,
            Col::Text(_) => Shape::Text,
            Col::Date(_) => Shape::Date,
            Col::Ts(_) => Shape::Ts,
            // Aggregates never give lists or rows.
            Col::List(_) | Col::Row(_) => Shape::Int,
        }
    }
}

/// A population rule's partial aggregates, per entity (a row of the
/// entity table, which every partition shares).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct PopulationPartial {
    shapes: Vec<Option<Shape>>,
    entities: BTreeMap<u32, Vec<State>>,
}

impl PopulationPartial {
    /// The partial aggregates of `rows` (of one partition) that passed `where`.
    pub fn of<'a>(
        rule: &'a Rule,
        population: &Population<'a>,
        env: &'a Env<'a>,
        rows: &[u32],
    ) -> PopulationPartial {
        let (entity_rows, aggregates) = entity_aggregates(rule, population, env, rows, true);
        let mut partial = PopulationPartial {
            shapes: aggregates
                .iter()
                .map(|a| match a {
                    Aggregated::Value(col) => Some(Shape::of(col)),
                    Aggregated::FloatSums(_) => Some(Shape::Float),
                    Aggregated::Distinct(_) => None,
                })
                .collect(),
            entities: BTreeMap::new(),
        };
        for (i, entity) in entity_rows.iter().enumerate() {
            let Some(entity) = entity else { continue };
            let states = rule
                .aggregates
                .iter()
                .zip(&aggregates)
                .map(|(a, values)| state_of(a.func, values, i))
                .collect();
            partial.entities.insert(*entity, states);
        }
        partial
    }

    /// Adds `other`'s entities' aggregates to these.
    pub fn merge(&mut self, rule: &Rule, other: PopulationPartial) {
        if self.shapes.is_empty() {
            self.shapes = other.shapes;
        }
        for (entity, states) in other.entities {
            match self.entities.get_mut(&entity) {
                None => {
                    self.entities.insert(entity, states);
                }
                Some(mine) => {
                    for ((a, state), theirs) in rule.aggregates.iter().zip(mine).zip(states) {
                        combine(a.func, state, theirs);
                    }
                }
            }
        }
    }

    /// The entities (ascending) and each aggregate's column over them, as
    /// [`entity_aggregates`] gives them over the whole data.
    pub fn finish<'p>(&'p self, rule: &Rule) -> (Vec<Option<u32>>, Vec<Col<'p>>) {
        let entity_rows = self.entities.keys().map(|e| Some(*e)).collect();
        let columns = rule
            .aggregates
            .iter()
            .enumerate()
            .map(|(k, a)| {
                let shape = self.shapes.get(k).copied().flatten();
                let states = self.entities.values().map(|s| &s[k]);
                column(a.func, shape, states)
            })
            .collect();
        (entity_rows, columns)
    }
}

fn state_of(func: AggFunc, values: &Aggregated<'_>, i: usize) -> State {
    let col = match values {
        Aggregated::Distinct(sets) => {
            return State::Distinct(sets[i].iter().cloned().collect());
        }
        Aggregated::FloatSums(sums) => return State::FloatSum(sums[i].clone()),
        Aggregated::Value(col) => col,
    };
    match func {
        AggFunc::Count | AggFunc::CountIf | AggFunc::CountDistinct => match col.get(i) {
            Scalar::Int(n) => State::Count(n),
            _ => State::Count(0),
        },
        AggFunc::Sum => State::Sum(Owned::of(col.get(i))),
        AggFunc::Min | AggFunc::Max => State::Best(Owned::of(col.get(i))),
        AggFunc::Any | AggFunc::All => State::Logic(col.bools()[i]),
    }
}

fn combine(func: AggFunc, mine: &mut State, theirs: State) {
    match (mine, theirs) {
        (State::Count(a), State::Count(b)) => *a += b,
        (State::Sum(a), State::Sum(b)) => {
            *a = match (a.take(), b) {
                (None, x) | (x, None) => x,
                (Some(Owned::Int(x)), Some(Owned::Int(y))) => Some(Owned::Int(x.saturating_add(y))),
                // A sum past the decimal range is null, as over the whole data.
                (Some(Owned::Dec(x)), Some(Owned::Dec(y))) => x.checked_add(y).map(Owned::Dec),
                (x, _) => x,
            }
        }
        (State::Best(a), State::Best(b)) => {
            let wanted = if func == AggFunc::Min {
                std::cmp::Ordering::Less
            } else {
                std::cmp::Ordering::Greater
            };
            if let Some(b) = b
                && a.as_ref()
                    .is_none_or(|a| b.scalar().compare(&a.scalar()) == wanted)
            {
                *a = Some(b);
            }
        }
        (State::Logic(a), State::Logic(b)) => {
            *a = match (*a, b) {
                (Tri::Null, x) | (x, Tri::Null) => x,
                (x, y) if func == AggFunc::Any => {
                    Tri::from_option(Some(x.is_true() || y.is_true()))
                }
                (x, y) => Tri::from_option(Some(x.is_true() && y.is_true())),
            }
        }
        (State::Distinct(a), State::Distinct(b)) => a.extend(b),
        (State::FloatSum(a), State::FloatSum(b)) => a.merge(&b),
        // Every partition computes an aggregate the same way.
        (_, _) => {}
    }
}

fn column<'p>(
    func: AggFunc,
    shape: Option<Shape>,
    states: impl Iterator<Item = &'p State>,
) -> Col<'p> {
    let values: Vec<Option<Scalar<'p>>> = states
        .map(|s| match s {
            State::Count(n) => Some(Scalar::Int(*n)),
            State::Distinct(set) => Some(Scalar::Int(set.len() as i64)),
            State::Sum(v) | State::Best(v) => v.as_ref().map(Owned::scalar),
            // A sum over no values is null, as over the whole data.
            State::FloatSum(sum) if sum.is_empty() => None,
            State::FloatSum(sum) => sum.value().map(Scalar::Float),
            State::Logic(t) => match t {
                Tri::Null => None,
                t => Some(Scalar::Bool(t.is_true())),
            },
        })
        .collect();
    let shape = match func {
        AggFunc::Count | AggFunc::CountIf | AggFunc::CountDistinct => Shape::Int,
        AggFunc::Any | AggFunc::All => Shape::Bool,
        AggFunc::Sum | AggFunc::Min | AggFunc::Max => shape.unwrap_or(Shape::Int),
    };
    // Each value of the column's own kind; any other is null.
    fn each<'p, T>(
        values: &[Option<Scalar<'p>>],
        pick: impl Fn(Scalar<'p>) -> Option<T>,
    ) -> Vec<Option<T>> {
        values.iter().map(|v| v.and_then(&pick)).collect()
    }
    match shape {
        Shape::Bool => Col::Bool(
            each(&values, |v| match v {
                Scalar::Bool(b) => Some(b),
                _ => None,
            })
            .into_iter()
            .map(Tri::from_option)
            .collect(),
        ),
        Shape::Int => Col::Int(each(&values, |v| match v {
            Scalar::Int(i) => Some(i),
            _ => None,
        })),
        Shape::Dec => Col::Dec(each(&values, |v| match v {
            Scalar::Dec(d) => Some(d),
            _ => None,
        })),
        Shape::Float => Col::Float(each(&values, |v| match v {
            Scalar::Float(x) => Some(x),
            _ => None,
        })),
        Shape::Text => Col::Text(each(&values, |v| match v {
            Scalar::Text(t) => Some(t),
            _ => None,
        })),
        Shape::Date => Col::Date(each(&values, |v| match v {
            Scalar::Date(d) => Some(d),
            _ => None,
        })),
        Shape::Ts => Col::Ts(each(&values, |v| match v {
            Scalar::Ts(t) => Some(t),
            _ => None,
        })),
    }
}
