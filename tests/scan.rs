//! `claimaudit scan` through the real binary: the fixtures give exactly
//! the flags written beside them, the same bytes whatever the threads and
//! batch size, and bad input stops the scan with nothing written.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "support/expected_flags.rs"]
mod expected_flags;
use expected_flags::{Identity, expected};

fn claimaudit(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_claimaudit"))
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn fixtures() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.join("expected_flags.csv").exists())
            .collect();
    dirs.sort();
    dirs
}

/// Scans a fixture with its own `rules.rules` if it has one, else the shipped rules.
fn scanned(dir: &Path, extra: &[&str]) -> (Vec<serde_json::Value>, String) {
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("flags.jsonl");
    let rules = dir.join("rules.rules");
    let mut args = vec![
        "scan",
        "--data",
        dir.to_str().unwrap(),
        "--out",
        file.to_str().unwrap(),
        "--format",
        "jsonl",
    ];
    if rules.exists() {
        args.extend(["--rules", rules.to_str().unwrap()]);
    }
    args.extend(extra);
    let (code, stdout, stderr) = claimaudit(&args);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let text = std::fs::read_to_string(&file).unwrap();
    (
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
        text,
    )
}

fn identity(flag: &serde_json::Value) -> Identity {
    let text = |k: &str| flag[k].as_str().unwrap_or_default().to_string();
    let line = flag["line_no"]
        .as_i64()
        .map(|n| n.to_string())
        .unwrap_or_default();
    let provider = if flag["grain"] == "provider" {
        text("provider_id")
    } else {
        String::new()
    };
    (
        text("rule_id"),
        text("claim_id"),
        line,
        provider,
        text("amount_at_stake"),
    )
}

#[test]
fn every_fixture_gives_exactly_its_expected_flags() {
    let dirs = fixtures();
    assert!(dirs.len() >= 3);
    for dir in dirs {
        let (flags, _) = scanned(&dir, &[]);
        let got: BTreeSet<Identity> = flags.iter().map(identity).collect();
        let want = expected(&dir);
        let missing: Vec<_> = want.difference(&got).collect();
        let extra: Vec<_> = got.difference(&want).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{}: missing {missing:?}, extra {extra:?}",
            dir.display()
        );
    }
}

#[test]
fn flags_carry_provenance_and_evidence() {
    let dir = fixtures()
        .into_iter()
        .find(|d| d.ends_with("line_rules"))
        .unwrap();
    let (flags, _) = scanned(&dir, &["--only", "PRICE-CAP"]);
    assert_eq!(flags.len(), 1);
    let flag = &flags[0];
    assert_eq!(flag["rule_id"], "PRICE-CAP");
    assert_eq!(flag["grain"], "line");
    assert_eq!(flag["claim_id"], "C01");
    assert_eq!(flag["line_no"], 7);
    assert_eq!(flag["patient_id"], "P01");
    assert_eq!(flag["provider_id"], "H3");
    assert_eq!(flag["severity"], "medium");
    assert_eq!(flag["action"], "review");
    assert!(
        flag["source"]
            .as_str()
            .unwrap()
            .starts_with("rulesets/chs/catalog.rules:"),
        "{}",
        flag["source"]
    );
    assert_eq!(flag["ruleset_hash"].as_str().unwrap().len(), 64);
    assert_eq!(
        flag["message"],
        "C0101010010 单价 1.5001 超过最高限价 1.5000"
    );
    // JSON Lines give the evidence as the object it is, and the amount at
    // stake (by default the line's amount) as an exact decimal string.
    let evidence = &flag["evidence"];
    assert!(evidence.is_object(), "{evidence}");
    assert_eq!(evidence["values"]["line.unit_price"], "1.5001");
    assert_eq!(flag["amount_at_stake"], "3.00");
    assert_eq!(evidence["values"]["line.entry.price_cap"], "1.5000");
}

#[test]
fn group_evidence_names_the_other_rows() {
    let dir = fixtures()
        .into_iter()
        .find(|d| d.ends_with("line_rules"))
        .unwrap();
    let (flags, _) = scanned(&dir, &["--only", "DUP-01"]);
    assert_eq!(flags.len(), 2);
    let evidence = &flags[0]["evidence"];
    assert_eq!(evidence["rows"][0]["claim_id"], "C09");
    assert_eq!(evidence["rows"][0]["line_no"], 1);
    assert_eq!(evidence["values"]["count()"], 2);
}

