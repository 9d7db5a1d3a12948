//! Self-test of the reference evaluator (tests/support/reference_eval.rs)
//! and of the random data and rule generators it will be property-tested
//! with: hand-made datasets and rules with their flags written out, every
//! form, nulls and three-valued logic, the boundaries (day 29/30 of a
//! window, `prev` of the first row, a pair with itself, quantile
//! interpolation), messages; every rule test of the shipped examples; and
//! properties over random rules and data.

mod support;

use std::path::Path;

use claimaudit::check::check_text;
use claimaudit::ir::text::{parse_date, parse_timestamp};
use claimaudit::ir::{ParamValue, Ruleset, Value};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use rust_decimal::Decimal;
use support::random_data::{dataset, to_record_batches, write_parquet};
use support::random_rules::{FormKind, rule_text, rule_text_of};
use support::reference_eval::{RefFlag, Rows, evaluate, project_flags, render, rows_from_test};

// ======================================================================
// Helpers
// ======================================================================

fn date(s: &str) -> Value {
    Value::Date(parse_date(s).unwrap())
}

fn time(s: &str) -> Value {
    Value::Timestamp(parse_timestamp(s).unwrap())
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn int(i: i64) -> Value {
    Value::Int(i)
}

fn dec(s: &str) -> Value {
    Value::Decimal(Decimal::from_str_exact(s).unwrap())
}

fn list(items: &[&str]) -> Value {
    Value::List(items.iter().map(|s| text(s)).collect())
}

/// Checks `text` (a header is added when it has none), failing the test on
/// any error.
fn ruleset(text: &str) -> Ruleset {
    let text = if text.contains("ruleset \"") {
        text.to_string()
    } else {
        format!("ruleset \"t\" version \"1\"\n{text}")
    };
    let checked = check_text(Path::new("test.rules"), &text);
    let errors: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.render(&checked.sources))
        .collect();
    assert!(errors.is_empty(), "{text}\n{}", errors.join("\n"));
    checked.ruleset.expect("no errors, so a ruleset")
}

/// A rule with the usual metadata around `body`.
fn rule(id: &str, body: &str) -> String {
    format!(
        "rule {id} \"{id} name\" {{\n  category test\n  severity low\n  action warn\n{body}\n}}\n"
    )
}

fn flags(text: &str, data: &Rows) -> Vec<RefFlag> {
    evaluate(&ruleset(text), data, &[])
}

/// A flag of a line (its patient and provider from its claim).
fn line_flag(
    rule: &str,
    claim: &str,
    line: i32,
    patient: &str,
    provider: &str,
    message: &str,
) -> RefFlag {
    RefFlag {
        rule_id: rule.into(),
        claim_id: Some(claim.into()),
        line_no: Some(line),
        provider_id: Some(provider.into()),
        patient_id: Some(patient.into()),
        message: message.into(),
    }
}

fn claim_flag(rule: &str, claim: &str, patient: &str, provider: &str, message: &str) -> RefFlag {
    RefFlag {
        rule_id: rule.into(),
        claim_id: Some(claim.into()),
        line_no: None,
        provider_id: Some(provider.into()),
        patient_id: Some(patient.into()),
        message: message.into(),
    }
}

fn provider_flag(rule: &str, provider: &str, message: &str) -> RefFlag {
    RefFlag {
        rule_id: rule.into(),
        claim_id: None,
        line_no: None,
        provider_id: Some(provider.into()),
        patient_id: None,
        message: message.into(),
    }
}

/// The flagged rows of one rule, as `C1` (claims), `C1/2` (lines) or `H1`.
fn ids(flags: &[RefFlag]) -> Vec<String> {
    flags
        .iter()
        .map(|f| match (&f.claim_id, f.line_no, &f.provider_id) {
            (Some(c), Some(l), _) => format!("{c}/{l}"),
            (Some(c), None, _) => c.clone(),
            (None, _, Some(p)) => p.clone(),
            _ => "?".into(),
        })
        .collect()
}

// ======================================================================
// Expressions: nulls, three-valued logic, operators, functions
// ======================================================================

/// Four claims to evaluate conditions on:
/// - C1: patient P9 is not registered, provider H1; secondary_dx null
/// - C2: patient P1 (born 29 Feb 2000), secondary_dx empty
/// - C3: patient P1, secondary_dx [E11.900, I10.x00]
/// - C4: patient P9 (missing), secondary_dx [E11.900]
fn expression_data() -> Rows {
    let mut rows = Rows::new();
    rows.push(
        "patients",
        &[
            ("patient_id", text("P1")),
            ("birth_date", date("2000-02-29")),
            ("region", text("110000")),
            ("gender", text("F")),
        ],
    );
    rows.push(
        "providers",
        &[("provider_id", text("H1")), ("level", int(2))],
    );
    let claim = |id: &str, patient: &str, admit: &str, secondary: Value| {
        vec![
            ("claim_id", text(id)),
            ("patient_id", text(patient)),
            ("provider_id", text("H1")),
            ("visit_type", text("outpatient")),
            ("admit_date", date(admit)),
            ("discharge_date", date(admit)),
            ("primary_dx", text("E11.900")),
            ("secondary_dx", secondary),
            ("total_amount", dec("120.50")),
            ("fund_amount", dec("60.25")),
        ]
    };
    rows.push("claims", &claim("C1", "P9", "2024-02-28", Value::Null));
    rows.push("claims", &claim("C2", "P1", "2024-02-29", list(&[])));
    rows.push(
        "claims",
        &claim("C3", "P1", "2025-02-28", list(&["E11.900", "I10.x00"])),
    );
    rows.push(
        "claims",
        &claim("C4", "P9", "2025-03-01", list(&["E11.900"])),
    );
    rows
}

/// The claims of `expression_data` where `condition` is true.
fn true_on(condition: &str) -> Vec<String> {
    let text = rule("E", &format!("  for c in claims\n  flag when {condition}"));
    ids(&flags(&text, &expression_data()))
}

