//! Self-test of tests/support: the Parquet reader, and each of the 22
//! reference rules on tiny hand-built datasets, with the boundaries of
//! docs/default-rules.md (each rule fires at least once and stays silent at least
//! once).

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Date32Array, Decimal128Array, Int32Array, ListBuilder, RecordBatch, StringArray,
    StringBuilder, TimestampMillisecondArray,
};
use chrono::{NaiveDate, NaiveDateTime};
use parquet::arrow::ArrowWriter;
use rust_decimal::Decimal;
use support::dataset::{
    CatalogEntry, Claim, Dataset, ExclusivePair, Line, Patient, Provider, read_dataset,
};
use support::reference_rules::{
    ExpectedFlag, Params, RULE_IDS, Ratio, age, evaluate, evaluate_rule, linear_quantile, prefix,
};

// ----- builders

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn dt(y: i32, m: u32, day: u32, h: u32) -> NaiveDateTime {
    d(y, m, day).and_hms_opt(h, 0, 0).unwrap()
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str_exact(s).unwrap()
}

fn patient(id: &str) -> Patient {
    Patient {
        patient_id: id.into(),
        gender: "F".into(),
        birth_date: d(1980, 6, 15),
        death_date: None,
        insurance_type: "employee".into(),
        enroll_date: d(2010, 1, 1),
        benefit_start_date: d(2010, 1, 1),
        region: "110000".into(),
    }
}

fn provider(id: &str, level: i32) -> Provider {
    Provider {
        provider_id: id.into(),
        provider_name: format!("provider {id}"),
        level,
        kind: "hospital".into(),
        region: "110000".into(),
        contract_from: d(2000, 1, 1),
        contract_to: None,
    }
}

fn entry(code: &str, item_type: &str) -> CatalogEntry {
    CatalogEntry {
        item_code: code.into(),
        item_name: format!("item {code}"),
        item_type: item_type.into(),
        pay_class: "A".into(),
        valid_from: d(2000, 1, 1),
        ..Default::default()
    }
}

fn claim(
    id: &str,
    patient_id: &str,
    provider_id: &str,
    visit_type: &str,
    admit: NaiveDate,
) -> Claim {
    Claim {
        claim_id: id.into(),
        patient_id: patient_id.into(),
        provider_id: provider_id.into(),
        visit_type: visit_type.into(),
        admit_date: admit,
        discharge_date: admit,
        primary_dx: "E11.900".into(),
        secondary_dx: None,
        total_amount: dec("100.00"),
        fund_amount: dec("50.00"),
        settle_time: admit.and_hms_opt(12, 0, 0).unwrap(),
        treat_region: "110000".into(),
    }
}

fn inpatient(
    id: &str,
    patient_id: &str,
    provider_id: &str,
    admit: NaiveDate,
    discharge: NaiveDate,
) -> Claim {
    Claim {
        discharge_date: discharge,
        ..claim(id, patient_id, provider_id, "inpatient", admit)
    }
}

fn line(claim_id: &str, line_no: i32, item_code: &str, item_type: &str, date: NaiveDate) -> Line {
    Line {
        claim_id: claim_id.into(),
        line_no,
        item_code: item_code.into(),
        item_type: item_type.into(),
        service_date: date,
        quantity: dec("1.000"),
        unit_price: dec("10.0000"),
        amount: dec("10.00"),
        days_supply: None,
        doctor_id: "DR1".into(),
    }
}

fn drug(claim_id: &str, line_no: i32, item_code: &str, date: NaiveDate, days: Option<i32>) -> Line {
    Line {
        days_supply: days,
        ..line(claim_id, line_no, item_code, "drug", date)
    }
}

/// A clean dataset on which no rule fires: one patient, one provider, one
/// outpatient claim with a drug, a service and a material line.
fn base() -> Dataset {
    let day = d(2024, 3, 10);
    Dataset {
        claims: vec![claim("C1", "P1", "H1", "outpatient", day)],
        claim_items: vec![
            drug("C1", 1, "D1", day, Some(7)),
            line("C1", 2, "S1", "service", day),
            line("C1", 3, "M1", "material", day),
        ],
        patients: vec![patient("P1")],
        catalog: vec![
            entry("D1", "drug"),
            entry("S1", "service"),
            entry("M1", "material"),
        ],
        providers: vec![provider("H1", 3)],
        exclusive_items: Vec::new(),
    }
}

fn lines(rule: &str, keys: &[(&str, i32)]) -> BTreeSet<ExpectedFlag> {
    keys.iter()
        .map(|(c, n)| ExpectedFlag::line(rule, c, *n))
        .collect()
}

fn claims(rule: &str, ids: &[&str]) -> BTreeSet<ExpectedFlag> {
    ids.iter().map(|c| ExpectedFlag::claim(rule, c)).collect()
}

fn providers(rule: &str, ids: &[&str]) -> BTreeSet<ExpectedFlag> {
    ids.iter()
        .map(|p| ExpectedFlag::provider(rule, p))
        .collect()
}

/// The rule's flags are exactly `expected`, alone and within `evaluate`.
fn check(data: &Dataset, rule: &str, expected: BTreeSet<ExpectedFlag>) {
    check_with(data, &Params::default(), rule, expected);
}

fn check_with(data: &Dataset, params: &Params, rule: &str, expected: BTreeSet<ExpectedFlag>) {
    let got = evaluate_rule(rule, data, params);
    assert_eq!(got, expected, "{rule}");
    let from_all: BTreeSet<ExpectedFlag> = evaluate(data, params)
        .into_iter()
        .filter(|f| f.rule_id == rule)
        .collect();
    assert_eq!(from_all, expected, "{rule} within evaluate");
}

// ----- the whole ruleset

#[test]
fn clean_dataset_has_no_flags() {
    assert_eq!(evaluate(&base(), &Params::default()), BTreeSet::new());
    assert_eq!(
        evaluate(&Dataset::default(), &Params::default()),
        BTreeSet::new()
    );
}

#[test]
fn default_params_match_the_spec() {
    let p = Params::default();
    assert_eq!(p.cap_employee, dec("700000.00"));
    assert_eq!(p.cap_resident, dec("300000.00"));
    assert_eq!(
        (p.qty02_window_days, p.qty02_limit, p.split_gap_days),
        (30, 60, 15)
    );
    assert_eq!((p.upc_min_lines, p.upc_min_peers), (100, 20));
    assert_eq!(p.upc_quantile, dec("0.95"));
    assert_eq!(RULE_IDS.len(), 22);
}

#[test]
#[should_panic(expected = "unknown rule id")]
fn unknown_rule_panics() {
    evaluate_rule("NOPE-01", &base(), &Params::default());
}

// ----- derived values

#[test]
fn age_in_full_years() {
    let b = d(2006, 6, 15);
    assert_eq!(age(b, d(2024, 6, 14)), 17);
    assert_eq!(age(b, d(2024, 6, 15)), 18);
    let leap = d(2004, 2, 29);
    assert_eq!(age(leap, d(2023, 2, 28)), 18);
    assert_eq!(age(leap, d(2023, 3, 1)), 19);
    assert_eq!(age(leap, d(2024, 2, 28)), 19);
    assert_eq!(age(leap, d(2024, 2, 29)), 20);
    assert_eq!(age(b, b), 0);
}

#[test]
fn prefix_takes_characters() {
    assert_eq!(prefix("J18.000", 3), "J18");
    assert_eq!(prefix("J1", 3), "J1");
    assert_eq!(prefix("", 3), "");
    assert_eq!(prefix("肺炎ABC", 3), "肺炎A");
}

