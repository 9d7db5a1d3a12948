//! proptest strategies for small random CHS datasets (docs/contract.md),
//! dense enough that groups, windows, pairs, sequences and peer groups form:
//! few patients, providers, codes and days, so values collide often.
//!
//! The data is always valid by the contract (keys unique, enumerations and
//! required columns set, every line's claim present, `discharge_date >=
//! admit_date`, `quantity > 0`, decimals at their column's scale), but it
//! has the findings rules look for: claims whose patient or provider is not
//! registered, lines whose item is not in the catalog, null restrictions.
//!
//! Every date lies in a ~40-day period that crosses a year end, or 29
//! February 2024, or the end of February 2025 (for 29 February birthdays).

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use arrow::array::RecordBatch;
use claimaudit::data::arrow_types::table_arrow_schema;
use claimaudit::data::values::build_array;
use claimaudit::ir::text::parse_date;
use claimaudit::ir::{Schema, Value};
use proptest::prelude::*;
use rust_decimal::Decimal;

use super::reference_eval::{Row, Rows};

/// Item codes of the data; `N99` is never in the catalog.
pub const ITEM_CODES: [&str; 8] = ["X01", "X02", "D03", "S04", "M05", "Z06", "C07", "N99"];
/// Diagnoses (primary and secondary).
pub const DX_CODES: [&str; 6] = [
    "E11.900", "E11.901", "E14.000", "I10.x00", "J18.900", "K29.700",
];
/// Catalog diagnosis restrictions (prefixes of the diagnoses).
pub const DX_PREFIXES: [&str; 4] = ["E11", "I10", "J18", "E1"];
pub const REGIONS: [&str; 2] = ["110000", "310000"];
pub const DOCTORS: [&str; 3] = ["D1", "D2", "D3"];
/// First days of the periods the dates of a dataset fall in (40 days each).
pub const PERIODS: [&str; 3] = ["2023-12-10", "2024-02-09", "2025-02-09"];
pub const PERIOD_DAYS: i32 = 40;
/// Birth dates: 29 February, birthdays at the periods' edges, a newborn.
pub const BIRTH_DATES: [&str; 7] = [
    "2000-02-29",
    "1964-03-01",
    "2010-12-31",
    "2024-01-01",
    "1950-02-28",
    "1990-06-15",
    "2016-02-29",
];
pub const QUANTITIES: [&str; 6] = ["0.500", "1.000", "2.000", "1.250", "3.000", "10.000"];
pub const UNIT_PRICES: [&str; 5] = ["5.0000", "12.5000", "30.2500", "0.8800", "100.0000"];
pub const TOTAL_AMOUNTS: [&str; 5] = ["50.00", "120.50", "300.00", "999.99", "12.34"];
pub const FUND_SHARES: [&str; 3] = ["0.5", "0.8", "1"];
pub const PRICE_CAPS: [&str; 3] = ["10.0000", "30.2500", "50.0000"];
pub const MAX_DAILY_QTYS: [&str; 3] = ["1.000", "2.000", "5.000"];
pub const DAYS_SUPPLY: [i64; 8] = [1, 3, 7, 10, 15, 28, 30, 31];
pub const MIN_AGES: [i64; 3] = [6, 18, 60];
pub const MAX_AGES: [i64; 3] = [1, 14, 65];
pub const MAX_DAYS_SUPPLY: [i64; 3] = [7, 15, 30];
pub const FAMILIES: [&str; 2] = ["consult", "lab"];
pub const SETTLE_HOURS: [i64; 3] = [9, 10, 16];

const VISIT_TYPES: [&str; 3] = ["outpatient", "inpatient", "pharmacy"];
const ITEM_TYPES: [&str; 3] = ["drug", "service", "material"];
const PAY_CLASSES: [&str; 3] = ["A", "B", "C"];
const GENDERS: [&str; 2] = ["M", "F"];
const INSURANCE_TYPES: [&str; 2] = ["employee", "resident"];
const PROVIDER_KINDS: [&str; 3] = ["hospital", "clinic", "pharmacy"];

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn date(s: &str) -> i32 {
    parse_date(s).expect("a valid date")
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).expect("a decimal")
}

