//! Sorting rows by keys and cutting them into groups.

use std::cmp::Ordering;
use std::ops::Range;

use super::col::Col;

/// Rows `a` and `b` of the columns compared in turn (nulls last).
pub fn compare_rows(columns: &[Col<'_>], a: usize, b: usize) -> Ordering {
    for column in columns {
        let ord = compare_in(column, a, b);
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

/// Rows `a` and `b` of one column (nulls last): both values are of the
/// column's one type, so the common types compare directly, without a
/// scalar made for each.
fn compare_in(column: &Col<'_>, a: usize, b: usize) -> Ordering {
    fn nulls_last<T: Ord>(x: &Option<T>, y: &Option<T>) -> Ordering {
        match (x, y) {
            (Some(x), Some(y)) => x.cmp(y),
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
        }
    }
    match column {
        Col::Text(v) => nulls_last(&v[a], &v[b]),
        Col::Int(v) => nulls_last(&v[a], &v[b]),
        Col::Date(v) => nulls_last(&v[a], &v[b]),
        Col::Ts(v) => nulls_last(&v[a], &v[b]),
        Col::Row(v) => nulls_last(&v[a], &v[b]),
        other => other.get(a).compare_nulls_last(&other.get(b)),
    }
}

/// A 128-bit hash of each row's values in `columns`: rows with equal
/// values (nulls equal, 1.50 equal to 1.5) hash equal, and distinct values
/// collide with a probability of about n²/2¹²⁸, far below one in 10²⁰.
pub fn row_hashes(columns: &[Col<'_>], n: usize) -> Vec<u128> {
    let mut buffer: Vec<u8> = Vec::with_capacity(64);
    // Rows next to each other often read the same text (the lines of one
    // claim, its patient): the same bytes in memory are hashed once.
    let mut last_text: Vec<Option<(*const u8, usize, u128)>> = vec![None; columns.len()];
    (0..n)
        .map(|row| {
            buffer.clear();
            for (column, last) in columns.iter().zip(&mut last_text) {
                match column {
                    Col::Text(v) => match v[row] {
                        Some(t) => {
                            let hash = match *last {
                                Some((at, len, hash)) if at == t.as_ptr() && len == t.len() => hash,
                                _ => {
                                    let hash = text_hash(t);
                                    *last = Some((t.as_ptr(), t.len(), hash));
                                    hash
                                }
                            };
                            encode_text_hash(hash, &mut buffer);
                        }
                        None => buffer.push(0),
                    },
                    other => encode(other, row, &mut buffer),
                }
            }
            xxhash_rust::xxh3::xxh3_128(&buffer)
        })
        .collect()
}

pub(super) fn text_hash(text: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128(text.as_bytes())
}

/// Text goes in as its own 128-bit hash: a fixed-size write instead of
/// copying the bytes (the copy was most of the hashing time).
fn encode_text_hash(hash: u128, out: &mut Vec<u8>) {
    out.push(1);
    out.extend_from_slice(&hash.to_le_bytes());
}

/// The bytes of one value for hashing: a tag, then the value.
pub fn encode(column: &Col<'_>, row: usize, out: &mut Vec<u8>) {
    use super::col::Tri;
    match column {
        Col::Text(v) => match v[row] {
            Some(t) => encode_text_hash(text_hash(t), out),
            None => out.push(0),
        },
        // Whole numbers encode as decimals with scale 0, as `1.0` normalizes
        // to: equal numbers hash equal whatever their column's type.
        Col::Int(v) => match v[row] {
            Some(i) => {
                out.push(3);
                out.extend_from_slice(&(i as i128).to_le_bytes());
                out.extend_from_slice(&0u32.to_le_bytes());
            }
            None => out.push(0),
        },
        Col::Dec(v) => match v[row] {
            Some(d) => {
                let d = d.normalize();
                out.push(3);
                out.extend_from_slice(&d.mantissa().to_le_bytes());
                out.extend_from_slice(&d.scale().to_le_bytes());
            }
            None => out.push(0),
        },
        // `+ 0.0`: -0 and 0 are one value.
        Col::Float(v) => match v[row] {
            Some(x) => {
                out.push(10);
                out.extend_from_slice(&(x + 0.0).to_bits().to_le_bytes());
            }
            None => out.push(0),
        },
        Col::Date(v) => match v[row] {
            Some(d) => {
                out.push(4);
                out.extend_from_slice(&d.to_le_bytes());
            }
            None => out.push(0),
        },
        Col::Ts(v) => match v[row] {
            Some(t) => {
                out.push(5);
                out.extend_from_slice(&t.to_le_bytes());
            }
            None => out.push(0),
        },
        Col::Bool(v) => out.push(match v[row] {
            Tri::Null => 0,
            Tri::False => 6,
            Tri::True => 7,
        }),
        Col::Row(v) => match v[row] {
            Some(r) => {
                out.push(8);
                out.extend_from_slice(&r.to_le_bytes());
            }
            None => out.push(0),
        },
        Col::List(l) => {
            if l.valid[row] {
                out.push(9);
                let range = l.range(row);
                out.extend_from_slice(&(range.len() as u32).to_le_bytes());
                for e in range {
                    encode(&l.values, e, out);
                }
            } else {
                out.push(0);
            }
        }
    }
}

/// Positions cut into groups of equal hash, each group contiguous, then
/// ordered within the group by the `order` columns (nulls last), ties kept
/// in their order; and the range of each group. Groups come in the order of
/// their hashes, so the result is one stable sort by hash then `order`,
/// whatever order the rows came in.
///
/// The positions are ordered by hash with a counting sort (see
/// [`sorted_by_hash`]): a hash table of the rows would miss the cache at
/// every row. Only each group's own rows are sorted by `order`, and groups
/// are small (a patient's claims, an item's lines on a day). `order_of(positions)`
/// gives the `order` columns over `positions`, the rows of the groups of
/// more than one (called at most once).
pub fn group_positions_with<'a>(
    hashes: &[u128],
    order_of: impl FnOnce(&[u32]) -> Vec<Col<'a>>,
) -> (Vec<u32>, Vec<Range<usize>>) {
    let pairs = sorted_by_hash(hashes);
    let mut positions: Vec<u32> = pairs.iter().map(|(_, p)| *p).collect();
    let mut groups = Vec::new();
    let mut start = 0;
    for i in 1..=pairs.len() {
        if i == pairs.len() || pairs[i].0 != pairs[i - 1].0 {
            groups.push(start..i);
            start = i;
        }
    }
    drop(pairs);
    // Most groups are one row (a clean dataset's): only the rows of the
    // others are ordered, and only their order values are made.
    let needing: Vec<u32> = groups
        .iter()
        .filter(|g| g.len() > 1)
        .flat_map(|g| positions[g.clone()].iter().copied())
        .collect();
    if needing.is_empty() {
        return (positions, groups);
    }
    let order = order_of(&needing);
    if order.is_empty() {
        return (positions, groups);
    }
    let mut at = 0;
    let mut local: Vec<u32> = Vec::new();
    for g in groups.iter().filter(|g| g.len() > 1) {
        local.clear();
        local.extend(at as u32..(at + g.len()) as u32);
        local.sort_by(|a, b| compare_rows(&order, *a as usize, *b as usize));
        for (slot, l) in positions[g.clone()].iter_mut().zip(&local) {
            *slot = needing[*l as usize];
        }
        at += g.len();
    }
    (positions, groups)
}

/// Each position with its hash, ordered by hash then position. The hashes
/// are uniform, so a counting sort on their top bits (about one position a
/// slot) leaves each slot a few pairs to sort on their own: a comparison
/// sort of them all, or of 256 shards, was most of the grouping's time. The
/// counting sort is stable and positions are distinct, so this is the one
/// order by hash then position.
fn sorted_by_hash(hashes: &[u128]) -> Vec<(u128, u32)> {
    let bits = (usize::BITS - hashes.len().leading_zeros()).clamp(1, 20);
    let slot = |hash: u128| (hash >> (128 - bits)) as usize;
    let mut starts = vec![0u32; (1 << bits) + 1];
    for hash in hashes {
        starts[slot(*hash) + 1] += 1;
    }
    for i in 0..1 << bits {
        starts[i + 1] += starts[i];
    }
    // Each slot's next place: once every pair is placed, where the next
    // slot starts, so each slot is `start..starts[slot]`.
    let mut pairs: Vec<(u128, u32)> = vec![(0, 0); hashes.len()];
    for (i, hash) in hashes.iter().enumerate() {
        let at = &mut starts[slot(*hash)];
        pairs[*at as usize] = (*hash, i as u32);
        *at += 1;
    }
    let mut start = 0;
    for &end in &starts[..1 << bits] {
        if end - start > 1 {
            pairs[start as usize..end as usize].sort_unstable();
        }
        start = end;
    }
    pairs
}

/// [`group_positions_with`] given the order columns over every position.
#[cfg(test)]
pub fn group_positions(hashes: &[u128], order: &[Col<'_>]) -> (Vec<u32>, Vec<Range<usize>>) {
    group_positions_with(hashes, |rows| {
        let rows: Vec<Option<u32>> = rows.iter().map(|r| Some(*r)).collect();
        order.iter().map(|c| c.take(&rows)).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The order the fast sort must give: one stable sort by every column.
    fn reference(hashes: &[u128], order: &[Col<'_>]) -> Vec<u32> {
        let mut positions: Vec<u32> = (0..hashes.len() as u32).collect();
        positions.sort_by(|a, b| {
            let (a, b) = (*a as usize, *b as usize);
            hashes[a]
                .cmp(&hashes[b])
                .then_with(|| compare_rows(order, a, b))
        });
        positions
    }

    #[test]
    fn many_rows_sort_as_one_sort_by_hash_then_position() {
        // Thousands of rows, most slots of the counting sort holding one;
        // a few values repeat, so groups have several rows; the low bits
        // alone differ in some, the slot bits alone in others.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for n in [65, 1000, 40_000] {
            let hashes: Vec<u128> = (0..n)
                .map(|_| {
                    let r = next();
                    match r % 4 {
                        0 => (r % 50) as u128,
                        1 => ((r % 50) as u128) << 100,
                        _ => ((r as u128) << 64) | (next() % 3) as u128,
                    }
                })
                .collect();
            let (grouped, groups) = group_positions(&hashes, &[]);
            assert_eq!(grouped, reference(&hashes, &[]));
            assert_eq!(groups.iter().map(|g| g.len()).sum::<usize>(), hashes.len());
        }
    }

    proptest! {
        #[test]
        fn groups_are_contiguous_and_ordered_as_one_stable_sort(
            rows in proptest::collection::vec(
                (0u128..4, proptest::option::of(prop_oneof![Just(i64::MIN), Just(i64::MAX), -3i64..3]),
                 proptest::option::of(0i32..3), proptest::option::of("[ab]{0,2}")),
                0..60,
            ),
            text_first in any::<bool>(),
        ) {
            let hashes: Vec<u128> = rows.iter().map(|r| r.0).collect();
            let ints = Col::Ts(rows.iter().map(|r| r.1).collect());
            let dates = Col::Date(rows.iter().map(|r| r.2).collect());
            let texts = Col::Text(rows.iter().map(|r| r.3.as_deref()).collect());
            let order = if text_first {
                vec![texts, ints, dates]
            } else {
                vec![ints, texts, dates]
            };
            for order in [&order[..], &order[..1], &[]] {
                let (grouped, groups) = group_positions(&hashes, order);
                prop_assert_eq!(&grouped, &reference(&hashes, order));
                // Each group is one whole run of equal hashes.
                prop_assert_eq!(groups.iter().map(|g| g.len()).sum::<usize>(), hashes.len());
                for group in &groups {
                    let hash = hashes[grouped[group.start] as usize];
                    prop_assert!(grouped[group.clone()].iter().all(|p| hashes[*p as usize] == hash));
                }
                for pair in groups.windows(2) {
                    prop_assert_ne!(hashes[grouped[pair[0].start] as usize], hashes[grouped[pair[1].start] as usize]);
                }
            }
        }
    }
}
