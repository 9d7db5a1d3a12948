//! Reads a generated folder back into plain rows, for the checks.

use std::fs::File;
use std::path::Path;

use arrow::array::{
    Array, AsArray, Date32Array, Decimal128Array, Int32Array, ListArray, StringArray,
    TimestampMillisecondArray,
};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use arrow::record_batch::RecordBatchReader;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

pub struct Claim {
    pub id: String,
    pub patient: String,
    pub provider: String,
    pub visit: String,
    pub admit: i32,
    pub discharge: i32,
    pub primary: String,
    pub secondary: Option<Vec<String>>,
    pub total: i128,
    pub fund: i128,
    pub settle: i64,
    pub region: String,
}

pub struct Line {
    pub claim: String,
    pub line_no: i32,
    pub code: String,
    pub item_type: String,
    pub date: i32,
    pub quantity: i128,
    pub price: i128,
    pub amount: i128,
    pub days: Option<i32>,
}

pub struct Person {
    pub id: String,
    pub gender: String,
    pub birth: i32,
    pub death: Option<i32>,
    pub insurance: String,
    pub benefit_start: i32,
}

pub struct Item {
    pub code: String,
    pub item_type: String,
    pub pay_class: String,
    pub valid_from: i32,
    pub valid_to: Option<i32>,
    pub cap: Option<i128>,
    pub gender: Option<String>,
    pub min_age: Option<i32>,
    pub max_age: Option<i32>,
    pub dx: Option<Vec<String>>,
    pub level: Option<i32>,
    pub daily: Option<i128>,
    pub days: Option<i32>,
    pub family: Option<String>,
    pub tier: Option<i32>,
}

pub struct Site {
    pub id: String,
    pub level: i32,
    pub kind: String,
    pub from: i32,
    pub to: Option<i32>,
}

pub struct Exclusive {
    pub item_a: String,
    pub item_b: String,
    pub valid_from: i32,
    pub valid_to: Option<i32>,
}

pub struct LabelRow {
    pub rule: String,
    pub expect: String,
    pub grain: String,
    pub claim: Option<String>,
    pub line: Option<i32>,
    pub provider: Option<String>,
}

/// A table as read: its files' schemas and batches.
pub struct Table {
    pub schemas: Vec<SchemaRef>,
    pub batches: Vec<RecordBatch>,
}

