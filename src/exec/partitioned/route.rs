//! Routing rows to buckets: by a hash of their key, or (lines) by the
//! bucket of the row a relation leads to. A bucket holds every row of its
//! keys, so buckets, and groups of them, run on their own.

use std::collections::HashMap;

use arrow::array::{Array, AsArray, RecordBatch, UInt32Array};
use arrow::datatypes::DataType;

use super::super::env::{Frame, key_texts};
use crate::plan::{Route, Routed};

/// Buckets the rows are spread over: enough that a bucket is a small part
/// of a dataset far larger than memory, few enough that each bucket gets
/// a useful slice of every batch.
pub const BUCKETS: usize = 128;

/// A 64-bit hash of each row's key (`None` where a key column is null):
/// one text column hashed as it is, other keys as their key text.
pub fn key_hashes(table: &str, batch: &RecordBatch, columns: &[String]) -> Vec<Option<u64>> {
    if let [column] = columns
        && let Some(array) = batch.column_by_name(column)
        && array.data_type() == &DataType::Utf8
    {
        let text = array.as_string::<i32>();
        // Rows with the same key often come together (a claim's lines):
        // comparing with the last key is cheaper than hashing it again.
        let mut last: Option<(&str, u64)> = None;
        return (0..text.len())
            .map(|i| {
                text.is_valid(i).then(|| {
                    let key = text.value(i);
                    match last {
                        Some((seen, hash)) if seen == key => hash,
                        _ => {
                            let hash = xxhash_rust::xxh3::xxh3_64(key.as_bytes());
                            last = Some((key, hash));
                            hash
                        }
                    }
                })
            })
            .collect();
    }
    let frame = Frame::new(table, batch.clone());
    key_texts(&frame, columns)
        .into_iter()
        .map(|k| k.map(|k| xxhash_rust::xxh3::xxh3_64(k.as_bytes())))
        .collect()
}

/// The bucket of a key hash; rows without a key share bucket 0.
pub fn bucket_of(hash: Option<u64>) -> u16 {
    // The top bits: the map below is keyed by the whole hash.
    hash.map_or(0, |h| ((h >> 40) % BUCKETS as u64) as u16)
}

/// Decides the bucket of every row of the routed tables.
pub struct Router {
    routed: Vec<Routed>,
    /// For a table other tables reach through a relation: the bucket of
    /// each of its keys (by 64-bit hash; two keys share a hash with
    /// probability about n²/2⁶⁵, below 10⁻⁵ for 10⁷ keys), in shards by
    /// the hash's top bits, filled in parallel.
    targets: HashMap<String, Vec<KeyBuckets>>,
}

type KeyBuckets = HashMap<u64, u16, foldhash::fast::RandomState>;

/// Shards of a target's key map: enough for both threads of a small
/// machine and the cores of a big one to fill them at once.
const KEY_SHARDS: usize = 64;

fn key_shard(hash: u64) -> usize {
    (hash >> 58) as usize % KEY_SHARDS
}

impl Router {
    pub fn new(routed: &[Routed]) -> Router {
        let targets = routed
            .iter()
            .filter_map(|r| match &r.route {
                Route::Relation { to_table, .. } => Some((
                    to_table.clone(),
                    (0..KEY_SHARDS).map(|_| KeyBuckets::default()).collect(),
                )),
                Route::Columns { .. } => None,
            })
            .collect();
        Router {
            routed: routed.to_vec(),
            targets,
        }
    }

    /// The position of `table` among the routed tables.
    pub fn index(&self, table: &str) -> Option<usize> {
        self.routed.iter().position(|r| r.table == table)
    }

