//! Telling a Parquet file by its content, not its name: Hive writes parts
//! named `000000_0`, Spark `part-00000-….c000`. A Parquet file starts and
//! ends with the four bytes `PAR1`.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

const PARQUET: &[u8; 4] = b"PAR1";
/// Parquet with an encrypted footer.
const ENCRYPTED: &[u8; 4] = b"PARE";
/// Bytes looked at to tell text from binary.
const SNIFF: usize = 512;

/// What a file in a table folder is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    Parquet,
    /// Anything else, described for a message (`an empty file`, `a CSV file`).
    Other(String),
}

/// Looks at the first and last bytes of `path`.
pub fn content(path: &Path) -> io::Result<Content> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut head = vec![0u8; SNIFF.min(len as usize)];
    file.read_exact(&mut head)?;
    let mut tail = [0u8; 4];
    if len >= 8 {
        file.seek(SeekFrom::End(-4))?;
        file.read_exact(&mut tail)?;
    }
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    Ok(describe(&head, &tail, len, &name))
}

fn describe(head: &[u8], tail: &[u8; 4], len: u64, name: &str) -> Content {
    let other = |what: &str| Content::Other(what.to_string());
    if len == 0 {
        return other("an empty file");
    }
    if head.starts_with(PARQUET) {
        return if len >= 8 && tail == PARQUET {
            Content::Parquet
        } else {
            other(
                "a Parquet file cut short (it does not end with `PAR1`; was it still being written?)",
            )
        };
    }
    if head.starts_with(ENCRYPTED) {
        return other("an encrypted Parquet file, which the loader cannot read");
    }
    let kinds: [(&[u8], &str); 5] = [
        (&[0x1f, 0x8b], "a gzip-compressed file"),
        (b"PK\x03\x04", "a zip archive"),
        (b"ORC", "an ORC file"),
        (b"Obj\x01", "an Avro file"),
        (b"SEQ", "a Hadoop sequence file"),
    ];
    if let Some((_, what)) = kinds.iter().find(|(magic, _)| head.starts_with(magic)) {
        return other(what);
    }
    if looks_like_text(head) {
        let lower = name.to_ascii_lowercase();
        return other(if lower.ends_with(".csv") {
            "a CSV file"
        } else {
            "a text file"
        });
    }
    other("a file that is not Parquet (it does not start with `PAR1`)")
}

/// No NUL byte and valid UTF-8, but for a character cut at the end.
fn looks_like_text(head: &[u8]) -> bool {
    if head.contains(&0) {
        return false;
    }
    match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn what(bytes: &[u8], name: &str) -> Content {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        content(&path).unwrap()
    }

    #[test]
    fn parquet_is_told_by_both_ends_whatever_the_name() {
        assert_eq!(what(b"PAR1xxxxPAR1", "000000_0"), Content::Parquet);
        let cut = what(b"PAR1xxxxxxxx", "part-0.parquet");
        assert!(matches!(cut, Content::Other(w) if w.contains("cut short")));
        assert!(matches!(what(b"", "a"), Content::Other(w) if w == "an empty file"));
        assert!(matches!(what(b"PAR1", "a"), Content::Other(w) if w.contains("cut short")));
    }

    #[test]
    fn other_files_are_named_for_what_they_are() {
        assert!(matches!(what(b"a,b\n1,2\n", "x.csv"), Content::Other(w) if w == "a CSV file"));
        assert!(
            matches!(what("说明\n".as_bytes(), "README"), Content::Other(w) if w == "a text file")
        );
        assert!(
            matches!(what(&[0x1f, 0x8b, 8, 0], "p.gz"), Content::Other(w) if w.contains("gzip"))
        );
        assert!(
            matches!(what(&[0, 1, 2, 3, 4, 5, 6, 7, 8], "b"), Content::Other(w) if w.contains("does not start with `PAR1`"))
        );
    }
}
