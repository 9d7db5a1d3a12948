//! Scratch files: nameless files in a temporary folder that many threads
//! append to and read from at offsets. One file holds what would otherwise
//! be hundreds: creating a file costs the file system far more than
//! writing a few megabytes (ext4 searches its inode table for each), and a
//! nameless file is gone when the process ends, however it ends.

use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// How spilled rows and flags are written: Arrow IPC with each buffer
/// compressed by LZ4. Writing a gigabyte into the page cache costs more
/// CPU time than compressing it, and ids and codes shrink to a third.
pub fn spill_ipc_options() -> arrow::ipc::writer::IpcWriteOptions {
    arrow::ipc::writer::IpcWriteOptions::default()
        .try_with_compression(Some(arrow::ipc::CompressionType::LZ4_FRAME))
        .expect("the build has Arrow's IPC compression")
}

/// A nameless file written at the end and read anywhere.
pub struct ScratchFile {
    file: File,
    end: AtomicU64,
}

/// Where one append landed in its file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Extent {
    pub offset: u64,
    pub len: u64,
}

impl ScratchFile {
    /// A new file inside `dir`, removed when the last handle to it is
    /// dropped (or the process ends).
    pub fn create_in(dir: &Path) -> std::io::Result<ScratchFile> {
        Ok(ScratchFile {
            file: tempfile::tempfile_in(dir)?,
            end: AtomicU64::new(0),
        })
    }

    /// Writes `bytes` after everything appended before, from any thread:
    /// the range is reserved first, so appends in parallel do not wait
    /// for each other.
    pub fn append(&self, bytes: &[u8]) -> std::io::Result<Extent> {
        let len = bytes.len() as u64;
        let offset = self.end.fetch_add(len, Ordering::Relaxed);
        write_all_at(&self.file, bytes, offset)?;
        Ok(Extent { offset, len })
    }

    /// Bytes appended so far (including any whose write failed).
    pub fn len(&self) -> u64 {
        self.end.load(Ordering::Relaxed)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes of `extents`, one after the other.
    pub fn read_all(&self, extents: &[Extent]) -> std::io::Result<Vec<u8>> {
        let total: u64 = extents.iter().map(|e| e.len).sum();
        let mut bytes = vec![0; total as usize];
        let mut at = 0;
        for extent in extents {
            let end = at + extent.len as usize;
            read_exact_at(&self.file, &mut bytes[at..end], extent.offset)?;
            at = end;
        }
        Ok(bytes)
    }

    /// A writer that appends what it is given in pieces of up to
    /// `piece` bytes: a long stream needs no more memory than one piece.
    pub fn writer(&self, piece: usize) -> PiecesWriter<'_> {
        PiecesWriter {
            file: self,
            buffer: Vec::with_capacity(piece),
            piece,
            extents: Vec::new(),
        }
    }
}

/// Writes a stream into a scratch file as a list of appended pieces.
pub struct PiecesWriter<'f> {
    file: &'f ScratchFile,
    buffer: Vec<u8>,
    piece: usize,
    extents: Vec<Extent>,
}

impl PiecesWriter<'_> {
    /// Appends what is still buffered; where the pieces landed, in order.
    pub fn finish(mut self) -> std::io::Result<Vec<Extent>> {
        std::io::Write::flush(&mut self)?;
        Ok(self.extents)
    }
}

impl std::io::Write for PiecesWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.buffer.len() >= self.piece {
            self.flush()?;
        }
        let n = bytes.len().min(self.piece - self.buffer.len());
        self.buffer.extend_from_slice(&bytes[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.buffer.is_empty() {
            self.extents.push(self.file.append(&self.buffer)?);
            self.buffer.clear();
        }
        Ok(())
    }
}

#[cfg(unix)]
fn write_all_at(file: &File, bytes: &[u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, bytes, offset)
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

// Windows' positioned calls also move the file's cursor, which nothing
// here uses.
#[cfg(windows)]
fn write_all_at(file: &File, mut bytes: &[u8], mut offset: u64) -> std::io::Result<()> {
    while !bytes.is_empty() {
        let n = std::os::windows::fs::FileExt::seek_write(file, bytes, offset)?;
        if n == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        bytes = &bytes[n..];
        offset += n as u64;
    }
    Ok(())
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

#[cfg(windows)]
fn read_exact_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    while !buf.is_empty() {
        let n = read_at(file, buf, offset)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf = &mut buf[n..];
        offset += n as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_from_many_threads_read_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let file = ScratchFile::create_in(dir.path()).unwrap();
        let extents: Vec<(u8, Extent)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8u8)
                .map(|i| {
                    let file = &file;
                    scope.spawn(move || (i, file.append(&vec![i; 1000 + i as usize]).unwrap()))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(file.len(), (0..8).map(|i| 1000 + i).sum::<u64>());
        for (i, extent) in extents {
            assert_eq!(
                file.read_all(&[extent]).unwrap(),
                vec![i; 1000 + i as usize]
            );
        }
        // A stream written in pieces reads back whole.
        let stream: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let mut writer = file.writer(999);
        for chunk in stream.chunks(1234) {
            std::io::Write::write_all(&mut writer, chunk).unwrap();
        }
        let pieces = writer.finish().unwrap();
        assert_eq!(pieces.len(), 11);
        assert_eq!(file.read_all(&pieces).unwrap(), stream);
        // Nameless: nothing is left in the folder.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
