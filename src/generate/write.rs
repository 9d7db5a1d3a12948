//! Parquet output: the folder checks and one function that writes a file.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

use super::options::GenError;

/// Columns with (nearly) one value per row: a dictionary would only be
/// built to be thrown away.
const NO_DICTIONARY: [&str; 8] = [
    "claim_id",
    "patient_id",
    "patient_name",
    "settle_time",
    "total_amount",
    "fund_amount",
    "amount",
    "case",
];

pub fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> GenError + '_ {
    move |source| GenError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Creates `out` (and the part folders) unless it already holds anything:
/// the generator never overwrites.
pub fn prepare_folder(out: &Path, part_folders: &[&str]) -> Result<(), GenError> {
    match fs::read_dir(out) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(GenError::NotEmpty {
                    path: out.to_path_buf(),
                });
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            fs::create_dir_all(out).map_err(io_error(out))?;
        }
        Err(e) => return Err(io_error(out)(e)),
    }
    for folder in part_folders {
        let path = out.join(folder);
        fs::create_dir(&path).map_err(io_error(&path))?;
    }
    Ok(())
}

/// The path of part `index` of a table written as a folder.
pub fn part_path(out: &Path, table: &str, index: usize) -> PathBuf {
    out.join(table).join(format!("part-{index:05}.parquet"))
}

/// Writes `batches` as one Snappy-compressed Parquet file.
pub fn write_parquet(
    path: &Path,
    schema: &SchemaRef,
    batches: &[RecordBatch],
) -> Result<(), GenError> {
    let mut sink = ParquetSink::create(path, schema)?;
    for batch in batches {
        sink.write(batch)?;
    }
    sink.close()
}

/// A Parquet file written a batch at a time, for a table too large to
/// hold whole (the knowledge base of exclusive items).
pub struct ParquetSink {
    path: PathBuf,
    writer: ArrowWriter<File>,
}

impl ParquetSink {
    pub fn create(path: &Path, schema: &SchemaRef) -> Result<ParquetSink, GenError> {
        let mut properties = WriterProperties::builder().set_compression(Compression::SNAPPY);
        for column in NO_DICTIONARY {
            if schema.field_with_name(column).is_ok() {
                properties =
                    properties.set_column_dictionary_enabled(ColumnPath::from(column), false);
            }
        }
        let file = File::create(path).map_err(io_error(path))?;
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(properties.build()))
            .map_err(parquet_error(path))?;
        Ok(ParquetSink {
            path: path.to_path_buf(),
            writer,
        })
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), GenError> {
        self.writer.write(batch).map_err(parquet_error(&self.path))
    }

    pub fn close(self) -> Result<(), GenError> {
        self.writer.close().map_err(parquet_error(&self.path))?;
        Ok(())
    }
}

fn parquet_error(path: &Path) -> impl FnOnce(parquet::errors::ParquetError) -> GenError + '_ {
    move |source| GenError::Parquet {
        path: path.to_path_buf(),
        source,
    }
}

/// Attaches the file's path to an Arrow error met while building its batch.
pub fn arrow_error(path: &Path) -> impl FnOnce(arrow::error::ArrowError) -> GenError + '_ {
    move |source| GenError::Arrow {
        path: path.to_path_buf(),
        source,
    }
}
