//! The look-back read off the ruleset: what each CHS rule needs, checks at
//! its boundaries that agree with the scan while older history is left
//! out, and a store that keeps only the look-back.

mod serve_support;

use std::collections::BTreeMap;
use std::path::Path;

use claimaudit::exec::{Checker, Compiled, ExecOptions};
use claimaudit::flags::flag_json;
use claimaudit::plan::Selection;
use claimaudit::serve::api::claim_from_json;
use claimaudit::serve::clock::Clock;
use claimaudit::serve::lookback::{LookBack, Need, OrderColumn};
use claimaudit::serve::shape::{Claim, ClaimShape, Part};
use serde_json::{Value, json};
use serve_support::{fixture, get, send, service, settings, shipped};

#[test]
fn the_chs_rules_need_29_days_and_the_calendar_year() {
    let ruleset = shipped().ruleset.as_ref().unwrap();
    let shape = ClaimShape::of(ruleset).unwrap();
    let lookback = LookBack::derive(ruleset, &shape);
    let needs: BTreeMap<&str, &Need> = lookback
        .rules
        .iter()
        .map(|(id, n, _)| (id.as_str(), n))
        .collect();
    let expected: BTreeMap<&str, &Need> = [
        ("DUP-01", &Need::Days(0)),
        ("FREQ-01", &Need::Days(0)),
        // Its partner is a line of the same day.
        ("MUTEX-01", &Need::Days(0)),
        ("QTY-02", &Need::Days(29)),
        ("GHOST-03", &Need::Days(0)),
        ("STAY-01", &Need::Days(0)),
        ("STAY-02", &Need::Days(0)),
        ("SPLIT-01", &Need::Days(15)),
        ("CAP-01", &Need::Year),
    ]
    .into_iter()
    .collect();
    assert_eq!(needs, expected);
    assert_eq!(lookback.days(), Some(29));
    assert!(lookback.calendar_year());
    assert!(!lookback.unbounded());
    assert!(lookback.unscoped.is_empty());
    let admit = shape.header.column_index("admit_date").unwrap();
    assert_eq!(
        lookback.orders,
        vec![OrderColumn {
            part: Part::Header,
            column: admit
        }]
    );
}

#[test]
fn a_key_of_the_month_or_year_of_a_claim_date_needs_the_calendar_year() {
    let keys = [
        ("year(c.admit_date)", Need::Year),
        ("year_start(c.admit_date)", Need::Year),
        ("month_start(c.settle_time)", Need::Year),
        ("add_months(c.admit_date, 1)", Need::All(String::new())),
    ];
    for (key, expected) in keys {
        let text = format!(
            "ruleset \"r\" version \"1\"\nrule R \"r\" {{\n  category c\n  severity low\n  action warn\n  for c in claims\n  window by c.patient_id, {key} order by c.admit_date, c.claim_id running\n  flag when sum(c.fund_amount) > 100\n}}\n"
        );
        let checked = claimaudit::check::check_text(Path::new("r.rules"), &text);
        let ruleset = checked.ruleset.as_ref().unwrap();
        let shape = ClaimShape::of(ruleset).unwrap();
        let lookback = LookBack::derive(ruleset, &shape);
        let need = &lookback.rules[0].1;
        match expected {
            Need::All(_) => assert!(matches!(need, Need::All(_)), "{key}: {need:?}"),
            expected => assert_eq!(need, &expected, "{key}"),
        }
    }
}

