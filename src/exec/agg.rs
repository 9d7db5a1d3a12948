//! Aggregates over runs of rows: a group, a window, an entity's rows.

use std::cmp::Ordering;
use std::ops::Range;

use rust_decimal::Decimal;

use super::col::{Col, Scalar, Tri};
use super::range_fold::{fold_ranges, sliding_int_sums};
use crate::ir::AggFunc;

/// The aggregate of `arg` over each range of rows (positions in `arg`).
pub fn aggregate<'a>(func: AggFunc, arg: Option<&Col<'a>>, ranges: &[Range<usize>]) -> Col<'a> {
    // Every row of a group has the group's range: compute each run of equal
    // ranges once (else a group of n rows would cost n² steps).
    let mut distinct: Vec<Range<usize>> = Vec::new();
    let mut slots: Vec<Option<u32>> = Vec::with_capacity(ranges.len());
    for range in ranges {
        if distinct.last() != Some(range) {
            distinct.push(range.clone());
        }
        slots.push(Some(distinct.len() as u32 - 1));
    }
    if distinct.len() == ranges.len() {
        return aggregate_each(func, arg, ranges);
    }
    aggregate_each(func, arg, &distinct).take(&slots)
}

/// The runs of `outer(value per key)`: each range's rows split into runs
/// of equal key (null keys together), in key order.
pub struct Runs {
    /// Positions of the rows, run after run.
    order: Vec<Option<u32>>,
    /// Each run, as a range of `order`.
    runs: Vec<Range<usize>>,
    /// For each range, the span of its runs (ranges equal to the one
    /// before share its span).
    spans: Vec<Range<usize>>,
}

impl Runs {
    /// How many runs there are, in all ranges.
    pub fn len(&self) -> usize {
        self.runs.len()
    }

    /// `inner` of `arg` over each run.
    pub fn aggregate<'a>(&self, inner: AggFunc, arg: Option<&Col<'a>>) -> Col<'a> {
        let arg = arg.map(|a| a.take(&self.order));
        aggregate_each(inner, arg.as_ref(), &self.runs)
    }

    /// `values` (one per run) moved `back` runs later within each range's
    /// runs: each run gets the value of the run `back` before it, or null.
    pub fn lagged<'a>(&self, values: &Col<'a>, back: usize) -> Col<'a> {
        let mut picks: Vec<Option<u32>> = vec![None; self.runs.len()];
        let mut previous: Option<&Range<usize>> = None;
        for span in &self.spans {
            if previous == Some(span) {
                continue;
            }
            previous = Some(span);
            for run in span.clone().skip(back) {
                picks[run] = Some((run - back) as u32);
            }
        }
        values.take(&picks)
    }

    /// `outer` over each range's runs' `values`.
    pub fn outer<'a>(&self, outer: AggFunc, values: &Col<'a>) -> Col<'a> {
        aggregate(outer, Some(values), &self.spans)
    }
}

/// The runs of equal `key` in each range of rows.
pub fn runs_of(key: &Col<'_>, ranges: &[Range<usize>]) -> Runs {
    // Positions of each range ordered by key, the runs of equal keys in
    // that order, and for each range the span of its runs.
    let mut order: Vec<Option<u32>> = Vec::new();
    let mut runs: Vec<Range<usize>> = Vec::new();
    let mut spans: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    let mut previous: Option<(Range<usize>, Range<usize>)> = None;
    for range in ranges {
        if let Some((r, span)) = &previous
            && r == range
        {
            spans.push(span.clone());
            continue;
        }
        let mut positions: Vec<usize> = range.clone().collect();
        positions.sort_by(|a, b| key.get(*a).compare(&key.get(*b)));
        let first_run = runs.len();
        let mut start = order.len();
        for (k, &p) in positions.iter().enumerate() {
            if k > 0 && !key.get(positions[k - 1]).same(&key.get(p)) {
                runs.push(start..order.len());
                start = order.len();
            }
            order.push(Some(p as u32));
        }
        if !positions.is_empty() {
            runs.push(start..order.len());
        }
        let span = first_run..runs.len();
        spans.push(span.clone());
        previous = Some((range.clone(), span));
    }
    Runs { order, runs, spans }
}

