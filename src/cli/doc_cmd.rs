//! `claimaudit doc`: the catalog of a ruleset's rules, in Markdown.

use std::path::PathBuf;

use crate::check::catalog::rules_catalog;
use crate::check::check_paths_or_shipped;

#[derive(clap::Args)]
#[command(
    about = "Print the catalog of a ruleset's rules (docs/rules.md) in Markdown.",
    long_about = "Print the catalog of a ruleset's rules for supervisors, in Markdown: for each rule\n\
    its id, name, category, severity, action, basis, what it looks at, when it fires (quoted from\n\
    the rule), its parameters and how many tests it has. docs/rules.md is this output for the\n\
    shipped ruleset. Without PATHS, documents the shipped CHS ruleset.\n\n\
    Exit codes: 0 printed, 1 the ruleset has errors, 2 could not run."
)]
pub struct DocArgs {
    /// Rule files or folders.
    paths: Vec<PathBuf>,
}

pub fn run(args: &DocArgs) -> Result<u8, String> {
    let checked = check_paths_or_shipped(&args.paths).map_err(|e| e.to_string())?;
    let Some(ruleset) = checked.ruleset.as_ref() else {
        super::check_cmd::print_diagnostics(&checked);
        return Ok(super::EXIT_FINDINGS);
    };
    print!("{}", rules_catalog(ruleset, &checked.sources));
    Ok(0)
}
