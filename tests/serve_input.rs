//! Input the service must refuse rather than take for data: a mistyped
//! date no longer deletes a patient's history (it is refused, and the
//! store's look-back runs from the clock, not from the newest claim); the
//! plausible window's edges; `history import` refusing and listing
//! implausible claims; the 3101 settlement time taken from the clock.

mod serve_support;

use chrono::NaiveDate;
use claimaudit::ir::text::date_to_days;
use claimaudit::serve::api::claim_from_json;
use claimaudit::serve::clock::Clock;
use claimaudit::serve::history::HistoryStore;
use claimaudit::serve::import::{ImportTo, import_claims};
use claimaudit::serve::lookback::LookBack;
use claimaudit::serve::plausible::Window;
use claimaudit::serve::shape::ClaimShape;
use claimaudit::serve::state::prune_reference;
use serde_json::{Value, json};
use serve_support::{fixture, get, send, service, settings, shipped};

/// A clean outpatient claim of patient Q03 at H3 on `day`.
fn claim(id: &str, day: &str) -> Value {
    json!({
        "claim_id": id,
        "patient_id": "Q03",
        "provider_id": "H3",
        "visit_type": "outpatient",
        "admit_date": day,
        "discharge_date": day,
        "primary_dx": "J06.900",
        "total_amount": "20.00",
        "fund_amount": "14.00",
        "settle_time": format!("{day} 10:00:00"),
        "treat_region": "330100",
        "lines": [{"line_no": 1, "item_code": "110200001", "item_type": "service",
                   "service_date": day, "quantity": "1", "unit_price": "20.0000",
                   "amount": "20.00", "doctor_id": "DR001"}]
    })
}

#[tokio::test]
async fn a_mistyped_date_is_refused_and_the_patients_history_stays() {
    let store = tempfile::tempdir().unwrap();
    let data = fixture("claim_rules");
    let (app, state) = service(&data, store.path(), settings(&data));
    for (id, day) in [("H1", "2024-06-01"), ("H2", "2024-09-01")] {
        assert_eq!(
            send(&app, "POST", "/v1/claims", &claim(id, day)).await.0,
            201
        );
    }
    let mut stay = claim("X1", "2024-06-11");
    stay["admit_date"] = json!("2204-06-11");
    stay["discharge_date"] = json!("2204-06-11");
    let mut line = claim("X2", "2024-06-11");
    line["lines"][0]["service_date"] = json!("9999-12-31");
    let mut settled = claim("X3", "2024-06-11");
    settled["settle_time"] = json!("9999-06-11 10:00:00");
    for (bad, field) in [
        (stay, "admit_date"),
        (line, "lines[0].service_date"),
        (settled, "settle_time"),
    ] {
        for path in ["/v1/claims", "/v1/check"] {
            let (status, reply) = send(&app, "POST", path, &bad).await;
            assert_eq!(status, 422, "{path}: {reply}");
            assert_eq!(reply["error"]["code"], "invalid_field");
            assert_eq!(reply["error"]["field"], field, "{reply}");
        }
    }
    assert_eq!(get(&app, "/v1/claims/H1").await.0, 200);
    assert_eq!(get(&app, "/v1/claims/H2").await.0, 200);
    assert_eq!(state.store.len().unwrap(), 2);
}

#[tokio::test]
async fn dates_may_reach_today_plus_the_tolerance_and_no_further() {
    // The tests' today is 2025-01-31; the tolerance 1 day.
    let store = tempfile::tempdir().unwrap();
    let data = fixture("claim_rules");
    let (app, _) = service(&data, store.path(), settings(&data));
    let (status, reply) = send(&app, "POST", "/v1/claims", &claim("E1", "2025-02-01")).await;
    assert_eq!(status, 201, "{reply}");
    assert_eq!(reply["kept"], true);
    let (status, reply) = send(&app, "POST", "/v1/check", &claim("E2", "2025-02-02")).await;
    assert_eq!(status, 422, "{reply}");
    assert_eq!(reply["error"]["field"], "admit_date");
    let message = reply["error"]["message"].as_str().unwrap();
    assert!(message.contains("after 2025-02-01"), "{message}");
    assert_eq!(
        send(&app, "POST", "/v1/check", &claim("E3", "1900-01-01"))
            .await
            .0,
        200
    );
    let (status, reply) = send(&app, "POST", "/v1/check", &claim("E4", "1899-12-31")).await;
    assert_eq!(
        (status.as_u16(), &reply["error"]["field"]),
        (422, &json!("admit_date"))
    );

    // No tolerance: tomorrow is refused too.
    let store = tempfile::tempdir().unwrap();
    let mut s = settings(&data);
    s.future_tolerance_days = 0;
    let (app, _) = service(&data, store.path(), s);
    assert_eq!(
        send(&app, "POST", "/v1/check", &claim("E5", "2025-01-31"))
            .await
            .0,
        200
    );
    assert_eq!(
        send(&app, "POST", "/v1/check", &claim("E6", "2025-02-01"))
            .await
            .0,
        422
    );
}