fn aggregate_each<'a>(func: AggFunc, arg: Option<&Col<'a>>, ranges: &[Range<usize>]) -> Col<'a> {
    match func {
        AggFunc::Count => Col::Int(ranges.iter().map(|r| Some(r.len() as i64)).collect()),
        AggFunc::CountIf => {
            let values = arg.expect("count(condition) has an argument").bools();
            Col::Int(fold_ranges(
                ranges,
                0i64,
                |count, i| count + values[i].is_true() as i64,
                |count| Some(*count),
            ))
        }
        AggFunc::CountDistinct => {
            let values = arg.expect("count(distinct x) has an argument");
            // One buffer for every group; most groups are a row or two.
            let mut seen: Vec<Scalar<'_>> = Vec::new();
            Col::Int(
                ranges
                    .iter()
                    .map(|r| {
                        seen.clear();
                        seen.extend(r.clone().map(|i| values.get(i)).filter(|v| !v.is_null()));
                        if seen.len() > 2 {
                            seen.sort_by(|a, b| a.compare(b));
                        }
                        seen.dedup_by(|a, b| a.same(b));
                        Some(seen.len() as i64)
                    })
                    .collect(),
            )
        }
        AggFunc::Sum => match arg.expect("sum(x) has an argument") {
            // Null over no present value; saturating.
            Col::Int(values) => Col::Int(sliding_int_sums(values, ranges).unwrap_or_else(|| {
                fold_ranges(
                    ranges,
                    (false, 0i64),
                    |(any, sum), i| match values[i] {
                        Some(v) => (true, sum.saturating_add(v)),
                        None => (any, sum),
                    },
                    |(any, sum)| any.then_some(*sum),
                )
            })),
            // Null over no present value, and past an overflow.
            Col::Dec(values) => Col::Dec(fold_ranges(
                ranges,
                (false, Some(Decimal::ZERO)),
                |(any, sum), i| match values[i] {
                    Some(v) => (true, sum.and_then(|s| s.checked_add(v))),
                    None => (any, sum),
                },
                |(any, sum)| if *any { *sum } else { None },
            )),
            Col::Float(values) => Col::Float(
                ranges
                    .iter()
                    .map(|r| {
                        let mut present = values[r.clone()].iter().flatten().peekable();
                        present.peek()?;
                        super::float_sum::exact_sum(present.copied())
                    })
                    .collect(),
            ),
            other => other.nulls(ranges.len()),
        },
        AggFunc::Min | AggFunc::Max => {
            let values = arg.expect("min/max have an argument");
            let wanted = if func == AggFunc::Min {
                Ordering::Less
            } else {
                Ordering::Greater
            };
            // The first best of each range.
            let picks: Vec<Option<u32>> = fold_ranges(
                ranges,
                None,
                |best: Option<usize>, i| {
                    if !values.is_null(i)
                        && best.is_none_or(|b| values.get(i).compare(&values.get(b)) == wanted)
                    {
                        Some(i)
                    } else {
                        best
                    }
                },
                |best| best.map(|b| b as u32),
            );
            values.take(&picks)
        }
        AggFunc::Any | AggFunc::All => {
            let values = arg.expect("any/all have an argument").bools();
            Col::Bool(
                ranges
                    .iter()
                    .map(|r| {
                        let mut present = values[r.clone()]
                            .iter()
                            .filter(|t| **t != Tri::Null)
                            .map(|t| t.is_true())
                            .peekable();
                        if present.peek().is_none() {
                            Tri::Null
                        } else if func == AggFunc::Any {
                            Tri::from_option(Some(present.any(|b| b)))
                        } else {
                            Tri::from_option(Some(present.all(|b| b)))
                        }
                    })
                    .collect(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_skip_nulls_and_are_null_over_nothing() {
        let values = Col::Int(vec![Some(1), None, Some(5), None]);
        let out = aggregate(AggFunc::Sum, Some(&values), &[0..3, 3..4, 0..0]);
        let Col::Int(out) = out else { panic!() };
        assert_eq!(out, vec![Some(6), None, None]);
    }

    #[test]
    fn distinct_counts_equal_decimals_once() {
        let values = Col::Dec(vec![
            Some(Decimal::new(150, 2)),
            Some(Decimal::new(15, 1)),
            None,
        ]);
        let Col::Int(out) = aggregate(AggFunc::CountDistinct, Some(&values), &[0..2, 2..3]) else {
            panic!()
        };
        assert_eq!(out, vec![Some(1), Some(0)]);
    }

    #[test]
    fn rows_sharing_a_range_share_its_aggregate() {
        let values = Col::Int(vec![Some(1), Some(2), Some(4), None]);
        let ranges = [0..3, 0..3, 0..3, 3..4, 0..1];
        let Col::Int(out) = aggregate(AggFunc::Sum, Some(&values), &ranges) else {
            panic!()
        };
        assert_eq!(out, vec![Some(7), Some(7), Some(7), None, Some(1)]);
        let Col::Int(out) = aggregate(AggFunc::Count, None, &ranges) else {
            panic!()
        };
        assert_eq!(out, vec![Some(3), Some(3), Some(3), Some(1), Some(1)]);
    }

    #[test]
    fn min_and_max_keep_their_values() {
        let values = Col::Text(vec![Some("b"), None, Some("a")]);
        let Col::Text(out) = aggregate(AggFunc::Min, Some(&values), &[0..3, 1..2]) else {
            panic!()
        };
        assert_eq!(out, vec![Some("a"), None]);
    }
}
