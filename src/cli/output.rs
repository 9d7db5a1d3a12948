//! Printing a dataset validation for people or for programs.

use std::path::Path;

use serde_json::{Value as Json, json};

use crate::data::load::summary::Detail;
use crate::data::load::{RowRef, Validation};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

/// File names relative to the dataset folder read better in messages; a
/// problem of the folder itself keeps the folder's name.
pub(crate) fn relative<'a>(file: &'a Path, dir: &Path) -> &'a Path {
    match file.strip_prefix(dir) {
        Ok(inside) if !inside.as_os_str().is_empty() => inside,
        _ => file,
    }
}

pub fn print_validation(validation: &Validation, dir: &Path, format: Format) {
    match format {
        Format::Human => print_human(validation, dir),
        Format::Json => println!("{}", validation_json(validation, dir)),
    }
}

fn print_human(validation: &Validation, dir: &Path) {
    for problem in validation.problems.problems() {
        let mut problem = problem.clone();
        problem.file = relative(&problem.file, dir).to_path_buf();
        println!("{problem}");
    }
    for (file, column, kind, hidden) in validation.problems.elided() {
        let column = column
            .map(|c| format!(", column `{c}`"))
            .unwrap_or_default();
        println!(
            "  ... and {hidden} more [{}] in {}{column}",
            kind.code(),
            relative(file, dir).display()
        );
    }
    // What was skipped is said whatever the verdict: nothing goes unseen.
    for source in &validation.sources {
        if let Some(note) = source.skipped_note() {
            println!("note: {}/: {note}", source.table);
        }
    }
    if validation.is_valid() {
        println!("dataset {}: valid", dir.display());
        println!();
        for table in &validation.tables {
            print!("{table}");
        }
    } else {
        let total = validation.problems.total();
        let noun = if total == 1 { "problem" } else { "problems" };
        println!();
        println!("dataset {}: {total} {noun} found", dir.display());
    }
}

fn validation_json(validation: &Validation, dir: &Path) -> Json {
    let problems: Vec<Json> = validation
        .problems
        .problems()
        .iter()
        .map(|p| {
            let (row, line) = match p.row {
                Some(RowRef::Row(r)) => (Some(r), None),
                Some(RowRef::Line(l)) => (None, Some(l)),
                None => (None, None),
            };
            json!({
                "code": p.kind.code(),
                "file": relative(&p.file, dir).display().to_string(),
                "column": p.column,
                "row": row,
                "line": line,
                "message": p.message,
            })
        })
        .collect();
    let elided: Vec<Json> = validation
        .problems
        .elided()
        .map(|(file, column, kind, hidden)| {
            json!({
                "code": kind.code(),
                "file": relative(file, dir).display().to_string(),
                "column": column,
                "more": hidden,
            })
        })
        .collect();
    let tables: Vec<Json> = validation
        .tables
        .iter()
        .map(|t| {
            let columns: serde_json::Map<String, Json> = t
                .columns
                .iter()
                .map(|c| {
                    let mut entry = serde_json::Map::new();
                    if c.nullable {
                        entry.insert("nulls".into(), json!(c.nulls));
                    }
                    match &c.detail {
                        Detail::DateRange { min, max } => {
                            let date =
                                |d: i32| crate::ir::text::days_to_date(d).map(|d| d.to_string());
                            entry.insert("min".into(), json!(date(*min)));
                            entry.insert("max".into(), json!(date(*max)));
                        }
                        Detail::Counts(counts) => {
                            entry.insert("counts".into(), json!(counts));
                        }
                        Detail::Sum { mantissa, scale } => {
                            let sum = rust_decimal::Decimal::try_from_i128_with_scale(
                                *mantissa,
                                (*scale).max(0) as u32,
                            )
                            .map(|d| d.to_string())
                            .ok();
                            entry.insert("sum".into(), json!(sum));
                        }
                        Detail::TimeRange { .. } | Detail::Nothing => {}
                    }
                    (c.name.clone(), Json::Object(entry))
                })
                .filter(|(_, v)| v.as_object().is_some_and(|o| !o.is_empty()))
                .collect();
            json!({"table": t.table, "files": t.files, "rows": t.rows, "columns": columns})
        })
        .collect();
    let skipped: serde_json::Map<String, Json> = validation
        .sources
        .iter()
        .filter(|s| !s.skipped.is_empty())
        .map(|s| {
            let names: Vec<String> = s.skipped.iter().map(|p| p.display().to_string()).collect();
            (s.table.clone(), json!(names))
        })
        .collect();
    json!({
        "dataset": dir.display().to_string(),
        "valid": validation.is_valid(),
        "problems_total": validation.problems.total(),
        "problems": problems,
        "more_problems": elided,
        "tables": tables,
        "skipped": skipped,
    })
}

/// The end-of-scan summary: rows read, flags per rule, time per phase, peak memory.
pub fn print_scan_summary(
    ruleset: &crate::ir::Ruleset,
    selection: &crate::plan::Selection,
    report: &crate::exec::ScanReport,
    extra_phases: &[(&str, std::time::Duration)],
    total: std::time::Duration,
) {
    use crate::data::load::summary::thousands;
    println!(
        "ruleset \"{}\" version {} ({})",
        ruleset.name,
        ruleset.version,
        &ruleset.hash[..12]
    );
    println!();
    println!("rows read");
    for (table, rows) in &report.rows {
        println!("  {table:<14} {:>14}", thousands(*rows));
    }
    for (table, note) in &report.notes {
        println!("  note: {table}/: {note}");
    }
    println!();
    println!("flags per rule");
    for rule in ruleset.rules.iter().filter(|r| selection.includes(r)) {
        let count = report.flags_per_rule.get(&rule.id).copied().unwrap_or(0);
        println!("  {:<12} {:>10}  {}", rule.id, thousands(count), rule.name);
    }
    println!("  {:<12} {:>10}", "total", thousands(report.flags));
    println!();
    println!("time");
    for (phase, time) in report.phases.iter().chain(extra_phases) {
        println!("  {phase:<14} {:>10.2} s", time.as_secs_f64());
    }
    println!("  {:<14} {:>10.2} s", "total", total.as_secs_f64());
    if report.partitions > 1 {
        println!(
            "partitions       {:>10}  ({:.1} MiB spilled to disk)",
            report.partitions,
            report.spilled_bytes as f64 / (1024.0 * 1024.0)
        );
    }
    if let Some(peak) = crate::exec::peak_memory_bytes() {
        println!(
            "peak memory      {:>10.1} MiB",
            peak as f64 / (1024.0 * 1024.0)
        );
    }
}
