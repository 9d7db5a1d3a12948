//! The loader through the real binary: `claimaudit validate` accepts every
//! lossless storage variant and refuses each kind of bad input with a
//! message that names the file, the column and the row.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Date64Array, Decimal128Array, Decimal256Array, DictionaryArray,
    Float64Array, Int64Array, LargeListArray, LargeStringArray, RecordBatch, StringArray,
    StringViewArray, TimestampMillisecondArray, TimestampNanosecondArray, TimestampSecondArray,
    UInt8Array,
};
use arrow::compute::{cast, concat_batches};
use arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Field, Int8Type, Int32Type, Schema, i256,
};
use claimaudit::check::chs_schema;
use claimaudit::data::arrow_types::table_arrow_schema;
use claimaudit::data::load::{ProblemLog, locate_tables, read_table};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

const FIXTURE: &str = "fixtures/line_rules";

/// Writes the fixture's tables as Parquet files with the contract's exact types.
fn base_dataset() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let schema = chs_schema();
    let sources = locate_tables(Path::new(FIXTURE), &schema).unwrap();
    for source in &sources {
        let table = schema.table(&source.table).unwrap();
        let mut batches = Vec::new();
        let mut log = ProblemLog::default();
        let _ = read_table(source, table, None, &mut log, &mut |batch, _| {
            batches.push(batch.batch);
            std::ops::ControlFlow::Continue(())
        });
        assert!(log.is_empty(), "{:?}", log.problems());
        let contract = table_arrow_schema(table);
        // A table without rows (the fixture's knowledge base) reads as no batch.
        let exact = match batches.first() {
            None => RecordBatch::new_empty(contract),
            Some(first) => {
                let merged = concat_batches(&first.schema(), &batches).unwrap();
                RecordBatch::try_new(contract, merged.columns().to_vec()).unwrap()
            }
        };
        write(
            &dir.path().join(format!("{}.parquet", source.table)),
            &exact,
        );
    }
    dir
}

fn write(path: &Path, batch: &RecordBatch) {
    let mut writer =
        ArrowWriter::try_new(File::create(path).unwrap(), batch.schema(), None).unwrap();
    writer.write(batch).unwrap();
    writer.close().unwrap();
}

fn read(path: &Path) -> RecordBatch {
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap())
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
    concat_batches(&batches[0].schema(), &batches).unwrap()
}

fn table_path(dir: &Path, table: &str) -> PathBuf {
    dir.join(format!("{table}.parquet"))
}

/// Rewrites one table, letting `change` replace its columns.
fn rewrite(dir: &Path, table: &str, change: impl FnOnce(RecordBatch) -> RecordBatch) {
    let path = table_path(dir, table);
    let changed = change(read(&path));
    write(&path, &changed);
}

/// The batch with column `name` replaced by `array` (whatever its type).
fn replace(batch: RecordBatch, name: &str, array: ArrayRef) -> RecordBatch {
    let index = batch.schema().index_of(name).unwrap();
    let mut fields: Vec<Field> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    fields[index] = Field::new(name, array.data_type().clone(), true);
    let mut columns = batch.columns().to_vec();
    columns[index] = array;
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap()
}

/// The batch with row `row` of text column `name` (no nulls) set to `value`.
fn set_text(batch: RecordBatch, name: &str, row: usize, value: &str) -> RecordBatch {
    let mut texts: Vec<String> = batch
        .column_by_name(name)
        .unwrap()
        .as_string::<i32>()
        .iter()
        .map(|v| v.unwrap().to_string())
        .collect();
    texts[row] = value.to_string();
    replace(batch, name, Arc::new(StringArray::from(texts)))
}

fn recast(batch: RecordBatch, name: &str, to: DataType) -> RecordBatch {
    let array = cast(batch.column_by_name(name).unwrap(), &to).unwrap();
    replace(batch, name, array)
}

fn drop_column(batch: RecordBatch, name: &str) -> RecordBatch {
    let index = batch.schema().index_of(name).unwrap();
    let mut batch = batch;
    batch.remove_column(index);
    batch
}

fn validate(dir: &Path) -> (i32, String) {
    validate_with(dir, &[])
}

/// `claimaudit validate --data DIR` with more arguments.
fn validate_with(dir: &Path, args: &[&str]) -> (i32, String) {
    status_and_text(
        Command::new(env!("CARGO_BIN_EXE_claimaudit"))
            .args(["validate", "--data"])
            .arg(dir)
            .args(args),
    )
}

