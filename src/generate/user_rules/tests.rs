//! What `plant_rule_tests` plants from a small ruleset, and what it reports.

use std::path::Path;

use super::*;
use crate::check::{check_text, chs_schema};

const RULES: &str = r#"ruleset "mine" version "1"

rule MY-QTY "数量 (more than two units)" {
  category example
  severity low
  action warn
  for line in claim_items
  flag when line.quantity > 2

  test "three units fire" {
    given claim_items
      | claim_id | line_no | quantity | service_date |
      | C1       | 1       | 3        | 2024-03-01   |
    expect flags
      | claim_id | line_no |
      | C1       | 1       |
  }

  test "two units do not" {
    given claim_items
      | claim_id | line_no | quantity |
      | C1       | 1       | 2        |
    expect no flags
  }
}

rule MY-CODE "编码 (a code named as written)" {
  category example
  severity low
  action warn
  for line in claim_items
  flag when line.item_code = "S1"

  test "the code as written" {
    given claim_items
      | claim_id | line_no | item_code |
      | C1       | 1       | S1        |
    expect flags
      | claim_id | line_no |
      | C1       | 1       |
  }
}

rule MY-QUIET "安静 (a near-miss only)" {
  category example
  severity low
  action warn
  for line in claim_items
  flag when line.quantity > 2

  test "one unit" {
    given claim_items
      | claim_id | line_no | quantity |
      | C1       | 1       | 1        |
    expect no flags
  }
}

rule MY-WRONG "错 (a test that fails)" {
  category example
  severity low
  action warn
  for line in claim_items
  flag when line.quantity > 2

  test "expects the wrong line" {
    given claim_items
      | claim_id | line_no | quantity |
      | C1       | 1       | 3        |
    expect flags
      | claim_id | line_no |
      | C1       | 2       |
  }
}
"#;

fn planted(seed: u64) -> RuleCases {
    let checked = check_text(Path::new("mine.rules"), RULES);
    let ruleset = checked.ruleset.as_ref().expect("the rules check");
    let plant = PlantRules {
        ruleset,
        sources: &checked.sources,
    };
    plant_rule_tests(plant, &chs_schema(), seed)
}

#[test]
fn firing_tests_and_near_misses_are_planted_and_the_rest_reported() {
    let cases = planted(1);
    let report = &cases.report;
    let names: Vec<(&str, &str, Expect, u32)> = report
        .planted
        .iter()
        .map(|p| (p.rule_id.as_str(), p.test.as_str(), p.expect, p.copies))
        .collect();
    assert_eq!(
        names,
        [
            ("MY-QTY", "three units fire", Expect::Flag, COPIES),
            ("MY-QTY", "two units do not", Expect::NoFlag, COPIES),
        ]
    );
    assert_eq!(report.notes.len(), 5, "{:?}", report.notes);
    assert!(report.notes[0].starts_with(
        "test \"the code as written\" of rule MY-CODE is not planted: planted with its ids renamed"
    ));
    assert_eq!(
        report.notes[1],
        "rule MY-CODE has no firing test that could be planted; no violation of it is planted"
    );
    assert_eq!(
        report.notes[2],
        "rule MY-QUIET has no test that fires; nothing planted for it"
    );
    assert!(report.notes[3].contains("does not pass on its own rows"));
    assert!(report.notes[4].starts_with("rule MY-WRONG has no firing test that could be planted"));

    // One flag label per firing copy, one spared line per near-miss copy,
    // each copy with its own claim, moved into the period.
    let flags: Vec<&Label> = cases
        .labels
        .iter()
        .filter(|l| l.expect == Expect::Flag)
        .collect();
    assert_eq!(flags.len(), COPIES as usize);
    assert_eq!(flags[0].claim_id.as_deref(), Some("T00001-C1"));
    assert_eq!(flags[0].line_no, Some(1));
    assert_eq!(flags[0].case, "three units fire");
    assert_eq!(cases.labels.len(), 2 * COPIES as usize);
    // A claim per copy (the tests give lines only).
    assert_eq!(cases.rows[0].len(), 2 * COPIES as usize);
}

#[test]
fn the_same_seed_plants_the_same_rows() {
    assert_eq!(planted(5).rows, planted(5).rows);
    assert_ne!(planted(5).rows, planted(6).rows, "the days are drawn");
}
