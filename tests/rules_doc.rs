//! docs/rules.md is the catalog of the shipped rules, as `claimaudit doc` prints it.

use claimaudit::check::catalog::rules_catalog;
use claimaudit::check::check_shipped;

#[test]
fn docs_rules_md_is_up_to_date() {
    let checked = check_shipped();
    let ruleset = checked
        .ruleset
        .as_ref()
        .expect("the shipped ruleset checks");
    let generated = rules_catalog(ruleset, &checked.sources);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/rules.md");
    let written = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        written == generated,
        "docs/rules.md is out of date: run `cargo run -q -- doc > docs/rules.md`"
    );
    for rule in &ruleset.rules {
        assert!(generated.contains(&format!("## {}", rule.id)));
    }
}
