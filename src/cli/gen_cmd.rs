//! `claimaudit gen`: write a synthetic dataset with planted violations.

use std::path::PathBuf;
use std::time::Instant;

use super::progress::Progress;
use crate::data::load::summary::thousands;
use crate::generate::{GenOptions, Order, Profile, generate};

#[derive(clap::Args)]
#[command(
    about = "Generate a synthetic dataset in the CHS contract, with planted violations.",
    long_about = "Write a synthetic dataset in the CHS contract: patients, providers of every\n\
        level, a catalog with every kind of restriction, and claims with their lines.\n\
        The background is clean; violations of every default rule, and near-misses on\n\
        their boundaries, are planted and listed in `labels.parquet`.\n\n\
        The same seed always gives the same files. About 16 lines per patient:\n\
        `--patients 600000` writes about 10 million lines.\n\n\
        `--order time` and `--order shuffled` rewrite the claim parts through a staging\n\
        folder inside DIR, a part at a time: memory stays near one part's, the run takes\n\
        about four times as long."
)]
pub struct GenArgs {
    /// Folder to write into; it must be empty or not exist yet.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// How many (background) insured persons to generate.
    #[arg(long, value_name = "N")]
    patients: u64,
    /// Random seed: the same seed gives the same dataset.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Row order of claims and claim_items; the rows, and the labels (which
    /// name ids), are the same in every order.
    #[arg(long, value_enum, default_value_t = Order::Patient)]
    order: Order,
    /// How densely violations (and near-misses) are planted.
    #[arg(long, value_enum, default_value_t = Profile::Clean)]
    profile: Profile,
}

pub fn run(args: &GenArgs) -> Result<u8, String> {
    let started = Instant::now();
    let progress = Progress::new("generating", "patients", Some(args.patients));
    let options = GenOptions {
        order: args.order,
        profile: args.profile,
        ..GenOptions::new(args.out.clone(), args.patients, args.seed)
    };
    let summary = generate(&options, &|n| progress.advance(n)).map_err(|e| e.to_string())?;
    progress.finish();
    println!(
        "wrote {} in {:.1} s (seed {})",
        args.out.display(),
        started.elapsed().as_secs_f64(),
        args.seed
    );
    for (table, rows) in &summary.tables {
        println!("  {table:<14} {:>12} rows", thousands(*rows));
    }
    Ok(0)
}