#[test]
fn comparisons_with_null_are_unknown_and_unknown_does_not_fire() {
    let cases: &[(&str, &[&str])] = &[
        ("c.patient.gender = \"F\"", &["C2", "C3"]),
        ("c.patient.gender <> \"F\"", &[]),
        ("not (c.patient.gender = \"F\")", &[]),
        ("c.patient.gender is null", &["C1", "C4"]),
        ("c.patient is null", &["C1", "C4"]),
        ("c.patient is not null", &["C2", "C3"]),
        ("c.provider.level + 1 = 3", &["C1", "C2", "C3", "C4"]),
        (
            "c.patient.region = \"110000\" or true",
            &["C1", "C2", "C3", "C4"],
        ),
        ("c.patient.region = \"110000\" or false", &["C2", "C3"]),
        ("c.patient.region = \"110000\" and false", &[]),
        (
            "not (c.patient.region = \"x\" and false)",
            &["C1", "C2", "C3", "C4"],
        ),
        ("not (c.patient.region = \"x\" or true)", &[]),
        ("not (c.patient.region = \"x\" and true)", &["C2", "C3"]),
        ("not (c.patient.region = \"x\" or false)", &["C2", "C3"]),
        // `between` is `low <= x and x <= high`.
        (
            "c.total_amount between 100 and 120.50",
            &["C1", "C2", "C3", "C4"],
        ),
        ("c.total_amount between 100 and 120.49", &[]),
        (
            "age(c.patient.birth_date, c.admit_date) between 23 and 24",
            &["C2", "C3"],
        ),
        // 120.50 <= 6 is false for P1; unknown without a patient.
        (
            "not (c.total_amount between 0 and length(c.patient.region))",
            &["C2", "C3"],
        ),
        (
            "not (c.total_amount between 1000 and length(c.patient.region))",
            &["C1", "C2", "C3", "C4"],
        ),
    ];
    for (condition, expected) in cases {
        assert_eq!(true_on(condition), *expected, "{condition}");
    }
}

#[test]
fn membership_follows_sql() {
    let cases: &[(&str, &[&str])] = &[
        (
            "c.primary_dx in (\"E11.900\", c.patient.region)",
            &["C1", "C2", "C3", "C4"],
        ),
        // Not found, and a null item: unknown.
        ("c.primary_dx in (\"X\", c.patient.region)", &[]),
        (
            "not (c.primary_dx in (\"X\", c.patient.region))",
            &["C2", "C3"],
        ),
        (
            "c.primary_dx not in (\"X\", \"Y\")",
            &["C1", "C2", "C3", "C4"],
        ),
        ("c.patient.region in (\"110000\", \"x\")", &["C2", "C3"]),
        ("c.patient.region not in (\"110000\", \"x\")", &[]),
        ("not (c.patient.region in (\"x\"))", &["C2", "C3"]),
        // A list column: SQL's `= ANY`; a null list gives unknown, an empty one false.
        ("\"E11.900\" in c.secondary_dx", &["C3", "C4"]),
        ("\"E11.900\" not in c.secondary_dx", &["C2"]),
        ("c.patient.region not in c.secondary_dx", &["C2", "C3"]),
    ];
    for (condition, expected) in cases {
        assert_eq!(true_on(condition), *expected, "{condition}");
    }
    // Named sets behave like lists.
    let text = format!(
        "set s = (\"E11.900\", \"I10.x00\")\n{}",
        rule(
            "S",
            "  for c in claims\n  flag when c.primary_dx in s and c.patient.region not in s"
        )
    );
    assert_eq!(ids(&flags(&text, &expression_data())), ["C2", "C3"]);
}

#[test]
fn quantifiers_treat_a_null_list_as_empty() {
    let cases: &[(&str, &[&str])] = &[
        ("any(x in c.secondary_dx: x starts with \"I10\")", &["C3"]),
        (
            "not any(x in c.secondary_dx: x starts with \"I10\")",
            &["C1", "C2", "C4"],
        ),
        (
            "all(x in c.secondary_dx: x starts with \"E11\")",
            &["C1", "C2", "C4"],
        ),
        // Unknown for each element without a patient (C4); no elements (C1, C2).
        (
            "all(x in c.secondary_dx: x <> c.patient.region)",
            &["C1", "C2", "C3"],
        ),
        ("not all(x in c.secondary_dx: x <> c.patient.region)", &[]),
        ("any(x in c.secondary_dx: x = c.patient.region)", &[]),
        (
            "not any(x in c.secondary_dx: x = c.patient.region)",
            &["C1", "C2", "C3"],
        ),
        // Nested: the inner element and the outer one.
        (
            "any(x in c.secondary_dx: any(y in c.secondary_dx: x <> y))",
            &["C3"],
        ),
        ("length(c.secondary_dx) = 0", &["C2"]),
        ("length(c.secondary_dx) is null", &["C1"]),
    ];
    for (condition, expected) in cases {
        assert_eq!(true_on(condition), *expected, "{condition}");
    }
}

#[test]
fn arithmetic_dates_and_functions() {
    let all: &[&str] = &["C1", "C2", "C3", "C4"];
    let cases: &[(&str, &[&str])] = &[
        ("0.1 + 0.2 = 0.3", all),
        ("7 / 2 = 3.5", all),
        ("c.total_amount / 0 > 0", &[]),
        ("(c.total_amount / 0) is null", all),
        ("c.total_amount - c.fund_amount = 60.25", all),
        ("c.fund_amount * 2 = c.total_amount", all),
        ("c.admit_date - date(\"2024-02-28\") = 1 day", &["C2"]),
        ("c.admit_date + 1 day = date(\"2024-03-01\")", &["C2"]),
        ("c.admit_date - 366 days = date(\"2024-02-28\")", &["C3"]),
        ("c.admit_date - 366 days = date(\"2024-02-29\")", &["C4"]),
        (
            "year(c.admit_date) = 2025 and month(c.admit_date) = 3",
            &["C4"],
        ),
        ("day(c.admit_date) = 29", &["C2"]),
        // 29 February birthdays: one year older on 1 March in other years.
        (
            "age(c.patient.birth_date, c.admit_date) = 24",
            &["C2", "C3"],
        ),
        (
            "age(c.patient.birth_date, date(\"2025-03-01\")) = 25",
            &["C2", "C3"],
        ),
        (
            "age(c.patient.birth_date, c.admit_date) is null",
            &["C1", "C4"],
        ),
        ("prefix(c.primary_dx, 3) = \"E11\"", all),
        ("prefix(c.primary_dx, 30) = \"E11.900\"", all),
        ("prefix(c.patient.region, 3) is null", &["C1", "C4"]),
        ("length(c.primary_dx) = 7", all),
        (
            "coalesce(c.patient.region, \"none\") = \"none\"",
            &["C1", "C4"],
        ),
        ("c.primary_dx starts with \"E11\"", all),
        ("c.primary_dx starts with c.patient.region", &[]),
        (
            "(c.primary_dx starts with c.patient.region) is null",
            &["C1", "C4"],
        ),
        ("c.primary_dx matches \"\\\\.9\"", all),
        ("c.primary_dx matches \"^1\"", &[]),
        ("c.patient.region matches \"^1\"", &["C2", "C3"]),
        ("not (c.patient.region matches \"^x\")", &["C2", "C3"]),
        ("-c.provider.level < 0", all),
    ];
    for (condition, expected) in cases {
        assert_eq!(true_on(condition), *expected, "{condition}");
    }
}