/// The exit code of the command run to its end, and what it wrote (stdout
/// then stderr).
fn status_and_text(command: &mut Command) -> (i32, String) {
    let output = command.output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.code().unwrap_or(-1), text)
}

/// A copy of the CSV fixture, to spoil.
fn csv_dataset() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in fs::read_dir(FIXTURE).unwrap() {
        let path = entry.unwrap().path();
        fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    dir
}

/// Replaces the first `from` in a file of `dir` with `to`.
fn edit(dir: &Path, file: &str, from: &str, to: &str) {
    let path = dir.join(file);
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{from:?} not in {file}");
    fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

fn assert_valid(dir: &Path) {
    let (code, text) = validate(dir);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains(": valid"), "{text}");
}

fn assert_refused(dir: &Path, expected: &[&str]) -> String {
    let (code, text) = validate(dir);
    assert_eq!(code, 1, "{text}");
    for needle in expected {
        assert!(text.contains(needle), "expected {needle:?} in:\n{text}");
    }
    text
}

// ---------------------------------------------------------------- accepted

#[test]
fn the_exact_contract_is_valid_and_summarized() {
    let dir = base_dataset();
    let (code, text) = validate(dir.path());
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("claims         14 rows in 1 file"), "{text}");
    assert!(
        text.contains("visit_type           outpatient 10 · pharmacy 4"),
        "{text}"
    );
    assert!(
        text.contains("admit_date           2023-02-28 .. 2024-09-10"),
        "{text}"
    );
}

#[test]
fn accepts_large_view_and_dictionary_strings() {
    let dir = base_dataset();
    rewrite(dir.path(), "claims", |b| {
        let b = recast(b, "claim_id", DataType::LargeUtf8);
        let b = recast(b, "patient_id", DataType::Utf8View);
        let visit: DictionaryArray<Int8Type> = b
            .column_by_name("visit_type")
            .unwrap()
            .as_string::<i32>()
            .iter()
            .collect();
        replace(b, "visit_type", Arc::new(visit))
    });
    rewrite(dir.path(), "claim_items", |b| {
        let codes: Vec<Option<&str>> = b
            .column_by_name("item_code")
            .unwrap()
            .as_string::<i32>()
            .iter()
            .collect();
        let view = StringViewArray::from(codes.clone());
        let b = replace(b.clone(), "item_code", Arc::new(view));
        let claim_ids = LargeStringArray::from(
            b.column_by_name("claim_id")
                .unwrap()
                .as_string::<i32>()
                .iter()
                .collect::<Vec<_>>(),
        );
        replace(b, "claim_id", Arc::new(claim_ids))
    });
    assert_valid(dir.path());
    let _ = StringArray::from(vec!["unused"]);
}

#[test]
fn accepts_other_timestamp_units_and_zones() {
    for unit in ["s", "ns", "utc"] {
        let dir = base_dataset();
        rewrite(dir.path(), "claims", |b| {
            let ms = b
                .column_by_name("settle_time")
                .unwrap()
                .as_primitive::<arrow::datatypes::TimestampMillisecondType>()
                .clone();
            let array: ArrayRef = match unit {
                "s" => Arc::new(TimestampSecondArray::from(
                    ms.iter().map(|v| v.map(|v| v / 1000)).collect::<Vec<_>>(),
                )),
                "ns" => Arc::new(TimestampNanosecondArray::from(
                    ms.iter()
                        .map(|v| v.map(|v| v * 1_000_000))
                        .collect::<Vec<_>>(),
                )),
                _ => Arc::new(
                    TimestampMillisecondArray::from(
                        ms.iter()
                            .map(|v| v.map(|v| v - 8 * 3_600_000))
                            .collect::<Vec<_>>(),
                    )
                    .with_timezone("UTC"),
                ),
            };
            replace(b, "settle_time", array)
        });
        assert_valid(dir.path());
    }
}

#[test]
fn accepts_wider_and_narrower_decimals_and_integers() {
    let dir = base_dataset();
    rewrite(dir.path(), "claims", |b| {
        let b = recast(b, "total_amount", DataType::Decimal128(38, 6));
        let b = recast(b, "fund_amount", DataType::Decimal128(12, 2));
        let fund: Vec<Option<i256>> = b
            .column_by_name("fund_amount")
            .unwrap()
            .as_primitive::<Decimal128Type>()
            .iter()
            .map(|v| v.map(i256::from_i128))
            .collect();
        let wide = Decimal256Array::from(fund)
            .with_precision_and_scale(60, 2)
            .unwrap();
        replace(b, "fund_amount", Arc::new(wide))
    });
    rewrite(dir.path(), "claim_items", |b| {
        let b = recast(b, "line_no", DataType::Int64);
        let b = recast(b, "days_supply", DataType::Int16);
        recast(b, "quantity", DataType::Decimal128(20, 6))
    });
    rewrite(dir.path(), "providers", |b| {
        let levels: Vec<u8> = b
            .column_by_name("level")
            .unwrap()
            .as_primitive::<Int32Type>()
            .values()
            .iter()
            .map(|v| *v as u8)
            .collect();
        replace(b, "level", Arc::new(UInt8Array::from(levels)))
    });
    assert_valid(dir.path());
}