// ----- OOC-01 / OOC-02

#[test]
fn ooc_01_drug_out_of_catalog() {
    let mut data = base();
    data.catalog.push(CatalogEntry {
        valid_from: d(2024, 1, 1),
        valid_to: Some(d(2024, 12, 31)),
        ..entry("D2", "drug")
    });
    data.catalog.push(CatalogEntry {
        pay_class: "C".into(),
        ..entry("D3", "drug")
    });
    data.catalog.push(CatalogEntry {
        pay_class: "B".into(),
        ..entry("D4", "drug")
    });
    data.claim_items = vec![
        drug("C1", 1, "D404", d(2024, 3, 10), None), // no entry
        drug("C1", 2, "D2", d(2023, 12, 31), None),  // before valid_from
        drug("C1", 3, "D2", d(2024, 1, 1), None),    // on valid_from
        drug("C1", 4, "D2", d(2024, 12, 31), None),  // on valid_to
        drug("C1", 5, "D2", d(2025, 1, 1), None),    // after valid_to
        drug("C1", 6, "D3", d(2024, 3, 10), None),   // class C
        drug("C1", 7, "D4", d(2024, 3, 10), None),   // class B
        drug("C1", 8, "D1", d(2099, 3, 10), None),   // valid_to null: open
        line("C1", 9, "S404", "service", d(2024, 3, 10)), // not a drug
        line("C1", 10, "D3", "service", d(2024, 3, 10)), // line item_type decides
    ];
    check(
        &data,
        "OOC-01",
        lines("OOC-01", &[("C1", 1), ("C1", 2), ("C1", 5), ("C1", 6)]),
    );
}

#[test]
fn ooc_02_service_or_material_out_of_catalog() {
    let mut data = base();
    data.catalog.push(CatalogEntry {
        pay_class: "C".into(),
        ..entry("M2", "material")
    });
    data.catalog.push(CatalogEntry {
        valid_from: d(2024, 1, 1),
        valid_to: Some(d(2024, 3, 9)),
        ..entry("S2", "service")
    });
    data.claim_items = vec![
        line("C1", 1, "S404", "service", d(2024, 3, 10)), // no entry
        line("C1", 2, "M404", "material", d(2024, 3, 10)), // no entry
        line("C1", 3, "M2", "material", d(2024, 3, 10)),  // class C
        line("C1", 4, "S2", "service", d(2024, 3, 9)),    // last valid day
        line("C1", 5, "S2", "service", d(2024, 3, 10)),   // day after valid_to
        line("C1", 6, "S1", "service", d(2024, 3, 10)),   // fine
        drug("C1", 7, "D404", d(2024, 3, 10), None),      // a drug: OOC-01's
    ];
    check(
        &data,
        "OOC-02",
        lines("OOC-02", &[("C1", 1), ("C1", 2), ("C1", 3), ("C1", 5)]),
    );
}

// ----- LIM-*

#[test]
fn lim_gender() {
    let mut data = base();
    data.patients.push(Patient {
        gender: "M".into(),
        ..patient("P2")
    });
    data.catalog.push(CatalogEntry {
        gender_limit: Some("F".into()),
        ..entry("S9", "service")
    });
    data.claims
        .push(claim("C2", "P2", "H1", "outpatient", d(2024, 3, 10)));
    data.claims
        .push(claim("C3", "P404", "H1", "outpatient", d(2024, 3, 10)));
    data.claim_items = vec![
        line("C1", 1, "S9", "service", d(2024, 3, 10)), // F patient, F limit
        line("C2", 1, "S9", "service", d(2024, 3, 10)), // M patient, F limit
        line("C2", 2, "S1", "service", d(2024, 3, 10)), // no limit
        line("C2", 3, "S404", "service", d(2024, 3, 10)), // no entry
        line("C3", 1, "S9", "service", d(2024, 3, 10)), // no patient
    ];
    check(&data, "LIM-GENDER", lines("LIM-GENDER", &[("C2", 1)]));
}

#[test]
fn lim_age_birthday_boundaries() {
    let mut data = base();
    data.patients = vec![
        Patient {
            birth_date: d(2006, 6, 15),
            ..patient("P1")
        },
        Patient {
            birth_date: d(2004, 2, 29),
            ..patient("P2")
        },
    ];
    data.catalog.push(CatalogEntry {
        min_age: Some(18),
        ..entry("ADULT", "service")
    });
    data.catalog.push(CatalogEntry {
        max_age: Some(17),
        ..entry("KID", "service")
    });
    data.catalog.push(CatalogEntry {
        min_age: Some(19),
        ..entry("MIN19", "service")
    });
    data.catalog.push(CatalogEntry {
        max_age: Some(18),
        ..entry("MAX18", "service")
    });
    data.claims = vec![
        claim("C1", "P1", "H1", "outpatient", d(2024, 6, 14)),
        claim("C2", "P2", "H1", "outpatient", d(2023, 2, 28)),
        claim("C3", "P404", "H1", "outpatient", d(2024, 6, 14)),
    ];
    data.claim_items = vec![
        // P1 turns 18 on 2024-06-15
        line("C1", 1, "ADULT", "service", d(2024, 6, 14)), // 17 < 18: fires
        line("C1", 2, "ADULT", "service", d(2024, 6, 15)), // 18
        line("C1", 3, "KID", "service", d(2024, 6, 14)),   // 17
        line("C1", 4, "KID", "service", d(2024, 6, 15)),   // 18 > 17: fires
        line("C1", 5, "S1", "service", d(2024, 6, 14)),    // no limit
        // P2 born 29 Feb 2004: 18 on 28 Feb 2023, 19 on 1 Mar 2023
        line("C2", 1, "MIN19", "service", d(2023, 2, 28)), // 18 < 19: fires
        line("C2", 2, "MIN19", "service", d(2023, 3, 1)),  // 19
        line("C2", 3, "MAX18", "service", d(2023, 2, 28)), // 18
        line("C2", 4, "MAX18", "service", d(2023, 3, 1)),  // 19 > 18: fires
        // no patient: age unknown
        line("C3", 1, "ADULT", "service", d(2024, 6, 14)),
        line("C3", 2, "KID", "service", d(2024, 6, 14)),
    ];
    check(
        &data,
        "LIM-AGE",
        lines("LIM-AGE", &[("C1", 1), ("C1", 4), ("C2", 1), ("C2", 4)]),
    );
}