    /// The bucket of each row of a batch of routed table `t`, and the
    /// hashes of its keys when other tables are routed through it. Many
    /// batches are assigned at once; [`Router::record`] then keeps the keys.
    pub fn assign(&self, t: usize, batch: &RecordBatch) -> Assigned {
        let Routed { table, route, .. } = &self.routed[t];
        let buckets: Vec<u16> = match route {
            Route::Columns { columns } => key_hashes(table, batch, columns)
                .into_iter()
                .map(bucket_of)
                .collect(),
            Route::Relation {
                from_columns,
                to_table,
                ..
            } => {
                let map = &self.targets[to_table];
                // Lines of a claim usually come together: the last claim's
                // bucket is tried before the (cache-cold) map.
                let mut last: Option<(u64, u16)> = None;
                key_hashes(table, batch, from_columns)
                    .into_iter()
                    .map(|h| {
                        let found = h.and_then(|h| match last {
                            Some((hash, bucket)) if hash == h => Some(bucket),
                            _ => {
                                let bucket = map[key_shard(h)].get(&h).copied()?;
                                last = Some((h, bucket));
                                Some(bucket)
                            }
                        });
                        // A row whose related row is missing goes by its own key.
                        found.unwrap_or(bucket_of(h))
                    })
                    .collect()
            }
        };
        let keys = self.targets.contains_key(table).then(|| {
            let key = self
                .routed
                .iter()
                .find_map(|r| match &r.route {
                    Route::Relation {
                        to_table,
                        to_columns,
                        ..
                    } if to_table == table => Some(to_columns.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            let mut by_shard: Vec<Vec<(u64, u16)>> = vec![Vec::new(); KEY_SHARDS];
            for (hash, bucket) in key_hashes(table, batch, &key).into_iter().zip(&buckets) {
                if let Some(hash) = hash {
                    by_shard[key_shard(hash)].push((hash, *bucket));
                }
            }
            by_shard
        });
        Assigned { buckets, keys }
    }

    /// Remembers the bucket of each key of the assigned batches of table
    /// `t` (a table other tables are routed through), in their order: a
    /// key seen twice keeps its last bucket. The shards fill in parallel.
    /// Whether a key's hash was already kept: the key repeats (or, about
    /// as rarely as above, two keys share a hash).
    pub fn record(&mut self, t: usize, assigned: &[&Assigned]) -> bool {
        use rayon::prelude::*;
        let table = &self.routed[t].table;
        let Some(shards) = self.targets.get_mut(table) else {
            return false;
        };
        shards
            .par_iter_mut()
            .enumerate()
            .map(|(s, map)| {
                let mut again = false;
                for keys in assigned.iter().filter_map(|a| a.keys.as_ref()) {
                    for (hash, bucket) in &keys[s] {
                        again |= map.insert(*hash, *bucket).is_some();
                    }
                }
                again
            })
            .reduce(|| false, |a, b| a || b)
    }
}

/// The buckets of a batch's rows, and its keys' hashes with their buckets,
/// by shard, when other tables are routed through its table.
pub struct Assigned {
    pub buckets: Vec<u16>,
    keys: Option<Vec<Vec<(u64, u16)>>>,
}

/// The rows of `batch` in each bucket, as (bucket, rows) in bucket order:
/// the batch reordered by bucket once (a counting sort, one copy), then
/// cut into slices that share its buffers until the buckets join them.
pub fn split(batch: &RecordBatch, buckets: &[u16]) -> Vec<(u16, RecordBatch)> {
    let mut starts = vec![0u32; BUCKETS + 1];
    for b in buckets {
        starts[*b as usize + 1] += 1;
    }
    for b in 0..BUCKETS {
        starts[b + 1] += starts[b];
    }
    let mut next = starts.clone();
    let mut order = vec![0u32; buckets.len()];
    for (row, b) in buckets.iter().enumerate() {
        order[next[*b as usize] as usize] = row as u32;
        next[*b as usize] += 1;
    }
    let sorted = arrow::compute::take_record_batch(batch, &UInt32Array::from(order))
        .expect("indices within the batch");
    (0..BUCKETS)
        .filter(|b| starts[b + 1] > starts[*b])
        .map(|b| {
            let (start, end) = (starts[b] as usize, starts[b + 1] as usize);
            (b as u16, sorted.slice(start, end - start))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int32Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    fn batch(ids: &[&str], values: &[i32]) -> RecordBatch {
        RecordBatch::try_new(
            Arc::new(Schema::new(vec![
                Field::new("id", DataType::Utf8, true),
                Field::new("v", DataType::Int32, false),
            ])),
            vec![
                Arc::new(StringArray::from(ids.to_vec())),
                Arc::new(Int32Array::from(values.to_vec())),
            ],
        )
        .unwrap()
    }

    #[test]
    fn splitting_keeps_every_row_once_in_its_bucket_and_order() {
        let values: Vec<i32> = (0..1000).collect();
        let ids: Vec<String> = values.iter().map(|v| format!("P{}", v % 37)).collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let input = batch(&ids, &values);
        let buckets: Vec<u16> = key_hashes("t", &input, &["id".to_string()])
            .into_iter()
            .map(bucket_of)
            .collect();
        let parts = split(&input, &buckets);
        let mut seen = Vec::new();
        for (bucket, part) in &parts {
            let v = part.column(1).as_primitive::<arrow::datatypes::Int32Type>();
            let rows: Vec<i32> = v.values().to_vec();
            // Rows keep their input order within a bucket.
            assert!(rows.windows(2).all(|w| w[0] < w[1]));
            assert!(rows.iter().all(|r| buckets[*r as usize] == *bucket));
            seen.extend(rows);
        }
        seen.sort_unstable();
        assert_eq!(seen, values);
    }

    #[test]
    fn rows_routed_through_a_relation_follow_the_row_it_leads_to() {
        let routed = vec![
            Routed {
                table: "claims".into(),
                route: Route::Columns {
                    columns: vec!["id".into()],
                },
                key_checked_per_partition: false,
                key_checked_while_routing: false,
                reference_checked_per_partition: false,
                ordered_by: None,
            },
            Routed {
                table: "lines".into(),
                route: Route::Relation {
                    relation: "claim".into(),
                    from_columns: vec!["id".into()],
                    to_table: "claims".into(),
                    to_columns: vec!["v_key".into()],
                },
                key_checked_per_partition: false,
                key_checked_while_routing: false,
                reference_checked_per_partition: false,
                ordered_by: None,
            },
        ];
        // Claims keyed by `v_key`, routed by patient `id`.
        let claims = RecordBatch::try_new(
            Arc::new(Schema::new(vec![
                Field::new("id", DataType::Utf8, true),
                Field::new("v_key", DataType::Utf8, true),
            ])),
            vec![
                Arc::new(StringArray::from(vec!["P1", "P2", "P3"])),
                Arc::new(StringArray::from(vec!["C1", "C2", "C3"])),
            ],
        )
        .unwrap();
        let mut router = Router::new(&routed);
        let assigned = router.assign(0, &claims);
        router.record(0, &[&assigned]);
        let lines = batch(&["C3", "C1", "C1", "C9"], &[0, 1, 2, 3]);
        let lines_assigned = router.assign(1, &lines);
        assert_eq!(lines_assigned.buckets[0], assigned.buckets[2]);
        assert_eq!(lines_assigned.buckets[1], assigned.buckets[0]);
        assert_eq!(lines_assigned.buckets[2], assigned.buckets[0]);
        // A line whose claim is missing goes by its own key, the same every time.
        let again = router.assign(1, &lines);
        assert_eq!(again.buckets[3], lines_assigned.buckets[3]);
    }
}