#[test]
fn output_is_identical_whatever_the_threads_and_batch_size() {
    for dir in fixtures() {
        let (_, reference) = scanned(&dir, &["--threads", "1"]);
        for extra in [
            ["--threads", "2"],
            ["--batch-rows", "1"],
            ["--batch-rows", "3"],
        ] {
            let (_, other) = scanned(&dir, &extra);
            assert_eq!(reference, other, "{} with {extra:?}", dir.display());
        }
    }
}

#[test]
fn parquet_output_has_the_contract_schema() {
    let dir = fixtures().into_iter().next().unwrap();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("flags.parquet");
    let (code, _, stderr) = claimaudit(&[
        "scan",
        "--data",
        dir.to_str().unwrap(),
        "--out",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        std::fs::File::open(&file).unwrap(),
    )
    .unwrap();
    assert_eq!(reader.schema().fields().len(), 17);
    assert_eq!(reader.schema().field(0).name(), "rule_id");
    let amount = reader.schema().field(11).clone();
    assert_eq!(amount.name(), "amount_at_stake");
    assert_eq!(
        amount.data_type(),
        &arrow::datatypes::DataType::Decimal128(18, 2)
    );
    assert!(amount.is_nullable());
    assert_eq!(reader.schema().field(16).name(), "source");
}

/// The first fixture's files, in a directory of their own to spoil.
fn copy_of_first_fixture() -> tempfile::TempDir {
    let data = tempfile::tempdir().unwrap();
    let source = fixtures().into_iter().next().unwrap();
    for entry in std::fs::read_dir(&source).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, data.path().join(path.file_name().unwrap())).unwrap();
    }
    data
}

/// Scans `data` into a new directory, with `args` added: (the directory,
/// the flags file asked for, exit code, stderr).
fn scan_to_fresh_dir(data: &Path, args: &[&str]) -> (tempfile::TempDir, PathBuf, i32, String) {
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("flags.parquet");
    let mut command = vec![
        "scan",
        "--data",
        data.to_str().unwrap(),
        "--out",
        file.to_str().unwrap(),
    ];
    command.extend_from_slice(args);
    let (code, _, stderr) = claimaudit(&command);
    (out, file, code, stderr)
}

#[test]
fn bad_input_stops_the_scan_and_writes_nothing() {
    let data = copy_of_first_fixture();
    let claims = data.path().join("claims.csv");
    let text = std::fs::read_to_string(&claims).unwrap();
    std::fs::write(&claims, text.replacen(",outpatient,", ",Outpatient,", 1)).unwrap();
    let (out, file, code, stderr) = scan_to_fresh_dir(data.path(), &[]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("claims.csv, column `visit_type`, line 2"),
        "{stderr}"
    );
    assert!(!file.exists());
    assert_eq!(
        std::fs::read_dir(out.path()).unwrap().count(),
        0,
        "no temporary file left behind"
    );
}

/// Scans a copy of the first fixture where `table`'s row `row` (1 is the
/// first after the header; 0 the last) is written again at the end, with
/// `args` added; asserts that the scan stops at that repeated row's
/// `column`, naming the key, and writes nothing.
fn assert_a_repeated_row_stops_the_scan(table: &str, row: usize, column: &str, args: &[&str]) {
    assert_an_appended_row_stops_the_scan(table, column, args, |lines| {
        let again = if row == 0 {
            lines[lines.len() - 1]
        } else {
            lines[row]
        };
        again.to_string()
    });
}

/// Scans a copy of the first fixture with the row `again(lines of the
/// file)` appended to `table`, with `args` added; asserts that the scan
/// stops at that row's `column` as repeating a key, and writes nothing.
fn assert_an_appended_row_stops_the_scan(
    table: &str,
    column: &str,
    args: &[&str],
    again: impl Fn(&[&str]) -> String,
) {
    let data = copy_of_first_fixture();
    let path = data.path().join(format!("{table}.csv"));
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let again = again(&lines);
    std::fs::write(&path, format!("{}\n{again}\n", lines.join("\n"))).unwrap();
    let repeated_at = lines.len() + 1;
    let (_out, file, code, stderr) = scan_to_fresh_dir(data.path(), args);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{table}.csv, column `{column}`, line {repeated_at}"
        )) && stderr.contains(&format!("appears more than once in `{table}`")),
        "{stderr}"
    );
    assert!(!file.exists());
}

#[test]
fn a_repeated_line_key_stops_the_scan_at_the_repeating_line() {
    // The key (claim_id, line_no) repeats.
    assert_a_repeated_row_stops_the_scan("claim_items", 1, "claim_id", &[]);
}

#[test]
fn a_repeated_line_key_is_found_whichever_partition_it_falls_in() {
    // A limit that splits the fixture into several partitions: the key is
    // checked in each (the last line is in another than the first).
    assert_a_repeated_row_stops_the_scan(
        "claim_items",
        0,
        "claim_id",
        &["--memory-limit", "256KiB"],
    );
}

