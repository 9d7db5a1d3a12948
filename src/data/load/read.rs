//! Reading one table's files as record batches in the contract's types.
//!
//! Files are read one batch at a time: nothing needs a whole table in
//! memory. Problems of shape (missing column, wrong type) are reported once
//! per file; problems of single values (a value that cannot be converted
//! exactly, unreadable text) are reported with their row and the row is
//! marked so later checks do not report it twice.

use std::fs::File;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, RecordBatchOptions};
use arrow::datatypes::{DataType, Field, Schema as ArrowSchema};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};

use super::conform::{Conversion, compact_read_type};
use super::csv_file::read_csv;
use super::header::repeated_names;
use super::memory::MemoryBatches;
use super::options::TextEncoding;
use super::problem::{Problem, ProblemKind, ProblemLog, RowRef};
use super::ranges::check_ranges;
use super::sources::{FileFormat, TableSource};
use crate::data::arrow_types::arrow_type;
use crate::ir::{Column, Table};

const BATCH_ROWS: usize = 64 * 1024;

/// How the rows of a batch are numbered in their file.
#[derive(Debug, Clone)]
pub enum RowNumbers {
    /// Parquet: batch row `i` is file row `first + i + 1`.
    Offset(u64),
    /// Text: the file line each batch row starts on.
    Lines(Vec<u64>),
}

/// A batch of one table in the contract's types, with where it came from.
#[derive(Debug, Clone)]
pub struct LoadedBatch<'a> {
    pub file: &'a Path,
    pub rows: RowNumbers,
    /// Only the requested columns that could be read, in the requested order.
    pub batch: RecordBatch,
    /// Rows already reported as bad while reading; later checks skip them.
    pub damaged: Vec<bool>,
}

impl LoadedBatch<'_> {
    pub fn row_ref(&self, row: usize) -> RowRef {
        match &self.rows {
            RowNumbers::Offset(first) => RowRef::Row(first + row as u64 + 1),
            RowNumbers::Lines(lines) => RowRef::Line(lines[row]),
        }
    }

    pub fn is_damaged(&self, row: usize) -> bool {
        self.damaged.get(row).copied().unwrap_or(false)
    }

    /// Marks a row reported while reading, so later checks skip it.
    pub fn mark_damaged(&mut self, row: usize) {
        if self.damaged.is_empty() {
            self.damaged = vec![false; self.batch.num_rows()];
        }
        self.damaged[row] = true;
    }

    pub fn column(&self, name: &str) -> Option<&ArrayRef> {
        self.batch.column_by_name(name)
    }
}

/// Reads every file of `source`, calling `on_batch` for each batch of the
/// `columns` of `table` (all columns when `columns` is `None`).
pub fn read_table<'s>(
    source: &'s TableSource,
    table: &Table,
    columns: Option<&[&str]>,
    log: &mut ProblemLog,
    on_batch: &mut dyn FnMut(LoadedBatch<'s>, &mut ProblemLog) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let wanted = wanted_columns(table, columns);
    if let Some(batches) = &source.memory {
        return read_memory(&source.files[0], batches, None, &wanted, &[], log, on_batch);
    }
    for file in &source.files {
        read_file(file, source.format, source.encoding, &wanted, log, on_batch)?;
    }
    ControlFlow::Continue(())
}

/// The columns of `table` to read: all, or those named.
pub fn wanted_columns<'t>(table: &'t Table, columns: Option<&[&str]>) -> Vec<&'t Column> {
    match columns {
        None => table.columns.iter().collect(),
        Some(names) => table
            .columns
            .iter()
            .filter(|c| names.contains(&c.name.as_str()))
            .collect(),
    }
}

/// Reads one file of a table (files of a table can be read in parallel).
pub fn read_file<'s>(
    file: &'s Path,
    format: FileFormat,
    encoding: TextEncoding,
    wanted: &[&Column],
    log: &mut ProblemLog,
    on_batch: &mut dyn FnMut(LoadedBatch<'s>, &mut ProblemLog) -> ControlFlow<()>,
) -> ControlFlow<()> {
    match format {
        FileFormat::Parquet => read_parquet(file, None, wanted, &[], log, on_batch),
        FileFormat::Csv => read_csv(file, encoding, wanted, log, on_batch),
        FileFormat::Memory => unreachable!("tables in memory are read by `read_table` or units"),
    }
}

