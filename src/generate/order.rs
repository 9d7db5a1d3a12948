//! Rewrites the `claims` and `claim_items` parts in settlement-time or a
//! seeded random order, holding about one part at a time: every part is
//! split into buckets of the final order (one per output part) on disk,
//! then each bucket is read back, sorted and written as one part.

use std::collections::HashMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, Int64Array, UInt32Array};
use arrow::compute::{SortColumn, concat_batches, lexsort_to_indices, take_record_batch};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimestampMillisecondType};
use arrow::record_batch::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rayon::prelude::*;

use super::calendar::{DAY_MS, PERIOD_END, PERIOD_START};
use super::options::{GenError, Order};
use super::reference_tables::Schemas;
use super::write::{arrow_error, io_error, part_path, write_parquet};
use crate::data::contract::{CLAIM_ITEMS, CLAIMS};

/// The sort key each row carries between the two passes.
const KEY: &str = "sort_key";
/// Where the buckets wait, inside the output folder.
const STAGING: &str = ".reorder";

/// Reorders the `parts` parts of both tables written in patient order.
pub fn reorder(
    out: &Path,
    schemas: &Schemas,
    order: Order,
    seed: u64,
    parts: usize,
) -> Result<(), GenError> {
    if order == Order::Patient {
        return Ok(());
    }
    let staging = out.join(STAGING);
    for table in [CLAIMS, CLAIM_ITEMS] {
        let dir = staging.join(table);
        fs::create_dir_all(&dir).map_err(io_error(&dir))?;
    }
    let keys = Keys {
        order,
        seed,
        buckets: parts,
    };
    (0..parts)
        .into_par_iter()
        .try_for_each(|part| split_part(out, &staging, &keys, part))?;
    (0..parts).into_par_iter().try_for_each(|bucket| {
        for (table, schema) in [
            (CLAIMS, &schemas.claims),
            (CLAIM_ITEMS, &schemas.claim_items),
        ] {
            merge_bucket(out, &staging, table, schema, parts, bucket)?;
        }
        Ok(())
    })?;
    fs::remove_dir_all(&staging).map_err(io_error(&staging))
}

struct Keys {
    order: Order,
    seed: u64,
    buckets: usize,
}

impl Keys {
    /// The key of a claim, or of a line (`line_no`) of a claim settled at
    /// `settle_ms`: lines follow their claim in time, but are scattered on
    /// their own when shuffled.
    fn key(&self, claim_id: &str, line_no: Option<i32>, settle_ms: i64) -> i64 {
        match self.order {
            Order::Patient | Order::Time => settle_ms,
            Order::Shuffled => {
                let mut bytes = claim_id.as_bytes().to_vec();
                if let Some(line) = line_no {
                    bytes.push(b'/');
                    bytes.extend_from_slice(&line.to_le_bytes());
                }
                xxhash_rust::xxh3::xxh3_64_with_seed(&bytes, self.seed) as i64
            }
        }
    }

    /// Buckets cover equal spans of the period (times outside it go to the
    /// first or last) or equal spans of the hash.
    fn bucket(&self, key: i64) -> usize {
        let n = self.buckets as i128;
        let b = match self.order {
            Order::Time | Order::Patient => {
                let start = i128::from(PERIOD_START) * i128::from(DAY_MS);
                let end = i128::from(PERIOD_END + 1) * i128::from(DAY_MS);
                ((i128::from(key) - start) * n / (end - start)).clamp(0, n - 1)
            }
            Order::Shuffled => ((i128::from(key) - i128::from(i64::MIN)) * n) >> 64,
        };
        b as usize
    }
}

fn staged(staging: &Path, table: &str, bucket: usize, part: usize) -> PathBuf {
    staging
        .join(table)
        .join(format!("b{bucket:05}-p{part:05}.parquet"))
}

