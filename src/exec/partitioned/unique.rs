//! A routed table's key checked to be unique within each partition (see
//! `Routed::key_checked_per_partition`): rows with the same key always
//! meet in one partition, so the loader need not gather a hundred million
//! keys while reading.

use arrow::array::{ArrayRef, RecordBatch};
use rayon::prelude::*;

use crate::data::arrow_types::arrow_type;
use crate::data::load::keys::{hash_rows, hash_rows_64};
use crate::ir::Table;

/// Rows hashed per task.
const CHUNK: usize = 64 * 1024;

/// Shards the hashes are sorted in.
const SHARDS: usize = 256;

/// Whether two rows of `batch` hold the same key.
pub fn has_repeated_key(batch: &RecordBatch, table: &Table) -> bool {
    let Some(key) = &table.key else {
        return false;
    };
    let columns: Vec<ArrayRef> = key
        .iter()
        .map(|name| {
            let array = batch
                .column_by_name(name)
                .expect("the loader reads every key column");
            let contract = arrow_type(&table.column(name).expect("key columns exist").ty);
            if array.data_type() == &contract {
                array.clone()
            } else {
                // Held narrower in memory (a decimal, an enumeration).
                arrow::compute::cast(array, &contract).expect("compact storage casts back")
            }
        })
        .collect();
    if !any_repeated_64(&columns, batch.num_rows()) {
        return false;
    }
    // A key repeats, or two keys share a 64-bit hash: 128-bit hashes tell
    // which (rare, so done whole).
    let refs: Vec<&ArrayRef> = columns.iter().collect();
    let mut hashes: Vec<u128> = hash_rows(&refs, batch.num_rows())
        .into_iter()
        .flatten()
        .collect();
    hashes.par_sort_unstable();
    hashes.windows(2).any(|w| w[0] == w[1])
}

/// Whether two rows share a 64-bit hash of their key: hashed a chunk at a
/// time and spread over shards by their top bits, then each shard sorted
/// on its own (a shard stays in cache, where one sort of millions of
/// hashes would not).
fn any_repeated_64(columns: &[ArrayRef], rows: usize) -> bool {
    let pieces: Vec<Vec<Vec<u64>>> = (0..rows.div_ceil(CHUNK))
        .into_par_iter()
        .map(|chunk| {
            let start = chunk * CHUNK;
            let len = CHUNK.min(rows - start);
            let sliced: Vec<ArrayRef> = columns.iter().map(|a| a.slice(start, len)).collect();
            let refs: Vec<&ArrayRef> = sliced.iter().collect();
            let mut shards: Vec<Vec<u64>> = vec![Vec::new(); SHARDS];
            for hash in hash_rows_64(&refs, len).into_iter().flatten() {
                shards[(hash >> 56) as usize % SHARDS].push(hash);
            }
            shards
        })
        .collect();
    (0..SHARDS).into_par_iter().any(|s| {
        let mut shard: Vec<u64> = pieces.iter().flat_map(|p| p[s].iter().copied()).collect();
        shard.sort_unstable();
        shard.windows(2).any(|w| w[0] == w[1])
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int32Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    #[test]
    fn a_key_held_by_two_rows_is_repeated_and_rows_without_a_key_are_not() {
        let table = crate::check::chs_schema()
            .table("claim_items")
            .unwrap()
            .clone();
        let claim: ArrayRef = Arc::new(StringArray::from(vec![
            Some("C1"),
            Some("C1"),
            Some("C2"),
            Some("C1"),
            None,
            None,
        ]));
        let line: ArrayRef = Arc::new(Int32Array::from(vec![1, 2, 1, 1, 3, 3]));
        let batch = RecordBatch::try_new(
            Arc::new(Schema::new(vec![
                Field::new("claim_id", DataType::Utf8, true),
                Field::new("line_no", DataType::Int32, false),
            ])),
            vec![claim, line],
        )
        .unwrap();
        // (C1, 1) twice.
        assert!(has_repeated_key(&batch, &table));
        // Without the first row, no key repeats; rows without a claim
        // (the last two, alike) have no key.
        assert!(!has_repeated_key(&batch.slice(1, 5), &table));
    }
}