#[test]
fn accepts_integers_for_decimals_and_date64_and_midnight_timestamps_for_dates() {
    let dir = base_dataset();
    rewrite(dir.path(), "claim_items", |b| {
        let quantities: Vec<i64> = b
            .column_by_name("quantity")
            .unwrap()
            .as_primitive::<Decimal128Type>()
            .values()
            .iter()
            .map(|v| (*v / 1000) as i64)
            .collect();
        let b = replace(b, "quantity", Arc::new(Int64Array::from(quantities)));
        let days = b
            .column_by_name("service_date")
            .unwrap()
            .as_primitive::<Date32Type>()
            .clone();
        let midnight = TimestampMillisecondArray::from(
            days.values()
                .iter()
                .map(|d| *d as i64 * 86_400_000)
                .collect::<Vec<_>>(),
        );
        replace(b, "service_date", Arc::new(midnight))
    });
    rewrite(dir.path(), "claims", |b| {
        let days = b
            .column_by_name("admit_date")
            .unwrap()
            .as_primitive::<Date32Type>()
            .clone();
        let date64 = Date64Array::from(
            days.values()
                .iter()
                .map(|d| *d as i64 * 86_400_000)
                .collect::<Vec<_>>(),
        );
        replace(b, "admit_date", Arc::new(date64))
    });
    assert_valid(dir.path());
}

#[test]
fn accepts_large_lists_of_dictionary_strings() {
    let dir = base_dataset();
    rewrite(dir.path(), "claims", |b| {
        let large = DataType::LargeList(Arc::new(Field::new("element", DataType::LargeUtf8, true)));
        recast(b, "secondary_dx", large)
    });
    rewrite(dir.path(), "catalog", |b| {
        let dictionary = DataType::List(Arc::new(Field::new(
            "item",
            DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
            true,
        )));
        recast(b, "dx_prefixes", dictionary)
    });
    assert_valid(dir.path());
    let _ = LargeListArray::new_null(Arc::new(Field::new("x", DataType::Utf8, true)), 0);
}

#[test]
fn ignores_extra_columns_and_reads_folders_of_parts() {
    let dir = base_dataset();
    rewrite(dir.path(), "patients", |b| {
        let names = StringArray::from(vec!["王秀英", "李娜", "张伟", "刘洋"]);
        let mut fields: Vec<Field> = b
            .schema()
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        fields.push(Field::new("patient_name", DataType::Utf8, true));
        let mut columns = b.columns().to_vec();
        columns.push(Arc::new(names));
        RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap()
    });
    let lines = read(&table_path(dir.path(), "claim_items"));
    fs::remove_file(table_path(dir.path(), "claim_items")).unwrap();
    let parts = dir.path().join("claim_items/year=2024");
    fs::create_dir_all(&parts).unwrap();
    write(&parts.join("part-0.parquet"), &lines.slice(0, 10));
    write(
        &parts.join("part-1.parquet"),
        &lines.slice(10, lines.num_rows() - 10),
    );
    fs::write(dir.path().join("claim_items/_SUCCESS"), b"").unwrap();
    let (code, text) = validate(dir.path());
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("claim_items    32 rows in 2 files"), "{text}");
}

#[test]
fn accepts_the_csv_fixtures_directly() {
    for fixture in ["fixtures/line_rules", "fixtures/claim_rules"] {
        assert_valid(Path::new(fixture));
    }
}

// ---------------------------------------------------------------- refused

#[test]
fn refuses_a_missing_table() {
    let dir = base_dataset();
    fs::remove_file(table_path(dir.path(), "providers")).unwrap();
    assert_refused(dir.path(), &["error[D001]", "table `providers` is missing"]);
}

#[test]
fn refuses_a_missing_column() {
    let dir = base_dataset();
    rewrite(dir.path(), "claims", |b| drop_column(b, "admit_date"));
    assert_refused(
        dir.path(),
        &[
            "error[D004]: claims.parquet, column `admit_date`: column `admit_date` is missing; expected Date32",
        ],
    );
}

