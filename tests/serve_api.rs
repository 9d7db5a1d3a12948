//! The native API in process: tokens, every class of bad input, checks that
//! decide and change nothing, recording and reversal, reload refusal, and
//! metrics.

mod serve_support;

use std::path::Path;
use std::sync::Arc;

use serde_json::{Value, json};
use serve_support::{TOKEN, call, fixture, get, send, service, settings};

/// A clean outpatient claim of patient Q03 (registered, employee) at H3.
fn claim(id: &str, day: &str, item: &str, item_type: &str) -> Value {
    json!({
        "claim_id": id,
        "patient_id": "Q03",
        "provider_id": "H3",
        "visit_type": "outpatient",
        "admit_date": day,
        "discharge_date": day,
        "primary_dx": "J06.900",
        "secondary_dx": ["I10.x00"],
        "total_amount": "20.00",
        "fund_amount": "14.00",
        "settle_time": format!("{day} 10:00:00"),
        "treat_region": "330100",
        "lines": [{
            "line_no": 1,
            "item_code": item,
            "item_type": item_type,
            "service_date": day,
            "quantity": "1",
            "unit_price": "20.0000",
            "amount": "20.00",
            "days_supply": null,
            "doctor_id": "DR001"
        }]
    })
}

fn fresh() -> (axum::Router, tempfile::TempDir) {
    let store = tempfile::tempdir().unwrap();
    let data = fixture("claim_rules");
    let (app, _) = service(&data, store.path(), settings(&data));
    (app, store)
}