#[test]
fn parameters_maps_and_overrides() {
    let text = format!(
        "param limit = 100\nparam cap = {{ \"employee\": 50.00, \"resident\": 200.00 }}\n{}",
        rule(
            "P",
            "  for c in claims\n  flag when c.total_amount > limit or c.fund_amount > cap[c.patient.region]"
        )
    );
    let set = ruleset(&text);
    let data = expression_data();
    assert_eq!(ids(&evaluate(&set, &data, &[])), ["C1", "C2", "C3", "C4"]);
    let over = [("limit".to_string(), ParamValue::Scalar(int(500)))];
    // The region is not a key of the map: null, so nothing fires.
    assert!(evaluate(&set, &data, &over).is_empty());
    let over = [
        ("limit".to_string(), ParamValue::Scalar(int(500))),
        (
            "cap".to_string(),
            ParamValue::Map(vec![("110000".into(), dec("60.00"))]),
        ),
    ];
    assert_eq!(ids(&evaluate(&set, &data, &over)), ["C2", "C3"]);
}

/// Claims with lower case, Chinese, negative amounts, month ends and a
/// leap day; C3 has nulls only.
fn function_data() -> Rows {
    let mut rows = Rows::new();
    rows.push(
        "claims",
        &[
            ("claim_id", text("C1")),
            ("primary_dx", text("i10.x00")),
            ("admit_date", date("2024-01-31")),
            ("discharge_date", date("2024-02-29")),
            ("fund_amount", dec("-2.50")),
            ("total_amount", dec("12.35")),
            ("settle_time", time("2024-02-29 08:30:00")),
        ],
    );
    rows.push(
        "claims",
        &[
            ("claim_id", text("C2")),
            ("primary_dx", text("高血压Ab")),
            ("admit_date", date("2023-01-31")),
            ("discharge_date", date("2023-03-01")),
            ("fund_amount", dec("2.45")),
            ("total_amount", dec("0.00")),
        ],
    );
    rows.push("claims", &[("claim_id", text("C3"))]);
    rows
}

/// The value of `expr` on each claim of `function_data`, as messages
/// write it.
fn values(expr: &str) -> Vec<String> {
    let text = rule(
        "F",
        &format!("  for c in claims\n  let v = {expr}\n  flag when true\n  message \"{{v}}\""),
    );
    let mut flags = flags(&text, &function_data());
    flags.sort_by(|a, b| a.claim_id.cmp(&b.claim_id));
    flags.into_iter().map(|f| f.message).collect()
}

#[test]
fn functions() {
    // Text, dates (clamped to a month's last day, leap days) and numbers
    // (half away from zero; the places asked for are written): the table
    // the fast evaluator is held to as well.
    for (expr, expected) in FUNCTION_VALUES {
        assert_eq!(values(expr), *expected, "{expr}");
    }
}

include!("data/function_values.rs");

// ======================================================================
// Messages
// ======================================================================

#[test]
fn values_render_as_documented() {
    assert_eq!(render(&Value::Null), "空");
    assert_eq!(render(&Value::Bool(true)), "true");
    assert_eq!(render(&int(-3)), "-3");
    assert_eq!(render(&dec("12.50")), "12.50");
    assert_eq!(render(&dec("0.1234567")), "0.123457");
    assert_eq!(render(&dec("0.1234565")), "0.123456"); // half to even
    assert_eq!(render(&dec("2.000000")), "2.000000");
    assert_eq!(render(&date("2024-02-29")), "2024-02-29");
    assert_eq!(
        render(&time("2024-03-01 08:30:05.250")),
        "2024-03-01 08:30:05"
    );
    assert_eq!(render(&list(&["E11", "I10"])), "[E11, I10]");
    assert_eq!(render(&list(&[])), "[]");
    assert_eq!(render(&text("住院")), "住院");
}

#[test]
fn messages_render_values_and_default_to_the_name() {
    let text = [
        rule(
            "M1",
            "  for c in claims\n  where c.claim_id = \"C3\"\n  flag when true\n  message \"{c.claim_id}: {c.total_amount} {c.patient.gender} {c.provider.level} {c.admit_date} {c.secondary_dx} {c.total_amount / 3} {c.admit_date - c.patient.birth_date} \\{x\\}\"",
        ),
        rule(
            "M2",
            "  for c in claims\n  where c.claim_id = \"C1\"\n  flag when true\n  message \"{c.patient.gender}{c.secondary_dx}\"",
        ),
        rule("M3", "  for c in claims\n  where c.claim_id = \"C1\"\n  flag when true"),
        rule(
            "M4",
            "  for c in claims\n  where c.claim_id = \"C1\"\n  flag when true\n  message \"\"",
        ),
    ]
    .concat();
    let got = flags(&text, &expression_data());
    let messages: Vec<(&str, &str)> = got
        .iter()
        .map(|f| (f.rule_id.as_str(), f.message.as_str()))
        .collect();
    assert_eq!(
        messages,
        [
            (
                "M1",
                "C3: 120.50 F 2 2025-02-28 [E11.900, I10.x00] 40.166667 9131 {x}"
            ),
            ("M2", "空空"),
            ("M3", "M3 name"),
            ("M4", "M4 name"),
        ]
    );
    // Identity: a claim's patient and provider come from its own columns,
    // even when the patient is not registered.
    assert_eq!(got[1], claim_flag("M2", "C1", "P9", "H1", "空空"));
}

// ======================================================================
// The six forms
// ======================================================================