#[test]
fn refuses_floating_point_money_and_text_dates() {
    let dir = base_dataset();
    rewrite(dir.path(), "claims", |b| {
        let b = recast(b, "total_amount", DataType::Float64);
        recast(b, "admit_date", DataType::Utf8)
    });
    assert_refused(
        dir.path(),
        &[
            "error[D005]: claims.parquet, column `total_amount`: expected Decimal128(18, 2), found Float64: floating-point numbers cannot hold money exactly",
            "error[D005]: claims.parquet, column `admit_date`: expected Date32, found Utf8",
        ],
    );
    let _ = Float64Array::from(vec![0.0]);
}

#[test]
fn refuses_values_that_a_cast_would_change() {
    let dir = base_dataset();
    rewrite(dir.path(), "claim_items", |b| {
        let mut lines: Vec<i64> = b
            .column_by_name("line_no")
            .unwrap()
            .as_primitive::<Int32Type>()
            .values()
            .iter()
            .map(|v| *v as i64)
            .collect();
        lines[4] = 3_000_000_000;
        let b = replace(b, "line_no", Arc::new(Int64Array::from(lines)));
        let mut prices: Vec<i128> = b
            .column_by_name("unit_price")
            .unwrap()
            .as_primitive::<Decimal128Type>()
            .values()
            .iter()
            .map(|v| *v * 100)
            .collect();
        prices[6] += 7;
        let prices = Decimal128Array::from(prices)
            .with_precision_and_scale(20, 6)
            .unwrap();
        replace(b, "unit_price", Arc::new(prices))
    });
    assert_refused(
        dir.path(),
        &[
            "error[D006]: claim_items.parquet, column `line_no`, row 5: value 3000000000 does not fit Int32",
            "error[D006]: claim_items.parquet, column `unit_price`, row 7: value 1.500107 has digits after the decimal point that the contract does not keep",
        ],
    );
}

#[test]
fn refuses_sub_millisecond_times() {
    let dir = base_dataset();
    rewrite(dir.path(), "claims", |b| {
        let ms = b
            .column_by_name("settle_time")
            .unwrap()
            .as_primitive::<arrow::datatypes::TimestampMillisecondType>()
            .clone();
        let mut ns: Vec<i64> = ms.values().iter().map(|v| v * 1_000_000).collect();
        ns[2] += 1;
        replace(
            b,
            "settle_time",
            Arc::new(TimestampNanosecondArray::from(ns)),
        )
    });
    assert_refused(
        dir.path(),
        &[
            "column `settle_time`, row 3: value",
            "a fraction of a millisecond",
        ],
    );
}

#[test]
fn refuses_a_value_outside_an_enumeration() {
    let dir = base_dataset();
    rewrite(dir.path(), "claims", |b| {
        set_text(b, "visit_type", 1, "Outpatient")
    });
    assert_refused(
        dir.path(),
        &[
            "error[D009]: claims.parquet, column `visit_type`, row 2: `Outpatient` is not a value of `visit_type`; expected one of outpatient, inpatient, pharmacy (did you mean `outpatient`?)",
        ],
    );
}

#[test]
fn refuses_a_null_in_a_required_column() {
    let dir = base_dataset();
    rewrite(dir.path(), "claim_items", |b| {
        let mut doctors: Vec<Option<String>> = b
            .column_by_name("doctor_id")
            .unwrap()
            .as_string::<i32>()
            .iter()
            .map(|v| v.map(String::from))
            .collect();
        doctors[9] = None;
        replace(b, "doctor_id", Arc::new(StringArray::from(doctors)))
    });
    assert_refused(
        dir.path(),
        &[
            "error[D008]: claim_items.parquet, column `doctor_id`, row 10: `doctor_id` is required but is null",
        ],
    );
}

#[test]
fn refuses_a_line_whose_claim_does_not_exist() {
    let dir = base_dataset();
    rewrite(dir.path(), "claim_items", |b| {
        set_text(b, "claim_id", 0, "C404")
    });
    assert_refused(
        dir.path(),
        &[
            "error[D011]: claim_items.parquet, column `claim_id`, row 1: no row of `claims` has claim_id = C404",
        ],
    );
}

#[test]
fn refuses_a_duplicate_key_in_a_reference_table() {
    let dir = base_dataset();
    rewrite(dir.path(), "catalog", |b| {
        let first = b
            .column_by_name("item_code")
            .unwrap()
            .as_string::<i32>()
            .value(0)
            .to_string();
        set_text(b, "item_code", 3, &first)
    });
    assert_refused(
        dir.path(),
        &[
            "error[D010]: catalog.parquet, column `item_code`, row 4: the key (item_code = XJ01CAA040A001) appears more than once in `catalog`",
        ],
    );
}

