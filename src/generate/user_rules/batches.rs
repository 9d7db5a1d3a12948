//! The planted copies' rows as Arrow batches in the generator's schemas
//! (the contract's columns in order, and a name for each planted patient,
//! as the generator's `patients` carries `patient_name`), and their part of
//! `claims` and `claim_items`.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, StringArray};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;

use super::RuleCases;
use crate::data::contract::{CATALOG, CLAIM_ITEMS, CLAIMS, PATIENTS, PROVIDERS};
use crate::data::values::build_array;
use crate::generate::chunk::PartCounts;
use crate::generate::exclusive::EXCLUSIVE_ITEMS;
use crate::generate::names::write_person_name;
use crate::generate::options::GenError;
use crate::generate::reference_tables::Schemas;
use crate::generate::rng::{GenRng, Stream, stream_rng};
use crate::generate::write::{part_path, write_parquet};
use crate::ir::{Schema, Table, Value};

/// The copies' rows of each table; `None` where they have none.
#[derive(Default)]
pub struct OwnTables {
    pub claims: Option<RecordBatch>,
    pub claim_items: Option<RecordBatch>,
    pub patients: Option<RecordBatch>,
    pub catalog: Option<RecordBatch>,
    pub providers: Option<RecordBatch>,
    pub exclusive_items: Option<RecordBatch>,
}

impl RuleCases {
    /// The copies' rows as batches; the patients' names are drawn from the seed.
    pub fn batches(
        &self,
        contract: &Schema,
        schemas: &Schemas,
        seed: u64,
    ) -> Result<OwnTables, GenError> {
        let mut names = stream_rng(seed, Stream::RuleTests, 1);
        let mut of = |name: &str, schema: &SchemaRef| -> Result<Option<RecordBatch>, GenError> {
            let Some(t) = contract.tables.iter().position(|t| t.name == name) else {
                return Ok(None);
            };
            if self.rows[t].is_empty() {
                return Ok(None);
            }
            batch(&contract.tables[t], &self.rows[t], schema, &mut names)
                .map(Some)
                .map_err(|message| GenError::Planting {
                    table: name.to_string(),
                    message,
                })
        };
        Ok(OwnTables {
            claims: of(CLAIMS, &schemas.claims)?,
            claim_items: of(CLAIM_ITEMS, &schemas.claim_items)?,
            patients: of(PATIENTS, &schemas.patients)?,
            catalog: of(CATALOG, &schemas.catalog)?,
            providers: of(PROVIDERS, &schemas.providers)?,
            exclusive_items: of(EXCLUSIVE_ITEMS, &schemas.exclusive_items)?,
        })
    }
}

impl OwnTables {
    /// Writes the copies' claims and lines as part `index`, if they have
    /// any (a table they give no rows of gets an empty file).
    pub fn write_part(
        &self,
        out: &Path,
        schemas: &Schemas,
        index: usize,
    ) -> Result<Option<PartCounts>, GenError> {
        if self.claims.is_none() && self.claim_items.is_none() {
            return Ok(None);
        }
        let tables = [
            (CLAIMS, &schemas.claims, &self.claims),
            (CLAIM_ITEMS, &schemas.claim_items, &self.claim_items),
        ];
        for (table, schema, batch) in tables {
            let batch = batch
                .clone()
                .unwrap_or_else(|| RecordBatch::new_empty(schema.clone()));
            write_parquet(&part_path(out, table, index), schema, &[batch])?;
        }
        let rows = |b: &Option<RecordBatch>| b.as_ref().map_or(0, |b| b.num_rows() as u64);
        Ok(Some(PartCounts {
            claims: rows(&self.claims),
            lines: rows(&self.claim_items),
        }))
    }
}

/// The batch of `rows` of `table` in `schema`; a column the contract does
/// not have (`patient_name`) is made up, drawn from `rng`.
fn batch(
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