/// Reads part `part` of both tables, adds the key, writes each bucket's
/// rows to its own file and deletes the part.
fn split_part(out: &Path, staging: &Path, keys: &Keys, part: usize) -> Result<(), GenError> {
    let claims_path = part_path(out, CLAIMS, part);
    let items_path = part_path(out, CLAIM_ITEMS, part);
    let claims = read_parquet(&claims_path)?;
    let items = read_parquet(&items_path)?;

    let claim_ids = claims
        .column_by_name("claim_id")
        .expect("claim_id")
        .as_string::<i32>();
    let settle = claims
        .column_by_name("settle_time")
        .expect("settle_time")
        .as_primitive::<TimestampMillisecondType>();
    let settled: HashMap<&str, i64> = (0..claims.num_rows())
        .map(|row| (claim_ids.value(row), settle.value(row)))
        .collect();
    let claim_keys: Vec<i64> = (0..claims.num_rows())
        .map(|row| keys.key(claim_ids.value(row), None, settle.value(row)))
        .collect();

    let line_claims = items
        .column_by_name("claim_id")
        .expect("claim_id")
        .as_string::<i32>();
    let line_nos = items
        .column_by_name("line_no")
        .expect("line_no")
        .as_primitive::<arrow::datatypes::Int32Type>();
    let line_keys: Vec<i64> = (0..items.num_rows())
        .map(|row| {
            let claim = line_claims.value(row);
            let settle_ms = settled.get(claim).copied().unwrap_or(i64::MIN);
            keys.key(claim, Some(line_nos.value(row)), settle_ms)
        })
        .collect();

    for (table, batch, row_keys, path) in [
        (CLAIMS, &claims, claim_keys, &claims_path),
        (CLAIM_ITEMS, &items, line_keys, &items_path),
    ] {
        let keyed = with_key(batch, row_keys).map_err(arrow_error(path))?;
        let row_keys = keyed
            .column(keyed.num_columns() - 1)
            .as_primitive::<arrow::datatypes::Int64Type>();
        let mut rows: Vec<Vec<u32>> = vec![Vec::new(); keys.buckets];
        for row in 0..keyed.num_rows() {
            rows[keys.bucket(row_keys.value(row))].push(row as u32);
        }
        for (bucket, indices) in rows.into_iter().enumerate() {
            if indices.is_empty() {
                continue;
            }
            let slice = take_record_batch(&keyed, &UInt32Array::from(indices))
                .map_err(arrow_error(path))?;
            let target = staged(staging, table, bucket, part);
            write_parquet(&target, &slice.schema(), &[slice])?;
        }
        fs::remove_file(path).map_err(io_error(path))?;
    }
    Ok(())
}

fn with_key(batch: &RecordBatch, keys: Vec<i64>) -> Result<RecordBatch, arrow::error::ArrowError> {
    let mut fields: Vec<Field> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    fields.push(Field::new(KEY, DataType::Int64, false));
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    columns.push(Arc::new(Int64Array::from(keys)));
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
}

/// Gathers bucket `bucket` of `table` from every part, sorts it by key then
/// ids (so the result does not depend on which part a row came from) and
/// writes it as part `bucket`.
fn merge_bucket(
    out: &Path,
    staging: &Path,
    table: &str,
    schema: &SchemaRef,
    parts: usize,
    bucket: usize,
) -> Result<(), GenError> {
    let target = part_path(out, table, bucket);
    let mut batches = Vec::new();
    let mut sources = Vec::new();
    for part in 0..parts {
        let path = staged(staging, table, bucket, part);
        if path.exists() {
            batches.push(read_parquet(&path)?);
            sources.push(path);
        }
    }
    let sorted = sort(schema, &batches).map_err(arrow_error(&target))?;
    write_parquet(&target, schema, &[sorted])?;
    for path in sources {
        fs::remove_file(&path).map_err(io_error(&path))?;
    }
    Ok(())
}

fn sort(
    schema: &SchemaRef,
    batches: &[RecordBatch],
) -> Result<RecordBatch, arrow::error::ArrowError> {
    let Some(first) = batches.first() else {
        return Ok(RecordBatch::new_empty(schema.clone()));
    };
    let all = concat_batches(&first.schema(), batches)?;
    let mut columns = vec![SortColumn {
        values: all.column_by_name(KEY).expect("key").clone(),
        options: None,
    }];
    for id in ["claim_id", "line_no"] {
        if let Some(values) = all.column_by_name(id) {
            columns.push(SortColumn {
                values: values.clone(),
                options: None,
            });
        }
    }
    let indices = lexsort_to_indices(&columns, None)?;
    let sorted = take_record_batch(&all, &indices)?;
    let contract: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|f| {
            sorted
                .column_by_name(f.name())
                .expect("contract column")
                .clone()
        })
        .collect();
    RecordBatch::try_new(schema.clone(), contract)
}

/// One Parquet file as a single batch.
fn read_parquet(path: &Path) -> Result<RecordBatch, GenError> {
    let parquet_error = |source| GenError::Parquet {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io_error(path))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(parquet_error)?
        .build()
        .map_err(parquet_error)?;
    let schema = arrow::record_batch::RecordBatchReader::schema(&reader);
    let batches = reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(arrow_error(path))?;
    concat_batches(&schema, &batches).map_err(arrow_error(path))
}
