//! The command line: one binary, one subcommand per job.

mod check_cmd;
mod demo;
mod doc_cmd;
mod explain_cmd;
mod fmt_cmd;
mod gen_cmd;
mod history_cmd;
mod output;
mod plan_cmd;
mod progress;
mod read_args;
mod report_cmd;
mod scan_cmd;
mod serve_cmd;
mod size_arg;
mod test_cmd;
mod validate_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit codes, documented in README.md: 0 clean, 1 findings (an invalid
/// dataset, a rule error), 2 could not run.
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_FAILURE: u8 = 2;

#[derive(Parser)]
#[command(
    name = "claimaudit",
    version,
    about = "Claims-audit rules for medical-insurance fund supervision (医保基金智能审核)",
    long_about = "claimaudit checks medical-insurance claims against audit rules.\n\n\
        Start with `claimaudit demo`: it generates a small synthetic dataset and shows what it holds.\n\
        A data team checks its first export with `claimaudit validate --data DIR`.\n\n\
        Exit codes: 0 clean, 1 problems found, 2 could not run.",
    arg_required_else_help = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Check(check_cmd::CheckArgs),
    Doc(doc_cmd::DocArgs),
    Explain(explain_cmd::ExplainArgs),
    Fmt(fmt_cmd::FmtArgs),
    Gen(gen_cmd::GenArgs),
    History(history_cmd::HistoryArgs),
    Validate(validate_cmd::ValidateArgs),
    Demo(demo::DemoArgs),
    Plan(plan_cmd::PlanArgs),
    Report(report_cmd::ReportArgs),
    Scan(scan_cmd::ScanArgs),
    Serve(serve_cmd::ServeArgs),
    Test(test_cmd::TestArgs),
}

pub fn main() -> ExitCode {
    crate::data::memory::return_big_blocks_promptly();
    let cli = Cli::parse();
    if !matches!(cli.command, Command::Serve(_)) {
        stop_quietly_on_closed_output();
    }
    init_logging();
    let result = match cli.command {
        Command::Check(args) => check_cmd::run(&args),
        Command::Doc(args) => doc_cmd::run(&args),
        Command::Explain(args) => explain_cmd::run(&args),
        Command::Fmt(args) => fmt_cmd::run(&args),
        Command::Gen(args) => gen_cmd::run(&args),
        Command::History(args) => history_cmd::run(&args),
        Command::Validate(args) => validate_cmd::run(&args),
        Command::Demo(args) => demo::run(&args),
        Command::Plan(args) => plan_cmd::run(&args),
        Command::Report(args) => report_cmd::run(&args),
        Command::Scan(args) => scan_cmd::run(&args),
        Command::Serve(args) => serve_cmd::run(&args),
        Command::Test(args) => test_cmd::run(&args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            // A data problem already says `error[D...]`.
            if error.starts_with("error[") {
                eprintln!("{error}");
            } else {
                eprintln!("error: {error}");
            }
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

/// A command whose output is closed early (`claimaudit check | head`) stops
/// as other Unix tools do, killed by SIGPIPE, instead of panicking in
/// `println!`. Rust ignores SIGPIPE by default; the service keeps ignoring
/// it, since a client hanging up must not stop the server.
fn stop_quietly_on_closed_output() {
    #[cfg(unix)]
    // SAFETY: restoring a signal's default disposition before any thread
    // is started; no handler runs.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Logs go to stderr; `RUST_LOG` chooses the level (default: warnings).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    // Colour only on a terminal: a log file gets plain text.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .try_init();
}
