//! Every example in docs/language.md checks without errors, and the tests
//! an example carries pass.
//!
//! Examples are the ```rules blocks. A block without its own `ruleset`
//! line gets one, and each is checked beside the shipped CHS schema, as a
//! file a supervisor adds to `rulesets/` would be.

use std::path::Path;

use claimaudit::check::{CHS_SCHEMA_PATH, CHS_SCHEMA_SOURCE, check_parsed};
use claimaudit::exec::run_rule_tests;
use claimaudit::syntax::{Parsed, parse_text_into};

fn examples() -> Vec<(usize, String)> {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/language.md")).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (number, line) in doc.lines().enumerate() {
        match &mut current {
            None if line.trim_start() == "```rules" => current = Some((number + 1, String::new())),
            Some(_) if line.trim_start() == "```" => blocks.push(current.take().unwrap()),
            Some((_, text)) => {
                text.push_str(line);
                text.push('\n');
            }
            None => {}
        }
    }
    assert!(current.is_none(), "an unclosed ```rules block");
    blocks
}

#[test]
fn every_example_checks() {
    let blocks = examples();
    assert!(blocks.len() >= 15, "only {} examples found", blocks.len());
    let mut failures = Vec::new();
    for (line, text) in blocks {
        let text = if text.contains("ruleset \"") {
            text
        } else {
            format!("ruleset \"docs\" version \"1\"\n{text}")
        };
        let mut parsed = Parsed::default();
        parse_text_into(
            &mut parsed,
            Path::new(CHS_SCHEMA_PATH),
            CHS_SCHEMA_SOURCE.to_string(),
        );
        parse_text_into(
            &mut parsed,
            Path::new(&format!("docs/language.md:{line}")),
            text,
        );
        let checked = check_parsed(parsed);
        let errors: Vec<String> = checked
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.render(&checked.sources))
            .collect();
        if !errors.is_empty() {
            failures.push(format!(
                "example at docs/language.md line {line}:\n{}",
                errors.join("")
            ));
        }
        let Some(ruleset) = &checked.ruleset else {
            continue;
        };
        let only: Vec<String> = ruleset
            .rules
            .iter()
            .filter(|r| r.source.starts_with("docs/"))
            .map(|r| r.id.clone())
            .collect();
        for outcome in run_rule_tests(ruleset, &checked.sources, &only) {
            if !outcome.passed {
                failures.push(format!(
                    "test \"{}\" of {} at {} failed: expected {:?}, got {:?}",
                    outcome.test, outcome.rule_id, outcome.source, outcome.expected, outcome.actual
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
