//! The dataset of docs/contract.md as plain Rust structs, and a Parquet
//! reader for it.
//!
//! Independent of the `claimaudit` crate on purpose (only the table names
//! are shared): this is what the reference rules run over. Every struct
//! derives `Default` so tests can build rows by hand with
//! `Claim { claim_id: "C1".into(), ..Default::default() }`.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Int32Type, TimeUnit, TimestampMillisecondType,
};
use chrono::{NaiveDate, NaiveDateTime};
use claimaudit::data::contract::{CATALOG, CLAIM_ITEMS, CLAIMS, PATIENTS, PROVIDERS};

/// The knowledge table's name (the contract's, spelled out here: this
/// reader stays independent of the crate).
const EXCLUSIVE_ITEMS: &str = "exclusive_items";
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rust_decimal::Decimal;

/// A `claims` row (结算单).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claim {
    pub claim_id: String,
    pub patient_id: String,
    pub provider_id: String,
    /// `outpatient` | `inpatient` | `pharmacy`
    pub visit_type: String,
    pub admit_date: NaiveDate,
    pub discharge_date: NaiveDate,
    pub primary_dx: String,
    pub secondary_dx: Option<Vec<String>>,
    pub total_amount: Decimal,
    pub fund_amount: Decimal,
    pub settle_time: NaiveDateTime,
    pub treat_region: String,
}

/// A `claim_items` row (费用明细).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Line {
    pub claim_id: String,
    pub line_no: i32,
    pub item_code: String,
    /// `drug` | `service` | `material`
    pub item_type: String,
    pub service_date: NaiveDate,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    pub amount: Decimal,
    pub days_supply: Option<i32>,
    pub doctor_id: String,
}

/// A `patients` row (参保人员登记).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Patient {
    pub patient_id: String,
    /// `M` | `F`
    pub gender: String,
    pub birth_date: NaiveDate,
    pub death_date: Option<NaiveDate>,
    /// `employee` | `resident`
    pub insurance_type: String,
    pub enroll_date: NaiveDate,
    pub benefit_start_date: NaiveDate,
    pub region: String,
}

/// A `catalog` row (医保目录).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatalogEntry {
    pub item_code: String,
    pub item_name: String,
    /// `drug` | `service` | `material`
    pub item_type: String,
    /// `A` | `B` | `C`
    pub pay_class: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub price_cap: Option<Decimal>,
    pub gender_limit: Option<String>,
    pub min_age: Option<i32>,
    pub max_age: Option<i32>,
    pub dx_prefixes: Option<Vec<String>>,
    pub min_provider_level: Option<i32>,
    pub max_daily_qty: Option<Decimal>,
    pub max_days_supply: Option<i32>,
    pub family: Option<String>,
    pub tier: Option<i32>,
}

/// A `providers` row (定点医药机构).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provider {
    pub provider_id: String,
    pub provider_name: String,
    /// 1, 2 or 3; pharmacies are 0
    pub level: i32,
    /// `hospital` | `clinic` | `pharmacy`
    pub kind: String,
    pub region: String,
    pub contract_from: NaiveDate,
    pub contract_to: Option<NaiveDate>,
}

/// An `exclusive_items` row (互斥项目知识库): two items not to be billed
/// for one patient on one day, in force from one day to another.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExclusivePair {
    pub item_a: String,
    pub item_b: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub basis: Option<String>,
}

/// The six tables of one dataset, rows in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dataset {
    pub claims: Vec<Claim>,
    pub claim_items: Vec<Line>,
    pub patients: Vec<Patient>,
    pub catalog: Vec<CatalogEntry>,
    pub providers: Vec<Provider>,
    pub exclusive_items: Vec<ExclusivePair>,
}