/// `d` rounded to `scale` digits and written with exactly that many.
fn at_scale(d: Decimal, scale: u32) -> Value {
    let mut d = d.round_dp(scale);
    d.rescale(scale);
    Value::Decimal(d)
}

fn opt<T>(value: Option<T>, f: impl FnOnce(T) -> Value) -> Value {
    value.map_or(Value::Null, f)
}

// ----------------------------------------------------------------- raw parts

/// gender, birth date, death (offset in the period), insurance type, enrol
/// (offset), waiting period (days), region.
type RawPatient = (usize, usize, Option<i32>, usize, i32, i32, usize);
/// level, kind, region, contract from (offset), contract to (offset).
type RawProvider = (i64, usize, usize, i32, Option<i32>);
type RawEntry = (
    (
        usize,
        usize,
        i32,
        Option<i32>,
        Option<usize>,
        Option<usize>,
        Option<usize>,
    ),
    (
        Option<usize>,
        Option<Vec<usize>>,
        Option<i64>,
        Option<usize>,
        Option<usize>,
        Option<usize>,
        Option<i64>,
    ),
);
/// patient (index; high values name an unregistered patient), provider
/// (likewise), visit type, admit (offset), stay (days, inpatient), primary
/// dx, secondary dx, total amount, fund share, settle hour, region.
type RawClaim = (
    usize,
    usize,
    usize,
    i32,
    i32,
    usize,
    Option<Vec<usize>>,
    usize,
    usize,
    usize,
    usize,
);
/// claim (index, modulo the claims), item code, item type (None: the
/// entry's), service day (offset from admission), quantity, unit price,
/// days supply, doctor.
type RawLine = (
    usize,
    usize,
    Option<usize>,
    i32,
    usize,
    usize,
    Option<usize>,
    usize,
);

fn raw_patient() -> impl Strategy<Value = RawPatient> {
    (
        0..GENDERS.len(),
        0..BIRTH_DATES.len(),
        prop::option::weighted(0.2, 0..PERIOD_DAYS),
        0..INSURANCE_TYPES.len(),
        -400..=20i32,
        prop_oneof![Just(0), 0..=30i32],
        0..REGIONS.len(),
    )
}

fn raw_provider() -> impl Strategy<Value = RawProvider> {
    (
        1..=3i64,
        0..PROVIDER_KINDS.len(),
        0..REGIONS.len(),
        -500..=10i32,
        prop::option::weighted(0.4, 0..=45i32),
    )
}

fn raw_entry() -> impl Strategy<Value = RawEntry> {
    (
        (
            0..ITEM_TYPES.len(),
            0..PAY_CLASSES.len(),
            -300..=20i32,
            prop::option::weighted(0.3, 0..=45i32),
            prop::option::weighted(0.6, 0..PRICE_CAPS.len()),
            prop::option::weighted(0.3, 0..GENDERS.len()),
            prop::option::weighted(0.4, 0..MIN_AGES.len()),
        ),
        (
            prop::option::weighted(0.4, 0..MAX_AGES.len()),
            prop::option::weighted(0.5, prop::collection::vec(0..DX_PREFIXES.len(), 0..=2)),
            prop::option::weighted(0.4, 1..=3i64),
            prop::option::weighted(0.5, 0..MAX_DAILY_QTYS.len()),
            prop::option::weighted(0.5, 0..MAX_DAYS_SUPPLY.len()),
            prop::option::weighted(0.6, 0..FAMILIES.len()),
            prop::option::weighted(0.6, 1..=3i64),
        ),
    )
}

