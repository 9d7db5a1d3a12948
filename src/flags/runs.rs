//! Sorted runs of flags, merged into output order without holding them all.
//!
//! A scan that runs partition by partition yields each partition's flags
//! already sorted. Each run is encoded as soon as it is pushed, in chunks
//! of Arrow IPC compressed with LZ4 (what a spill file holds): a flag
//! then takes the bytes of its own values, compressed, and the number of
//! its rule (`rule_table.rs`), not a struct and five allocations. Runs are
//! kept in memory up to a byte budget, the largest are written to files
//! past it, and [`FlagRuns::merge`] streams them out in output order,
//! decoding a chunk of each run at a time.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use arrow::array::{RecordBatch, UInt32Array};
use arrow::ipc::writer::StreamWriter;
use rayon::prelude::*;
use tempfile::TempDir;

use crate::data::scratch::spill_ipc_options;

use super::batch::FlagBatch;
use super::merge::{Chunks, merge_runs};
use super::ordered::OrderedFlags;
use super::rule_table::RuleTable;

/// Flags per encoded chunk: what a run holds decoded while it is merged.
const CHUNK: usize = 8192;

/// Bytes per chunk, at most (as the flags are held in memory): a merge of
/// many runs holds one chunk of each, and a long history's flags, each
/// naming twenty other rows, run to kilobytes.
const CHUNK_BYTES: usize = 4 << 20;

/// Sorted runs of flags, numbered in push order, held encoded in memory up
/// to a byte budget and written to a private temporary folder past it.
/// The folder and its files are removed when the runs are dropped or
/// merged.
pub struct FlagRuns {
    runs: Vec<Run>,
    rules: RuleTable,
    folder: TempDir,
    memory_budget: u64,
    memory_bytes: u64,
    len: u64,
    spilled: usize,
    chunk: usize,
}

enum Run {
    /// Encoded chunks, each an IPC stream of its own.
    Memory { chunks: Vec<Vec<u8>> },
    /// The same chunks one after the other in a file, with their lengths.
    Spilled { path: PathBuf, lens: Vec<u64> },
}

impl Run {
    fn memory_bytes(&self) -> u64 {
        match self {
            Run::Memory { chunks } => chunks.iter().map(|c| c.len() as u64).sum(),
            Run::Spilled { .. } => 0,
        }
    }
}

impl FlagRuns {
    /// Runs spilling into a new private folder under `temp_dir` once the
    /// in-memory runs' encoded size passes `memory_budget` bytes.
    pub fn new(temp_dir: &Path, memory_budget: u64) -> io::Result<FlagRuns> {
        let folder = tempfile::Builder::new()
            .prefix("claimaudit-flags-")
            .tempdir_in(temp_dir)?;
        Ok(FlagRuns {
            runs: Vec::new(),
            rules: RuleTable::default(),
            folder,
            memory_budget,
            memory_bytes: 0,
            len: 0,
            spilled: 0,
            chunk: CHUNK,
        })
    }

    /// Adds a run of flags in their output order. Its chunks are gathered
    /// from the run's columns and encoded in parallel on the current pool.
    pub fn push(&mut self, run: OrderedFlags) -> io::Result<()> {
        if run.is_empty() {
            return Ok(());
        }
        let numbers = self.rules.number_rules(run.as_made().rules());
        let encoded = EncodedRun::of(run, &numbers, self.chunk)?;
        self.add(encoded)
    }

    /// Adds an encoded run, spilling the largest runs held past the budget.
    fn add(&mut self, encoded: EncodedRun) -> io::Result<()> {
        self.len += encoded.len;
        let run = Run::Memory {
            chunks: encoded.chunks,
        };
        self.memory_bytes += run.memory_bytes();
        self.runs.push(run);
        while self.memory_bytes > self.memory_budget {
            // Spilling the largest first frees the budget in the fewest files.
            let Some(largest) = self.largest_in_memory() else {
                break;
            };
            self.spill(largest)?;
        }
        Ok(())
    }

    /// Spills in-memory runs, largest first, until they hold at most
    /// `bytes` (what the process holds is near its limit).
    pub fn shrink_to(&mut self, bytes: u64) -> io::Result<()> {
        while self.memory_bytes > bytes {
            let Some(largest) = self.largest_in_memory() else {
                break;
            };
            self.spill(largest)?;
        }
        Ok(())
    }

