//! Fuzz-style properties of the readers: arbitrary JSON and mutations of
//! valid claims and 3101 requests never panic, and are either read or
//! refused naming a field; arbitrary bytes through the strict body reader
//! agree with serde_json; a valid claim round-trips through its JSON form.

mod serve_support;

use claimaudit::ir::Ruleset;
use claimaudit::serve::api::{claim_from_json, claim_to_json};
use claimaudit::serve::claim_codec;
use claimaudit::serve::fsi::review_request;
use claimaudit::serve::shape::ClaimShape;
use claimaudit::serve::strict_json::{BodyError, parse};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use serve_support::shipped;

fn ruleset() -> &'static Ruleset {
    shipped().ruleset.as_ref().unwrap()
}

fn shape() -> ClaimShape {
    ClaimShape::of(ruleset()).unwrap()
}

/// Strings a hostile client would try: near-dates, near-decimals, blanks.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("  ".to_string()),
        Just("2024-06-01".to_string()),
        Just("2024-6-1".to_string()),
        Just("0000-01-01".to_string()),
        Just("9999-12-31 23:59:59".to_string()),
        Just("2024-06-01 09:30:00.5".to_string()),
        Just("1e5".to_string()),
        Just("1_000".to_string()),
        Just("-0.001".to_string()),
        Just("drug".to_string()),
        "[ -~]{0,12}",
        "\\PC{0,6}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..5)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Keys: mostly the claim's own fields, so the reader gets past the first.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "claim_id",
            "patient_id",
            "provider_id",
            "visit_type",
            "admit_date",
            "discharge_date",
            "primary_dx",
            "secondary_dx",
            "total_amount",
            "fund_amount",
            "settle_time",
            "treat_region",
            "lines",
            "line_no",
            "item_code",
            "item_type",
            "service_date",
            "quantity",
            "unit_price",
            "amount",
            "days_supply",
            "doctor_id",
        ])
        .prop_map(String::from),
        "[a-z_]{1,8}",
    ]
}

fn valid_claim() -> Value {
    serde_json::from_slice(
        &std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/claims/valid.json"),
        )
        .unwrap(),
    )
    .unwrap()
}

fn valid_3101() -> Value {
    serde_json::from_slice(
        &std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/fsi/valid.json"),
        )
        .unwrap(),
    )
    .unwrap()
}

/// Every object path of `value` (`[]` the root).
fn paths(value: &Value, at: Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(at.clone());
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let mut p = at.clone();
                p.push(k.clone());
                paths(v, p, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let mut p = at.clone();
                p.push(i.to_string());
                paths(v, p, out);
            }
        }
        _ => {}
    }
}

fn at<'v>(value: &'v mut Value, path: &[String]) -> &'v mut Value {
    path.iter().fold(value, |v, step| match v {
        Value::Array(items) => &mut items[step.parse::<usize>().unwrap()],
        other => &mut other[step.as_str()],
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    Replace(Value),
    Remove,
    Add(String, Value),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        json_value().prop_map(Mutation::Replace),
        Just(Mutation::Remove),
        (key(), json_value()).prop_map(|(k, v)| Mutation::Add(k, v)),
    ]
}

/// Applies `mutations` (each at the path its index picks) to `value`.
fn mutate(mut value: Value, mutations: &[(prop::sample::Index, Mutation)]) -> Value {
    for (index, m) in mutations {
        let mut all = Vec::new();
        paths(&value, Vec::new(), &mut all);
        let path = index.get(&all).clone();
        match m {
            Mutation::Replace(v) => *at(&mut value, &path) = v.clone(),
            Mutation::Remove => {
                if let Some((last, parent)) = path.split_last() {
                    match at(&mut value, parent) {
                        Value::Object(map) => {
                            map.remove(last);
                        }
                        Value::Array(items) => {
                            items.remove(last.parse::<usize>().unwrap());
                        }
                        _ => {}
                    }
                }
            }
            Mutation::Add(k, v) => {
                if let Value::Object(map) = at(&mut value, &path) {
                    map.insert(k.clone(), v.clone());
                }
            }
        }
    }
    value
}