#[tokio::test]
async fn every_endpoint_but_healthz_needs_the_token() {
    let (app, _store) = fresh();
    let body = serde_json::to_vec(&claim("A1", "2024-06-01", "110200001", "service")).unwrap();
    let (status, health) = call(&app, "GET", "/healthz", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(health["status"], "ok");
    for (method, path) in [
        ("POST", "/v1/check"),
        ("POST", "/v1/claims"),
        ("GET", "/v1/claims/A1"),
        ("DELETE", "/v1/claims/A1"),
        ("POST", "/v1/admin/reload"),
        ("GET", "/metrics"),
        ("POST", "/fsi/3101"),
        ("POST", "/fsi/3102"),
        ("POST", "/fsi/3103"),
        ("GET", "/no/such/thing"),
    ] {
        let (status, reply) = call(&app, method, path, Some(&body), None).await;
        assert_eq!(status, 401, "{method} {path} without a token");
        assert_eq!(reply["error"]["code"], "unauthorized");
        let (status, _) = call(&app, method, path, Some(&body), Some("wrong-token")).await;
        assert_eq!(status, 401, "{method} {path} with a wrong token");
    }
    let (status, _) = call(&app, "POST", "/v1/check", Some(&body), Some(TOKEN)).await;
    assert_eq!(status, 200);
}

/// What is wrong, the body, the status, the field named, words of the message.
type BadInput = (
    &'static str,
    Vec<u8>,
    u16,
    Option<&'static str>,
    &'static str,
);

fn bad_inputs() -> Vec<BadInput> {
    let good = claim("B1", "2024-06-01", "110200001", "service");
    let with = |f: &dyn Fn(&mut Value)| {
        let mut c = good.clone();
        f(&mut c);
        serde_json::to_vec(&c).unwrap()
    };
    vec![
        (
            "malformed JSON",
            b"{\"claim_id\": \"B1\",".to_vec(),
            400,
            None,
            "not valid JSON",
        ),
        ("an empty body", Vec::new(), 400, None, "empty"),
        (
            "not an object",
            b"[1, 2]".to_vec(),
            422,
            None,
            "expected a claim object",
        ),
        (
            "a string for a whole number",
            with(&|c| c["lines"][0]["line_no"] = json!("1")),
            422,
            Some("lines[0].line_no"),
            "expected a whole number",
        ),
        (
            "a number for text",
            with(&|c| c["provider_id"] = json!(3)),
            422,
            Some("provider_id"),
            "expected a string",
        ),
        (
            "an unknown enumeration value",
            with(&|c| c["lines"][0]["item_type"] = json!("Drug")),
            422,
            Some("lines[0].item_type"),
            "lines[0].item_type: \"Drug\" is not one of drug, service, material",
        ),
        (
            "a missing required field",
            with(&|c| {
                c.as_object_mut().unwrap().remove("admit_date");
            }),
            422,
            Some("admit_date"),
            "is required",
        ),
        (
            "an unknown field",
            with(&|c| c["ammount"] = json!("1.00")),
            422,
            Some("ammount"),
            "is not a field of `claims`",
        ),
        (
            "a bad date",
            with(&|c| c["admit_date"] = json!("2024-02-30")),
            422,
            Some("admit_date"),
            "not a date",
        ),
        (
            "too many decimals",
            with(&|c| c["total_amount"] = json!("20.001")),
            422,
            Some("total_amount"),
            "more than 2 digits",
        ),
        (
            "a broken row rule",
            with(&|c| c["discharge_date"] = json!("2024-05-01")),
            422,
            Some("discharge_date"),
            "discharge_date >= admit_date",
        ),
        (
            "a repeated line number",
            with(&|c| {
                let line = c["lines"][0].clone();
                c["lines"].as_array_mut().unwrap().push(line);
            }),
            422,
            Some("lines[1].line_no"),
            "unique within the claim",
        ),
        (
            "a line of another claim",
            with(&|c| c["lines"][0]["claim_id"] = json!("B2")),
            422,
            Some("lines[0].claim_id"),
            "differs from the claim's id",
        ),
        (
            "a body over the limit",
            with(&|c| c["primary_dx"] = json!("x".repeat(70 * 1024))),
            413,
            None,
            "larger than the limit of 65536 bytes",
        ),
    ]
}

#[tokio::test]
async fn bad_input_gets_a_4xx_naming_the_field() {
    let (app, _store) = fresh();
    for path in ["/v1/check", "/v1/claims"] {
        for (what, body, status, field, words) in bad_inputs() {
            let (got, reply) = call(&app, "POST", path, Some(&body), Some(TOKEN)).await;
            assert_eq!(got.as_u16(), status, "{path}, {what}: {reply}");
            let message = reply["error"]["message"].as_str().unwrap_or_default();
            assert!(message.contains(words), "{path}, {what}: {message}");
            if let Some(field) = field {
                assert_eq!(reply["error"]["field"], field, "{path}, {what}");
            }
        }
    }
    // Nothing bad was recorded.
    let (status, _) = get(&app, "/v1/claims/B1").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_check_decides_by_the_strictest_flag_and_changes_nothing() {
    let (app, _store) = fresh();
    let (status, reply) = send(
        &app,
        "POST",
        "/v1/check",
        &claim("C1", "2024-06-01", "110200001", "service"),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["decision"], "pass");
    assert_eq!(reply["flags"], json!([]));
    assert_eq!(reply["skipped"]["rules"], json!(["UPC-01"]));
    assert_eq!(reply["ruleset"]["version"], "2024.2");
    assert!(reply["elapsed_us"].as_u64().is_some());
    // Checking recorded nothing.
    let (status, _) = get(&app, "/v1/claims/C1").await;
    assert_eq!(status, 404);

    // Recorded, the same service on the same day in another claim is a duplicate (review).
    let (status, _) = send(
        &app,
        "POST",
        "/v1/claims",
        &claim("C1", "2024-06-01", "110200001", "service"),
    )
    .await;
    assert_eq!(status, 201);
    let (_, reply) = send(
        &app,
        "POST",
        "/v1/check",
        &claim("C2", "2024-06-01", "110200001", "service"),
    )
    .await;
    assert_eq!(reply["decision"], "review", "{reply}");
    let flags = reply["flags"].as_array().unwrap();
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0]["rule_id"], "DUP-01");
    assert_eq!(flags[0]["claim_id"], "C2");
    assert_eq!(flags[0]["line_no"], 1);
    assert!(flags[0]["evidence"].is_object());
    assert_eq!(reply["history_claims"], 1);

    // A drug outside the catalog is rejected, whatever else fires.
    let (_, reply) = send(
        &app,
        "POST",
        "/v1/check",
        &claim("C3", "2024-06-01", "X-NOT-LISTED", "drug"),
    )
    .await;
    assert_eq!(reply["decision"], "reject", "{reply}");
    assert!(
        reply["flags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule_id"] == "OOC-01")
    );

    // Checking a recorded claim judges it against the rest, not itself.
    let (_, reply) = send(
        &app,
        "POST",
        "/v1/check",
        &claim("C1", "2024-06-01", "110200001", "service"),
    )
    .await;
    assert_eq!(reply["decision"], "pass", "{reply}");
    assert_eq!(reply["history_claims"], 0);
}