fn raw_claim() -> impl Strategy<Value = RawClaim> {
    (
        0..10usize,
        0..10usize,
        0..VISIT_TYPES.len(),
        0..PERIOD_DAYS,
        0..=8i32,
        0..DX_CODES.len(),
        prop::option::weighted(0.7, prop::collection::vec(0..DX_CODES.len(), 0..=3)),
        0..TOTAL_AMOUNTS.len(),
        0..FUND_SHARES.len(),
        0..SETTLE_HOURS.len(),
        0..REGIONS.len(),
    )
}

/// An `exclusive_items` row: two item codes (indexes), the first day in
/// force (from the period's start), how many days more it holds (open
/// when none), and whether it has a basis.
type RawExclusive = (usize, usize, i32, Option<i32>, bool);

fn raw_exclusive() -> impl Strategy<Value = RawExclusive> {
    (
        0..7usize,
        0..7usize,
        -5..PERIOD_DAYS,
        prop::option::weighted(0.5, 0..20i32),
        any::<bool>(),
    )
}

fn raw_line() -> impl Strategy<Value = RawLine> {
    (
        0..60usize,
        0..ITEM_CODES.len(),
        prop::option::weighted(0.3, 0..ITEM_TYPES.len()),
        -1..=3i32,
        0..QUANTITIES.len(),
        0..UNIT_PRICES.len(),
        prop::option::weighted(0.7, 0..DAYS_SUPPLY.len()),
        0..DOCTORS.len(),
    )
}

// ----------------------------------------------------------------- the dataset

/// A random CHS dataset: 2–4 patients, 2–3 providers, 3–6 catalog entries,
/// 0–12 claims, 0–30 lines and 0–8 pairs of exclusive items.
pub fn dataset() -> impl Strategy<Value = Rows> {
    (
        0..PERIODS.len(),
        prop::collection::vec(raw_patient(), 2..=4),
        prop::collection::vec(raw_provider(), 2..=3),
        prop::sample::subsequence(ITEM_CODES[..7].to_vec(), 3..=6),
        prop::collection::vec(raw_entry(), 6),
        prop::collection::vec(raw_claim(), 0..=12),
        prop::collection::vec(raw_line(), 0..=30),
        prop::collection::vec(raw_exclusive(), 0..=8),
    )
        .prop_map(
            |(period, patients, providers, codes, entries, claims, lines, exclusive)| {
                let start = date(PERIODS[period]);
                let mut rows = build(
                    start, &patients, &providers, &codes, &entries, &claims, &lines,
                );
                push_exclusive(&mut rows, start, &exclusive);
                rows
            },
        )
}

/// Pairs of the first item codes (so lines meet them often), listed in
/// either order, some repeated with other dates; a pair repeated with the
/// same first day is left out, as the table's key forbids.
fn push_exclusive(rows: &mut Rows, start: i32, pairs: &[RawExclusive]) {
    let day = |d: i32| Value::Date(start + d);
    let mut keys = std::collections::HashSet::new();
    for &(a, b, from, more, basis) in pairs {
        if a == b || !keys.insert((a, b, from)) {
            continue;
        }
        rows.push(
            "exclusive_items",
            &[
                ("item_a", Value::Text(ITEM_CODES[a].to_string())),
                ("item_b", Value::Text(ITEM_CODES[b].to_string())),
                ("valid_from", day(from)),
                ("valid_to", more.map_or(Value::Null, |m| day(from + m))),
                (
                    "basis",
                    if basis {
                        Value::Text(format!("KP-{a}{b}{from}"))
                    } else {
                        Value::Null
                    },
                ),
            ],
        );
    }
}

