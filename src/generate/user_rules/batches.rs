//! The planted copies' rows as Arrow batches in the generator's schemas:
//! the contract's columns in order, and a name for each planted patient
//! (the generator's `patients` carries `patient_name`).

use std::sync::Arc;

use arrow::array::{ArrayRef, StringArray};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;

use crate::data::values::build_array;
use crate::generate::names::write_person_name;
use crate::generate::rng::GenRng;
use crate::ir::{Table, Value};

/// The batch of `rows` of `table` in `schema`; a column the contract does
/// not have (`patient_name`) is made up, drawn from `rng`.
pub fn batch(
    table: &Table,
    rows: &[Vec<Value>],
    schema: &SchemaRef,
    rng: &mut GenRng,
) -> Result<RecordBatch, String> {
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        match table.column_index(field.name()) {
            Some(c) => {
                let values: Vec<Value> = rows.iter().map(|r| r[c].clone()).collect();
                columns.push(build_array(&table.columns[c].ty, &values)?);
            }
            None => columns.push(Arc::new(names(table, rows, rng))),
        }
    }
    RecordBatch::try_new(schema.clone(), columns).map_err(|e| e.to_string())
}

/// A person's name per row, of the row's gender when it has one.
fn names(table: &Table, rows: &[Vec<Value>], rng: &mut GenRng) -> StringArray {
    let gender = table.column_index("gender");
    rows.iter()
        .map(|row| {
            let male = !matches!(gender.map(|g| &row[g]), Some(Value::Text(g)) if g == "F");
            let mut name = String::new();
            // Writing to a String cannot fail.
            let _ = write_person_name(&mut name, rng, male);
            Some(name)
        })
        .collect()
}