#[test]
fn history_import_lists_implausible_claims_and_prunes_from_the_clock() {
    let ruleset = shipped().ruleset.as_ref().unwrap();
    let shape = ClaimShape::of(ruleset).unwrap();
    let lookback = LookBack::derive(ruleset, &shape);
    let mut typo = claim("I3", "2024-06-11");
    typo["lines"][0]["service_date"] = json!("2204-06-11");
    let claims: Vec<_> = [claim("I1", "2024-03-01"), claim("I2", "2025-01-05"), typo]
        .iter()
        .map(|c| claim_from_json(&shape, c).unwrap())
        .collect();
    let day = |y, m, d| date_to_days(NaiveDate::from_ymd_opt(y, m, d).unwrap());

    // Today 2025-01-31: 2024 is still in the look-back; the typo is refused.
    let dir = tempfile::tempdir().unwrap();
    let store = HistoryStore::open(dir.path()).unwrap();
    let today = day(2025, 1, 31);
    let window = Window::new(today, 1);
    let to = ImportTo {
        store: &store,
        shape: &shape,
        lookback: &lookback,
        reference: prune_reference(today, 31),
        window: &window,
    };
    let imported = import_claims(&to, &claims).unwrap();
    assert_eq!(imported.claims, 2);
    assert_eq!(imported.pruned, 0);
    assert_eq!(imported.refused.len(), 1);
    assert_eq!(imported.refused[0].0, "I3");
    assert_eq!(imported.refused[0].1.field, "lines[0].service_date");
    assert!(store.get("I3").unwrap().is_none());

    // Today 2025-04-01: the look-back of 2025-03-01 starts on 2025-01-01:
    // I1 goes, though the newest claim's own look-back (2024) would hold it.
    let dir = tempfile::tempdir().unwrap();
    let store = HistoryStore::open(dir.path()).unwrap();
    let today = day(2025, 4, 1);
    let to = ImportTo {
        store: &store,
        shape: &shape,
        lookback: &lookback,
        reference: prune_reference(today, 31),
        window: &Window::new(today, 1),
    };
    let imported = import_claims(&to, &claims[..2]).unwrap();
    assert_eq!(imported.pruned, 1);
    assert!(store.get("I1").unwrap().is_none());
    assert!(store.get("I2").unwrap().is_some());
}

#[tokio::test]
async fn a_3101_without_inf_time_is_settled_on_the_services_today() {
    let request = |inf_time: Option<&str>| {
        let mut r: Value = serde_json::from_slice(
            &std::fs::read(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/corpus/fsi/valid.json"),
            )
            .unwrap(),
        )
        .unwrap();
        match inf_time {
            Some(t) => r["inf_time"] = json!(t),
            None => {
                r.as_object_mut().unwrap().remove("inf_time");
            }
        }
        r
    };
    let store = tempfile::tempdir().unwrap();
    let data = fixture("claim_rules");
    // Today 2024-06-01: the request's orders are of that day.
    let mut s = settings(&data);
    s.clock = Clock::Fixed(NaiveDate::from_ymd_opt(2024, 6, 1).unwrap());
    let (app, _) = service(&data, store.path(), s);
    let (status, reply) = send(&app, "POST", "/fsi/3101", &request(None)).await;
    assert_eq!(status, 200, "{reply}");
    let (status, reply) = send(
        &app,
        "POST",
        "/fsi/3101",
        &request(Some("2024-06-03 10:00:00")),
    )
    .await;
    assert_eq!(status, 422, "{reply}");
    assert_eq!(reply["error"]["field"], "inf_time");
}