fn build(
    start: i32,
    patients: &[RawPatient],
    providers: &[RawProvider],
    codes: &[&str],
    entries: &[RawEntry],
    claims: &[RawClaim],
    lines: &[RawLine],
) -> Rows {
    let mut rows = Rows::new();
    let day = |offset: i32| Value::Date(start + offset);

    for (i, &(gender, birth, death, insurance, enroll, wait, region)) in patients.iter().enumerate()
    {
        rows.push(
            "patients",
            &[
                ("patient_id", text(&format!("P{}", i + 1))),
                ("gender", text(GENDERS[gender])),
                ("birth_date", Value::Date(date(BIRTH_DATES[birth]))),
                ("death_date", opt(death, day)),
                ("insurance_type", text(INSURANCE_TYPES[insurance])),
                ("enroll_date", day(enroll)),
                ("benefit_start_date", day(enroll + wait)),
                ("region", text(REGIONS[region])),
            ],
        );
    }

    for (i, &(level, kind, region, from, to)) in providers.iter().enumerate() {
        rows.push(
            "providers",
            &[
                ("provider_id", text(&format!("H{}", i + 1))),
                ("provider_name", text(&format!("医院{}", i + 1))),
                ("level", Value::Int(level)),
                ("kind", text(PROVIDER_KINDS[kind])),
                ("region", text(REGIONS[region])),
                ("contract_from", day(from)),
                ("contract_to", opt(to, day)),
            ],
        );
    }

    let mut entry_types: BTreeMap<&str, &str> = BTreeMap::new();
    for (code, entry) in codes.iter().zip(entries) {
        let ((item_type, pay, from, to, cap, gender, min_age), rest) = entry;
        let (max_age, prefixes, min_level, daily, supply, family, tier) = rest;
        entry_types.insert(code, ITEM_TYPES[*item_type]);
        rows.push(
            "catalog",
            &[
                ("item_code", text(code)),
                ("item_name", text(&format!("项目{code}"))),
                ("item_type", text(ITEM_TYPES[*item_type])),
                ("pay_class", text(PAY_CLASSES[*pay])),
                ("valid_from", day(*from)),
                ("valid_to", opt(*to, day)),
                ("price_cap", opt(*cap, |i| at_scale(dec(PRICE_CAPS[i]), 4))),
                ("gender_limit", opt(*gender, |i| text(GENDERS[i]))),
                ("min_age", opt(*min_age, |i| Value::Int(MIN_AGES[i]))),
                ("max_age", opt(*max_age, |i| Value::Int(MAX_AGES[i]))),
                (
                    "dx_prefixes",
                    opt(prefixes.clone(), |p| {
                        Value::List(p.iter().map(|i| text(DX_PREFIXES[*i])).collect())
                    }),
                ),
                ("min_provider_level", opt(*min_level, Value::Int)),
                (
                    "max_daily_qty",
                    opt(*daily, |i| at_scale(dec(MAX_DAILY_QTYS[i]), 3)),
                ),
                (
                    "max_days_supply",
                    opt(*supply, |i| Value::Int(MAX_DAYS_SUPPLY[i])),
                ),
                ("family", opt(*family, |i| text(FAMILIES[i]))),
                ("tier", opt(*tier, Value::Int)),
            ],
        );
    }

    // Claims: an index past the registered patients / providers (one time
    // in ten) names one that is not registered.
    let mut admissions = Vec::new();
    for (i, claim) in claims.iter().enumerate() {
        let &(patient, provider, visit, admit, stay, dx, ref secondary, total, share, hour, region) =
            claim;
        let patient_id = if patient == 9 {
            "P9".to_string()
        } else {
            format!("P{}", patient % patients.len() + 1)
        };
        let provider_id = if provider == 9 {
            "H9".to_string()
        } else {
            format!("H{}", provider % providers.len() + 1)
        };
        let discharge = if VISIT_TYPES[visit] == "inpatient" {
            admit + stay
        } else {
            admit
        };
        admissions.push(admit);
        let total_amount = dec(TOTAL_AMOUNTS[total]);
        let settle_ms = (start + discharge) as i64 * 86_400_000 + SETTLE_HOURS[hour] * 3_600_000;
        rows.push(
            "claims",
            &[
                // Unpadded ids: text order (C1, C10, C11, C2, ...) is not
                // the order of creation.
                ("claim_id", text(&format!("C{}", i + 1))),
                ("patient_id", text(&patient_id)),
                ("provider_id", text(&provider_id)),
                ("visit_type", text(VISIT_TYPES[visit])),
                ("admit_date", day(admit)),
                ("discharge_date", day(discharge)),
                ("primary_dx", text(DX_CODES[dx])),
                (
                    "secondary_dx",
                    opt(secondary.clone(), |s| {
                        Value::List(s.iter().map(|i| text(DX_CODES[*i])).collect())
                    }),
                ),
                ("total_amount", at_scale(total_amount, 2)),
                (
                    "fund_amount",
                    at_scale(total_amount * dec(FUND_SHARES[share]), 2),
                ),
                ("settle_time", Value::Timestamp(settle_ms)),
                ("treat_region", text(REGIONS[region])),
            ],
        );
    }

    // Lines: each belongs to an existing claim, numbered from 1 per claim.
    if !claims.is_empty() {
        let mut next_line_no = vec![1i64; claims.len()];
        for &(claim, code, item_type, offset, quantity, price, supply, doctor) in lines {
            let claim = claim % claims.len();
            let line_no = next_line_no[claim];
            next_line_no[claim] += 1;
            let code = ITEM_CODES[code];
            let item_type = match item_type {
                Some(t) => ITEM_TYPES[t],
                None => entry_types.get(code).copied().unwrap_or("drug"),
            };
            let quantity = dec(QUANTITIES[quantity]);
            let price = dec(UNIT_PRICES[price]);
            rows.push(
                "claim_items",
                &[
                    ("claim_id", text(&format!("C{}", claim + 1))),
                    ("line_no", Value::Int(line_no)),
                    ("item_code", text(code)),
                    ("item_type", text(item_type)),
                    ("service_date", day(admissions[claim] + offset)),
                    ("quantity", at_scale(quantity, 3)),
                    ("unit_price", at_scale(price, 4)),
                    ("amount", at_scale(quantity * price, 2)),
                    ("days_supply", opt(supply, |i| Value::Int(DAYS_SUPPLY[i]))),
                    ("doctor_id", text(DOCTORS[doctor])),
                ],
            );
        }
    }
    rows
}

