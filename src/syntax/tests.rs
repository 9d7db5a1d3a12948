//! Parser tests on whole files.

use super::ast::*;
use super::parse::parse_file;
use super::span::FileId;

fn parse(text: &str) -> File {
    match parse_file(FileId(0), text) {
        Ok(file) => file,
        Err(d) => panic!("{d} at {}..{}", d.span.start, d.span.end),
    }
}

#[test]
fn parses_the_shipped_schema() {
    let file = parse(include_str!("../../rulesets/chs/schema.rules"));
    assert_eq!(file.items.len(), 6);
    let Item::Table(claims) = &file.items[0] else {
        panic!()
    };
    assert_eq!(claims.name.name, "claims");
    let columns = claims
        .items
        .iter()
        .filter(|i| matches!(i, TableItem::Column(_)))
        .count();
    assert_eq!(columns, 12);
}

#[test]
fn parses_rules_of_every_form() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/sample.rules"
    ))
    .unwrap();
    let file = parse(&text);
    let rules = file
        .items
        .iter()
        .filter(|i| matches!(i, Item::Rule(_)))
        .count();
    assert_eq!(rules, 7);
}

#[test]
fn syntax_errors_say_what_was_expected() {
    let err = parse_file(FileId(0), "rule X \"n\" { flag when a.b == 1 }").unwrap_err();
    assert_eq!(err.code, "E0004");
    assert_eq!(err.help.as_deref(), Some("write `=` for \"equal\""));
    let err = parse_file(FileId(0), "rule X \"n\" { flag when a.b = }").unwrap_err();
    assert_eq!(err.code, "E0001");
    assert!(
        err.message.starts_with("expected an expression"),
        "{}",
        err.message
    );
}

#[test]
fn in_either_order_and_in_force_are_never_membership_tests() {
    // Regression: `a in either ...` and `0 in force ...` were read as `in`
    // tests, swallowing the words after the expression.
    let file = parse(
        "table t {\n  a date\n  b date\n  check a <= b\n  in force from a to b\n}\n\
         rule R \"r\" {\n  for l in t\n  pair with o in t on o.a = l.a\n  \
         match x in t on x.a = l.a in either order as of l.b\n  flag when true\n}\n",
    );
    let Item::Table(table) = &file.items[0] else {
        panic!()
    };
    assert!(matches!(table.items.last(), Some(TableItem::InForce(_))));
    let Item::Rule(rule) = &file.items[1] else {
        panic!()
    };
    let matched = rule
        .items
        .iter()
        .find_map(|i| match &i.kind {
            RuleItemKind::Match {
                either_order,
                as_of,
                ..
            } => Some((*either_order, as_of.is_some())),
            _ => None,
        })
        .expect("the match clause");
    assert_eq!(matched, (true, true));
}
