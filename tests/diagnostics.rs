//! The rendered diagnostic of every error and warning code, as snapshots,
//! and a check that docs/errors.md explains every code.

use std::path::Path;

use claimaudit::check::{check_bytes, check_text, codes::CODES};

const HEADER: &str = "ruleset \"示例\" version \"1\"\n";

/// A rule with the metadata every rule needs, around `body`.
fn rule(body: &str) -> String {
    format!(
        "{HEADER}\nrule R-1 \"示例规则\" {{\n  category example\n  severity high\n  action review\n{body}\n}}\n"
    )
}

fn render(text: &str) -> String {
    render_bytes(text.as_bytes())
}

/// As `check` reads a file: bytes, which need not be UTF-8.
fn render_bytes(bytes: &[u8]) -> String {
    let checked = check_bytes(Path::new("case.rules"), bytes.to_vec());
    let text = String::from_utf8_lossy(bytes);
    checked
        .diagnostics
        .iter()
        .filter(|d| d.code != "W0005" || text.contains("W0005"))
        .map(|d| d.render(&checked.sources))
        .collect::<Vec<_>>()
        .join("")
}

/// A rule whose message is GBK: the bytes a Chinese Windows editor saves.
fn gbk_case() -> Vec<u8> {
    let mut bytes = rule("  for line in claim_items\n  flag when line.quantity > 10\n  message \"")
        .into_bytes();
    let end = bytes.len() - "\n}\n".len();
    let tail = bytes.split_off(end);
    // "数量" in GBK.
    bytes.extend_from_slice(&[0xCA, 0xFD, 0xC1, 0xBF, b'"']);
    bytes.extend_from_slice(&tail);
    bytes
}

