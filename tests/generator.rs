//! The generator's output, whatever the seed: valid under the contract,
//! and every planted label names a row that exists.

use std::collections::HashSet;
use std::fs::File;
use std::ops::ControlFlow;
use std::path::Path;

use arrow::array::{Array, AsArray};
use arrow::datatypes::Int32Type;
use claimaudit::check::chs_schema;
use claimaudit::data::load::{
    ProblemLog, Thoroughness, locate_tables, read_table, validate_dataset,
};
use claimaudit::generate::{GenOptions, Order, Profile, generate};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use proptest::prelude::*;

#[path = "support/run.rs"]
mod run;
use run::claimaudit;

/// The key values of `columns` of every row of `table`, joined by `/`.
fn keys(dir: &Path, table: &str, columns: &[&str]) -> HashSet<String> {
    let schema = chs_schema();
    let sources = locate_tables(dir, &schema).unwrap();
    let source = sources.iter().find(|s| s.table == table).unwrap();
    let mut out = HashSet::new();
    let mut log = ProblemLog::default();
    let _ = read_table(
        source,
        schema.table(table).unwrap(),
        Some(columns),
        &mut log,
        &mut |batch, _| {
            for row in 0..batch.batch.num_rows() {
                let key: Vec<String> = columns
                    .iter()
                    .map(|c| {
                        let array = batch.column(c).unwrap();
                        match array.data_type() {
                            arrow::datatypes::DataType::Int32 => {
                                array.as_primitive::<Int32Type>().value(row).to_string()
                            }
                            _ => array.as_string::<i32>().value(row).to_string(),
                        }
                    })
                    .collect();
                out.insert(key.join("/"));
            }
            ControlFlow::Continue(())
        },
    );
    assert!(log.is_empty());
    out
}

fn check_seed(seed: u64, patients: u64, order: Order) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("data");
    generate_with(&out, patients, seed, order, Profile::Clean);

    let validation = validate_dataset(&out, &chs_schema(), Thoroughness::AllProblems, &|_, _| {});
    assert!(
        validation.is_valid(),
        "seed {seed}: {:?}",
        validation
            .problems
            .problems()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    );

    let lines = keys(&out, "claim_items", &["claim_id", "line_no"]);
    let claims = keys(&out, "claims", &["claim_id"]);
    let providers = keys(&out, "providers", &["provider_id"]);
    let labels =
        ParquetRecordBatchReaderBuilder::try_new(File::open(out.join("labels.parquet")).unwrap())
            .unwrap()
            .build()
            .unwrap();
    let mut rules_planted = HashSet::new();
    for batch in labels {
        let batch = batch.unwrap();
        let text = |name: &str| {
            batch
                .column_by_name(name)
                .unwrap()
                .as_string::<i32>()
                .clone()
        };
        let (rule, grain, claim, provider) = (
            text("rule_id"),
            text("grain"),
            text("claim_id"),
            text("provider_id"),
        );
        let line_no = batch
            .column_by_name("line_no")
            .unwrap()
            .as_primitive::<Int32Type>()
            .clone();
        for row in 0..batch.num_rows() {
            rules_planted.insert(rule.value(row).to_string());
            let exists = match grain.value(row) {
                "line" => lines.contains(&format!("{}/{}", claim.value(row), line_no.value(row))),
                "claim" => claims.contains(claim.value(row)),
                "provider" => providers.contains(provider.value(row)),
                other => panic!("unknown grain {other}"),
            };
            assert!(
                exists,
                "seed {seed}: label {} row {row} ({}, {:?}, {:?}) names no row",
                rule.value(row),
                grain.value(row),
                claim.is_valid(row).then(|| claim.value(row)),
                provider.is_valid(row).then(|| provider.value(row)),
            );
        }
    }
    // Every default rule is planted, whatever the seed.
    assert_eq!(
        rules_planted.len(),
        22,
        "seed {seed}: planted {rules_planted:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4))]

    #[test]
    fn any_seed_gives_a_valid_dataset_with_real_labels(
        seed in any::<u64>(),
        patients in 50u64..400,
        order in prop_oneof![Just(Order::Patient), Just(Order::Time), Just(Order::Shuffled)],
    ) {
        check_seed(seed, patients, order);
    }
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    for out in [&a, &b] {
        generate(&GenOptions::new(out.clone(), 300, 7), &|_| {}).unwrap();
    }
    for file in [
        "patients.parquet",
        "catalog.parquet",
        "providers.parquet",
        "exclusive_items.parquet",
        "labels.parquet",
    ] {
        assert_eq!(
            std::fs::read(a.join(file)).unwrap(),
            std::fs::read(b.join(file)).unwrap(),
            "{file}"
        );
    }
}

