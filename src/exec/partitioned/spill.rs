//! Spill files: a scan's rows that do not fit under its memory limit,
//! written to a private folder inside `--temp-dir`. The folder is removed
//! when the scan ends, whether it succeeds or fails, and on Ctrl-C or
//! SIGTERM.
//!
//! Rows are spilled plain while what was spilled fits in a quarter of the
//! memory the kernel reported available when the scan began: such files
//! stay in its page cache, and writing them costs less than compressing
//! them (LZ4 was a tenth of a dense scan's CPU). Past that, spills go to
//! the disk and are compressed, halving what is written and read.

use std::path::Path;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::buffer::Buffer;
use arrow::ipc::writer::{IpcWriteOptions, StreamWriter};

use crate::data::own_stream::decode_own_stream;
use crate::data::scratch::{Extent, ScratchFile, spill_ipc_options};

/// A private folder for spill files.
pub struct SpillDir {
    dir: tempfile::TempDir,
    written: u64,
    /// Bytes written plain before spills are compressed.
    plain_budget: u64,
}

impl SpillDir {
    /// Creates the folder inside `base` and proves it writable, before any
    /// data is read.
    pub fn create(base: &Path) -> Result<SpillDir, String> {
        let refuse = |e: std::io::Error| {
            format!(
                "cannot write spill files in {}: {e} (give a writable folder with --temp-dir)",
                base.display()
            )
        };
        let dir = crate::data::interrupt::make_removed_on_interrupt(
            || {
                let dir = tempfile::Builder::new()
                    .prefix("claimaudit-spill-")
                    .tempdir_in(base)?;
                std::fs::write(dir.path().join("probe"), b"ok")?;
                std::fs::remove_file(dir.path().join("probe"))?;
                Ok(dir)
            },
            |dir| dir.path().to_path_buf(),
        )
        .map_err(refuse)?;
        Ok(SpillDir {
            dir,
            written: 0,
            plain_budget: available_memory() / 4,
        })
    }

    /// Spills plain until `bytes` were written, then compressed.
    #[cfg(test)]
    pub fn with_plain_budget(mut self, bytes: u64) -> SpillDir {
        self.plain_budget = bytes;
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes each list of batches to one new file, in parallel on the
    /// current pool, and returns where each list landed, in the same order.
    pub fn write_all(&mut self, lists: &[&[RecordBatch]]) -> std::io::Result<Vec<Spilled>> {
        use rayon::prelude::*;
        let file = Arc::new(ScratchFile::create_in(self.dir.path())?);
        let options = if self.written < self.plain_budget {
            IpcWriteOptions::default()
        } else {
            spill_ipc_options()
        };
        let spilled = lists
            .par_iter()
            .map(|batches| {
                Ok(Spilled {
                    file: Arc::clone(&file),
                    pieces: write_stream(&file, batches, &options)?,
                })
            })
            .collect::<std::io::Result<Vec<Spilled>>>()?;
        self.written += file.len();
        Ok(spilled)
    }

    /// Bytes written so far.
    pub fn bytes_written(&self) -> u64 {
        self.written
    }
}

/// One list of batches written out; its file is removed once every list
/// in it has been read back.
pub struct Spilled {
    file: Arc<ScratchFile>,
    pieces: Vec<Extent>,
}

/// Appends `batches` (one schema) to `file` as an Arrow IPC stream.
fn write_stream(
    file: &ScratchFile,
    batches: &[RecordBatch],
    options: &IpcWriteOptions,
) -> std::io::Result<Vec<Extent>> {
    let schema = batches
        .first()
        .map(|b| b.schema())
        .ok_or_else(|| std::io::Error::other("nothing to spill"))?;
    let mut writer =
        StreamWriter::try_new_with_options(file.writer(1 << 20), &schema, options.clone())
            .map_err(std::io::Error::other)?;
    for batch in batches {
        writer.write(batch).map_err(std::io::Error::other)?;
    }
    writer.finish().map_err(std::io::Error::other)?;
    writer.into_inner().map_err(std::io::Error::other)?.finish()
}

/// Reads back a list [`SpillDir::write_all`] wrote: read whole, its
/// batches are decoded in place, without copying their buffers again.
pub fn read_spilled(spilled: Spilled) -> std::io::Result<Vec<RecordBatch>> {
    let bytes = Buffer::from_vec(spilled.file.read_all(&spilled.pieces)?);
    drop(spilled);
    // SAFETY: the stream was written by `write_stream` from valid arrays a
    // moment ago, into a file without a name in this scan's private folder:
    // checking every value again (every string's UTF-8 above all) would
    // only repeat what was checked when the rows were first read.
    unsafe { decode_own_stream(bytes) }
}

impl Drop for SpillDir {
    fn drop(&mut self) {
        crate::data::interrupt::remove_now(self.dir.path());
    }
}

/// The memory the kernel reports available (`MemAvailable`), or 0 where
/// it does not say (then every spill is compressed).
fn available_memory() -> u64 {
    let Ok(meminfo) = std::fs::read_to_string("/proc/meminfo") else {
        return 0;
    };
    meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemAvailable:"))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|kb| kb.trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{ArrayRef, StringArray};

    fn batch(n: usize) -> RecordBatch {
        let codes: StringArray = (0..n).map(|i| Some(format!("CODE-{}", i % 7))).collect();
        RecordBatch::try_from_iter([("code", Arc::new(codes) as ArrayRef)]).unwrap()
    }

    #[test]
    fn spills_are_plain_within_the_budget_then_compressed_and_read_back_alike() {
        let temp = tempfile::tempdir().unwrap();
        let batches = vec![batch(5000), batch(3000)];
        let mut spill = SpillDir::create(temp.path()).unwrap().with_plain_budget(1);
        let plain = spill.write_all(&[&batches]).unwrap();
        let plain_bytes = spill.bytes_written();
        // The budget is spent: the next spill is compressed.
        let compressed = spill.write_all(&[&batches]).unwrap();
        let compressed_bytes = spill.bytes_written() - plain_bytes;
        assert!(
            compressed_bytes * 2 < plain_bytes,
            "{compressed_bytes} compressed against {plain_bytes} plain"
        );
        for spilled in [plain, compressed] {
            let read = read_spilled(spilled.into_iter().next().unwrap()).unwrap();
            assert_eq!(read, batches);
        }
    }
}
