//! The partners of a key a row can pair with when the plan bounds them
//! (`plan/pair_range.rs`): the key's partners sorted by the searched
//! bound's value, those inside it found by a binary search, then, from
//! the edge inward, those inside the other bound, for as long as one
//! still can be (the most favourable value of the rest is kept for each
//! place). A patient's visits against the stays around them: a search and
//! a step or two each, not every stay.

use std::cmp::Ordering;

use super::super::col::{Col, Scalar};
use crate::plan::PartnerBound;

/// Keys with fewer partners than this are paired with all of them: the
/// condition decides as quickly as a search would (the default of
/// `ExecOptions::searched_from`).
pub const SEARCHED_FROM: usize = 32;

/// A bound's values: the partners', and the rows'.
pub struct BoundValues<'a> {
    pub bound: &'a PartnerBound,
    pub partners: Col<'a>,
    pub rows: Col<'a>,
}

impl BoundValues<'_> {
    /// Whether partner `p` is inside the bound for row value `row`; a
    /// null on either side is not (the comparison is null).
    fn holds(&self, p: usize, row: &Scalar<'_>) -> bool {
        let value = self.partners.get(p);
        !value.is_null() && self.bound.holds(value.compare(row))
    }
}

/// One key's partners (positions in the bucket, `0..n`) in search order,
/// with, for each place, the place at or before it whose value of the
/// other bound is the most favourable.
pub struct Band {
    order: Vec<u32>,
    best_then: Vec<Option<u32>>,
}

/// The bounds of a pair rule, read for its rows and partners.
pub struct Bands<'a> {
    pub search: BoundValues<'a>,
    pub then: Option<BoundValues<'a>>,
}

impl Bands<'_> {
    /// The band of a key whose partners (positions in the partners) are
    /// `bucket`: those with a value to search by, sorted so that the ones
    /// inside the bound come first for every row.
    pub fn band(&self, bucket: &[usize]) -> Band {
        let search = &self.search;
        let mut order: Vec<u32> = (0..bucket.len() as u32)
            .filter(|&k| !search.partners.is_null(bucket[k as usize]))
            .collect();
        let below = search.bound.below;
        // Ascending for a bound from below (the smallest values are below
        // every row's), descending for one from above; ties in bucket order.
        order.sort_by(|&a, &b| {
            let ord = search
                .partners
                .get(bucket[a as usize])
                .compare(&search.partners.get(bucket[b as usize]));
            if below { ord } else { ord.reverse() }.then(a.cmp(&b))
        });
        let best_then = match &self.then {
            None => Vec::new(),
            Some(then) => {
                let mut best: Option<u32> = None;
                order
                    .iter()
                    .map(|&k| {
                        let value = then.partners.get(bucket[k as usize]);
                        if !value.is_null() {
                            let better = match best {
                                None => true,
                                Some(b) => {
                                    let ord = value.compare(&then.partners.get(bucket[b as usize]));
                                    // Lower passes a bound from below more easily.
                                    match then.bound.below {
                                        true => ord == Ordering::Less,
                                        false => ord == Ordering::Greater,
                                    }
                                }
                            };
                            if better {
                                best = Some(k);
                            }
                        }
                        best
                    })
                    .collect()
            }
        };
        Band { order, best_then }
    }

    /// The positions in `bucket` (in bucket order) of the partners inside
    /// both bounds for row `i`, into `out`.
    pub fn partners_of(&self, band: &Band, bucket: &[usize], i: usize, out: &mut Vec<usize>) {
        out.clear();
        let row = self.search.rows.get(i);
        if row.is_null() {
            return;
        }
        let inside = band
            .order
            .partition_point(|&k| self.search.holds(bucket[k as usize], &row));
        match &self.then {
            None => out.extend(band.order[..inside].iter().map(|&k| k as usize)),
            Some(then) => {
                let row = then.rows.get(i);
                if row.is_null() {
                    return;
                }
                for place in (0..inside).rev() {
                    // The most favourable value this far fails: so do all.
                    match band.best_then[place] {
                        Some(best) if then.holds(bucket[best as usize], &row) => {}
                        _ => break,
                    }
                    let k = band.order[place] as usize;
                    if then.holds(bucket[k], &row) {
                        out.push(k);
                    }
                }
            }
        }
        out.sort_unstable();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{CompareOp, TExpr, TExprKind, Type, Value};
    use crate::plan::PairRange;
    use crate::syntax::Span;
    use proptest::prelude::*;

    fn bound(below: bool, inclusive: bool) -> PartnerBound {
        let any = TExpr::new(TExprKind::Const(Value::Null), Type::Int, Span::default());
        PartnerBound {
            partner: any.clone(),
            row: any.clone(),
            below,
            inclusive,
            condition: TExpr::new(
                TExprKind::Compare {
                    op: CompareOp::Lt,
                    left: Box::new(any.clone()),
                    right: Box::new(any),
                },
                Type::Bool,
                Span::default(),
            ),
        }
    }

    fn passes(b: &PartnerBound, partner: Option<i64>, row: Option<i64>) -> bool {
        match (partner, row) {
            (Some(p), Some(r)) => b.holds(p.cmp(&r)),
            _ => false,
        }
    }

    proptest! {
        /// The partners found are exactly those every bound admits, in
        /// bucket order, whatever the values, nulls and directions.
        #[test]
        fn the_band_finds_exactly_the_partners_inside_the_bounds(
            starts in prop::collection::vec(prop::option::weighted(0.9, 0i64..40), 0..80),
            ends in prop::collection::vec(prop::option::weighted(0.9, 0i64..40), 80),
            rows in prop::collection::vec((prop::option::weighted(0.9, 0i64..40), prop::option::weighted(0.9, 0i64..40)), 1..12),
            search_below in any::<bool>(),
            search_inclusive in any::<bool>(),
            then_inclusive in any::<bool>(),
            with_then in any::<bool>(),
            shuffle in any::<u64>(),
        ) {
            let n = starts.len();
            let ends = &ends[..n];
            let search_bound = bound(search_below, search_inclusive);
            let then_bound = bound(!search_below, then_inclusive);
            let range = PairRange {
                search: search_bound.clone(),
                then: with_then.then(|| then_bound.clone()),
            };
            // The bucket: partner positions in some order of their own.
            let mut bucket: Vec<usize> = (0..n).collect();
            let mut s = shuffle;
            for k in (1..n).rev() {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                bucket.swap(k, (s >> 33) as usize % (k + 1));
            }
            let bands = Bands {
                search: BoundValues {
                    bound: &range.search,
                    partners: Col::Int(starts.clone()),
                    rows: Col::Int(rows.iter().map(|r| r.0).collect()),
                },
                then: range.then.as_ref().map(|b| BoundValues {
                    bound: b,
                    partners: Col::Int(ends.to_vec()),
                    rows: Col::Int(rows.iter().map(|r| r.1).collect()),
                }),
            };
            let band = bands.band(&bucket);
            let mut found = Vec::new();
            for (i, (low, high)) in rows.iter().enumerate() {
                bands.partners_of(&band, &bucket, i, &mut found);
                let expected: Vec<usize> = (0..n)
                    .filter(|&k| passes(&search_bound, starts[bucket[k]], *low))
                    .filter(|&k| !with_then || passes(&then_bound, ends[bucket[k]], *high))
                    .collect();
                prop_assert_eq!(&found, &expected);
            }
        }
    }
}
