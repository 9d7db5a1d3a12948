//! `claimaudit demo`: the first thing a new user runs.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Instant;

use super::output::{Format, print_scan_summary, print_validation};
use crate::check::check_shipped;
use crate::check::chs_schema;
use crate::data::load::{Thoroughness, validate_dataset};
use crate::exec::{ExecOptions, scan_dataset};
use crate::flags::{FlagFormat, write_flags};
use crate::generate::{Expect, GenOptions, generate, read_labels};
use crate::plan::Selection;

#[derive(clap::Args)]
#[command(
    about = "Generate a small dataset, validate it, scan it, and check every planted case.",
    long_about = "Generate a small synthetic dataset in a temporary folder, validate it against the\n\
        data contract, scan it with the shipped CHS ruleset, and check that every planted\n\
        violation was flagged and no planted near-miss was. Needs nothing but this repository.\n\n\
        Exit codes: 0 every planted case as expected, 1 a case missed or wrongly flagged (or the\n\
        dataset invalid), 2 could not run."
)]
pub struct DemoArgs {
    /// How many insured persons to generate.
    #[arg(long, default_value_t = 2000)]
    patients: u64,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Keep the dataset (and `flags.jsonl`) in this folder instead of a temporary one.
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
}

/// (rule, claim, line, provider) of a flag or a label.
type FlagKey<'a> = (&'a str, Option<&'a str>, Option<i32>, Option<&'a str>);

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
    let options = GenOptions::new(dir.clone(), args.patients, args.seed);
    generate(&options, &|_| {}).map_err(|e| e.to_string())?;
    println!(
        "1. generated {} insured persons' claims into {} in {:.1} s",
        args.patients,
        dir.display(),
        started.elapsed().as_secs_f64()
    );
    println!();
    println!("2. validated against the data contract:");
    println!();
    let validation = validate_dataset(&dir, &chs_schema(), Thoroughness::AllProblems, &|_, _| {});
    print_validation(&validation, &dir, Format::Human);
    if !validation.is_valid() {
        return Ok(super::EXIT_FINDINGS);
    }

    println!();
    println!("3. scanned with the shipped CHS ruleset:");
    println!();
    let checked = check_shipped();
    let ruleset = checked
        .ruleset
        .as_ref()
        .ok_or("the shipped ruleset does not check")?;
    let selection = Selection::default();
    let scan_started = Instant::now();
    let (report, flags) = scan_dataset(
        ruleset,
        &checked.sources,
        &dir,
        &selection,
        &ExecOptions::default(),
        &|_, _| {},
    )
    .map_err(|p| p.to_string())?;
    print_scan_summary(ruleset, &selection, &report, &[], scan_started.elapsed());
    if args.keep.is_some() {
        let out = dir.join("flags.jsonl");
        write_flags(&out, &flags, FlagFormat::Jsonl).map_err(|e| e.to_string())?;
        println!("flags written to {}", out.display());
    }

    println!();
    println!("4. compared with the planted cases (labels.parquet):");
    let labels = read_labels(&dir.join("labels.parquet"))?;
    let flagged: HashSet<FlagKey> = flags
        .iter()
        .map(|f| {
            let provider = (f.grain == crate::flags::Grain::Provider)
                .then_some(f.provider_id.as_deref())
                .flatten();
            (&*f.rule_id, f.claim_id.as_deref(), f.line_no, provider)
        })
        .collect();
    let (mut caught, mut missed, mut spared, mut wrongly) = (0, Vec::new(), 0, Vec::new());
    for label in &labels {
        let key = (
            label.rule_id.as_str(),
            label.claim_id.as_deref(),
            label.line_no,
            label.provider_id.as_deref(),
        );
        match (label.expect, flagged.contains(&key)) {
            (Expect::Flag, true) => caught += 1,
            (Expect::Flag, false) => missed.push(label),
            (Expect::NoFlag, false) => spared += 1,
            (Expect::NoFlag, true) => wrongly.push(label),
        }
    }
    println!(
        "   {caught} planted violations flagged, {} missed",
        missed.len()
    );
    println!(
        "   {spared} planted near-misses (boundaries) left alone, {} flagged by mistake",
        wrongly.len()
    );
    for label in missed.iter().chain(&wrongly).take(10) {
        println!(
            "   ! {} {:?} {:?}: {}",
            label.rule_id, label.claim_id, label.line_no, label.case
        );
    }
    println!();
    println!("   a few flags:");
    let mut shown = HashSet::new();
    for flag in &flags {
        if shown.len() < 6 && shown.insert(flag.rule_id.clone()) {
            let at = match (&flag.claim_id, flag.line_no, &flag.provider_id) {
                (Some(c), Some(l), _) => format!("{c} line {l}"),
                (Some(c), None, _) => c.clone(),
                (None, _, Some(p)) => p.clone(),
                _ => String::new(),
            };
            println!("   {:<11} {at:<22} {}", flag.rule_id, flag.message);
        }
    }
    println!();
    println!("next: `claimaudit gen --out DIR --patients N`, `claimaudit validate --data DIR`,");
    println!("      `claimaudit scan --data DIR --out flags.parquet`, `claimaudit plan`,");
    println!(
        "      `claimaudit report --data DIR --flags flags.parquet --out report.html` (or .xlsx)."
    );
    Ok(if missed.is_empty() && wrongly.is_empty() {
        0
    } else {
        super::EXIT_FINDINGS
    })
}