#[test]
fn windows_of_months_and_rows_and_sequences_reading_back_say_what_they_need() {
    // (form clause, flag condition, what a check must read)
    let cases = [
        // At most 3 calendar months before the claim's day: 31 days each.
        (
            "window by c.patient_id over c.admit_date last 3 months",
            "sum(c.fund_amount) > 100",
            Need::Days(93),
        ),
        // The last rows of a key reach back any distance.
        (
            "window by c.patient_id order by c.admit_date, c.claim_id last 3 rows",
            "sum(c.fund_amount) > 100",
            Need::All(String::new()),
        ),
        // `prev` bounded to 5 days would need 5 days, but `lag` and `rank`
        // read rows further back than `prev`.
        (
            "sequence by c.patient_id order by c.admit_date, c.claim_id",
            "c.admit_date - prev.admit_date <= 5 days",
            Need::Days(5),
        ),
        (
            "sequence by c.patient_id order by c.admit_date, c.claim_id",
            "c.admit_date - prev.admit_date <= 5 days and lag(c.fund_amount, 3) > 0",
            Need::All(String::new()),
        ),
        (
            "sequence by c.patient_id order by c.admit_date, c.claim_id",
            "c.admit_date - prev.admit_date <= 5 days and rank() > 2",
            Need::All(String::new()),
        ),
    ];
    for (form, condition, expected) in cases {
        let text = format!(
            "ruleset \"r\" version \"1\"\nrule R \"r\" {{\n  category c\n  severity low\n  action warn\n  for c in claims\n  {form}\n  flag when {condition}\n}}\n"
        );
        let checked = claimaudit::check::check_text(Path::new("r.rules"), &text);
        let ruleset = checked.ruleset.as_ref().expect(&text);
        let shape = ClaimShape::of(ruleset).unwrap();
        let lookback = LookBack::derive(ruleset, &shape);
        let need = &lookback.rules[0].1;
        match expected {
            Need::All(_) => assert!(
                matches!(need, Need::All(_)),
                "{form} / {condition}: {need:?}"
            ),
            expected => assert_eq!(need, &expected, "{form} / {condition}"),
        }
    }
}

/// A claim of `patient` at `provider` with one line.
#[allow(clippy::too_many_arguments)]
fn claim(
    id: &str,
    patient: &str,
    provider: &str,
    visit: &str,
    admit: &str,
    discharge: &str,
    fund: &str,
    line: Value,
) -> Value {
    let mut line = line;
    line["line_no"] = json!(1);
    line["doctor_id"] = json!("DR001");
    for (k, v) in [
        ("quantity", "1"),
        ("unit_price", "20.0000"),
        ("amount", "20.00"),
    ] {
        if line.get(k).is_none() {
            line[k] = json!(v);
        }
    }
    if line.get("service_date").is_none() {
        line["service_date"] = json!(admit);
    }
    json!({
        "claim_id": id,
        "patient_id": patient,
        "provider_id": provider,
        "visit_type": visit,
        "admit_date": admit,
        "discharge_date": discharge,
        "primary_dx": "E11.900",
        "total_amount": "400000.00",
        "fund_amount": fund,
        "settle_time": format!("{discharge} 10:00:00"),
        "treat_region": "330100",
        "lines": [line],
    })
}

fn consult() -> Value {
    json!({"item_code": "110200001", "item_type": "service"})
}

fn drug(day: &str, supply: i64) -> Value {
    json!({"item_code": "XC09CA999A001", "item_type": "drug", "service_date": day, "days_supply": supply})
}

/// The scan's flags for each claim, over the fixture's reference tables
/// and `claims`.
fn scan(claims: &[Claim], data: &Path) -> BTreeMap<String, Vec<Value>> {
    let checked = shipped();
    let ruleset = checked.ruleset.as_ref().unwrap();
    let shape = ClaimShape::of(ruleset).unwrap();
    let mut tables =
        Checker::load_reference(ruleset, &checked.sources, data, &Default::default()).unwrap();
    let refs: Vec<&Claim> = claims.iter().collect();
    tables.extend(shape.batches(&refs).unwrap());
    let selection = Selection {
        only: Vec::new(),
        skip_batch_only: true,
    };
    let compiled = Compiled::new(ruleset, &selection, &checked.sources);
    let (flags, _) = compiled.run_tables(tables, &ExecOptions::default());
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for f in &flags {
        out.entry(f.claim_id.clone().unwrap())
            .or_default()
            .push(flag_json(f));
    }
    out
}

