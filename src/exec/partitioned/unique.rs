//! A routed table's key checked to be unique within each partition (see
//! `Routed::key_checked_per_partition`): rows with the same key always
//! meet in one partition, so the loader need not gather a hundred million
//! keys while reading.

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::buffer::NullBuffer;
use arrow::datatypes::{DataType, Int32Type, Int64Type};
use rayon::prelude::*;

use super::super::env::{Env, Frame};
use super::super::tables::NO_ROW;
use crate::data::arrow_types::arrow_type;
use crate::data::load::keys::{hash_rows, hash_rows_64};
use crate::ir::Table;
use crate::plan::{Route, Routed};

/// Rows hashed per task.
const CHUNK: usize = 64 * 1024;

/// Shards the hashes are sorted in.
const SHARDS: usize = 256;

/// Whether two rows of `frame` (of `routed`'s table) hold the same key.
/// A table routed through a relation whose columns start its key (lines
/// by their claim) is checked through the relation's lookup, already
/// built for the rules: rows meet by their related row, and only the rest
/// of the key is hashed.
pub fn repeats_in(env: &Env<'_>, routed: &Routed, frame: &Frame, table: &Table) -> bool {
    if let Route::Relation {
        relation,
        from_columns,
        ..
    } = &routed.route
        && let Some(related) = env.lookups.get(&(routed.table.clone(), relation.clone()))
        && let Some(repeats) = repeated_through(&frame.batch, table, from_columns, related)
    {
        return repeats;
    }
    has_repeated_key(&frame.batch, table)
}

/// [`has_repeated_key`] for a key that holds `from_columns`, given each
/// row's related row through them (`related`): two rows with the same
/// values there have the same related row and the reverse, so rows are
/// grouped by that row (a counting sort) and only the key's other columns
/// compared (a line number as itself, other columns by 64-bit hashes); a
/// match is confirmed on the whole key.
/// `None` when it cannot tell: a row whose columns are all given leads to
/// no row.
fn repeated_through(
    batch: &RecordBatch,
    table: &Table,
    from_columns: &[String],
    related: &[u32],
) -> Option<bool> {
    let Some(key) = &table.key else {
        return Some(false);
    };
    if !from_columns.iter().all(|c| key.contains(c)) || related.len() != batch.num_rows() {
        return None;
    }
    let given: Vec<&ArrayRef> = from_columns
        .iter()
        .map(|c| batch.column_by_name(c))
        .collect::<Option<_>>()?;
    let rest: Vec<String> = key
        .iter()
        .filter(|c| !from_columns.contains(c))
        .cloned()
        .collect();
    let rest = contract_columns(batch, table, &rest);
    let rows = batch.num_rows();
    // Rows with every key column given; the others have no key.
    let nulls = given
        .iter()
        .copied()
        .chain(&rest)
        .fold(None, |acc: Option<NullBuffer>, c| {
            NullBuffer::union(acc.as_ref(), c.logical_nulls().as_ref())
        });
    let keyed = |row: usize| nulls.as_ref().is_none_or(|n| n.is_valid(row));
    // The rest of the key as a number: itself when it is one integer
    // column (a line number), else its 64-bit hash.
    let values: Vec<u64> = match rest.as_slice() {
        [] => vec![0; rows],
        [one] if one.data_type() == &DataType::Int32 => {
            let ints = one.as_primitive::<Int32Type>();
            ints.values().iter().map(|v| *v as u32 as u64).collect()
        }
        [one] if one.data_type() == &DataType::Int64 => {
            let ints = one.as_primitive::<Int64Type>();
            ints.values().iter().map(|v| *v as u64).collect()
        }
        _ => {
            let refs: Vec<&ArrayRef> = rest.iter().collect();
            hash_rows_64(&refs, rows)
                .into_iter()
                .map(|h| h.unwrap_or_default())
                .collect()
        }
    };
    let targets = related
        .iter()
        .filter(|t| **t != NO_ROW)
        .max()
        .map_or(0, |t| *t as usize + 1);
    let mut starts = vec![0u32; targets + 1];
    for (row, &to) in related.iter().enumerate() {
        if keyed(row) {
            if to == NO_ROW {
                return None;
            }
            starts[to as usize + 1] += 1;
        }
    }
    for t in 0..targets {
        starts[t + 1] += starts[t];
    }
    let mut next = starts.clone();
    let mut grouped = vec![0u64; starts[targets] as usize];
    for (row, &to) in related.iter().enumerate() {
        if keyed(row) {
            let slot = &mut next[to as usize];
            grouped[*slot as usize] = values[row];
            *slot += 1;
        }
    }
    let collides = starts.windows(2).any(|w| {
        let group = &mut grouped[w[0] as usize..w[1] as usize];
        group.len() > 1 && {
            group.sort_unstable();
            group.windows(2).any(|p| p[0] == p[1])
        }
    });
    Some(collides && has_repeated_key(batch, table))
}

/// `names` of `batch` in the contract's types (a scan holds some narrower).
fn contract_columns(batch: &RecordBatch, table: &Table, names: &[String]) -> Vec<ArrayRef> {
    names
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
        .collect()
}

/// Whether two rows of `batch` hold the same key.
pub fn has_repeated_key(batch: &RecordBatch, table: &Table) -> bool {
    let Some(key) = &table.key else {
        return false;
    };
    let columns = contract_columns(batch, table, key);
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

    /// The `claim_items` table and a batch of its key columns.
    fn lines(claims: &[Option<&str>], line_nos: &[i32]) -> (Table, RecordBatch) {
        let table = crate::check::chs_schema()
            .table("claim_items")
            .unwrap()
            .clone();
        let batch = RecordBatch::try_new(
            Arc::new(Schema::new(vec![
                Field::new("claim_id", DataType::Utf8, true),
                Field::new("line_no", DataType::Int32, false),
            ])),
            vec![
                Arc::new(StringArray::from(claims.to_vec())),
                Arc::new(Int32Array::from(line_nos.to_vec())),
            ],
        )
        .unwrap();
        (table, batch)
    }

    #[test]
    fn a_key_held_by_two_rows_is_repeated_and_rows_without_a_key_are_not() {
        let (table, batch) = lines(
            &[Some("C1"), Some("C1"), Some("C2"), Some("C1"), None, None],
            &[1, 2, 1, 1, 3, 3],
        );
        // (C1, 1) twice.
        assert!(has_repeated_key(&batch, &table));
        // Without the first row, no key repeats; rows without a claim
        // (the last two, alike) have no key.
        assert!(!has_repeated_key(&batch.slice(1, 5), &table));
    }

    #[test]
    fn a_key_checked_through_its_relation_agrees_with_hashing_it() {
        let (table, batch) = lines(
            &[Some("C1"), Some("C2"), Some("C1"), None, None, Some("C1")],
            &[1, 1, 2, 3, 3, 1],
        );
        let claim_rows = [4, 7, 4, NO_ROW, NO_ROW, 4];
        let through = |rows: usize, related: &[u32]| {
            repeated_through(
                &batch.slice(0, rows),
                &table,
                &["claim_id".to_string()],
                related,
            )
        };
        // (C1, 1) in the first and last rows; rows without a claim have no key.
        assert_eq!(through(6, &claim_rows), Some(true));
        assert_eq!(through(5, &claim_rows[..5]), Some(false));
        // A claim given but found nowhere: hashing the whole key decides.
        assert_eq!(through(3, &[4, NO_ROW, 4]), None);
    }
}