/// Some row groups of a Parquet file, read on their own.
#[derive(Debug, Clone)]
pub struct Part {
    pub row_groups: Vec<usize>,
    /// The file row (from 0) the part starts at.
    pub first_row: u64,
    /// Whether this is the file's first part (which reports file problems).
    pub first_of_file: bool,
}

/// A piece of a table that can be read on its own: a whole file, or some
/// row groups of a Parquet file.
#[derive(Debug, Clone)]
pub struct Unit<'s> {
    pub file: &'s Path,
    pub format: FileFormat,
    pub encoding: TextEncoding,
    pub part: Option<Part>,
    /// Rows in the unit, when the file says (Parquet) or the table is in memory.
    pub rows: Option<u64>,
    /// The batches, for a table given in memory (the part says which).
    pub memory: Option<&'s MemoryBatches>,
}

/// Rows per unit at most, when a Parquet file has several row groups.
const UNIT_ROWS: u64 = 256 * 1024;

/// The units of a table, in file and row order: Parquet files split by
/// row groups into pieces of about `UNIT_ROWS`, so one big file is read by
/// several threads.
pub fn units(source: &TableSource) -> Vec<Unit<'_>> {
    units_of(source, UNIT_ROWS)
}

/// The rows of the tables of `schema` that `wanted` names in `dir`, from
/// the Parquet files' metadata, without reading them; `None` when a table
/// is CSV (its rows are known only once read) or cannot be found.
pub fn rows_in(
    dir: &std::path::Path,
    schema: &crate::ir::Schema,
    options: &super::LoadOptions,
    wanted: &dyn Fn(&str) -> bool,
) -> Option<u64> {
    let located = super::locate_all(dir, schema, options, wanted);
    if !located.problems.is_empty() {
        return None;
    }
    let mut total = 0u64;
    for source in &located.sources {
        for unit in units(source) {
            total += unit.rows?;
        }
    }
    Some(total)
}

/// `units` with pieces of about `unit_rows` rows.
pub fn units_of(source: &TableSource, unit_rows: u64) -> Vec<Unit<'_>> {
    let mut out = Vec::new();
    for file in &source.files {
        let mut whole = Unit {
            file,
            format: source.format,
            encoding: source.encoding,
            part: None,
            rows: None,
            memory: source.memory.as_ref(),
        };
        let groups = match source.format {
            FileFormat::Csv => None,
            // Batches split a table in memory as row groups split a file.
            FileFormat::Memory => source
                .memory
                .as_ref()
                .map(|m| m.0.iter().map(|b| b.num_rows() as u64).collect()),
            FileFormat::Parquet => File::open(file)
                .ok()
                .and_then(|f| ParquetRecordBatchReaderBuilder::try_new(f).ok())
                .map(|b| {
                    b.metadata()
                        .row_groups()
                        .iter()
                        .map(|g| g.num_rows() as u64)
                        .collect::<Vec<u64>>()
                }),
        };
        whole.rows = groups.as_ref().map(|g| g.iter().sum());
        let Some(groups) = groups.filter(|g| g.len() > 1) else {
            out.push(whole);
            continue;
        };
        let (mut start, mut rows, mut current) = (0u64, 0u64, Vec::new());
        let mut first = true;
        for (i, n) in groups.iter().enumerate() {
            current.push(i);
            rows += n;
            if rows >= unit_rows || i + 1 == groups.len() {
                out.push(Unit {
                    file,
                    format: source.format,
                    encoding: source.encoding,
                    part: Some(Part {
                        row_groups: std::mem::take(&mut current),
                        first_row: start,
                        first_of_file: first,
                    }),
                    rows: Some(rows),
                    memory: source.memory.as_ref(),
                });
                first = false;
                start += rows;
                rows = 0;
            }
        }
    }
    out
}

