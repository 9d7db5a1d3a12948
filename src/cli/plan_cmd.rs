//! `claimaudit plan`: show how a ruleset will run.

use std::path::PathBuf;

use crate::check::check_paths_or_shipped;
use crate::plan::{Selection, plan};

#[derive(clap::Args)]
#[command(
    about = "Show how a ruleset runs: columns read, shared lookups, passes, partitionings.",
    long_about = "Print the physical plan of a ruleset: the columns read from each table, the lookups\n\
    along relations (each built once and shared), one pass per table with the rules it runs, and the\n\
    partitionings keyed rules share. Without PATHS, plans the shipped CHS ruleset."
)]
pub struct PlanArgs {
    /// Rule files or folders.
    paths: Vec<PathBuf>,
    /// Plan only these rules (by id).
    #[arg(long, value_name = "RULE_ID")]
    only: Vec<String>,
    /// Plan as for real-time checks (batch-only rules left out).
    #[arg(long)]
    realtime: bool,
}

pub fn run(args: &PlanArgs) -> Result<u8, String> {
    let checked = check_paths_or_shipped(&args.paths).map_err(|e| e.to_string())?;
    let Some(ruleset) = checked.ruleset.as_ref() else {
        super::check_cmd::print_diagnostics(&checked);
        return Ok(super::EXIT_FINDINGS);
    };
    let selection = Selection {
        only: args.only.clone(),
        skip_batch_only: args.realtime,
    };
    print!("{}", plan(ruleset, &selection, &checked.sources));
    Ok(0)
}