#[test]
fn lim_dx() {
    let mut data = base();
    let limited = |code: &str, prefixes: Option<Vec<&str>>| CatalogEntry {
        dx_prefixes: prefixes.map(|v| v.into_iter().map(String::from).collect()),
        ..entry(code, "drug")
    };
    data.catalog.push(limited("DIAB", Some(vec!["E11", "E10"])));
    data.catalog.push(limited("EMPTY", Some(vec![])));
    let day = d(2024, 3, 10);
    let with_dx = |id: &str, primary: &str, secondary: Option<Vec<&str>>| Claim {
        primary_dx: primary.into(),
        secondary_dx: secondary.map(|v| v.into_iter().map(String::from).collect()),
        ..claim(id, "P1", "H1", "outpatient", day)
    };
    data.claims = vec![
        with_dx("C1", "E11.900", None),                  // primary matches
        with_dx("C2", "I10.x00", Some(vec!["E10.100"])), // a secondary matches
        with_dx("C3", "I10.x00", None),                  // no match, secondary null: fires
        with_dx("C4", "I10.x00", Some(vec![])),          // no match, secondary empty: fires
        with_dx("C5", "E1", Some(vec!["I10"])),          // shorter than the prefix: fires
        with_dx("C6", "I10.x00", Some(vec!["E12.000", "e11.9"])), // case matters: fires
    ];
    data.claim_items = vec![
        drug("C1", 1, "DIAB", day, None),
        drug("C2", 1, "DIAB", day, None),
        drug("C3", 1, "DIAB", day, None),
        drug("C3", 2, "EMPTY", day, None), // empty list: no restriction
        drug("C3", 3, "D1", day, None),    // null list: no restriction
        drug("C3", 4, "D404", day, None),  // no entry
        drug("C4", 1, "DIAB", day, None),
        drug("C5", 1, "DIAB", day, None),
        drug("C6", 1, "DIAB", day, None),
    ];
    check(
        &data,
        "LIM-DX",
        lines("LIM-DX", &[("C3", 1), ("C4", 1), ("C5", 1), ("C6", 1)]),
    );
}

#[test]
fn lim_level() {
    let mut data = base();
    data.providers = vec![provider("H1", 1), provider("H2", 2), provider("H3", 3)];
    data.catalog.push(CatalogEntry {
        min_provider_level: Some(2),
        ..entry("L2", "service")
    });
    let day = d(2024, 3, 10);
    data.claims = vec![
        claim("C1", "P1", "H1", "outpatient", day),
        claim("C2", "P1", "H2", "outpatient", day),
        claim("C3", "P1", "H3", "outpatient", day),
        claim("C4", "P1", "H404", "outpatient", day),
    ];
    data.claim_items = vec![
        line("C1", 1, "L2", "service", day), // 1 < 2: fires
        line("C1", 2, "S1", "service", day), // no limit
        line("C2", 1, "L2", "service", day), // 2
        line("C3", 1, "L2", "service", day), // 3
        line("C4", 1, "L2", "service", day), // no provider: unknown
    ];
    check(&data, "LIM-LEVEL", lines("LIM-LEVEL", &[("C1", 1)]));
}

// ----- PRICE-CAP

#[test]
fn price_cap_equal_vs_above() {
    let mut data = base();
    data.catalog.push(CatalogEntry {
        price_cap: Some(dec("10.0000")),
        ..entry("CAP", "material")
    });
    data.catalog.push(CatalogEntry {
        price_cap: Some(dec("10.5")),
        ..entry("CAP2", "material")
    });
    let day = d(2024, 3, 10);
    let priced = |no: i32, code: &str, price: &str| Line {
        unit_price: dec(price),
        ..line("C1", no, code, "material", day)
    };
    data.claim_items = vec![
        priced(1, "CAP", "10.0000"),     // equal
        priced(2, "CAP", "10.0001"),     // above: fires
        priced(3, "CAP", "9.9999"),      // below
        priced(4, "CAP2", "10.5000"),    // equal at a different scale
        priced(5, "CAP2", "10.5100"),    // fires
        priced(6, "M1", "99999.0000"),   // no cap
        priced(7, "M404", "99999.0000"), // no entry
    ];
    check(
        &data,
        "PRICE-CAP",
        lines("PRICE-CAP", &[("C1", 2), ("C1", 5)]),
    );
}

// ----- DUP-01

#[test]
fn dup_01_same_patient_item_day() {
    let mut data = base();
    let day = d(2024, 3, 10);
    data.claims = vec![
        claim("C1", "P1", "H1", "outpatient", day),
        claim("C2", "P1", "H2", "outpatient", day),
        claim("C3", "P2", "H1", "outpatient", day),
        claim("C4", "P404", "H1", "outpatient", day),
        claim("C5", "P404", "H1", "outpatient", day),
    ];
    data.claim_items = vec![
        line("C1", 1, "S1", "service", day),  // with C2/1: fires
        line("C2", 1, "S1", "service", day),  // fires
        line("C1", 2, "M1", "material", day), // with C1/3 and C2/2: fires
        line("C1", 3, "M1", "material", day), // same claim: fires
        line("C2", 2, "M1", "material", day), // fires
        line("C1", 4, "S1", "service", d(2024, 3, 11)), // other day
        line("C3", 1, "S1", "service", day),  // other patient
        drug("C1", 5, "D1", day, None),       // drugs are not DUP-01's
        drug("C2", 3, "D1", day, None),
        line("C1", 6, "X1", "service", day), // same code, other item_type
        line("C2", 4, "X1", "drug", day),
        line("C4", 1, "S404", "service", day), // no patient row, no entry: fires
        line("C5", 1, "S404", "service", day), // fires
    ];
    check(
        &data,
        "DUP-01",
        lines(
            "DUP-01",
            &[
                ("C1", 1),
                ("C2", 1),
                ("C1", 2),
                ("C1", 3),
                ("C2", 2),
                ("C4", 1),
                ("C5", 1),
            ],
        ),
    );
}

// ----- MUTEX-01

#[test]
fn mutex_01_exclusive_pairs_on_one_day() {
    let mut data = base();
    let day = d(2024, 3, 10);
    let pair = |a: &str, b: &str, from: NaiveDate, to: Option<NaiveDate>| ExclusivePair {
        item_a: a.into(),
        item_b: b.into(),
        valid_from: from,
        valid_to: to,
        basis: None,
    };
    data.exclusive_items = vec![
        pair("A", "B", d(2024, 1, 1), None),
        pair("C", "B", d(2024, 1, 1), Some(d(2024, 3, 9))), // ended the day before
        pair("E", "F", d(2024, 3, 11), None),               // starts the day after
    ];
    data.claims = vec![
        claim("C1", "P1", "H1", "outpatient", day),
        claim("C2", "P1", "H2", "outpatient", day),
        claim("C3", "P2", "H1", "outpatient", day),
    ];
    data.claim_items = vec![
        line("C1", 1, "A", "service", day),            // with C2/1: fires
        line("C2", 1, "B", "service", day),            // the pair the other way: fires
        line("C1", 2, "A", "service", day),            // A twice: fires with B, not with itself
        line("C1", 3, "C", "service", day),            // C-B ended: silent
        line("C1", 4, "B", "service", d(2024, 3, 11)), // next day: silent
        line("C3", 1, "B", "service", day),            // another patient: silent
        line("C1", 5, "E", "service", day),            // E-F not yet in force
        line("C1", 6, "F", "service", day),
    ];
    check(
        &data,
        "MUTEX-01",
        lines("MUTEX-01", &[("C1", 1), ("C2", 1), ("C1", 2)]),
    );
}

// ----- FREQ-01

