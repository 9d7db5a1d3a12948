//! Reading the tables a plan needs from a dataset folder: only the
//! columns it reads, in the contract's types or narrowed to compact
//! storage as a scan holds them.

use std::collections::HashMap;
use std::path::Path;

use rayon::prelude::*;

use super::tables::Tables;
use crate::data::arrow_types::table_arrow_schema;
use crate::data::compact::compact_batch;
use crate::data::load::{LoadOptions, Problem, load_dataset};
use crate::plan::Plan;

/// What a scan notes about the tables it read: (table, note).
pub type Notes = Vec<(String, String)>;

/// The columns the plan reads, by table.
pub(super) fn projection(plan: &Plan) -> HashMap<String, Vec<String>> {
    plan.loads
        .iter()
        .map(|l| (l.table.clone(), l.columns.clone()))
        .collect()
}

pub(super) fn read_stored(
    plan: &Plan,
    dir: &Path,
    load: &LoadOptions,
    progress: &(dyn Fn(&str, u64) + Sync),
    compact: bool,
) -> Result<(Tables, Notes), Box<Problem>> {
    let schema = &plan.ruleset.schema;
    let projection = projection(plan);
    let mut batches: HashMap<String, Vec<arrow::array::RecordBatch>> = HashMap::new();
    let narrow = |table: &crate::ir::Table, batch| compact_batch(batch, table);
    let validation = load_dataset(
        dir,
        schema,
        load,
        &projection,
        compact.then_some(&narrow as crate::data::load::Narrow<'_>),
        &mut |table, batch| batches.entry(table.to_string()).or_default().push(batch),
        progress,
    );
    if let Some(problem) = validation.problems.into_first() {
        return Err(Box::new(problem));
    }
    let notes = validation
        .sources
        .iter()
        .filter_map(|s| Some((s.table.clone(), s.skipped_note()?)))
        .collect();
    let mut tables = Tables::new();
    for (name, list) in batches {
        let Some(table) = schema.table(&name) else {
            continue;
        };
        let batch = match list.first() {
            Some(_) => concat_by_column(list, table),
            None => arrow::array::RecordBatch::new_empty(table_arrow_schema(table)),
        };
        tracing::info!(table = %name, rows = batch.num_rows(), mib = batch.get_array_memory_size() as f64 / 1048576.0, "table loaded");
        tables.insert(name, batch);
    }
    Ok((tables, notes))
}

/// One batch of all of them, joined a column at a time and freeing each
/// column's pieces as it goes, so the table is not held twice at once. A
/// column whose pieces were stored differently (one piece could not be
/// narrowed) is joined in the contract's type.
pub(super) fn concat_by_column(
    batches: Vec<arrow::array::RecordBatch>,
    table: &crate::ir::Table,
) -> arrow::array::RecordBatch {
    use arrow::array::{Array, ArrayRef};
    let schema = batches[0].schema();
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    let mut pieces: Vec<Vec<Option<ArrayRef>>> = batches
        .into_iter()
        .map(|b| b.columns().iter().cloned().map(Some).collect())
        .collect();
    // Each column's pieces, taken out of the batches (no copy).
    let by_column: Vec<Vec<ArrayRef>> = (0..schema.fields().len())
        .map(|i| pieces.iter_mut().filter_map(|p| p[i].take()).collect())
        .collect();
    drop(pieces);
    // Columns are joined in parallel, a few at a time, each freeing its pieces.
    let joined: Vec<(arrow::datatypes::Field, ArrayRef)> = schema
        .fields()
        .par_iter()
        .zip(by_column)
        .map(|(field, mut parts)| {
            let first = parts[0].data_type().clone();
            if parts.iter().any(|p| p.data_type() != &first)
                && let Some(column) = table.column(field.name())
            {
                let contract = crate::data::arrow_types::arrow_type(&column.ty);
                parts = parts
                    .iter()
                    .map(|p| {
                        arrow::compute::cast(p, &contract).expect("compact storage widens back")
                    })
                    .collect();
            }
            let refs: Vec<&dyn Array> = parts.iter().map(|a| a.as_ref()).collect();
            let joined = arrow::compute::concat(&refs).expect("pieces of one column share a type");
            let field = arrow::datatypes::Field::new(
                field.name(),
                joined.data_type().clone(),
                field.is_nullable(),
            );
            (field, joined)
        })
        .collect();
    let (fields, columns): (Vec<_>, Vec<_>) = joined.into_iter().unzip();
    arrow::array::RecordBatch::try_new_with_options(
        std::sync::Arc::new(arrow::datatypes::Schema::new(fields)),
        columns,
        &arrow::array::RecordBatchOptions::new().with_row_count(Some(rows)),
    )
    .expect("columns of equal length")
}
