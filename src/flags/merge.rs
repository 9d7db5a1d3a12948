//! The k-way merge of sorted runs of flags, on their columns: each run's
//! chunks are decoded to record batches, compared on the order's four
//! columns where they lie (the rule by its rank), and the output gathered
//! column by column, the rule's texts written back last. No flag is
//! rebuilt as a struct on the way to the file.

use std::cmp::Ordering;
use std::fs::File;
use std::io::{self, Read};

use arrow::array::{AsArray, RecordBatch, StringArray};
use arrow::buffer::Buffer;
use arrow::compute::interleave_record_batch;

use super::ordered::OrderColumns;
use super::rule_table::RuleTable;
use crate::data::own_stream::decode_own_stream;

/// Where a run's encoded chunks are: in memory, or one after the other in
/// a file with their lengths.
pub(super) enum Chunks {
    Memory(std::vec::IntoIter<Vec<u8>>),
    File(File, std::vec::IntoIter<u64>),
}

impl Chunks {
    fn next_chunk(&mut self) -> io::Result<Option<Vec<u8>>> {
        match self {
            Chunks::Memory(chunks) => Ok(chunks.next()),
            Chunks::File(file, lens) => {
                let Some(len) = lens.next() else {
                    return Ok(None);
                };
                let mut bytes = Vec::with_capacity(len as usize);
                file.take(len).read_to_end(&mut bytes)?;
                if bytes.len() as u64 != len {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "a spilled run of flags ends early",
                    ));
                }
                Ok(Some(bytes))
            }
        }
    }
}

/// A run being merged: its chunk decoded now, the next row to take from
/// it, and where that chunk sits among the batches the output gathers from.
struct Source {
    chunks: Chunks,
    batch: RecordBatch,
    /// The decoded chunk's text columns, for the bytes of each row.
    texts: Vec<StringArray>,
    order: OrderColumns,
    row: usize,
    slot: usize,
    done: bool,
}

