//! Lookups along relations: for each row, the row it refers to.

use arrow::array::{Array, AsArray};
use arrow::datatypes::DataType;
use rayon::prelude::*;

use super::env::{Frame, key_texts};
use super::tables::NO_ROW;
use crate::ir::Relation;

/// Rows probed in one run by one thread.
const PROBE_RUN: usize = 64 * 1024;

/// For each row of `from`, the row of `to` whose key equals its columns
/// ([`NO_ROW`] if none). The target's key index is built once per frame.
/// The probes are split over the pool when `parallel`.
pub fn build_lookup(relation: &Relation, from: &Frame, to: &Frame, parallel: bool) -> Vec<u32> {
    let index = to.key_index(&relation.to_columns);
    // One text key, the usual case: look the strings up without copying them.
    if let [column] = relation.from_columns.as_slice()
        && let Some(array) = from.column(column)
        && array.data_type() == &DataType::Utf8
    {
        let keys = array.as_string::<i32>();
        // Probes are independent: split them over the pool's threads, each
        // run of rows with its own prober (which remembers where it was).
        let mut out = vec![NO_ROW; keys.len()];
        let probe = |(run, slots): (usize, &mut [u32])| {
            let mut prober = index.prober(to);
            for (i, slot) in slots.iter_mut().enumerate() {
                let row = run * PROBE_RUN + i;
                if keys.is_valid(row)
                    && let Some(found) = prober.find(keys.value(row))
                {
                    *slot = found;
                }
            }
        };
        if parallel {
            out.par_chunks_mut(PROBE_RUN).enumerate().for_each(probe);
        } else {
            out.chunks_mut(PROBE_RUN).enumerate().for_each(probe);
        }
        return out;
    }
    let mut prober = index.prober(to);
    key_texts(from, &relation.from_columns)
        .into_iter()
        .map(|key| key.and_then(|k| prober.find(&k)).unwrap_or(NO_ROW))
        .collect()
}
