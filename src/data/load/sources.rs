//! Finding each table of a dataset folder: `<table>.parquet`, a folder
//! `<table>/` of Parquet files (see `folder`), or `<table>.csv` (the
//! readable form of fixtures).

use std::path::{Path, PathBuf};

use super::folder::read_folder;
use super::memory::{InMemory, MemoryBatches};
use super::options::{LoadOptions, TextEncoding};
use super::problem::{Problem, ProblemKind};
use crate::ir::Schema;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Parquet,
    Csv,
    /// Arrow batches given in memory (see `memory`).
    Memory,
}

/// Where one table's rows are stored.
#[derive(Debug, Clone)]
pub struct TableSource {
    pub table: String,
    pub format: FileFormat,
    /// Sorted, so rows are always read in the same order.
    pub files: Vec<PathBuf>,
    /// Marker and hidden entries of a table folder, relative to it.
    pub skipped: Vec<PathBuf>,
    /// How CSV text is encoded.
    pub encoding: TextEncoding,
    /// The rows, for a table given in memory (its one "file" is a label).
    pub memory: Option<MemoryBatches>,
}

/// Names shown in a note before the rest are counted.
const SKIPPED_NAMES_SHOWN: usize = 5;

impl TableSource {
    /// `skipped 2 marker files: _SUCCESS, .part-0.crc`, when any were.
    pub fn skipped_note(&self) -> Option<String> {
        let count = self.skipped.len();
        if count == 0 {
            return None;
        }
        let mut names: Vec<String> = self
            .skipped
            .iter()
            .take(SKIPPED_NAMES_SHOWN)
            .map(|p| p.display().to_string())
            .collect();
        if count > SKIPPED_NAMES_SHOWN {
            names.push(format!("and {} more", count - SKIPPED_NAMES_SHOWN));
        }
        let noun = if count == 1 { "file" } else { "files" };
        Some(format!(
            "skipped {count} marker {noun}: {}",
            names.join(", ")
        ))
    }
}

/// Every table found, and the problems of those not found or not whole.
#[derive(Debug, Default)]
pub struct Located {
    pub sources: Vec<TableSource>,
    pub problems: Vec<Problem>,
    /// Tables some of whose files are refused: their rows are not all read.
    pub incomplete: Vec<String>,
}

/// Locates every table of `schema` in `dir`, or says for each table why not.
pub fn locate_tables(dir: &Path, schema: &Schema) -> Result<Vec<TableSource>, Vec<Problem>> {
    let located = locate_all(dir, schema, &LoadOptions::default(), &|_| true);
    if located.problems.is_empty() {
        Ok(located.sources)
    } else {
        Err(located.problems)
    }
}

/// Locates every table of `schema` that `wanted` names in `dir`, keeping
/// the tables that can be read in part beside the problems of the rest.
pub fn locate_all(
    dir: &Path,
    schema: &Schema,
    options: &LoadOptions,
    wanted: &dyn Fn(&str) -> bool,
) -> Located {
    let mut located = Located::default();
    if let Some(memory) = &options.memory {
        locate_in_memory(memory, schema, wanted, &mut located);
        return located;
    }
    if !dir.is_dir() {
        located.problems.push(Problem::new(
            ProblemKind::MissingTable,
            dir,
            "the dataset folder does not exist or is not a folder",
        ));
        return located;
    }
    for table in schema.tables.iter().filter(|t| wanted(&t.name)) {
        match locate_table(dir, &table.name) {
            Ok((mut source, problems)) => {
                source.encoding = options.encoding;
                if !problems.is_empty() {
                    located.incomplete.push(table.name.clone());
                }
                located.problems.extend(problems);
                located.sources.push(source);
            }
            Err(problem) => located.problems.push(problem),
        }
    }
    located
}

/// The tables of a dataset given in memory, each one "file".
fn locate_in_memory(
    memory: &InMemory,
    schema: &Schema,
    wanted: &dyn Fn(&str) -> bool,
    located: &mut Located,
) {
    for table in schema.tables.iter().filter(|t| wanted(&t.name)) {
        let name = &table.name;
        match memory.table(name) {
            Some(batches) => located.sources.push(TableSource {
                table: name.clone(),
                format: FileFormat::Memory,
                files: vec![InMemory::label(name)],
                skipped: Vec::new(),
                encoding: TextEncoding::default(),
                memory: Some(batches.clone()),
            }),
            // Named by the table's label, so a caller can tell which is missing.
            None => located.problems.push(Problem::new(
                ProblemKind::MissingTable,
                &InMemory::label(name),
                format!("table `{name}` is missing: no table of that name was given"),
            )),
        }
    }
}

