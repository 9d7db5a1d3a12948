//! Loading settled claims from a dataset folder into the history store
//! (`claimaudit history import`), and reading a dataset's claims in the
//! service's form (for tests and benchmarks).

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{
    Date32Type, Decimal128Type, Float64Type, Int32Type, Int64Type, TimestampMillisecondType,
};
use rust_decimal::Decimal;

use super::api::{FieldError, claim_to_json};
use super::check::outside_lookback;
use super::history::HistoryStore;
use super::lookback::LookBack;
use super::plausible::{self, Window};
use super::shape::{Claim, ClaimShape};
use crate::data::load::LoadOptions;
use crate::exec::Compiled;
use crate::ir::{ColumnType, Ruleset, Table, Value};

/// Every claim of the dataset in `dir`, with its lines, in file order.
pub fn dataset_claims(
    ruleset: &Ruleset,
    shape: &ClaimShape,
    dir: &Path,
    load: &LoadOptions,
) -> Result<Vec<Claim>, String> {
    let tables: Vec<String> = std::iter::once(&shape.header)
        .chain(shape.lines.as_ref().map(|l| &l.table))
        .map(|t| t.name.clone())
        .collect();
    let loaded = Compiled::whole_tables(ruleset, &tables)
        .read(dir, load, &|_, _| {})
        .map_err(|e| e.to_string())?;
    let header = loaded
        .get(&shape.header.name)
        .ok_or_else(|| format!("the dataset has no `{}` table", shape.header.name))?;
    let lines = shape.lines.as_ref().and_then(|l| loaded.get(&l.table.name));
    claims_from_batches(shape, header, lines)
}

/// The claims held by a batch of the header table and one of the lines
/// table (lines whose claim is not in the header batch are left out).
pub fn claims_from_batches(
    shape: &ClaimShape,
    header: &RecordBatch,
    lines: Option<&RecordBatch>,
) -> Result<Vec<Claim>, String> {
    let mut claims: Vec<Claim> = rows(&shape.header, header)?
        .into_iter()
        .map(|header| Claim {
            header,
            lines: Vec::new(),
        })
        .collect();
    let position: HashMap<String, usize> = claims
        .iter()
        .enumerate()
        .map(|(i, c)| (c.claim_id(shape).to_string(), i))
        .collect();
    if let (Some(shape_lines), Some(batch)) = (&shape.lines, lines) {
        for line in rows(&shape_lines.table, batch)? {
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

/// The rows of `batch` as values in `table`'s column order.
fn rows(table: &Table, batch: &RecordBatch) -> Result<Vec<Vec<Value>>, String> {
    let columns: Vec<(&ColumnType, Option<&ArrayRef>)> = table
        .columns
        .iter()
        .map(|c| (&c.ty, batch.column_by_name(&c.name)))
        .collect();
    (0..batch.num_rows())
        .map(|row| {
            columns
                .iter()
                .map(|(ty, array)| match array {
                    Some(a) => value_at(ty, a.as_ref(), row),
                    None => Ok(Value::Null),
                })
                .collect()
        })
        .collect()
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

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct Imported {
    pub claims: u64,
    pub lines: u64,
    pub patients: u64,
    /// Claims dropped as outside the look-back.
    pub pruned: u64,
    /// Claims not imported, with the id and the field at fault: a date
    /// outside the plausible window, as the service would refuse it.
    pub refused: Vec<(String, FieldError)>,
}

/// Stores the plausible `claims` (replacing stored versions with the same
/// ids), then prunes each patient's history to the look-back of a claim
/// dated `reference` (today minus the grace days).
pub fn import_claims(
    store: &HistoryStore,
    shape: &ClaimShape,
    lookback: &LookBack,
    reference: i32,
    window: &Window,
    claims: &[Claim],
) -> Result<Imported, String> {
    let mut patients = BTreeSet::new();
    let mut out = Imported::default();
    let mut plausible_claims = Vec::with_capacity(claims.len());
    for c in claims {
        match plausible::check(shape, c, window) {
            Ok(()) => plausible_claims.push(c),
            Err(e) => out.refused.push((c.claim_id(shape).to_string(), e)),
        }
    }
    for chunk in plausible_claims.chunks(20_000) {
        let rows: Vec<(String, String, Vec<u8>)> = chunk
            .iter()
            .map(|c| {
                let json = serde_json::to_vec(&claim_to_json(shape, c)).expect("JSON serializes");
                (
                    c.patient_id(shape).to_string(),
                    c.claim_id(shape).to_string(),
                    json,
                )
            })
            .collect();
        store.import(&rows).map_err(|e| e.to_string())?;
        for c in chunk {
            patients.insert(c.patient_id(shape).to_string());
            out.claims += 1;
            out.lines += c.lines.len() as u64;
        }
    }
    let patients: Vec<String> = patients.into_iter().collect();
    out.patients = patients.len() as u64;
    for chunk in patients.chunks(20_000) {
        let prune = |all: &[_]| outside_lookback(shape, lookback, reference, all);
        out.pruned += store.prune(chunk, &prune).map_err(|e| e.to_string())?;
    }
    Ok(out)
}