#[test]
fn freq_01_daily_quantity() {
    let mut data = base();
    data.catalog.push(CatalogEntry {
        max_daily_qty: Some(dec("2.000")),
        ..entry("F2", "service")
    });
    data.claims
        .push(claim("C2", "P1", "H1", "outpatient", d(2024, 3, 10)));
    data.claims
        .push(claim("C3", "P2", "H1", "outpatient", d(2024, 3, 10)));
    let qty = |claim_id: &str, no: i32, item_type: &str, day: NaiveDate, q: &str| Line {
        quantity: dec(q),
        ..line(claim_id, no, "F2", item_type, day)
    };
    data.claim_items = vec![
        // 2024-03-10: 1 + 1 = 2, not above
        qty("C1", 1, "service", d(2024, 3, 10), "1.000"),
        qty("C2", 1, "service", d(2024, 3, 10), "1.000"),
        // 2024-03-11: 1.5 + 0.501 (any item_type) = 2.001: all fire
        qty("C1", 2, "service", d(2024, 3, 11), "1.500"),
        qty("C2", 2, "material", d(2024, 3, 11), "0.501"),
        // another patient, same day: 2
        qty("C3", 1, "service", d(2024, 3, 11), "2.000"),
        // one line alone above: fires
        qty("C3", 2, "service", d(2024, 3, 12), "2.001"),
        // no max_daily_qty / no entry
        Line {
            quantity: dec("50"),
            ..line("C1", 3, "S1", "service", d(2024, 3, 10))
        },
        Line {
            quantity: dec("50"),
            ..line("C1", 4, "S404", "service", d(2024, 3, 10))
        },
    ];
    check(
        &data,
        "FREQ-01",
        lines("FREQ-01", &[("C1", 2), ("C2", 2), ("C3", 2)]),
    );
}

// ----- QTY-01 / QTY-02

#[test]
fn qty_01_days_supply_on_one_line() {
    let mut data = base();
    data.catalog.push(CatalogEntry {
        max_days_supply: Some(30),
        ..entry("D30", "drug")
    });
    let day = d(2024, 3, 10);
    data.claim_items = vec![
        drug("C1", 1, "D30", day, Some(30)), // equal
        drug("C1", 2, "D30", day, Some(31)), // fires
        drug("C1", 3, "D30", day, None),     // null days_supply
        drug("C1", 4, "D1", day, Some(365)), // no max
        Line {
            days_supply: Some(31),
            ..line("C1", 5, "D30", "service", day)
        }, // not a drug
        drug("C1", 6, "D404", day, Some(365)), // no entry
    ];
    check(&data, "QTY-01", lines("QTY-01", &[("C1", 2)]));
}

#[test]
fn qty_02_thirty_day_window() {
    let mut data = base();
    data.catalog.push(entry("D2", "drug"));
    let mut claims_ = Vec::new();
    let mut items = Vec::new();
    // one claim per (patient, line) so that lines of a patient span claims
    let mut add = |patient_id: &str, claim_id: &str, line: Line| {
        claims_.push(claim(
            claim_id,
            patient_id,
            "H1",
            "pharmacy",
            line.service_date,
        ));
        items.push(Line {
            claim_id: claim_id.into(),
            ..line
        });
    };
    let jan = |day: u32| d(2024, 1, day);
    // A: the earlier line on the 29th day before: 30 + 31 = 61 > 60
    add("PA", "A1", drug("", 1, "D1", jan(1), Some(30)));
    add("PA", "A2", drug("", 1, "D1", jan(30), Some(31))); // fires
    // B: the earlier line 30 days before, outside the window: 31
    add("PB", "B1", drug("", 1, "D1", jan(1), Some(30)));
    add("PB", "B2", drug("", 1, "D1", jan(31), Some(31)));
    // C: exactly 60
    add("PC", "C1", drug("", 1, "D1", jan(1), Some(30)));
    add("PC", "C2", drug("", 1, "D1", jan(10), Some(30)));
    // D: one line alone of 61 fires; a later null line in its window does not
    add("PD", "D1", drug("", 1, "D1", jan(1), Some(61))); // fires
    add("PD", "D2", drug("", 1, "D1", jan(5), None));
    // E: same-day lines count for each other
    add("PE", "E1", drug("", 1, "D1", jan(5), Some(31))); // fires
    add("PE", "E2", drug("", 1, "D1", jan(5), Some(30))); // fires
    // F: other item_code, other patient, non-drug lines are not summed
    add("PF", "F1", drug("", 1, "D1", jan(5), Some(40)));
    add("PF", "F2", drug("", 1, "D2", jan(5), Some(40)));
    add(
        "PF",
        "F3",
        Line {
            days_supply: Some(40),
            ..line("", 1, "D1", "service", jan(5))
        },
    );
    add("PG", "G1", drug("", 1, "D1", jan(5), Some(40)));
    // H: a null line in between counts 0: 30 + null + 30 = 60
    add("PH", "H1", drug("", 1, "D1", jan(1), Some(30)));
    add("PH", "H2", drug("", 1, "D1", jan(2), None));
    add("PH", "H3", drug("", 1, "D1", jan(3), Some(30)));
    // I: a later line does not count for an earlier one
    add("PI", "I1", drug("", 1, "D1", jan(1), Some(30)));
    add("PI", "I2", drug("", 1, "D1", jan(2), Some(31))); // fires
    data.claims = claims_;
    data.claim_items = items;
    check(
        &data,
        "QTY-02",
        lines(
            "QTY-02",
            &[("A2", 1), ("D1", 1), ("E1", 1), ("E2", 1), ("I2", 1)],
        ),
    );
    // The window and limit are parameters.
    let params = Params {
        qty02_window_days: 31,
        ..Params::default()
    };
    check_with(
        &data,
        &params,
        "QTY-02",
        lines(
            "QTY-02",
            &[
                ("A2", 1),
                ("B2", 1),
                ("D1", 1),
                ("E1", 1),
                ("E2", 1),
                ("I2", 1),
            ],
        ),
    );
    let params = Params {
        qty02_limit: 59,
        ..Params::default()
    };
    check_with(
        &data,
        &params,
        "QTY-02",
        lines(
            "QTY-02",
            &[
                ("A2", 1),
                ("C2", 1),
                ("D1", 1),
                ("E1", 1),
                ("E2", 1),
                ("H3", 1),
                ("I2", 1),
            ],
        ),
    );
}

// ----- GHOST-*

#[test]
fn ghost_01_day_of_death_vs_day_after() {
    let mut data = base();
    data.patients = vec![
        Patient {
            death_date: Some(d(2024, 3, 10)),
            ..patient("P1")
        },
        patient("P2"),
    ];
    data.claims = vec![
        claim("C1", "P1", "H1", "outpatient", d(2024, 3, 10)), // day of death
        claim("C2", "P1", "H1", "outpatient", d(2024, 3, 11)), // day after: fires
        inpatient("C3", "P1", "H1", d(2024, 3, 1), d(2024, 3, 20)), // admitted before
        claim("C4", "P2", "H1", "outpatient", d(2099, 1, 1)),  // alive
        claim("C5", "P404", "H1", "outpatient", d(2099, 1, 1)), // no patient
    ];
    data.claim_items.clear();
    check(&data, "GHOST-01", claims("GHOST-01", &["C2"]));
}

#[test]
fn ghost_02_unknown_patient() {
    let mut data = base();
    data.claims
        .push(claim("C2", "P404", "H1", "outpatient", d(2024, 3, 10)));
    data.claims
        .push(claim("C3", "p1", "H1", "outpatient", d(2024, 3, 10))); // ids are exact strings
    check(&data, "GHOST-02", claims("GHOST-02", &["C2", "C3"]));
}

