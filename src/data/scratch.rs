//! Scratch files: nameless files in a temporary folder that many threads
//! append to and read from at offsets. A few files (one per thread
//! appending at once) hold what would otherwise be hundreds: creating a
//! file costs the file system far more than writing a few megabytes (ext4
//! searches its inode table for each), and a nameless file is gone when
//! the process ends, however it ends.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

/// How spilled rows and flags are written: Arrow IPC with each buffer
/// compressed by LZ4. Writing a gigabyte into the page cache costs more
/// CPU time than compressing it, and ids and codes shrink to a third.
pub fn spill_ipc_options() -> arrow::ipc::writer::IpcWriteOptions {
    arrow::ipc::writer::IpcWriteOptions::default()
        .try_with_compression(Some(arrow::ipc::CompressionType::LZ4_FRAME))
        .expect("the build has Arrow's IPC compression")
}

/// Nameless files written at their ends and read anywhere: one for each
/// thread that appends at the same time. A buffered write takes its
/// file's lock in the kernel, and a thread waiting for it spins: two
/// threads appending to one file spent a tenth of a scan's CPU time so.
pub struct ScratchFile {
    dir: PathBuf,
    lanes: Vec<Lane>,
    appended: AtomicU64,
}

/// One of a scratch file's files, created when first written.
struct Lane {
    file: OnceLock<File>,
    /// Held while appending: the bytes written to this file so far.
    end: Mutex<u64>,
}

/// Where one append landed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Extent {
    lane: u32,
    pub offset: u64,
    pub len: u64,
}

impl ScratchFile {
    /// A new scratch file inside `dir`; its files are removed when it is
    /// dropped (or the process ends).
    pub fn create_in(dir: &Path) -> std::io::Result<ScratchFile> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        ScratchFile::with_lanes(dir, threads.clamp(1, 64))
    }

    fn with_lanes(dir: &Path, lanes: usize) -> std::io::Result<ScratchFile> {
        let scratch = ScratchFile {
            dir: dir.to_path_buf(),
            lanes: (0..lanes)
                .map(|_| Lane {
                    file: OnceLock::new(),
                    end: Mutex::new(0),
                })
                .collect(),
            appended: AtomicU64::new(0),
        };
        // The folder is checked now, not at the first spill.
        scratch.lane_file(&scratch.lanes[0])?;
        Ok(scratch)
    }

    fn lane_file<'a>(&self, lane: &'a Lane) -> std::io::Result<&'a File> {
        if let Some(file) = lane.file.get() {
            return Ok(file);
        }
        // Only the holder of the lane's lock gets here: one file a lane.
        let _ = lane.file.set(tempfile::tempfile_in(&self.dir)?);
        Ok(lane.file.get().expect("just set"))
    }

    /// Writes `bytes` after everything appended before to a file no other
    /// thread is writing, from any thread.
    pub fn append(&self, bytes: &[u8]) -> std::io::Result<Extent> {
        let n = self.lanes.len();
        let first = rayon::current_thread_index().unwrap_or(0) % n;
        let claimed = (0..n).find_map(|k| {
            let i = (first + k) % n;
            self.lanes[i].end.try_lock().ok().map(|end| (i, end))
        });
        let (i, mut end) = match claimed {
            Some(claimed) => claimed,
            // More threads than files: wait for the thread's own.
            None => (
                first,
                self.lanes[first]
                    .end
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()),
            ),
        };
        let file = self.lane_file(&self.lanes[i])?;
        let len = bytes.len() as u64;
        let offset = *end;
        self.appended.fetch_add(len, Ordering::Relaxed);
        write_all_at(file, bytes, offset)?;
        *end += len;
        Ok(Extent {
            lane: i as u32,
            offset,
            len,
        })
    }

    /// Bytes appended so far (including any whose write failed).
    pub fn len(&self) -> u64 {
        self.appended.load(Ordering::Relaxed)
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
            let file = self.lanes[extent.lane as usize]
                .file
                .get()
                .ok_or_else(|| std::io::Error::other("no such scratch extent"))?;
            read_exact_at(file, &mut bytes[at..end], extent.offset)?;
            at = end;
        }
        Ok(bytes)
    }

    /// A writer that appends what it is given in pieces of up to
    /// `piece` bytes (a write of a piece or more, whole): a long stream
    /// needs no more memory than one piece.
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
        // A piece's worth or more given at once (a spilled batch's body):
        // appended as it is after what is buffered, not copied through
        // the buffer first.
        if bytes.len() >= self.piece {
            self.flush()?;
            self.extents.push(self.file.append(bytes)?);
            return Ok(bytes.len());
        }
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
    fn small_and_large_writes_read_back_in_order() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let file = ScratchFile::create_in(dir.path()).unwrap();
        let mut writer = file.writer(64);
        let mut expected = Vec::new();
        for (i, len) in [10, 100, 3, 64, 0, 200, 63, 1].into_iter().enumerate() {
            let bytes: Vec<u8> = (0..len).map(|b| (b + i * 7) as u8).collect();
            writer.write_all(&bytes).unwrap();
            expected.extend(bytes);
        }
        let extents = writer.finish().unwrap();
        assert_eq!(file.read_all(&extents).unwrap(), expected);
        // The large writes went out whole, not through the buffer.
        assert!(extents.iter().any(|e| e.len == 200));
    }

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
        // Each write of a piece or more went out whole.
        assert_eq!(pieces.len(), 9);
        assert!(pieces[..8].iter().all(|p| p.len == 1234));
        assert_eq!(file.read_all(&pieces).unwrap(), stream);
        // Nameless: nothing is left in the folder.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn an_append_goes_to_a_file_no_other_thread_is_writing() {
        let dir = tempfile::tempdir().unwrap();
        let file = ScratchFile::with_lanes(dir.path(), 2).unwrap();
        let first = file.append(b"first").unwrap();
        // Another thread in the middle of writing the first file.
        let busy = file.lanes[first.lane as usize].end.lock().unwrap();
        let second = file.append(b"second").unwrap();
        drop(busy);
        assert_ne!(first.lane, second.lane);
        assert_eq!(second.offset, 0);
        assert_eq!(file.len(), 11);
        assert_eq!(file.read_all(&[first, second]).unwrap(), b"firstsecond");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