#[test]
fn a_repeated_claim_stops_the_scan_at_the_repeating_row() {
    // Claims' key is checked as the exchange keeps it to route their lines.
    assert_a_repeated_row_stops_the_scan("claims", 1, "claim_id", &[]);
}

#[test]
fn a_claim_repeated_for_another_patient_stops_the_scan_whichever_partition_it_falls_in() {
    // The repeated claim names another patient, so the two rows are routed
    // to different partitions: the exchange still sees the key twice.
    for args in [&[][..], &["--memory-limit", "256KiB"][..]] {
        assert_an_appended_row_stops_the_scan("claims", "claim_id", args, |lines| {
            let patient = lines[0].split(',').position(|c| c == "patient_id").unwrap();
            let other = lines[lines.len() - 1].split(',').nth(patient).unwrap();
            let mut again: Vec<&str> = lines[1].split(',').collect();
            assert_ne!(
                again[patient], other,
                "the fixture's first and last claims differ in patient"
            );
            again[patient] = other;
            again.join(",")
        });
    }
}

#[test]
fn a_repeated_patient_stops_the_scan_at_the_repeating_row() {
    assert_a_repeated_row_stops_the_scan("patients", 1, "patient_id", &[]);
}

#[test]
fn a_line_whose_claim_is_missing_stops_the_scan_at_that_line() {
    // Checked in each partition's lookup, not while reading: with one
    // partition and with several.
    for args in [&[][..], &["--memory-limit", "256KiB"][..]] {
        let data = copy_of_first_fixture();
        let items = data.path().join("claim_items.csv");
        let text = std::fs::read_to_string(&items).unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let last = lines.len() - 1;
        let (_, rest) = lines[last].split_once(',').unwrap();
        lines[last] = format!("NO-SUCH-CLAIM,{rest}");
        std::fs::write(&items, lines.join("\n") + "\n").unwrap();
        let (_out, file, code, stderr) = scan_to_fresh_dir(data.path(), args);
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains(&format!(
                "claim_items.csv, column `claim_id`, line {}",
                last + 1
            )) && stderr.contains("no row of `claims` has claim_id = NO-SUCH-CLAIM"),
            "{stderr}"
        );
        assert!(!file.exists());
    }
}

#[test]
fn a_ruleset_with_errors_scans_nothing() {
    let rules = tempfile::tempdir().unwrap();
    std::fs::write(
        rules.path().join("bad.rules"),
        "ruleset \"x\" version \"1\"\nrule X \"x\" { for l in claim_item }",
    )
    .unwrap();
    let out = rules.path().join("flags.parquet");
    let dir = fixtures().into_iter().next().unwrap();
    let (code, _, stderr) = claimaudit(&[
        "scan",
        "--data",
        dir.to_str().unwrap(),
        "--rules",
        rules.path().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("E0101"), "{stderr}");
    assert!(!out.exists());
}

fn evidence_of(flag: &serde_json::Value) -> serde_json::Value {
    assert!(flag["evidence"].is_object(), "{}", flag["evidence"]);
    flag["evidence"].clone()
}

fn fixture(name: &str) -> PathBuf {
    fixtures().into_iter().find(|d| d.ends_with(name)).unwrap()
}

#[test]
fn window_evidence_names_the_rows_in_the_window() {
    let (flags, _) = scanned(&fixture("line_rules"), &["--only", "QTY-02"]);
    assert_eq!(flags.len(), 1);
    let evidence = evidence_of(&flags[0]);
    assert_eq!(evidence["values"]["sum(line.days_supply)"], 61);
    assert_eq!(evidence["rows"][0]["claim_id"], "C10");
    assert_eq!(
        flags[0]["message"],
        "XC09CA999A001 截至 2024-07-30 的 30 天内累计开药 61 天, 超过 60 天"
    );
}

#[test]
fn sequence_evidence_names_the_previous_row() {
    let (flags, _) = scanned(&fixture("claim_rules"), &["--only", "SPLIT-01"]);
    assert_eq!(flags.len(), 1);
    let evidence = evidence_of(&flags[0]);
    assert_eq!(evidence["rows"][0]["claim_id"], "K06");
    assert_eq!(evidence["values"]["prev.discharge_date"], "2024-02-10");
}

#[test]
fn pair_evidence_names_the_partner() {
    let (flags, _) = scanned(&fixture("claim_rules"), &["--only", "STAY-02"]);
    assert_eq!(flags.len(), 2);
    assert_eq!(evidence_of(&flags[0])["rows"][0]["claim_id"], "K14");
    assert_eq!(evidence_of(&flags[1])["rows"][0]["claim_id"], "K13");
}

#[test]
fn match_evidence_names_the_partner_and_the_knowledge_row() {
    let (flags, _) = scanned(&fixture("knowledge_rules"), &["--only", "MUTEX-01"]);
    assert_eq!(flags.len(), 2);
    let evidence = evidence_of(&flags[0]);
    assert_eq!(evidence["rows"][0]["claim_id"], "C15");
    assert_eq!(evidence["rows"][0]["line_no"], 2);
    // The version in force that day, not the one that ended in 2023.
    assert_eq!(
        evidence["known"],
        serde_json::json!([{
            "item_a": "C0101010010",
            "item_b": "XC09CA999A001",
            "valid_from": "2024-01-01",
            "basis": "KP-000101"
        }])
    );
    assert!(flags[0]["message"].as_str().unwrap().contains("KP-000101"));
}

#[test]
fn population_evidence_has_the_statistics_and_the_peer_group() {
    let (flags, _) = scanned(&fixture("population"), &[]);
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0]["grain"], "provider");
    assert_eq!(flags[0]["claim_id"], serde_json::Value::Null);
    let evidence = evidence_of(&flags[0]);
    assert_eq!(evidence["values"]["n"], 4);
    assert_eq!(evidence["values"]["h"], 4);
    assert_eq!(evidence["values"]["share"], "1");
    assert_eq!(
        evidence["values"]["quantile(share, consult_quantile)"],
        "0.9000"
    );
    assert_eq!(evidence["peers"], 5);
}

