//! Parse: rule text to a syntax tree with spans, and back (the formatter).

pub mod ast;
pub mod diagnostic;
pub mod format;
pub mod parse;
pub mod span;

use std::path::{Path, PathBuf};

pub use diagnostic::{Diagnostic, Renderer, Severity};
pub use parse::MAX_DEPTH;
pub use span::{FileId, SourceFile, Sources, Span};

/// The `.rules` files under `paths` (files as given, folders searched
/// recursively), sorted so a ruleset always reads in the same order.
pub fn find_rule_files(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for path in paths {
        if path.is_dir() {
            collect(path, &mut found)?;
        } else if path.exists() {
            found.push(path.clone());
        } else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{}: no such file or folder", path.display()),
            ));
        }
    }
    found.sort();
    found.dedup();
    Ok(found)
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rules") {
            out.push(path);
        }
    }
    Ok(())
}

/// A ruleset's files, read and parsed.
#[derive(Debug, Default)]
pub struct Parsed {
    pub sources: Sources,
    pub files: Vec<(FileId, ast::File)>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads and parses every file; syntax errors are collected, not fatal.
pub fn parse_paths(paths: &[PathBuf]) -> std::io::Result<Parsed> {
    let mut parsed = Parsed::default();
    for path in find_rule_files(paths)? {
        let bytes = std::fs::read(&path)
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        parse_bytes_into(&mut parsed, &path, bytes);
    }
    Ok(parsed)
}

/// A rules file's bytes as text: UTF-8, with a leading byte-order mark
/// (which Windows editors write) dropped.
pub enum Decoded {
    Text(String),
    /// Not UTF-8: the text with each bad sequence replaced by U+FFFD,
    /// the offset of the first one in it, and its first byte.
    NotUtf8 {
        lossy: String,
        at: usize,
        byte: u8,
    },
}

pub fn decode_source(mut bytes: Vec<u8>) -> Decoded {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    match String::from_utf8(bytes) {
        Ok(text) => Decoded::Text(text),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            Decoded::NotUtf8 {
                byte: bytes[at],
                lossy: String::from_utf8_lossy(&bytes).into_owned(),
                at,
            }
        }
    }
}

/// The diagnostic for a file that is not UTF-8, at its first bad byte.
pub fn not_utf8(file: FileId, at: usize, byte: u8) -> Diagnostic {
    Diagnostic::error("E0006", Span::new(file, at, at + '\u{FFFD}'.len_utf8()), "this file is not UTF-8")
        .with_label(format!("byte 0x{byte:02X} here is not UTF-8"))
        .with_help("rules files are UTF-8; a file saved as GBK or GB18030 can be converted with `iconv -f GB18030 -t UTF-8 FILE > NEW`, or saved again as UTF-8 in its editor")
}

/// Parses one file's bytes as a file of `parsed`: a file that is not UTF-8
/// gets one diagnostic at its first bad byte.
pub fn parse_bytes_into(parsed: &mut Parsed, path: &Path, bytes: Vec<u8>) {
    match decode_source(bytes) {
        Decoded::Text(text) => parse_text_into(parsed, path, text),
        Decoded::NotUtf8 { lossy, at, byte } => {
            let id = parsed.sources.add(path, lossy);
            parsed.diagnostics.push(not_utf8(id, at, byte));
        }
    }
}

/// Runs `work` on a thread with a stack large enough for the deepest
/// expression the parser accepts (see [`MAX_DEPTH`]), whatever the
/// calling thread's stack.
pub fn with_large_stack<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(512 << 20)
            .spawn_scoped(scope, work)
            .expect("a thread to parse on")
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Parses one text as a file of `parsed` (used by tests and the service).
pub fn parse_text_into(parsed: &mut Parsed, path: &Path, text: String) {
    let id = parsed.sources.add(path, text);
    let source = &parsed.sources.get(id).text;
    match with_large_stack(|| parse::parse_file(id, source)) {
        Ok(file) => parsed.files.push((id, file)),
        Err(diagnostic) => parsed.diagnostics.push(diagnostic),
    }
}

#[cfg(test)]
mod format_tests;
#[cfg(test)]
mod tests;