#[test]
fn ghost_03_same_day_two_regions() {
    let mut data = base();
    let day = d(2024, 3, 10);
    let region = |c: Claim, r: &str| Claim {
        treat_region: r.into(),
        ..c
    };
    data.claims = vec![
        // P1 on the day: outpatient in A, pharmacy in B, another outpatient in A: all fire
        region(claim("C1", "P1", "H1", "outpatient", day), "A"),
        region(claim("C2", "P1", "H2", "pharmacy", day), "B"),
        region(claim("C3", "P1", "H1", "outpatient", day), "A"),
        // inpatient the same day in C: neither flagged nor counted
        region(inpatient("C4", "P1", "H3", day, d(2024, 3, 12)), "C"),
        // P1 the next day, one region
        region(claim("C5", "P1", "H1", "outpatient", d(2024, 3, 11)), "A"),
        // P2: two claims, same region
        region(claim("C6", "P2", "H1", "outpatient", day), "A"),
        region(claim("C7", "P2", "H2", "pharmacy", day), "A"),
        // P3: outpatient in A, inpatient in B
        region(claim("C8", "P3", "H1", "outpatient", day), "A"),
        region(inpatient("C9", "P3", "H2", day, day), "B"),
        // P4: pharmacy in A and B, no patient row: fires
        region(claim("C10", "P404", "H1", "pharmacy", day), "A"),
        region(claim("C11", "P404", "H1", "pharmacy", day), "B"),
    ];
    data.claim_items.clear();
    check(
        &data,
        "GHOST-03",
        claims("GHOST-03", &["C1", "C2", "C3", "C10", "C11"]),
    );
}

// ----- WAIT-01

#[test]
fn wait_01_waiting_period() {
    let mut data = base();
    data.patients = vec![Patient {
        enroll_date: d(2024, 1, 1),
        benefit_start_date: d(2024, 3, 10),
        ..patient("P1")
    }];
    data.claims = vec![
        claim("C1", "P1", "H1", "outpatient", d(2024, 3, 9)), // fires
        claim("C2", "P1", "H1", "outpatient", d(2024, 3, 10)),
        claim("C3", "P404", "H1", "outpatient", d(1990, 1, 1)),
    ];
    data.claim_items.clear();
    check(&data, "WAIT-01", claims("WAIT-01", &["C1"]));
}

// ----- STAY-*

#[test]
fn stay_01_outpatient_during_a_stay() {
    let mut data = base();
    data.providers.push(provider("H2", 2));
    let mar = |day: u32| d(2024, 3, day);
    data.claims = vec![
        inpatient("I1", "P1", "H1", mar(1), mar(10)),
        claim("C1", "P1", "H2", "outpatient", mar(1)), // admission day
        claim("C2", "P1", "H2", "outpatient", mar(2)), // fires
        claim("C3", "P1", "H2", "pharmacy", mar(9)),   // fires
        claim("C4", "P1", "H2", "outpatient", mar(10)), // discharge day
        claim("C5", "P1", "H1", "outpatient", mar(5)), // same provider
        claim("C6", "P2", "H2", "outpatient", mar(5)), // other patient
        inpatient("I2", "P1", "H2", mar(5), mar(6)),   // inpatient: not STAY-01's
    ];
    data.claim_items.clear();
    check(&data, "STAY-01", claims("STAY-01", &["C2", "C3"]));
}

#[test]
fn stay_02_overlapping_stays() {
    let mut data = base();
    let mar = |day: u32| d(2024, 3, day);
    data.claims = vec![
        // touching: A discharged the day B is admitted
        inpatient("A", "P1", "H1", mar(1), mar(10)),
        inpatient("B", "P1", "H1", mar(10), mar(15)),
        // overlapping by one day, at different providers: both fire
        inpatient("C", "P2", "H1", mar(1), mar(10)),
        inpatient("D", "P2", "H2", mar(9), mar(12)),
        // an outpatient claim inside a stay
        inpatient("E", "P3", "H1", mar(1), mar(10)),
        claim("F", "P3", "H1", "outpatient", mar(5)),
        // two same-day stays on one day: strict comparisons, no overlap
        inpatient("G", "P4", "H1", mar(1), mar(1)),
        inpatient("H", "P4", "H1", mar(1), mar(1)),
        // a same-day stay inside a longer one: both fire
        inpatient("I", "P5", "H1", mar(1), mar(10)),
        inpatient("J", "P5", "H1", mar(5), mar(5)),
        // other patients
        inpatient("K", "P6", "H1", mar(1), mar(10)),
        inpatient("L", "P7", "H1", mar(1), mar(10)),
    ];
    data.claim_items.clear();
    check(&data, "STAY-02", claims("STAY-02", &["C", "D", "I", "J"]));
}

// ----- SPLIT-01

#[test]
fn split_01_readmission() {
    let mut data = base();
    let jan = |day: u32| d(2024, 1, day);
    let stay =
        |id: &str, p: &str, h: &str, admit: NaiveDate, discharge: NaiveDate, dx: &str| Claim {
            primary_dx: dx.into(),
            ..inpatient(id, p, h, admit, discharge)
        };
    data.claims = vec![
        // 15 days: fires
        stay("A1", "P1", "H1", jan(1), jan(10), "J18.000"),
        stay("A2", "P1", "H1", jan(25), jan(30), "J18.900"),
        // 16 days
        stay("B1", "P2", "H1", jan(1), jan(10), "J18.000"),
        stay("B2", "P2", "H1", jan(26), jan(30), "J18.000"),
        // 0 days (readmitted on the discharge day): fires
        stay("C1", "P3", "H1", jan(1), jan(10), "J18.000"),
        stay("C2", "P3", "H1", jan(10), jan(12), "J18.000"),
        // other diagnosis prefix
        stay("D1", "P4", "H1", jan(1), jan(10), "J18.000"),
        stay("D2", "P4", "H1", jan(15), jan(20), "J20.000"),
        // other provider
        stay("E1", "P5", "H1", jan(1), jan(10), "J18.000"),
        stay("E2", "P5", "H2", jan(15), jan(20), "J18.000"),
        // overlapping (negative gap)
        stay("F1", "P6", "H1", jan(1), jan(10), "J18.000"),
        stay("F2", "P6", "H1", jan(5), jan(20), "J18.000"),
        // immediate predecessor only: G3's predecessor is G2 (K35), not G1
        stay("G1", "P7", "H1", jan(1), jan(10), "J18.000"),
        stay("G2", "P7", "H1", jan(12), jan(20), "K35.000"),
        stay("G3", "P7", "H1", jan(22), jan(25), "J18.000"),
        // same admit_date: ordered by claim_id, X2 follows X1 at gap 0: fires
        stay("X2", "P8", "H1", jan(1), jan(5), "J18.000"),
        stay("X1", "P8", "H1", jan(1), jan(1), "J18.100"),
        // short codes: prefix is the whole code
        stay("S1", "P9", "H1", jan(1), jan(2), "J1"),
        stay("S2", "P9", "H1", jan(3), jan(4), "J1"), // fires
        stay("S3", "P9", "H1", jan(5), jan(6), "J18.000"), // "J18" <> "J1"
        // outpatient claims are not in the order
        stay("T1", "P10", "H1", jan(1), jan(10), "J18.000"),
        Claim {
            primary_dx: "J18.000".into(),
            ..claim("T2", "P10", "H1", "outpatient", jan(12))
        },
        stay("T3", "P10", "H1", jan(20), jan(22), "J18.000"), // pred T1, gap 10: fires
    ];
    data.claim_items.clear();
    check(
        &data,
        "SPLIT-01",
        claims("SPLIT-01", &["A2", "C2", "X2", "S2", "T3"]),
    );
    let params = Params {
        split_gap_days: 16,
        ..Params::default()
    };
    check_with(
        &data,
        &params,
        "SPLIT-01",
        claims("SPLIT-01", &["A2", "B2", "C2", "X2", "S2", "T3"]),
    );
}

// ----- CAP-01

