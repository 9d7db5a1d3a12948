//! A dataset's claims in the service's form: read from the header and
//! lines tables as loaded in Arrow, either all at once in file order (for
//! tests and benchmarks) or patient by patient (`history import`), where
//! only the claims of the patients being stored are turned into values.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringArray};
use arrow::datatypes::{
    Date32Type, Decimal128Type, Float64Type, Int32Type, Int64Type, TimestampMillisecondType,
};
use rust_decimal::Decimal;

use super::shape::{Claim, ClaimShape};
use crate::data::load::LoadOptions;
use crate::exec::Compiled;
use crate::ir::{ColumnType, Ruleset, Table, Value};

/// The header and lines tables of the dataset in `dir`, whole.
pub fn claim_tables(
    ruleset: &Ruleset,
    shape: &ClaimShape,
    dir: &Path,
    load: &LoadOptions,
) -> Result<(RecordBatch, Option<RecordBatch>), String> {
    let tables: Vec<String> = std::iter::once(&shape.header)
        .chain(shape.lines.as_ref().map(|l| &l.table))
        .map(|t| t.name.clone())
        .collect();
    let mut loaded = Compiled::whole_tables(ruleset, &tables)
        .read(dir, load, &|_, _| {})
        .map_err(|e| e.to_string())?;
    let header = loaded
        .remove(&shape.header.name)
        .ok_or_else(|| format!("the dataset has no `{}` table", shape.header.name))?;
    let lines = shape
        .lines
        .as_ref()
        .and_then(|l| loaded.remove(&l.table.name));
    Ok((header, lines))
}

/// Every claim of the dataset in `dir`, with its lines, in file order.
pub fn dataset_claims(
    ruleset: &Ruleset,
    shape: &ClaimShape,
    dir: &Path,
    load: &LoadOptions,
) -> Result<Vec<Claim>, String> {
    let (header, lines) = claim_tables(ruleset, shape, dir, load)?;
    claims_from_batches(shape, &header, lines.as_ref())
}

/// The claims held by a batch of the header table and one of the lines
/// table (lines whose claim is not in the header batch are left out).
pub fn claims_from_batches(
    shape: &ClaimShape,
    header: &RecordBatch,
    lines: Option<&RecordBatch>,
) -> Result<Vec<Claim>, String> {
    let header_rows = Rows::of(&shape.header, header);
    let mut claims: Vec<Claim> = (0..header.num_rows())
        .map(|row| {
            Ok(Claim {
                header: header_rows.values(row)?,
                lines: Vec::new(),
            })
        })
        .collect::<Result<_, String>>()?;
    let position: HashMap<String, usize> = claims
        .iter()
        .enumerate()
        .map(|(i, c)| (c.claim_id(shape).to_string(), i))
        .collect();
    if let (Some(shape_lines), Some(batch)) = (&shape.lines, lines) {
        let line_rows = Rows::of(&shape_lines.table, batch);
        for row in 0..batch.num_rows() {
            let line = line_rows.values(row)?;
            let Value::Text(id) = &line[shape_lines.claim_fk] else {
                continue;
            };
            if let Some(&i) = position.get(id) {
                claims[i].lines.push(line);
            }
        }
    }
    Ok(claims)
}

/// A dataset's claims ordered by (patient id, claim id), each claim id
/// once (its last header row in file order, as a later row replaces an
/// earlier one), with the rows of its lines in file order. Lines whose
/// claim is not in the header are left out.
pub struct ByPatient<'a> {
    header: Rows<'a>,
    lines: Option<Rows<'a>>,
    patients: &'a StringArray,
    /// Header rows, in (patient, claim id) order.
    order: Vec<u32>,
    /// The lines rows of header row `r`: `line_rows[line_start[r]..line_start[r + 1]]`.
    line_start: Vec<u32>,
    line_rows: Vec<u32>,
}

