//! Sorting rows by keys and cutting them into groups.

use std::cmp::Ordering;
use std::ops::Range;

use super::col::Col;

/// Positions `0..n` sorted by the columns in turn (nulls last), ties kept
/// in their order (the caller's order is the table's key order).
pub fn sort_positions(columns: &[Col<'_>], n: usize) -> Vec<u32> {
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_by(|a, b| compare_rows(columns, *a as usize, *b as usize));
    order
}

pub fn compare_rows(columns: &[Col<'_>], a: usize, b: usize) -> Ordering {
    for column in columns {
        let ord = column.get(a).compare_nulls_last(&column.get(b));
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

/// A 128-bit hash of each row's values in `columns`: rows with equal
/// values (nulls equal, 1.50 equal to 1.5) hash equal, and distinct values
/// collide with a probability of about n²/2¹²⁹, far below one in 10²⁰.
pub fn row_hashes(columns: &[Col<'_>], n: usize) -> Vec<u128> {
    let mut buffer: Vec<u8> = Vec::with_capacity(64);
    (0..n)
        .map(|row| {
            buffer.clear();
            for column in columns {
                encode(column, row, &mut buffer);
            }
            xxhash_rust::xxh3::xxh3_128(&buffer)
        })
        .collect()
}

/// The bytes of one value for hashing: a tag, then the value.
pub fn encode(column: &Col<'_>, row: usize, out: &mut Vec<u8>) {
    use super::col::Tri;
    match column {
        Col::Text(v) => match v[row] {
            Some(t) => {
                out.push(1);
                out.extend_from_slice(&(t.len() as u32).to_le_bytes());
                out.extend_from_slice(t.as_bytes());
            }
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

/// Positions sorted by group hash, then by `order` columns (nulls last),
/// ties kept in their order.
pub fn sort_by_group(hashes: &[u128], order: &[Col<'_>]) -> Vec<u32> {
    let mut positions: Vec<u32> = (0..hashes.len() as u32).collect();
    positions.sort_by(|a, b| {
        let (a, b) = (*a as usize, *b as usize);
        hashes[a]
            .cmp(&hashes[b])
            .then_with(|| compare_rows(order, a, b))
    });
    positions
}

/// Runs of consecutive positions with the same hash.
pub fn hash_runs(hashes: &[u128]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=hashes.len() {
        if i == hashes.len() || hashes[i] != hashes[i - 1] {
            if start < i {
                out.push(start..i);
            }
            start = i;
        }
    }
    out
}