#[test]
fn refuses_a_duplicate_line_number_within_a_claim() {
    let dir = base_dataset();
    rewrite(dir.path(), "claim_items", |b| {
        let mut lines: Vec<i32> = b
            .column_by_name("line_no")
            .unwrap()
            .as_primitive::<Int32Type>()
            .values()
            .to_vec();
        lines[1] = 1;
        replace(
            b,
            "line_no",
            Arc::new(arrow::array::Int32Array::from(lines)),
        )
    });
    assert_refused(
        dir.path(),
        &[
            "error[D010]: claim_items.parquet, column `claim_id`, row 2: the key (claim_id = C01, line_no = 1) appears more than once",
        ],
    );
}

#[test]
fn refuses_a_discharge_before_the_admission() {
    let dir = base_dataset();
    rewrite(dir.path(), "claims", |b| {
        let mut days: Vec<i32> = b
            .column_by_name("discharge_date")
            .unwrap()
            .as_primitive::<Date32Type>()
            .values()
            .to_vec();
        days[0] -= 3;
        replace(
            b,
            "discharge_date",
            Arc::new(arrow::array::Date32Array::from(days)),
        )
    });
    assert_refused(
        dir.path(),
        &[
            "error[D012]: claims.parquet, column `discharge_date`, row 1: `discharge_date` is 2024-02-27, which breaks the rule `discharge_date >= admit_date` (`admit_date` is 2024-03-01)",
        ],
    );
}

#[test]
fn refuses_bad_text_cells_with_their_line() {
    let dir = csv_dataset();
    edit(dir.path(), "claims.csv", "2024-03-14", "2024-02-30");
    assert_refused(
        dir.path(),
        &[
            "error[D007]: claims.csv, column `admit_date`, line 3: `2024-02-30` is not a date like 2024-03-01",
        ],
    );
}

#[test]
fn json_output_lists_problems_for_programs() {
    let dir = base_dataset();
    rewrite(dir.path(), "claims", |b| drop_column(b, "treat_region"));
    let output = Command::new(env!("CARGO_BIN_EXE_claimaudit"))
        .args(["validate", "--format", "json", "--data"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["valid"], false);
    assert_eq!(report["problems"][0]["code"], "D004");
    assert_eq!(report["problems"][0]["column"], "treat_region");
    assert_eq!(report["problems"][0]["file"], "claims.parquet");
}

#[test]
fn a_missing_dataset_folder_is_reported() {
    let (code, text) = validate(Path::new("/nonexistent/dataset"));
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("does not exist"), "{text}");
}

// ------------------------------------------------- table folders (issue K)

/// Moves a table's Parquet file into a folder of parts named `names`.
fn split_into_parts(dir: &Path, table: &str, names: &[&str]) {
    let batch = read(&table_path(dir, table));
    fs::remove_file(table_path(dir, table)).unwrap();
    let rows = batch.num_rows();
    let per = rows.div_ceil(names.len());
    for (i, name) in names.iter().enumerate() {
        let path = dir.join(table).join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        let start = (i * per).min(rows);
        write(&path, &batch.slice(start, per.min(rows - start)));
    }
}

fn validate_json(dir: &Path) -> serde_json::Value {
    let output = Command::new(env!("CARGO_BIN_EXE_claimaudit"))
        .args(["validate", "--format", "json", "--data"])
        .arg(dir)
        .output()
        .unwrap();
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn a_table_folder_reads_every_parquet_part_whatever_its_name() {
    let dir = base_dataset();
    split_into_parts(
        dir.path(),
        "claim_items",
        &[
            "000000_0",
            "year=2024/part-00001-5f1e.c000",
            "part-2.parquet",
        ],
    );
    fs::write(dir.path().join("claim_items/_SUCCESS"), b"").unwrap();
    fs::write(dir.path().join("claim_items/.part-2.parquet.crc"), b"crc").unwrap();
    let (code, text) = validate(dir.path());
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("claim_items    32 rows in 3 files"), "{text}");
    assert!(
        text.contains("note: claim_items/: skipped 2 marker files: .part-2.parquet.crc, _SUCCESS"),
        "{text}"
    );
    let report = validate_json(dir.path());
    assert_eq!(
        report["skipped"]["claim_items"],
        serde_json::json!([".part-2.parquet.crc", "_SUCCESS"])
    );
    let scan = Command::new(env!("CARGO_BIN_EXE_claimaudit"))
        .args(["scan", "--format", "jsonl", "--data"])
        .arg(dir.path())
        .arg("--out")
        .arg(dir.path().join("flags.jsonl"))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&scan.stdout);
    assert_eq!(scan.status.code(), Some(0), "{out}");
    assert!(
        out.contains("note: claim_items/: skipped 2 marker files: .part-2.parquet.crc, _SUCCESS"),
        "{out}"
    );
}