pub struct Dataset {
    pub claims: Vec<Claim>,
    pub lines: Vec<Line>,
    pub patients: Vec<Person>,
    pub catalog: Vec<Item>,
    pub providers: Vec<Site>,
    pub exclusive: Vec<Exclusive>,
    pub labels: Vec<LabelRow>,
    pub tables: Vec<(&'static str, Table)>,
}

fn read_file(path: &Path, table: &mut Table) {
    let file = File::open(path).expect("open");
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("parquet")
        .build()
        .expect("reader");
    table.schemas.push(reader.schema());
    for batch in reader {
        table.batches.push(batch.expect("batch"));
    }
}

/// A table written as one file or as a folder of parts.
pub fn read_table(dir: &Path, name: &str) -> Table {
    let mut table = Table {
        schemas: Vec::new(),
        batches: Vec::new(),
    };
    let folder = dir.join(name);
    if folder.is_dir() {
        let mut parts: Vec<_> = std::fs::read_dir(&folder)
            .expect("dir")
            .map(|e| e.expect("entry").path())
            .collect();
        parts.sort();
        for part in parts {
            read_file(&part, &mut table);
        }
    } else {
        read_file(&dir.join(format!("{name}.parquet")), &mut table);
    }
    table
}

fn column<'a, T: 'static>(batch: &'a RecordBatch, name: &str) -> &'a T {
    batch
        .column_by_name(name)
        .unwrap_or_else(|| panic!("column {name}"))
        .as_any()
        .downcast_ref::<T>()
        .unwrap_or_else(|| panic!("type of {name}"))
}

fn text(batch: &RecordBatch, name: &str, row: usize) -> Option<String> {
    let array = column::<StringArray>(batch, name);
    array.is_valid(row).then(|| array.value(row).to_string())
}

fn int(batch: &RecordBatch, name: &str, row: usize) -> Option<i32> {
    let array = column::<Int32Array>(batch, name);
    array.is_valid(row).then(|| array.value(row))
}

fn date(batch: &RecordBatch, name: &str, row: usize) -> Option<i32> {
    let array = column::<Date32Array>(batch, name);
    array.is_valid(row).then(|| array.value(row))
}

fn decimal(batch: &RecordBatch, name: &str, row: usize) -> Option<i128> {
    let array = column::<Decimal128Array>(batch, name);
    array.is_valid(row).then(|| array.value(row))
}

fn list(batch: &RecordBatch, name: &str, row: usize) -> Option<Vec<String>> {
    let array = column::<ListArray>(batch, name);
    array.is_valid(row).then(|| {
        let values = array.value(row);
        let values = values.as_string::<i32>();
        (0..values.len())
            .map(|i| values.value(i).to_string())
            .collect()
    })
}

fn rows<T>(table: &Table, mut row: impl FnMut(&RecordBatch, usize) -> T) -> Vec<T> {
    table
        .batches
        .iter()
        .flat_map(|b| (0..b.num_rows()).map(|i| row(b, i)).collect::<Vec<_>>())
        .collect()
}

pub fn read_dataset(dir: &Path) -> Dataset {
    let req = |v: Option<String>| v.expect("required text");
    let claims_table = read_table(dir, "claims");
    let claims = rows(&claims_table, |b, i| Claim {
        id: req(text(b, "claim_id", i)),
        patient: req(text(b, "patient_id", i)),
        provider: req(text(b, "provider_id", i)),
        visit: req(text(b, "visit_type", i)),
        admit: date(b, "admit_date", i).expect("admit"),
        discharge: date(b, "discharge_date", i).expect("discharge"),
        primary: req(text(b, "primary_dx", i)),
        secondary: list(b, "secondary_dx", i),
        total: decimal(b, "total_amount", i).expect("total"),
        fund: decimal(b, "fund_amount", i).expect("fund"),
        settle: column::<TimestampMillisecondArray>(b, "settle_time").value(i),
        region: req(text(b, "treat_region", i)),
    });
    let lines_table = read_table(dir, "claim_items");
    let lines = rows(&lines_table, |b, i| Line {
        claim: req(text(b, "claim_id", i)),
        line_no: int(b, "line_no", i).expect("line_no"),
        code: req(text(b, "item_code", i)),
        item_type: req(text(b, "item_type", i)),
        date: date(b, "service_date", i).expect("date"),
        quantity: decimal(b, "quantity", i).expect("quantity"),
        price: decimal(b, "unit_price", i).expect("price"),
        amount: decimal(b, "amount", i).expect("amount"),
        days: int(b, "days_supply", i),
    });
    let patients_table = read_table(dir, "patients");
    let patients = rows(&patients_table, |b, i| Person {
        id: req(text(b, "patient_id", i)),
        gender: req(text(b, "gender", i)),
        birth: date(b, "birth_date", i).expect("birth"),
        death: date(b, "death_date", i),
        insurance: req(text(b, "insurance_type", i)),
        benefit_start: date(b, "benefit_start_date", i).expect("benefit"),
    });
    let catalog_table = read_table(dir, "catalog");
    let catalog = rows(&catalog_table, |b, i| Item {
        code: req(text(b, "item_code", i)),
        item_type: req(text(b, "item_type", i)),
        pay_class: req(text(b, "pay_class", i)),
        valid_from: date(b, "valid_from", i).expect("valid_from"),
        valid_to: date(b, "valid_to", i),
        cap: decimal(b, "price_cap", i),
        gender: text(b, "gender_limit", i),
        min_age: int(b, "min_age", i),
        max_age: int(b, "max_age", i),
        dx: list(b, "dx_prefixes", i),
        level: int(b, "min_provider_level", i),
        daily: decimal(b, "max_daily_qty", i),
        days: int(b, "max_days_supply", i),
        family: text(b, "family", i),
        tier: int(b, "tier", i),
    });
    let providers_table = read_table(dir, "providers");
    let providers = rows(&providers_table, |b, i| Site {
        id: req(text(b, "provider_id", i)),
        level: int(b, "level", i).expect("level"),
        kind: req(text(b, "kind", i)),
        from: date(b, "contract_from", i).expect("from"),
        to: date(b, "contract_to", i),
    });
    let exclusive_table = read_table(dir, "exclusive_items");
    let exclusive = rows(&exclusive_table, |b, i| Exclusive {
        item_a: req(text(b, "item_a", i)),
        item_b: req(text(b, "item_b", i)),
        valid_from: date(b, "valid_from", i).expect("valid_from"),
        valid_to: date(b, "valid_to", i),
    });
    let labels_table = read_table(dir, "labels");
    let labels = rows(&labels_table, |b, i| LabelRow {
        rule: req(text(b, "rule_id", i)),
        expect: req(text(b, "expect", i)),
        grain: req(text(b, "grain", i)),
        claim: text(b, "claim_id", i),
        line: int(b, "line_no", i),
        provider: text(b, "provider_id", i),
    });
    Dataset {
        claims,
        lines,
        patients,
        catalog,
        providers,
        exclusive,
        labels,
        tables: vec![
            ("claims", claims_table),
            ("claim_items", lines_table),
            ("patients", patients_table),
            ("catalog", catalog_table),
            ("providers", providers_table),
            ("exclusive_items", exclusive_table),
            ("labels", labels_table),
        ],
    }
}
