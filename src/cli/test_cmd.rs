//! `claimaudit test`: run the tests written inside a ruleset.

use std::path::PathBuf;

use super::output::Format;
use crate::check::check_paths_or_shipped;
use crate::exec::{RuleExplanation, TestOutcome, Trace, run_rule_tests};

#[derive(clap::Args)]
#[command(
    about = "Run the tests written inside a ruleset.",
    long_about = "Run every `test` written in the rules: each test's rows are given to its rule alone,\n\
    and the flags it gives are compared with the ones the test expects. A failing test shows the\n\
    expected and the actual flags, and why the rule fired or did not on the test's claims.\n\
    Without PATHS, tests the shipped CHS ruleset.\n\n\
    Exit codes: 0 every test passed, 1 a test failed or the ruleset has errors, 2 could not run."
)]
pub struct TestArgs {
    /// Rule files or folders.
    paths: Vec<PathBuf>,
    /// Only the tests of these rules (by id).
    #[arg(long, value_name = "RULE_ID")]
    only: Vec<String>,
    /// Output for people (`human`) or programs (`json`).
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
}

pub fn run(args: &TestArgs) -> Result<u8, String> {
    let checked = check_paths_or_shipped(&args.paths).map_err(|e| e.to_string())?;
    let Some(ruleset) = checked.ruleset.as_ref() else {
        super::check_cmd::print_diagnostics(&checked);
        eprintln!("the ruleset has errors; no test was run");
        return Ok(super::EXIT_FINDINGS);
    };
    for id in &args.only {
        if ruleset.rule(id).is_none() {
            return Err(format!("the ruleset has no rule `{id}`"));
        }
    }
    let outcomes = run_rule_tests(ruleset, &checked.sources, &args.only);
    let failed = outcomes.iter().filter(|o| !o.passed).count();
    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::json!({ "tests": outcomes.len(), "failed": failed, "results": outcomes })
        ),
        Format::Human => print_human(&outcomes),
    }
    Ok(if failed == 0 { 0 } else { super::EXIT_FINDINGS })
}

fn print_human(outcomes: &[TestOutcome]) {
    for o in outcomes {
        let verdict = if o.passed { "ok  " } else { "FAIL" };
        println!("{verdict} {:<12} {}", o.rule_id, o.test);
    }
    for o in outcomes.iter().filter(|o| !o.passed) {
        println!();
        println!("FAIL {} \"{}\" ({})", o.rule_id, o.test, o.source);
        let show = |rows: &[Vec<String>]| {
            if rows.is_empty() {
                "no flags".to_string()
            } else {
                rows.iter()
                    .map(|r| format!("({})", r.join(", ")))
                    .collect::<Vec<_>>()
                    .join(" ")
            }
        };
        let fields = if o.fields.is_empty() {
            "claim_id, line_no".to_string()
        } else {
            o.fields.join(", ")
        };
        println!("  flags by {fields}");
        println!("  expected: {}", show(&o.expected));
        println!("  actual:   {}", show(&o.actual));
        for e in &o.explanation {
            print_explanation(e);
        }
    }
    let failed = outcomes.iter().filter(|o| !o.passed).count();
    println!();
    println!(
        "{} tests, {} passed, {failed} failed",
        outcomes.len(),
        outcomes.len() - failed
    );
}

fn print_explanation(e: &RuleExplanation) {
    for row in &e.rows {
        let (label, trace) = match (&row.not_selected, &row.condition) {
            (Some(t), _) => ("not looked at: `where` is", t),
            (None, Some(t)) => ("`flag when` is", t),
            _ => continue,
        };
        println!("  {} {label} {}", row.row, trace.value);
        print_trace(trace, 2);
    }
}

fn print_trace(t: &Trace, depth: usize) {
    println!("{}{} → {}", "  ".repeat(depth), t.text, t.value);
    for part in &t.parts {
        print_trace(part, depth + 1);
    }
}