#[test]
fn output_is_identical_whatever_the_order_of_the_rows() {
    // The same dense dataset written patient by patient, by settlement time
    // and shuffled: every flag, its evidence and their order must agree.
    let dir = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for order in ["patient", "time", "shuffled"] {
        let data = dir.path().join(order);
        let (code, _, err) = claimaudit(&[
            "gen",
            "--out",
            data.to_str().unwrap(),
            "--patients",
            "600",
            "--seed",
            "5",
            "--profile",
            "dense",
            "--order",
            order,
        ]);
        assert_eq!(code, 0, "{err}");
        let out = dir.path().join(format!("{order}.jsonl"));
        let (code, _, err) = claimaudit(&[
            "scan",
            "--data",
            data.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--format",
            "jsonl",
        ]);
        assert!(code == 0 || code == 1, "{err}");
        outputs.push((order, std::fs::read_to_string(&out).unwrap()));
    }
    let (_, first) = &outputs[0];
    assert!(
        first.lines().count() > 1000,
        "a dense dataset flags many lines"
    );
    for (order, text) in &outputs[1..] {
        let differing = first.lines().zip(text.lines()).position(|(a, b)| a != b);
        assert_eq!(
            (first.lines().count(), differing),
            (text.lines().count(), None),
            "order {order} differs from patient order"
        );
    }
}

/// A ruleset of the shipped schema and `rules` (a rule file's text).
fn own_ruleset(rules: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/rulesets/chs/schema.rules");
    std::fs::copy(schema, dir.path().join("schema.rules")).unwrap();
    let header = "ruleset \"amounts\" version \"1\"\n\n";
    std::fs::write(dir.path().join("own.rules"), format!("{header}{rules}")).unwrap();
    dir
}

#[test]
fn a_rule_says_its_own_amount_at_stake() {
    // Over each line: twice its amount plus half a cent, rounded half away
    // from zero; over each duplicate group: the group's whole amount.
    let flags = own_flags(
        r#"
rule DOUBLE "double" {
  category test
  severity low
  action warn
  for line in claim_items
  where line.claim_id = "C01" and line.line_no = 7
  flag when true
  amount line.amount * 2 + 0.005
}

rule GROUP "group" {
  category test
  severity low
  action warn
  for line in claim_items
  where line.item_type in ("service", "material")
  group by line.claim.patient_id, line.item_code, line.service_date
  flag when count() >= 2
  amount sum(line.amount)
}
"#,
    );
    let amount = |rule: &str, claim: &str| -> Vec<String> {
        flags
            .iter()
            .filter(|f| f["rule_id"] == rule && f["claim_id"] == claim)
            .map(|f| f["amount_at_stake"].as_str().unwrap().to_string())
            .collect()
    };
    // Line 7 of C01 bills 3.00.
    assert_eq!(amount("DOUBLE", "C01"), ["6.01"]);
    // The same service on one day in C08 (25.00) and C09 (20.00).
    assert_eq!(amount("GROUP", "C08"), ["45.00"]);
    assert_eq!(amount("GROUP", "C09"), ["45.00"]);
}