impl Source {
    /// The run's next non-empty chunk, decoded, or none when it is done.
    fn next_batch(chunks: &mut Chunks) -> io::Result<Option<RecordBatch>> {
        while let Some(bytes) = chunks.next_chunk()? {
            // SAFETY: a run is encoded by `FlagRuns::push` in this process
            // from arrays it built, and kept in memory or in a file without
            // readers in the scan's private folder: checking every text's
            // UTF-8 again would only repeat what building them ensured.
            let batches = unsafe { decode_own_stream(Buffer::from_vec(bytes)) }?;
            let found = batches.into_iter().find(|b| b.num_rows() > 0);
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }
}

/// Bytes of flags an output batch holds, about, at most: a long history's
/// flags run to kilobytes each (twenty other rows named), and the batches
/// being gathered, queued for the writer and written all count.
const OUTPUT_BYTES: usize = 32 << 20;

/// Fixed bytes of a flag besides its texts, about.
const ROW_BYTES: usize = 64;

/// The text columns of a decoded chunk.
fn texts(batch: &RecordBatch) -> Vec<StringArray> {
    (batch.columns().iter())
        .filter_map(|c| c.as_string_opt::<i32>().cloned())
        .collect()
}

impl Source {
    /// The bytes of the current row, about: its texts and a fixed part.
    /// They depend on the flag alone, so the output batches do not depend
    /// on how the runs were cut.
    fn row_bytes(&self) -> usize {
        let texts: usize = self
            .texts
            .iter()
            .map(|t| t.value_length(self.row) as usize)
            .sum();
        ROW_BYTES + texts
    }
}

/// Merges sorted runs into output order and hands the flags to `sink` as
/// record batches of up to `chunk` rows (fewer where they are large).
/// Equal flags come in run order.
pub(super) fn merge_runs(
    runs: Vec<Chunks>,
    rules: &RuleTable,
    chunk: usize,
    sink: &mut dyn FnMut(RecordBatch) -> io::Result<()>,
) -> io::Result<()> {
    let chunk = chunk.max(1);
    // The batches the pending output rows are in; a source's current
    // batch is always among them.
    let mut batches: Vec<RecordBatch> = Vec::new();
    let mut sources: Vec<Source> = Vec::with_capacity(runs.len());
    for mut chunks in runs {
        if let Some(batch) = Source::next_batch(&mut chunks)? {
            batches.push(batch.clone());
            sources.push(Source {
                chunks,
                order: OrderColumns::of(&batch)?,
                texts: texts(&batch),
                batch,
                row: 0,
                slot: batches.len() - 1,
                done: false,
            });
        }
    }
    let mut heap = Heap {
        runs: (0..sources.len()).collect(),
        ranks: rules.ranks(),
    };
    heap.build(&sources);
    let mut taken: Vec<(usize, usize)> = Vec::with_capacity(chunk);
    let mut taken_bytes = 0;
    while let Some(&run) = heap.runs.first() {
        let source = &mut sources[run];
        taken.push((source.slot, source.row));
        taken_bytes += source.row_bytes();
        source.row += 1;
        if source.row == source.batch.num_rows() {
            match Source::next_batch(&mut source.chunks)? {
                Some(batch) => {
                    source.order = OrderColumns::of(&batch)?;
                    source.texts = texts(&batch);
                    batches.push(batch.clone());
                    source.batch = batch;
                    source.row = 0;
                    source.slot = batches.len() - 1;
                }
                None => {
                    source.done = true;
                    heap.runs.swap_remove(0);
                }
            }
        }
        heap.sift_down(0, &sources);
        if taken.len() == chunk || taken_bytes >= OUTPUT_BYTES {
            emit(&mut batches, &mut taken, &mut sources, rules, sink)?;
            taken_bytes = 0;
        }
    }
    if !taken.is_empty() {
        emit(&mut batches, &mut taken, &mut sources, rules, sink)?;
    }
    Ok(())
}

/// Gathers the taken rows into one batch for the sink, then keeps only the
/// batches the sources still read from.
fn emit(
    batches: &mut Vec<RecordBatch>,
    taken: &mut Vec<(usize, usize)>,
    sources: &mut [Source],
    rules: &RuleTable,
    sink: &mut dyn FnMut(RecordBatch) -> io::Result<()>,
) -> io::Result<()> {
    let from: Vec<&RecordBatch> = batches.iter().collect();
    let narrow = interleave_record_batch(&from, taken).map_err(io::Error::other)?;
    let out = rules.widen(&narrow).map_err(io::Error::other)?;
    taken.clear();
    batches.clear();
    for source in sources.iter_mut().filter(|s| !s.done) {
        batches.push(source.batch.clone());
        source.slot = batches.len() - 1;
    }
    sink(out)
}

/// The runs that have a row left, earliest row first, of equal rows the
/// lowest run first.
struct Heap {
    runs: Vec<usize>,
    /// Each rule number's place in output order.
    ranks: Vec<u32>,
}

impl Heap {
    fn before(&self, sources: &[Source], a: usize, b: usize) -> bool {
        let (x, y) = (&sources[a], &sources[b]);
        x.order
            .compare(x.row, &y.order, y.row, &self.ranks)
            .then(a.cmp(&b))
            == Ordering::Less
    }

    fn build(&mut self, sources: &[Source]) {
        for i in (0..self.runs.len() / 2).rev() {
            self.sift_down(i, sources);
        }
    }

    fn sift_down(&mut self, mut at: usize, sources: &[Source]) {
        loop {
            let mut first = at;
            for child in [2 * at + 1, 2 * at + 2] {
                if child < self.runs.len()
                    && self.before(sources, self.runs[child], self.runs[first])
                {
                    first = child;
                }
            }
            if first == at {
                return;
            }
            self.runs.swap(at, first);
            at = first;
        }
    }
}
