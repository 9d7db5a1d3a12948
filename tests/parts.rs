//! A dataset given in memory scans to exactly the flags of its files, and
//! a scan split into parts by the partition key (what a distributed run
//! does: each part a patient's rows whole, the shared tables in every part,
//! population rules finished once from the parts' partial aggregates)
//! gives exactly the flags of one scan.

use std::collections::BTreeMap;
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::process::Command;

use arrow::array::{Array, AsArray, BooleanArray, RecordBatch};
use arrow::compute::filter_record_batch;
use claimaudit::data::load::{InMemory, ProblemKind};
use claimaudit::exec::{Compiled, ExecOptions, Partials, ScanError, ScanLimits};
use claimaudit::flags::{Flag, flags_from_batch};
use claimaudit::plan::Selection;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

fn generated(dir: &Path) {
    let status = Command::new(env!("CARGO_BIN_EXE_claimaudit"))
        .args(["gen", "--out", dir.to_str().unwrap(), "--patients", "400"])
        .args(["--profile", "dense", "--order", "shuffled", "--seed", "7"])
        .output()
        .unwrap();
    assert!(status.status.success(), "{status:?}");
}

fn read_parquet(path: &Path) -> Vec<RecordBatch> {
    ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap())
        .unwrap()
        .build()
        .unwrap()
        .map(|b| b.unwrap())
        .collect()
}

/// Each table's batches, from `<table>.parquet` or a folder of parts.
fn in_memory(dir: &Path) -> BTreeMap<String, Vec<RecordBatch>> {
    let mut tables = BTreeMap::new();
    for path in std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()) {
        let table = path.file_stem().unwrap().to_string_lossy().into_owned();
        if table == "labels" {
            continue;
        }
        let mut files = vec![path.clone()];
        if path.is_dir() {
            files = std::fs::read_dir(&path)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            files.sort();
        }
        let batches = files.iter().flat_map(|f| read_parquet(f)).collect();
        tables.insert(table, batches);
    }
    tables
}

fn options(memory: Option<InMemory>) -> ExecOptions {
    let mut options = ExecOptions {
        threads: Some(2),
        ..ExecOptions::default()
    };
    options.load.memory = memory;
    options
}

fn scan(compiled: &Compiled, dir: &Path, options: &ExecOptions) -> Result<Vec<Flag>, ScanError> {
    let mut flags = Vec::new();
    compiled.scan_into(dir, options, &ScanLimits::default(), &|_| {}, &mut |b| {
        flags.extend(flags_from_batch(&b));
        Ok(())
    })?;
    Ok(flags)
}

fn part_of(key: &str, parts: u64) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut hasher);
    hasher.finish() % parts
}

/// The rows of `batches` whose key (column `column`, or through `via`)
/// falls in `part`.
fn rows_of_part(
    batches: &[RecordBatch],
    key: &dyn Fn(&RecordBatch, usize) -> String,
    part: u64,
    parts: u64,
) -> Vec<RecordBatch> {
    batches
        .iter()
        .map(|b| {
            let keep: BooleanArray = (0..b.num_rows())
                .map(|i| Some(part_of(&key(b, i), parts) == part))
                .collect();
            filter_record_batch(b, &keep).unwrap()
        })
        .collect()
}

fn text(batch: &RecordBatch, column: &str, row: usize) -> String {
    let array = batch.column_by_name(column).unwrap();
    let strings = array.as_string::<i32>();
    if strings.is_null(row) {
        String::new()
    } else {
        strings.value(row).to_string()
    }
}