/// Reads the dataset in `dir`: each table from `dir/<table>.parquet`, or
/// from every `*.parquet` file in `dir/<table>/` (in file-name order).
/// Columns are looked up by name; extra columns are ignored. Panics, naming
/// the file and column, on anything that does not match the contract.
pub fn read_dataset(dir: &Path) -> Dataset {
    let mut data = Dataset::default();
    for file in table_files(dir, CLAIMS) {
        for batch in read_batches(&file) {
            data.claims.extend(claims_from(&Batch::new(&file, &batch)));
        }
    }
    for file in table_files(dir, CLAIM_ITEMS) {
        for batch in read_batches(&file) {
            data.claim_items
                .extend(lines_from(&Batch::new(&file, &batch)));
        }
    }
    for file in table_files(dir, PATIENTS) {
        for batch in read_batches(&file) {
            data.patients
                .extend(patients_from(&Batch::new(&file, &batch)));
        }
    }
    for file in table_files(dir, CATALOG) {
        for batch in read_batches(&file) {
            data.catalog
                .extend(catalog_from(&Batch::new(&file, &batch)));
        }
    }
    for file in table_files(dir, PROVIDERS) {
        for batch in read_batches(&file) {
            data.providers
                .extend(providers_from(&Batch::new(&file, &batch)));
        }
    }
    for file in table_files(dir, EXCLUSIVE_ITEMS) {
        for batch in read_batches(&file) {
            data.exclusive_items
                .extend(exclusive_from(&Batch::new(&file, &batch)));
        }
    }
    data
}

/// The Parquet files that make up `table` in `dir`.
fn table_files(dir: &Path, table: &str) -> Vec<PathBuf> {
    let single = dir.join(format!("{table}.parquet"));
    let folder = dir.join(table);
    match (single.is_file(), folder.is_dir()) {
        (true, true) => panic!(
            "table {table}: both {} and {} exist; which one is the table?",
            single.display(),
            folder.display()
        ),
        (true, false) => vec![single],
        (false, true) => {
            let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
                .unwrap_or_else(|e| panic!("cannot list {}: {e}", folder.display()))
                .map(|entry| {
                    entry
                        .unwrap_or_else(|e| panic!("cannot list {}: {e}", folder.display()))
                        .path()
                })
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "parquet"))
                .collect();
            files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
            files
        }
        (false, false) => panic!(
            "table {table}: neither {} nor the folder {} exists",
            single.display(),
            folder.display()
        ),
    }
}

fn read_batches(file: &Path) -> Vec<RecordBatch> {
    let handle = File::open(file).unwrap_or_else(|e| panic!("cannot open {}: {e}", file.display()));
    let reader = ParquetRecordBatchReaderBuilder::try_new(handle)
        .unwrap_or_else(|e| panic!("{} is not readable Parquet: {e}", file.display()))
        .build()
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
    reader
        .map(|batch| batch.unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display())))
        .collect()
}

/// One record batch of one file, with typed column accessors that panic
/// with the file and column name when the column is missing or mistyped.
struct Batch<'a> {
    file: &'a Path,
    batch: &'a RecordBatch,
}

impl<'a> Batch<'a> {
    fn new(file: &'a Path, batch: &'a RecordBatch) -> Self {
        Batch { file, batch }
    }

    fn rows(&self) -> usize {
        self.batch.num_rows()
    }

    fn column(&self, name: &str, expected: &str, type_ok: impl Fn(&DataType) -> bool) -> &ArrayRef {
        let column = self
            .batch
            .column_by_name(name)
            .unwrap_or_else(|| panic!("{}: column {name} is missing", self.file.display()));
        if !type_ok(column.data_type()) {
            panic!(
                "{}: column {name} has type {:?}, the contract says {expected}",
                self.file.display(),
                column.data_type()
            );
        }
        column
    }

    /// Panics on a null in a column the contract declares non-null.
    fn required<T>(&self, name: &str, values: Vec<Option<T>>) -> Vec<T> {
        values
            .into_iter()
            .enumerate()
            .map(|(row, v)| {
                v.unwrap_or_else(|| {
                    panic!(
                        "{}: column {name} is null in row {row} of a batch, the contract says non-null",
                        self.file.display()
                    )
                })
            })
            .collect()
    }

