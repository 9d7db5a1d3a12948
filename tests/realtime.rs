//! Real-time checks agree with the scan: on the fixtures, checking each
//! claim against its patient's other claims gives exactly the scan's flags
//! for that claim (batch-only rules aside).

use std::collections::HashMap;
use std::path::Path;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::filter_record_batch;
use claimaudit::check::check_shipped;
use claimaudit::exec::{Checker, Compiled, ExecOptions};
use claimaudit::plan::Selection;

#[test]
fn checking_each_claim_gives_the_scans_flags_for_it() {
    let checked = check_shipped();
    let ruleset = checked.ruleset.as_ref().unwrap();
    let mut knowledge_flags = 0;
    for fixture in [
        "fixtures/line_rules",
        "fixtures/claim_rules",
        "fixtures/knowledge_rules",
    ] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(fixture);
        let selection = Selection {
            only: Vec::new(),
            skip_batch_only: true,
        };
        let full = Compiled::new(ruleset, &selection, &checked.sources);
        let tables = full.read(&dir, &Default::default(), &|_, _| {}).unwrap();
        let (scan_flags, _) = full.run_tables(tables.clone(), &ExecOptions::default());

        let reference =
            Checker::load_reference(ruleset, &checked.sources, &dir, &Default::default()).unwrap();
        let checker = Checker::new(ruleset, &checked.sources, reference);
        let claims = &tables["claims"];
        let lines = &tables["claim_items"];
        let claim_ids = claims
            .column_by_name("claim_id")
            .unwrap()
            .as_string::<i32>();
        let patients = claims
            .column_by_name("patient_id")
            .unwrap()
            .as_string::<i32>();
        for row in 0..claims.num_rows() {
            let (claim, patient) = (claim_ids.value(row), patients.value(row));
            // The patient's claims (history and this one) and their lines.
            let mine: Vec<bool> = (0..claims.num_rows())
                .map(|r| patients.value(r) == patient)
                .collect();
            let their_claims = filter_record_batch(claims, &mine.into()).unwrap();
            let ids: Vec<&str> = their_claims
                .column_by_name("claim_id")
                .unwrap()
                .as_string::<i32>()
                .iter()
                .flatten()
                .collect();
            let line_claims = lines.column_by_name("claim_id").unwrap().as_string::<i32>();
            let keep: Vec<bool> = (0..lines.num_rows())
                .map(|r| ids.contains(&line_claims.value(r)))
                .collect();
            let their_lines = filter_record_batch(lines, &keep.into()).unwrap();
            let rows: HashMap<String, RecordBatch> = [
                ("claims".to_string(), their_claims),
                ("claim_items".to_string(), their_lines),
            ]
            .into();
            let result = checker.check(rows, claim);
            let expected: Vec<_> = scan_flags
                .iter()
                .filter(|f| f.claim_id.as_deref() == Some(claim))
                .collect();
            let got: Vec<_> = result.flags.iter().collect();
            assert_eq!(got, expected, "{fixture}: claim {claim}");
            knowledge_flags += got.iter().filter(|f| &*f.rule_id == "MUTEX-01").count();
            assert_eq!(result.skipped, vec!["UPC-01".to_string()]);
        }
        let _ = claims.column_by_name("claim_id").unwrap().len();
    }
    // The knowledge table's index, built when the checker starts, is used.
    assert_eq!(knowledge_flags, 2);
}

#[test]
fn reference_data_needs_no_claim_tables() {
    // The service reads patients, catalog, providers and the knowledge base,
    // never the claims (those come with each check): a folder of reference
    // tables alone is enough, and a missing reference table is still named.
    let checked = check_shipped();
    let ruleset = checked.ruleset.as_ref().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/line_rules");
    let dir = tempfile::tempdir().unwrap();
    for table in ["patients", "catalog", "providers", "exclusive_items"] {
        let name = format!("{table}.csv");
        std::fs::copy(fixture.join(&name), dir.path().join(&name)).unwrap();
    }
    let reference =
        Checker::load_reference(ruleset, &checked.sources, dir.path(), &Default::default())
            .unwrap();
    assert!(reference.contains_key("catalog"));
    assert!(!reference.contains_key("claims"));

    std::fs::remove_file(dir.path().join("catalog.csv")).unwrap();
    let problem =
        Checker::load_reference(ruleset, &checked.sources, dir.path(), &Default::default())
            .unwrap_err();
    assert!(
        problem.to_string().contains("`catalog` is missing"),
        "{problem}"
    );
}
