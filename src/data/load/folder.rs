//! What a table folder holds: its Parquet files (told by content, searched
//! recursively, as Hive-style exports nest them in `year=2024/` folders),
//! the marker and hidden entries that exports leave beside them (skipped,
//! and said so), and anything else (refused, so no row is dropped unseen).

use std::collections::{HashMap, VecDeque};
use std::fs;
use std::path::{Path, PathBuf};

use super::magic::{Content, content};
use super::problem::{Problem, ProblemKind};

/// The result of reading a table folder.
#[derive(Debug, Default)]
pub struct FolderContents {
    /// Parquet files, sorted, so rows are always read in the same order.
    pub files: Vec<PathBuf>,
    /// Marker and hidden entries, relative to the folder, sorted.
    pub skipped: Vec<PathBuf>,
    pub problems: Vec<Problem>,
}

/// Whether an entry is one that Spark, Hive or Hadoop leave beside the data
/// (`_SUCCESS`, `_metadata`, `.part-0.crc`, `_temporary/`): never rows.
pub fn is_marker(name: &str) -> bool {
    name.starts_with('_') || name.starts_with('.') || name.ends_with(".crc")
}

pub fn read_folder(folder: &Path) -> FolderContents {
    let mut walk = Walk {
        root: folder,
        seen: HashMap::new(),
        links: VecDeque::new(),
        out: FolderContents::default(),
    };
    if let Ok(real) = fs::canonicalize(folder) {
        walk.seen.insert(real, folder.to_path_buf());
    }
    walk.folder(folder);
    // Links are followed after everything real is seen, so a link, not
    // the file or folder it leads to, is what a repeat is blamed on.
    while let Some(link) = walk.links.pop_front() {
        walk.follow(&link);
    }
    walk.out.files.sort();
    walk.out.skipped.sort();
    shorten(&mut walk.out.problems, folder);
    walk.out
}

/// Files that are not Parquet named one by one before the rest are counted:
/// a folder of ten thousand CSV parts needs one line, not ten thousand.
const NOT_PARQUET_SHOWN: usize = 10;

fn shorten(problems: &mut Vec<Problem>, folder: &Path) {
    let mut shown = 0;
    let before = problems.len();
    problems.retain(|p| {
        let keep = p.kind != ProblemKind::NotParquet || shown < NOT_PARQUET_SHOWN;
        shown += usize::from(p.kind == ProblemKind::NotParquet);
        keep
    });
    let hidden = before - problems.len();
    if hidden > 0 {
        problems.push(Problem::new(
            ProblemKind::NotParquet,
            folder,
            format!("and {hidden} more files in this folder that are not Parquet"),
        ));
    }
}

struct Walk<'a> {
    root: &'a Path,
    /// Folders and files by where they really are, so a link back into
    /// the folder is not followed without end and no file is read twice.
    seen: HashMap<PathBuf, PathBuf>,
    links: VecDeque<PathBuf>,
    out: FolderContents,
}

impl Walk<'_> {
    fn folder(&mut self, dir: &Path) {
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => return self.unreadable(dir, &e),
        };
        let mut paths = Vec::new();
        for entry in entries {
            match entry {
                Ok(entry) => paths.push(entry.path()),
                Err(e) => return self.unreadable(dir, &e),
            }
        }
        paths.sort();
        for path in paths {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            if is_marker(&name) {
                let relative = path.strip_prefix(self.root).unwrap_or(&path);
                self.out.skipped.push(relative.to_path_buf());
            } else if fs::symlink_metadata(&path).is_ok_and(|m| m.is_symlink()) {
                self.links.push_back(path);
            } else {
                self.follow(&path);
            }
        }
    }

    /// Reads an entry that is not a marker: a folder, a file or a link.
    fn follow(&mut self, path: &Path) {
        let metadata = match fs::metadata(path) {
            Ok(metadata) => metadata,
            Err(e) => {
                let dangling = fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink());
                if dangling {
                    return self.push(Problem::new(
                        ProblemKind::UnreadableFile,
                        path,
                        "this link leads to nothing (its target does not exist); remove it or restore the target",
                    ));
                }
                return self.unreadable(path, &e);
            }
        };
        if metadata.is_dir() || metadata.is_file() {
            let real = match fs::canonicalize(path) {
                Ok(real) => real,
                Err(e) => return self.unreadable(path, &e),
            };
            if let Some(first) = self.seen.get(&real) {
                let what = if metadata.is_dir() { "folder" } else { "file" };
                let shown = self.root.parent().unwrap_or(self.root);
                let first = first.strip_prefix(shown).unwrap_or(first);
                return self.push(Problem::new(
                    ProblemKind::LinkLoop,
                    path,
                    format!(
                        "this link leads to the {what} `{}`, which this table already reads; remove the link, or its rows would be read twice (or without end)",
                        first.display()
                    ),
                ));
            }
            self.seen.insert(real, path.to_path_buf());
        }
        if metadata.is_dir() {
            self.folder(path);
        } else if metadata.is_file() {
            match content(path) {
                Ok(Content::Parquet) => self.out.files.push(path.to_path_buf()),
                Ok(Content::Other(what)) => self.push(not_parquet(path, &what)),
                Err(e) => self.unreadable(path, &e),
            }
        } else {
            self.push(not_parquet(path, "not a regular file"));
        }
    }

    fn push(&mut self, problem: Problem) {
        self.out.problems.push(problem);
    }

    fn unreadable(&mut self, path: &Path, error: &std::io::Error) {
        self.push(Problem::new(
            ProblemKind::UnreadableFile,
            path,
            format!("cannot read this: {error}"),
        ));
    }
}

