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

/// Runs of consecutive positions with equal values in `columns`.
pub fn runs(columns: &[Col<'_>], n: usize) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=n {
        if i == n || compare_rows(columns, i - 1, i) != Ordering::Equal {
            if start < i {
                out.push(start..i);
            }
            start = i;
        }
    }
    out
}
