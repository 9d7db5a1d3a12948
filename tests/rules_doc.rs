//! docs/rules.md is the catalog of the shipped rules, as `claimaudit doc` prints it.

use claimaudit::check::catalog::rules_catalog;
use claimaudit::check::check_shipped;

/// The catalog of the shipped rules, as `claimaudit doc` prints it, and
/// their ids.
fn shipped_catalog() -> (String, Vec<String>) {
    let checked = check_shipped();
    let ruleset = checked
        .ruleset
        .as_ref()
        .expect("the shipped ruleset checks");
    let ids = ruleset.rules.iter().map(|r| r.id.clone()).collect();
    (rules_catalog(ruleset, &checked.sources), ids)
}

#[test]
fn docs_rules_md_is_up_to_date() {
    let (generated, ids) = shipped_catalog();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/rules.md");
    let written = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        written == generated,
        "docs/rules.md is out of date: run `cargo run -q -- doc > docs/rules.md`"
    );
    for id in &ids {
        assert!(generated.contains(&format!("## {id}")));
    }
}

#[test]
fn every_condition_is_quoted_with_its_parentheses() {
    // A condition starting or ending with a parenthesized part lost the
    // outer parentheses (LIM-AGE, CONTRACT-01, OOC-01).
    let (generated, _) = shipped_catalog();
    for block in generated.split("```").skip(1).step_by(2) {
        let mut depth = 0i32;
        for c in block.chars() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            assert!(depth >= 0, "a `)` before its `(`:\n{block}");
        }
        assert_eq!(depth, 0, "unbalanced parentheses:\n{block}");
    }
    assert!(
        generated
            .contains("(line.entry.min_age is not null and age_on_service < line.entry.min_age)")
    );
}
