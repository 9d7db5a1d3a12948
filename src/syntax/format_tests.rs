//! Formatter tests: expected text for the shipped files and each language
//! form, and the corner cases of parentheses, escaping and layout.

use super::ast::*;
use super::format::{canonical_order, format_expr, format_file, format_source};
use super::parse::{parse_expr, parse_file};
use super::span::{FileId, Span};

fn parse(text: &str) -> File {
    match parse_file(FileId(0), text) {
        Ok(file) => file,
        Err(d) => panic!("{d} at {}: {text}", d.span.start),
    }
}

/// Formats `text`, checking that the result reads back as the same tree
/// (up to the canonical order) and formats to itself.
fn fmt(text: &str) -> String {
    let out = format_file(&parse(text));
    let again = parse(&out);
    assert_eq!(format_file(&again), out, "not idempotent");
    out
}

/// Formats one expression, checking it reads back as the same tree.
fn fmt_expr(text: &str) -> String {
    let tree = parse_expr(FileId(0), text, 0).unwrap();
    let out = format_expr(&tree);
    let again = parse_expr(FileId(0), &out, 0).unwrap_or_else(|d| panic!("{d}: {out}"));
    assert_eq!(again, tree, "{text} formatted as {out}");
    out
}

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

// ---------------------------------------------------------------- whole files

#[test]
fn shipped_files_read_back_as_the_same_trees() {
    for path in [
        "rulesets/chs/schema.rules",
        "rulesets/chs/knowledge.rules",
        "tests/data/sample.rules",
    ] {
        let tree = parse(&read(path));
        // The shipped files are in canonical order, so nothing moves.
        assert_eq!(parse(&format_file(&tree)), tree, "{path}");
    }
}

/// Every rules file in the repository, by path.
fn rules_files() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let paths = super::find_rule_files(&[root.join("rulesets"), root.join("tests/data")]).unwrap();
    paths
        .into_iter()
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect()
}

#[test]
fn every_rules_file_reads_back_as_the_same_tree() {
    for (path, text) in rules_files() {
        // A file that does not parse is the parser tests' business.
        let Ok(tree) = parse_file(FileId(0), &text) else {
            continue;
        };
        let out = format_file(&tree);
        assert_eq!(parse(&out), canonical_order(&tree), "{path}");
        assert_eq!(format_file(&parse(&out)), out, "{path}");
        let kept = format_source(FileId(0), &text).unwrap();
        assert_eq!(parse(&kept), canonical_order(&tree), "{path}");
        assert_eq!(format_source(FileId(0), &kept).unwrap(), kept, "{path}");
    }
}

#[test]
fn formatting_the_shipped_files_is_idempotent() {
    for path in [
        "rulesets/chs/schema.rules",
        "rulesets/chs/knowledge.rules",
        "tests/data/sample.rules",
    ] {
        let once = format_file(&parse(&read(path)));
        let twice = format_file(&parse(&once));
        assert_eq!(twice, once, "{path}");
    }
}

