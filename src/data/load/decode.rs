//! Reading a CSV file as UTF-8 text whatever it was written in (UTF-8 or
//! GB18030), dropping a UTF-8 byte-order mark, and telling where in the
//! file a byte that does not decode is, as line and byte of the line.

use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use encoding_rs::{Decoder, DecoderResult};

use super::options::TextEncoding;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
const CHUNK: usize = 64 * 1024;

/// A byte sequence that does not decode: where it starts in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub offset: u64,
    pub len: usize,
    pub encoding: TextEncoding,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "not valid {} at byte {} of the file",
            self.encoding.name(),
            self.offset
        )
    }
}

impl std::error::Error for DecodeError {}

/// The decoding error behind an I/O error, if that is what it is.
pub fn decode_error(error: &io::Error) -> Option<&DecodeError> {
    error.get_ref()?.downcast_ref::<DecodeError>()
}

/// Decodes what `inner` reads into UTF-8; a byte sequence that does not
/// decode ends the text with an I/O error wrapping a [`DecodeError`].
pub struct Decoding<R> {
    inner: R,
    encoding: TextEncoding,
    decoder: Option<Decoder>,
    raw: Vec<u8>,
    /// Undecoded bytes are `raw[start..]`.
    start: usize,
    /// File bytes before `raw[start]`.
    consumed: u64,
    eof: bool,
    out: Vec<u8>,
    out_start: usize,
    failed: Option<DecodeError>,
    finished: bool,
}

impl<R: Read> Decoding<R> {
    pub fn new(inner: R, encoding: TextEncoding) -> Decoding<R> {
        Decoding {
            inner,
            encoding,
            decoder: None,
            raw: Vec::with_capacity(CHUNK),
            start: 0,
            consumed: 0,
            eof: false,
            out: Vec::new(),
            out_start: 0,
            failed: None,
            finished: false,
        }
    }

    /// Reads more raw bytes, keeping the undecoded ones.
    fn top_up(&mut self, at_least: usize) -> io::Result<()> {
        self.raw.drain(..self.start);
        self.start = 0;
        while !self.eof && self.raw.len() < at_least {
            let len = self.raw.len();
            self.raw.resize(len + CHUNK, 0);
            let n = match self.inner.read(&mut self.raw[len..]) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => 0,
                Err(e) => {
                    self.raw.truncate(len);
                    return Err(e);
                }
            };
            self.raw.truncate(len + n);
            if n == 0 {
                self.eof = true;
            }
        }
        Ok(())
    }

    /// Chooses the decoder once the first bytes are known: a UTF-8
    /// byte-order mark says the file is UTF-8 whatever was asked.
    fn choose_decoder(&mut self) -> io::Result<()> {
        if self.decoder.is_none() {
            self.top_up(UTF8_BOM.len())?;
            if self.raw.starts_with(UTF8_BOM) {
                self.start = UTF8_BOM.len();
                self.consumed = UTF8_BOM.len() as u64;
                self.encoding = TextEncoding::Utf8;
            }
            self.decoder = Some(self.encoding.encoding().new_decoder_without_bom_handling());
        }
        Ok(())
    }

    /// Decodes the next piece into `out`; false at the end of the text.
    fn decode_more(&mut self) -> io::Result<bool> {
        if self.finished {
            return Ok(false);
        }
        self.choose_decoder()?;
        if self.start == self.raw.len() {
            self.top_up(1)?;
        }
        let last = self.eof;
        let Some(decoder) = self.decoder.as_mut() else {
            return Ok(false);
        };
        let input = &self.raw[self.start..];
        let room = decoder
            .max_utf8_buffer_length_without_replacement(input.len())
            .unwrap_or(CHUNK * 4)
            .max(16);
        self.out.clear();
        self.out.resize(room, 0);
        self.out_start = 0;
        let (result, read, written) =
            decoder.decode_to_utf8_without_replacement(input, &mut self.out, last);
        self.out.truncate(written);
        self.start += read;
        self.consumed += read as u64;
        match result {
            DecoderResult::Malformed(bad, after) => {
                self.failed = Some(DecodeError {
                    offset: self.consumed.saturating_sub(after as u64 + bad as u64),
                    len: bad as usize,
                    encoding: self.encoding,
                });
            }
            DecoderResult::InputEmpty if last => self.finished = true,
            DecoderResult::InputEmpty | DecoderResult::OutputFull => {}
        }
        Ok(true)
    }
}

