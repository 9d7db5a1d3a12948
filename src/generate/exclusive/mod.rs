//! The knowledge base of mutually exclusive items (互斥项目知识库,
//! `exclusive_items.parquet`): a background of pairs no claim can set off
//! (`background`), then the pairs MUTEX-01's planted cases bill, then the
//! rows of the copies of a ruleset's tests. Written a batch at a time, so
//! millions of rows take the memory of one batch.

mod background;
mod table;

use std::path::Path;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;

use self::table::ExclusiveTable;
use super::catalog::Entry;
use super::options::GenError;
use super::rng::{Stream, stream_rng};
use super::write::{ParquetSink, arrow_error};

/// The table's name in the contract.
pub const EXCLUSIVE_ITEMS: &str = "exclusive_items";

/// Rows per batch written.
const BATCH_ROWS: usize = 65_536;

/// One version of a pair: in force from `valid_from` to `valid_to` (open
/// when `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExclusiveRow {
    pub item_a: String,
    pub item_b: String,
    pub valid_from: i32,
    pub valid_to: Option<i32>,
    pub basis: Option<String>,
}

/// Writes `exclusive_items.parquet` into `out`: `background` rows drawn
/// from `seed` against the background's `catalog`, the `planted` rows and
/// the copies' rows (`own`). Returns the number of rows written.
pub fn write_exclusive_items(
    out: &Path,
    schema: &SchemaRef,
    seed: u64,
    background: u64,
    catalog: &[Entry],
    planted: &[ExclusiveRow],
    own: Option<&RecordBatch>,
) -> Result<u64, GenError> {
    let path = out.join(format!("{EXCLUSIVE_ITEMS}.parquet"));
    let mut sink = ParquetSink::create(&path, schema)?;
    let mut table = ExclusiveTable::with_capacity(BATCH_ROWS);
    let mut rng = stream_rng(seed, Stream::Knowledge, 0);
    background::draw(&mut rng, background, catalog, &mut |v| {
        table.push(v.item_a, v.item_b, v.valid_from, v.valid_to, v.basis);
        if table.rows() == BATCH_ROWS {
            let batch = table.finish(schema).map_err(arrow_error(&path))?;
            sink.write(&batch)?;
        }
        Ok(())
    })?;
    for row in planted {
        table.push(
            &row.item_a,
            &row.item_b,
            row.valid_from,
            row.valid_to,
            row.basis.as_deref(),
        );
    }
    if table.rows() > 0 {
        let batch = table.finish(schema).map_err(arrow_error(&path))?;
        sink.write(&batch)?;
    }
    if let Some(own) = own {
        sink.write(own)?;
    }
    sink.close()?;
    let copies = own.map_or(0, |b| b.num_rows() as u64);
    Ok(background + planted.len() as u64 + copies)
}