#[test]
fn cap_01_annual_cap() {
    let mut data = base();
    let insured = |id: &str, kind: &str| Patient {
        insurance_type: kind.into(),
        ..patient(id)
    };
    data.patients = vec![
        insured("P1", "employee"),
        insured("P2", "resident"),
        insured("P3", "resident"),
        insured("P4", "employee"),
        insured("P5", "employee"),
        insured("P6", "resident"),
    ];
    let paid = |id: &str, p: &str, admit: NaiveDate, settle: NaiveDateTime, fund: &str| Claim {
        settle_time: settle,
        fund_amount: dec(fund),
        ..claim(id, p, "H1", "outpatient", admit)
    };
    data.claims = vec![
        // P1 employee: exactly at the cap, then a cent over, then nothing more
        paid("A1", "P1", d(2024, 1, 10), dt(2024, 1, 10, 9), "699999.99"),
        paid("A2", "P1", d(2024, 2, 10), dt(2024, 2, 10, 9), "0.01"), // 700000.00
        paid("A3", "P1", d(2024, 3, 10), dt(2024, 3, 10, 9), "0.01"), // 700000.01: fires
        paid("A4", "P1", d(2024, 4, 10), dt(2024, 4, 10, 9), "0.00"), // still over: fires
        paid("A5", "P1", d(2025, 1, 10), dt(2025, 1, 10, 9), "1.00"), // new year
        // P2 resident: at the cap in 2024, a cent in 2025
        paid("B1", "P2", d(2024, 5, 1), dt(2024, 5, 1, 9), "300000.00"),
        paid("B2", "P2", d(2025, 5, 1), dt(2025, 5, 1, 9), "0.01"),
        // P3 resident: a cent over in one claim
        paid("C1", "P3", d(2024, 5, 1), dt(2024, 5, 1, 9), "300000.01"), // fires
        // P4: ordered by settle_time, not admit_date
        paid("D1", "P4", d(2024, 1, 1), dt(2024, 6, 1, 9), "700000.00"), // 700000.01: fires
        paid("D2", "P4", d(2024, 2, 1), dt(2024, 2, 2, 9), "0.01"),
        // P5: same settle_time, ordered by claim_id
        paid("E2", "P5", d(2024, 1, 1), dt(2024, 1, 1, 9), "0.01"), // second: fires
        paid("E1", "P5", d(2024, 1, 1), dt(2024, 1, 1, 9), "700000.00"),
        // P6: the year is admit_date's, not settle_time's
        paid("F1", "P6", d(2024, 12, 31), dt(2025, 1, 2, 9), "300000.00"),
        paid("F2", "P6", d(2025, 1, 1), dt(2025, 1, 1, 9), "0.01"),
        // no patient row: no cap
        paid("G1", "P404", d(2024, 1, 1), dt(2024, 1, 1, 9), "9999999.00"),
    ];
    data.claim_items.clear();
    check(
        &data,
        "CAP-01",
        claims("CAP-01", &["A3", "A4", "C1", "D1", "E2"]),
    );
    let params = Params {
        cap_resident: dec("299999.99"),
        ..Params::default()
    };
    check_with(
        &data,
        &params,
        "CAP-01",
        claims("CAP-01", &["A3", "A4", "B1", "C1", "D1", "E2", "F1"]),
    );
}

// ----- CONTRACT-01

#[test]
fn contract_01_designation_period() {
    let mut data = base();
    data.providers = vec![
        Provider {
            contract_from: d(2024, 1, 1),
            contract_to: Some(d(2024, 12, 31)),
            ..provider("H1", 3)
        },
        Provider {
            contract_from: d(2024, 1, 1),
            ..provider("H2", 2)
        },
    ];
    data.claims = vec![
        claim("C1", "P1", "H1", "outpatient", d(2023, 12, 31)), // fires
        claim("C2", "P1", "H1", "outpatient", d(2024, 1, 1)),
        claim("C3", "P1", "H1", "outpatient", d(2024, 12, 31)),
        claim("C4", "P1", "H1", "outpatient", d(2025, 1, 1)), // fires
        claim("C5", "P1", "H2", "outpatient", d(2099, 1, 1)), // open contract
        claim("C6", "P1", "H404", "outpatient", d(2024, 6, 1)), // no provider: fires
    ];
    data.claim_items.clear();
    check(
        &data,
        "CONTRACT-01",
        claims("CONTRACT-01", &["C1", "C4", "C6"]),
    );
}

// ----- UPC-01

/// Adds provider `id` (level `level`, or no providers row when None) with
/// one claim holding `n` consultation lines of which `h` are tier 3.
fn add_consulting_provider(data: &mut Dataset, id: &str, level: Option<i32>, n: i32, h: i32) {
    if let Some(level) = level {
        data.providers.push(provider(id, level));
    }
    let day = d(2024, 3, 10);
    let claim_id = format!("K-{id}");
    data.claims
        .push(claim(&claim_id, "P1", id, "outpatient", day));
    for no in 1..=n {
        let code = if no <= h { "CONS3" } else { "CONS1" };
        data.claim_items
            .push(line(&claim_id, no, code, "service", day));
    }
}

fn consult_catalog() -> Dataset {
    let mut data = base();
    let consult = |code: &str, tier: Option<i32>| CatalogEntry {
        family: Some("consult".into()),
        tier,
        ..entry(code, "service")
    };
    data.catalog.push(consult("CONS1", Some(1)));
    data.catalog.push(consult("CONS2", Some(2)));
    data.catalog.push(consult("CONS3", Some(3)));
    data.catalog.push(consult("CONSX", None));
    data.catalog.push(CatalogEntry {
        family: Some("other".into()),
        tier: Some(3),
        ..entry("OTH3", "service")
    });
    data
}

/// 20 level-2 providers: U00..U17 at share 10/100, U18 and U19 as given.
fn upc_group(h18: i32, h19: i32) -> Dataset {
    let mut data = consult_catalog();
    for i in 0..18 {
        add_consulting_provider(&mut data, &format!("U{i:02}"), Some(2), 100, 10);
    }
    add_consulting_provider(&mut data, "U18", Some(2), 100, h18);
    add_consulting_provider(&mut data, "U19", Some(2), 100, h19);
    data
}

#[test]
fn linear_quantile_is_exact() {
    let r = |n: i128, d: i128| Ratio::new(n, d);
    let q = dec("0.95");
    assert_eq!(linear_quantile(&[r(0, 1), r(1, 1)], q), r(19, 20));
    assert_eq!(linear_quantile(&[r(7, 3)], q), r(7, 3));
    // k = 21: position 19 exactly
    let values: Vec<Ratio> = (0..21).map(|i| r(i, 100)).collect();
    assert_eq!(linear_quantile(&values, q), r(19, 100));
    // k = 20: position 18.05
    let values: Vec<Ratio> = (0..20).map(|i| r(i, 100)).collect();
    assert_eq!(linear_quantile(&values, q), r(1805, 10000));
    assert_eq!(linear_quantile(&values, dec("0.950")), r(1805, 10000));
    assert_eq!(linear_quantile(&values, Decimal::ONE), r(19, 100));
    assert_eq!(linear_quantile(&values, Decimal::ZERO), r(0, 1));
    assert!(r(1, 3) > r(33, 100) && r(1, 3) < r(34, 100) && r(2, 6) == r(1, 3));
}

