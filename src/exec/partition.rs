//! Splitting rows for parallel work: a table into batches of rows, and
//! rows into partitions by a hash of a key, so that all rows of a key meet
//! in one partition. Shared by the dispatcher (group, window and sequence
//! rules share the partitioning of their first key) and by pair rules
//! (both sides bucketed by the hash of their key alone).

use std::collections::HashMap;
use std::ops::Range;

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64;

use super::col::Col;
use super::env::Env;
use super::eval::Ctx;
use crate::ir::{TExpr, TExprKind, Var};

/// `rows` rows split into batches of `size`.
pub fn chunks(rows: usize, size: usize) -> Vec<Range<usize>> {
    let size = size.max(1);
    (0..rows)
        .step_by(size)
        .map(|s| s..(s + size).min(rows))
        .collect()
}

/// The partition of row `i` of `value` by its hash alone (both sides of a
/// pair rule must agree without seeing each other's rows); `bytes` is
/// scratch space, reused from row to row.
pub fn partition_of(value: &Col<'_>, i: usize, partitions: usize, bytes: &mut Vec<u8>) -> u16 {
    (key_hash(value, i, bytes) % partitions.max(1) as u64) as u16
}

/// The partition of every row of `table` by `key` (of `partitions`,
/// evaluated in batches of `batch_rows`).
pub fn partition_all(
    env: &Env<'_>,
    table: &str,
    key: &TExpr,
    batch_rows: usize,
    partitions: usize,
) -> Vec<u16> {
    partitions_and_null(env, table, key, batch_rows, partitions).0
}

/// `rows` split by their partition in `ids` (of `partitions`).
pub fn split(rows: Vec<u32>, ids: &[u16], partitions: usize) -> Vec<Vec<u32>> {
    let mut buckets: Vec<Vec<u32>> = vec![Vec::new(); partitions.max(1)];
    for row in rows {
        buckets[ids[row as usize] as usize].push(row);
    }
    buckets
}