/// Records every claim, checks each, and compares with the scan; returns
/// how many history claims each check was judged against.
async fn agree(claims: &[Value]) -> BTreeMap<String, (u64, Vec<String>)> {
    let store = tempfile::tempdir().unwrap();
    let data = fixture("claim_rules");
    // Claims may be checked long after newer ones are recorded: keep all.
    let mut s = settings(&data);
    s.grace_days = 100_000;
    let (app, _) = service(&data, store.path(), s);
    let shape = ClaimShape::of(shipped().ruleset.as_ref().unwrap()).unwrap();
    let parsed: Vec<Claim> = claims
        .iter()
        .map(|c| claim_from_json(&shape, c).unwrap())
        .collect();
    let expected = scan(&parsed, &data);
    for c in claims {
        let (status, reply) = send(&app, "POST", "/v1/claims", c).await;
        assert_eq!(status, 201, "{reply}");
    }
    let mut seen = BTreeMap::new();
    for c in claims {
        let id = c["claim_id"].as_str().unwrap();
        let (status, reply) = send(&app, "POST", "/v1/check", c).await;
        assert_eq!(status, 200, "{reply}");
        let want = expected.get(id).cloned().unwrap_or_default();
        assert_eq!(reply["flags"], Value::Array(want.clone()), "claim {id}");
        let rules = want
            .iter()
            .map(|f| f["rule_id"].as_str().unwrap().to_string())
            .collect();
        seen.insert(
            id.to_string(),
            (reply["history_claims"].as_u64().unwrap(), rules),
        );
    }
    seen
}

#[tokio::test]
async fn qty_02_reaches_29_days_back_and_no_further() {
    // In January the calendar year (CAP-01) reaches less far back than
    // QTY-02's window, so QTY-02's 29 days decide what is kept.
    let claims = [
        claim(
            "Q1",
            "Q03",
            "H3",
            "outpatient",
            "2023-12-05",
            "2023-12-05",
            "10.00",
            drug("2023-12-05", 31),
        ),
        claim(
            "Q2",
            "Q03",
            "H3",
            "outpatient",
            "2024-01-03",
            "2024-01-03",
            "10.00",
            drug("2024-01-03", 30),
        ),
        claim(
            "Q3",
            "Q03",
            "H3",
            "outpatient",
            "2024-01-04",
            "2024-01-04",
            "10.00",
            drug("2024-01-04", 1),
        ),
        claim(
            "Q4",
            "Q03",
            "H3",
            "outpatient",
            "2024-06-01",
            "2024-06-01",
            "10.00",
            consult(),
        ),
    ];
    let seen = agree(&claims).await;
    // Q1 is 29 days before Q2: inside its window.
    assert!(seen["Q2"].1.contains(&"QTY-02".to_string()), "{seen:?}");
    assert_eq!(seen["Q2"].0, 3, "{seen:?}");
    // Q1 is 30 days before Q3: outside every window, left out.
    assert_eq!(seen["Q3"].0, 2, "{seen:?}");
    // Q4 needs the calendar year: Q2 and Q3.
    assert_eq!(seen["Q4"].0, 2, "{seen:?}");
}

#[tokio::test]
async fn cap_01_reaches_back_to_the_first_of_january() {
    // Q04 is a resident: the cap is 300000.00.
    let claims = [
        claim(
            "Y1",
            "Q04",
            "H3",
            "outpatient",
            "2023-12-20",
            "2023-12-20",
            "299999.00",
            consult(),
        ),
        claim(
            "Y2",
            "Q04",
            "H3",
            "outpatient",
            "2024-01-05",
            "2024-01-05",
            "200000.00",
            consult(),
        ),
        claim(
            "Y3",
            "Q04",
            "H3",
            "outpatient",
            "2024-11-30",
            "2024-11-30",
            "100000.01",
            consult(),
        ),
    ];
    let seen = agree(&claims).await;
    assert!(seen["Y3"].1.contains(&"CAP-01".to_string()), "{seen:?}");
    assert!(!seen["Y2"].1.contains(&"CAP-01".to_string()));
    // Y3 is judged against 2024 only.
    assert_eq!(seen["Y3"].0, 1);
}