#[test]
fn a_table_folder_refuses_files_that_are_not_parquet() {
    let dir = base_dataset();
    split_into_parts(
        dir.path(),
        "claim_items",
        &["part-0.parquet", "part-1.parquet"],
    );
    let folder = dir.path().join("claim_items");
    fs::write(folder.join("extra.csv"), "claim_id,line_no\nC01,1\n").unwrap();
    fs::write(folder.join("000001_0"), b"").unwrap();
    let whole = fs::read(folder.join("part-1.parquet")).unwrap();
    fs::write(folder.join("part-2.parquet"), &whole[..whole.len() - 10]).unwrap();
    let text = assert_refused(
        dir.path(),
        &[
            "error[D013]: claim_items/000001_0: an empty file, not Parquet; a table folder may hold only Parquet files (whatever their names) and marker files whose names start with `_` or `.`, so move this one out of the folder",
            "error[D013]: claim_items/extra.csv: a CSV file, not Parquet",
            "error[D013]: claim_items/part-2.parquet: a Parquet file cut short",
        ],
    );
    assert!(text.contains("3 problems found"), "{text}");
}

#[cfg(unix)]
#[test]
fn a_link_loop_in_a_table_folder_is_refused_not_followed() {
    let dir = base_dataset();
    split_into_parts(dir.path(), "claim_items", &["year=2024/part-0.parquet"]);
    let folder = dir.path().join("claim_items/year=2024");
    std::os::unix::fs::symlink("..", folder.join("back")).unwrap();
    std::os::unix::fs::symlink("part-0.parquet", folder.join("part-0-again")).unwrap();
    let text = assert_refused(
        dir.path(),
        &[
            "error[D016]: claim_items/year=2024/back: this link leads to the folder `claim_items`, which this table already reads; remove the link",
            "error[D016]: claim_items/year=2024/part-0-again: this link leads to the file `claim_items/year=2024/part-0.parquet`",
        ],
    );
    assert_eq!(text.matches("error[").count(), 2, "{text}");
}

// ------------------------------------------------- values (issue K)

#[test]
fn refuses_parquet_dates_and_times_outside_1900_to_2199() {
    let dir = base_dataset();
    rewrite(dir.path(), "claims", |b| {
        let mut days: Vec<i32> = b
            .column_by_name("admit_date")
            .unwrap()
            .as_primitive::<Date32Type>()
            .values()
            .to_vec();
        days[1] = i32::MAX;
        let mut times: Vec<i64> = b
            .column_by_name("settle_time")
            .unwrap()
            .as_primitive::<arrow::datatypes::TimestampMillisecondType>()
            .values()
            .to_vec();
        times[2] = i64::MAX;
        let b = replace(
            b,
            "admit_date",
            Arc::new(arrow::array::Date32Array::from(days)),
        );
        replace(
            b,
            "settle_time",
            Arc::new(TimestampMillisecondArray::from(times)),
        )
    });
    rewrite(dir.path(), "patients", |b| {
        let mut days: Vec<i32> = b
            .column_by_name("birth_date")
            .unwrap()
            .as_primitive::<Date32Type>()
            .values()
            .to_vec();
        days[0] = i32::MIN;
        replace(
            b,
            "birth_date",
            Arc::new(arrow::array::Date32Array::from(days)),
        )
    });
    let text = assert_refused(
        dir.path(),
        &[
            "error[D015]: claims.parquet, column `admit_date`, row 2: date 2147483647 days from 1970-01-01 is outside the accepted range 1900-01-01 to 2199-12-31; write an unknown or open-ended date as null",
            "error[D015]: claims.parquet, column `settle_time`, row 3: time 9223372036854775807 ms from 1970-01-01 is outside the accepted range 1900-01-01 00:00:00 to 2199-12-31 23:59:59.999",
            "error[D015]: patients.parquet, column `birth_date`, row 1: date -2147483648 days from 1970-01-01 is outside",
        ],
    );
    // The rows are reported once: later checks (discharge >= admit) skip them.
    assert!(text.contains("3 problems found"), "{text}");
}