    fn utf8(&self, name: &str) -> Vec<Option<String>> {
        let array = self
            .column(name, "Utf8", |t| *t == DataType::Utf8)
            .as_string::<i32>();
        array.iter().map(|v| v.map(str::to_string)).collect()
    }

    fn int32(&self, name: &str) -> Vec<Option<i32>> {
        let array = self
            .column(name, "Int32", |t| *t == DataType::Int32)
            .as_primitive::<Int32Type>();
        array.iter().collect()
    }

    fn date(&self, name: &str) -> Vec<Option<NaiveDate>> {
        let array = self
            .column(name, "Date32", |t| *t == DataType::Date32)
            .as_primitive::<Date32Type>();
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        array
            .iter()
            .map(|v| {
                v.map(|days| {
                    epoch
                        .checked_add_signed(chrono::Duration::days(i64::from(days)))
                        .unwrap_or_else(|| {
                            panic!(
                                "{}: column {name}: date {days} out of range",
                                self.file.display()
                            )
                        })
                })
            })
            .collect()
    }

    /// A Decimal128(p, s) column, read exactly: the i128 value with scale s.
    fn decimal(&self, name: &str) -> Vec<Option<Decimal>> {
        let column = self.column(
            name,
            "Decimal128(p, s) with s >= 0",
            |t| matches!(t, DataType::Decimal128(_, s) if *s >= 0),
        );
        let DataType::Decimal128(_, scale) = column.data_type() else {
            unreachable!()
        };
        let scale = *scale as u32;
        let array = column.as_primitive::<Decimal128Type>();
        array
            .iter()
            .map(|v| {
                v.map(|raw| {
                    Decimal::try_from_i128_with_scale(raw, scale).unwrap_or_else(|e| {
                        panic!(
                            "{}: column {name}: {raw} at scale {scale} does not fit a rust_decimal: {e}",
                            self.file.display()
                        )
                    })
                })
            })
            .collect()
    }

    /// A Timestamp(Millisecond, None) column: naive local time.
    fn timestamp_ms(&self, name: &str) -> Vec<Option<NaiveDateTime>> {
        let array = self
            .column(name, "Timestamp(Millisecond, None)", |t| {
                *t == DataType::Timestamp(TimeUnit::Millisecond, None)
            })
            .as_primitive::<TimestampMillisecondType>();
        array
            .iter()
            .map(|v| {
                v.map(|ms| {
                    chrono::DateTime::from_timestamp_millis(ms)
                        .unwrap_or_else(|| {
                            panic!(
                                "{}: column {name}: timestamp {ms} out of range",
                                self.file.display()
                            )
                        })
                        .naive_utc()
                })
            })
            .collect()
    }

    /// A List<Utf8> column. A null list is `None`; a null element inside a
    /// list is not representable here and panics.
    fn utf8_list(&self, name: &str) -> Vec<Option<Vec<String>>> {
        let list = self
            .column(
                name,
                "List<Utf8>",
                |t| matches!(t, DataType::List(item) if *item.data_type() == DataType::Utf8),
            )
            .as_list::<i32>();
        (0..list.len())
            .map(|row| {
                if list.is_null(row) {
                    return None;
                }
                let values = list.value(row);
                let values = values.as_string::<i32>();
                Some(
                    values
                        .iter()
                        .map(|v| {
                            v.unwrap_or_else(|| {
                                panic!(
                                    "{}: column {name}: null element inside a list in row {row} of a batch",
                                    self.file.display()
                                )
                            })
                            .to_string()
                        })
                        .collect(),
                )
            })
            .collect()
    }
}

