//! The command line as a supervisor or operator meets it.

use std::process::Command;

#[path = "support/run.rs"]
mod run;
use run::claimaudit;

#[test]
fn the_shipped_rulesets_check_and_are_formatted() {
    let (code, stdout, stderr) = claimaudit(&["check", "rulesets/chs"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("22 rules checked"), "{stdout}");
    let (code, stdout, _) = claimaudit(&["fmt", "--check", "rulesets"]);
    assert_eq!(code, 0, "unformatted: {stdout}");
}

#[test]
fn fmt_rewrites_a_file_and_keeps_its_comments() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.rules");
    std::fs::write(
        &path,
        "ruleset \"r\" version \"1\"\n# 价格规则\nrule P-1 \"价格\" { for line in claim_items\nflag when line.unit_price>line.entry.price_cap\ncategory price severity high action warn }\n",
    )
    .unwrap();
    let (code, _, _) = claimaudit(&["fmt", "--check", path.to_str().unwrap()]);
    assert_eq!(code, 1);
    let (code, stdout, stderr) = claimaudit(&["fmt", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("# 价格规则\nrule P-1 \"价格\" {\n  category price\n  severity high\n  action warn\n\n  for line in claim_items\n  flag when line.unit_price > line.entry.price_cap\n}"), "{text}");
    let (code, _, _) = claimaudit(&["fmt", "--check", path.to_str().unwrap()]);
    assert_eq!(code, 0);
}

#[test]
fn fmt_leaves_a_file_with_a_syntax_error_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.rules");
    std::fs::write(&path, "rule X \"x\" { flag when }").unwrap();
    let (code, _, stderr) = claimaudit(&["fmt", path.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("E0001"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "rule X \"x\" { flag when }"
    );
}

#[test]
fn check_reports_missing_paths_as_could_not_run() {
    let (code, _, stderr) = claimaudit(&["check", "no/such/rules"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no/such/rules"), "{stderr}");
}

#[test]
fn validate_checks_against_the_tables_a_ruleset_declares() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("kb.rules");
    std::fs::write(
        &rules,
        "ruleset \"kb\" version \"1\"\ntable exclusions \"互斥项目\" {\n  item_a text\n  item_b text\n  key (item_a, item_b)\n}\n",
    )
    .unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("exclusions.csv"), "item_a,item_b\nA,B\nA,B\n").unwrap();
    let (code, stdout, _) = claimaudit(&[
        "validate",
        "--data",
        data.to_str().unwrap(),
        "--rules",
        rules.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("error[D010]: exclusions.csv, column `item_a`, line 3"),
        "{stdout}"
    );
}

#[test]
fn the_demo_runs_and_finds_every_planted_case() {
    let (code, stdout, stderr) = claimaudit(&["demo", "--patients", "300"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains(": valid"), "{stdout}");
    assert!(stdout.contains(", 0 missed"), "{stdout}");
    assert!(stdout.contains(", 0 flagged by mistake"), "{stdout}");
}

#[test]
fn every_command_explains_itself() {
    for command in [
        "check", "fmt", "gen", "validate", "demo", "plan", "scan", "explain", "test", "doc",
    ] {
        let (code, stdout, _) = claimaudit(&[command, "--help"]);
        assert_eq!(code, 0, "{command}");
        assert!(stdout.len() > 200, "{command}: {stdout}");
    }
}

#[test]
fn the_shipped_rules_pass_their_own_tests() {
    let (code, stdout, stderr) = claimaudit(&["test", "rulesets/chs"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains(" 0 failed"), "{stdout}");
    let (code, stdout, _) = claimaudit(&[
        "test",
        "rulesets/chs",
        "--format",
        "json",
        "--only",
        "CAP-01",
    ]);
    assert_eq!(code, 0);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(report["tests"].as_u64().unwrap() >= 5);
    assert_eq!(report["failed"], 0);
}

#[test]
fn a_failing_rule_test_shows_expected_actual_and_why() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wrong.rules");
    std::fs::write(
        &path,
        "ruleset \"r\" version \"1\"\nrule P-1 \"价格\" {\n  category price\n  severity high\n  action warn\n  for line in claim_items\n  flag when line.unit_price > line.entry.price_cap\n  test \"equal to the cap fires\" {\n    given claim_items\n      | claim_id | line_no | item_code | unit_price |\n      | C1       | 1       | A         | 10.0000    |\n    given catalog\n      | item_code | price_cap |\n      | A         | 10.0000   |\n    expect flags\n      | claim_id | line_no |\n      | C1       | 1       |\n  }\n}\n",
    )
    .unwrap();
    let (code, stdout, _) = claimaudit(&["test", path.to_str().unwrap()]);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("FAIL P-1          equal to the cap fires"),
        "{stdout}"
    );
    assert!(stdout.contains("expected: (C1, 1)"), "{stdout}");
    assert!(stdout.contains("actual:   no flags"), "{stdout}");
    assert!(stdout.contains("line.unit_price → 10.0000"), "{stdout}");
}

#[test]
fn a_closed_output_stops_the_command_without_a_panic() {
    use std::process::Stdio;
    // `claimaudit check rulesets | head -0`: the reader is gone before the
    // command writes.
    let mut child = Command::new(env!("CARGO_BIN_EXE_claimaudit"))
        .args(["plan", concat!(env!("CARGO_MANIFEST_DIR"), "/rulesets/chs")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(output.status.code(), Some(101));
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(output.status.signal(), Some(libc::SIGPIPE));
    }
}

#[test]
fn a_rules_file_in_gbk_is_named_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gbk.rules");
    let mut bytes = b"ruleset \"r\" version \"1\"\n# ".to_vec();
    bytes.extend_from_slice(&[0xB9, 0xE6, 0xD4, 0xF2]); // "规则" in GBK
    bytes.extend_from_slice(b"\n");
    std::fs::write(&path, bytes).unwrap();
    let (code, _, stderr) = claimaudit(&["check", path.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("E0006"), "{stderr}");
    assert!(stderr.contains("gbk.rules:2:3"), "{stderr}");
    assert!(stderr.contains("0xB9"), "{stderr}");
    let (code, _, stderr) = claimaudit(&["fmt", "--check", path.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("E0006"), "{stderr}");
}

#[test]
fn check_without_paths_outside_the_repository_checks_the_shipped_rules() {
    // A folder with no `rulesets/`: `check`, like `test`, `plan` and
    // `doc`, falls back to the shipped ruleset instead of failing.
    let elsewhere = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_claimaudit"))
        .arg("check")
        .current_dir(elsewhere.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("22 rules checked"), "{stdout}");
}