#[test]
fn refuses_csv_dates_and_times_outside_1900_to_2199() {
    let dir = csv_dataset();
    edit(
        dir.path(),
        "providers.csv",
        "2015-01-01,",
        "2015-01-01,9999-12-31",
    );
    edit(dir.path(), "patients.csv", "1960-05-10", "1899-12-31");
    edit(
        dir.path(),
        "claims.csv",
        "2024-03-01 16:30:00",
        "2200-01-01 00:00:00",
    );
    assert_refused(
        dir.path(),
        &[
            "error[D015]: providers.csv, column `contract_to`, line 2: date 9999-12-31 is outside the accepted range 1900-01-01 to 2199-12-31",
            "error[D015]: patients.csv, column `birth_date`, line 2: date 1899-12-31 is outside",
            "error[D015]: claims.csv, column `settle_time`, line 2: time 2200-01-01 00:00:00.000 is outside",
        ],
    );
}

#[test]
fn refuses_csv_numbers_not_in_plain_notation() {
    let dir = csv_dataset();
    edit(dir.path(), "claims.csv", ",699.20,", ",6.992E+02,");
    edit(dir.path(), "claims.csv", ",381.50,", ",+381.50,");
    edit(dir.path(), "claims.csv", ",22.50,", ",\"1,022.50\",");
    edit(dir.path(), "claim_items.csv", ",15.00,", ",1_5.00,");
    assert_refused(
        dir.path(),
        &[
            "error[D007]: claims.csv, column `total_amount`, line 2: `6.992E+02` is in exponent notation, which a spreadsheet writes when it has rounded the number; write numbers in plain notation, like -123.45",
            "error[D007]: claims.csv, column `total_amount`, line 3: `+381.50` has a `+` sign",
            "error[D007]: claims.csv, column `total_amount`, line 4: `1,022.50` has a thousands separator",
            "error[D007]: claim_items.csv, column `amount`, line 2: `1_5.00` has `_` in it",
        ],
    );
}

#[test]
fn refuses_a_column_named_twice() {
    let dir = base_dataset();
    rewrite(dir.path(), "providers", |b| {
        let mut fields: Vec<Field> = b
            .schema()
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        fields.push(Field::new("provider_id", DataType::Utf8, true));
        let mut columns = b.columns().to_vec();
        columns.push(b.column_by_name("provider_name").unwrap().clone());
        RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap()
    });
    assert_refused(
        dir.path(),
        &[
            "error[D014]: providers.parquet, column `provider_id`: the column name `provider_id` appears more than once in this file; keep one column of each name",
        ],
    );

    let dir = csv_dataset();
    edit(
        dir.path(),
        "patients.csv",
        "benefit_start_date,region",
        "benefit_start_date,gender",
    );
    assert_refused(
        dir.path(),
        &[
            "error[D014]: patients.csv, column `gender`, line 1: the column name `gender` appears more than once",
        ],
    );
}

// ------------------------------------------------- encodings (issue K)

#[test]
fn reads_gb18030_csv_when_told_and_places_the_byte_when_not() {
    let dir = csv_dataset();
    // A GBK export writes every table so, not only those with Chinese text.
    let mut providers = (String::new(), Vec::new());
    for entry in fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let text = fs::read_to_string(&path).unwrap();
        let gbk = encoding_rs::GB18030.encode(&text).0.into_owned();
        fs::write(&path, &gbk).unwrap();
        if path.ends_with("providers.csv") {
            providers = (text, gbk);
        }
    }
    let (text, gbk) = providers;
    // `H3,杭州…` on line 2: the fourth byte of the line is the first that is not UTF-8.
    let offset = text.find('\n').unwrap() + 1 + 3;
    let (code, out) = validate(dir.path());
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "error[D003]: providers.csv, column `provider_name`, line 2: not valid UTF-8 at byte 4 of the line (0x{:02X}; byte offset {offset} of the file); if the file is GBK or GB18030, pass --encoding gb18030",
            gbk[offset]
        )),
        "{out}"
    );
    let (code, out) = validate_with(dir.path(), &["--encoding", "gb18030"]);
    assert_eq!(code, 0, "{out}");

    let flags = dir.path().join("flags.jsonl");
    let scan = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_claimaudit"))
            .args(["scan", "--format", "jsonl", "--data"])
            .arg(dir.path())
            .arg("--out")
            .arg(&flags)
            .args(extra)
            .output()
            .unwrap()
    };
    let refused = scan(&[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("pass --encoding gb18030"));
    let read = scan(&["--encoding", "gb18030"]);
    assert_eq!(
        read.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );

    for command in ["validate", "scan", "explain"] {
        let help = Command::new(env!("CARGO_BIN_EXE_claimaudit"))
            .args([command, "--help"])
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&help.stdout).contains("gb18030"),
            "{command}"
        );
    }
}