fn claims_from(b: &Batch) -> Vec<Claim> {
    let mut claim_id = b.required("claim_id", b.utf8("claim_id")).into_iter();
    let mut patient_id = b.required("patient_id", b.utf8("patient_id")).into_iter();
    let mut provider_id = b.required("provider_id", b.utf8("provider_id")).into_iter();
    let mut visit_type = b.required("visit_type", b.utf8("visit_type")).into_iter();
    let mut admit_date = b.required("admit_date", b.date("admit_date")).into_iter();
    let mut discharge_date = b
        .required("discharge_date", b.date("discharge_date"))
        .into_iter();
    let mut primary_dx = b.required("primary_dx", b.utf8("primary_dx")).into_iter();
    let mut secondary_dx = b.utf8_list("secondary_dx").into_iter();
    let mut total_amount = b
        .required("total_amount", b.decimal("total_amount"))
        .into_iter();
    let mut fund_amount = b
        .required("fund_amount", b.decimal("fund_amount"))
        .into_iter();
    let mut settle_time = b
        .required("settle_time", b.timestamp_ms("settle_time"))
        .into_iter();
    let mut treat_region = b
        .required("treat_region", b.utf8("treat_region"))
        .into_iter();
    (0..b.rows())
        .map(|_| Claim {
            claim_id: claim_id.next().unwrap(),
            patient_id: patient_id.next().unwrap(),
            provider_id: provider_id.next().unwrap(),
            visit_type: visit_type.next().unwrap(),
            admit_date: admit_date.next().unwrap(),
            discharge_date: discharge_date.next().unwrap(),
            primary_dx: primary_dx.next().unwrap(),
            secondary_dx: secondary_dx.next().unwrap(),
            total_amount: total_amount.next().unwrap(),
            fund_amount: fund_amount.next().unwrap(),
            settle_time: settle_time.next().unwrap(),
            treat_region: treat_region.next().unwrap(),
        })
        .collect()
}

fn lines_from(b: &Batch) -> Vec<Line> {
    let mut claim_id = b.required("claim_id", b.utf8("claim_id")).into_iter();
    let mut line_no = b.required("line_no", b.int32("line_no")).into_iter();
    let mut item_code = b.required("item_code", b.utf8("item_code")).into_iter();
    let mut item_type = b.required("item_type", b.utf8("item_type")).into_iter();
    let mut service_date = b
        .required("service_date", b.date("service_date"))
        .into_iter();
    let mut quantity = b.required("quantity", b.decimal("quantity")).into_iter();
    let mut unit_price = b
        .required("unit_price", b.decimal("unit_price"))
        .into_iter();
    let mut amount = b.required("amount", b.decimal("amount")).into_iter();
    let mut days_supply = b.int32("days_supply").into_iter();
    let mut doctor_id = b.required("doctor_id", b.utf8("doctor_id")).into_iter();
    (0..b.rows())
        .map(|_| Line {
            claim_id: claim_id.next().unwrap(),
            line_no: line_no.next().unwrap(),
            item_code: item_code.next().unwrap(),
            item_type: item_type.next().unwrap(),
            service_date: service_date.next().unwrap(),
            quantity: quantity.next().unwrap(),
            unit_price: unit_price.next().unwrap(),
            amount: amount.next().unwrap(),
            days_supply: days_supply.next().unwrap(),
            doctor_id: doctor_id.next().unwrap(),
        })
        .collect()
}

fn patients_from(b: &Batch) -> Vec<Patient> {
    let mut patient_id = b.required("patient_id", b.utf8("patient_id")).into_iter();
    let mut gender = b.required("gender", b.utf8("gender")).into_iter();
    let mut birth_date = b.required("birth_date", b.date("birth_date")).into_iter();
    let mut death_date = b.date("death_date").into_iter();
    let mut insurance_type = b
        .required("insurance_type", b.utf8("insurance_type"))
        .into_iter();
    let mut enroll_date = b.required("enroll_date", b.date("enroll_date")).into_iter();
    let mut benefit_start_date = b
        .required("benefit_start_date", b.date("benefit_start_date"))
        .into_iter();
    let mut region = b.required("region", b.utf8("region")).into_iter();
    (0..b.rows())
        .map(|_| Patient {
            patient_id: patient_id.next().unwrap(),
            gender: gender.next().unwrap(),
            birth_date: birth_date.next().unwrap(),
            death_date: death_date.next().unwrap(),
            insurance_type: insurance_type.next().unwrap(),
            enroll_date: enroll_date.next().unwrap(),
            benefit_start_date: benefit_start_date.next().unwrap(),
            region: region.next().unwrap(),
        })
        .collect()
}