/// Reads one unit.
pub fn read_unit<'s>(
    unit: &Unit<'s>,
    wanted: &[&Column],
    compact: &[&str],
    log: &mut ProblemLog,
    on_batch: &mut dyn FnMut(LoadedBatch<'s>, &mut ProblemLog) -> ControlFlow<()>,
) -> ControlFlow<()> {
    match unit.format {
        FileFormat::Parquet => read_parquet(
            unit.file,
            unit.part.as_ref(),
            wanted,
            compact,
            log,
            on_batch,
        ),
        FileFormat::Csv => read_csv(unit.file, unit.encoding, wanted, log, on_batch),
        FileFormat::Memory => {
            let batches = unit
                .memory
                .expect("a unit of a table in memory has its batches");
            read_memory(
                unit.file,
                batches,
                unit.part.as_ref(),
                wanted,
                compact,
                log,
                on_batch,
            )
        }
    }
}

pub(super) fn output_schema(columns: &[&Column]) -> Arc<ArrowSchema> {
    Arc::new(ArrowSchema::new(
        columns
            .iter()
            .map(|c| Field::new(&c.name, arrow_type(&c.ty), true))
            .collect::<Vec<_>>(),
    ))
}

pub(super) fn make_batch(
    schema: Arc<ArrowSchema>,
    arrays: Vec<ArrayRef>,
    rows: usize,
) -> Result<RecordBatch, arrow::error::ArrowError> {
    RecordBatch::try_new_with_options(
        schema,
        arrays,
        &RecordBatchOptions::new().with_row_count(Some(rows)),
    )
}

/// Reads a Parquet file (or some row groups of it). The columns named in
/// `compact`, which the caller keeps narrower than the contract's type
/// (see `data::compact`), are decoded straight into that storage where the
/// file allows it.
fn read_parquet<'s>(
    file: &'s Path,
    part: Option<&Part>,
    wanted: &[&Column],
    compact: &[&str],
    log: &mut ProblemLog,
    on_batch: &mut dyn FnMut(LoadedBatch<'s>, &mut ProblemLog) -> ControlFlow<()>,
) -> ControlFlow<()> {
    // Problems of the whole file are told once, by its first part.
    let whole_file = part.is_none_or(|p| p.first_of_file);
    let builder = match File::open(file)
        .map_err(|e| unreadable(file, &e))
        .and_then(|f| {
            let metadata = ArrowReaderMetadata::load(&f, ArrowReaderOptions::default())
                .map_err(|e| unreadable(file, &e))?;
            let metadata = with_compact_types(metadata, wanted, compact);
            Ok(ParquetRecordBatchReaderBuilder::new_with_metadata(
                f, metadata,
            ))
        }) {
        Ok(builder) => builder,
        Err(problem) => {
            if whole_file {
                log.push(problem);
            }
            return ControlFlow::Continue(());
        }
    };
    let builder = match part {
        Some(p) => builder.with_row_groups(p.row_groups.clone()),
        None => builder,
    };
    let readable = Readable::plan(file, builder.schema(), wanted, compact, whole_file, log);
    let mask = ProjectionMask::roots(builder.parquet_schema(), readable.projected.iter().copied());
    let reader = match builder
        .with_projection(mask)
        .with_batch_size(BATCH_ROWS)
        .build()
    {
        Ok(reader) => reader,
        Err(e) => {
            if whole_file {
                log.push(unreadable(file, &e));
            }
            return ControlFlow::Continue(());
        }
    };
    let mut first_row = part.map_or(0, |p| p.first_row);
    for batch in reader {
        let batch = match batch {
            Ok(batch) => batch,
            Err(e) => {
                log.push(unreadable(file, &e));
                return ControlFlow::Continue(());
            }
        };
        let rows = batch.num_rows() as u64;
        let Some(loaded) = readable.convert(file, &batch, first_row, log) else {
            return ControlFlow::Continue(());
        };
        first_row += rows;
        on_batch(loaded, log)?;
    }
    ControlFlow::Continue(())
}

