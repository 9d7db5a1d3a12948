//! Reading one CSV file of a table: the header names the columns, each
//! cell is parsed as its column's type, and a cell, a line or a byte that
//! cannot be read is reported with its line.

use std::fs::File;
use std::ops::ControlFlow;
use std::path::Path;

use super::decode::{DecodeError, Decoding, decode_error, place_of};
use super::header::repeated_names;
use super::numbers::check_plain;
use super::options::TextEncoding;
use super::problem::{Problem, ProblemKind, ProblemLog, RowRef};
use super::ranges::check_ranges;
use super::read::{LoadedBatch, RowNumbers, make_batch, output_schema};
use crate::data::values::{Value, build_array};
use crate::ir::Column;
use crate::ir::text::parse_cell;

const TEXT_BATCH_ROWS: usize = 8 * 1024;

pub(super) fn read_csv<'s>(
    file: &'s Path,
    encoding: TextEncoding,
    wanted: &[&Column],
    log: &mut ProblemLog,
    on_batch: &mut dyn FnMut(LoadedBatch<'s>, &mut ProblemLog) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let opened = match File::open(file) {
        Ok(f) => f,
        Err(e) => {
            log.push(Problem::new(
                ProblemKind::UnreadableFile,
                file,
                format!("cannot read this file: {e}"),
            ));
            return ControlFlow::Continue(());
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(Decoding::new(opened, encoding));
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            log.push(csv_problem(file, &e, None));
            return ControlFlow::Continue(());
        }
    };
    let names: Vec<&str> = headers.iter().map(str::trim).collect();
    let repeated = repeated_names(file, names.iter().copied(), Some(1));
    let ambiguous: Vec<String> = repeated.iter().filter_map(|p| p.column.clone()).collect();
    for problem in repeated {
        log.push(problem);
    }
    let mut readable: Vec<(&Column, usize)> = Vec::new();
    for column in wanted {
        if ambiguous.contains(&column.name) {
            continue;
        }
        match names.iter().position(|h| *h == column.name) {
            Some(index) => readable.push((column, index)),
            None => log.push(
                Problem::new(
                    ProblemKind::MissingColumn,
                    file,
                    format!("column `{}` is missing from the header line", column.name),
                )
                .in_column(&column.name)
                .at(RowRef::Line(1)),
            ),
        }
    }
    let out_columns: Vec<&Column> = readable.iter().map(|(c, _)| *c).collect();
    let schema = output_schema(&out_columns);

    let mut records = reader.records();
    // A byte that does not decode ends the file: what follows it cannot be trusted.
    let mut ended = false;
    while !ended {
        let mut values: Vec<Vec<Value>> = vec![Vec::new(); readable.len()];
        let mut lines = Vec::new();
        let mut damaged = Vec::new();
        for record in records.by_ref().take(TEXT_BATCH_ROWS) {
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    ended = decoding_failed(&e).is_some();
                    log.push(csv_problem(file, &e, Some(&names)));
                    if ended {
                        break;
                    }
                    continue;
                }
            };
            let line = record.position().map(|p| p.line()).unwrap_or(0);
            let mut bad = false;
            for ((column, index), out) in readable.iter().zip(values.iter_mut()) {
                let cell = record.get(*index).unwrap_or("");
                match check_plain(cell.trim(), &column.ty)
                    .and_then(|()| parse_cell(cell, &column.ty))
                {
                    Ok(value) => out.push(value),
                    Err(why) => {
                        let kind = if column.ty.enum_values().is_some() {
                            ProblemKind::BadEnumValue
                        } else {
                            ProblemKind::BadText
                        };
                        log.push(
                            Problem::new(kind, file, why)
                                .in_column(&column.name)
                                .at(RowRef::Line(line)),
                        );
                        out.push(Value::Null);
                        bad = true;
                    }
                }
            }
            lines.push(line);
            damaged.push(bad);
        }
        if lines.is_empty() {
            return ControlFlow::Continue(());
        }
        let mut arrays = Vec::with_capacity(readable.len());
        for ((column, _), column_values) in readable.iter().zip(&values) {
            match build_array(&column.ty, column_values) {
                Ok(array) => arrays.push(array),
                Err(why) => {
                    log.push(Problem::new(ProblemKind::BadText, file, why).in_column(&column.name));
                    return ControlFlow::Continue(());
                }
            }
        }
        let rows = lines.len();
        let batch = match make_batch(schema.clone(), arrays, rows) {
            Ok(b) => b,
            Err(e) => {
                log.push(Problem::new(ProblemKind::BadText, file, e.to_string()));
                return ControlFlow::Continue(());
            }
        };
        let mut loaded = LoadedBatch {
            file,
            rows: RowNumbers::Lines(lines),
            batch,
            damaged: if damaged.contains(&true) {
                damaged
            } else {
                Vec::new()
            },
        };
        check_ranges(&mut loaded, log);
        on_batch(loaded, log)?;
    }
    ControlFlow::Continue(())
}

fn decoding_failed(error: &csv::Error) -> Option<&DecodeError> {
    match error.kind() {
        csv::ErrorKind::Io(io) => decode_error(io),
        _ => None,
    }
}

/// A problem for a line the CSV reader could not read; `names` are the
/// header's, to name the column of a byte that does not decode.
fn csv_problem(file: &Path, error: &csv::Error, names: Option<&[&str]>) -> Problem {
    if let Some(failed) = decoding_failed(error) {
        return decoding_problem(file, failed, names);
    }
    let line = error.position().map(|p| p.line()).unwrap_or(1);
    Problem::new(ProblemKind::BadText, file, error.to_string()).at(RowRef::Line(line))
}

/// A byte that does not decode: the file cannot be read past it.
fn decoding_problem(file: &Path, failed: &DecodeError, names: Option<&[&str]>) -> Problem {
    let hint = match failed.encoding {
        TextEncoding::Utf8 => "if the file is GBK or GB18030, pass --encoding gb18030",
        TextEncoding::Gb18030 => "check which encoding the file was written in",
    };
    let Ok(place) = place_of(file, failed.offset, failed.len) else {
        return Problem::new(
            ProblemKind::UnreadableFile,
            file,
            format!(
                "not valid {} at byte offset {} of the file; {hint}",
                failed.encoding.name(),
                failed.offset
            ),
        );
    };
    let bytes: Vec<String> = place.bytes.iter().map(|b| format!("0x{b:02X}")).collect();
    let mut problem = Problem::new(
        ProblemKind::UnreadableFile,
        file,
        format!(
            "not valid {} at byte {} of the line ({}; byte offset {} of the file); {hint}",
            failed.encoding.name(),
            place.column,
            bytes.join(" "),
            failed.offset
        ),
    )
    .at(RowRef::Line(place.line));
    if let Some(name) = place.field.and_then(|f| names?.get(f)) {
        problem = problem.in_column(name);
    }
    problem
}
