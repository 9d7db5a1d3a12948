//! `gen --plant`: a supervisor's own rule, written with a firing test and a
//! near-miss, is planted from its tests, and a scan with that rule fires on
//! exactly the planted rows the labels name.

use std::collections::BTreeSet;
use std::path::Path;

use claimaudit::check::check_shipped;
use claimaudit::generate::{Expect, read_labels};

#[path = "support/run.rs"]
mod run;
use run::claimaudit;

/// A rule none of the shipped ones is: more than two units of a rare
/// implant on one line. Its firing test gives lines without their claim,
/// and a catalog row of its own for item `M9`.
const MINE: &str = r#"ruleset "mine" version "1"

rule MY-IMPLANT-01 "植入物超量 (more than two units of a rare implant)" {
  category over_quantity
  severity medium
  action review
  for line in claim_items
  where line.entry.family = "rare-implant"
  flag when line.quantity > 2

  test "three units of a rare implant on one line" {
    given catalog
      | item_code | item_name | item_type | family       |
      | M9        | 人工关节  | material  | rare-implant |
    given claim_items
      | claim_id | line_no | item_code | item_type | service_date | quantity |
      | C1       | 1       | M9        | material  | 2024-03-01   | 3        |
      | C1       | 2       | M9        | material  | 2024-03-01   | 1        |
    expect flags
      | claim_id | line_no |
      | C1       | 1       |
  }

  test "two units are within the limit" {
    given claims
      | claim_id | patient_id |
      | C1       | P1         |
    given catalog
      | item_code | family       |
      | M9        | rare-implant |
    given claim_items
      | claim_id | line_no | item_code | item_type | service_date | quantity |
      | C1       | 1       | M9        | material  | 2024-03-01   | 2        |
    expect no flags
  }
}

rule MY-QUIET-02 "只有近似用例的规则 (a rule with a near-miss test only)" {
  category example
  severity low
  action warn
  for line in claim_items
  flag when line.quantity > 9999

  test "one unit does not fire" {
    given claim_items
      | claim_id | line_no | quantity |
      | C1       | 1       | 1        |
    expect no flags
  }
}
"#;

