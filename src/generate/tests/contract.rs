//! The contract's invariants, checked on a generated folder read back.

use std::collections::{HashMap, HashSet};

use arrow::datatypes::{DataType, Field};

use super::read::Dataset;
use crate::check::chs_schema;
use crate::data::arrow_types::table_arrow_schema;

/// A version of a pair of exclusive items: first and last day (open when `None`).
type Validity = (i32, Option<i32>);

/// Every file of every table has exactly the contract's columns (patients
/// may add `patient_name` at the end) and no null in a required column.
pub fn check_schemas(data: &Dataset) {
    let contract = chs_schema();
    for (name, table) in &data.tables {
        let Some(declared) = contract.table(name) else {
            continue;
        };
        let mut expected: Vec<Field> = table_arrow_schema(declared)
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        if *name == "patients" {
            expected.push(Field::new("patient_name", DataType::Utf8, false));
        }
        for schema in &table.schemas {
            let found: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
            assert_eq!(found, expected, "schema of {name}");
        }
        for batch in &table.batches {
            for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
                if !field.is_nullable() {
                    assert_eq!(column.null_count(), 0, "{name}.{}", field.name());
                }
            }
        }
    }
}

fn unique(table: &str, keys: impl Iterator<Item = String>) {
    let mut seen = HashSet::new();
    for key in keys {
        assert!(seen.insert(key.clone()), "{table}: duplicate key {key}");
    }
}

fn one_of(value: &str, allowed: &[&str], what: &str) {
    assert!(allowed.contains(&value), "{what}: {value}");
}

pub fn check_rows(data: &Dataset) {
    unique("claims", data.claims.iter().map(|c| c.id.clone()));
    unique(
        "claim_items",
        data.lines
            .iter()
            .map(|l| format!("{}#{}", l.claim, l.line_no)),
    );
    unique("patients", data.patients.iter().map(|p| p.id.clone()));
    unique("catalog", data.catalog.iter().map(|e| e.code.clone()));
    unique("providers", data.providers.iter().map(|p| p.id.clone()));

    let mut totals: HashMap<&str, (i128, i32)> = HashMap::new();
    for line in &data.lines {
        one_of(
            &line.item_type,
            &["drug", "service", "material"],
            "item_type",
        );
        assert!(
            line.quantity > 0,
            "quantity of {}#{}",
            line.claim,
            line.line_no
        );
        let exact = line.quantity * line.price;
        assert_eq!(
            line.amount,
            (exact + 50_000) / 100_000,
            "amount of {}#{}",
            line.claim,
            line.line_no
        );
        let total = totals.entry(&line.claim).or_default();
        total.0 += line.amount;
        total.1 = total.1.max(line.line_no);
        assert!(line.line_no >= 1);
    }
    let line_counts: HashMap<&str, usize> = data.lines.iter().fold(HashMap::new(), |mut m, l| {
        *m.entry(l.claim.as_str()).or_default() += 1;
        m
    });
    for claim in &data.claims {
        one_of(
            &claim.visit,
            &["outpatient", "inpatient", "pharmacy"],
            "visit_type",
        );
        assert!(claim.discharge >= claim.admit, "{}", claim.id);
        if claim.visit != "inpatient" {
            assert_eq!(claim.discharge, claim.admit, "{}", claim.id);
        }
        let (total, last_line) = totals.get(claim.id.as_str()).copied().unwrap_or((0, 0));
        assert_eq!(claim.total, total, "total of {}", claim.id);
        assert_eq!(
            line_counts.get(claim.id.as_str()).copied().unwrap_or(0),
            last_line as usize,
            "line numbers of {}",
            claim.id
        );
        assert!(
            0 <= claim.fund && claim.fund <= claim.total,
            "fund of {}",
            claim.id
        );
    }
    let claims: HashSet<&str> = data.claims.iter().map(|c| c.id.as_str()).collect();
    for line in &data.lines {
        assert!(
            claims.contains(line.claim.as_str()),
            "line of a missing claim {}",
            line.claim
        );
    }
    for p in &data.patients {
        one_of(&p.gender, &["M", "F"], "gender");
        one_of(&p.insurance, &["employee", "resident"], "insurance_type");
    }
    for e in &data.catalog {
        one_of(&e.item_type, &["drug", "service", "material"], "item_type");
        one_of(&e.pay_class, &["A", "B", "C"], "pay_class");
        if let Some(g) = &e.gender {
            one_of(g, &["M", "F"], "gender_limit");
        }
    }
    for p in &data.providers {
        one_of(&p.kind, &["hospital", "clinic", "pharmacy"], "kind");
        assert!((0..=3).contains(&p.level));
    }
    check_exclusive(data);
}

/// The knowledge base: its key, no pair of an item with itself, each pair
/// listed in one order only, and a pair's versions apart.
fn check_exclusive(data: &Dataset) {
    unique(
        "exclusive_items",
        data.exclusive
            .iter()
            .map(|x| format!("{}/{}/{}", x.item_a, x.item_b, x.valid_from)),
    );
    let mut versions: HashMap<(&str, &str), Vec<Validity>> = HashMap::new();
    for x in &data.exclusive {
        assert_ne!(x.item_a, x.item_b, "a pair of one item");
        assert!(
            x.valid_to.is_none_or(|to| x.valid_from <= to),
            "{} {}: ends before it starts",
            x.item_a,
            x.item_b
        );
        versions
            .entry((&x.item_a, &x.item_b))
            .or_default()
            .push((x.valid_from, x.valid_to));
    }
    for ((a, b), list) in &mut versions {
        list.sort();
        for pair in list.windows(2) {
            assert!(
                pair[0].1.is_some_and(|to| to < pair[1].0),
                "{a} {b}: versions overlap"
            );
        }
    }
    for (a, b) in versions.keys() {
        assert!(
            !versions.contains_key(&(*b, *a)),
            "{a} {b}: listed both ways"
        );
    }
}
