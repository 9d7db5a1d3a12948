//! Aggregates over ranges that grow or slide, without a pass over each
//! whole range. A running window gives each row the range from its key's
//! first row to itself, and a sliding one (`last 30 days`) the rows of its
//! last days: summing each range afresh costs the square of a key's rows
//! (one patient with 15,000 claims in a year summed 112 million values for
//! one rule). Both ways here give exactly what a fresh pass gives.

use std::ops::Range;

/// `step` folded over each range's positions from `init`, then `finish`ed.
/// A range that extends the one before it (the same start, an end no
/// earlier) continues that range's fold: the steps are the same a fresh
/// fold takes, in the same order, so the result is the same, whatever the
/// step does (saturating, stopping at an overflow, keeping the first best).
pub fn fold_ranges<S: Clone, R>(
    ranges: &[Range<usize>],
    init: S,
    mut step: impl FnMut(S, usize) -> S,
    finish: impl Fn(&S) -> R,
) -> Vec<R> {
    let mut out = Vec::with_capacity(ranges.len());
    let mut previous: Option<(Range<usize>, S)> = None;
    for range in ranges {
        let (from, mut state) = match previous.take() {
            Some((p, state)) if p.start == range.start && p.end <= range.end => (p.end, state),
            _ => (range.start, init.clone()),
        };
        for i in from..range.end {
            state = step(state, i);
        }
        out.push(finish(&state));
        previous = Some((range.clone(), state));
    }
    out
}

/// Values small enough that no sum of them over fewer than 2³² rows
/// leaves 64 bits: summing them never saturates, so a difference of two
/// running totals is what a fresh saturating sum gives.
const EXACT_INT: u64 = 1 << 30;

/// Sums of whole numbers over ranges that slide (a later range may start
/// later), as differences of running totals: each range's sum in one
/// subtraction. `None` when a difference could differ from a fresh sum
/// (a value of 2³⁰ or more) or when it would not save time (the ranges are
/// short: their rows, in all, are few beside the column's).
pub fn sliding_int_sums(
    values: &[Option<i64>],
    ranges: &[Range<usize>],
) -> Option<Vec<Option<i64>>> {
    let covered: usize = ranges.iter().map(|r| r.len()).sum();
    if covered <= 4 * values.len() {
        return None;
    }
    if values
        .iter()
        .flatten()
        .any(|v| v.unsigned_abs() >= EXACT_INT)
    {
        return None;
    }
    // Running totals of the values and of how many are present.
    let mut totals: Vec<(i128, u32)> = Vec::with_capacity(values.len() + 1);
    totals.push((0, 0));
    let mut running = (0i128, 0u32);
    for v in values {
        if let Some(v) = v {
            running = (running.0 + *v as i128, running.1 + 1);
        }
        totals.push(running);
    }
    Some(
        ranges
            .iter()
            .map(|r| {
                let (sum, present) = (
                    totals[r.end].0 - totals[r.start].0,
                    totals[r.end].1 - totals[r.start].1,
                );
                (present > 0).then_some(sum as i64)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Ranges as windows make them: for each position, a start no earlier
    /// than the last range's start (running or sliding), or anywhere.
    fn ranges(n: usize) -> impl Strategy<Value = Vec<Range<usize>>> {
        proptest::collection::vec((0..4u8, 0..n.max(1), 0..n.max(1)), 0..3 * n + 1).prop_map(
            move |picks| {
                let mut out: Vec<Range<usize>> = Vec::new();
                let mut start = 0;
                for (i, (how, a, b)) in picks.into_iter().enumerate() {
                    let end = (i % (n + 1)).max(start);
                    let range = match how {
                        // Running: the group's start to here.
                        0 | 1 => start..end,
                        // Sliding: the start moves up to here.
                        2 => {
                            start = (start + a % 3).min(end);
                            start..end
                        }
                        // Anything.
                        _ => a.min(b)..a.max(b),
                    };
                    out.push(range);
                }
                out
            },
        )
    }

    fn values() -> impl Strategy<Value = Vec<Option<i64>>> {
        proptest::collection::vec(
            prop_oneof![
                Just(None),
                (-1000i64..1000).prop_map(Some),
                Just(Some(i64::MAX)),
                Just(Some(i64::MIN)),
            ],
            0..40,
        )
    }

    fn fresh_sum(values: &[Option<i64>], range: &Range<usize>) -> Option<i64> {
        let mut present = values[range.clone()].iter().flatten().peekable();
        present.peek()?;
        Some(present.fold(0i64, |a, b| a.saturating_add(*b)))
    }

    proptest! {
        #[test]
        fn folding_on_gives_what_a_fresh_fold_gives(
            (values, ranges) in values().prop_flat_map(|v| {
                let n = v.len();
                (Just(v), ranges(n))
            })
        ) {
            let folded = fold_ranges(
                &ranges,
                (false, 0i64),
                |(any, sum), i| match values[i] {
                    Some(v) => (true, sum.saturating_add(v)),
                    None => (any, sum),
                },
                |(any, sum)| any.then_some(*sum),
            );
            let fresh: Vec<Option<i64>> = ranges.iter().map(|r| fresh_sum(&values, r)).collect();
            prop_assert_eq!(folded, fresh);
        }

        #[test]
        fn sliding_sums_are_fresh_sums_or_not_given(
            (values, ranges) in values().prop_flat_map(|v| {
                let n = v.len();
                (Just(v), ranges(n))
            })
        ) {
            if let Some(sums) = sliding_int_sums(&values, &ranges) {
                let fresh: Vec<Option<i64>> =
                    ranges.iter().map(|r| fresh_sum(&values, r)).collect();
                prop_assert_eq!(sums, fresh);
            }
        }
    }

    #[test]
    fn long_running_windows_are_summed_by_difference_or_by_folding_on() {
        let values: Vec<Option<i64>> = (0..2000).map(|i| (i % 7 != 0).then_some(i)).collect();
        let running: Vec<Range<usize>> = (0..2000).map(|i| 0..i + 1).collect();
        let sums = sliding_int_sums(&values, &running).expect("long ranges of small values");
        let fresh: Vec<Option<i64>> = running.iter().map(|r| fresh_sum(&values, r)).collect();
        assert_eq!(sums, fresh);
        // A value too large to sum by difference.
        let mut large = values.clone();
        large[5] = Some(1 << 40);
        assert_eq!(sliding_int_sums(&large, &running), None);
        // Short ranges: a fresh sum is as cheap.
        let short: Vec<Range<usize>> = (0..2000).map(|i| i..i + 1).collect();
        assert_eq!(sliding_int_sums(&values, &short), None);
    }
}
