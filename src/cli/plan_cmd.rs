//! `claimaudit plan`: show how a ruleset will run.

use std::path::PathBuf;

use crate::check::check_paths_or_shipped;
use crate::plan::{Selection, plan};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    /// For people: the operators, then what they share.
    #[default]
    Text,
    /// For programs: the operators, exchange, loads and lookups.
    Json,
}

#[derive(clap::Args)]
#[command(
    about = "Show how a ruleset runs: the operators a scan runs in order, columns read, shared lookups, passes, partitionings.",
    long_about = "Print the physical plan of a ruleset. First the operators a scan runs, in order and by\n\
    phase: the tables read (only the columns the rules use), how rows are routed to partitions or\n\
    shared by all of them, per partition the routed rows put in the order of the rows they refer\n\
    to (claims by patient, lines by claim), the lookups and each pass (row rules batch by batch, one\n\
    operator per keyed rule by its form, population rules as partial aggregates), after every\n\
    partition the final aggregates and the rules over shared tables, and the flags written as sorted\n\
    runs merged. Then the columns read from each table, the lookups along relations (each built once\n\
    and shared), one pass per table with the rules it runs, the exchange, and the partitionings keyed\n\
    rules share. With --format json, the operators, exchange, loads and lookups for programs.\n\
    Without PATHS, plans the shipped CHS ruleset.\n\n\
    Exit codes: 0 planned, 1 the ruleset has errors, 2 could not run."
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
    /// How to print the plan.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    format: PlanFormat,
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
    let plan = plan(ruleset, &selection, &checked.sources);
    match args.format {
        PlanFormat::Text => print!("{plan}"),
        PlanFormat::Json => {
            let text = serde_json::to_string_pretty(&plan.to_json()).map_err(|e| e.to_string())?;
            println!("{text}");
        }
    }
    Ok(0)
}
