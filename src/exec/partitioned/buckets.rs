//! The routed rows, bucket by bucket: held in memory up to a budget, the
//! largest buckets spilled to files past it.

use arrow::array::RecordBatch;

use super::super::read::concat_by_column;
use super::route::BUCKETS;
use super::spill::{SpillDir, Spilled, read_spilled};
use crate::ir::Table;

/// Rows of a bucket gathered before they are joined into one batch: the
/// slices each input batch gives a bucket are small.
const JOIN_ROWS: usize = 8 * 1024;

/// One bucket of one routed table.
#[derive(Default)]
struct Part {
    /// Slices not yet joined.
    pending: Vec<RecordBatch>,
    pending_rows: usize,
    /// Joined batches in memory.
    held: Vec<RecordBatch>,
    /// Batches spilled, in the order they were written.
    spilled: Vec<Spilled>,
}

pub struct Buckets {
    /// The routed tables' schemas.
    tables: Vec<Table>,
    /// [bucket][table]
    parts: Vec<Vec<Part>>,
    /// Bytes held in memory per bucket, and in all.
    held_bytes: Vec<u64>,
    held_total: u64,
    /// Bytes each bucket spilled (as held in memory before).
    spilled_bytes: Vec<u64>,
    rows: Vec<u64>,
    budget: u64,
    /// Resident memory past which buckets are spilled whatever they hold:
    /// what the loader keeps while reading counts against the limit too.
    resident_limit: u64,
}

impl Buckets {
    /// Buckets for the routed `tables`, holding up to `budget` bytes, and
    /// less when the process holds more than `resident_limit`.
    pub fn new(tables: Vec<Table>, budget: u64, resident_limit: u64) -> Buckets {
        Buckets {
            parts: (0..BUCKETS)
                .map(|_| tables.iter().map(|_| Part::default()).collect())
                .collect(),
            tables,
            held_bytes: vec![0; BUCKETS],
            held_total: 0,
            spilled_bytes: vec![0; BUCKETS],
            rows: vec![0; BUCKETS],
            budget,
            resident_limit,
        }
    }

    /// Adds rows of table `t` to `bucket`, to be joined by
    /// [`Buckets::join_full`].
    pub fn add(&mut self, bucket: u16, t: usize, rows: RecordBatch) {
        let b = bucket as usize;
        self.rows[b] += rows.num_rows() as u64;
        let part = &mut self.parts[b][t];
        part.pending_rows += rows.num_rows();
        part.pending.push(rows);
    }

    /// Joins the pending slices of table `t` into one batch in each bucket
    /// that has enough of them (every bucket when `all`: the table's rows
    /// are all in), the buckets in parallel on the current pool; then
    /// spills if the budget is passed.
    pub fn join_full(&mut self, t: usize, all: bool, spill: &mut SpillDir) -> std::io::Result<()> {
        use rayon::prelude::*;
        let least = if all { 1 } else { JOIN_ROWS };
        let table = &self.tables[t];
        let joined: Vec<(usize, u64)> = self
            .parts
            .par_iter_mut()
            .enumerate()
            .filter(|(_, parts)| parts[t].pending_rows >= least)
            .map(|(b, parts)| (b, join(&mut parts[t], table)))
            .collect();
        for (b, bytes) in joined {
            self.held_bytes[b] += bytes;
            self.held_total += bytes;
        }
        self.spill_past_budget(spill)
    }

    /// Spills the largest buckets until what is held is well under budget.
    fn spill_past_budget(&mut self, spill: &mut SpillDir) -> std::io::Result<()> {
        let resident = || crate::data::memory::resident_bytes().unwrap_or(0);
        let crowded = self.held_total > 0 && resident() > self.resident_limit;
        if self.held_total <= self.budget && !crowded {
            return Ok(());
        }
        let goal = if crowded {
            self.held_total / 2
        } else {
            self.budget / 4 * 3
        };
        // The largest buckets first, until what stays is under the goal;
        // their files are written in parallel.
        let mut chosen = Vec::new();
        let mut staying = self.held_total;
        let mut order: Vec<usize> = (0..BUCKETS).filter(|b| self.held_bytes[*b] > 0).collect();
        order.sort_by_key(|b| (std::cmp::Reverse(self.held_bytes[*b]), *b));
        for b in order {
            if staying <= goal {
                break;
            }
            staying -= self.held_bytes[b];
            chosen.push(b);
        }
        self.spill_buckets(chosen, spill)
    }

    /// Spills what buckets `from..` hold, the largest first, until at least
    /// `bytes` are spilled or nothing is left: room for the partitions
    /// before them to run. Returns the bytes spilled.
    pub fn spill_from(
        &mut self,
        from: usize,
        bytes: u64,
        spill: &mut SpillDir,
    ) -> std::io::Result<u64> {
        let mut order: Vec<usize> = (from..BUCKETS)
            .filter(|b| self.held_bytes[*b] > 0)
            .collect();
        order.sort_by_key(|b| (std::cmp::Reverse(self.held_bytes[*b]), *b));
        let mut chosen = Vec::new();
        let mut freed = 0;
        for b in order {
            if freed >= bytes {
                break;
            }
            freed += self.held_bytes[b];
            chosen.push(b);
        }
        self.spill_buckets(chosen, spill)?;
        Ok(freed)
    }