fn line(
    claim: &str,
    no: i64,
    code: &str,
    date_: &str,
    extra: &[(&'static str, Value)],
) -> Vec<(&'static str, Value)> {
    let mut row: Vec<(&'static str, Value)> = vec![
        ("claim_id", text(claim)),
        ("line_no", int(no)),
        ("item_code", text(code)),
        ("item_type", text("drug")),
        ("service_date", date(date_)),
        ("quantity", dec("1.000")),
    ];
    for (column, value) in extra {
        row.retain(|(c, _)| c != column);
        row.push((column, value.clone()));
    }
    row
}

fn push_claim(rows: &mut Rows, id: &str, patient: &str, provider: &str) {
    rows.push(
        "claims",
        &[
            ("claim_id", text(id)),
            ("patient_id", text(patient)),
            ("provider_id", text(provider)),
        ],
    );
}

#[test]
fn row_rule_flags_rows_where_the_condition_is_true() {
    let mut rows = Rows::new();
    push_claim(&mut rows, "C1", "P1", "H1");
    rows.push(
        "catalog",
        &[("item_code", text("A")), ("price_cap", dec("10.0000"))],
    );
    rows.push("catalog", &[("item_code", text("B"))]);
    for (no, code, price) in [
        (1, "A", "12.0000"),
        (2, "A", "10.0000"),
        (3, "B", "99.0000"),
        (4, "Z", "99.0000"),
    ] {
        rows.push(
            "claim_items",
            &line("C1", no, code, "2024-03-01", &[("unit_price", dec(price))]),
        );
    }
    let text = [
        rule(
            "CAP",
            "  for line in claim_items\n  flag when line.unit_price > line.entry.price_cap\n  message \"{line.unit_price} > {line.entry.price_cap}\"",
        ),
        rule(
            "OOC",
            "  for line in claim_items\n  where line.item_type = \"drug\"\n  flag when line.entry is null",
        ),
    ]
    .concat();
    assert_eq!(
        flags(&text, &rows),
        [
            line_flag("CAP", "C1", 1, "P1", "H1", "12.0000 > 10.0000"),
            line_flag("OOC", "C1", 4, "P1", "H1", "OOC name"),
        ]
    );
}

#[test]
fn line_identity_is_null_when_the_claim_is_missing() {
    // Bad input by the contract, but the reference still names what it can.
    let mut rows = Rows::new();
    rows.push("claim_items", &line("C7", 1, "A", "2024-03-01", &[]));
    let got = flags(
        &rule("X", "  for line in claim_items\n  flag when true"),
        &rows,
    );
    assert_eq!(
        got,
        [RefFlag {
            rule_id: "X".into(),
            claim_id: Some("C7".into()),
            line_no: Some(1),
            provider_id: None,
            patient_id: None,
            message: "X name".into(),
        }]
    );
}

#[test]
fn group_rule_aggregates_over_groups_with_null_keys_together() {
    let mut rows = Rows::new();
    push_claim(&mut rows, "C1", "P1", "H1");
    push_claim(&mut rows, "C2", "P1", "H2");
    push_claim(&mut rows, "C3", "P2", "H1");
    rows.push(
        "catalog",
        &[("item_code", text("A")), ("family", text("f"))],
    );
    rows.push("catalog", &[("item_code", text("B"))]);
    rows.push("catalog", &[("item_code", text("C"))]);
    let q = |s: &str| [("quantity", dec(s)), ("days_supply", Value::Null)];
    rows.push(
        "claim_items",
        &line("C1", 1, "A", "2024-03-01", &q("1.500")),
    );
    rows.push(
        "claim_items",
        &line("C2", 1, "A", "2024-03-01", &q("2.250")),
    );
    rows.push(
        "claim_items",
        &line("C3", 1, "A", "2024-03-01", &q("1.000")),
    ); // other patient
    rows.push(
        "claim_items",
        &line("C1", 2, "B", "2024-03-02", &q("1.000")),
    );
    rows.push(
        "claim_items",
        &line("C1", 3, "C", "2024-03-02", &q("1.000")),
    );
    rows.push(
        "claim_items",
        &line("C1", 4, "Z", "2024-03-02", &q("1.000")),
    );
    let text = [
        rule(
            "DUP",
            "  for line in claim_items\n  group by line.claim.patient_id, line.item_code, line.service_date\n  flag when count() >= 2\n  message \"{count()} {sum(line.quantity)}\"",
        ),
        // B, C and Z have no family: one group (null keys group together).
        rule(
            "FAM",
            "  for line in claim_items\n  where line.claim.patient_id = \"P1\"\n  group by line.entry.family\n  let n = count(distinct line.item_code)\n  flag when n >= 3 and line.line_no > 2\n  message \"{n} {sum(line.days_supply)} {min(line.item_code)} {max(line.quantity)} {any(line.entry is null)} {all(line.entry is null)} {any(line.days_supply > 0)}\"",
        ),
    ]
    .concat();
    assert_eq!(
        flags(&text, &rows),
        [
            line_flag("DUP", "C1", 1, "P1", "H1", "2 3.750"),
            line_flag("DUP", "C2", 1, "P1", "H2", "2 3.750"),
            line_flag("FAM", "C1", 3, "P1", "H1", "3 空 B 1.000 true false 空"),
            line_flag("FAM", "C1", 4, "P1", "H1", "3 空 B 1.000 true false 空"),
        ]
    );
}

#[test]
fn group_keys_compare_decimals_by_value() {
    let mut rows = Rows::new();
    push_claim(&mut rows, "C1", "P1", "H1");
    rows.push(
        "claim_items",
        &line("C1", 1, "A", "2024-03-01", &[("quantity", dec("1.5"))]),
    );
    rows.push(
        "claim_items",
        &line("C1", 2, "B", "2024-03-01", &[("quantity", dec("1.500"))]),
    );
    rows.push(
        "claim_items",
        &line("C1", 3, "C", "2024-03-01", &[("quantity", dec("2"))]),
    );
    let text = rule(
        "G",
        "  for line in claim_items\n  group by line.quantity\n  flag when count() = 2 and count(distinct line.quantity) = 1",
    );
    assert_eq!(ids(&flags(&text, &rows)), ["C1/1", "C1/2"]);
}

/// Drug lines of one patient and item on day 0, day 29 and day 30 of a
/// window that runs over 29 February 2024.
fn window_data() -> Rows {
    let mut rows = Rows::new();
    push_claim(&mut rows, "C1", "P1", "H1");
    push_claim(&mut rows, "C2", "P1", "H1");
    push_claim(&mut rows, "C3", "P2", "H1");
    let supply = |n: i64| [("days_supply", int(n))];
    rows.push(
        "claim_items",
        &line("C1", 1, "A", "2024-01-31", &supply(40)),
    );
    rows.push(
        "claim_items",
        &line("C1", 2, "A", "2024-02-29", &supply(25)),
    ); // day 29
    rows.push(
        "claim_items",
        &line("C2", 1, "A", "2024-03-01", &supply(10)),
    ); // day 30
    rows.push(
        "claim_items",
        &line("C2", 2, "A", "2024-03-01", &[("days_supply", Value::Null)]),
    );
    rows.push(
        "claim_items",
        &line("C3", 1, "A", "2024-02-29", &supply(70)),
    ); // other patient
    rows
}

#[test]
fn window_last_includes_day_29_and_not_day_30() {
    let text = format!(
        "param qty_window = 30 days\n{}",
        rule(
            "QTY",
            "  for line in claim_items\n  window by line.claim.patient_id, line.item_code over line.service_date last qty_window\n  flag when line.days_supply is not null and sum(line.days_supply) > 60\n  message \"{sum(line.days_supply)} in {count()}\"",
        )
    );
    assert_eq!(
        flags(&text, &window_data()),
        [
            line_flag("QTY", "C1", 2, "P1", "H1", "65 in 2"),
            line_flag("QTY", "C3", 1, "P2", "H1", "70 in 1"),
        ]
    );
    // A 31-day window reaches day 0 from day 30 as well; same-day rows count.
    let set = ruleset(&text);
    let over = [("qty_window".to_string(), ParamValue::Scalar(int(31)))];
    assert_eq!(
        ids(&evaluate(&set, &window_data(), &over)),
        ["C1/2", "C2/1", "C3/1"]
    );
    let text = rule(
        "ONE",
        "  for line in claim_items\n  window by line.claim.patient_id over line.service_date last 1 day\n  flag when count() = 2",
    );
    assert_eq!(ids(&flags(&text, &window_data())), ["C2/1", "C2/2"]);
}

#[test]
fn window_over_a_null_date_is_empty() {
    let mut rows = Rows::new();
    rows.push(
        "patients",
        &[
            ("patient_id", text("P1")),
            ("death_date", date("2024-03-01")),
        ],
    );
    for (id, patient) in [("C1", "P1"), ("C2", "P1"), ("C3", "P9"), ("C4", "P9")] {
        push_claim(&mut rows, id, patient, "H1");
    }
    let text = rule(
        "W",
        "  for c in claims\n  window by c.provider_id over c.patient.death_date last 10 days\n  flag when count() <> 2\n  message \"{count()} {sum(c.fund_amount)}\"",
    );
    assert_eq!(
        flags(&text, &rows),
        [
            claim_flag("W", "C3", "P9", "H1", "0 空"),
            claim_flag("W", "C4", "P9", "H1", "0 空"),
        ]
    );
}

#[test]
fn window_running_breaks_ties_by_the_key() {
    let mut rows = Rows::new();
    rows.push(
        "patients",
        &[
            ("patient_id", text("P1")),
            ("insurance_type", text("resident")),
        ],
    );
    let claim = |id: &str, settle: &str, fund: &str| {
        vec![
            ("claim_id", text(id)),
            ("patient_id", text("P1")),
            ("provider_id", text("H1")),
            ("admit_date", date("2024-01-05")),
            ("settle_time", time(settle)),
            ("fund_amount", dec(fund)),
        ]
    };
    // C10 and C2 settle at the same time: "C10" < "C2" as text.
    rows.push("claims", &claim("C2", "2024-01-05 09:00:00", "100.00"));
    rows.push("claims", &claim("C10", "2024-01-05 09:00:00", "200.00"));
    rows.push("claims", &claim("C3", "2024-01-06 09:00:00", "50.00"));
    rows.push("claims", &claim("C4", "2023-12-31 09:00:00", "90.00")); // the year before
    let text = format!(
        "param annual_cap = {{ \"employee\": 700000.00, \"resident\": 300000.00 }}\n{}",
        rule(
            "CAP",
            "  for c in claims\n  window by c.patient_id, year(c.settle_time) order by c.settle_time, c.claim_id running\n  flag when sum(c.fund_amount) > annual_cap[c.patient.insurance_type]\n  message \"{sum(c.fund_amount)}\"",
        )
    );
    let set = ruleset(&text);
    let over = [(
        "annual_cap".to_string(),
        ParamValue::Map(vec![("resident".into(), dec("250.00"))]),
    )];
    assert_eq!(
        evaluate(&set, &rows, &over),
        [
            claim_flag("CAP", "C2", "P1", "H1", "300.00"),
            claim_flag("CAP", "C3", "P1", "H1", "350.00"),
        ]
    );
    assert!(evaluate(&set, &rows, &[]).is_empty());
}

#[test]
fn sequence_prev_is_null_for_the_first_row_and_nulls_sort_last() {
    let mut rows = Rows::new();
    rows.push(
        "providers",
        &[("provider_id", text("H1")), ("level", int(3))],
    );
    rows.push(
        "providers",
        &[("provider_id", text("H2")), ("level", int(1))],
    );
    let claim = |id: &str, provider: &str, admit: &str, discharge: &str, dx: &str| {
        vec![
            ("claim_id", text(id)),
            ("patient_id", text("P1")),
            ("provider_id", text(provider)),
            ("visit_type", text("inpatient")),
            ("admit_date", date(admit)),
            ("discharge_date", date(discharge)),
            ("primary_dx", text(dx)),
        ]
    };
    rows.push(
        "claims",
        &claim("C1", "H1", "2023-12-01", "2023-12-10", "E11.900"),
    );
    rows.push(
        "claims",
        &claim("C2", "H1", "2023-12-25", "2024-01-02", "E11.901"),
    );
    rows.push(
        "claims",
        &claim("C3", "H1", "2024-01-17", "2024-01-20", "I10.x00"),
    );
    rows.push(
        "claims",
        &claim("C4", "H1", "2024-02-05", "2024-02-06", "I10.x00"),
    );
    let split = rule(
        "SPLIT",
        "  for c in claims\n  where c.visit_type = \"inpatient\"\n  sequence by c.patient_id, c.provider_id order by c.admit_date, c.claim_id\n  flag when c.admit_date - prev.discharge_date between 0 days and 15 days\n    and prefix(c.primary_dx, 3) = prefix(prev.primary_dx, 3)\n  message \"{c.admit_date - prev.discharge_date} after {prev.claim_id}\"",
    );
    // C2 - C1: 15 days, same E11: flagged. C3 - C2: 15 days, other dx. C4 - C3: 16 days.
    assert_eq!(
        flags(&split, &rows),
        [claim_flag("SPLIT", "C2", "P1", "H1", "15 after C1")]
    );

    // Order by the provider's level (null for H9, which is not registered)
    // then the claim: H2 (1), H1 (3), then H9 (null) last.
    let mut rows = Rows::new();
    rows.push(
        "providers",
        &[("provider_id", text("H1")), ("level", int(3))],
    );
    rows.push(
        "providers",
        &[("provider_id", text("H2")), ("level", int(1))],
    );
    push_claim(&mut rows, "C1", "P1", "H9");
    push_claim(&mut rows, "C2", "P1", "H1");
    push_claim(&mut rows, "C3", "P1", "H2");
    push_claim(&mut rows, "C4", "P2", "H1");
    let order = rule(
        "ORDER",
        "  for c in claims\n  sequence by c.patient_id order by c.provider.level\n  flag when prev is null or prev.claim_id is not null\n  message \"{prev.claim_id} -> {c.claim_id}\"",
    );
    let got = flags(&order, &rows);
    let messages: Vec<&str> = got.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(messages, ["C2 -> C1", "C3 -> C2", "空 -> C3", "空 -> C4"]);
    // A condition on prev alone is unknown for the first row.
    let unknown = rule(
        "U",
        "  for c in claims\n  sequence by c.patient_id order by c.claim_id\n  flag when not (prev.provider_id = \"H1\")",
    );
    assert_eq!(ids(&flags(&unknown, &rows)), ["C2"]);
}

#[test]
fn pair_rule_includes_the_row_itself_and_reports_the_first_partner() {
    let mut rows = Rows::new();
    let claim = |id: &str, patient: &str, visit: &str, admit: &str, discharge: &str| {
        vec![
            ("claim_id", text(id)),
            ("patient_id", text(patient)),
            ("provider_id", text("H1")),
            ("visit_type", text(visit)),
            ("admit_date", date(admit)),
            ("discharge_date", date(discharge)),
        ]
    };
    // Data order C2, C1, C10; key order C1, C10, C2.
    rows.push(
        "claims",
        &claim("C2", "P1", "inpatient", "2024-01-01", "2024-01-20"),
    );
    rows.push(
        "claims",
        &claim("C1", "P1", "inpatient", "2024-01-02", "2024-01-10"),
    );
    rows.push(
        "claims",
        &claim("C10", "P1", "inpatient", "2024-01-05", "2024-01-08"),
    );
    rows.push(
        "claims",
        &claim("C3", "P1", "outpatient", "2024-01-06", "2024-01-06"),
    );
    rows.push(
        "claims",
        &claim("C4", "P2", "inpatient", "2024-01-06", "2024-01-07"),
    );
    let text = [
        // Every inpatient claim pairs with itself.
        rule(
            "SELF",
            "  for c in claims\n  where c.visit_type = \"inpatient\"\n  pair with other in claims where other.visit_type = \"inpatient\" on other.patient_id = c.patient_id\n  flag when other.claim_id = c.claim_id",
        ),
        // The outpatient visit lies in all three stays: the message names
        // the first partner in key order ("C1" < "C10" < "C2").
        rule(
            "STAY",
            "  for c in claims\n  where c.visit_type in (\"outpatient\", \"pharmacy\")\n  pair with stay in claims where stay.visit_type = \"inpatient\" on stay.patient_id = c.patient_id\n  flag when stay.admit_date < c.admit_date and c.admit_date < stay.discharge_date\n  message \"{stay.claim_id} {stay.admit_date}\"",
        ),
        rule(
            "OVERLAP",
            "  for c in claims\n  where c.visit_type = \"inpatient\"\n  pair with other in claims where other.visit_type = \"inpatient\" on other.patient_id = c.patient_id\n  flag when other.claim_id <> c.claim_id and c.admit_date < other.discharge_date and other.admit_date < c.discharge_date\n  message \"{other.claim_id}\"",
        ),
    ]
    .concat();
    assert_eq!(
        flags(&text, &rows),
        [
            claim_flag("OVERLAP", "C1", "P1", "H1", "C10"),
            claim_flag("OVERLAP", "C10", "P1", "H1", "C1"),
            claim_flag("OVERLAP", "C2", "P1", "H1", "C1"),
            claim_flag("SELF", "C1", "P1", "H1", "SELF name"),
            claim_flag("SELF", "C10", "P1", "H1", "SELF name"),
            claim_flag("SELF", "C2", "P1", "H1", "SELF name"),
            claim_flag("SELF", "C4", "P2", "H1", "SELF name"),
            claim_flag("STAY", "C3", "P1", "H1", "C1 2024-01-02"),
        ]
    );
}

#[test]
fn pair_keys_never_match_on_null() {
    let mut rows = Rows::new();
    push_claim(&mut rows, "C1", "P1", "H1");
    rows.push(
        "claim_items",
        &line("C1", 1, "A", "2024-03-01", &[("days_supply", Value::Null)]),
    );
    rows.push(
        "claim_items",
        &line("C1", 2, "A", "2024-03-01", &[("days_supply", Value::Null)]),
    );
    rows.push(
        "claim_items",
        &line("C1", 3, "A", "2024-03-01", &[("days_supply", int(7))]),
    );
    let text = rule(
        "NULLKEY",
        "  for line in claim_items\n  pair with o in claim_items on o.days_supply = line.days_supply and o.item_code = line.item_code\n  flag when true\n  message \"{o.line_no}\"",
    );
    assert_eq!(
        flags(&text, &rows),
        [line_flag("NULLKEY", "C1", 3, "P1", "H1", "3")]
    );
}

/// Consultation lines at level-1 providers H1..H5 with shares of tier-3
/// lines 0, 1/4, 2/4, 3/4, 4/4; H6 (level 2) alone in its level; H7 with
/// one line (not eligible); lines of claims at H9 (not registered).
fn population_data() -> Rows {
    let mut rows = Rows::new();
    for (id, level) in [
        ("H1", 1),
        ("H2", 1),
        ("H3", 1),
        ("H4", 1),
        ("H5", 1),
        ("H6", 2),
        ("H7", 1),
    ] {
        rows.push(
            "providers",
            &[("provider_id", text(id)), ("level", int(level))],
        );
    }
    rows.push(
        "catalog",
        &[
            ("item_code", text("T1")),
            ("family", text("consult")),
            ("tier", int(1)),
        ],
    );
    rows.push(
        "catalog",
        &[
            ("item_code", text("T3")),
            ("family", text("consult")),
            ("tier", int(3)),
        ],
    );
    rows.push(
        "catalog",
        &[("item_code", text("L")), ("family", text("lab"))],
    );
    let mut claim_no = 0;
    for (provider, high, total) in [
        ("H1", 0, 4),
        ("H2", 1, 4),
        ("H3", 2, 4),
        ("H4", 3, 4),
        ("H5", 4, 4),
        ("H6", 4, 4),
        ("H7", 1, 1),
        ("H9", 4, 4),
    ] {
        claim_no += 1;
        let claim = format!("C{claim_no}");
        push_claim(&mut rows, &claim, "P1", provider);
        for i in 0..total {
            let code = if i < high { "T3" } else { "T1" };
            rows.push("claim_items", &line(&claim, i + 1, code, "2024-03-01", &[]));
        }
        // A line the `where` leaves out.
        rows.push(
            "claim_items",
            &line(&claim, total + 1, "L", "2024-03-01", &[]),
        );
    }
    rows
}

fn upcoding(flag: &str, minimum: &str) -> String {
    rule(
        "UPC",
        &format!(
            "  for line in claim_items\n  where line.entry.family = \"consult\" and line.entry.tier is not null\n  per provider = line.claim.provider\n  let n = count()\n  let h = count(line.entry.tier = 3)\n  let share = h / n\n  eligible when n >= 2\n  peers by provider.level{minimum}\n  flag when {flag}\n  message \"{{share}} > {{quantile(share, 0.9)}} ({{n}})\""
        ),
    )
}

#[test]
fn population_quantiles_interpolate_and_equal_does_not_flag() {
    // quantile(share, 0.5) over 0, .25, .5, .75, 1 is .5: H3 equals it.
    let got = flags(
        &upcoding("share > quantile(share, 0.5)", " minimum 2"),
        &population_data(),
    );
    assert_eq!(
        got,
        [
            provider_flag("UPC", "H4", "0.75 > 0.900 (4)"),
            provider_flag("UPC", "H5", "1 > 0.900 (4)"),
        ]
    );
    // quantile(share, 0.9): position 3.6, .75 + (1 − .75)·.6 = .9.
    let got = flags(
        &upcoding("share > quantile(share, 0.9)", " minimum 2"),
        &population_data(),
    );
    assert_eq!(ids(&got), ["H5"]);
    let got = flags(
        &upcoding("share >= quantile(share, 0.75)", " minimum 2"),
        &population_data(),
    );
    assert_eq!(ids(&got), ["H4", "H5"]);
    // Without a minimum H6 is its own peer group of one, and equals its quantile.
    let got = flags(
        &upcoding("share >= quantile(share, 0)", ""),
        &population_data(),
    );
    assert_eq!(ids(&got), ["H1", "H2", "H3", "H4", "H5", "H6"]);
    let got = flags(
        &upcoding("share >= quantile(share, 0)", " minimum 6"),
        &population_data(),
    );
    assert!(got.is_empty());
    // The rows of an unregistered provider have no entity: left out.
    let got = flags(&upcoding("n = 4 and h = 4", ""), &population_data());
    assert_eq!(ids(&got), ["H5", "H6"]);
}

#[test]
fn population_of_claims_flags_claims() {
    let text = rule(
        "PC",
        "  for line in claim_items\n  per claim = line.claim\n  let n = count()\n  peers by claim.patient_id\n  flag when n > quantile(n, 0.5) and claim.provider_id <> \"H9\"\n  message \"{n}\"",
    );
    let got = flags(&text, &population_data());
    // Claims have 5, 5, 5, 5, 5, 5, 2, 5 lines: only the median.
    assert!(got.is_empty(), "{got:?}");
    let text = text.replace("n > quantile(n, 0.5)", "n >= quantile(n, 0.5)");
    assert_eq!(
        ids(&flags(&text, &population_data())),
        ["C1", "C2", "C3", "C4", "C5", "C6"]
    );
}

// ======================================================================
// tests/data/every_form.rules on a hand-made dataset
// ======================================================================

fn every_form_data() -> Rows {
    let mut rows = Rows::new();
    rows.push(
        "patients",
        &[
            ("patient_id", text("P1")),
            ("insurance_type", text("resident")),
        ],
    );
    rows.push(
        "patients",
        &[
            ("patient_id", text("P2")),
            ("insurance_type", text("employee")),
        ],
    );
    let claim = |id: &str,
                 patient: &str,
                 provider: &str,
                 visit: &str,
                 admit: &str,
                 discharge: &str,
                 dx: &str,
                 fund: &str,
                 secondary: Value| {
        vec![
            ("claim_id", text(id)),
            ("patient_id", text(patient)),
            ("provider_id", text(provider)),
            ("visit_type", text(visit)),
            ("admit_date", date(admit)),
            ("discharge_date", date(discharge)),
            ("primary_dx", text(dx)),
            ("secondary_dx", secondary),
            ("fund_amount", dec(fund)),
            ("settle_time", time(&format!("{discharge} 10:00:00"))),
        ]
    };
    // P1 (resident, cap 300000): two stays at H1 with E11, 10 days apart.
    rows.push(
        "claims",
        &claim(
            "C1",
            "P1",
            "H1",
            "inpatient",
            "2024-01-02",
            "2024-01-12",
            "E11.900",
            "200000.00",
            Value::Null,
        ),
    );
    rows.push(
        "claims",
        &claim(
            "C2",
            "P1",
            "H1",
            "inpatient",
            "2024-01-22",
            "2024-01-30",
            "E11.901",
            "150000.00",
            list(&["I10.x00"]),
        ),
    );
    // P1 at another provider during the second stay.
    rows.push(
        "claims",
        &claim(
            "C3",
            "P1",
            "H2",
            "outpatient",
            "2024-01-25",
            "2024-01-25",
            "I10.x00",
            "10.00",
            list(&["J18.900"]),
        ),
    );
    // P2: an outpatient visit with the diagnosis only among the others.
    rows.push(
        "claims",
        &claim(
            "C4",
            "P2",
            "H2",
            "outpatient",
            "2024-01-25",
            "2024-01-25",
            "J18.900",
            "10.00",
            list(&["E11.900"]),
        ),
    );
    rows.push(
        "catalog",
        &[("item_code", text("S1")), ("item_type", text("service"))],
    );
    rows.push(
        "catalog",
        &[
            ("item_code", text("D1")),
            ("item_type", text("drug")),
            ("dx_prefixes", list(&["E11"])),
        ],
    );
    let drug = |claim: &str, no: i64, day: &str, supply: i64| {
        line(claim, no, "D1", day, &[("days_supply", int(supply))])
    };
    let service = |claim: &str, no: i64, day: &str| {
        line(claim, no, "S1", day, &[("item_type", text("service"))])
    };
    rows.push("claim_items", &service("C1", 1, "2024-01-03"));
    rows.push("claim_items", &service("C1", 2, "2024-01-03"));
    rows.push("claim_items", &service("C1", 3, "2024-01-04"));
    rows.push("claim_items", &drug("C1", 4, "2024-01-03", 30));
    rows.push("claim_items", &drug("C2", 1, "2024-01-23", 31));
    rows.push("claim_items", &drug("C3", 1, "2024-01-25", 5));
    rows.push("claim_items", &drug("C4", 1, "2024-01-25", 90));
    rows
}

#[test]
fn every_form_rules_on_a_small_dataset() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/every_form.rules"
    ))
    .unwrap();
    let set = ruleset(&text);
    let got = evaluate(&set, &every_form_data(), &[]);
    let expected = [
        // Running total 200000 + 150000 > 300000 for a resident.
        claim_flag("CAP-01", "C2", "P1", "H1", "超年度支付限额"),
        line_flag("DUP-01", "C1", 1, "P1", "H1", "S1 于 2024-01-03 收费 2 次"),
        line_flag("DUP-01", "C1", 2, "P1", "H1", "S1 于 2024-01-03 收费 2 次"),
        // D1 is limited to E11: C3 (I10, J18) lacks it; C4 has it among the others.
        line_flag(
            "LIM-DX",
            "C3",
            1,
            "P1",
            "H2",
            "限诊断 (diagnosis restriction)",
        ),
        // 30 + 31 + 5 days within 30 days for P1; 90 at once for P2.
        line_flag("QTY-02", "C2", 1, "P1", "H1", "超量开药"),
        line_flag("QTY-02", "C3", 1, "P1", "H2", "超量开药"),
        line_flag("QTY-02", "C4", 1, "P2", "H2", "超量开药"),
        claim_flag("SPLIT-01", "C2", "P1", "H1", "分解住院"),
        claim_flag("STAY-01", "C3", "P1", "H2", "住院期间门诊"),
    ];
    assert_eq!(got, expected);
}