/// Flags of `rules` (a rule file's text, beside the shipped schema) over
/// the `line_rules` fixture, as JSON Lines.
fn own_flags(rules: &str) -> Vec<serde_json::Value> {
    let rules = own_ruleset(rules);
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("flags.jsonl");
    let (code, stdout, stderr) = claimaudit(&[
        "scan",
        "--data",
        fixture("line_rules").to_str().unwrap(),
        "--rules",
        rules.path().to_str().unwrap(),
        "--out",
        file.to_str().unwrap(),
        "--format",
        "jsonl",
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_partner_from_a_table_without_flags_is_named_by_its_key() {
    let flags = own_flags(
        r#"
rule PATIENT "a line of patient P02" {
  category test
  severity low
  action warn
  for line in claim_items
  pair with p in patients on p.patient_id = line.claim.patient_id
  flag when p.patient_id = "P02"
}
"#,
    );
    assert!(!flags.is_empty());
    for flag in &flags {
        assert_eq!(
            evidence_of(flag)["rows"],
            serde_json::json!([{ "patient_id": "P02" }]),
            "{flag}"
        );
    }
}

#[test]
fn a_missing_table_is_named_with_its_folder_and_the_validate_command_to_run() {
    let data = tempfile::tempdir().unwrap();
    let rules = concat!(env!("CARGO_MANIFEST_DIR"), "/rulesets/chs");
    let (_out, file, code, stderr) =
        scan_to_fresh_dir(data.path(), &["--rules", rules, "--encoding", "gb18030"]);
    assert_eq!(code, 2, "{stderr}");
    let folder = data.path().display().to_string();
    // One prefix, and the folder where the table was looked for.
    assert!(
        stderr.starts_with(&format!("error[D001]: {folder}: table `claims` is missing")),
        "{stderr}"
    );
    // The command that lists every problem reads the data as the scan did.
    assert!(
        stderr.contains(&format!(
            "claimaudit validate --data {folder} --rules {rules} --encoding gb18030`"
        )),
        "{stderr}"
    );
    assert!(!file.exists());
}

#[test]
fn flags_at_another_grain_merge_to_one_per_provider_whatever_the_partitions() {
    // Every line fires; its provider is flagged once, with the money of all
    // its lines, however the scan splits the lines into partitions.
    let rules = tempfile::tempdir().unwrap();
    let file = rules.path().join("rules.rules");
    std::fs::write(
        &file,
        r#"ruleset "merged" version "1"

rule PROV-02 "a provider's lines" {
  category test
  severity low
  action review

  for line in claim_items
  flag provider when line.amount >= 0
  message "{line.claim_id} line {line.line_no}"
}
"#,
    )
    .unwrap();
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/line_rules"));
    let rules_arg = ["--rules", file.to_str().unwrap()];
    let scan = |extra: &[&str]| {
        let mut args = rules_arg.to_vec();
        args.extend(extra);
        scanned(dir, &args).1
    };
    let whole = scan(&["--threads", "1"]);
    for extra in [&["--threads", "2"][..], &["--memory-limit", "256KiB"][..]] {
        assert_eq!(scan(extra), whole, "{extra:?}");
    }
    let flags: Vec<serde_json::Value> = whole
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut providers: Vec<&str> = flags
        .iter()
        .map(|f| f["provider_id"].as_str().unwrap())
        .collect();
    let count = providers.len();
    providers.dedup();
    assert_eq!(providers.len(), count, "one flag per provider");
    assert!(
        flags
            .iter()
            .all(|f| f["grain"] == "provider" && f["claim_id"].is_null())
    );
    // The money at stake is every line's, once.
    let text = std::fs::read_to_string(dir.join("claim_items.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let amount = header.iter().position(|c| *c == "amount").unwrap();
    let cents = |s: &str| -> i64 { (s.parse::<f64>().unwrap() * 100.0).round() as i64 };
    let billed: i64 = lines
        .map(|l| cents(l.split(',').nth(amount).unwrap()))
        .sum();
    let flagged: i64 = flags
        .iter()
        .map(|f| cents(f["amount_at_stake"].as_str().unwrap()))
        .sum();
    assert_eq!(flagged, billed);
    // The first line of the provider's first claim speaks for it; every
    // line that fired is listed (up to 20).
    let first = &flags[0];
    let rows = first["evidence"]["flagged_rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    let named = format!(
        "{} line {}",
        rows[0]["claim_id"].as_str().unwrap(),
        rows[0]["line_no"]
    );
    assert_eq!(first["message"], named.as_str());
}