/// Reads a table given in memory (or some of its batches), as a Parquet
/// file is read: its batches are the file's rows.
#[allow(clippy::too_many_arguments)]
fn read_memory<'s>(
    label: &'s Path,
    batches: &MemoryBatches,
    part: Option<&Part>,
    wanted: &[&Column],
    compact: &[&str],
    log: &mut ProblemLog,
    on_batch: &mut dyn FnMut(LoadedBatch<'s>, &mut ProblemLog) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let whole_file = part.is_none_or(|p| p.first_of_file);
    let all: Vec<usize> = (0..batches.0.len()).collect();
    let chosen = part.map_or(all.as_slice(), |p| p.row_groups.as_slice());
    // Every batch of a table has its schema; an empty table has none.
    let Some(schema) = batches.0.first().map(|b| b.schema()) else {
        return ControlFlow::Continue(());
    };
    let readable = Readable::plan(label, &schema, wanted, compact, whole_file, log);
    let mut first_row = part.map_or(0, |p| p.first_row);
    for &index in chosen {
        let batch = &batches.0[index];
        if batch.schema() != schema {
            log.push(Problem::new(
                ProblemKind::WrongType,
                label,
                format!(
                    "batch {} has other columns than the first; give the table one schema",
                    index + 1
                ),
            ));
            return ControlFlow::Continue(());
        }
        let projected = match batch.project(&readable.projected) {
            Ok(projected) => projected,
            Err(e) => {
                log.push(unreadable(label, &e));
                return ControlFlow::Continue(());
            }
        };
        let Some(loaded) = readable.convert(label, &projected, first_row, log) else {
            return ControlFlow::Continue(());
        };
        first_row += batch.num_rows() as u64;
        on_batch(loaded, log)?;
    }
    ControlFlow::Continue(())
}

/// `metadata` asking the reader for the compact type of each wanted column
/// named in `compact` ([`compact_read_type`]): an enumeration's codes kept
/// as the file's dictionary instead of a string a row, a decimal of up to
/// 18 digits stored as 32 or 64-bit integers read into 64 bits, not 128.
/// The metadata as it was when no column has such a type, or when the
/// reader would not accept them.
fn with_compact_types(
    metadata: ArrowReaderMetadata,
    wanted: &[&Column],
    compact: &[&str],
) -> ArrowReaderMetadata {
    if compact.is_empty() {
        return metadata;
    }
    let schema = metadata.schema();
    let leaves = metadata.parquet_schema();
    let physical = |name: &str| {
        leaves
            .columns()
            .iter()
            .find(|c| c.path().parts() == [name])
            .map(|c| c.physical_type())
    };
    let mut changed = false;
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|field| {
            let name = field.name().as_str();
            let narrower = wanted
                .iter()
                .find(|c| c.name == name && compact.contains(&name))
                .and_then(|c| compact_read_type(field.data_type(), &c.ty, physical(name)?));
            match narrower {
                Some(ty) => {
                    changed = true;
                    field.as_ref().clone().with_data_type(ty)
                }
                None => field.as_ref().clone(),
            }
        })
        .collect();
    if !changed {
        return metadata;
    }
    let hinted = Arc::new(ArrowSchema::new_with_metadata(
        fields,
        schema.metadata().clone(),
    ));
    let options = ArrowReaderOptions::new().with_schema(hinted);
    ArrowReaderMetadata::try_new(metadata.metadata().clone(), options).unwrap_or(metadata)
}

fn unreadable(file: &Path, e: &dyn std::fmt::Display) -> Problem {
    Problem::new(
        ProblemKind::UnreadableFile,
        file,
        format!("cannot read this file as Parquet: {e}"),
    )
}

/// The wanted columns a file has, each with its position among the file's
/// columns and how it converts to the contract's type.
struct Readable<'c> {
    columns: Vec<(&'c Column, usize, Conversion)>,
    /// The file's columns read, in file order (how a projection keeps them).
    projected: Vec<usize>,
    schema: Arc<ArrowSchema>,
}

