//! Spill files: a scan's rows that do not fit under its memory limit,
//! written to a private folder inside `--temp-dir`. The folder is removed
//! when the scan ends, whether it succeeds or fails, and on Ctrl-C or
//! SIGTERM.

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::StreamWriter;

/// A private folder for spill files.
pub struct SpillDir {
    dir: tempfile::TempDir,
    written: u64,
    files: u64,
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
            files: 0,
        })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes each list of batches to a new file of its own, in parallel
    /// on the current pool, and returns their paths in the same order.
    pub fn write_all(&mut self, lists: &[&[RecordBatch]]) -> std::io::Result<Vec<PathBuf>> {
        use rayon::prelude::*;
        let paths: Vec<PathBuf> = lists.iter().map(|_| self.next_path()).collect();
        let sizes = paths
            .par_iter()
            .zip(lists)
            .map(|(path, batches)| write_file(path, batches))
            .collect::<std::io::Result<Vec<u64>>>()?;
        self.written += sizes.iter().sum::<u64>();
        Ok(paths)
    }

    fn next_path(&mut self) -> PathBuf {
        let path = self
            .dir
            .path()
            .join(format!("part-{:06}.arrow", self.files));
        self.files += 1;
        path
    }

    /// Bytes written so far.
    pub fn bytes_written(&self) -> u64 {
        self.written
    }
}

/// Writes `batches` (one schema) to a new file at `path`; its size.
fn write_file(path: &Path, batches: &[RecordBatch]) -> std::io::Result<u64> {
    let file = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let schema = batches
        .first()
        .map(|b| b.schema())
        .ok_or_else(|| std::io::Error::other("nothing to spill"))?;
    let mut writer = StreamWriter::try_new(file, &schema).map_err(std::io::Error::other)?;
    for batch in batches {
        writer.write(batch).map_err(std::io::Error::other)?;
    }
    writer.finish().map_err(std::io::Error::other)?;
    let file = writer.into_inner().map_err(std::io::Error::other)?;
    file.into_inner().map_err(|e| e.into_error())?;
    Ok(std::fs::metadata(path)?.len())
}

/// Reads back a file [`SpillDir::write_all`] wrote, and removes it.
pub fn read_spilled(path: &Path) -> std::io::Result<Vec<RecordBatch>> {
    let file = BufReader::with_capacity(1 << 20, File::open(path)?);
    let reader = StreamReader::try_new(file, None).map_err(std::io::Error::other)?;
    let batches = reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(std::io::Error::other)?;
    std::fs::remove_file(path)?;
    Ok(batches)
}

impl Drop for SpillDir {
    fn drop(&mut self) {
        crate::data::interrupt::remove_now(self.dir.path());
    }
}