/// [`partition_all`], and the partition of rows whose key is null.
///
/// A key's partition follows the position of its first row: rows stored
/// together by key (a patient's claims, usually) make each partition one
/// stretch of the table, so a partition's rules read memory in order
/// instead of a row here and there. Equal keys share a partition whatever
/// the order (the mapping is by value); keys are spread over partitions in
/// proportion to the rows before them.
fn partitions_and_null(
    env: &Env<'_>,
    table: &str,
    key: &TExpr,
    batch_rows: usize,
    partitions: usize,
) -> (Vec<u16>, u16) {
    // A column of a related row (`line.claim.patient_id`): partition the
    // related table, which has fewer rows, and follow the relation.
    if let TExprKind::Column {
        var: Var::Row,
        path,
        column,
    } = &key.kind
        && let Some(last) = path.last()
    {
        let own = TExpr::new(
            TExprKind::Column {
                var: Var::Row,
                path: Vec::new(),
                column: column.clone(),
            },
            key.ty.clone(),
            key.span,
        );
        // A row without a related row has a null key, like a related row
        // whose key is null: the two share a partition.
        let (related, null) = partitions_and_null(env, &last.table, &own, batch_rows, partitions);
        let rows = env.frame(table).rows();
        let ids = chunks(rows, batch_rows)
            .into_par_iter()
            .flat_map_iter(|range| {
                let ctx = Ctx::new(env, table, range.map(|r| Some(r as u32)).collect());
                let (_, reached) = ctx.navigate(Var::Row, path);
                reached
                    .into_iter()
                    .map(|r| r.map_or(null, |r| related[r as usize]))
                    .collect::<Vec<_>>()
            })
            .collect();
        return (ids, null);
    }
    let rows = env.frame(table).rows();
    let hashes: Vec<u64> = chunks(rows, batch_rows)
        .into_par_iter()
        .flat_map(|range| {
            let ctx = Ctx::new(env, table, range.clone().map(|r| Some(r as u32)).collect());
            let values = ctx.eval(key);
            let mut bytes = Vec::with_capacity(32);
            // A patient's claims come together: a text equal to the last
            // row's takes its hash without hashing it again.
            let mut last: Option<(&str, u64)> = None;
            (0..range.len())
                .map(|i| match (&values, &last) {
                    (Col::Text(texts), Some((text, hash))) if texts[i] == Some(*text) => *hash,
                    (Col::Text(texts), _) => {
                        let hash = key_hash(&values, i, &mut bytes);
                        last = texts[i].map(|text| (text, hash));
                        hash
                    }
                    _ => key_hash(&values, i, &mut bytes),
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let (ids, first) = by_first_row(&hashes, partitions);
    let null_hash = key_hash(&Col::Row(vec![None]), 0, &mut Vec::new());
    let null = first.get(null_hash).unwrap_or(0);
    (ids, null)
}

type FirstPartition = HashMap<u64, u16, foldhash::fast::FixedState>;

/// Shards of the map of each key's partition, filled side by side: one
/// map filled row by row was a stretch where one thread worked alone.
const FIRST_SHARDS: usize = 16;

fn first_shard(hash: u64) -> usize {
    (hash >> 60) as usize % FIRST_SHARDS
}

/// The partition of each key hash, in shards by [`first_shard`].
struct FirstPartitions(Vec<FirstPartition>);

impl FirstPartitions {
    fn get(&self, hash: u64) -> Option<u16> {
        self.0[first_shard(hash)].get(&hash).copied()
    }
}

/// The partition of each row by the position of the first row with its
/// key hash (of `partitions`, each for an equal share of the rows), and
/// the partition of each hash. Runs of one hash (a patient's claims, which
/// come together) are looked up once; the shards on the current pool.
fn by_first_row(hashes: &[u64], partitions: usize) -> (Vec<u16>, FirstPartitions) {
    let partitions = partitions.clamp(1, u16::MAX as usize);
    let rows = hashes.len().max(1);
    let starts: Vec<u32> = (0..hashes.len())
        .filter(|&r| r == 0 || hashes[r] != hashes[r - 1])
        .map(|r| r as u32)
        .collect();
    // Each shard takes its runs in row order, so a hash keeps the
    // partition of its first row.
    let shards: Vec<(FirstPartition, Vec<(u32, u16)>)> = (0..FIRST_SHARDS)
        .into_par_iter()
        .map(|shard| {
            let mut first = FirstPartition::with_capacity_and_hasher(
                starts.len() / FIRST_SHARDS * 5 / 4 + 16,
                Default::default(),
            );
            let mut of_runs = Vec::new();
            for (run, &start) in starts.iter().enumerate() {
                let hash = hashes[start as usize];
                if first_shard(hash) != shard {
                    continue;
                }
                let id = *first
                    .entry(hash)
                    .or_insert((start as usize * partitions / rows) as u16);
                of_runs.push((run as u32, id));
            }
            (first, of_runs)
        })
        .collect();
    let mut run_ids = vec![0u16; starts.len()];
    for (_, of_runs) in &shards {
        for &(run, id) in of_runs {
            run_ids[run as usize] = id;
        }
    }
    let mut ids = Vec::with_capacity(hashes.len());
    for (run, &start) in starts.iter().enumerate() {
        let end = starts.get(run + 1).map_or(hashes.len(), |e| *e as usize);
        ids.resize(ids.len() + (end - start as usize), run_ids[run]);
    }
    let first = FirstPartitions(shards.into_iter().map(|(first, _)| first).collect());
    (ids, first)
}

/// A 64-bit hash of row `i` of `value` (`bytes` is scratch space): equal
/// values hash equal; a null of any type hashes as every other null.
fn key_hash(value: &Col<'_>, i: usize, bytes: &mut Vec<u8>) -> u64 {
    bytes.clear();
    super::order::encode(value, i, bytes);
    xxh3_64(bytes)
}

#[cfg(test)]
mod tests {
    use super::by_first_row;

    #[test]
    fn a_key_takes_the_partition_of_its_first_row() {
        let (ids, first) = by_first_row(&[5, 5, 7, 7, 5, 9], 3);
        assert_eq!(ids, vec![0, 0, 1, 1, 0, 2]);
        assert_eq!(first.0.iter().map(|shard| shard.len()).sum::<usize>(), 3);
        // More partitions than rows, and no rows at all.
        assert_eq!(by_first_row(&[1, 2], 64).0, vec![0, 32]);
        assert!(by_first_row(&[], 64).0.is_empty());
    }

    /// The map filled row by row, as it was before it was sharded.
    fn one_by_one(hashes: &[u64], partitions: usize) -> Vec<u16> {
        let rows = hashes.len().max(1);
        let mut first = std::collections::HashMap::new();
        hashes
            .iter()
            .enumerate()
            .map(|(row, hash)| {
                *first
                    .entry(*hash)
                    .or_insert((row * partitions / rows) as u16)
            })
            .collect()
    }

    proptest::proptest! {
        #[test]
        fn sharded_first_rows_give_every_row_its_keys_first_partition(
            keys in proptest::collection::vec(0u64..40, 0..300),
            partitions in 1usize..70,
        ) {
            // Spread over the shards, in runs and repeated apart.
            let hashes: Vec<u64> = keys.iter().map(|k| k.wrapping_mul(0x9E37_79B9_7F4A_7C15)).collect();
            let (ids, first) = by_first_row(&hashes, partitions);
            proptest::prop_assert_eq!(&ids, &one_by_one(&hashes, partitions));
            for (hash, id) in hashes.iter().zip(&ids) {
                proptest::prop_assert_eq!(first.get(*hash), Some(*id));
            }
        }
    }
}