impl<'c> Readable<'c> {
    /// Matches the wanted columns by name and plans each conversion once,
    /// logging (for the file's first part only) what cannot be read.
    fn plan(
        file: &Path,
        file_schema: &ArrowSchema,
        wanted: &[&'c Column],
        compact: &[&str],
        whole_file: bool,
        log: &mut ProblemLog,
    ) -> Readable<'c> {
        let mut log_file = |problem: Problem| {
            if whole_file {
                log.push(problem);
            }
        };
        let repeated = repeated_names(
            file,
            file_schema.fields().iter().map(|f| f.name().as_str()),
            None,
        );
        let ambiguous: Vec<String> = repeated.iter().filter_map(|p| p.column.clone()).collect();
        for problem in repeated {
            log_file(problem);
        }
        let mut columns: Vec<(&Column, usize, Conversion)> = Vec::new();
        let mut types: Vec<DataType> = Vec::new();
        for column in wanted {
            if ambiguous.contains(&column.name) {
                continue;
            }
            let Some((index, field)) = file_schema.column_with_name(&column.name) else {
                log_file(
                    Problem::new(
                        ProblemKind::MissingColumn,
                        file,
                        format!(
                            "column `{}` is missing; expected {}",
                            column.name,
                            arrow_type(&column.ty)
                        ),
                    )
                    .in_column(&column.name),
                );
                continue;
            };
            let conversion = if compact.contains(&column.name.as_str()) {
                Conversion::plan_compact(field.data_type(), &column.ty)
            } else {
                Conversion::plan(field.data_type(), &column.ty)
            };
            match conversion {
                Ok(conversion) => {
                    types.push(conversion.output_type(field.data_type()));
                    columns.push((column, index, conversion))
                }
                Err(why) => log_file(
                    Problem::new(ProblemKind::WrongType, file, why).in_column(&column.name),
                ),
            }
        }
        let mut projected: Vec<usize> = columns.iter().map(|(_, i, _)| *i).collect();
        projected.sort_unstable();
        // The contract's types, but for columns kept in their compact type.
        let fields: Vec<Field> = columns
            .iter()
            .zip(types)
            .map(|((c, _, _), ty)| Field::new(&c.name, ty, true))
            .collect();
        Readable {
            schema: Arc::new(ArrowSchema::new(fields)),
            columns,
            projected,
        }
    }

