//! `claimaudit scan`: the nightly full scan.

use std::path::PathBuf;
use std::time::Instant;

use super::output::print_scan_summary;
use super::progress::Progress;
use super::read_args::ReadArgs;
use crate::check::check_paths_or_shipped;
use crate::data::load::summary::thousands;
use crate::exec::{Compiled, DEFAULT_MEMORY_LIMIT, ExecOptions, ScanError, ScanLimits};
use crate::flags::{BackgroundWriter, FlagFormat, FlagWriter};
use crate::plan::Selection;

#[derive(clap::Args)]
#[command(
    about = "Run a ruleset over a dataset and write the flags (the nightly scan).",
    long_about = "Run a ruleset over a dataset and write the flags.\n\n\
    Every table the ruleset's schema declares is read from --data (a Parquet file, a folder of\n\
    Parquet files, or a CSV file per table); only the columns the rules use are read. Bad input\n\
    stops the scan with the file, column and row at fault, and nothing is written. The flags file\n\
    is written whole or not at all, sorted by rule, claim, line and provider.\n\n\
    Rows are routed to partitions by the key the keyed rules share (for the CHS rules, the\n\
    patient; `claimaudit plan` shows it) and the rules run a partition at a time. What does not\n\
    fit under --memory-limit is written to a private folder in --temp-dir, removed when the scan\n\
    ends, however it ends; the flags are the same bytes whatever the limit.\n\n\
    Exit codes: 0 scanned (whether or not rules fired), 1 the ruleset has errors, 2 could not run."
)]
pub struct ScanArgs {
    /// The dataset folder.
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// Rule files or folders; the shipped CHS ruleset when not given.
    #[arg(long, value_name = "PATH")]
    rules: Vec<PathBuf>,
    /// Where to write the flags.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Flags as Parquet (default) or JSON Lines.
    #[arg(long, value_enum, default_value = "parquet")]
    format: FlagFormat,
    /// Run only these rules (by id); may be repeated.
    #[arg(long, value_name = "RULE_ID")]
    only: Vec<String>,
    /// Worker threads (default: all cores). The flags are the same whatever the number.
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Rows per batch (default 65536). The flags are the same whatever the size.
    #[arg(long, value_name = "N", default_value_t = 64 * 1024)]
    batch_rows: usize,
    /// Memory the scan stays under, e.g. 2GiB or 512MiB (default 2GiB). Rows that do
    /// not fit go to spill files in --temp-dir; the flags are the same whatever the limit.
    #[arg(long, value_name = "SIZE", value_parser = super::size_arg::parse_size)]
    memory_limit: Option<u64>,
    /// Folder for spill files (default: the system's temporary folder). A private
    /// folder is made inside it and removed when the scan ends, however it ends.
    #[arg(long, value_name = "DIR")]
    temp_dir: Option<PathBuf>,
    #[command(flatten)]
    read: ReadArgs,
}

pub fn run(args: &ScanArgs) -> Result<u8, String> {
    let started = Instant::now();
    let checked = check_paths_or_shipped(&args.rules).map_err(|e| e.to_string())?;
    let Some(ruleset) = checked.ruleset.as_ref() else {
        super::check_cmd::print_diagnostics(&checked);
        eprintln!("the ruleset has errors; nothing was scanned");
        return Ok(super::EXIT_FINDINGS);
    };
    for id in &args.only {
        if ruleset.rule(id).is_none() {
            return Err(format!("the ruleset has no rule `{id}`"));
        }
    }
    let selection = Selection {
        only: args.only.clone(),
        skip_batch_only: false,
    };
    let options = ExecOptions {
        threads: args.threads,
        batch_rows: args.batch_rows,
        load: args.read.options(),
        ..ExecOptions::default()
    };
    let limits = ScanLimits {
        memory: args.memory_limit.unwrap_or(DEFAULT_MEMORY_LIMIT),
        temp_dir: args.temp_dir.clone().unwrap_or_else(std::env::temp_dir),
    };
    let compiled = Compiled::new(ruleset, &selection, &checked.sources);
    if let (Some(_), crate::plan::Exchange::Whole { reason }) =
        (args.memory_limit, &compiled.plan().exchange)
    {
        eprintln!(
            "warning: these rules run in one partition ({reason}); the memory limit \
             bounds spill of flags only"
        );
    }
    let writer = crate::data::interrupt::make_removed_on_interrupt(
        || FlagWriter::create(&args.out, args.format),
        |writer| writer.temp_path().to_path_buf(),
    )
    .map_err(|e| format!("cannot write {}: {e}", args.out.display()))?;
    let unfinished = writer.temp_path().to_path_buf();
    let mut writer = BackgroundWriter::start(writer);
    let progress = Progress::new("reading", "rows", None);
    let report = compiled.scan_into(
        &args.data,
        &options,
        &limits,
        &|table, rows| {
            progress.set_label(table);
            progress.set(rows);
        },
        &mut |chunk| writer.write(chunk),
    );
    progress.finish();
    let report = report.map_err(|error| match error {
        ScanError::Data(problem) => {
            let mut problem = *problem;
            problem.file = problem
                .file
                .strip_prefix(&args.data)
                .map(|p| p.to_path_buf())
                .unwrap_or(problem.file);
            format!(
                "{problem}\n(run `claimaudit validate --data {}` for every problem)",
                args.data.display()
            )
        }
        other => other.to_string(),
    })?;
    let write_started = Instant::now();
    let written = writer
        .finish()
        .map_err(|e| format!("cannot write {}: {e}", args.out.display()))?;
    crate::data::interrupt::forget(&unfinished);
    written
        .finish()
        .map_err(|e| format!("cannot write {}: {e}", args.out.display()))?;
    let write_time = write_started.elapsed();

    print_scan_summary(
        ruleset,
        &selection,
        &report,
        &[("finish", write_time)],
        started.elapsed(),
    );
    println!();
    println!(
        "wrote {} flags to {}",
        thousands(report.flags),
        args.out.display()
    );
    Ok(0)
}