/// (claim, line) of every flag of `rule` in a JSON Lines flags file.
fn flagged(path: &Path, rule: &str) -> BTreeSet<(String, i64)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|f| f["rule_id"] == rule)
        .map(|f| {
            (
                f["claim_id"].as_str().unwrap().to_string(),
                f["line_no"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in walk(dir) {
        let name = entry.strip_prefix(dir).unwrap().display().to_string();
        out.push((name, std::fs::read(&entry).unwrap()));
    }
    out.sort();
    out
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn a_rule_of_ones_own_fires_exactly_on_its_planted_tests() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("mine.rules");
    std::fs::write(&rules, MINE).unwrap();
    let rules = rules.to_str().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();

    let (code, stdout, stderr) =
        claimaudit(&["gen", "--out", data, "--patients", "200", "--plant", rules]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout
            .contains("MY-IMPLANT-01  fires     x3 \"three units of a rare implant on one line\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("near-miss x3 \"two units are within the limit\""),
        "{stdout}"
    );
    assert!(
        stderr.contains("rule MY-QUIET-02 has no test that fires; nothing planted for it"),
        "{stderr}"
    );

    let (code, stdout, stderr) = claimaudit(&["validate", "--data", data]);
    assert_eq!(code, 0, "{stdout}{stderr}");

    let flags = dir.path().join("flags.jsonl");
    let (code, stdout, stderr) = claimaudit(&[
        "scan",
        "--data",
        data,
        "--rules",
        rules,
        "--format",
        "jsonl",
        "--out",
        flags.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");

    let labels = read_labels(&Path::new(data).join("labels.parquet")).unwrap();
    let ours = |expect: Expect| -> BTreeSet<(String, i64)> {
        labels
            .iter()
            .filter(|l| l.rule_id == "MY-IMPLANT-01" && l.expect == expect)
            .map(|l| (l.claim_id.clone().unwrap(), i64::from(l.line_no.unwrap())))
            .collect()
    };
    let planted = ours(Expect::Flag);
    let spared = ours(Expect::NoFlag);
    assert_eq!(planted.len(), 3, "{labels:?}");
    assert_eq!(spared.len(), 3, "{labels:?}");
    // Each copy has its own ids; the test's line 1 of claim C1.
    for (claim, line) in &planted {
        assert!(claim.starts_with('T') && claim.ends_with("-C1"), "{claim}");
        assert_eq!(*line, 1);
    }
    assert!(
        labels
            .iter()
            .filter(|l| l.rule_id == "MY-IMPLANT-01")
            .all(|l| l.case.starts_with("t") || l.case.starts_with("two")),
        "the case is the test's name"
    );
    assert!(labels.iter().all(|l| l.rule_id != "MY-QUIET-02"));
    // The shipped cases are planted as before.
    assert!(labels.iter().any(|l| l.rule_id == "DUP-01"));

    let fired = flagged(&flags, "MY-IMPLANT-01");
    assert_eq!(fired, planted, "the rule fires on exactly the planted rows");
    assert!(fired.is_disjoint(&spared));
    assert!(flagged(&flags, "MY-QUIET-02").is_empty());
}

#[test]
fn the_same_seed_plants_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("mine.rules");
    std::fs::write(&rules, MINE).unwrap();
    let gen_into = |name: &str| {
        let out = dir.path().join(name);
        let (code, stdout, stderr) = claimaudit(&[
            "gen",
            "--out",
            out.to_str().unwrap(),
            "--patients",
            "50",
            "--seed",
            "7",
            "--plant",
            rules.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{stdout}{stderr}");
        files(&out)
    };
    assert_eq!(gen_into("a"), gen_into("b"));
}

#[test]
fn a_ruleset_with_errors_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("broken.rules");
    std::fs::write(
        &rules,
        "ruleset \"mine\" version \"1\"\nrule BAD-1 \"坏\" {\n  category x\n  severity high\n  action warn\n  for line in claim_items\n  flag when line.no_such_column > 1\n}\n",
    )
    .unwrap();
    let out = dir.path().join("data");
    let (code, stdout, stderr) = claimaudit(&[
        "gen",
        "--out",
        out.to_str().unwrap(),
        "--patients",
        "10",
        "--plant",
        rules.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stderr.contains("no_such_column"), "{stderr}");
    assert!(stderr.contains("nothing was generated"), "{stderr}");
    assert!(!out.exists());
}

#[test]
fn a_test_of_a_table_the_dataset_lacks_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("referrals.rules");
    // A table of one's own; the contract's tables come from their file.
    std::fs::write(
        &rules,
        r#"ruleset "mine" version "1"

table referrals "转诊单" {
  claim_id  text
  note      text
  key claim_id
  flags claim (claim_id = claim_id)
}

rule MY-REF-01 "转诊单 (a referral marked void)" {
  category example
  severity low
  action warn
  for r in referrals
  flag when r.note = "void"

  test "a void referral" {
    given referrals
      | claim_id | note |
      | C1       | void |
    expect flags
      | claim_id |
      | C1       |
  }
}
"#,
    )
    .unwrap();
    let out = dir.path().join("data");
    let (code, stdout, stderr) = claimaudit(&[
        "gen",
        "--out",
        out.to_str().unwrap(),
        "--patients",
        "10",
        "--plant",
        "rulesets/chs/schema.rules",
        "--plant",
        rules.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stderr.contains(
            "test \"a void referral\" of rule MY-REF-01 is not planted: it gives rows of table `referrals`, which the generated dataset does not have"
        ),
        "{stderr}"
    );
}

/// The ids of the shipped ruleset's rules.
fn shipped_rules() -> BTreeSet<String> {
    let checked = check_shipped();
    let ruleset = checked.ruleset.expect("the shipped ruleset checks");
    ruleset.rules.iter().map(|r| r.id.clone()).collect()
}

/// (rule, claim, line, provider) of a flag, as labels name it: a provider
/// only for flags on providers.
type Key = (String, Option<String>, Option<i32>, Option<String>);

fn flag_keys(path: &Path) -> BTreeSet<Key> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|f| {
            let text = |name: &str| f[name].as_str().map(String::from);
            let provider = if f["grain"] == "provider" {
                text("provider_id")
            } else {
                None
            };
            let line = f["line_no"].as_i64().map(|l| i32::try_from(l).unwrap());
            (text("rule_id").unwrap(), text("claim_id"), line, provider)
        })
        .collect()
}

#[test]
fn the_shipped_rules_tests_planted_are_caught_and_their_near_misses_spared() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let (code, stdout, stderr) = claimaudit(&[
        "gen",
        "--out",
        data,
        "--patients",
        "200",
        "--plant",
        "rulesets/chs",
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    // Population tests set parameters: reported, not planted.
    assert!(
        stderr.contains("of rule UPC-01 is not planted: it sets parameters (`with`)"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "rule UPC-01 has no firing test that could be planted; no violation of it is planted"
        ),
        "{stderr}"
    );
    let (code, stdout, stderr) = claimaudit(&["validate", "--data", data]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let flags = dir.path().join("flags.jsonl");
    let (code, stdout, stderr) = claimaudit(&[
        "scan",
        "--data",
        data,
        "--format",
        "jsonl",
        "--out",
        flags.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let flagged = flag_keys(&flags);
    let labels = read_labels(&Path::new(data).join("labels.parquet")).unwrap();
    // MUTEX-01's cases are planted whether or not the shipped ruleset has
    // the rule yet: its labels are compared once the scan runs it.
    assert!(labels.iter().any(|l| l.rule_id == "MUTEX-01"));
    let compare_mutex = shipped_rules().contains("MUTEX-01");
    let copies = labels
        .iter()
        .filter(|l| l.claim_id.as_deref().is_some_and(|c| c.starts_with('T')))
        .count();
    assert!(copies > 300, "{copies} labels of planted test copies");
    for label in labels
        .iter()
        .filter(|l| compare_mutex || l.rule_id != "MUTEX-01")
    {
        let key = (
            label.rule_id.clone(),
            label.claim_id.clone(),
            label.line_no,
            label.provider_id.clone(),
        );
        assert_eq!(
            flagged.contains(&key),
            label.expect == Expect::Flag,
            "{label:?}"
        );
    }
}