    /// A batch of the file's projected columns in the contract's types;
    /// `None` when a whole column cannot be converted (logged).
    fn convert<'s>(
        &self,
        file: &'s Path,
        batch: &RecordBatch,
        first_row: u64,
        log: &mut ProblemLog,
    ) -> Option<LoadedBatch<'s>> {
        let rows = batch.num_rows();
        let mut damaged = Vec::new();
        let mut arrays = Vec::with_capacity(self.columns.len());
        for (column, index, conversion) in &self.columns {
            // The projected batch keeps file order; find the column by its position.
            let position = self.projected.binary_search(index).unwrap_or_default();
            let found = batch.column(position);
            match conversion.apply(found) {
                Ok(converted) => {
                    for (row, why) in converted.lossy {
                        log.push(
                            Problem::new(ProblemKind::LossyValue, file, why)
                                .in_column(&column.name)
                                .at(RowRef::Row(first_row + row as u64 + 1)),
                        );
                        if damaged.is_empty() {
                            damaged = vec![false; rows];
                        }
                        damaged[row] = true;
                    }
                    arrays.push(converted.array);
                }
                Err(e) => {
                    log.push(
                        Problem::new(
                            ProblemKind::LossyValue,
                            file,
                            format!("cannot convert this column: {e}"),
                        )
                        .in_column(&column.name),
                    );
                    return None;
                }
            }
        }
        let mut loaded = match make_batch(self.schema.clone(), arrays, rows) {
            Ok(batch) => LoadedBatch {
                file,
                rows: RowNumbers::Offset(first_row),
                batch,
                damaged,
            },
            Err(e) => {
                log.push(unreadable(file, &e));
                return None;
            }
        };
        check_ranges(&mut loaded, log);
        Some(loaded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{AsArray, Int32Array, StringArray};
    use arrow::datatypes::DataType;
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;

    #[test]
    fn parts_of_a_file_number_their_rows_from_the_file_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let schema = Arc::new(ArrowSchema::new(vec![
            Field::new("id", DataType::Utf8, false),
            Field::new("n", DataType::Int32, false),
        ]));
        let ids: Vec<String> = (1..=12).map(|i| format!("R{i}")).collect();
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(ids)),
                Arc::new(Int32Array::from((1..=12).collect::<Vec<i32>>())),
            ],
        )
        .unwrap();
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(3))
            .build();
        let mut writer =
            ArrowWriter::try_new(File::create(&path).unwrap(), schema, Some(props)).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();

        let source = TableSource {
            table: "t".into(),
            format: FileFormat::Parquet,
            files: vec![path.clone()],
            skipped: Vec::new(),
            encoding: TextEncoding::default(),
            memory: None,
        };
        let parts = units_of(&source, 3);
        assert_eq!(parts.len(), 4);
        assert!(parts[0].part.as_ref().unwrap().first_of_file);
        assert!(!parts[1].part.as_ref().unwrap().first_of_file);
        let columns = [
            Column {
                name: "id".into(),
                ty: crate::ir::ColumnType::Text,
                nullable: false,
                doc: None,
            },
            Column {
                name: "missing".into(),
                ty: crate::ir::ColumnType::Text,
                nullable: false,
                doc: None,
            },
        ];
        let wanted: Vec<&Column> = columns.iter().collect();
        let mut log = ProblemLog::default();
        let mut firsts = Vec::new();
        for unit in &parts {
            let _ = read_unit(unit, &wanted, &[], &mut log, &mut |batch, _| {
                firsts.push((
                    batch.row_ref(0),
                    batch
                        .column("id")
                        .unwrap()
                        .as_string::<i32>()
                        .value(0)
                        .to_string(),
                ));
                ControlFlow::Continue(())
            });
        }
        assert_eq!(firsts[3], (RowRef::Row(10), "R10".to_string()));
        // The missing column is told once, not once per part.
        assert_eq!(log.total(), 1);
    }

    #[test]
    fn columns_kept_compact_are_decoded_straight_into_their_storage() {
        use arrow::array::{Decimal128Array, DictionaryArray};
        use arrow::datatypes::Int32Type;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let kinds: DictionaryArray<Int32Type> =
            vec!["drug", "service", "drug"].into_iter().collect();
        let kinds = arrow::compute::cast(&kinds, &DataType::Utf8).unwrap();
        let prices = Decimal128Array::from(vec![Some(1250), None, Some(-5)])
            .with_precision_and_scale(10, 2)
            .unwrap();
        let batch = RecordBatch::try_from_iter(vec![
            ("kind", kinds),
            ("price", Arc::new(prices) as ArrayRef),
        ])
        .unwrap();
        let mut writer =
            ArrowWriter::try_new(File::create(&path).unwrap(), batch.schema(), None).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        let source = TableSource {
            table: "t".into(),
            format: FileFormat::Parquet,
            files: vec![path],
            skipped: Vec::new(),
            encoding: TextEncoding::default(),
            memory: None,
        };
        let columns = [
            Column {
                name: "kind".into(),
                ty: crate::ir::ColumnType::Enum(vec!["drug".into(), "service".into()]),
                nullable: true,
                doc: None,
            },
            Column {
                name: "price".into(),
                ty: crate::ir::ColumnType::Decimal {
                    precision: 12,
                    scale: 2,
                },
                nullable: true,
                doc: None,
            },
        ];
        let wanted: Vec<&Column> = columns.iter().collect();
        let read = |compact: &[&str]| {
            let mut log = ProblemLog::default();
            let mut types = Vec::new();
            for unit in &units_of(&source, 1) {
                let _ = read_unit(unit, &wanted, compact, &mut log, &mut |batch, _| {
                    types.push((
                        batch.column("kind").unwrap().clone(),
                        batch.column("price").unwrap().clone(),
                    ));
                    ControlFlow::Continue(())
                });
            }
            assert_eq!(log.total(), 0);
            types.remove(0)
        };
        let (kind, price) = read(&["kind", "price"]);
        assert_eq!(
            kind.data_type(),
            &DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
        );
        let kind = arrow::compute::cast(&kind, &DataType::Utf8).unwrap();
        let kind: Vec<Option<&str>> = kind.as_string::<i32>().iter().collect();
        assert_eq!(kind, [Some("drug"), Some("service"), Some("drug")]);
        // The contract's precision, the file's digits.
        assert_eq!(price.data_type(), &DataType::Decimal64(12, 2));
        let price = price.as_primitive::<arrow::datatypes::Decimal64Type>();
        assert_eq!(
            price.iter().collect::<Vec<_>>(),
            [Some(1250), None, Some(-5)]
        );
        // Read for anything else, the contract's types.
        let (kind, price) = read(&[]);
        assert_eq!(kind.data_type(), &DataType::Utf8);
        assert_eq!(price.data_type(), &DataType::Decimal128(12, 2));
    }
}