#[test]
fn schema() {
    insta::assert_snapshot!(fmt(&read("rulesets/chs/schema.rules")), @r#"
    table claims "结算单, one row per settlement" {
      claim_id        text                                         "结算ID"
      patient_id      text                                         "人员编号"
      provider_id     text                                         "定点医药机构编号"
      visit_type      enum("outpatient", "inpatient", "pharmacy")  "门诊 / 住院 / 定点药店购药"
      admit_date      date                                         "visit date, or admission date for inpatient"
      discharge_date  date                                         "discharge date; equals admit_date unless inpatient"
      primary_dx      text                                         "main diagnosis, ICD-10 (医保版)"
      secondary_dx    list<text> nullable                          "other diagnoses"
      total_amount    decimal(18, 2)                               "医疗费总额"
      fund_amount     decimal(18, 2)                               "统筹基金支付"
      settle_time     timestamp                                    "when the settlement was made"
      treat_region    text                                         "就医地 region code"

      key claim_id
      check discharge_date >= admit_date
      relation patient: patient_id -> patients(patient_id)
      relation provider: provider_id -> providers(provider_id)
      flags claim (claim_id = claim_id, patient_id = patient_id, provider_id = provider_id, amount_at_stake = fund_amount)
      flags provider (provider_id = provider_id, amount_at_stake = fund_amount)
    }

    table claim_items "费用明细, one row per billed line" {
      claim_id      text                                 "the claim this line belongs to"
      line_no       int32                                "line number, unique within a claim, from 1"
      item_code     text                                 "医保编码"
      item_type     enum("drug", "service", "material")  "药品 / 诊疗项目 / 医用耗材"
      service_date  date                                 "day the item was given"
      quantity      decimal(12, 3)                       "quantity billed"
      unit_price    decimal(14, 4)                       "price per unit"
      amount        decimal(18, 2)                       "line amount"
      days_supply   int32 nullable                       "days of medication dispensed"
      doctor_id     text                                 "医保医师代码"

      key (claim_id, line_no)
      check line_no > 0
      check quantity > 0
      relation claim: claim_id -> claims(claim_id) required
      relation entry: item_code -> catalog(item_code)
      flags line (claim_id = claim_id, line_no = line_no, patient_id = claim.patient_id, provider_id = claim.provider_id, amount_at_stake = amount)
      flags claim (claim_id = claim_id, patient_id = claim.patient_id, provider_id = claim.provider_id, amount_at_stake = amount)
      flags provider (provider_id = claim.provider_id, amount_at_stake = amount)
    }

    table patients "参保人员登记" {
      patient_id          text
      gender              enum("M", "F")
      birth_date          date
      death_date          date nullable                 "from the civil death registry"
      insurance_type      enum("employee", "resident")  "职工医保 / 城乡居民医保"
      enroll_date         date                          "date of (re-)enrolment"
      benefit_start_date  date                          "first day benefits may be paid"
      region              text                          "参保地"

      key patient_id
    }

    table catalog "医保目录: drugs, services and materials" {
      item_code           text
      item_name           text
      item_type           enum("drug", "service", "material")
      pay_class           enum("A", "B", "C")                  "甲类 / 乙类 / 丙类"
      valid_from          date                                 "first day the entry is in force"
      valid_to            date nullable                        "last day in force; null = open"
      price_cap           decimal(14, 4) nullable              "最高限价"
      gender_limit        enum("M", "F") nullable              "限性别"
      min_age             int32 nullable                       "限年龄: youngest age in full years"
      max_age             int32 nullable                       "限年龄: oldest age in full years"
      dx_prefixes         list<text> nullable                  "限诊断"
      min_provider_level  int32 nullable                       "限医疗机构等级"
      max_daily_qty       decimal(12, 3) nullable              "频次: most units a day"
      max_days_supply     int32 nullable                       "限量: most days' supply on one line"
      family              text nullable                        "a group of related items"
      tier                int32 nullable                       "level within a family"

      key item_code
    }

    table providers "定点医药机构" {
      provider_id    text
      provider_name  text
      level          int32                                   "1, 2 or 3; pharmacies are 0"
      kind           enum("hospital", "clinic", "pharmacy")
      region         text                                    "pooling area code"
      contract_from  date                                    "first day of the designation agreement"
      contract_to    date nullable                           "last day; null = open"

      key provider_id
      flags provider (provider_id = provider_id)
    }

    table exclusive_items "互斥项目知识库: items that must not be billed together" {
      item_a      text           "one item code of the pair"
      item_b      text           "the other item code; a pair is listed once, in either order"
      valid_from  date           "first day this version is in force"
      valid_to    date nullable  "last day in force; null = open"
      basis       text nullable  "the knowledge point's id or policy clause"

      key (item_a, item_b, valid_from)
      check item_a <> item_b
      in force from valid_from to valid_to
    }
    "#);
}

#[test]
fn header_items() {
    let text = "ruleset \"CHS core rules\" version \"2024.1\"
        param annual_fund_cap = {\"employee\": 700000.00, \"resident\": 300000.00,} \"年度统筹基金最高支付限额\"
        param qty02_window = 30 days
        set service_or_material = (\"service\", \"material\",)";
    insta::assert_snapshot!(fmt(text), @r#"
    ruleset "CHS core rules" version "2024.1"

    param annual_fund_cap = { "employee": 700000.00, "resident": 300000.00 } "年度统筹基金最高支付限额"
    param qty02_window = 30 days
    set service_or_material = ("service", "material")
    "#);
}

fn sample_rule(id: &str) -> String {
    let Item::Rule(rule) = parse(&read("tests/data/sample.rules"))
        .items
        .into_iter()
        .find(|i| matches!(i, Item::Rule(r) if r.id.name == id))
        .unwrap()
    else {
        unreachable!()
    };
    fmt(&format_file(&File {
        items: vec![Item::Rule(rule)],
    }))
}

#[test]
fn rule_with_group_message_and_test() {
    insta::assert_snapshot!(sample_rule("DUP-01"), @r#"
    rule DUP-01 "重复收费 (duplicate billing)" {
      category duplicate_billing
      severity high
      action review
      basis "《医疗保障基金使用监督管理条例》第三十八条"
      national_code "GZ10000102012000"

      for line in claim_items
      where line.item_type in service_or_material
      group by line.claim.patient_id, line.item_code, line.service_date
      flag when count() >= 2
      message "{line.item_code} 于 {line.service_date} 收费 {count()} 次"

      test "same service twice on one day" {
        given claims
          | claim_id | patient_id |
          | C1       | P1         |
          | C2       | P1         |
        given claim_items
          | claim_id | line_no | item_code | item_type | service_date |
          | C1       | 1       | S1        | service   | 2024-03-01   |
          | C2       | 1       | S1        | service   | 2024-03-01   |
        expect flags
          | claim_id | line_no |
          | C1       | 1       |
          | C2       | 1       |
      }
    }
    "#);
}

#[test]
fn rule_with_let_and_a_long_condition() {
    insta::assert_snapshot!(sample_rule("LIM-DX"), @r#"
    rule LIM-DX "限诊断 (diagnosis restriction)" {
      for line in claim_items
      let prefixes = line.entry.dx_prefixes
      flag when length(prefixes) > 0
          and not any(p in prefixes: line.claim.primary_dx starts with p or any(d in line.claim.secondary_dx: d starts with p))
    }
    "#);
}

#[test]
fn rule_with_a_window_over_days() {
    insta::assert_snapshot!(sample_rule("QTY-02"), @r#"
    rule QTY-02 "超量开药" {
      for line in claim_items
      where line.item_type = "drug"
      window by line.claim.patient_id, line.item_code over line.service_date last qty02_window
      flag when line.days_supply is not null and sum(line.days_supply) > 60
    }
    "#);
}

#[test]
fn rule_with_a_running_window() {
    insta::assert_snapshot!(sample_rule("CAP-01"), @r#"
    rule CAP-01 "超年度支付限额" {
      for c in claims
      window by c.patient_id, year(c.admit_date) order by c.settle_time, c.claim_id running
      flag when sum(c.fund_amount) > annual_fund_cap[c.patient.insurance_type]
    }
    "#);
}

#[test]
fn rule_with_a_sequence() {
    insta::assert_snapshot!(sample_rule("SPLIT-01"), @r#"
    rule SPLIT-01 "分解住院" {
      for c in claims
      where c.visit_type = "inpatient"
      sequence by c.patient_id, c.provider_id order by c.admit_date, c.claim_id
      flag when c.admit_date - prev.discharge_date between 0 days and 15 days
          and prefix(c.primary_dx, 3) = prefix(prev.primary_dx, 3)
    }
    "#);
}

#[test]
fn rule_with_a_pair() {
    insta::assert_snapshot!(sample_rule("STAY-01"), @r#"
    rule STAY-01 "住院期间门诊" {
      for c in claims
      where c.visit_type in ("outpatient", "pharmacy")
      pair with stay in claims where stay.visit_type = "inpatient" on stay.patient_id = c.patient_id
      flag when stay.provider_id <> c.provider_id
          and stay.admit_date < c.admit_date
          and c.admit_date < stay.discharge_date
    }
    "#);
}

#[test]
fn rule_with_peers() {
    insta::assert_snapshot!(sample_rule("UPC-01"), @r#"
    rule UPC-01 "高套诊查" {
      batch_only

      for line in claim_items
      where line.entry.family = "consult" and line.entry.tier is not null
      per provider = line.claim.provider
      let n = count()
      let h = count(line.entry.tier = 3)
      let share = h / n
      eligible when n >= 100
      peers by provider.level minimum 20
      flag when share > quantile(share, 0.95)
    }
    "#);
}

// ---------------------------------------------------------------- layout

#[test]
fn clauses_are_put_in_canonical_order() {
    let text = r#"rule R "n" {
        test "b" { expect no flags }
        flag when x
        let b = 2
        message "m"
        for l in t
        severity high
        let a = 1
        test "a" { expect no flags }
        category c
        pair with o in t on o.k = l.k
        where y
        batch_only
    }"#;
    insta::assert_snapshot!(fmt(text), @r#"
    rule R "n" {
      category c
      severity high
      batch_only

      for l in t
      where y
      pair with o in t on o.k = l.k
      let b = 2
      let a = 1
      flag when x
      message "m"

      test "b" {
        expect no flags
      }

      test "a" {
        expect no flags
      }
    }
    "#);
}

#[test]
fn tables_put_columns_first_and_align_them() {
    let text = r#"table 结算 "doc" {
        key (编号, line_no)
        flags line (claim_id = 编号, patient_id = claim.patient_id)
        编号 text "结算ID"
        check line_no > 0
        relation claim: 编号 -> claims(claim_id) required
        line_no int32 nullable
        amounts list<decimal(18, 2)> "line amounts"
        kind enum("a", "b\"c")
    }"#;
    insta::assert_snapshot!(fmt(text), @r#"
    table 结算 "doc" {
      编号     text                  "结算ID"
      line_no  int32 nullable
      amounts  list<decimal(18, 2)>  "line amounts"
      kind     enum("a", "b\"c")

      key (编号, line_no)
      check line_no > 0
      relation claim: 编号 -> claims(claim_id) required
      flags line (claim_id = 编号, patient_id = claim.patient_id)
    }
    "#);
}

#[test]
fn empty_blocks_stay_on_one_line() {
    insta::assert_snapshot!(fmt("table t { } rule R-1.a \"n\" {}"), @r#"
    table t {}

    rule R-1.a "n" {}
    "#);
}

#[test]
fn an_empty_file_stays_empty() {
    assert_eq!(fmt("# only a comment\n"), "");
}

#[test]
fn long_conditions_break_before_top_level_operators() {
    let long = "line.claim.patient.insurance_type = \"employee\"";
    let text = format!(
        "rule R \"n\" {{ where {long} or {long} or {long}
           flag when {long} and ({long} or {long}) and {long} }}"
    );
    insta::assert_snapshot!(fmt(&text), @r#"
    rule R "n" {
      where line.claim.patient.insurance_type = "employee"
          or line.claim.patient.insurance_type = "employee"
          or line.claim.patient.insurance_type = "employee"
      flag when line.claim.patient.insurance_type = "employee"
          and (line.claim.patient.insurance_type = "employee" or line.claim.patient.insurance_type = "employee")
          and line.claim.patient.insurance_type = "employee"
    }
    "#);
}

#[test]
fn short_conditions_stay_on_one_line() {
    let text = "rule R \"n\" { flag when a\n and b\n or c }";
    insta::assert_snapshot!(fmt(text), @r#"
    rule R "n" {
      flag when (a and b) or c
    }
    "#);
}

#[test]
fn data_tables_pad_columns_to_equal_width() {
    let text = r#"rule R "n" { test "t" {
        with p = 1, m = {"a": 2}
        given claims
        |claim_id|结算金额|
        | C1 | 12.50 |
        |C22||
        | C3 |
        expect flags
        | claim_id |
        | "C1" # not a comment |
    } }"#;
    insta::assert_snapshot!(fmt(text), @r#"
    rule R "n" {
      test "t" {
        with p = 1, m = { "a": 2 }
        given claims
          | claim_id | 结算金额 |
          | C1       | 12.50    |
          | C22      |          |
          | C3       |
        expect flags
          | claim_id             |
          | "C1" # not a comment |
      }
    }
    "#);
}

// ---------------------------------------------------------------- expressions

#[test]
fn and_inside_or_gets_parentheses() {
    assert_eq!(fmt_expr("a or b and c"), "a or (b and c)");
    assert_eq!(fmt_expr("a and b or c"), "(a and b) or c");
    assert_eq!(fmt_expr("(a or b) and c"), "(a or b) and c");
    assert_eq!(fmt_expr("a and (b or c)"), "a and (b or c)");
}

#[test]
fn chains_of_one_operator_need_parentheses_only_on_the_right() {
    assert_eq!(fmt_expr("((a or b) or c)"), "a or b or c");
    assert_eq!(fmt_expr("a or (b or c)"), "a or (b or c)");
    assert_eq!(fmt_expr("(a and b) and c"), "a and b and c");
    assert_eq!(fmt_expr("a and (b and c)"), "a and (b and c)");
    assert_eq!(fmt_expr("(a - b) - c"), "a - b - c");
    assert_eq!(fmt_expr("a - (b - c)"), "a - (b - c)");
    assert_eq!(fmt_expr("a - (b + c)"), "a - (b + c)");
    assert_eq!(fmt_expr("a + (b - c)"), "a + (b - c)");
    assert_eq!(fmt_expr("a / (b * c)"), "a / (b * c)");
    assert_eq!(fmt_expr("(a / b) * c"), "a / b * c");
}

#[test]
fn arithmetic_precedence() {
    assert_eq!(fmt_expr("(a * b) + c"), "a * b + c");
    assert_eq!(fmt_expr("a * (b + c)"), "a * (b + c)");
    assert_eq!(fmt_expr("(a + b) * c"), "(a + b) * c");
    assert_eq!(fmt_expr("a + (b * c)"), "a + b * c");
}

#[test]
fn comparisons_do_not_chain() {
    assert_eq!(fmt_expr("(a = b) = c"), "(a = b) = c");
    assert_eq!(fmt_expr("a = (b = c)"), "a = (b = c)");
    assert_eq!(fmt_expr("(a < b) in (true)"), "(a < b) in (true)");
    assert_eq!(fmt_expr("(a is null) = false"), "(a is null) = false");
    assert_eq!(
        fmt_expr("(x between 1 and 2) between a and b"),
        "(x between 1 and 2) between a and b"
    );
    assert_eq!(fmt_expr("a + 1 >= b * 2"), "a + 1 >= b * 2");
    assert_eq!(fmt_expr("(a or b) <> c"), "(a or b) <> c");
}

#[test]
fn not_binds_looser_than_a_comparison() {
    assert_eq!(fmt_expr("not a = b"), "not a = b");
    assert_eq!(fmt_expr("not (a = b)"), "not a = b");
    assert_eq!(fmt_expr("(not a) = b"), "(not a) = b");
    assert_eq!(fmt_expr("not (a and b)"), "not (a and b)");
    assert_eq!(fmt_expr("not not a"), "not not a");
    assert_eq!(fmt_expr("not a and b"), "not a and b");
    assert_eq!(fmt_expr("-(not a)"), "-(not a)");
}

#[test]
fn unary_minus() {
    assert_eq!(fmt_expr("-5"), "-5");
    assert_eq!(fmt_expr("--x"), "- -x");
    assert_eq!(fmt_expr("- - -x"), "- - -x");
    assert_eq!(fmt_expr("a - -b"), "a - -b");
    assert_eq!(fmt_expr("a--5"), "a - -5");
    assert_eq!(fmt_expr("a * -b"), "a * -b");
    assert_eq!(fmt_expr("-a - b"), "-a - b");
    assert_eq!(fmt_expr("-(a + b)"), "-(a + b)");
    assert_eq!(fmt_expr("-(a * b)"), "-(a * b)");
    assert_eq!(fmt_expr("-1 day"), "-1 day");
}

#[test]
fn indexes_bind_tightest() {
    assert_eq!(fmt_expr("-a[1]"), "-a[1]");
    assert_eq!(fmt_expr("(-a)[1]"), "(-a)[1]");
    assert_eq!(fmt_expr("(a[1])[2]"), "a[1][2]");
    assert_eq!(fmt_expr("(a + b)[c or d]"), "(a + b)[c or d]");
    assert_eq!(fmt_expr("f(x)[\"k\"]"), "f(x)[\"k\"]");
    assert_eq!(fmt_expr("2 days[0]"), "2 days[0]");
}

#[test]
fn predicates() {
    assert_eq!(
        fmt_expr("x not between 1 and 2 and y"),
        "x not between 1 and 2 and y"
    );
    assert_eq!(fmt_expr("not x between 1 and 2"), "not x between 1 and 2");
    assert_eq!(fmt_expr("x in (1, 2,)"), "x in (1, 2)");
    assert_eq!(fmt_expr("x not in s"), "x not in s");
    assert_eq!(fmt_expr("x in a + b"), "x in a + b");
    assert_eq!(fmt_expr("x in (a or b)"), "x in (a or b)");
    assert_eq!(fmt_expr("x is not null"), "x is not null");
    assert_eq!(fmt_expr("x is null"), "x is null");
    assert_eq!(
        fmt_expr("a starts with b + \"1\""),
        "a starts with b + \"1\""
    );
    assert_eq!(fmt_expr("a matches \"^A\""), "a matches \"^A\"");
    assert_eq!(fmt_expr("a<>b"), "a <> b");
}

#[test]
fn literals_calls_and_quantifiers() {
    assert_eq!(fmt_expr("12.50"), "12.50");
    assert_eq!(fmt_expr("007"), "007");
    assert_eq!(fmt_expr("1 days"), "1 day");
    assert_eq!(fmt_expr("0 day"), "0 days");
    assert_eq!(fmt_expr("30 days"), "30 days");
    assert_eq!(fmt_expr("true"), "true");
    assert_eq!(
        fmt_expr("count( distinct a.b , c )"),
        "count(distinct a.b, c)"
    );
    assert_eq!(fmt_expr("count()"), "count()");
    assert_eq!(
        fmt_expr("all(p in xs: any(q in p.ys: q > 0))"),
        "all(p in xs: any(q in p.ys: q > 0))"
    );
    assert_eq!(fmt_expr("any(p in xs)"), "any(p in xs)");
    assert_eq!(fmt_expr("结算.金额_1 + days"), "结算.金额_1 + days");
}

// ---------------------------------------------------------------- escaping

#[test]
fn strings_are_escaped() {
    assert_eq!(
        fmt_expr(r#""say \"hi\" \\ \n \t {x} \{y\}""#),
        r#""say \"hi\" \\ \n \t {x} {y}""#
    );
    assert_eq!(fmt_expr("\"结算 #1\""), "\"结算 #1\"");
}

#[test]
fn messages_escape_braces_and_keep_placeholders() {
    let text = r#"rule R "n" { message "{a.b}{count()} 次 \{literal\} \"q\" \\ \n\t{x + 1}" }"#;
    insta::assert_snapshot!(fmt(text), @r#"
    rule R "n" {
      message "{a.b}{count()} 次 \{literal\} \"q\" \\ \n\t{x + 1}"
    }
    "#);
}

// ---------------------------------------------------------------- limits of the grammar

fn ident(name: &str) -> Ident {
    Ident {
        name: name.to_string(),
        span: Span::default(),
    }
}

fn path(name: &str) -> Expr {
    Expr::new(ExprKind::Path(vec![ident(name)]), Span::default())
}

fn table_with_column(name: &str, next: Option<&str>) -> File {
    let column = |name: &str| {
        TableItem::Column(ColumnDecl {
            name: ident(name),
            ty: TypeExpr {
                kind: TypeExprKind::Simple(SimpleType::Text),
                span: Span::default(),
            },
            nullable: false,
            doc: None,
            span: Span::default(),
        })
    };
    File {
        items: vec![Item::Table(TableDecl {
            name: ident("t"),
            doc: None,
            items: std::iter::once(name).chain(next).map(column).collect(),
            span: Span::default(),
        })],
    }
}

/// Trees no text can express; the round-trip property test leaves them out.
/// If one of these starts failing, the grammar changed and the generator in
/// tests/fmt_roundtrip.rs may include that tree again.
#[test]
fn columns_named_key_check_or_nullable_cannot_be_written() {
    for (name, next) in [("key", None), ("check", None), ("a", Some("nullable"))] {
        let tree = table_with_column(name, next);
        let read = parse_file(FileId(0), &format_file(&tree));
        assert_ne!(read.ok(), Some(tree), "{name}");
    }
}

#[test]
fn a_set_expression_starting_with_a_parenthesis_reads_as_a_list() {
    // `x in (a + b) * c`: the grammar reads `(a + b)` as a one-value list.
    let sum = Expr::new(
        ExprKind::Binary {
            op: BinaryOp::Add,
            left: Box::new(path("a")),
            right: Box::new(path("b")),
        },
        Span::default(),
    );
    let set = Expr::new(
        ExprKind::Binary {
            op: BinaryOp::Mul,
            left: Box::new(sum),
            right: Box::new(path("c")),
        },
        Span::default(),
    );
    let tree = Expr::new(
        ExprKind::In {
            negated: false,
            expr: Box::new(path("x")),
            set: InSet::Expr(Box::new(set)),
        },
        Span::default(),
    );
    let text = format_expr(&tree);
    assert_eq!(text, "x in (a + b) * c");
    assert!(parse_expr(FileId(0), &text, 0).is_err());
}

#[test]
fn a_message_placeholder_cannot_hold_a_string() {
    let text = r#"rule R "n" { message "{f(\"a\")}" }"#;
    assert!(parse_file(FileId(0), text).is_err());
}

// ---------------------------------------------------------------- comments

fn fmt_source(text: &str) -> String {
    let out = format_source(FileId(0), text).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(
        parse(&out),
        parse(&format_file(&parse(text))),
        "tree changed"
    );
    let again = format_source(FileId(0), &out).unwrap();
    assert_eq!(again, out, "not idempotent");
    out
}

#[test]
fn format_file_drops_comments() {
    let text = "# header\nparam p = 1 # why\n";
    assert_eq!(format_file(&parse(text)), "param p = 1\n");
}

#[test]
fn the_schema_keeps_its_header_comment() {
    let out = fmt_source(&read("rulesets/chs/schema.rules"));
    let expected = read("rulesets/chs/schema.rules")
        .lines()
        .take_while(|l| l.starts_with('#') || l.is_empty())
        .map(|l| format!("{l}\n"))
        .collect::<String>();
    assert!(out.starts_with(&expected), "{out}");
    assert!(out[expected.len()..].starts_with("table claims"), "{out}");
}

#[test]
fn comments_stay_with_their_items_and_clauses() {
    let text = r#"# About the file.

# About p.
param p = 1   # the default
set s = ("a", # inside a set: moves above it
  "b")
table t { # before the first column
  k text
  # before key
  key k  # the key
  a int32 "doc" # about a
  # last in t
}
rule R "n" {
  # why this flags
  flag when a # first part
    and b # second part
  for l in t

  # about the test
  test "t" {
    with p = 2 # a with
    given t # the table
      | k |
      # between rows
      | 1 | # last row
    # before expect
    expect no flags # nothing
    # end of test
  } # after test
  category c # a category
}
rule E "empty" {
  # nothing yet
}

# The end.
"#;
    insta::assert_snapshot!(fmt_source(text), @r#"
    # About the file.

    # About p.
    param p = 1  # the default
    # inside a set: moves above it
    set s = ("a", "b")

    table t {
      # before the first column
      k  text
      a  int32  "doc"  # about a

      # before key
      key k  # the key
      # last in t
    }

    rule R "n" {
      category c  # a category

      for l in t
      # why this flags
      # first part
      flag when a and b  # second part

      # about the test
      test "t" {
        with p = 2  # a with
        # the table
        # between rows
        given t
          | k |
          | 1 |  # last row
        # before expect
        expect no flags  # nothing
        # end of test
      }  # after test
    }

    rule E "empty" {
      # nothing yet
    }

    # The end.
    "#);
}

#[test]
fn hash_signs_in_strings_and_cells_are_not_comments() {
    let text =
        "rule R \"#1\" { message \"# {a}\" test \"t\" { given t\n| # |\n expect no flags } }";
    insta::assert_snapshot!(fmt_source(text), @r##"
    rule R "#1" {
      message "# {a}"

      test "t" {
        given t
          | # |
        expect no flags
      }
    }
    "##);
}

#[test]
fn a_file_of_comments_only_keeps_them() {
    assert_eq!(fmt_source("\n\n# one\n\n# two\n"), "# one\n\n# two\n");
}