// ======================================================================
// The rules' own tests, run by the reference
// ======================================================================

/// The ```rules blocks of docs/language.md that carry tests, with a header.
fn documented_rulesets() -> Vec<String> {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/language.md")).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in doc.lines() {
        match &mut current {
            None if line.trim_start() == "```rules" => current = Some(String::new()),
            Some(_) if line.trim_start() == "```" => blocks.push(current.take().unwrap()),
            Some(text) => {
                text.push_str(line);
                text.push('\n');
            }
            None => {}
        }
    }
    blocks
        .into_iter()
        .filter(|b| b.contains("test \"") && !b.contains("table "))
        .collect()
}

#[test]
fn rule_tests_pass_under_the_reference() {
    let mut texts = documented_rulesets();
    texts.push(
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/every_form.rules"
        ))
        .unwrap(),
    );
    let mut ran = 0;
    for text in texts {
        let set = ruleset(&text);
        for rule in &set.rules {
            for test in &rule.tests {
                let single = Ruleset {
                    rules: vec![rule.clone()],
                    ..set.clone()
                };
                let got = evaluate(&single, &rows_from_test(test), &test.params);
                let expected: Vec<Vec<String>> = {
                    let mut e: Vec<Vec<String>> = test
                        .expect
                        .iter()
                        .map(|row| row.iter().map(render).collect())
                        .collect();
                    e.sort();
                    e
                };
                assert_eq!(
                    project_flags(&got, &test.expect_fields),
                    expected,
                    "{} / {}",
                    rule.id,
                    test.name
                );
                ran += 1;
            }
        }
    }
    assert!(ran >= 4, "only {ran} rule tests found");
}

