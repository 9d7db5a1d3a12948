//! The generator's output, whatever the seed: valid under the contract,
//! and every planted label names a row that exists.

use std::collections::HashSet;
use std::fs::File;
use std::ops::ControlFlow;
use std::path::Path;

use arrow::array::{Array, AsArray};
use arrow::datatypes::Int32Type;
use claimaudit::data::contract::chs_schema;
use claimaudit::data::load::{
    ProblemLog, Thoroughness, locate_tables, read_table, validate_dataset,
};
use claimaudit::generate::{GenOptions, generate};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use proptest::prelude::*;

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

fn check_seed(seed: u64, patients: u64) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("data");
    generate(&GenOptions::new(out.clone(), patients, seed), &|_| {}).unwrap();

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
        21,
        "seed {seed}: planted {rules_planted:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4))]

    #[test]
    fn any_seed_gives_a_valid_dataset_with_real_labels(seed in any::<u64>(), patients in 50u64..400) {
        check_seed(seed, patients);
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
        "labels.parquet",
    ] {
        assert_eq!(
            std::fs::read(a.join(file)).unwrap(),
            std::fs::read(b.join(file)).unwrap(),
            "{file}"
        );
    }
}