#[test]
fn tables_in_memory_and_parts_give_the_flags_of_the_files() {
    let dir = tempfile::tempdir().unwrap();
    generated(dir.path());
    let checked = claimaudit::check::check_shipped();
    let ruleset = checked.ruleset.as_ref().unwrap();
    let compiled = Compiled::new(ruleset, &Selection::default(), &checked.sources);

    let from_files = scan(&compiled, dir.path(), &options(None)).unwrap();
    assert!(from_files.len() > 100, "{}", from_files.len());

    let tables = in_memory(dir.path());
    let memory = InMemory::new(tables.clone());
    let nowhere = Path::new("/nonexistent");
    let from_memory = scan(&compiled, nowhere, &options(Some(memory))).unwrap();
    assert_eq!(from_memory, from_files);

    // Three parts by patient, lines following their claim's patient.
    let parts = 3;
    let patient_of_claim: BTreeMap<String, String> = tables["claims"]
        .iter()
        .flat_map(|b| {
            (0..b.num_rows()).map(move |i| (text(b, "claim_id", i), text(b, "patient_id", i)))
        })
        .collect();
    let routed = ["claims", "claim_items", "patients"];
    let mut flags = Vec::new();
    let mut partials = Partials::new(&ruleset.hash);
    for part in 0..parts {
        let mut dataset: BTreeMap<String, Vec<RecordBatch>> = tables
            .iter()
            .filter(|(t, _)| !routed.contains(&t.as_str()))
            .map(|(t, b)| (t.clone(), b.clone()))
            .collect();
        let by_patient = |b: &RecordBatch, i| text(b, "patient_id", i);
        let by_claim = |b: &RecordBatch, i| {
            patient_of_claim
                .get(&text(b, "claim_id", i))
                .cloned()
                .unwrap_or_default()
        };
        for (table, key) in [
            (
                "claims",
                &by_patient as &dyn Fn(&RecordBatch, usize) -> String,
            ),
            ("patients", &by_patient),
            ("claim_items", &by_claim),
        ] {
            dataset.insert(
                table.to_string(),
                rows_of_part(&tables[table], key, part, parts),
            );
        }
        let options = options(Some(InMemory::new(dataset)));
        let (_, partial) = compiled
            .scan_part_into(
                nowhere,
                &options,
                &ScanLimits::default(),
                &|_| {},
                &mut |b| {
                    flags.extend(flags_from_batch(&b));
                    Ok(())
                },
            )
            .unwrap();
        // As a worker sends them.
        let partial = Partials::from_bytes(&partial.to_bytes()).unwrap();
        partials.absorb(ruleset, partial).unwrap();
    }
    let shared: BTreeMap<String, Vec<RecordBatch>> = tables
        .iter()
        .filter(|(t, _)| !routed.contains(&t.as_str()))
        .map(|(t, b)| (t.clone(), b.clone()))
        .collect();
    let finished = compiled
        .finish_parts(nowhere, &options(Some(InMemory::new(shared))), &partials)
        .unwrap();
    assert!(
        !finished.is_empty(),
        "the population rule flags some provider"
    );
    flags.extend(finished);
    Flag::sort(&mut flags);
    assert_eq!(flags, from_files);
}

#[test]
fn a_table_missing_from_memory_is_named() {
    let checked = claimaudit::check::check_shipped();
    let ruleset = checked.ruleset.as_ref().unwrap();
    let compiled = Compiled::new(ruleset, &Selection::default(), &checked.sources);
    let memory = InMemory::new(BTreeMap::new());
    let error = scan(&compiled, Path::new("/nonexistent"), &options(Some(memory))).unwrap_err();
    let ScanError::Data(problem) = error else {
        panic!("{error}")
    };
    assert_eq!(problem.kind, ProblemKind::MissingTable);
    assert!(
        problem
            .to_string()
            .contains("no table of that name was given"),
        "{problem}"
    );
}

#[test]
fn partials_of_another_ruleset_do_not_merge() {
    let checked = claimaudit::check::check_shipped();
    let ruleset = checked.ruleset.as_ref().unwrap();
    let mut mine = Partials::new(&ruleset.hash);
    let error = mine.absorb(ruleset, Partials::new("other")).unwrap_err();
    assert!(
        error.contains("run every partition with the same rules"),
        "{error}"
    );
    assert!(Partials::from_bytes(b"not json").is_err());
}
