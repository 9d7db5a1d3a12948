//! `claimaudit check`: find every mistake in a ruleset before anything runs.

use std::path::PathBuf;

use serde_json::json;

use super::output::Format;
use crate::check::{Checked, check_paths_or_shipped};
use crate::syntax::Renderer;

#[derive(clap::Args)]
#[command(
    about = "Check a ruleset for errors and warnings, with the line and column of each.",
    long_about = "Check a ruleset: every name resolved against the schema, every expression typed,\n\
    every test row readable. Errors point at the line and column and say how to fix them;\n\
    warnings point at rules that check but are probably not what was meant.\n\n\
    All `.rules` files under PATHS form one ruleset. Without PATHS, checks `rulesets/chs/`\n\
    (or else `rulesets/`) when the current folder has one, else the shipped CHS ruleset.\n\n\
    Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 could not run."
)]
pub struct CheckArgs {
    /// Rule files or folders of them.
    paths: Vec<PathBuf>,
    /// Output for people (`human`) or programs (`json`).
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
}

pub fn run(args: &CheckArgs) -> Result<u8, String> {
    // Without PATHS: the rules being edited here (in a clone, the shipped
    // ones: `rulesets/` also holds examples, each a ruleset of its own),
    // else the shipped ruleset, as `test`, `plan` and `doc` do.
    let local = ["rulesets/chs", "rulesets"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_dir());
    let paths = if !args.paths.is_empty() {
        args.paths.clone()
    } else if let Some(local) = local {
        vec![local]
    } else {
        Vec::new()
    };
    let checked = check_paths_or_shipped(&paths).map_err(|e| e.to_string())?;
    if checked.sources.files().next().is_none() {
        return Err(format!(
            "no `.rules` files found in {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    match args.format {
        Format::Human => print_human(&checked),
        Format::Json => print_json(&checked),
    }
    Ok(if checked.errors() > 0 {
        super::EXIT_FINDINGS
    } else {
        0
    })
}

/// Every diagnostic, rendered, on standard error.
pub fn print_diagnostics(checked: &Checked) {
    let mut renderer = Renderer::new(&checked.sources);
    for diagnostic in &checked.diagnostics {
        eprint!("{}", renderer.render(diagnostic));
    }
}

fn print_human(checked: &Checked) {
    print_diagnostics(checked);
    let (errors, warnings) = (checked.errors(), checked.warnings());
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    match &checked.ruleset {
        Some(ruleset) => println!(
            "ruleset \"{}\" version {}: {} checked, {} ({})",
            ruleset.name,
            ruleset.version,
            plural(ruleset.rules.len(), "rule"),
            if warnings == 0 {
                "no warnings".to_string()
            } else {
                plural(warnings, "warning")
            },
            &ruleset.hash[..12],
        ),
        None => eprintln!(
            "{} and {} found",
            plural(errors, "error"),
            plural(warnings, "warning")
        ),
    }
}

fn print_json(checked: &Checked) {
    let diagnostics: Vec<_> = checked
        .diagnostics
        .iter()
        .map(|d| d.to_json(&checked.sources))
        .collect();
    let report = json!({
        "ok": checked.ruleset.is_some(),
        "errors": checked.errors(),
        "warnings": checked.warnings(),
        "ruleset": checked.ruleset.as_ref().map(|r| json!({
            "name": r.name, "version": r.version, "hash": r.hash, "rules": r.rules.len(),
        })),
        "diagnostics": diagnostics,
    });
    println!("{report}");
}
