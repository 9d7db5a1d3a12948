//! `claimaudit gen`: write a synthetic dataset with planted violations.

use std::path::PathBuf;
use std::time::Instant;

use super::progress::Progress;
use crate::check::check_paths;
use crate::data::load::summary::thousands;
use crate::generate::{
    COPIES, DEFAULT_EXCLUSIVE_ITEMS, Expect, GenOptions, MAX_EXCLUSIVE_ITEMS, Order, PlantReport,
    PlantRules, Profile, generate_planting,
};

#[derive(clap::Args)]
#[command(
    about = "Generate a synthetic dataset in the CHS contract, with planted violations.",
    long_about = "Write a synthetic dataset in the CHS contract: patients, providers of every\n\
        level, a catalog with every kind of restriction, a knowledge base of mutually\n\
        exclusive items (`exclusive_items.parquet`), and claims with their lines.\n\
        The background is clean; violations of every default rule, and near-misses on\n\
        their boundaries, are planted and listed in `labels.parquet`.\n\n\
        The knowledge base holds `--exclusive-items` background rows (pairs in one or two\n\
        dated versions, each pair joining an item no claim bills, so none fires), then the\n\
        pairs the planted MUTEX-01 cases bill. It is written in batches: 2,000,000 rows\n\
        take a few seconds and little memory.\n\n\
        The same seed always gives the same files. About 16 lines per patient:\n\
        `--patients 600000` writes about 10 million lines.\n\n\
        `--order time` and `--order shuffled` rewrite the claim parts through a staging\n\
        folder inside DIR, a part at a time: memory stays near one part's, the run takes\n\
        about four times as long.\n\n\
        `--plant RULESET` (a rules file or a folder, as `scan --rules` takes) also plants\n\
        cases for rules of your own, drawn from each rule's own tests: every test of a rule\n\
        that has a firing test (`expect flags`) is planted 3 times, its near-misses\n\
        (`expect no flags`) too. Each copy gets ids of its own (claims, patients, providers,\n\
        catalog codes, prefixed `T00001-` and so on), a valid value in every required column\n\
        the test leaves out (nullable ones stay null, as in the test), and is moved by whole\n\
        weeks into 2023-2024, every date by the same days (a copy the move would change keeps\n\
        the test's days). A copy is kept only if the rule,\n\
        run over it alone, still gives exactly the test's flags; labels.parquet names the\n\
        rule, the test and the flagged rows, so `scan --rules RULESET` can be checked against\n\
        it. A rule with no firing test, a test that sets parameters (`with`) or gives a table\n\
        the dataset does not have, is reported and skipped; a ruleset with errors is refused.\n\
        A copy holds only the rows its test gives (and the claim its lines need): a patient,\n\
        provider or catalog entry the test leaves out stays unregistered, so shipped rules such\n\
        as GHOST-02 may flag the copies as well; the labels list only the planted rule's flags.\n\n\
        Exit codes: 0 written, 1 the --plant ruleset has errors (nothing written), 2 could not run."
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
    /// Background rows of the knowledge base of mutually exclusive items
    /// (at most 100,000,000); the planted MUTEX-01 cases add their own pairs.
    #[arg(
        long,
        value_name = "N",
        default_value_t = DEFAULT_EXCLUSIVE_ITEMS,
        value_parser = clap::value_parser!(u64).range(..=MAX_EXCLUSIVE_ITEMS)
    )]
    exclusive_items: u64,
    /// Also plant cases drawn from the tests of this ruleset's rules (a rules
    /// file or a folder of them; may be repeated), labelled in labels.parquet.
    #[arg(long, value_name = "RULESET")]
    plant: Vec<PathBuf>,
}

pub fn run(args: &GenArgs) -> Result<u8, String> {
    let started = Instant::now();
    // Checked before anything is written: a ruleset with errors plants nothing.
    let checked = if args.plant.is_empty() {
        None
    } else {
        let checked = check_paths(&args.plant).map_err(|e| e.to_string())?;
        if checked.ruleset.is_none() {
            super::check_cmd::print_diagnostics(&checked);
            eprintln!("the ruleset to plant has errors; nothing was generated");
            return Ok(super::EXIT_FINDINGS);
        }
        Some(checked)
    };
    let plant = checked.as_ref().and_then(|c| {
        Some(PlantRules {
            ruleset: c.ruleset.as_ref()?,
            sources: &c.sources,
        })
    });
    let progress = Progress::new("generating", "patients", Some(args.patients));
    let options = GenOptions {
        order: args.order,
        profile: args.profile,
        exclusive_items: args.exclusive_items,
        ..GenOptions::new(args.out.clone(), args.patients, args.seed)
    };
    let (summary, report) =
        generate_planting(&options, plant, &|n| progress.advance(n)).map_err(|e| e.to_string())?;
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
    if plant.is_some() {
        print_plant_report(&report);
    }
    Ok(0)
}

/// What was planted from the ruleset's tests, and (on stderr) what was not.
fn print_plant_report(report: &PlantReport) {
    println!("planted from the ruleset's tests ({COPIES} copies of each, with their own ids):");
    if report.planted.is_empty() {
        println!("  nothing");
    }
    for test in &report.planted {
        let kind = match test.expect {
            Expect::Flag => "fires",
            Expect::NoFlag => "near-miss",
        };
        println!(
            "  {:<14} {kind:<9} x{} \"{}\"",
            test.rule_id, test.copies, test.test
        );
    }
    for note in &report.notes {
        eprintln!("note: {note}");
    }
}