#[tokio::test]
async fn a_sequence_keeps_the_row_just_before_even_behind_a_long_stay() {
    // A long stay (L) from November to January, a short one (P) inside it,
    // and C at the end of January, same provider and diagnosis. In the
    // scan C's predecessor by admission is P, discharged 86 days before:
    // SPLIT-01 does not fire. Leaving P out as old (its last day is before
    // C's look-back) would make L, discharged 11 days before C, the
    // predecessor, and SPLIT-01 would fire wrongly.
    let claims = [
        claim(
            "L",
            "Q03",
            "H3",
            "inpatient",
            "2023-11-01",
            "2024-01-20",
            "10.00",
            consult(),
        ),
        claim(
            "P",
            "Q03",
            "H3",
            "inpatient",
            "2023-11-05",
            "2023-11-06",
            "10.00",
            consult(),
        ),
        claim(
            "C",
            "Q03",
            "H3",
            "inpatient",
            "2024-01-31",
            "2024-02-05",
            "10.00",
            consult(),
        ),
    ];
    let seen = agree(&claims).await;
    assert!(!seen["C"].1.contains(&"SPLIT-01".to_string()), "{seen:?}");
    assert_eq!(seen["C"].0, 2, "P is kept for the sequence: {seen:?}");
    assert!(seen["P"].1.contains(&"STAY-02".to_string()));
}

#[tokio::test]
async fn stays_reach_as_far_back_as_they_last() {
    let claims = [
        claim(
            "S1",
            "Q03",
            "H3",
            "inpatient",
            "2023-10-01",
            "2024-06-30",
            "10.00",
            consult(),
        ),
        claim(
            "S2",
            "Q03",
            "C1",
            "outpatient",
            "2024-06-15",
            "2024-06-15",
            "10.00",
            consult(),
        ),
        claim(
            "S3",
            "Q03",
            "H3",
            "inpatient",
            "2024-06-20",
            "2024-06-25",
            "10.00",
            consult(),
        ),
    ];
    let seen = agree(&claims).await;
    assert!(seen["S2"].1.contains(&"STAY-01".to_string()), "{seen:?}");
    assert!(seen["S3"].1.contains(&"STAY-02".to_string()), "{seen:?}");
}

#[tokio::test]
async fn the_store_keeps_the_look_back_of_today_less_the_grace() {
    let store = tempfile::tempdir().unwrap();
    let data = fixture("claim_rules");
    let (app, state) = service(&data, store.path(), settings(&data));
    // Today 2025-01-31, grace 31 days: the store keeps what a claim of
    // 2024-12-31 needs, from 1 January 2024. A claim already outside is
    // recorded (201) but not kept, as `history import` would drop it.
    for (id, day, kept) in [
        ("R1", "2023-12-31", false),
        ("R2", "2024-01-01", true),
        ("R3", "2024-06-01", true),
    ] {
        let c = claim(id, "Q03", "H3", "outpatient", day, day, "10.00", consult());
        let (status, reply) = send(&app, "POST", "/v1/claims", &c).await;
        assert_eq!(status, 201, "{reply}");
        assert_eq!(reply["kept"], kept, "{id}: {reply}");
    }
    assert_eq!(get(&app, "/v1/claims/R1").await.0, 404);
    assert_eq!(get(&app, "/v1/claims/R2").await.0, 200);
    assert_eq!(get(&app, "/v1/claims/R3").await.0, 200);
    assert_eq!(state.store.len().unwrap(), 2);
}

#[tokio::test]
async fn the_look_back_is_measured_from_the_clock_not_the_newest_claim() {
    // Today 2025-03-01: the store keeps what a claim of 2025-01-29 needs,
    // from 2024-12-31 (29 days; the calendar year reaches less far). A
    // patient whose newest claim is 2025-01-05 keeps it, and loses one of
    // 2024-12-20 that the newest claim's own look-back would still hold.
    let store = tempfile::tempdir().unwrap();
    let data = fixture("claim_rules");
    let mut s = settings(&data);
    s.clock = Clock::Fixed(chrono::NaiveDate::from_ymd_opt(2025, 3, 1).unwrap());
    let (app, state) = service(&data, store.path(), s);
    for (id, day, kept) in [("T1", "2024-12-20", false), ("T2", "2025-01-05", true)] {
        let c = claim(id, "Q03", "H3", "outpatient", day, day, "10.00", consult());
        let (status, reply) = send(&app, "POST", "/v1/claims", &c).await;
        assert_eq!(status, 201, "{reply}");
        assert_eq!(reply["kept"], kept, "{id}: {reply}");
    }
    assert_eq!(get(&app, "/v1/claims/T1").await.0, 404);
    assert_eq!(get(&app, "/v1/claims/T2").await.0, 200);
    assert_eq!(state.store.len().unwrap(), 1);
}
