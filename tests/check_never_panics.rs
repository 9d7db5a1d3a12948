//! Whatever text it is given, `check` reports and never panics.

use std::path::Path;

use claimaudit::check::check_text;
use proptest::prelude::*;

const SAMPLE: &str = include_str!("data/every_form.rules");
/// The knowledge base and the later forms: `match` in every form, `flag
/// once`, `lag`, `rank`, windows of months and rows, `per` aggregates.
const KNOWLEDGE_SAMPLE: &str = include_str!("data/knowledge_forms.rules");

/// Words rules are made of, so random sequences reach deep into the checker.
const VOCABULARY: &[&str] = &[
    "rule",
    "R-1",
    "\"名称\"",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    ":",
    ".",
    "|",
    "for",
    "line",
    "c",
    "in",
    "claim_items",
    "claims",
    "patients",
    "where",
    "group",
    "by",
    "window",
    "over",
    "last",
    "order",
    "running",
    "sequence",
    "pair",
    "with",
    "on",
    "per",
    "provider",
    "let",
    "n",
    "=",
    "eligible",
    "when",
    "peers",
    "minimum",
    "flag",
    "message",
    "\"{count()}\"",
    "test",
    "given",
    "expect",
    "no",
    "flags",
    "category",
    "x",
    "severity",
    "high",
    "action",
    "review",
    "and",
    "or",
    "not",
    "is",
    "null",
    "between",
    "starts",
    "matches",
    "\"^A\"",
    "count",
    "sum",
    "any",
    "all",
    "distinct",
    "quantile",
    "prev",
    "age",
    "year",
    "prefix",
    "length",
    "coalesce",
    "upper",
    "lower",
    "trim",
    "substring",
    "concat",
    "contains",
    "replace",
    "parse_date",
    "\"%Y%m%d\"",
    "month_start",
    "year_start",
    "add_days",
    "add_months",
    "days_between",
    "abs",
    "round",
    "floor",
    "ceil",
    "date",
    "\"2024-01-01\"",
    "30",
    "days",
    "0.95",
    "<",
    ">=",
    "<>",
    "+",
    "-",
    "*",
    "/",
    "claim",
    "entry",
    "patient",
    "item_code",
    "service_date",
    "quantity",
    "birth_date",
    "level",
    "secondary_dx",
    "visit_type",
    "\"inpatient\"",
    "param",
    "p",
    "set",
    "s",
    "table",
    "t",
    "text",
    "int32",
    "decimal",
    "enum",
    "list",
    "<",
    ">",
    "key",
    "check",
    "relation",
    "->",
    "required",
    "nullable",
    "ruleset",
    "version",
    "\"1\"",
    "batch_only",
    "true",
    "false",
    "match",
    "exclusive_items",
    "item_a",
    "either",
    "as",
    "of",
    "force",
    "once",
    "lag",
    "rank",
    "hour",
    "months",
    "rows",
    "amount_at_stake",
    "\n",
    "| C1 | 1 |",
    "| claim_id | line_no |",
];

fn check_does_not_panic(text: &str) {
    let checked = check_text(Path::new("fuzz.rules"), text);
    // Rendering every diagnostic must not panic either (spans in range).
    for diagnostic in &checked.diagnostics {
        let _ = diagnostic.render(&checked.sources);
        let _ = diagnostic.to_json(&checked.sources);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_text(text in "\\PC{0,200}") {
        check_does_not_panic(&text);
    }

    #[test]
    fn sequences_of_rule_words(words in prop::collection::vec(prop::sample::select(VOCABULARY), 0..80)) {
        check_does_not_panic(&words.join(" "));
    }

    #[test]
    fn mutated_rules(
        knowledge in any::<bool>(),
        cuts in prop::collection::vec((0usize..4000, 0usize..8, prop::sample::select(VOCABULARY)), 1..6),
    ) {
        let mut text = if knowledge { KNOWLEDGE_SAMPLE } else { SAMPLE }.to_string();
        for (at, delete, insert) in cuts {
            let mut at = at % (text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let mut end = (at + delete).min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            text.replace_range(at..end, insert);
        }
        check_does_not_panic(&text);
    }
}

#[test]
fn the_knowledge_sample_checks_cleanly() {
    // Mutations start from a ruleset that checks, so they reach the
    // checker's later stages.
    let checked = check_text(Path::new("knowledge_forms.rules"), KNOWLEDGE_SAMPLE);
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn deep_nesting_is_refused_not_a_crash() {
    for depth in [10, 150, 250, 5000] {
        let nested = format!("{}1{}", "(".repeat(depth), ")".repeat(depth));
        let text = format!(
            "ruleset \"r\" version \"1\"\nrule R \"r\" {{\n category c\n severity high\n action warn\n for line in claim_items\n flag when line.quantity > {nested}\n}}\n"
        );
        check_does_not_panic(&text);
        let nots = format!("{}true", "not ".repeat(depth));
        check_does_not_panic(&text.replace(&format!("line.quantity > {nested}"), &nots));
        let chain = vec!["line.quantity > 1"; depth].join(" and ");
        check_does_not_panic(&text.replace(&format!("line.quantity > {nested}"), &chain));
    }
    let checked = check_text(
        Path::new("deep.rules"),
        &format!("param p = {}1{}", "(".repeat(300), ")".repeat(300)),
    );
    assert_eq!(checked.diagnostics[0].code, "E0005");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Conditions wrapped in random mixes of `not`, brackets and chains,
    /// up to far past the limit: each checks or gets E0005, on the test
    /// thread's ordinary stack.
    #[test]
    fn nesting_mixes_check_or_get_e0005(wrappers in prop::collection::vec(0u8..5, 0..600)) {
        let mut condition = "line.quantity > 1".to_string();
        for w in wrappers {
            condition = match w {
                0 => format!("not {condition}"),
                1 => format!("({condition})"),
                2 => format!("{condition} and line.quantity < 9"),
                3 => format!("line.quantity < 9 or {condition}"),
                _ => format!("not ({condition} and line.amount > 0)"),
            };
        }
        let text = format!(
            "ruleset \"r\" version \"1\"\n{}\nrule R \"r\" {{\n category c\n severity high\n action warn\n for line in claim_items\n flag when {condition}\n}}\n",
            include_str!("../rulesets/chs/schema.rules")
        );
        let checked = check_text(Path::new("nesting.rules"), &text);
        let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.is_error()).map(|d| d.code).collect();
        prop_assert!(errors.is_empty() || errors == ["E0005"], "{errors:?}");
    }
}
