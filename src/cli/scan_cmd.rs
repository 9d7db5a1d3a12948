//! `claimaudit scan`: the nightly full scan.

use std::path::PathBuf;
use std::time::Instant;

use super::output::print_scan_summary;
use super::progress::{Progress, TableRows};
use super::read_args::ReadArgs;
use crate::check::{check_paths_or_shipped, ruleset_hash};
use crate::data::load::summary::thousands;
use crate::exec::{Compiled, DEFAULT_MEMORY_LIMIT, ExecOptions, ScanError, ScanLimits, ScanStep};
use crate::flags::{BackgroundWriter, FlagFormat, FlagWriter, cents_text};
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
    Beside the flags, FILE.summary.json says what was scanned with which ruleset (its hash),\n\
    the rows read, the flags and money at stake per rule, and the seconds each phase took.\n\n\
    Progress goes to stderr: a bar on a terminal; on a log, a line every ten seconds with the\n\
    count, percentage and time left of the phase (reading, running rules, writing flags).\n\n\
    Exit codes: 0 scanned (whether or not rules fired), 1 the ruleset has errors, 2 could not run,\n\
    130 interrupted (nothing is left behind)."
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
    /// Memory the scan stays under, e.g. 2GiB or 512MiB (default 1.5GiB). Rows that do
    /// not fit go to spill files in --temp-dir; the flags are the same whatever the limit.
    #[arg(long, value_name = "SIZE", value_parser = super::size_arg::parse_size)]
    memory_limit: Option<u64>,
    /// Folder for spill files (default: the system's temporary folder). A private
    /// folder is made inside it and removed when the scan ends, however it ends.
    /// Spills are written plain up to a quarter of the memory available when the
    /// scan begins, LZ4-compressed past it.
    #[arg(long, value_name = "DIR")]
    temp_dir: Option<PathBuf>,
    #[command(flatten)]
    read: ReadArgs,
}