#[test]
fn upc_01_share_equal_to_p95_does_not_flag() {
    // sorted shares: 18 × 0.10, 0.50, 0.50 => p95 = 0.50 + 0.05·0 = 0.50
    check(&upc_group(50, 50), "UPC-01", BTreeSet::new());
}

#[test]
fn upc_01_share_above_p95_flags() {
    // sorted shares: 18 × 0.10, 0.50, 0.51 => p95 = 0.50 + 0.05·0.01 = 0.5005
    check(&upc_group(50, 51), "UPC-01", providers("UPC-01", &["U19"]));
    // 0.10 … 0.10, 0.40, 0.60 => p95 = 0.41: only U19
    check(&upc_group(40, 60), "UPC-01", providers("UPC-01", &["U19"]));
}

#[test]
fn upc_01_integer_position_and_non_decimal_shares() {
    // 21 providers, shares i/100 for i = 0..=20 (U20 with share 0.20):
    // position 20·0.95 = 19 exactly, p95 = 0.19: U19 (equal) does not flag, U20 does.
    let mut data = consult_catalog();
    for i in 0..21 {
        add_consulting_provider(&mut data, &format!("U{i:02}"), Some(2), 100, i);
    }
    check(&data, "UPC-01", providers("UPC-01", &["U20"]));
    // Shares with n ≠ 100 (thirds): 19 providers at 1/3 (150 lines, 50 tier 3)
    // and one at 100/300 = 1/3 => p95 = 1/3 and nobody is above it.
    let mut data = consult_catalog();
    for i in 0..19 {
        add_consulting_provider(&mut data, &format!("V{i:02}"), Some(1), 150, 50);
    }
    add_consulting_provider(&mut data, "V19", Some(1), 300, 100);
    check(&data, "UPC-01", BTreeSet::new());
    // ... and 101/300 is above it
    let mut data = consult_catalog();
    for i in 0..19 {
        add_consulting_provider(&mut data, &format!("V{i:02}"), Some(1), 150, 50);
    }
    add_consulting_provider(&mut data, "V19", Some(1), 300, 101);
    check(&data, "UPC-01", providers("UPC-01", &["V19"]));
}

#[test]
fn upc_01_eligibility_and_peer_groups() {
    // 19 eligible level-2 providers: the group is not usable.
    let mut data = consult_catalog();
    for i in 0..18 {
        add_consulting_provider(&mut data, &format!("U{i:02}"), Some(2), 100, 10);
    }
    add_consulting_provider(&mut data, "U18", Some(2), 100, 90);
    // 99 lines: not eligible, not counted, never flagged
    add_consulting_provider(&mut data, "SMALL", Some(2), 99, 99);
    // no providers row: no level, in no group
    add_consulting_provider(&mut data, "GHOST", None, 200, 200);
    // level 3: a group of one
    add_consulting_provider(&mut data, "L3", Some(3), 100, 100);
    check(&data, "UPC-01", BTreeSet::new());
    // one more eligible level-2 provider makes the group usable
    add_consulting_provider(&mut data, "U19", Some(2), 100, 10);
    check(&data, "UPC-01", providers("UPC-01", &["U18"]));
    // the thresholds are parameters
    let params = Params {
        upc_min_peers: 1,
        upc_min_lines: 99,
        ..Params::default()
    };
    check_with(&data, &params, "UPC-01", providers("UPC-01", &["SMALL"]));
}

#[test]
fn upc_01_only_consultation_lines_count() {
    // U19 has 99 tier-1 consultation lines plus lines that are not
    // consultation lines (tier null, another family, no entry): n = 99, so
    // U19 is not eligible and the level-2 group has only 19 providers.
    let mut data = consult_catalog();
    for i in 0..18 {
        add_consulting_provider(&mut data, &format!("U{i:02}"), Some(2), 100, 10);
    }
    add_consulting_provider(&mut data, "U18", Some(2), 100, 100);
    add_consulting_provider(&mut data, "U19", Some(2), 99, 0);
    let day = d(2024, 3, 10);
    for (no, code) in [(100, "CONSX"), (101, "OTH3"), (102, "CONS404")] {
        data.claim_items
            .push(line("K-U19", no, code, "service", day));
    }
    check(&data, "UPC-01", BTreeSet::new());
    // One more (tier-2) consultation line makes U19 eligible (n = 100,
    // h = 0) and the group usable: sorted shares 0, 18 × 0.10, 1 give
    // p95 = 0.10 + 0.05·0.90 = 0.145, and U18 (share 1) is above it.
    data.claim_items
        .push(line("K-U19", 103, "CONS2", "service", day));
    check(&data, "UPC-01", providers("UPC-01", &["U18"]));
}

// ----- the Parquet reader