#[tokio::test]
async fn recording_is_idempotent_and_a_reversal_removes_the_claim() {
    let (app, _store) = fresh();
    let first = claim("D1", "2024-06-01", "110200001", "service");
    let (status, reply) = send(&app, "POST", "/v1/claims", &first).await;
    assert_eq!(status, 201);
    assert_eq!(reply["recorded"], true);
    // The same claim again: 200 with the stored claim, nothing changed.
    let (status, reply) = send(&app, "POST", "/v1/claims", &first).await;
    assert_eq!(status, 200);
    assert_eq!(reply["recorded"], false);
    assert_eq!(reply["claim"]["claim_id"], "D1");
    // The stored claim is the normalized one.
    let (status, stored) = get(&app, "/v1/claims/D1").await;
    assert_eq!(status, 200);
    assert_eq!(stored["lines"][0]["quantity"], "1.000");
    assert_eq!(stored["settle_time"], "2024-06-01 10:00:00");
    // A different claim under the same id is refused.
    let changed = claim("D1", "2024-06-02", "110200001", "service");
    let (status, reply) = send(&app, "POST", "/v1/claims", &changed).await;
    assert_eq!(status, 409, "{reply}");
    assert_eq!(reply["error"]["stored"]["admit_date"], "2024-06-01");
    // Reversal.
    let (status, reply) = call(&app, "DELETE", "/v1/claims/D1", None, Some(TOKEN)).await;
    assert_eq!(status, 200);
    assert_eq!(reply["reversed"], true);
    let (status, _) = get(&app, "/v1/claims/D1").await;
    assert_eq!(status, 404);
    let (status, _) = call(&app, "DELETE", "/v1/claims/D1", None, Some(TOKEN)).await;
    assert_eq!(status, 404);
    // After a reversal the id may be recorded again, with new content.
    let (status, _) = send(&app, "POST", "/v1/claims", &changed).await;
    assert_eq!(status, 201);
}

fn copy_rules(to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("rulesets/chs");
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
    }
}

/// The service on a copy of the shipped rule files (which a test may edit
/// and reload), with the folders holding them and its store.
fn service_with_rule_files() -> (axum::Router, tempfile::TempDir, tempfile::TempDir) {
    let rules = tempfile::tempdir().unwrap();
    copy_rules(rules.path());
    let store = tempfile::tempdir().unwrap();
    let data = fixture("claim_rules");
    let mut s = settings(&data);
    s.rules = vec![rules.path().to_path_buf()];
    let (app, _) = service(&data, store.path(), s);
    (app, rules, store)
}