pub fn run(args: &ScanArgs) -> Result<u8, String> {
    let started = Instant::now();
    let started_at = chrono::Utc::now();
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
    let to_read = compiled.rows_to_read(&args.data, &options.load);
    let progress = Progress::new("reading", "rows", to_read);
    let steps = std::sync::Mutex::new(Steps::default());
    let report = compiled.scan_into(
        &args.data,
        &options,
        &limits,
        &|step| {
            if let Ok(mut steps) = steps.lock() {
                steps.show(step, &progress);
            }
        },
        &mut |chunk| writer.write(chunk),
    );
    progress.finish();
    let report = report.map_err(|error| match error {
        ScanError::Data(problem) => {
            let mut problem = *problem;
            problem.file = super::output::relative(&problem.file, &args.data).to_path_buf();
            let rules: String = args
                .rules
                .iter()
                .map(|r| format!(" --rules {}", r.display()))
                .collect();
            format!(
                "{problem}\n(run `claimaudit validate --data {}{rules}{}` for every problem)",
                args.data.display(),
                args.read.as_flags()
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
    let summary_path = run_summary_path(&args.out);
    let summary = run_summary(&RunFacts {
        args,
        ruleset,
        hash: &ruleset_hash(&checked.sources),
        selection: &selection,
        report: &report,
        started_at,
        elapsed: started.elapsed(),
        write_time,
    });
    crate::flags::write_beside(&summary_path, |file| {
        serde_json::to_writer_pretty(&mut *file, &summary)
            .map_err(|e| format!("{}: {e}", summary_path.display()))
    })?;
    println!();
    println!(
        "wrote {} flags to {} (run summary: {})",
        thousands(report.flags),
        args.out.display(),
        summary_path.display()
    );
    Ok(0)
}

/// Shows each step of the scan as a phase of the progress: reading (rows
/// of every table, towards the total the Parquet files declare), running
/// the rules (rows), writing the flags.
#[derive(Default)]
struct Steps {
    phase: u8,
    read: TableRows,
}

impl Steps {
    fn show(&mut self, step: ScanStep<'_>, progress: &Progress) {
        match step {
            ScanStep::Read { table, rows } => self.read.show("reading", table, rows, progress),
            ScanStep::Execute { rows, total } => {
                if self.phase < 1 {
                    self.phase = 1;
                    progress.phase("running rules", "rows", Some(total));
                }
                progress.set(rows);
            }
            ScanStep::Write { flags, total } => {
                if self.phase < 2 {
                    self.phase = 2;
                    progress.phase("writing flags", "flags", Some(total));
                }
                progress.set(flags);
            }
        }
    }
}

/// `flags.parquet` → `flags.parquet.summary.json`, beside it.
fn run_summary_path(out: &std::path::Path) -> PathBuf {
    let mut name = out.as_os_str().to_owned();
    name.push(".summary.json");
    PathBuf::from(name)
}

struct RunFacts<'a> {
    args: &'a ScanArgs,
    ruleset: &'a crate::ir::Ruleset,
    hash: &'a str,
    selection: &'a Selection,
    report: &'a crate::exec::ScanReport,
    started_at: chrono::DateTime<chrono::Utc>,
    elapsed: std::time::Duration,
    write_time: std::time::Duration,
}

/// The run summary written beside the flags: what was scanned with what,
/// what it found, and how long each phase took (`docs/data.md`).
fn run_summary(f: &RunFacts<'_>) -> serde_json::Value {
    let rules_run: Vec<&str> = f
        .ruleset
        .rules
        .iter()
        .filter(|r| f.selection.only.is_empty() || f.selection.only.contains(&r.id))
        .map(|r| r.id.as_str())
        .collect();
    let flags_per_rule: serde_json::Map<String, serde_json::Value> = rules_run
        .iter()
        .map(|id| {
            let flags = f.report.flags_per_rule.get(*id).copied().unwrap_or(0);
            let amount = f
                .report
                .amount_per_rule
                .get(*id)
                .copied()
                .unwrap_or_default();
            (
                (*id).to_owned(),
                serde_json::json!({ "flags": flags, "amount_at_stake": cents_text(amount) }),
            )
        })
        .collect();
    let mut timings: serde_json::Map<String, serde_json::Value> = f
        .report
        .phases
        .iter()
        .map(|(name, d)| ((*name).to_owned(), seconds(*d)))
        .collect();
    timings.insert("finish".into(), seconds(f.write_time));
    timings.insert("total".into(), seconds(f.elapsed));
    serde_json::json!({
        "claimaudit_version": env!("CARGO_PKG_VERSION"),
        "dataset": f.args.data.display().to_string(),
        "flags_file": f.args.out.display().to_string(),
        "format": match f.args.format { FlagFormat::Parquet => "parquet", FlagFormat::Jsonl => "jsonl" },
        "ruleset": {
            "name": f.ruleset.name,
            "version": f.ruleset.version,
            "hash": f.hash,
        },
        "started_at": f.started_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "finished_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "rows_read": f.report.rows.iter().map(|(t, n)| (t.clone(), serde_json::json!(n))).collect::<serde_json::Map<_, _>>(),
        "flags": f.report.flags,
        "amount_at_stake_of_flags": cents_text(f.report.amount_per_rule.values().sum()),
        "rules": flags_per_rule,
        "seconds": timings,
        "partitions": f.report.partitions,
        "spilled_bytes": f.report.spilled_bytes,
        "peak_memory_bytes": crate::exec::peak_memory_bytes(),
        "threads": f.args.threads.unwrap_or_else(rayon::current_num_threads),
        "memory_limit_bytes": f.args.memory_limit.unwrap_or(DEFAULT_MEMORY_LIMIT),
    })
}

fn seconds(d: std::time::Duration) -> serde_json::Value {
    serde_json::json!((d.as_secs_f64() * 1000.0).round() / 1000.0)
}