    /// Writes what `chosen` buckets hold to one spill file, in parallel.
    fn spill_buckets(&mut self, chosen: Vec<usize>, spill: &mut SpillDir) -> std::io::Result<()> {
        if chosen.is_empty() {
            return Ok(());
        }
        let mut taken: Vec<(usize, usize, Vec<RecordBatch>)> = Vec::new();
        for &b in &chosen {
            for (t, part) in self.parts[b].iter_mut().enumerate() {
                if !part.held.is_empty() {
                    taken.push((b, t, std::mem::take(&mut part.held)));
                }
            }
        }
        let lists: Vec<&[RecordBatch]> = taken.iter().map(|(_, _, held)| held.as_slice()).collect();
        let written = spill.write_all(&lists)?;
        for ((b, t, _), spilled) in taken.iter().zip(written) {
            self.parts[*b][*t].spilled.push(spilled);
        }
        for b in chosen {
            self.held_total -= self.held_bytes[b];
            self.spilled_bytes[b] += self.held_bytes[b];
            self.held_bytes[b] = 0;
        }
        Ok(())
    }

    /// Bytes of `bucket` in memory and spilled.
    pub fn bytes(&self, bucket: usize) -> u64 {
        self.held_bytes[bucket] + self.spilled_bytes[bucket]
    }

    pub fn rows(&self, bucket: usize) -> u64 {
        self.rows[bucket]
    }

    /// Takes `bucket`'s batches of each table, reading back what was spilled.
    #[cfg(test)]
    pub fn take(&mut self, bucket: usize) -> std::io::Result<Vec<Vec<RecordBatch>>> {
        self.take_group(bucket..bucket + 1)
    }

    /// Takes the batches of each table of consecutive buckets, in bucket
    /// order, reading back what they spilled (the files in parallel, on
    /// the current pool).
    pub fn take_group(
        &mut self,
        group: std::ops::Range<usize>,
    ) -> std::io::Result<Vec<Vec<RecordBatch>>> {
        use rayon::prelude::*;
        // Each part's spilled lists, bucket by bucket, table by table.
        let mut spilled: Vec<Vec<Spilled>> = Vec::new();
        for b in group.clone() {
            for part in &mut self.parts[b] {
                spilled.push(std::mem::take(&mut part.spilled));
            }
        }
        let counts: Vec<usize> = spilled.iter().map(Vec::len).collect();
        let read = spilled
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(read_spilled)
            .collect::<std::io::Result<Vec<_>>>()?;
        let mut read = read.into_iter();
        let mut counts = counts.into_iter();
        let mut out: Vec<Vec<RecordBatch>> = vec![Vec::new(); self.tables.len()];
        for b in group {
            for (t, part) in self.parts[b].iter_mut().enumerate() {
                let spilled = counts.next().unwrap_or(0);
                for batches in read.by_ref().take(spilled) {
                    out[t].extend(batches);
                }
                out[t].append(&mut part.held);
                out[t].append(&mut part.pending);
                part.pending_rows = 0;
            }
            self.held_total -= self.held_bytes[b];
            self.held_bytes[b] = 0;
            self.spilled_bytes[b] = 0;
        }
        Ok(out)
    }
}

/// Joins a part's pending slices into one batch it holds (a slice keeps
/// the whole batch it was cut from), and returns that batch's size.
fn join(part: &mut Part, table: &Table) -> u64 {
    let pending = std::mem::take(&mut part.pending);
    part.pending_rows = 0;
    let joined = concat_by_column(pending, table);
    let bytes = joined.get_array_memory_size() as u64;
    part.held.push(joined);
    bytes
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{AsArray, Int32Array};
    use arrow::datatypes::{DataType, Field, Int32Type, Schema};

    use super::*;

    fn rows(values: std::ops::Range<i32>) -> RecordBatch {
        RecordBatch::try_new(
            Arc::new(Schema::new(vec![Field::new("v", DataType::Int32, false)])),
            vec![Arc::new(Int32Array::from(values.collect::<Vec<_>>()))],
        )
        .unwrap()
    }

    fn values(batches: &[RecordBatch]) -> Vec<i32> {
        batches
            .iter()
            .flat_map(|b| b.column(0).as_primitive::<Int32Type>().values().to_vec())
            .collect()
    }

    #[test]
    fn spilled_buckets_give_back_every_row_in_order() {
        let schema = crate::check::chs_schema();
        let table = schema.table("claims").unwrap().clone();
        let temp = tempfile::tempdir().unwrap();
        let mut spill = SpillDir::create(temp.path()).unwrap();
        // A budget of a few kilobytes: most of what is pushed is spilled.
        let mut buckets = Buckets::new(vec![table], 4096, u64::MAX);
        for start in (0..40_000).step_by(1000) {
            buckets.add(3, 0, rows(start..start + 500));
            buckets.add(7, 0, rows(start + 500..start + 1000));
            buckets.join_full(0, false, &mut spill).unwrap();
        }
        buckets.join_full(0, true, &mut spill).unwrap();
        assert!(spill.bytes_written() > 0, "nothing was spilled");
        assert_eq!(buckets.rows(3), 20_000);
        let three = values(&buckets.take(3).unwrap()[0]);
        let expected: Vec<i32> = (0..40_000).filter(|v| v % 1000 < 500).collect();
        assert_eq!(three, expected);
        let seven = values(&buckets.take(7).unwrap()[0]);
        assert_eq!(seven.len(), 20_000);
        assert_eq!(buckets.bytes(3) + buckets.bytes(7), 0);
        assert!(buckets.take(5).unwrap()[0].is_empty());
    }
}
