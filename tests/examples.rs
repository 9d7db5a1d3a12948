//! The example rulesets of rulesets/examples, tested as the shipped one
//! is: their own rule tests pass, and a scan of their fixture gives exactly
//! the flags written beside it.

use std::collections::BTreeSet;
use std::path::Path;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

#[path = "support/run.rs"]
mod run;
use run::claimaudit;

#[path = "support/expected_flags.rs"]
mod expected_flags;
use expected_flags::{Identity, expected};

fn scanned(rules: &str, data: &str) -> Vec<serde_json::Value> {
    scanned_with(rules, data, &[])
}

/// The flags of `claimaudit scan` with `extra` arguments, as JSON.
fn scanned_with(rules: &str, data: &str, extra: &[&str]) -> Vec<serde_json::Value> {
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("flags.jsonl");
    let mut args = vec![
        "scan",
        "--rules",
        rules,
        "--data",
        data,
        "--out",
        file.to_str().unwrap(),
        "--format",
        "jsonl",
    ];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = claimaudit(&args);
    assert_eq!(code, 0, "{stdout}{stderr}");
    std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn the_professional_edits_pass_their_own_tests() {
    let (code, stdout, stderr) = claimaudit(&["test", "rulesets/examples/professional"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("6 tests, 6 passed, 0 failed"), "{stdout}");
}

#[test]
fn the_professional_fixture_gives_exactly_its_expected_flags() {
    let flags = scanned(
        "rulesets/examples/professional",
        "fixtures/examples/professional",
    );
    let want = expected(&Path::new(ROOT).join("fixtures/examples/professional"));
    assert_eq!(identities(&flags), want);
    // The edit that decided a pair is named in the evidence.
    let ptp = flags.iter().find(|f| f["rule_id"] == "PTP-01").unwrap();
    let evidence = &ptp["evidence"];
    assert_eq!(evidence["known"][0]["column_1"], "29881");
    assert_eq!(evidence["known"][0]["column_2"], "29877");
    assert_eq!(evidence["rows"][0]["line_no"], 1);
}

fn identities(flags: &[serde_json::Value]) -> BTreeSet<Identity> {
    let text = |flag: &serde_json::Value, k: &str| flag[k].as_str().unwrap_or_default().to_string();
    flags
        .iter()
        .map(|f| {
            (
                text(f, "rule_id"),
                text(f, "claim_id"),
                f["line_no"]
                    .as_i64()
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
                text(f, "provider_id"),
                text(f, "amount_at_stake"),
            )
        })
        .collect()
}

#[test]
fn the_inventory_rules_pass_their_own_tests() {
    let (code, stdout, stderr) = claimaudit(&["test", "rulesets/examples/inventory"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("6 tests, 6 passed, 0 failed"), "{stdout}");
}

#[test]
fn the_inventory_fixture_gives_exactly_its_expected_flags() {
    let flags = scanned("rulesets/examples/inventory", "fixtures/examples/inventory");
    let want = expected(&Path::new(ROOT).join("fixtures/examples/inventory"));
    assert_eq!(identities(&flags), want);
    // A month over its stock is flagged once, names the month's other
    // lines, the inventory row it was compared with and the values it was
    // found by.
    let over = flags.iter().find(|f| f["rule_id"] == "STOCK-01").unwrap();
    let evidence = &over["evidence"];
    assert_eq!(evidence["rows"][0]["claim_id"], "A02");
    assert_eq!(evidence["rows"][1]["claim_id"], "A03");
    assert_eq!(evidence["known"][0]["month"], "2024-03-01");
    assert_eq!(evidence["known"][0]["purchased_qty"], "6.00");
    assert_eq!(evidence["values"]["sum(line.quantity)"], "11.00");
    assert_eq!(
        evidence["values"]["month_start(line.service_date)"],
        "2024-03-01"
    );
    // A line with no row for its month names none.
    let missing = flags.iter().find(|f| f["rule_id"] == "STOCK-02").unwrap();
    assert_eq!(missing["evidence"]["known"], serde_json::json!([]));
}

#[test]
fn the_inventory_scan_gives_the_same_flags_on_one_thread() {
    // The lookup is built in runs of rows, in parallel.
    let rules = "rulesets/examples/inventory";
    let data = "fixtures/examples/inventory";
    let one_thread = scanned_with(rules, data, &["--threads", "1"]);
    assert_eq!(one_thread, scanned(rules, data));
}

#[test]
fn the_fraud_signals_pass_their_own_tests() {
    let (code, stdout, stderr) = claimaudit(&["test", "rulesets/examples/signals"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("8 tests, 8 passed, 0 failed"), "{stdout}");
}

#[test]
fn the_signals_fixture_gives_exactly_its_expected_flags() {
    let flags = scanned("rulesets/examples/signals", "fixtures/examples/signals");
    let want = expected(&Path::new(ROOT).join("fixtures/examples/signals"));
    assert_eq!(identities(&flags), want);
    let message = |rule: &str| {
        flags
            .iter()
            .find(|f| f["rule_id"] == rule)
            .and_then(|f| f["message"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    // The two-stage aggregate and the hour key built from a timestamp.
    assert_eq!(
        message("ESC-01"),
        "D2's billing grew up to 7.50 times from one billed month to the next"
    );
    assert_eq!(
        message("HOUR-01"),
        "D1 submitted 5 claims in the hour from 2024-03-04 10:00"
    );
    // A provider's hour flagged once names the hour's other claims.
    let hour = flags.iter().find(|f| f["rule_id"] == "HOUR-01").unwrap();
    let others: Vec<&str> = hour["evidence"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["claim_id"].as_str().unwrap())
        .collect();
    assert_eq!(others, ["C02", "C03", "C04", "C05"]);
    // A floating-point measure: its mean and its peers' quantile, exact
    // sums rounded once, shown as the shortest text of each float.
    assert_eq!(
        message("DIST-01"),
        "D5's patients came 118.2 km on average, farther than the providers of S1 (quantile 101.3)"
    );
    let distance = flags.iter().find(|f| f["rule_id"] == "DIST-01").unwrap();
    assert_eq!(distance["evidence"]["values"]["mean_km"], 118.15);
    assert_eq!(
        distance["evidence"]["values"]["quantile(mean_km, far_quantile)"],
        101.30875
    );
}

#[test]
fn rules_matching_alike_share_one_lookup() {
    // STOCK-01 and STOCK-02 look each line's month up in the same way: the
    // lookup is built once and shared.
    use claimaudit::exec::{Compiled, ExecOptions};
    use claimaudit::ir::Known;
    let checked =
        claimaudit::check::check_paths(&[Path::new(ROOT).join("rulesets/examples/inventory")])
            .unwrap();
    let ruleset = checked.ruleset.as_ref().unwrap();
    let compiled = Compiled::new(ruleset, &Default::default(), &checked.sources);
    let tables = compiled
        .read(
            &Path::new(ROOT).join("fixtures/examples/inventory"),
            &Default::default(),
            &|_, _| {},
        )
        .unwrap();
    let options = ExecOptions::default();
    let env = compiled.env(tables, &options);
    let lookup = |rule: &str| {
        env.lookups[&("claim_items".to_string(), Known::relation_name(rule, "s"))].clone()
    };
    assert!(std::sync::Arc::ptr_eq(
        &lookup("STOCK-01"),
        &lookup("STOCK-02")
    ));
    // And the plan says so.
    let (code, stdout, stderr) = claimaudit(&["plan", "rulesets/examples/inventory"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains(
            "lookup claim_items.s (match of STOCK-02): shares the lookup of STOCK-01, for STOCK-02"
        ),
        "{stdout}"
    );
}