/// Every row of `table`, in file order (parts in name order), each as the
/// text of its cells.
fn rows(dir: &Path, table: &str) -> Vec<Vec<String>> {
    use arrow::util::display::{ArrayFormatter, FormatOptions};
    let mut parts: Vec<_> = std::fs::read_dir(dir.join(table))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    parts.sort();
    let mut out = Vec::new();
    for part in parts {
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(part).unwrap())
            .unwrap()
            .build()
            .unwrap();
        for batch in reader {
            let batch = batch.unwrap();
            let options = FormatOptions::default().with_null("null");
            let formatters: Vec<_> = batch
                .columns()
                .iter()
                .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).unwrap())
                .collect();
            for row in 0..batch.num_rows() {
                out.push(
                    formatters
                        .iter()
                        .map(|f| f.value(row).to_string())
                        .collect(),
                );
            }
        }
    }
    out
}

fn generate_with(out: &Path, patients: u64, seed: u64, order: Order, profile: Profile) {
    let options = GenOptions {
        order,
        profile,
        ..GenOptions::new(out, patients, seed)
    };
    generate(&options, &|_| {}).unwrap();
}

/// Column positions in the contract's claims and claim_items.
const CLAIM_ID: usize = 0;
const SETTLE_TIME: usize = 10;
const LINE_NO: usize = 1;

#[test]
fn time_order_writes_claims_and_their_lines_by_settlement_time() {
    let dir = tempfile::tempdir().unwrap();
    let (by_patient, by_time) = (dir.path().join("patient"), dir.path().join("time"));
    // Three parts (two chunks and the planted cases), so buckets matter.
    generate_with(&by_patient, 12_000, 3, Order::Patient, Profile::Clean);
    generate_with(&by_time, 12_000, 3, Order::Time, Profile::Clean);

    let claims = rows(&by_time, "claims");
    let keys: Vec<(&str, &str)> = claims
        .iter()
        .map(|r| (r[SETTLE_TIME].as_str(), r[CLAIM_ID].as_str()))
        .collect();
    assert!(keys.is_sorted(), "claims by settle_time, then claim_id");
    let settled: std::collections::HashMap<&str, &str> =
        keys.iter().map(|(t, c)| (*c, *t)).collect();
    let lines = rows(&by_time, "claim_items");
    let line_keys: Vec<(&str, &str, i32)> = lines
        .iter()
        .map(|r| {
            let claim = r[CLAIM_ID].as_str();
            (settled[claim], claim, r[LINE_NO].parse().unwrap())
        })
        .collect();
    assert!(
        line_keys.is_sorted(),
        "lines by their claim's settle_time, claim_id, line_no"
    );

    // The same rows as in patient order, which is not time order.
    for table in ["claims", "claim_items"] {
        let mut before = rows(&by_patient, table);
        assert_ne!(before, rows(&by_time, table), "{table} was reordered");
        let mut after = rows(&by_time, table);
        before.sort();
        after.sort();
        assert_eq!(before, after, "{table}: the same rows");
    }
    for file in [
        "patients.parquet",
        "labels.parquet",
        "catalog.parquet",
        "exclusive_items.parquet",
    ] {
        assert_eq!(
            std::fs::read(by_patient.join(file)).unwrap(),
            std::fs::read(by_time.join(file)).unwrap(),
            "{file}"
        );
    }
}