fn not_parquet(path: &Path, what: &str) -> Problem {
    Problem::new(
        ProblemKind::NotParquet,
        path,
        format!(
            "{what}, not Parquet; a table folder may hold only Parquet files (whatever their names) and marker files whose names start with `_` or `.`, so move this one out of the folder"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARQUET: &[u8] = b"PAR1 stand-in PAR1";

    #[test]
    fn takes_parquet_by_content_skips_markers_and_refuses_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::create_dir_all(d.join("year=2024")).unwrap();
        fs::create_dir_all(d.join("_temporary/0")).unwrap();
        fs::write(d.join("000000_0"), PARQUET).unwrap();
        fs::write(d.join("year=2024/part-00000-x.c000"), PARQUET).unwrap();
        fs::write(d.join("_SUCCESS"), b"").unwrap();
        fs::write(d.join(".part-0.crc"), b"crc").unwrap();
        fs::write(d.join("_temporary/0/part-1"), PARQUET).unwrap();
        fs::write(d.join("notes.txt"), b"hello").unwrap();
        let found = read_folder(d);
        assert_eq!(
            found.files,
            vec![d.join("000000_0"), d.join("year=2024/part-00000-x.c000")]
        );
        let skipped: Vec<String> = found
            .skipped
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        assert_eq!(skipped, vec![".part-0.crc", "_SUCCESS", "_temporary"]);
        assert_eq!(found.problems.len(), 1);
        assert_eq!(found.problems[0].kind, ProblemKind::NotParquet);
        assert!(
            found.problems[0]
                .message
                .starts_with("a text file, not Parquet"),
            "{}",
            found.problems[0].message
        );
    }

    #[test]
    fn many_files_that_are_not_parquet_are_counted_after_ten() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..25 {
            fs::write(dir.path().join(format!("part-{i:05}.csv")), b"a,b\n").unwrap();
        }
        let found = read_folder(dir.path());
        assert_eq!(found.problems.len(), 11);
        assert_eq!(found.problems[10].file, dir.path());
        assert_eq!(
            found.problems[10].message,
            "and 15 more files in this folder that are not Parquet"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_link_back_into_the_folder_is_told_once_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let table = dir.path().join("claim_items");
        fs::create_dir_all(table.join("a")).unwrap();
        fs::write(table.join("a/p"), PARQUET).unwrap();
        std::os::unix::fs::symlink(&table, table.join("a/loop")).unwrap();
        std::os::unix::fs::symlink(table.join("a/p"), table.join("again")).unwrap();
        std::os::unix::fs::symlink(table.join("gone"), table.join("dangling")).unwrap();
        let found = read_folder(&table);
        assert_eq!(found.files, vec![table.join("a/p")]);
        let kinds: Vec<_> = found.problems.iter().map(|p| p.kind).collect();
        assert_eq!(
            kinds,
            vec![
                ProblemKind::LinkLoop,
                ProblemKind::LinkLoop,
                ProblemKind::UnreadableFile
            ]
        );
        assert!(
            found.problems[0]
                .message
                .contains("the folder `claim_items`"),
            "{}",
            found.problems[0].message
        );
        assert!(
            found.problems[1]
                .message
                .contains("the file `claim_items/a/p`"),
            "{}",
            found.problems[1].message
        );
        assert!(found.problems[2].message.contains("leads to nothing"));
    }
}
