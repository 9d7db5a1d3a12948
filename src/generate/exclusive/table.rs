//! Arrow builders for rows of `exclusive_items`, in its contract schema.

use std::sync::Arc;

use arrow::array::{ArrayRef, Date32Builder, StringBuilder};
use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;

/// Rows appended one at a time, finished into a batch when full.
pub struct ExclusiveTable {
    item_a: StringBuilder,
    item_b: StringBuilder,
    valid_from: Date32Builder,
    valid_to: Date32Builder,
    basis: StringBuilder,
    rows: usize,
}

impl ExclusiveTable {
    pub fn with_capacity(rows: usize) -> ExclusiveTable {
        let text = |bytes: usize| StringBuilder::with_capacity(rows, rows * bytes);
        ExclusiveTable {
            item_a: text(20),
            item_b: text(20),
            valid_from: Date32Builder::with_capacity(rows),
            valid_to: Date32Builder::with_capacity(rows),
            basis: text(9),
            rows: 0,
        }
    }

    pub fn push(
        &mut self,
        item_a: &str,
        item_b: &str,
        valid_from: i32,
        valid_to: Option<i32>,
        basis: Option<&str>,
    ) {
        self.item_a.append_value(item_a);
        self.item_b.append_value(item_b);
        self.valid_from.append_value(valid_from);
        self.valid_to.append_option(valid_to);
        self.basis.append_option(basis);
        self.rows += 1;
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The rows so far as a batch; the table is left empty for more.
    pub fn finish(&mut self, schema: &SchemaRef) -> Result<RecordBatch, ArrowError> {
        self.rows = 0;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.item_a.finish()),
            Arc::new(self.item_b.finish()),
            Arc::new(self.valid_from.finish()),
            Arc::new(self.valid_to.finish()),
            Arc::new(self.basis.finish()),
        ];
        RecordBatch::try_new(schema.clone(), columns)
    }
}