impl<R: Read> Read for Decoding<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.out_start < self.out.len() {
                let n = buf.len().min(self.out.len() - self.out_start);
                buf[..n].copy_from_slice(&self.out[self.out_start..self.out_start + n]);
                self.out_start += n;
                return Ok(n);
            }
            if let Some(failed) = &self.failed {
                return Err(io::Error::new(io::ErrorKind::InvalidData, failed.clone()));
            }
            if !self.decode_more()? {
                return Ok(0);
            }
        }
    }
}

/// Where a byte of a file is, for a message: its line (from 1), its byte
/// within the line (from 1), the CSV field it is in when that is certain
/// (no quote before it on the line), and the bytes themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BytePlace {
    pub line: u64,
    pub column: u64,
    pub field: Option<usize>,
    pub bytes: Vec<u8>,
}

/// Finds where the `len` bytes at `offset` of `path` are, by reading the
/// file up to there again (only done once, for the message).
pub fn place_of(path: &Path, offset: u64, len: usize) -> io::Result<BytePlace> {
    let mut reader = BufReader::new(File::open(path)?);
    let mut line = 1u64;
    let mut current: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 8192];
    let mut left = offset;
    while left > 0 {
        let want = usize::try_from(left).map_or(chunk.len(), |left| left.min(chunk.len()));
        let n = reader.read(&mut chunk[..want])?;
        if n == 0 {
            break;
        }
        for &b in &chunk[..n] {
            if b == b'\n' {
                line += 1;
                current.clear();
            } else {
                current.push(b);
            }
        }
        left -= n as u64;
    }
    let mut bytes = vec![0u8; len.max(1)];
    let n = reader.read(&mut bytes)?;
    bytes.truncate(n);
    let field = (!current.contains(&b'"')).then(|| current.iter().filter(|&&b| b == b',').count());
    Ok(BytePlace {
        line,
        column: current.len() as u64 + 1,
        field,
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8], encoding: TextEncoding) -> Result<String, DecodeError> {
        let mut text = String::new();
        // Small reads, so sequences split across reads are exercised.
        let mut reader = Decoding::new(io::Cursor::new(bytes.to_vec()), encoding);
        let mut buf = [0u8; 3];
        let mut out = Vec::new();
        loop {
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => return Err(decode_error(&e).unwrap().clone()),
            }
        }
        text.push_str(std::str::from_utf8(&out).unwrap());
        Ok(text)
    }

    #[test]
    fn gb18030_becomes_utf8() {
        let (gbk, _, _) = encoding_rs::GB18030.encode("patient_name\n王秀英\n");
        assert!(std::str::from_utf8(&gbk).is_err());
        assert_eq!(
            decode(&gbk, TextEncoding::Gb18030).unwrap(),
            "patient_name\n王秀英\n"
        );
    }

    #[test]
    fn a_utf8_bom_is_dropped_whatever_the_encoding() {
        let text = "\u{feff}claim_id\nC1\n".as_bytes();
        assert_eq!(decode(text, TextEncoding::Utf8).unwrap(), "claim_id\nC1\n");
        assert_eq!(
            decode(text, TextEncoding::Gb18030).unwrap(),
            "claim_id\nC1\n"
        );
        assert_eq!(decode(b"", TextEncoding::Utf8).unwrap(), "");
        assert_eq!(decode(b"a", TextEncoding::Utf8).unwrap(), "a");
    }

    #[test]
    fn a_byte_that_does_not_decode_is_placed() {
        let (gbk, _, _) = encoding_rs::GB18030.encode("a,b\n1,2\nx,王\n");
        let err = decode(&gbk, TextEncoding::Utf8).unwrap_err();
        assert_eq!(err.offset, 10);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, &gbk).unwrap();
        let place = place_of(&path, err.offset, err.len).unwrap();
        assert_eq!((place.line, place.column, place.field), (3, 3, Some(1)));
        assert_eq!(place.bytes[0], gbk[10]);
    }
}