#[tokio::test]
async fn a_reload_that_does_not_check_is_refused_and_the_old_ruleset_serves() {
    let (app, rules, _store) = service_with_rule_files();
    let (_, health) = call(&app, "GET", "/healthz", None, None).await;
    let serving = health["ruleset"]["hash"].clone();

    let (status, reply) = send(&app, "POST", "/v1/admin/reload", &json!({})).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["ruleset"]["hash"], serving);
    assert_eq!(reply["look_back"]["days"], 29);

    // Break the ruleset: an unknown column.
    let billing = rules.path().join("billing.rules");
    let text = std::fs::read_to_string(&billing).unwrap();
    std::fs::write(
        &billing,
        text.replace("line.item_type in", "line.item_kind in"),
    )
    .unwrap();
    let (status, reply) = send(&app, "POST", "/v1/admin/reload", &json!({})).await;
    assert_eq!(status, 422, "{reply}");
    assert_eq!(reply["error"]["code"], "ruleset_refused");
    let diagnostics = reply["error"]["diagnostics"].as_array().unwrap();
    assert!(
        diagnostics.iter().any(|d| d["message"]
            .as_str()
            .unwrap_or_default()
            .contains("item_kind")),
        "{reply}"
    );
    // The old ruleset still serves.
    let (status, reply) = send(
        &app,
        "POST",
        "/v1/check",
        &claim("E1", "2024-06-01", "110200001", "service"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(reply["ruleset"]["hash"], serving);

    // A ruleset that checks again is taken.
    std::fs::write(&billing, &text).unwrap();
    let params = rules.path().join("parameters.rules");
    let p = std::fs::read_to_string(&params).unwrap();
    std::fs::write(
        &params,
        p.replace("param supply_limit = 60", "param supply_limit = 90"),
    )
    .unwrap();
    let (status, reply) = send(&app, "POST", "/v1/admin/reload", &json!({})).await;
    assert_eq!(status, 200, "{reply}");
    assert_ne!(reply["ruleset"]["hash"], serving);
    let (_, metrics) = get(&app, "/metrics").await;
    let metrics = metrics.as_str().unwrap();
    assert!(
        metrics.contains("claimaudit_reloads_total{result=\"refused\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("claimaudit_reloads_total{result=\"ok\"} 2"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_reload_with_unreadable_reference_data_is_refused() {
    let store = tempfile::tempdir().unwrap();
    let data = fixture("claim_rules");
    let mut s = settings(&data);
    s.data = store.path().join("no-such-dataset");
    let (app, _) = service(&data, store.path(), s);
    let (status, reply) = send(&app, "POST", "/v1/admin/reload", &json!({})).await;
    assert_eq!(status, 422, "{reply}");
    assert_eq!(reply["error"]["code"], "reload_refused");
    let (status, _) = send(
        &app,
        "POST",
        "/v1/check",
        &claim("F1", "2024-06-01", "110200001", "service"),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_drops_no_request_in_flight() {
    let (app, _rules, _store) = service_with_rule_files();
    let app = Arc::new(app);
    let mut checks = Vec::new();
    for i in 0..8 {
        let app = app.clone();
        checks.push(tokio::spawn(async move {
            for j in 0..10 {
                let body = claim(&format!("G{i}-{j}"), "2024-06-01", "110200001", "service");
                let (status, reply) = send(&app, "POST", "/v1/check", &body).await;
                assert_eq!(status, 200, "{reply}");
                assert_eq!(reply["decision"], "pass");
            }
        }));
    }
    for _ in 0..3 {
        let (status, reply) = send(&app, "POST", "/v1/admin/reload", &json!({})).await;
        assert_eq!(status, 200, "{reply}");
    }
    for c in checks {
        c.await.unwrap();
    }
}

#[tokio::test]
async fn metrics_count_requests_latency_flags_and_the_ruleset() {
    let (app, _store) = fresh();
    send(
        &app,
        "POST",
        "/v1/check",
        &claim("H1", "2024-06-01", "X-NOT-LISTED", "drug"),
    )
    .await;
    let (status, metrics) = get(&app, "/metrics").await;
    assert_eq!(status, 200);
    let text = metrics.as_str().unwrap();
    for expected in [
        "claimaudit_requests_total{route=\"/v1/check\",method=\"POST\",status=\"200\"} 1",
        "claimaudit_request_duration_seconds_bucket{route=\"/v1/check\",le=\"+Inf\"} 1",
        "claimaudit_request_duration_seconds_count{route=\"/v1/check\"} 1",
        "claimaudit_flags_total{rule_id=\"OOC-01\"} 1",
        "claimaudit_decisions_total{decision=\"reject\"} 1",
        "claimaudit_ruleset_info{name=\"CHS 医保基金智能审核核心规则 (CHS core rules)\",version=\"2024.2\"",
    ] {
        assert!(text.contains(expected), "missing {expected} in\n{text}");
    }
    // No id reaches the metrics (routes are templates).
    assert!(!text.contains("H1"));
}

#[tokio::test]
async fn made_up_methods_and_unknown_paths_add_no_metrics_series() {
    let (app, _store) = fresh();
    let odd = |i: usize| {
        let app = app.clone();
        async move {
            let method = format!("MADEUP{i}");
            let (status, _) = call(&app, &method, "/v1/check", None, None).await;
            assert!(status.is_client_error(), "{method} answered {status}");
            let (status, _) = call(&app, &method, &format!("/no/such/{i}"), None, None).await;
            assert!(status.is_client_error(), "{method} answered {status}");
            get(&app, &format!("/unknown-{i}")).await;
        }
    };
    // The series (names with labels) after one round of odd requests...
    let series = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.rsplit_once(' ').map(|(name, _)| name.to_string()))
            .collect()
    };
    odd(0).await;
    get(&app, "/metrics").await;
    let (_, first) = get(&app, "/metrics").await;
    // ...are all there are after forty.
    for i in 1..40 {
        odd(i).await;
    }
    let (_, after) = get(&app, "/metrics").await;
    let (first, after) = (first.as_str().unwrap(), after.as_str().unwrap());
    assert!(
        !after.contains("MADEUP") && !after.contains("unknown-"),
        "{after}"
    );
    assert!(after.contains("method=\"other\""), "{after}");
    assert!(after.contains("route=\"unmatched\""), "{after}");
    assert_eq!(series(first), series(after), "{after}");
}

#[tokio::test]
async fn a_claim_over_the_line_limit_is_refused_naming_lines_and_the_limit() {
    let store = tempfile::tempdir().unwrap();
    let data = fixture("claim_rules");
    let mut settings = settings(&data);
    settings.limits.max_lines_per_claim = 3;
    let (app, _) = service(&data, store.path(), settings);
    let with_lines = |n: usize| {
        let mut c = claim("L1", "2024-06-01", "110200001", "service");
        let line = c["lines"][0].clone();
        c["lines"] = (1..=n)
            .map(|i| {
                let mut l = line.clone();
                l["line_no"] = json!(i);
                l
            })
            .collect();
        c
    };
    for path in ["/v1/check", "/v1/claims"] {
        let (status, reply) = send(&app, "POST", path, &with_lines(4)).await;
        assert_eq!(status, 413, "{path}: {reply}");
        assert_eq!(reply["error"]["code"], "too_many_lines");
        assert_eq!(reply["error"]["field"], "lines");
        let message = reply["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("4 lines") && message.contains("limit of 3"),
            "{message}"
        );
    }
    let (status, reply) = send(&app, "POST", "/v1/check", &with_lines(3)).await;
    assert_eq!(status, 200, "{reply}");
    // Nothing was recorded by the refused claim.
    assert_eq!(get(&app, "/v1/claims/L1").await.0, 404);
}

#[tokio::test]
async fn a_patient_checked_again_sees_every_recording_and_reversal_since() {
    // The patient's decoded history is kept after the first check; each
    // write of the patient's claims must show in the next check.
    let (app, _store) = fresh();
    let check = |id: &'static str| {
        let app = app.clone();
        async move {
            let (_, reply) = send(
                &app,
                "POST",
                "/v1/check",
                &claim(id, "2024-06-01", "110200001", "service"),
            )
            .await;
            (reply["decision"].clone(), reply["history_claims"].clone())
        }
    };
    assert_eq!(check("E2").await, (json!("pass"), json!(0)));
    let (status, _) = send(
        &app,
        "POST",
        "/v1/claims",
        &claim("E1", "2024-06-01", "110200001", "service"),
    )
    .await;
    assert_eq!(status, 201);
    // Recorded: the same service on the same day is now a duplicate.
    assert_eq!(check("E2").await, (json!("review"), json!(1)));
    assert_eq!(check("E2").await, (json!("review"), json!(1)));
    let (status, _) = call(&app, "DELETE", "/v1/claims/E1", None, Some(TOKEN)).await;
    assert_eq!(status, 200);
    // Reversed: gone from the history the next check reads.
    assert_eq!(check("E2").await, (json!("pass"), json!(0)));
}

#[tokio::test]
async fn claims_recorded_under_another_schema_are_still_read_after_a_reload() {
    // Claims are stored in a binary form under their schema's id; when the
    // rules change the schema, the claims already stored are read by their
    // columns' names, as their JSON would be.
    let (app, rules, _store) = service_with_rule_files();
    let recorded = claim("E1", "2024-06-01", "110200001", "service");
    let (status, _) = send(&app, "POST", "/v1/claims", &recorded).await;
    assert_eq!(status, 201);

    // The claims table gains a nullable column.
    let schema = rules.path().join("schema.rules");
    let text = std::fs::read_to_string(&schema).unwrap();
    let changed = text.replacen(
        "  treat_region",
        "  referral_no     text nullable \"转诊单号\"\n  treat_region",
        1,
    );
    assert_ne!(changed, text);
    std::fs::write(&schema, changed).unwrap();
    let (status, reply) = send(&app, "POST", "/v1/admin/reload", &json!({})).await;
    assert_eq!(status, 200, "{reply}");

    // Stored as it was recorded.
    let (status, stored) = call(&app, "GET", "/v1/claims/E1", None, Some(TOKEN)).await;
    assert_eq!(status, 200);
    assert_eq!(stored["claim_id"], "E1");
    assert_eq!(stored["lines"][0]["item_code"], "110200001");
    assert!(stored.get("referral_no").is_none(), "{stored}");
    // And in the history a check reads: the same service the same day.
    let (status, reply) = send(
        &app,
        "POST",
        "/v1/check",
        &claim("E2", "2024-06-01", "110200001", "service"),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["history_claims"], 1, "{reply}");
    assert_eq!(reply["decision"], "review", "{reply}");
    // Sent again under the new schema: the same claim, recorded already.
    let (status, reply) = send(&app, "POST", "/v1/claims", &recorded).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["recorded"], false, "{reply}");
    // A different claim with its id is a conflict, showing the stored one.
    let changed = claim("E1", "2024-06-01", "110200002", "service");
    let (status, reply) = send(&app, "POST", "/v1/claims", &changed).await;
    assert_eq!(status, 409, "{reply}");
    assert_eq!(
        reply["error"]["stored"]["lines"][0]["item_code"],
        "110200001"
    );
}
