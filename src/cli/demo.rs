//! `claimaudit demo`: the first thing a new user runs.

use std::path::PathBuf;
use std::time::Instant;

use super::output::{Format, print_validation};
use crate::data::contract::chs_schema;
use crate::data::generate::{GenOptions, generate};
use crate::data::load::{Thoroughness, validate_dataset};

#[derive(clap::Args)]
#[command(
    long_about = "Generate a small synthetic dataset in a temporary folder, load and validate it\n\
        against the data contract, and show what it holds. Needs nothing but this repository."
)]
pub struct DemoArgs {
    /// How many insured persons to generate.
    #[arg(long, default_value_t = 2000)]
    patients: u64,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Keep the dataset in this folder instead of a temporary one.
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
}

pub fn run(args: &DemoArgs) -> Result<u8, String> {
    let temp;
    let dir = match &args.keep {
        Some(dir) => dir.clone(),
        None => {
            temp =
                tempfile::tempdir().map_err(|e| format!("cannot make a temporary folder: {e}"))?;
            temp.path().join("dataset")
        }
    };
    let started = Instant::now();
    let options = GenOptions {
        out: dir.clone(),
        patients: args.patients,
        seed: args.seed,
    };
    generate(&options, &|_| {}).map_err(|e| e.to_string())?;
    println!(
        "generated {} patients' claims into {} in {:.1} s",
        args.patients,
        dir.display(),
        started.elapsed().as_secs_f64()
    );
    println!();
    let validation = validate_dataset(&dir, &chs_schema(), Thoroughness::AllProblems, &|_, _| {});
    print_validation(&validation, &dir, Format::Human);
    if !validation.is_valid() {
        return Ok(super::EXIT_FINDINGS);
    }
    println!();
    println!("next: `claimaudit gen --out DIR --patients N` for a dataset of your own size,");
    println!("      `claimaudit validate --data DIR` on your own export.");
    Ok(0)
}