    /// The encoded bytes of the runs held in memory.
    pub fn memory_bytes(&self) -> u64 {
        self.memory_bytes
    }

    /// The number of flags pushed.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The number of runs written to files.
    pub fn spilled_runs(&self) -> usize {
        self.spilled
    }

    fn largest_in_memory(&self) -> Option<usize> {
        self.runs
            .iter()
            .enumerate()
            .filter_map(|(number, run)| match run {
                Run::Memory { .. } => Some((run.memory_bytes(), number)),
                Run::Spilled { .. } => None,
            })
            .max()
            .map(|(_, number)| number)
    }

    fn spill(&mut self, number: usize) -> io::Result<()> {
        let path = self.folder.path().join(format!("run-{number}.arrows"));
        let Run::Memory { chunks } = &self.runs[number] else {
            return Ok(());
        };
        let mut file = File::create(&path)?;
        for chunk in chunks {
            file.write_all(chunk)?;
        }
        file.flush()?;
        let lens = chunks.iter().map(|c| c.len() as u64).collect();
        self.memory_bytes -= self.runs[number].memory_bytes();
        self.runs[number] = Run::Spilled { path, lens };
        self.spilled += 1;
        Ok(())
    }

    /// Streams every flag to `sink` in output order, as record batches of
    /// the flags schema of up to `chunk` rows. Equal flags come in run
    /// order, so the output does not depend on how the runs were held.
    /// Memory beyond the encoded runs is the decoded chunks the batch being
    /// gathered takes rows from (one per run, and those already used),
    /// and that batch.
    pub fn merge(
        self,
        chunk: usize,
        sink: &mut dyn FnMut(RecordBatch) -> io::Result<()>,
    ) -> io::Result<()> {
        let sources = self
            .runs
            .into_iter()
            .map(|run| match run {
                Run::Memory { chunks } => Ok(Chunks::Memory(chunks.into_iter())),
                Run::Spilled { path, lens } => {
                    Ok(Chunks::File(File::open(path)?, lens.into_iter()))
                }
            })
            .collect::<io::Result<Vec<_>>>()?;
        // The files are closed when the merge returns, before the folder
        // holding them is removed with `self.folder`.
        merge_runs(sources, &self.rules, chunk, sink)
    }
}

/// `batches` cut into consecutive groups of up to about `run_bytes` each
/// (a batch larger alone is a group alone).
fn runs_of(batches: Vec<FlagBatch>, run_bytes: usize) -> Vec<Vec<FlagBatch>> {
    let mut groups: Vec<Vec<FlagBatch>> = Vec::new();
    let mut bytes = 0;
    for batch in batches {
        let size = batch.memory_bytes();
        match groups.last_mut() {
            Some(group) if bytes + size <= run_bytes => group.push(batch),
            _ => {
                groups.push(vec![batch]);
                bytes = 0;
            }
        }
        bytes += size;
    }
    groups
}

/// A run's chunks, encoded, and its number of flags.
struct EncodedRun {
    chunks: Vec<Vec<u8>>,
    len: u64,
}

impl EncodedRun {
    /// Gathers `run`'s chunks (of up to `chunk` flags and about
    /// [`CHUNK_BYTES`]) from its columns, its rules renumbered by
    /// `numbers`, and encodes them on the current pool.
    fn of(run: OrderedFlags, numbers: &[u32], chunk: usize) -> io::Result<Self> {
        let made = run.as_made();
        let columns = made.renumbered(numbers);
        let per_flag = made.memory_bytes() / run.len().max(1);
        let chunk = chunk.min(CHUNK_BYTES / per_flag.max(1)).max(1);
        let encode_chunk = |order: &[u32]| {
            let rows = UInt32Array::from(order.to_vec());
            let chunk =
                arrow::compute::take_record_batch(&columns, &rows).map_err(io::Error::other)?;
            encode(&chunk)
        };
        let chunks =
            (run.order().par_chunks(chunk).map(encode_chunk)).collect::<io::Result<Vec<_>>>()?;
        Ok(EncodedRun {
            chunks,
            len: run.len() as u64,
        })
    }
}