fn write_parquet(path: &Path, columns: Vec<(&str, ArrayRef)>) {
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut writer = ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

fn utf8(values: &[&str]) -> ArrayRef {
    Arc::new(StringArray::from(values.to_vec()))
}

fn utf8_opt(values: &[Option<&str>]) -> ArrayRef {
    Arc::new(StringArray::from(values.to_vec()))
}

fn int32(values: &[Option<i32>]) -> ArrayRef {
    Arc::new(Int32Array::from(values.to_vec()))
}

fn date32(values: &[Option<NaiveDate>]) -> ArrayRef {
    let epoch = d(1970, 1, 1);
    let days: Vec<Option<i32>> = values
        .iter()
        .map(|v| v.map(|v| (v - epoch).num_days() as i32))
        .collect();
    Arc::new(Date32Array::from(days))
}

fn decimal(values: &[Option<i128>], precision: u8, scale: i8) -> ArrayRef {
    Arc::new(
        Decimal128Array::from(values.to_vec())
            .with_precision_and_scale(precision, scale)
            .unwrap(),
    )
}

fn utf8_list(values: &[Option<Vec<&str>>]) -> ArrayRef {
    let mut builder = ListBuilder::new(StringBuilder::new());
    for value in values {
        match value {
            Some(items) => {
                for item in items {
                    builder.values().append_value(item);
                }
                builder.append(true);
            }
            None => builder.append(false),
        }
    }
    Arc::new(builder.finish())
}

fn claims_columns(ids: &[&str], secondary: &[Option<Vec<&str>>]) -> Vec<(&'static str, ArrayRef)> {
    let n = ids.len();
    let settle = dt(2024, 3, 10, 9).and_utc().timestamp_millis() + 123;
    vec![
        ("extra_first", utf8(&vec!["ignored"; n])),
        ("claim_id", utf8(ids)),
        ("patient_id", utf8(&vec!["P1"; n])),
        ("provider_id", utf8(&vec!["H1"; n])),
        ("visit_type", utf8(&vec!["outpatient"; n])),
        ("admit_date", date32(&vec![Some(d(2024, 3, 10)); n])),
        ("discharge_date", date32(&vec![Some(d(2024, 3, 10)); n])),
        ("primary_dx", utf8(&vec!["E11.900"; n])),
        ("secondary_dx", utf8_list(secondary)),
        ("total_amount", decimal(&vec![Some(12345); n], 18, 2)),
        ("fund_amount", decimal(&vec![Some(-5); n], 18, 2)),
        (
            "settle_time",
            Arc::new(TimestampMillisecondArray::from(vec![Some(settle); n])) as ArrayRef,
        ),
        ("treat_region", utf8(&vec!["110000"; n])),
    ]
}

fn write_small_dataset(dir: &Path, quantity: ArrayRef) {
    // claims as a folder of two files, read in file-name order
    std::fs::create_dir(dir.join("claims")).unwrap();
    write_parquet(
        &dir.join("claims/part-1.parquet"),
        claims_columns(&["C2"], &[None]),
    );
    write_parquet(
        &dir.join("claims/part-0.parquet"),
        claims_columns(&["C1"], &[Some(vec!["I10", "E78.5"])]),
    );
    std::fs::write(dir.join("claims/_SUCCESS"), "").unwrap();
    write_parquet(
        &dir.join("claim_items.parquet"),
        vec![
            ("claim_id", utf8(&["C1", "C2"])),
            ("line_no", int32(&[Some(1), Some(1)])),
            ("item_code", utf8(&["D1", "S1"])),
            ("item_type", utf8(&["drug", "service"])),
            (
                "service_date",
                date32(&[Some(d(2024, 3, 10)), Some(d(2024, 2, 29))]),
            ),
            ("quantity", quantity),
            ("unit_price", decimal(&[Some(105000), Some(1)], 14, 4)),
            ("amount", decimal(&[Some(1575), Some(0)], 18, 2)),
            ("days_supply", int32(&[Some(7), None])),
            ("doctor_id", utf8(&["DR1", "DR2"])),
        ],
    );
    write_parquet(
        &dir.join("patients.parquet"),
        vec![
            ("patient_id", utf8(&["P1"])),
            ("gender", utf8(&["F"])),
            ("birth_date", date32(&[Some(d(1960, 2, 29))])),
            ("death_date", date32(&[None])),
            ("insurance_type", utf8(&["resident"])),
            ("enroll_date", date32(&[Some(d(1969, 12, 31))])),
            ("benefit_start_date", date32(&[Some(d(2010, 1, 1))])),
            ("region", utf8(&["110000"])),
        ],
    );
    write_parquet(
        &dir.join("catalog.parquet"),
        vec![
            ("item_code", utf8(&["D1", "S1"])),
            ("item_name", utf8(&["drug one", "service one"])),
            ("item_type", utf8(&["drug", "service"])),
            ("pay_class", utf8(&["A", "C"])),
            (
                "valid_from",
                date32(&[Some(d(2000, 1, 1)), Some(d(2000, 1, 1))]),
            ),
            ("valid_to", date32(&[None, Some(d(2030, 12, 31))])),
            ("price_cap", decimal(&[Some(120000), None], 14, 4)),
            ("gender_limit", utf8_opt(&[Some("F"), None])),
            ("min_age", int32(&[Some(18), None])),
            ("max_age", int32(&[None, Some(65)])),
            ("dx_prefixes", utf8_list(&[Some(vec!["E11"]), Some(vec![])])),
            ("min_provider_level", int32(&[Some(2), None])),
            ("max_daily_qty", decimal(&[None, Some(2500)], 12, 3)),
            ("max_days_supply", int32(&[Some(30), None])),
            ("family", utf8_opt(&[None, Some("consult")])),
            ("tier", int32(&[None, Some(3)])),
        ],
    );
    write_parquet(
        &dir.join("providers.parquet"),
        vec![
            ("provider_id", utf8(&["H1"])),
            ("provider_name", utf8(&["医院一"])),
            ("level", int32(&[Some(3)])),
            ("kind", utf8(&["hospital"])),
            ("region", utf8(&["110000"])),
            ("contract_from", date32(&[Some(d(2000, 1, 1))])),
            ("contract_to", date32(&[None])),
            ("extra_last", int32(&[Some(1)])),
        ],
    );
    write_parquet(
        &dir.join("exclusive_items.parquet"),
        vec![
            ("item_a", utf8(&["S1"])),
            ("item_b", utf8(&["D1"])),
            ("valid_from", date32(&[Some(d(2024, 1, 1))])),
            ("valid_to", date32(&[None])),
            ("basis", utf8_opt(&[Some("KP-1")])),
        ],
    );
}

#[test]
fn read_dataset_reads_the_contract_types() {
    let dir = tempfile::tempdir().unwrap();
    write_small_dataset(dir.path(), decimal(&[Some(1500), Some(1)], 12, 3));
    let data = read_dataset(dir.path());

    let settle = dt(2024, 3, 10, 9) + chrono::Duration::milliseconds(123);
    let c1 = Claim {
        secondary_dx: Some(vec!["I10".into(), "E78.5".into()]),
        total_amount: dec("123.45"),
        fund_amount: dec("-0.05"),
        settle_time: settle,
        ..claim("C1", "P1", "H1", "outpatient", d(2024, 3, 10))
    };
    let c2 = Claim {
        claim_id: "C2".into(),
        secondary_dx: None,
        ..c1.clone()
    };
    assert_eq!(data.claims, vec![c1, c2]);
    assert_eq!(data.claims[0].total_amount.scale(), 2);

    assert_eq!(
        data.claim_items,
        vec![
            Line {
                quantity: dec("1.500"),
                unit_price: dec("10.5000"),
                amount: dec("15.75"),
                days_supply: Some(7),
                ..line("C1", 1, "D1", "drug", d(2024, 3, 10))
            },
            Line {
                quantity: dec("0.001"),
                unit_price: dec("0.0001"),
                amount: dec("0.00"),
                doctor_id: "DR2".into(),
                ..line("C2", 1, "S1", "service", d(2024, 2, 29))
            },
        ]
    );
    assert_eq!(
        data.patients,
        vec![Patient {
            birth_date: d(1960, 2, 29),
            insurance_type: "resident".into(),
            enroll_date: d(1969, 12, 31),
            ..patient("P1")
        }]
    );
    assert_eq!(
        data.catalog,
        vec![
            CatalogEntry {
                item_name: "drug one".into(),
                price_cap: Some(dec("12.0000")),
                gender_limit: Some("F".into()),
                min_age: Some(18),
                dx_prefixes: Some(vec!["E11".into()]),
                min_provider_level: Some(2),
                max_days_supply: Some(30),
                ..entry("D1", "drug")
            },
            CatalogEntry {
                item_name: "service one".into(),
                pay_class: "C".into(),
                valid_to: Some(d(2030, 12, 31)),
                max_age: Some(65),
                dx_prefixes: Some(vec![]),
                max_daily_qty: Some(dec("2.500")),
                family: Some("consult".into()),
                tier: Some(3),
                ..entry("S1", "service")
            },
        ]
    );
    assert_eq!(
        data.providers,
        vec![Provider {
            provider_name: "医院一".into(),
            ..provider("H1", 3)
        }]
    );
    assert_eq!(
        data.exclusive_items,
        vec![ExclusivePair {
            item_a: "S1".into(),
            item_b: "D1".into(),
            valid_from: d(2024, 1, 1),
            valid_to: None,
            basis: Some("KP-1".into()),
        }]
    );
}

#[test]
#[should_panic(expected = "column quantity has type Float64")]
fn read_dataset_rejects_a_mistyped_column() {
    let dir = tempfile::tempdir().unwrap();
    let floats: ArrayRef = Arc::new(arrow::array::Float64Array::from(vec![1.5, 0.001]));
    write_small_dataset(dir.path(), floats);
    read_dataset(dir.path());
}

#[test]
#[should_panic(expected = "column line_no is missing")]
fn read_dataset_rejects_a_missing_column() {
    let dir = tempfile::tempdir().unwrap();
    write_small_dataset(dir.path(), decimal(&[Some(1500), Some(1)], 12, 3));
    write_parquet(
        &dir.path().join("claim_items.parquet"),
        vec![("claim_id", utf8(&["C1"]))],
    );
    read_dataset(dir.path());
}