/// (code, ruleset text) for every code; the first diagnostic must carry the code.
fn cases() -> Vec<(&'static str, String)> {
    let schema = "table t {\n  id text\n  n int32\n  key id\n  flags claim (claim_id = id)\n}\n";
    vec![
        (
            "E0001",
            rule("  for line in claim_items\n  flag when line.quantity >"),
        ),
        (
            "E0002",
            rule(
                "  for line in claim_items\n  flag when line.quantity > 99999999999999999999999999999999999",
            ),
        ),
        (
            "E0003",
            rule(
                "  for line in claim_items\n  flag when line.quantity > 10\n  message \"数量 {line.quantity\"",
            ),
        ),
        (
            "E0004",
            rule("  for line in claim_items\n  flag when line.item_type == \"drug\""),
        ),
        (
            "E0005",
            rule(&format!(
                "  for line in claim_items\n  flag when {}line.quantity > 10",
                "not ".repeat(201)
            )),
        ),
        // Rendered from `gbk_case()`'s bytes; the text is what it shows.
        ("E0006", String::from_utf8_lossy(&gbk_case()).into_owned()),
        (
            "E0101",
            rule("  for line in claim_item\n  flag when line.quantity > 10"),
        ),
        (
            "E0102",
            rule("  for line in claim_items\n  flag when line.servce_date > date(\"2024-01-01\")"),
        ),
        (
            "E0103",
            rule("  for line in claim_items\n  flag when quantity > 10"),
        ),
        (
            "E0104",
            rule("  for line in claim_items\n  flag when lenght(line.item_code) > 3"),
        ),
        ("E0105", format!("{HEADER}param cap = 1\nparam cap = 2\n")),
        (
            "E0106",
            rule("  for line in claim_items\n  flag when line.item_code.name = \"x\""),
        ),
        (
            "E0201",
            rule("  for c in claims\n  flag when c.discharge_date - c.admit_date > 15"),
        ),
        (
            "E0202",
            rule("  for line in claim_items\n  flag when age(line.service_date) > 60"),
        ),
        (
            "E0203",
            rule("  for line in claim_items\n  flag when line.quantity"),
        ),
        (
            "E0204",
            rule("  for line in claim_items\n  flag when count() > 1"),
        ),
        (
            "E0205",
            rule(
                "  for line in claim_items\n  group by line.item_code\n  flag when sum(count()) > 1",
            ),
        ),
        (
            "E0206",
            rule("  for line in claim_items\n  flag when line.item_code matches \"X[A-\""),
        ),
        (
            "E0207",
            rule(
                "  for line in claim_items\n  group by line.item_code\n  flag when count() > quantile(count(), 0.95)",
            ),
        ),
        (
            "E0208",
            rule("  for c in claims\n  flag when c.admit_date > prev.discharge_date"),
        ),
        (
            "E0209",
            rule(
                "  for line in claim_items\n  per provider = line.claim.provider\n  peers by provider.level\n  flag when line.quantity > 1",
            ),
        ),
        (
            "E0210",
            format!(
                "{HEADER}param cap = {{ \"employee\": 700000.00, \"resident\": 300000.00 }}\n{}",
                &rule("  for c in claims\n  flag when c.fund_amount > cap")[HEADER.len()..]
            ),
        ),
        (
            "E0211",
            rule("  for line in claim_items\n  flag when float(line.quantity) * 1.5 > line.amount"),
        ),
        ("E0301", rule("  flag when true")),
        ("E0302", rule("  for line in claim_items")),
        (
            "E0303",
            rule(
                "  for line in claim_items\n  where line.item_type = \"drug\"\n  where line.quantity > 1\n  flag when true",
            ),
        ),
        (
            "E0304",
            format!(
                "{HEADER}rule R-1 \"示例\" {{\n  for line in claim_items\n  flag when line.quantity > 10\n}}\n"
            ),
        ),
        (
            "E0305",
            rule(
                "  for line in claim_items\n  group by line.item_code\n  sequence by line.item_code order by line.service_date\n  flag when count() > 1",
            ),
        ),
        (
            "E0306",
            rule(
                "  for line in claim_items\n  group by line.item_code\n  eligible when count() > 10\n  flag when count() > 1",
            ),
        ),
        (
            "E0307",
            format!(
                "{HEADER}rule R-1 \"示例\" {{\n  category example\n  severity critical\n  action review\n  for line in claim_items\n  flag when line.quantity > 10\n}}\n"
            ),
        ),
        (
            "E0308",
            rule("  for p in patients\n  flag when p.death_date is not null"),
        ),
        (
            "E0309",
            rule(
                "  for c in claims\n  pair with other in claims on other.admit_date < c.admit_date\n  flag when true",
            ),
        ),
        (
            "E0310",
            rule(
                "  for line in claim_items\n  pair with other in claim_items on other.claim_id = line.claim_id\n  match x in exclusive_items on x.item_a < line.item_code\n  flag when true",
            ),
        ),
        (
            "E0401",
            format!("{HEADER}table t {{\n  amount decimal(40, 2)\n}}\n"),
        ),
        (
            "E0402",
            format!("{HEADER}table t {{\n  id text\n  key idd\n}}\n"),
        ),
        (
            "E0403",
            format!("{HEADER}{schema}table u {{\n  t_id text\n  relation t: t_id -> tt(id)\n}}\n"),
        ),
        (
            "E0404",
            format!("{HEADER}table t {{\n  n int32\n  check n + 1 > 0\n}}\n"),
        ),
        (
            "E0405",
            format!("{HEADER}table t {{\n  id text\n  flags row (claim_id = id)\n}}\n"),
        ),
        (
            "E0406",
            format!(
                "{HEADER}table t {{\n  id text\n  from date\n  key id\n  in force from from to till\n}}\n"
            ),
        ),
        (
            "E0501",
            rule("  for line in claim_items\n  flag when line.quantity > 10")[HEADER.len()..]
                .to_string(),
        ),
        (
            "E0502",
            format!("{HEADER}ruleset \"again\" version \"2\"\n"),
        ),
        (
            "E0601",
            rule(
                "  for line in claim_items\n  flag when line.quantity > 10\n  test \"t\" {\n    given claim_item\n      | claim_id |\n      | C1 |\n    expect no flags\n  }",
            ),
        ),
        (
            "E0602",
            rule(
                "  for line in claim_items\n  flag when line.quantity > 10\n  test \"t\" {\n    given claim_items\n      | claim_id | quantty |\n      | C1       | 11      |\n    expect no flags\n  }",
            ),
        ),
        (
            "E0603",
            rule(
                "  for line in claim_items\n  flag when line.quantity > 10\n  test \"t\" {\n    given claim_items\n      | claim_id | service_date |\n      | C1       | 2024-02-30   |\n    expect no flags\n  }",
            ),
        ),
        (
            "E0604",
            rule(
                "  for line in claim_items\n  flag when line.quantity > 10\n  test \"t\" {\n    given claim_items\n      | claim_id | line_no | quantity |\n      | C1       | 1       | 11       |\n    expect flags\n      | claim_id | line |\n      | C1       | 1    |\n  }",
            ),
        ),
        (
            "E0605",
            rule(
                "  for line in claim_items\n  flag when line.quantity > 10\n  test \"t\" {\n    with limit = 5\n    given claim_items\n      | claim_id |\n      | C1       |\n    expect no flags\n  }",
            ),
        ),
        (
            "E0606",
            rule(
                "  for line in claim_items\n  flag when line.quantity > 10\n  test \"t\" {\n    given claim_items\n      | claim_id | line_no |\n      | C1 |\n    expect no flags\n  }",
            ),
        ),
        ("E0701", format!("{HEADER}param cap = 1 + 2\n")),
        ("W0001", format!("{HEADER}param unused_limit = 5\n")),
        (
            "W0002",
            format!("{HEADER}set unused_codes = (\"A\", \"B\")\n"),
        ),
        (
            "E0107",
            format!(
                "{}{}",
                rule(
                    "  for line in claim_items\n  flag when line.quantity > 10\n  test \"t\" {\n    expect no flags\n  }"
                ),
                &rule(
                    "  for line in claim_items\n  flag when line.quantity > 20\n  test \"t\" {\n    expect no flags\n  }"
                )[HEADER.len()..]
            ),
        ),
        (
            "W0004",
            rule(
                "  for c in claims\n  flag when c.visit_type = \"Inpatient\"\n  test \"t\" {\n    expect no flags\n  }",
            ),
        ),
        (
            "W0005",
            rule("  # W0005\n  for line in claim_items\n  flag when line.quantity > 10"),
        ),
    ]
}