impl<'a> ByPatient<'a> {
    pub fn index(
        shape: &'a ClaimShape,
        header: &'a RecordBatch,
        lines: Option<&'a RecordBatch>,
    ) -> Result<ByPatient<'a>, String> {
        let text_column = |table: &Table, batch: &'a RecordBatch, column: usize| {
            let name = &table.columns[column].name;
            batch
                .column_by_name(name)
                .and_then(|a| a.as_string_opt::<i32>())
                .ok_or_else(|| format!("table `{}` has no text column `{name}`", table.name))
        };
        let claim_ids = text_column(&shape.header, header, shape.claim_id)?;
        let patients = text_column(&shape.header, header, shape.patient_id)?;
        let text = |a: &'a StringArray, row: usize| (!a.is_null(row)).then(|| a.value(row));
        // The last header row of each claim id.
        let mut last_row: HashMap<&str, u32> = HashMap::with_capacity(header.num_rows());
        let mut unnamed = Vec::new();
        for row in 0..header.num_rows() {
            match text(claim_ids, row) {
                Some(id) => {
                    last_row.insert(id, row as u32);
                }
                None => unnamed.push(row as u32),
            }
        }
        let mut order: Vec<u32> = last_row.values().copied().chain(unnamed).collect();
        order.sort_unstable_by_key(|&r| {
            let r = r as usize;
            (text(patients, r), text(claim_ids, r), r)
        });
        let (mut line_start, mut line_rows) = (vec![0u32; header.num_rows() + 1], Vec::new());
        if let (Some(shape_lines), Some(batch)) = (&shape.lines, lines) {
            let fk = text_column(&shape_lines.table, batch, shape_lines.claim_fk)?;
            let owner: Vec<Option<u32>> = (0..batch.num_rows())
                .map(|row| text(fk, row).and_then(|id| last_row.get(id).copied()))
                .collect();
            for &r in owner.iter().flatten() {
                line_start[r as usize + 1] += 1;
            }
            for r in 0..header.num_rows() {
                line_start[r + 1] += line_start[r];
            }
            let mut next = line_start.clone();
            line_rows = vec![0u32; line_start[header.num_rows()] as usize];
            for (row, r) in owner.iter().enumerate() {
                if let Some(r) = r {
                    line_rows[next[*r as usize] as usize] = row as u32;
                    next[*r as usize] += 1;
                }
            }
        }
        Ok(ByPatient {
            header: Rows::of(&shape.header, header),
            lines: shape
                .lines
                .as_ref()
                .zip(lines)
                .map(|(l, batch)| Rows::of(&l.table, batch)),
            patients,
            order,
            line_start,
            line_rows,
        })
    }

    /// How many claims there are.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Consecutive ranges of claims, each of whole patients and holding at
    /// least `claims` claims (the last one may hold fewer).
    pub fn groups(&self, claims: usize) -> Vec<Range<usize>> {
        let patient = |i: usize| {
            let row = self.order[i] as usize;
            (!self.patients.is_null(row)).then(|| self.patients.value(row))
        };
        let mut out = Vec::new();
        let mut start = 0;
        for i in 1..self.order.len() {
            if i - start >= claims && patient(i) != patient(i - 1) {
                out.push(start..i);
                start = i;
            }
        }
        if start < self.order.len() {
            out.push(start..self.order.len());
        }
        out
    }

    /// The claims at `range`, with their lines, as values.
    pub fn claims(&self, range: Range<usize>) -> Result<Vec<Claim>, String> {
        self.order[range]
            .iter()
            .map(|&r| {
                let r = r as usize;
                let lines = match &self.lines {
                    Some(rows) => self.line_rows
                        [self.line_start[r] as usize..self.line_start[r + 1] as usize]
                        .iter()
                        .map(|&l| rows.values(l as usize))
                        .collect::<Result<_, _>>()?,
                    None => Vec::new(),
                };
                Ok(Claim {
                    header: self.header.values(r)?,
                    lines,
                })
            })
            .collect()
    }
}

/// A batch's columns in a table's column order, read row by row as values.
struct Rows<'a> {
    columns: Vec<(&'a ColumnType, Option<&'a ArrayRef>)>,
}

impl<'a> Rows<'a> {
    fn of(table: &'a Table, batch: &'a RecordBatch) -> Rows<'a> {
        Rows {
            columns: table
                .columns
                .iter()
                .map(|c| (&c.ty, batch.column_by_name(&c.name)))
                .collect(),
        }
    }

    fn values(&self, row: usize) -> Result<Vec<Value>, String> {
        self.columns
            .iter()
            .map(|(ty, array)| match array {
                Some(a) => value_at(ty, a.as_ref(), row),
                None => Ok(Value::Null),
            })
            .collect()
    }
}

/// One cell of an array loaded in the contract's Arrow types.
fn value_at(ty: &ColumnType, array: &dyn Array, row: usize) -> Result<Value, String> {
    if array.is_null(row) {
        return Ok(Value::Null);
    }
    Ok(match ty {
        ColumnType::Text | ColumnType::Enum(_) => {
            Value::Text(array.as_string::<i32>().value(row).to_string())
        }
        ColumnType::Int32 => Value::Int(array.as_primitive::<Int32Type>().value(row) as i64),
        ColumnType::Int64 => Value::Int(array.as_primitive::<Int64Type>().value(row)),
        ColumnType::Bool => Value::Bool(array.as_boolean().value(row)),
        ColumnType::Decimal { scale, .. } => {
            let mantissa = array.as_primitive::<Decimal128Type>().value(row);
            Value::Decimal(
                Decimal::try_from_i128_with_scale(mantissa, *scale as u32)
                    .map_err(|e| e.to_string())?,
            )
        }
        ColumnType::Float64 => Value::Float(array.as_primitive::<Float64Type>().value(row)),
        ColumnType::Date => Value::Date(array.as_primitive::<Date32Type>().value(row)),
        ColumnType::Timestamp => {
            Value::Timestamp(array.as_primitive::<TimestampMillisecondType>().value(row))
        }
        ColumnType::List(inner) => {
            let list = array.as_list::<i32>().value(row);
            Value::List(
                (0..list.len())
                    .map(|i| value_at(inner, list.as_ref(), i))
                    .collect::<Result<_, _>>()?,
            )
        }
    })
}