/// Runs that tasks of a pool push to at once (a rule handing over its
/// flags as it makes them): each push sorts and encodes its runs holding
/// the lock only to number their rules and to add them, never while it
/// works on the pool (where it might take up a task that pushes too).
pub struct SharedRuns<'r> {
    runs: std::sync::Mutex<(&'r mut FlagRuns, io::Result<()>)>,
}

impl<'r> SharedRuns<'r> {
    pub fn new(runs: &'r mut FlagRuns) -> SharedRuns<'r> {
        SharedRuns {
            runs: std::sync::Mutex::new((runs, Ok(()))),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (&'r mut FlagRuns, io::Result<()>)> {
        self.runs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds `batches` (flags not yet ordered) as consecutive runs of up to
    /// about `run_bytes` each (a batch larger alone is a run alone): no run
    /// gathers them all into one batch first. Each run is sorted and
    /// encoded on the current pool outside the lock, so a task may call
    /// this while others do too. The first failure is kept for
    /// [`SharedRuns::finish`] and later pushes are dropped.
    pub fn push_in_runs(&self, batches: Vec<FlagBatch>, run_bytes: usize) {
        for group in runs_of(batches, run_bytes) {
            let run = OrderedFlags::new(group, true);
            let (numbers, chunk) = {
                let mut shared = self.lock();
                if shared.1.is_err() {
                    return;
                }
                let runs = &mut shared.0;
                (runs.rules.number_rules(run.as_made().rules()), runs.chunk)
            };
            let encoded = EncodedRun::of(run, &numbers, chunk);
            let mut shared = self.lock();
            let (runs, result) = &mut *shared;
            if result.is_ok() {
                *result = encoded.and_then(|encoded| runs.add(encoded));
            }
        }
    }

    /// The first failure to push, if any.
    pub fn finish(self) -> io::Result<()> {
        let (_, result) = self
            .runs
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        result
    }
}

/// One chunk of flags as an IPC stream of one batch of the narrow
/// schema, compressed.
fn encode(chunk: &RecordBatch) -> io::Result<Vec<u8>> {
    let mut writer =
        StreamWriter::try_new_with_options(Vec::new(), &chunk.schema(), spill_ipc_options())
            .map_err(io::Error::other)?;
    writer.write(chunk).map_err(io::Error::other)?;
    writer.finish().map_err(io::Error::other)?;
    writer.into_inner().map_err(io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::Flag;
    use crate::flags::record::{arbitrary_flag, flags_from_batch};
    use proptest::prelude::*;

    fn merged(runs: FlagRuns, chunk: usize) -> Vec<Flag> {
        let mut out = Vec::new();
        runs.merge(chunk, &mut |batch| {
            assert!(batch.num_rows() > 0 && batch.num_rows() <= chunk);
            out.extend(flags_from_batch(&batch));
            Ok(())
        })
        .unwrap();
        out
    }

    fn sorted(mut run: Vec<Flag>) -> Vec<Flag> {
        run.sort_by(Flag::output_order);
        run
    }

    /// What a run takes held in memory, in chunks of `chunk` flags.
    fn encoded_bytes(run: &[Flag], chunk: usize) -> u64 {
        run.chunks(chunk)
            .map(|c| {
                let batch = crate::flags::FlagBatch::from_flags(c);
                encode(batch.columns()).unwrap().len() as u64
            })
            .sum()
    }

    fn folder_is_empty(dir: &Path) -> bool {
        std::fs::read_dir(dir).unwrap().next().is_none()
    }

    proptest! {
        #[test]
        fn merge_equals_a_stable_sort_of_all_runs(
            runs in prop::collection::vec(prop::collection::vec(arbitrary_flag(), 0..25), 0..6),
            budget in 0u64..12_000,
            chunk in 1usize..10,
        ) {
            let temp = tempfile::tempdir().unwrap();
            let mut flag_runs = FlagRuns::new(temp.path(), budget).unwrap();
            flag_runs.chunk = 4;
            let mut all = Vec::new();
            for run in runs {
                all.extend(sorted(run.clone()));
                let batch = crate::flags::FlagBatch::from_flags(&run);
                flag_runs.push(OrderedFlags::new(vec![batch], false)).unwrap();
            }
            prop_assert_eq!(flag_runs.len(), all.len() as u64);
            // A stable sort keeps equal flags in push order: the merge's tie rule.
            all.sort_by(Flag::output_order);
            prop_assert_eq!(merged(flag_runs, chunk), all);
            prop_assert!(folder_is_empty(temp.path()));
        }
    }

    fn sample_runs() -> Vec<Vec<Flag>> {
        let strategy = prop::collection::vec(prop::collection::vec(arbitrary_flag(), 20), 5);
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let runs = proptest::strategy::ValueTree::current(&strategy.new_tree(&mut runner).unwrap());
        runs.into_iter().map(sorted).collect()
    }

    #[test]
    fn runs_merge_when_some_are_spilled_and_some_in_memory() {
        let runs = sample_runs();
        let run_bytes = encoded_bytes(&runs[0], 3);
        let temp = tempfile::tempdir().unwrap();
        let mut flag_runs = FlagRuns::new(temp.path(), run_bytes * 2).unwrap();
        flag_runs.chunk = 3;
        for run in runs.clone() {
            flag_runs.push(OrderedFlags::sorted(run)).unwrap();
        }
        let spilled = flag_runs.spilled_runs();
        assert!(spilled > 0 && spilled < runs.len(), "{spilled} spilled");
        let all = sorted(runs.concat());
        assert_eq!(merged(flag_runs, 7), all);
    }

    #[test]
    fn flags_of_many_bytes_are_held_in_chunks_of_a_few_mib() {
        let mut run: Vec<Flag> = sample_runs().concat();
        for (i, flag) in run.iter_mut().enumerate() {
            flag.evidence = format!("{{\"n\":\"{i}{}\"}}", "x".repeat(256 * 1024));
        }
        let run = sorted(run);
        let temp = tempfile::tempdir().unwrap();
        let mut flag_runs = FlagRuns::new(temp.path(), u64::MAX).unwrap();
        flag_runs.push(OrderedFlags::sorted(run.clone())).unwrap();
        let Run::Memory { chunks } = &flag_runs.runs[0] else {
            unreachable!("held in memory");
        };
        // 100 flags of a quarter MiB: chunks of at most 4 MiB, not one.
        assert!(chunks.len() >= 100 * 256 / 4096, "{} chunks", chunks.len());
        assert_eq!(merged(flag_runs, 7), run);
    }

    #[test]
    fn large_flags_come_out_in_batches_of_bounded_bytes_cut_alike_however_run() {
        let mut run: Vec<Flag> = sample_runs().concat();
        for (i, flag) in run.iter_mut().enumerate() {
            flag.evidence = format!("{{\"n\":\"{i}{}\"}}", "x".repeat(1 << 20));
        }
        let run = sorted(run);
        // The rows of each output batch, merging the flags as one run and
        // as runs of 7.
        let batch_rows = |runs: Vec<Vec<Flag>>| {
            let temp = tempfile::tempdir().unwrap();
            let mut flag_runs = FlagRuns::new(temp.path(), u64::MAX).unwrap();
            for run in runs {
                flag_runs.push(OrderedFlags::sorted(run)).unwrap();
            }
            let mut rows = Vec::new();
            let mut out = Vec::new();
            flag_runs
                .merge(64 * 1024, &mut |batch| {
                    rows.push(batch.num_rows());
                    out.extend(flags_from_batch(&batch));
                    Ok(())
                })
                .unwrap();
            (rows, out)
        };
        let (whole, flags) = batch_rows(vec![run.clone()]);
        assert_eq!(flags, run);
        // 100 flags of 1 MiB: batches of about 32 MiB, not one of 100 MiB.
        assert!(whole.len() >= 3, "{whole:?}");
        assert!(whole.iter().all(|&n| n <= 33), "{whole:?}");
        let cut = run.chunks(7).map(<[Flag]>::to_vec).collect();
        assert_eq!(batch_rows(cut), (whole, flags));
    }

    #[test]
    fn batches_pushed_in_runs_merge_as_one_stable_sort() {
        let batches: Vec<Vec<Flag>> = sample_runs();
        let all: Vec<Flag> = batches.concat();
        let one = crate::flags::FlagBatch::from_flags(&batches[0]).memory_bytes();
        let temp = tempfile::tempdir().unwrap();
        let mut flag_runs = FlagRuns::new(temp.path(), u64::MAX).unwrap();
        let batches = batches
            .iter()
            .map(|b| crate::flags::FlagBatch::from_flags(b))
            .collect();
        // About two batches a run.
        let shared = SharedRuns::new(&mut flag_runs);
        shared.push_in_runs(batches, one * 2 + 1);
        shared.finish().unwrap();
        assert!(flag_runs.runs.len() > 1, "{} runs", flag_runs.runs.len());
        assert_eq!(merged(flag_runs, 7), sorted(all));
    }

    #[test]
    fn shrinking_spills_runs_and_keeps_the_merge() {
        let runs: Vec<Vec<Flag>> = sample_runs().into_iter().map(sorted).collect();
        let temp = tempfile::tempdir().unwrap();
        let mut flag_runs = FlagRuns::new(temp.path(), u64::MAX).unwrap();
        for run in runs.clone() {
            flag_runs.push(OrderedFlags::sorted(run)).unwrap();
        }
        assert_eq!(flag_runs.spilled_runs(), 0);
        let held = flag_runs.memory_bytes();
        flag_runs.shrink_to(held / 2).unwrap();
        assert!(flag_runs.memory_bytes() <= held / 2);
        assert!(flag_runs.spilled_runs() > 0);
        assert_eq!(merged(flag_runs, 5), sorted(runs.concat()));
    }

    #[test]
    fn equal_flags_come_in_run_order_wherever_the_runs_are_held() {
        let base = sample_runs()[0][0].clone();
        let tagged = |tag: &str| Flag {
            message: tag.into(),
            ..base.clone()
        };
        let small = |tag: &str| vec![tagged(tag)];
        let small_bytes = encoded_bytes(&small("r0"), CHUNK);
        let temp = tempfile::tempdir().unwrap();
        // Room for the two small runs only: the large middle run is spilled.
        let mut flag_runs = FlagRuns::new(temp.path(), small_bytes * 2).unwrap();
        flag_runs.push(OrderedFlags::sorted(small("r0"))).unwrap();
        flag_runs
            .push(OrderedFlags::sorted(vec![
                tagged("r1a"),
                tagged("r1b"),
                tagged("r1c"),
            ]))
            .unwrap();
        flag_runs.push(OrderedFlags::sorted(small("r2"))).unwrap();
        assert_eq!(flag_runs.spilled_runs(), 1);
        let messages: Vec<String> = merged(flag_runs, 2)
            .into_iter()
            .map(|f| f.message)
            .collect();
        assert_eq!(messages, ["r0", "r1a", "r1b", "r1c", "r2"]);
    }

    #[test]
    fn the_temp_folder_goes_when_the_runs_drop() {
        let temp = tempfile::tempdir().unwrap();
        let mut flag_runs = FlagRuns::new(temp.path(), 0).unwrap();
        for run in sample_runs() {
            flag_runs.push(OrderedFlags::sorted(run)).unwrap();
        }
        assert_eq!(flag_runs.spilled_runs(), 5);
        let folders: Vec<_> = std::fs::read_dir(temp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(folders.len(), 1);
        assert!(folders[0].starts_with("claimaudit-flags-"));
        drop(flag_runs);
        assert!(folder_is_empty(temp.path()));
    }

    #[test]
    fn the_temp_folder_goes_when_the_sink_fails() {
        let temp = tempfile::tempdir().unwrap();
        let mut flag_runs = FlagRuns::new(temp.path(), 0).unwrap();
        for run in sample_runs() {
            flag_runs.push(OrderedFlags::sorted(run)).unwrap();
        }
        let failed = flag_runs.merge(4, &mut |_| Err(io::Error::other("disk full")));
        assert_eq!(failed.unwrap_err().to_string(), "disk full");
        assert!(folder_is_empty(temp.path()));
    }

    #[test]
    fn no_runs_merge_to_nothing() {
        let temp = tempfile::tempdir().unwrap();
        let mut flag_runs = FlagRuns::new(temp.path(), 0).unwrap();
        flag_runs.push(OrderedFlags::sorted(Vec::new())).unwrap();
        assert!(flag_runs.is_empty());
        assert!(merged(flag_runs, 3).is_empty());
    }
}
