//! `claimaudit explain`: why did this claim fire, or not?

use std::path::PathBuf;

use super::output::Format;
use super::read_args::ReadArgs;
use crate::check::check_paths_or_shipped;
use crate::exec::{Compiled, ExecOptions, RuleExplanation, Trace, claim_rows, explain_claim};
use crate::plan::Selection;

#[derive(clap::Args)]
#[command(
    about = "Say why each rule fired on a claim, or why not, with the values.",
    long_about = "For each rule, say whether it fired on a claim or its lines and, if it did not,\n\
    which part of its condition was false or unknown, with the values. The whole dataset is read,\n\
    because group, window, pair and population rules judge a claim with its neighbours.\n\n\
    Exit codes: 0 explained, 1 the ruleset has errors, 2 could not run (e.g. no such claim)."
)]
pub struct ExplainArgs {
    /// The dataset folder.
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// The claim to explain (claim_id).
    #[arg(long, value_name = "ID")]
    claim: String,
    /// Only this rule (by id); may be repeated.
    #[arg(long, value_name = "RULE_ID")]
    rule: Vec<String>,
    /// Rule files or folders; the shipped CHS ruleset when not given.
    #[arg(long, value_name = "PATH")]
    rules: Vec<PathBuf>,
    /// Output for people (`human`) or programs (`json`).
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    #[command(flatten)]
    read: ReadArgs,
}

pub fn run(args: &ExplainArgs) -> Result<u8, String> {
    let checked = check_paths_or_shipped(&args.rules).map_err(|e| e.to_string())?;
    let Some(ruleset) = checked.ruleset.as_ref() else {
        super::check_cmd::print_diagnostics(&checked);
        return Ok(super::EXIT_FINDINGS);
    };
    for id in &args.rule {
        if ruleset.rule(id).is_none() {
            return Err(format!("the ruleset has no rule `{id}`"));
        }
    }
    let selection = Selection {
        only: args.rule.clone(),
        skip_batch_only: false,
    };
    let compiled = Compiled::new(ruleset, &selection, &checked.sources);
    let tables = compiled
        .read(&args.data, &args.read.options(), &|_, _| {})
        .map_err(|p| p.to_string())?;
    let options = ExecOptions::default();
    let env = compiled.env(tables, &options);
    if claim_rows(&env, &args.claim) == 0 {
        return Err(format!(
            "no claim `{}` in {}",
            args.claim,
            args.data.display()
        ));
    }
    let flags = compiled.run(&env, &options);
    let rules = compiled.rules();
    let explanations = explain_claim(&env, &rules, &args.claim, &flags, &checked.sources);
    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::json!({ "claim_id": args.claim, "rules": explanations })
        ),
        Format::Human => print_human(&args.claim, &explanations),
    }
    Ok(0)
}

fn print_human(claim: &str, explanations: &[RuleExplanation]) {
    let fired = explanations.iter().filter(|e| e.fired).count();
    println!(
        "claim {claim}: {fired} of {} rules fired",
        explanations.len()
    );
    for e in explanations {
        println!();
        let verdict = if e.fired { "FIRED" } else { "did not fire" };
        println!("{} {} — {verdict}", e.rule_id, e.rule_name);
        for message in &e.messages {
            println!("  flag: {message}");
        }
        if let Some(note) = &e.note {
            println!("  ({note})");
        }
        for row in &e.rows {
            match (&row.not_selected, &row.condition) {
                (Some(t), _) => {
                    println!(
                        "  {}: not looked at, because `where` is {}",
                        row.row, t.value
                    );
                    print_trace(t, 2);
                }
                (None, Some(t)) => {
                    println!("  {}: `flag when` is {}", row.row, t.value);
                    print_trace(t, 2);
                }
                _ => {}
            }
        }
    }
}

fn print_trace(t: &Trace, depth: usize) {
    let indent = "  ".repeat(depth);
    println!("{indent}{} → {}", t.text, t.value);
    for part in &t.parts {
        print_trace(part, depth + 1);
    }
}