// ======================================================================
// Random rules and data
// ======================================================================

fn check_errors(text: &str) -> Vec<String> {
    let checked = check_text(Path::new("random.rules"), text);
    checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.render(&checked.sources))
        .collect()
}

#[test]
fn generated_rules_of_every_form_check() {
    let mut runner = TestRunner::deterministic();
    let mut failures = Vec::new();
    for form in FormKind::ALL {
        let strategy = rule_text_of(form);
        for _ in 0..40 {
            let text = strategy.new_tree(&mut runner).unwrap().current();
            let errors = check_errors(&text);
            if !errors.is_empty() {
                failures.push(format!("{text}\n{}", errors.join("\n")));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} generated rules do not check; the first:\n{}",
        failures.len(),
        failures[0]
    );
}

#[test]
fn random_rules_fire_sometimes_and_not_always() {
    let mut runner = TestRunner::deterministic();
    let (mut fired, mut silent, mut rows_flagged) = (0, 0, 0);
    for form in FormKind::ALL {
        let rules = rule_text_of(form);
        let (mut form_fired, mut form_silent) = (0, 0);
        for _ in 0..25 {
            let text = rules.new_tree(&mut runner).unwrap().current();
            let data = dataset().new_tree(&mut runner).unwrap().current();
            let set = ruleset(&text);
            let got = evaluate(&set, &data, &[]);
            if got.is_empty() {
                form_silent += 1;
            } else {
                form_fired += 1;
            }
            rows_flagged += got.len();
        }
        assert!(
            form_fired > 0 && form_silent > 0,
            "{form:?}: fired {form_fired}, silent {form_silent}"
        );
        fired += form_fired;
        silent += form_silent;
    }
    assert!(
        fired >= 25 && silent >= 25,
        "fired {fired}, silent {silent}"
    );
    assert!(rows_flagged > 0);
}

#[test]
fn random_data_is_valid_by_the_contract() {
    let schema = claimaudit::check::chs_schema();
    let mut runner = TestRunner::new(Config {
        cases: 12,
        ..Config::default()
    });
    runner
        .run(&dataset(), |rows| {
            let dir = tempfile::tempdir().unwrap();
            let batches = to_record_batches(&rows, &schema);
            for table in &schema.tables {
                assert_eq!(
                    batches[&table.name].num_rows(),
                    rows.table(&table.name).len()
                );
            }
            write_parquet(&batches, dir.path());
            let validation = claimaudit::data::load::validate_dataset(
                dir.path(),
                &schema,
                claimaudit::data::load::Thoroughness::AllProblems,
                &|_, _| {},
            );
            prop_assert!(
                validation.is_valid(),
                "{:?}",
                validation.problems.problems()
            );
            Ok(())
        })
        .unwrap();
}

proptest! {
    #![proptest_config(Config { cases: 64, ..Config::default() })]

    #[test]
    fn random_rules_always_check(text in rule_text()) {
        let errors = check_errors(&text);
        prop_assert!(errors.is_empty(), "{}\n{}", text, errors.join("\n"));
    }

    #[test]
    fn evaluate_never_panics(text in rule_text(), data in dataset()) {
        let set = ruleset(&text);
        let got = evaluate(&set, &data, &[]);
        // Sorted, and each row flagged at most once.
        let mut sorted = got.clone();
        support::reference_eval::sort_flags(&mut sorted);
        prop_assert_eq!(&sorted, &got);
        let mut keys: Vec<_> = got.iter().map(|f| (f.claim_id.clone(), f.line_no, f.provider_id.clone())).collect();
        keys.dedup();
        prop_assert_eq!(keys.len(), got.len());
    }
}
