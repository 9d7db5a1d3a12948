//! Rows arriving from the loader, routed to their buckets: a few batches
//! at a time, hashed and split in parallel (the loader hands batches over
//! one by one), then joined bucket by bucket, the buckets in parallel.

use arrow::array::RecordBatch;
use rayon::prelude::*;

use super::buckets::Buckets;
use super::route::{Router, split};
use super::spill::SpillDir;

pub struct Intake<'p> {
    router: Router,
    pub buckets: Buckets,
    pool: &'p rayon::ThreadPool,
    /// The routed table being read, and its batches not yet routed.
    current: Option<usize>,
    queue: Vec<RecordBatch>,
    /// Routed tables (by position) a key of which the router saw twice.
    pub repeated_keys: Vec<usize>,
}

impl<'p> Intake<'p> {
    pub fn new(router: Router, buckets: Buckets, pool: &'p rayon::ThreadPool) -> Intake<'p> {
        Intake {
            router,
            buckets,
            pool,
            current: None,
            queue: Vec::new(),
            repeated_keys: Vec::new(),
        }
    }

    /// The routed table `table` is, if it is routed.
    pub fn index(&self, table: &str) -> Option<usize> {
        self.router.index(table)
    }

    /// Takes a batch of routed table `t`.
    pub fn accept(
        &mut self,
        t: usize,
        batch: RecordBatch,
        spill: &mut SpillDir,
    ) -> std::io::Result<()> {
        if self.current != Some(t) {
            self.finish(spill)?;
            self.current = Some(t);
        }
        self.queue.push(batch);
        if self.queue.len() >= 2 * self.pool.current_num_threads() {
            self.flush(spill)?;
        }
        Ok(())
    }

    fn flush(&mut self, spill: &mut SpillDir) -> std::io::Result<()> {
        let Some(t) = self.current else {
            return Ok(());
        };
        let queue = std::mem::take(&mut self.queue);
        let router = &self.router;
        let routed: Vec<_> = self.pool.install(|| {
            queue
                .par_iter()
                .map(|batch| {
                    let assigned = router.assign(t, batch);
                    let parts = split(batch, &assigned.buckets);
                    (assigned, parts)
                })
                .collect()
        });
        drop(queue);
        let assigned: Vec<&_> = routed.iter().map(|(assigned, _)| assigned).collect();
        if self.pool.install(|| self.router.record(t, &assigned))
            && !self.repeated_keys.contains(&t)
        {
            self.repeated_keys.push(t);
        }
        for (_, parts) in routed {
            for (bucket, part) in parts {
                self.buckets.add(bucket, t, part);
            }
        }
        let buckets = &mut self.buckets;
        self.pool.install(|| buckets.join_full(t, false, spill))
    }

    /// Routes what is queued and ends the current table.
    pub fn finish(&mut self, spill: &mut SpillDir) -> std::io::Result<()> {
        self.flush(spill)?;
        if let Some(t) = self.current.take() {
            let buckets = &mut self.buckets;
            self.pool.install(|| buckets.join_full(t, true, spill))?;
        }
        Ok(())
    }
}