/// Every file of a dataset folder, by relative path.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for table in ["", "claims", "claim_items"] {
        for entry in std::fs::read_dir(dir.join(table)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                let name = path.strip_prefix(dir).unwrap().display().to_string();
                out.push((name, std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn shuffled_order_gives_the_same_bytes_for_the_same_seed_on_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<_> = ["a", "b", "c"].iter().map(|n| dir.path().join(n)).collect();
    for (out, threads) in paths.iter().zip([1, 2, 3]) {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| generate_with(out, 12_000, 5, Order::Shuffled, Profile::Clean));
    }
    let first = files(&paths[0]);
    assert_eq!(first.len(), 2 * 3 + 5);
    for other in &paths[1..] {
        assert!(first == files(other), "same seed, same bytes");
    }

    // A claim's lines are scattered, and not in patient order.
    let lines = rows(&paths[0], "claim_items");
    let mut seen = HashSet::new();
    let mut scattered = 0;
    for pair in lines.windows(2) {
        if pair[0][CLAIM_ID] != pair[1][CLAIM_ID] && !seen.insert(pair[1][CLAIM_ID].clone()) {
            scattered += 1;
        }
    }
    assert!(
        scattered > lines.len() / 4,
        "{scattered} of {} lines",
        lines.len()
    );

    let other = dir.path().join("seed6");
    generate_with(&other, 12_000, 6, Order::Shuffled, Profile::Clean);
    assert_ne!(
        files(&paths[0]),
        files(&other),
        "another seed, another order"
    );
}

#[test]
fn time_order_gives_the_same_bytes_on_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<_> = ["a", "b"].iter().map(|n| dir.path().join(n)).collect();
    for (out, threads) in paths.iter().zip([1, 3]) {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| generate_with(out, 600, 2, Order::Time, Profile::Dense));
    }
    assert!(files(&paths[0]) == files(&paths[1]));
}

/// `gen --exclusive-items N`: N background rows of the knowledge base, and
/// the planted pairs after them; more than the codes stay unique for is
/// refused before anything is written.
#[test]
fn the_knowledge_base_has_as_many_background_rows_as_asked() {
    let dir = tempfile::tempdir().unwrap();
    let rows = |out: &Path| {
        let file = File::open(out.join("exclusive_items.parquet")).unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
        reader.metadata().file_metadata().num_rows() as u64
    };
    let mut written = Vec::new();
    for n in ["0", "70000"] {
        let out = dir.path().join(n);
        let (code, stdout, stderr) = claimaudit(&[
            "gen",
            "--out",
            out.to_str().unwrap(),
            "--patients",
            "20",
            "--exclusive-items",
            n,
        ]);
        assert_eq!(code, 0, "{stdout}{stderr}");
        let found = rows(&out);
        // The summary counts them, digits grouped by thousands.
        let digits = found.to_string();
        let mut grouped = String::new();
        for (i, d) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(d);
        }
        assert!(
            stdout.contains(&format!("exclusive_items {grouped:>12} rows")),
            "{stdout}"
        );
        written.push(found);
    }
    let planted = written[0];
    assert!(
        planted > 0,
        "the planted pairs are written without a background"
    );
    assert_eq!(written[1], 70_000 + planted);

    let out = dir.path().join("too-many");
    let (code, _, stderr) = claimaudit(&[
        "gen",
        "--out",
        out.to_str().unwrap(),
        "--patients",
        "1",
        "--exclusive-items",
        "100000001",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--exclusive-items"), "{stderr}");
    assert!(!out.exists());
    let (_, help, _) = claimaudit(&["gen", "--help"]);
    assert!(help.contains("--exclusive-items <N>"), "{help}");
}