#[test]
fn a_utf8_byte_order_mark_is_dropped() {
    let dir = csv_dataset();
    for entry in fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend(fs::read(&path).unwrap());
        fs::write(&path, bytes).unwrap();
    }
    assert_valid(dir.path());
    let (code, text) = validate_with(dir.path(), &["--encoding", "gb18030"]);
    assert_eq!(code, 0, "{text}");
}

// ------------------------------------------------- the corpus (issue K)

/// Each folder of `tests/corpus/datasets` is a broken dataset: the CSV
/// fixture with the folder's files laid over it. Its `expected` file says
/// the exit code (`exit 1`), extra arguments (`args --encoding gb18030`)
/// and each text the output must hold (`has …`).
#[test]
fn every_dataset_of_the_corpus_is_refused_with_its_problem() {
    let mut cases: Vec<PathBuf> = fs::read_dir("tests/corpus/datasets")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 8, "{cases:?}");
    for case in cases {
        let dir = csv_dataset();
        let (mut exit, mut args, mut expected) = (1, Vec::new(), Vec::new());
        for entry in fs::read_dir(&case).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_owned();
            if name != "expected" {
                fs::copy(&path, dir.path().join(name)).unwrap();
                continue;
            }
            for line in fs::read_to_string(&path).unwrap().lines() {
                match line.split_once(' ') {
                    Some(("exit", code)) => exit = code.parse().unwrap(),
                    Some(("args", more)) => args.extend(more.split(' ').map(String::from)),
                    Some(("has", text)) => expected.push(text.to_string()),
                    _ => assert!(line.is_empty() || line.starts_with('#'), "{line}"),
                }
            }
        }
        assert!(!expected.is_empty(), "{}: nothing expected", case.display());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, text) = validate_with(dir.path(), &args);
        assert_eq!(code, exit, "{}:\n{text}", case.display());
        for needle in &expected {
            assert!(
                text.contains(needle),
                "{}: expected {needle:?} in:\n{text}",
                case.display()
            );
        }
    }
}

// ------------------------------------------ read for a scan, in compact form

/// `claimaudit scan --data DIR`, its flags in a temporary file.
fn scan(dir: &Path) -> (i32, String) {
    let out = tempfile::tempdir().unwrap();
    status_and_text(
        Command::new(env!("CARGO_BIN_EXE_claimaudit"))
            .args(["scan", "--threads", "2", "--data"])
            .arg(dir)
            .arg("--out")
            .arg(out.path().join("flags.parquet")),
    )
}

#[test]
fn a_scan_reading_an_enumeration_as_its_dictionary_still_names_a_value_outside_it() {
    // A scan decodes an enumeration straight into codes, not a string a
    // row; a value outside it is refused as `validate` refuses it.
    let dir = base_dataset();
    rewrite(dir.path(), "claims", |b| {
        set_text(b, "visit_type", 3, "Pharmacy")
    });
    let (code, text) = scan(dir.path());
    assert_ne!(code, 0, "{text}");
    assert!(
        text.contains("column `visit_type`, row 4: `Pharmacy` is not a value of `visit_type`"),
        "{text}"
    );
}

#[test]
fn a_scan_reading_a_decimal_into_64_bits_still_checks_it_against_the_contract() {
    // quantity (stored as 64-bit integers) is read as a 64-bit decimal by a
    // scan; the table's `check quantity > 0` still holds it to the literal.
    let dir = base_dataset();
    rewrite(dir.path(), "claim_items", |b| {
        let mut quantities: Vec<i128> = b
            .column_by_name("quantity")
            .unwrap()
            .as_primitive::<Decimal128Type>()
            .values()
            .to_vec();
        quantities[4] = 0;
        let DataType::Decimal128(precision, scale) =
            *b.schema().field_with_name("quantity").unwrap().data_type()
        else {
            panic!("quantity is a decimal in the contract")
        };
        let array = arrow::array::Decimal128Array::from(quantities)
            .with_precision_and_scale(precision, scale)
            .unwrap();
        replace(b, "quantity", Arc::new(array))
    });
    let (code, text) = scan(dir.path());
    assert_ne!(code, 0, "{text}");
    assert!(
        text.contains(
            "column `quantity`, row 5: `quantity` is 0.000, which breaks the rule `quantity > 0`"
        ),
        "{text}"
    );
}