// ----------------------------------------------------------------- Arrow

/// The rows as Arrow record batches, one per table of `schema` (empty for a
/// table without rows), with exactly the types the loader gives
/// (`table_arrow_schema`). A column a row lacks is null.
pub fn to_record_batches(rows: &Rows, schema: &Schema) -> BTreeMap<String, RecordBatch> {
    schema
        .tables
        .iter()
        .map(|table| {
            let data: &[Row] = rows.table(&table.name);
            let arrays = table
                .columns
                .iter()
                .map(|column| {
                    let values: Vec<Value> = data
                        .iter()
                        .map(|row| row.get(&column.name).cloned().unwrap_or(Value::Null))
                        .collect();
                    build_array(&column.ty, &values)
                        .unwrap_or_else(|e| panic!("{}.{}: {e}", table.name, column.name))
                })
                .collect();
            let batch = RecordBatch::try_new(table_arrow_schema(table), arrays)
                .unwrap_or_else(|e| panic!("{}: {e}", table.name));
            (table.name.clone(), batch)
        })
        .collect()
}

/// Writes the batches as a dataset folder: one `<table>.parquet` each.
pub fn write_parquet(batches: &BTreeMap<String, RecordBatch>, dir: &Path) {
    for (table, batch) in batches {
        let file = std::fs::File::create(dir.join(format!("{table}.parquet"))).unwrap();
        let mut writer = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
        writer.write(batch).unwrap();
        writer.close().unwrap();
    }
}