/// A valid claim with random values, in its JSON form.
fn random_claim() -> impl Strategy<Value = Value> {
    let day = (0i32..73_000).prop_map(|d| {
        claimaudit::serve::api::date_text(d - 25_567) // from 1900-01-01
    });
    let money = (0i64..10_000_000_000, 0u32..3)
        .prop_map(|(m, s)| rust_decimal::Decimal::new(m, s).to_string());
    let line = (
        "[A-Z0-9]{1,9}",
        prop::sample::select(vec!["drug", "service", "material"]),
        day.clone(),
        (1i64..1_000_000, 0u32..4).prop_map(|(m, s)| rust_decimal::Decimal::new(m, s).to_string()),
        money.clone(),
        prop::option::of(any::<i32>()),
    );
    (
        "[A-Z][A-Z0-9-]{0,8}",
        "[A-Z][0-9]{1,4}",
        prop::sample::select(vec!["outpatient", "inpatient", "pharmacy"]),
        day,
        0i32..400,
        prop::option::of(prop::collection::vec("[A-Z][0-9.x]{1,6}", 0..3)),
        (money.clone(), money),
        (0i64..86_400_000, any::<bool>()),
        prop::collection::vec(line, 0..4),
    )
        .prop_map(
            |(id, patient, visit, admit, stay, secondary, (total, fund), (ms, whole), lines)| {
                let admit_days = claimaudit::ir::text::parse_date_exact(&admit).unwrap();
                let discharge = claimaudit::serve::api::date_text(admit_days + stay);
                let ms = if whole { ms / 1000 * 1000 } else { ms };
                let settle = claimaudit::serve::api::time_text(admit_days as i64 * 86_400_000 + ms);
                let lines: Vec<Value> = lines
                    .into_iter()
                    .enumerate()
                    .map(|(i, (code, ty, day, quantity, amount, supply))| {
                        json!({"line_no": i + 1, "item_code": code, "item_type": ty,
                           "service_date": day, "quantity": quantity, "unit_price": "1.5",
                           "amount": amount, "days_supply": supply, "doctor_id": "DR001"})
                    })
                    .collect();
                json!({"claim_id": id, "patient_id": patient, "provider_id": "H3",
                   "visit_type": visit, "admit_date": admit, "discharge_date": discharge,
                   "primary_dx": "J06.900", "secondary_dx": secondary,
                   "total_amount": total, "fund_amount": fund, "settle_time": settle,
                   "treat_region": "330100", "lines": lines})
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_json_is_read_or_refused_naming_a_field(value in json_value()) {
        let shape = shape();
        if let Err(e) = claim_from_json(&shape, &value) {
            prop_assert!(!e.field.is_empty() || !value.is_object(), "{e}");
            prop_assert!(!e.message.is_empty());
        }
    }

    #[test]
    fn a_mutated_claim_is_read_or_refused_naming_a_field(
        mutations in prop::collection::vec((any::<prop::sample::Index>(), mutation()), 1..4)
    ) {
        let shape = shape();
        let value = mutate(valid_claim(), &mutations);
        match claim_from_json(&shape, &value) {
            Ok(claim) => {
                // What is read is what would be stored and read back.
                let again = claim_from_json(&shape, &claim_to_json(&shape, &claim));
                prop_assert_eq!(again, Ok(claim));
            }
            Err(e) => prop_assert!(!e.field.is_empty() || !value.is_object(), "{}", e),
        }
    }

    #[test]
    fn a_mutated_3101_request_is_read_or_refused_naming_a_field(
        mutations in prop::collection::vec((any::<prop::sample::Index>(), mutation()), 1..4)
    ) {
        let shape = shape();
        let value = mutate(valid_3101(), &mutations);
        match review_request(&value, "3101", ruleset(), "2024-06-01 12:00:00") {
            Ok(request) => {
                for p in &request.patients {
                    for e in std::iter::once(&p.current).chain(&p.earlier) {
                        if let Err(err) = claim_from_json(&shape, &e.claim) {
                            prop_assert!(!err.field.is_empty(), "{}", err);
                        }
                    }
                }
            }
            Err(e) => prop_assert!(!e.field.is_empty() || !value.is_object(), "{}", e),
        }
    }

    #[test]
    fn the_strict_reader_agrees_with_serde_json(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4)
    ) {
        let mut bytes = serde_json::to_vec_pretty(&valid_claim()).unwrap();
        for (index, byte) in &edits {
            let i = index.index(bytes.len());
            bytes[i] = *byte;
        }
        let theirs = serde_json::from_slice::<Value>(&bytes);
        match (parse(&bytes), theirs) {
            (Ok(mine), Ok(theirs)) => prop_assert_eq!(mine, theirs),
            (Err(BodyError::Malformed(mine)), Err(theirs)) => prop_assert_eq!(mine, theirs.to_string()),
            // A repeated key or an exponent: serde_json reads it, we refuse.
            (Err(BodyError::Field(e)), Ok(_)) => prop_assert!(!e.field.is_empty() || !e.message.is_empty()),
            (mine, theirs) => prop_assert!(false, "{:?} vs {:?}", mine, theirs),
        }
    }

    #[test]
    fn a_valid_claim_round_trips(value in random_claim()) {
        let shape = shape();
        let claim = claim_from_json(&shape, &value).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let json = claim_to_json(&shape, &claim);
        let again = claim_from_json(&shape, &json).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&again, &claim);
        prop_assert_eq!(&claim_to_json(&shape, &again), &json);
        // Its stored binary form reads back as the same claim.
        let stored = claim_codec::encode(&shape, &claim);
        let read = claim_codec::decode(&shape, &stored, &|_| None)
            .map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        prop_assert_eq!(&read, &claim);
        prop_assert_eq!(claim_codec::to_json(&shape, &stored, &|_| None).ok(), Some(json));
    }
}