#[test]
fn every_code_renders_as_its_snapshot() {
    let bytes = gbk_case();
    for (code, text) in cases() {
        let rendered = if code == "E0006" {
            render_bytes(&bytes)
        } else {
            render(&text)
        };
        let first = rendered.lines().next().unwrap_or_default();
        assert!(
            first.contains(&format!("[{code}]")),
            "case {code} should report {code} first, got:\n{rendered}"
        );
        insta::assert_snapshot!(code, rendered, &text);
    }
}

#[test]
fn every_code_has_a_case() {
    let covered: Vec<&str> = cases().iter().map(|(c, _)| *c).collect();
    for (code, title) in CODES {
        assert!(
            covered.contains(code),
            "no snapshot case for {code} ({title})"
        );
    }
}

#[test]
fn a_byte_order_mark_is_not_part_of_the_rules() {
    let text = rule("  for line in claim_items\n  flag when line.quantity > 10");
    let with_bom = [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat();
    let checked = check_bytes(Path::new("bom.rules"), with_bom);
    assert!(checked.ruleset.is_some(), "{}", render(&text));
    assert_eq!(
        checked.ruleset.unwrap().hash,
        check_text(Path::new("x"), &text).ruleset.unwrap().hash
    );
}

#[test]
fn docs_explain_every_code() {
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/errors.md")).unwrap();
    for (code, title) in CODES {
        assert!(
            docs.contains(&format!("## {code}")),
            "docs/errors.md lacks a section `## {code}` ({title})"
        );
    }
}

#[test]
fn the_cli_prints_json_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.rules");
    std::fs::write(
        &path,
        rule("  for line in claim_items\n  flag when line.servce_date > date(\"2024-01-01\")"),
    )
    .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_claimaudit"))
        .args(["check", "--format", "json"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let first = &report["diagnostics"][0];
    assert_eq!(first["code"], "E0102");
    assert_eq!(first["line"], 8);
    assert_eq!(first["column"], 18);
    assert_eq!(first["help"], "did you mean `service_date`?");
}

#[test]
fn an_amount_at_stake_must_be_money() {
    let text =
        rule("  for line in claim_items\n  flag when line.quantity > 1\n  amount line.item_code");
    let rendered = render(&text);
    assert!(rendered.starts_with("[E0201]"), "{rendered}");
    insta::assert_snapshot!("amount_not_money", rendered, &text);
}

#[test]
fn an_aggregate_read_through_a_let_inside_another_aggregate_is_refused() {
    // `max(total)` where `total` is `sum(...)` passed `check` and then
    // panicked in `scan` and `test`; it is refused like `sum(count())`,
    // even through a second let.
    let text = rule(
        "  for line in claim_items\n  group by line.claim.patient_id\n  let total = sum(line.quantity)\n  let twice = total * 2\n  flag when max(twice) > 3\n  message \"x\"",
    );
    let rendered = render(&text);
    assert!(rendered.starts_with("[E0205]"), "{rendered}");
    insta::assert_snapshot!("aggregate_let_in_aggregate", rendered, &text);
}

#[test]
fn a_missing_operator_names_a_comparison_once() {
    let text = rule("  for line in claim_items\n  flag when line.quantity 5");
    let rendered = render(&text);
    let first = rendered.lines().next().unwrap_or_default();
    assert!(first.starts_with("[E0001]"), "{rendered}");
    assert_eq!(first.matches("a comparison").count(), 1, "{first}");
}

#[test]
fn a_relation_one_step_further_is_named_in_the_help() {
    let text = rule("  for line in claim_items\n  flag when line.patient.gender = \"F\"");
    let rendered = render(&text);
    assert!(rendered.starts_with("[E0102]"), "{rendered}");
    assert!(
        rendered.contains("`claims` has `patient`: write `line.claim.patient`"),
        "{rendered}"
    );
}

#[test]
fn a_clause_given_twice_gets_help_that_can_be_followed() {
    let text = rule(
        "  for line in claim_items\n  where line.quantity > 1\n  where line.quantity < 9\n  flag when line.quantity > 2",
    );
    let rendered = render(&text);
    assert!(rendered.starts_with("[E0303]"), "{rendered}");
    assert!(
        rendered.contains("join the two conditions with `and`"),
        "{rendered}"
    );
    let text =
        rule("  for line in claim_items\n  for other in claims\n  flag when line.quantity > 2");
    let rendered = render(&text);
    assert!(rendered.starts_with("[E0303]"), "{rendered}");
    assert!(
        rendered.contains("write another rule for the other"),
        "{rendered}"
    );
}

#[test]
fn chinese_quotes_get_a_hint() {
    let text = rule("  for line in claim_items\n  flag when line.item_type = “drug”");
    let rendered = render(&text);
    assert!(rendered.starts_with("[E0001]"), "{rendered}");
    assert!(rendered.contains("straight double quote"), "{rendered}");
}

#[test]
fn date_of_a_column_is_not_called_a_parameter() {
    let text =
        rule("  for line in claim_items\n  flag when date(line.service_date) > line.service_date");
    let rendered = render(&text);
    assert!(rendered.starts_with("[E0202]"), "{rendered}");
    assert!(
        rendered.contains("`date` takes a date written in quotes"),
        "{rendered}"
    );
    assert!(!rendered.contains("parameter"), "{rendered}");
}

/// Each case (snapshot name, code, rule body) is refused with that code,
/// and renders as its snapshot.
fn refused(cases: &[(&str, &str, &str)]) {
    for (name, code, body) in cases {
        let text = rule(body);
        let rendered = render(&text);
        assert!(
            rendered.starts_with(&format!("[{code}]")),
            "{name}: {rendered}"
        );
        insta::assert_snapshot!(*name, rendered, &text);
    }
}

#[test]
fn a_match_outside_a_pair_rule_is_refused_where_it_cannot_work() {
    // `in either order` needs two rows; `prev` is not the rule's row; a
    // population rule compares entities, not rows.
    refused(&[
        (
            "either_order_without_a_pair",
            "E0310",
            "  for line in claim_items\n  match x in exclusive_items on x.item_a = line.item_code in either order\n  flag when x is null",
        ),
        (
            "match_on_prev",
            "E0310",
            "  for line in claim_items\n  sequence by line.claim_id order by line.line_no\n  match x in exclusive_items on x.item_a = prev.item_code\n  flag when x is null",
        ),
        (
            // Passed `check`, then panicked in `scan`.
            "as_of_prev",
            "E0310",
            "  for line in claim_items\n  sequence by line.claim_id order by line.line_no\n  match x in exclusive_items on x.item_a = line.item_code as of prev.service_date\n  flag when x is null",
        ),
        (
            "match_on_an_aggregate",
            "E0204",
            "  for line in claim_items\n  group by line.claim_id\n  match x in exclusive_items on x.item_a = max(line.item_code)\n  flag when x is null",
        ),
        (
            "match_in_a_population_rule",
            "E0310",
            "  for line in claim_items\n  per provider = line.claim.provider\n  match x in exclusive_items on x.item_a = line.item_code\n  let n = count()\n  peers by provider.level\n  flag when n > 1",
        ),
    ]);
}

#[test]
fn flag_once_outside_a_group_rule_is_refused() {
    refused(&[(
        "flag_once_outside_a_group",
        "E0306",
        "  for line in claim_items\n  window by line.claim.patient_id over line.service_date last 7 days\n  flag once when count() > 2",
    )]);
}

#[test]
fn lag_and_rank_are_refused_where_they_cannot_work() {
    refused(&[
        (
            "lag_outside_a_sequence",
            "E0208",
            "  for c in claims\n  group by c.patient_id\n  flag when lag(c.admit_date, 2) is null",
        ),
        (
            "lag_of_no_whole_number",
            "E0202",
            "  for c in claims\n  sequence by c.patient_id order by c.admit_date\n  flag when lag(c.admit_date, 0) is null",
        ),
        (
            "lag_of_prev",
            "E0202",
            "  for c in claims\n  sequence by c.patient_id order by c.admit_date\n  flag when lag(prev.admit_date, 1) is null",
        ),
    ]);
}

#[test]
fn an_aggregate_per_run_is_refused_where_it_cannot_work() {
    refused(&[
        (
            "per_in_a_row_rule",
            "E0205",
            "  for line in claim_items\n  flag when max(sum(line.amount) per line.service_date) > 1",
        ),
        (
            "per_without_an_inner_aggregate",
            "E0202",
            "  for line in claim_items\n  group by line.claim_id\n  flag when max(line.amount per line.service_date) > 1",
        ),
    ]);
}

#[test]
fn an_expected_amount_must_be_a_number() {
    // `amount_at_stake` is checked to the cent; a cell that is not a
    // number is named.
    let text = rule(
        "  for line in claim_items\n  flag when line.quantity > 1\n  test \"t\" {\n    given claim_items\n      | claim_id | line_no | quantity |\n      | C1 | 1 | 2 |\n    expect flags\n      | claim_id | line_no | amount_at_stake |\n      | C1 | 1 | ten |\n  }",
    );
    let rendered = render(&text);
    assert!(rendered.starts_with("[E0603]"), "{rendered}");
}

#[test]
fn a_grain_a_table_cannot_flag_is_refused() {
    refused(&[
        (
            "flag_grain_not_declared",
            "E0308",
            "  for p in providers\n  flag claim when p.level > 2",
        ),
        (
            "flag_grain_unknown",
            "E0308",
            "  for c in claims\n  flag doctor when c.fund_amount > 100",
        ),
        (
            "flag_grain_in_a_population_rule",
            "E0306",
            "  for c in claims\n  per provider = c.provider\n  let n = count()\n  peers by provider.level\n  flag provider when n > 1",
        ),
    ]);
}

#[test]
fn a_table_declares_one_flags_per_grain() {
    let text = format!(
        "{HEADER}table t {{\n  id text\n  key id\n  flags claim (claim_id = id)\n  flags claim (claim_id = id)\n}}\n"
    );
    let rendered = render(&text);
    assert!(rendered.starts_with("[E0405]"), "{rendered}");
    insta::assert_snapshot!("flags_twice_for_one_grain", rendered, &text);
}

#[test]
fn a_run_value_is_made_of_aggregates_and_their_lags() {
    refused(&[
        (
            "per_value_reads_a_row",
            "E0202",
            "  for line in claim_items\n  group by line.claim_id\n  flag when max(sum(line.amount) - line.amount per line.service_date) > 0",
        ),
        (
            "per_lag_of_no_whole_number",
            "E0202",
            "  for line in claim_items\n  group by line.claim_id\n  flag when max(sum(line.amount) - lag(sum(line.amount), 0) per line.service_date) > 0",
        ),
    ]);
}
