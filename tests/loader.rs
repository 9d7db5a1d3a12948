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
use claimaudit::data::arrow_types::table_arrow_schema;
use claimaudit::data::contract::chs_schema;
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
        let merged = concat_batches(&batches[0].schema(), &batches).unwrap();
        let exact = RecordBatch::try_new(contract, merged.columns().to_vec()).unwrap();
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
    let output = Command::new(env!("CARGO_BIN_EXE_claimaudit"))
        .args(["validate", "--data"])
        .arg(dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.code().unwrap_or(-1), text)
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
        let mut visits: Vec<String> = b
            .column_by_name("visit_type")
            .unwrap()
            .as_string::<i32>()
            .iter()
            .map(|v| v.unwrap().to_string())
            .collect();
        visits[1] = "Outpatient".into();
        replace(b, "visit_type", Arc::new(StringArray::from(visits)))
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
        let mut claims: Vec<String> = b
            .column_by_name("claim_id")
            .unwrap()
            .as_string::<i32>()
            .iter()
            .map(|v| v.unwrap().to_string())
            .collect();
        claims[0] = "C404".into();
        replace(b, "claim_id", Arc::new(StringArray::from(claims)))
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
        let mut codes: Vec<String> = b
            .column_by_name("item_code")
            .unwrap()
            .as_string::<i32>()
            .iter()
            .map(|v| v.unwrap().to_string())
            .collect();
        codes[3] = codes[0].clone();
        replace(b, "item_code", Arc::new(StringArray::from(codes)))
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
    let dir = tempfile::tempdir().unwrap();
    for entry in fs::read_dir(FIXTURE).unwrap() {
        let path = entry.unwrap().path();
        fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    let claims = dir.path().join("claims.csv");
    let text = fs::read_to_string(&claims)
        .unwrap()
        .replacen("2024-03-14", "2024-02-30", 1);
    fs::write(&claims, text).unwrap();
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
