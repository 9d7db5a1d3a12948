//! Finding each table of a dataset folder: `<table>.parquet`, a folder
//! `<table>/` of Parquet files (searched recursively, as Hive-style exports
//! nest them), or `<table>.csv` (the readable form of fixtures).

use std::fs;
use std::path::{Path, PathBuf};

use super::problem::{Problem, ProblemKind};
use crate::ir::Schema;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Parquet,
    Csv,
}

/// Where one table's rows are stored.
#[derive(Debug, Clone)]
pub struct TableSource {
    pub table: String,
    pub format: FileFormat,
    /// Sorted, so rows are always read in the same order.
    pub files: Vec<PathBuf>,
}

/// Locates every table of `schema` in `dir`, or says for each table why not.
pub fn locate_tables(dir: &Path, schema: &Schema) -> Result<Vec<TableSource>, Vec<Problem>> {
    if !dir.is_dir() {
        return Err(vec![Problem::new(
            ProblemKind::MissingTable,
            dir,
            "the dataset folder does not exist or is not a folder",
        )]);
    }
    let mut sources = Vec::new();
    let mut problems = Vec::new();
    for table in &schema.tables {
        match locate_table(dir, &table.name) {
            Ok(source) => sources.push(source),
            Err(problem) => problems.push(problem),
        }
    }
    if problems.is_empty() {
        Ok(sources)
    } else {
        Err(problems)
    }
}

fn locate_table(dir: &Path, table: &str) -> Result<TableSource, Problem> {
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
        [one] if *one == folder => {
            let mut files = Vec::new();
            collect_parquet_files(&folder, &mut files)
                .map_err(|e| Problem::new(ProblemKind::UnreadableFile, &folder, e.to_string()))?;
            if files.is_empty() {
                return Err(Problem::new(
                    ProblemKind::MissingTable,
                    &folder,
                    format!("table `{table}` is a folder with no `.parquet` files in it"),
                ));
            }
            files.sort();
            Ok(TableSource {
                table: table.to_string(),
                format: FileFormat::Parquet,
                files,
            })
        }
        [one] => Ok(TableSource {
            table: table.to_string(),
            format: if *one == csv {
                FileFormat::Csv
            } else {
                FileFormat::Parquet
            },
            files: vec![one.to_path_buf()],
        }),
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

/// Parquet files below `dir`, skipping hidden and marker files (`.crc`,
/// `_SUCCESS`, `_metadata`) that Spark and Hive leave beside the data.
fn collect_parquet_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if name.starts_with('.') || name.starts_with('_') {
            continue;
        }
        if path.is_dir() {
            collect_parquet_files(&path, out)?;
        } else if name.ends_with(".parquet") {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::contract::chs_schema;

    #[test]
    fn finds_files_folders_and_csv_and_reports_missing_and_ambiguous() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::write(d.join("claims.parquet"), b"").unwrap();
        fs::create_dir_all(d.join("claim_items/year=2024")).unwrap();
        fs::write(d.join("claim_items/year=2024/b.parquet"), b"").unwrap();
        fs::write(d.join("claim_items/a.parquet"), b"").unwrap();
        fs::write(d.join("claim_items/_SUCCESS"), b"").unwrap();
        fs::write(d.join("patients.csv"), b"").unwrap();
        fs::write(d.join("catalog.csv"), b"").unwrap();
        fs::write(d.join("catalog.parquet"), b"").unwrap();

        let problems = locate_tables(d, &chs_schema()).unwrap_err();
        let kinds: Vec<_> = problems.iter().map(|p| p.kind).collect();
        assert_eq!(
            kinds,
            vec![ProblemKind::AmbiguousTable, ProblemKind::MissingTable]
        );
        assert!(problems[0].message.contains("catalog.parquet"));
        assert!(problems[1].message.contains("`providers`"));

        fs::remove_file(d.join("catalog.csv")).unwrap();
        fs::write(d.join("providers.parquet"), b"").unwrap();
        let sources = locate_tables(d, &chs_schema()).unwrap();
        let items = sources.iter().find(|s| s.table == "claim_items").unwrap();
        assert_eq!(items.files.len(), 2);
        assert!(items.files[0].ends_with("a.parquet"));
        let patients = sources.iter().find(|s| s.table == "patients").unwrap();
        assert_eq!(patients.format, FileFormat::Csv);
    }
}
