//! Parity, the contract between the two modes: on random histories, every
//! claim checked through `POST /v1/check` (the service in process, every
//! claim of the dataset recorded first, so the check must also replace the
//! stored version of the claim it checks) gets exactly the flags the batch
//! scan of the whole dataset gives for that claim and its lines, for every
//! rule that is not batch-only.

mod serve_support;
mod support;

use std::collections::BTreeMap;
use std::path::Path;

use claimaudit::check::{Checked, check_text};
use claimaudit::exec::{Compiled, ExecOptions, Tables};
use claimaudit::flags::flag_json;
use claimaudit::ir::text::days_to_date;
use claimaudit::plan::Selection;
use claimaudit::serve::api::claim_to_json;
use claimaudit::serve::clock::Clock;
use claimaudit::serve::dataset_claims::claims_from_batches;
use claimaudit::serve::lookback::LookBack;
use claimaudit::serve::shape::ClaimShape;
use proptest::prelude::*;
use serde_json::Value;
use serve_support::{send, service_with_rules, settings, shipped};
use support::random_data::{PERIOD_DAYS, dataset, to_record_batches};
use support::random_rules::rule_text;
use support::reference_eval::Rows;

const CLAIM_TABLES: [&str; 2] = ["claims", "claim_items"];

fn parity(
    checked: &Checked,
    rows: &Rows,
    runtime: &tokio::runtime::Runtime,
) -> Result<(), TestCaseError> {
    let ruleset = checked.ruleset.as_ref().unwrap();
    let batch_only: Vec<String> = ruleset
        .rules
        .iter()
        .filter(|r| r.batch_only)
        .map(|r| r.id.clone())
        .collect();
    let batches = to_record_batches(rows, &ruleset.schema);

    // The batch scan of everything.
    let selection = Selection {
        only: Vec::new(),
        skip_batch_only: true,
    };
    let full = Compiled::new(ruleset, &selection, &checked.sources);
    let tables: Tables = batches.clone().into_iter().collect();
    let (scan_flags, _) = full.run_tables(tables, &ExecOptions::default());
    let mut expected: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for f in &scan_flags {
        if let Some(claim) = &f.claim_id {
            expected
                .entry(claim.clone())
                .or_default()
                .push(flag_json(f));
        }
    }

    // The service, with every claim recorded.
    let reference: Tables = batches
        .iter()
        .filter(|(t, _)| !CLAIM_TABLES.contains(&t.as_str()))
        .map(|(t, b)| (t.clone(), b.clone()))
        .collect();
    let store = tempfile::tempdir().unwrap();
    let shape = ClaimShape::of(ruleset).unwrap();
    let claims = claims_from_batches(&shape, &batches["claims"], Some(&batches["claim_items"]))
        .map_err(TestCaseError::fail)?;
    // Today is the dataset's last day and the grace its whole period: the
    // store, pruned from the clock, keeps what every claim's check needs.
    let last = claims
        .iter()
        .filter_map(|c| c.day_span(&shape))
        .map(|(_, l)| l)
        .max();
    let mut settings = settings(Path::new("."));
    if let Some(last) = last {
        settings.clock = Clock::Fixed(days_to_date(last).unwrap());
    }
    settings.grace_days = PERIOD_DAYS as i64;
    let app = service_with_rules(checked, reference, store.path(), settings);
    runtime.block_on(async {
        for claim in &claims {
            let (status, body) =
                send(&app, "POST", "/v1/claims", &claim_to_json(&shape, claim)).await;
            prop_assert_eq!(status.as_u16(), 201, "recording: {}", body);
        }
        for claim in &claims {
            let id = claim.claim_id(&shape);
            let (status, body) =
                send(&app, "POST", "/v1/check", &claim_to_json(&shape, claim)).await;
            prop_assert_eq!(status.as_u16(), 200, "checking {}: {}", id, body);
            let got = body["flags"].as_array().cloned().unwrap_or_default();
            let want = expected.get(id).cloned().unwrap_or_default();
            prop_assert_eq!(&got, &want, "claim {}", id);
            let decision = ["reject", "review", "warn"]
                .into_iter()
                .find(|a| want.iter().any(|f| f["action"] == *a))
                .unwrap_or("pass");
            prop_assert_eq!(&body["decision"], decision);
            prop_assert_eq!(&body["skipped"]["rules"], &serde_json::json!(batch_only));
        }
        Ok(())
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn a_check_gives_the_scans_flags_for_the_claim(rows in dataset()) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        parity(shipped(), &rows, &runtime)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    // Every rule form, through the service's look-back (which history a
    // check reads for each rule: windows of days or months, sequences with
    // `lag` and `rank`, matches in knowledge tables).
    #[test]
    fn a_check_gives_the_scans_flags_for_random_rules(text in rule_text(), rows in dataset()) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let checked = check_text(Path::new("random.rules"), &text);
        let ruleset = checked.ruleset.as_ref().expect("generated rules check");
        // A rule whose rows of one key span patients sees only the
        // patient's history in real time (the service warns of it): the
        // contract is for rules within a patient.
        let shape = ClaimShape::of(ruleset).unwrap();
        prop_assume!(LookBack::derive(ruleset, &shape).unscoped.is_empty());
        parity(&checked, &rows, &runtime)?;
    }
}