fn catalog_from(b: &Batch) -> Vec<CatalogEntry> {
    let mut item_code = b.required("item_code", b.utf8("item_code")).into_iter();
    let mut item_name = b.required("item_name", b.utf8("item_name")).into_iter();
    let mut item_type = b.required("item_type", b.utf8("item_type")).into_iter();
    let mut pay_class = b.required("pay_class", b.utf8("pay_class")).into_iter();
    let mut valid_from = b.required("valid_from", b.date("valid_from")).into_iter();
    let mut valid_to = b.date("valid_to").into_iter();
    let mut price_cap = b.decimal("price_cap").into_iter();
    let mut gender_limit = b.utf8("gender_limit").into_iter();
    let mut min_age = b.int32("min_age").into_iter();
    let mut max_age = b.int32("max_age").into_iter();
    let mut dx_prefixes = b.utf8_list("dx_prefixes").into_iter();
    let mut min_provider_level = b.int32("min_provider_level").into_iter();
    let mut max_daily_qty = b.decimal("max_daily_qty").into_iter();
    let mut max_days_supply = b.int32("max_days_supply").into_iter();
    let mut family = b.utf8("family").into_iter();
    let mut tier = b.int32("tier").into_iter();
    (0..b.rows())
        .map(|_| CatalogEntry {
            item_code: item_code.next().unwrap(),
            item_name: item_name.next().unwrap(),
            item_type: item_type.next().unwrap(),
            pay_class: pay_class.next().unwrap(),
            valid_from: valid_from.next().unwrap(),
            valid_to: valid_to.next().unwrap(),
            price_cap: price_cap.next().unwrap(),
            gender_limit: gender_limit.next().unwrap(),
            min_age: min_age.next().unwrap(),
            max_age: max_age.next().unwrap(),
            dx_prefixes: dx_prefixes.next().unwrap(),
            min_provider_level: min_provider_level.next().unwrap(),
            max_daily_qty: max_daily_qty.next().unwrap(),
            max_days_supply: max_days_supply.next().unwrap(),
            family: family.next().unwrap(),
            tier: tier.next().unwrap(),
        })
        .collect()
}

fn providers_from(b: &Batch) -> Vec<Provider> {
    let mut provider_id = b.required("provider_id", b.utf8("provider_id")).into_iter();
    let mut provider_name = b
        .required("provider_name", b.utf8("provider_name"))
        .into_iter();
    let mut level = b.required("level", b.int32("level")).into_iter();
    let mut kind = b.required("kind", b.utf8("kind")).into_iter();
    let mut region = b.required("region", b.utf8("region")).into_iter();
    let mut contract_from = b
        .required("contract_from", b.date("contract_from"))
        .into_iter();
    let mut contract_to = b.date("contract_to").into_iter();
    (0..b.rows())
        .map(|_| Provider {
            provider_id: provider_id.next().unwrap(),
            provider_name: provider_name.next().unwrap(),
            level: level.next().unwrap(),
            kind: kind.next().unwrap(),
            region: region.next().unwrap(),
            contract_from: contract_from.next().unwrap(),
            contract_to: contract_to.next().unwrap(),
        })
        .collect()
}

fn exclusive_from(b: &Batch) -> Vec<ExclusivePair> {
    let mut item_a = b.required("item_a", b.utf8("item_a")).into_iter();
    let mut item_b = b.required("item_b", b.utf8("item_b")).into_iter();
    let mut valid_from = b.required("valid_from", b.date("valid_from")).into_iter();
    let mut valid_to = b.date("valid_to").into_iter();
    let mut basis = b.utf8("basis").into_iter();
    (0..b.rows())
        .map(|_| ExclusivePair {
            item_a: item_a.next().unwrap(),
            item_b: item_b.next().unwrap(),
            valid_from: valid_from.next().unwrap(),
            valid_to: valid_to.next().unwrap(),
            basis: basis.next().unwrap(),
        })
        .collect()
}