/// A table's source, with the problems of files in its folder that are refused.
fn locate_table(dir: &Path, table: &str) -> Result<(TableSource, Vec<Problem>), Problem> {
    let file = dir.join(format!("{table}.parquet"));
    let folder = dir.join(table);
    let csv = dir.join(format!("{table}.csv"));
    let candidates: Vec<&Path> = [file.as_path(), folder.as_path(), csv.as_path()]
        .into_iter()
        .filter(|p| p.exists())
        .collect();
    match candidates.as_slice() {
        [] => Err(Problem::new(
            ProblemKind::MissingTable,
            dir,
            format!(
                "table `{table}` is missing: expected `{table}.parquet`, a folder `{table}/` of Parquet files, or `{table}.csv`"
            ),
        )),
        // Spark writes `claims.parquet/` as a folder of parts.
        [one] if one.is_dir() => {
            let mut found = read_folder(one);
            if found.files.is_empty() {
                found.problems.push(Problem::new(
                    ProblemKind::MissingTable,
                    one,
                    format!("table `{table}` is a folder with no Parquet files in it"),
                ));
            }
            let source = TableSource {
                table: table.to_string(),
                format: FileFormat::Parquet,
                files: found.files,
                skipped: found.skipped,
                encoding: TextEncoding::default(),
                memory: None,
            };
            Ok((source, found.problems))
        }
        [one] => Ok((
            TableSource {
                table: table.to_string(),
                format: if *one == csv {
                    FileFormat::Csv
                } else {
                    FileFormat::Parquet
                },
                files: vec![one.to_path_buf()],
                skipped: Vec::new(),
                encoding: TextEncoding::default(),
                memory: None,
            },
            Vec::new(),
        )),
        many => Err(Problem::new(
            ProblemKind::AmbiguousTable,
            dir,
            format!(
                "table `{table}` is stored more than once ({}); keep only one",
                many.iter()
                    .map(|p| p
                        .file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into_owned())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::chs_schema;
    use std::fs;

    const PARQUET: &[u8] = b"PAR1 stand-in PAR1";

    #[test]
    fn finds_files_folders_and_csv_and_reports_missing_and_ambiguous() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::write(d.join("claims.parquet"), b"").unwrap();
        fs::create_dir_all(d.join("claim_items/year=2024")).unwrap();
        fs::write(d.join("claim_items/year=2024/b.parquet"), PARQUET).unwrap();
        fs::write(d.join("claim_items/a"), PARQUET).unwrap();
        fs::write(d.join("claim_items/_SUCCESS"), b"").unwrap();
        fs::write(d.join("patients.csv"), b"").unwrap();
        fs::write(d.join("catalog.csv"), b"").unwrap();
        fs::write(d.join("catalog.parquet"), b"").unwrap();
        fs::write(d.join("exclusive_items.csv"), b"").unwrap();

        let problems = locate_tables(d, &chs_schema()).unwrap_err();
        let kinds: Vec<_> = problems.iter().map(|p| p.kind).collect();
        assert_eq!(
            kinds,
            vec![ProblemKind::AmbiguousTable, ProblemKind::MissingTable]
        );
        assert!(problems[0].message.contains("catalog.parquet"));
        assert!(problems[1].message.contains("`providers`"));

        fs::remove_file(d.join("catalog.csv")).unwrap();
        fs::create_dir(d.join("providers.parquet")).unwrap();
        fs::write(d.join("providers.parquet/part-0"), PARQUET).unwrap();
        let sources = locate_tables(d, &chs_schema()).unwrap();
        let items = sources.iter().find(|s| s.table == "claim_items").unwrap();
        assert_eq!(items.files.len(), 2);
        assert!(items.files[0].ends_with("a"));
        assert_eq!(
            items.skipped_note().as_deref(),
            Some("skipped 1 marker file: _SUCCESS")
        );
        let providers = sources.iter().find(|s| s.table == "providers").unwrap();
        assert!(providers.files[0].ends_with("providers.parquet/part-0"));
        let patients = sources.iter().find(|s| s.table == "patients").unwrap();
        assert_eq!(patients.format, FileFormat::Csv);
    }
}
