//! `claimaudit validate`: check a dataset against the contract.

use std::path::PathBuf;

use super::output::{Format, print_validation};
use super::progress::{Progress, TableRows};
use super::read_args::ReadArgs;
use crate::check::check_paths;
use crate::check::chs_schema;
use crate::data::load::read::rows_in;
use crate::data::load::{Thoroughness, validate_dataset_with};

#[derive(clap::Args)]
#[command(
    about = "Check a dataset folder against the data contract and summarize it.",
    long_about = "Check a dataset folder against the CHS data contract (or the tables a ruleset declares).\n\n\
        Each table is `<table>.parquet`, a folder `<table>/` of Parquet files, or `<table>.csv`.\n\
        CSV tables are read as UTF-8 unless --encoding says otherwise.\n\
        Storage variants that lose nothing are accepted (LargeUtf8, dictionary strings, other\n\
        timestamp units, other decimal widths); everything else is reported with its file,\n\
        column and row. Prints what the dataset holds when it is valid.\n\n\
        Exit codes: 0 valid, 1 problems found, 2 could not run."
)]
pub struct ValidateArgs {
    /// The dataset folder.
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// Validate against the tables these rule files declare, instead of the
    /// built-in CHS contract (`rulesets/chs/schema.rules`).
    #[arg(long, value_name = "PATH")]
    rules: Vec<PathBuf>,
    /// Output for people (`human`) or programs (`json`).
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    #[command(flatten)]
    read: ReadArgs,
}

pub fn run(args: &ValidateArgs) -> Result<u8, String> {
    let schema = if args.rules.is_empty() {
        chs_schema()
    } else {
        let checked = check_paths(&args.rules).map_err(|e| e.to_string())?;
        super::check_cmd::print_diagnostics(&checked);
        match checked.ruleset {
            Some(ruleset) => ruleset.schema,
            None => {
                return Err("the ruleset has errors; fix them first (`claimaudit check`)".into());
            }
        }
    };
    let total = rows_in(&args.data, &schema, &args.read.options(), &|_| true);
    let progress = Progress::new("validating", "rows", total);
    let tables = std::sync::Mutex::new(TableRows::default());
    let validation = validate_dataset_with(
        &args.data,
        &schema,
        &args.read.options(),
        Thoroughness::AllProblems,
        &|table, rows| {
            if let Ok(mut tables) = tables.lock() {
                tables.show("validating", table, rows, &progress);
            }
        },
    );
    progress.finish();
    print_validation(&validation, &args.data, args.format);
    Ok(if validation.is_valid() {
        0
    } else {
        super::EXIT_FINDINGS
    })
}
