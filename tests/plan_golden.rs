//! `claimaudit plan` as printed: the shipped ruleset's plan and one small
//! ruleset per rule form, each against its accepted snapshot, so a change
//! to what a scan runs shows up as a changed plan in review.

use std::process::Command;

/// The schema every small ruleset is checked against.
const SCHEMA: &str = "rulesets/chs/schema.rules";

/// Runs `claimaudit plan` with `args` from the repository root (paths stay
/// relative, so no machine's paths end up in a snapshot); its output.
fn plan(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_claimaudit"))
        .arg("plan")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    stdout
}

/// The plan of the small ruleset for one form, in text.
fn form_plan(form: &str) -> String {
    plan(&[SCHEMA, &format!("tests/corpus/plans/{form}.rules")])
}

#[test]
fn shipped_text() {
    insta::assert_snapshot!("shipped_text", plan(&[]));
}

#[test]
fn shipped_json() {
    let text = plan(&["--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&text).expect("plan --format json is json");
    assert_eq!(json["rules"].as_array().map(Vec::len), Some(22));
    insta::assert_snapshot!("shipped_json", text);
}

#[test]
fn shipped_realtime() {
    insta::assert_snapshot!("shipped_realtime", plan(&["--realtime"]));
}

#[test]
fn row() {
    insta::assert_snapshot!("row", form_plan("row"));
}

#[test]
fn group() {
    insta::assert_snapshot!("group", form_plan("group"));
}

#[test]
fn window() {
    insta::assert_snapshot!("window", form_plan("window"));
}

#[test]
fn sequence() {
    insta::assert_snapshot!("sequence", form_plan("sequence"));
}

#[test]
fn pair() {
    insta::assert_snapshot!("pair", form_plan("pair"));
}

#[test]
fn population() {
    insta::assert_snapshot!("population", form_plan("population"));
}

#[test]
fn merged() {
    insta::assert_snapshot!("merged", form_plan("merged"));
}
