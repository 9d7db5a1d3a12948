//! `claimaudit history`: the real-time service's history store.

use std::path::PathBuf;
use std::time::Instant;

use super::progress::Progress;
use super::read_args::ReadArgs;
use crate::check::check_paths_or_shipped;
use crate::data::load::summary::thousands;
use crate::serve::clock::Clock;
use crate::serve::history::HistoryStore;
use crate::serve::import::{ImportTo, import_dataset};
use crate::serve::lookback::LookBack;
use crate::serve::plausible::Window;
use crate::serve::shape::ClaimShape;
use crate::serve::state::prune_reference;
use crate::syntax::Renderer;

#[derive(clap::Args)]
#[command(
    about = "Load settled claims into the real-time service's history store.",
    long_about = "Manage the history store of `claimaudit serve` (stop the service first: the\n\
    store is open in one process at a time).\n\n\
    `history import --data DIR --store DIR` reads the claims and their lines from a dataset\n\
    folder, stores them by patient (replacing stored claims with the same ids), and keeps of\n\
    each patient only the claims within the look-back the ruleset needs, measured from today\n\
    (docs/api.md). A claim with a date before 1900-01-01 or after today plus the tolerance is\n\
    not imported: each is listed on stderr with the field at fault.\n\n\
    Exit codes: 0 imported, 1 the ruleset has errors or some claims were not imported, 2 could\n\
    not run."
)]
pub struct HistoryArgs {
    #[command(subcommand)]
    command: HistoryCommand,
}

#[derive(clap::Subcommand)]
enum HistoryCommand {
    /// Load settled claims from a dataset folder.
    Import(ImportArgs),
}

#[derive(clap::Args)]
struct ImportArgs {
    /// The dataset folder to read claims from.
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    #[command(flatten)]
    read: ReadArgs,
    /// The history store folder (created when absent).
    #[arg(long, value_name = "DIR")]
    store: PathBuf,
    /// Rule files or folders; the shipped CHS ruleset when not given (its
    /// schema says what a claim is, its rules how much history to keep).
    #[arg(long, value_name = "PATH", num_args = 1..)]
    rules: Vec<PathBuf>,
    /// As `serve --grace-days`: days a claim may arrive late.
    #[arg(long, value_name = "DAYS", default_value_t = 31)]
    grace_days: i64,
    /// As `serve --today`: the day taken as today (default: the system clock).
    #[arg(long, value_name = "DATE", value_parser = Clock::fixed)]
    today: Option<Clock>,
    /// As `serve --future-tolerance-days`: days after today a claim's dates may fall.
    #[arg(long, value_name = "DAYS", default_value_t = 1)]
    future_tolerance_days: i64,
}

/// Refused claims listed on stderr before the rest are only counted.
const LISTED: usize = 20;

pub fn run(args: &HistoryArgs) -> Result<u8, String> {
    match &args.command {
        HistoryCommand::Import(a) => import(a),
    }
}

fn import(args: &ImportArgs) -> Result<u8, String> {
    let started = Instant::now();
    let checked = check_paths_or_shipped(&args.rules).map_err(|e| e.to_string())?;
    let Some(ruleset) = &checked.ruleset else {
        let mut renderer = Renderer::new(&checked.sources);
        for d in &checked.diagnostics {
            eprintln!("{}", renderer.render(d));
        }
        return Ok(super::EXIT_FINDINGS);
    };
    let shape = ClaimShape::of(ruleset)?;
    let lookback = LookBack::derive(ruleset, &shape);
    let store = HistoryStore::open(&args.store).map_err(|e| e.to_string())?;
    let clock = args.today.unwrap_or_default();
    let to = ImportTo {
        store: &store,
        shape: &shape,
        lookback: &lookback,
        reference: prune_reference(clock.today(), args.grace_days),
        window: &Window::new(clock.today(), args.future_tolerance_days),
    };
    let progress = Progress::new("reading the dataset", "claims", None);
    let imported = import_dataset(
        &to,
        ruleset,
        &args.data,
        &args.read.options(),
        &|done, total| match done {
            0 => progress.phase("storing", "claims", Some(total)),
            _ => progress.set(done),
        },
    )?;
    progress.finish();
    for (id, e) in imported.refused.iter().take(LISTED) {
        eprintln!("claim `{id}` was not imported: {e}");
    }
    if imported.refused.len() > LISTED {
        eprintln!("... and {} more", imported.refused.len() - LISTED);
    }
    println!(
        "imported {} claims ({} lines) of {} patients into {} in {:.1} s",
        thousands(imported.claims),
        thousands(imported.lines),
        thousands(imported.patients),
        args.store.display(),
        started.elapsed().as_secs_f64()
    );
    println!(
        "  {} claims outside the look-back were not kept; the store holds {}",
        thousands(imported.pruned),
        thousands(store.len().map_err(|e| e.to_string())?)
    );
    if !imported.refused.is_empty() {
        println!(
            "  {} claims with a date outside the plausible window were not imported (listed on stderr)",
            thousands(imported.refused.len() as u64)
        );
        return Ok(super::EXIT_FINDINGS);
    }
    Ok(0)
}
