//! `claimaudit report`: a scan's flags as a page for a browser or a
//! workbook for Excel.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use super::progress::Progress;
use super::read_args::ReadArgs;
use crate::check::{check_paths_or_shipped, ruleset_hash};
use crate::flags::{count_flags, write_beside};
use crate::report::{build_report, html, rule_infos, xlsx};

#[derive(clap::Args)]
#[command(
    about = "Turn a scan's flags into a report: a web page (.html) or an Excel workbook (.xlsx).",
    long_about = "Turn the flags of `claimaudit scan` into a report for supervisors, in Chinese.\n\n\
    `--out report.html` writes one self-contained page (no network needed: open it from a file or\n\
    send it by mail): totals (flags, claims, amount at stake), by rule, by provider (机构) and\n\
    region, a monthly trend, the providers with the most at stake, and the flags themselves,\n\
    filterable and searchable, each opening why it fired. The filters are kept in the page's\n\
    address (report.html#rule=DUP-01&q=H102), so a filtered list can be bookmarked or sent.\n\n\
    `--out report.xlsx` writes a workbook: a summary sheet (汇总) and every flag on a sheet per\n\
    grain (标记-明细, 标记-结算单, 标记-机构) with Chinese headers and amounts as numbers.\n\n\
    The dataset is read for providers' names and regions and claims' visit dates. The rules'\n\
    definitions come from --rules (the shipped CHS rules when not given); when they are not the\n\
    rules the flags were made with, the report says so.\n\n\
    Examples:\n  \
    claimaudit scan --data data/ --out flags.parquet\n  \
    claimaudit report --data data/ --flags flags.parquet --out report.html\n  \
    claimaudit report --data data/ --flags flags.parquet --out report.xlsx\n\n\
    Exit codes: 0 written, 1 the ruleset has errors, 2 could not run."
)]
pub struct ReportArgs {
    /// The dataset folder the flags were found in.
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// The flags file `claimaudit scan` wrote (Parquet or JSON Lines).
    #[arg(long, value_name = "FILE")]
    flags: PathBuf,
    /// Where to write the report: a name ending in `.html` or `.xlsx`.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Rule files or folders; the shipped CHS ruleset when not given.
    #[arg(long, value_name = "PATH")]
    rules: Vec<PathBuf>,
    /// The most flags the page lists (those with the most at stake when
    /// there are more); the totals always count every flag, and the
    /// workbook lists every flag.
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    max_listed: usize,
    #[command(flatten)]
    read: ReadArgs,
}

enum Kind {
    Html,
    Xlsx,
}

pub fn run(args: &ReportArgs) -> Result<u8, String> {
    let started = Instant::now();
    let kind = match args.out.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm") => Kind::Html,
        Some(e) if e.eq_ignore_ascii_case("xlsx") => Kind::Xlsx,
        _ => {
            return Err(format!(
                "{}: the report's name must end in .html (a web page) or .xlsx (an Excel workbook)",
                args.out.display()
            ));
        }
    };
    let out_dir = args
        .out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."))
        .to_path_buf();
    if !out_dir.is_dir() {
        return Err(format!("the folder {} does not exist", out_dir.display()));
    }
    let checked = check_paths_or_shipped(&args.rules).map_err(|e| e.to_string())?;
    let Some(ruleset) = checked.ruleset.as_ref() else {
        super::check_cmd::print_diagnostics(&checked);
        return Ok(super::EXIT_FINDINGS);
    };
    let progress = Progress::new("summing flags", "flags", count_flags(&args.flags));
    let mut report = build_report(
        &args.flags,
        &args.data,
        &ruleset.schema,
        &args.read.options(),
        args.max_listed,
        &|n| progress.set(n),
    )?;
    let hash = ruleset_hash(&checked.sources);
    if report.totals.flags > 0 && report.ruleset.2 != hash {
        report.notes.push(format!(
            "标记由规则库 {} 生成, 而规则定义取自规则库 {} (哈希不同): 规则说明可能与标记时不一致",
            short(&report.ruleset.2),
            short(&hash)
        ));
    }
    let rules = rule_infos(&report, ruleset, &checked.sources);
    match kind {
        Kind::Html => {
            let page = html::render(&report, &rules);
            write_beside(&args.out, |file| {
                file.write_all(page.as_bytes())
                    .map_err(|e| format!("{}: {e}", args.out.display()))
            })?;
        }
        Kind::Xlsx => {
            progress.phase("writing workbook", "flags", Some(report.totals.flags));
            write_beside(&args.out, |file| {
                xlsx::write_workbook(&report, &args.flags, &out_dir, file, &|n| progress.set(n))
            })?
        }
    }
    progress.finish();
    for note in &report.notes {
        eprintln!("note: {note}");
    }
    println!(
        "wrote {} in {:.1} s: {} flags, {} claims, {} at stake",
        args.out.display(),
        started.elapsed().as_secs_f64(),
        crate::report::words::count(report.totals.flags),
        crate::report::words::count(report.totals.claims),
        crate::report::words::money(report.totals.amount)
    );
    Ok(0)
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}
