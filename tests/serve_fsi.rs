//! The national interface: a 3101 request in the national shape (an
//! earlier encounter sent with it counts as history), the same as 3102,
//! the results naming the orders (`rx_id`), 3103 feedback, and errors that
//! name the national field.

mod serve_support;

use serde_json::{Value, json};
use serve_support::{fixture, send, service, settings};

/// A sample request as a hospital's HIS sends it (also in docs/api.md):
/// patient Q03, an earlier outpatient encounter on 2024-06-01 (a
/// consultation), and the current one the same day billing the same
/// consultation again plus a drug that is not in the catalog.
pub const SAMPLE_3101: &str = r#"{
  "infno": "3101",
  "msgid": "H33010000120240601100000001",
  "mdtrtarea_admvs": "330100",
  "insuplc_admdvs": "330100",
  "recer_sys_code": "FSI",
  "dev_no": "",
  "dev_safe_info": "",
  "cainfo": "",
  "signtype": "",
  "infver": "V1.0",
  "opter_type": "1",
  "opter": "DR001",
  "opter_name": "张医生",
  "inf_time": "2024-06-01 10:30:00",
  "fixmedins_code": "H3",
  "fixmedins_name": "杭州市第一人民医院",
  "sign_no": "",
  "input": {
    "data": {
      "trig_scen": "7",
      "rule_ids": [],
      "task_id": "T-0001",
      "patient_dtos": [
        {
          "patn_id": "Q03",
          "patn_name": "王五",
          "gend": "1",
          "brdy": "1970-03-03",
          "poolarea": "330100",
          "curr_mdtrt_id": "M-CURRENT",
          "fsi_encounter_dtos": [
            {
              "mdtrt_id": "M-EARLIER",
              "medins_id": "H3",
              "medins_name": "杭州市第一人民医院",
              "medins_admdvs": "330100",
              "medins_type": "1",
              "medins_lv": "3",
              "adm_date": "2024-06-01 08:05:00",
              "dscg_date": "2024-06-01 08:40:00",
              "dscg_main_dise_codg": "J06.900",
              "dr_codg": "DR001",
              "med_mdtrt_type": "1",
              "med_type": "11",
              "matn_stas": "0",
              "medfee_sumamt": "20.00",
              "hifp_payamt": "14.00",
              "insutype": "310",
              "out_setl_flag": "2",
              "fsi_diagnose_dtos": [],
              "fsi_order_dtos": [
                {
                  "rx_id": "RX-E-1",
                  "hilist_type": "201",
                  "hilist_code": "110200001",
                  "hilist_name": "普通门诊诊查费",
                  "hilist_lv": "01",
                  "cnt": "1",
                  "pric": "20.0000",
                  "sumamt": "20.00",
                  "drord_begn_date": "2024-06-01 08:10:00",
                  "drord_dr_codg": "DR001",
                  "curr_drord_flag": "0"
                }
              ],
              "fsi_operation_dtos": []
            },
            {
              "mdtrt_id": "M-CURRENT",
              "medins_id": "H3",
              "medins_admdvs": "330100",
              "adm_date": "2024-06-01 10:00:00",
              "dr_codg": "DR001",
              "med_mdtrt_type": "1",
              "med_type": "11",
              "medfee_sumamt": "132.50",
              "hifp_payamt": "0",
              "insutype": "310",
              "fsi_diagnose_dtos": [
                {
                  "dise_id": "1",
                  "inout_dise_type": "2",
                  "maindise_flag": "1",
                  "dias_srt_no": "1",
                  "dise_codg": "J06.900",
                  "dise_name": "急性上呼吸道感染"
                },
                {
                  "dise_id": "2",
                  "inout_dise_type": "2",
                  "maindise_flag": "0",
                  "dias_srt_no": "2",
                  "dise_codg": "I10.x00",
                  "dise_name": "高血压"
                }
              ],
              "fsi_order_dtos": [
                {
                  "rx_id": "RX-C-1",
                  "hilist_type": "201",
                  "hilist_code": "110200001",
                  "cnt": "1",
                  "pric": "20.0000",
                  "sumamt": "20.00",
                  "drord_begn_date": "2024-06-01 10:05:00",
                  "drord_dr_codg": "DR001",
                  "curr_drord_flag": "1"
                },
                {
                  "rx_id": "RX-C-2",
                  "hilist_type": "101",
                  "hilist_code": "X-NOT-LISTED",
                  "cnt": 2,
                  "pric": "56.25",
                  "sumamt": "112.50",
                  "drord_begn_date": "2024-06-01",
                  "drord_dr_codg": "DR001",
                  "curr_drord_flag": "1"
                }
              ]
            }
          ]
        }
      ]
    }
  }
}"#;

pub fn sample(infno: &str) -> Value {
    let mut request: Value = serde_json::from_str(SAMPLE_3101).unwrap();
    request["infno"] = json!(infno);
    request
}

fn fresh() -> (axum::Router, tempfile::TempDir) {
    let store = tempfile::tempdir().unwrap();
    let data = fixture("claim_rules");
    let (app, _) = service(&data, store.path(), settings(&data));
    (app, store)
}

fn result_of<'v>(reply: &'v Value, rule: &str) -> &'v Value {
    reply["output"]["result"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule_id"] == rule)
        .unwrap_or_else(|| panic!("no {rule} result in {reply}"))
}

#[tokio::test]
async fn a_3101_request_is_checked_with_its_earlier_encounters_as_history() {
    let (app, _store) = fresh();
    for infno in ["3101", "3102"] {
        let (status, reply) = send(&app, "POST", &format!("/fsi/{infno}"), &sample(infno)).await;
        assert_eq!(status, 200, "{reply}");
        assert_eq!(reply["infcode"], 0);
        assert_eq!(reply["inf_refmsgid"], "H33010000120240601100000001");
        assert!(reply["err_msg"].is_null());

        // The consultation billed again the same day: DUP-01, naming the order.
        let dup = result_of(&reply, "DUP-01");
        assert_eq!(dup["patn_id"], "Q03");
        assert_eq!(dup["mdtrt_id"], "M-CURRENT");
        assert_eq!(dup["sev_deg"], "1");
        assert_eq!(dup["vola_amt"], "20.00");
        assert_eq!(dup["vola_amt_stas"], "1");
        assert_eq!(dup["task_id"], "T-0001");
        assert!(dup["vola_evid"].as_str().unwrap().contains("第十五条"));
        assert!(dup["vola_cont"].as_str().unwrap().contains("110200001"));
        let details = dup["judge_result_detail_dtos"].as_array().unwrap();
        assert_eq!(details.len(), 1);
        assert_eq!(details[0]["rx_id"], "RX-C-1");
        assert_eq!(details[0]["vola_item_type"], "1");
        assert_eq!(details[0]["mdtrt_id"], "M-CURRENT");

        // The drug outside the catalog: OOC-01 on the second order.
        let ooc = result_of(&reply, "OOC-01");
        assert_eq!(ooc["judge_result_detail_dtos"][0]["rx_id"], "RX-C-2");
        assert_eq!(ooc["vola_amt"], "112.50");
        assert!(ooc["jr_id"].as_str().unwrap().starts_with("JR"));
        // Nothing about the earlier encounter itself.
        assert!(
            reply["output"]["result"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["mdtrt_id"] == "M-CURRENT")
        );
    }
    // A review changes nothing: the encounters were not recorded.
    let (status, _) = serve_support::get(&app, "/v1/claims/M-EARLIER").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_request_without_the_earlier_encounter_has_no_duplicate_and_rule_ids_filter() {
    let (app, _store) = fresh();
    let mut request = sample("3101");
    let encounters = &mut request["input"]["data"]["patient_dtos"][0]["fsi_encounter_dtos"];
    encounters.as_array_mut().unwrap().remove(0);
    let (status, reply) = send(&app, "POST", "/fsi/3101", &request).await;
    assert_eq!(status, 200, "{reply}");
    let rules: Vec<&str> = reply["output"]["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule_id"].as_str().unwrap())
        .collect();
    assert!(!rules.contains(&"DUP-01"), "{reply}");
    assert!(rules.contains(&"OOC-01"));

    let mut only = sample("3101");
    only["input"]["data"]["rule_ids"] = json!(["DUP-01"]);
    let (_, reply) = send(&app, "POST", "/fsi/3101", &only).await;
    let results = reply["output"]["result"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{reply}");
    assert_eq!(results[0]["rule_id"], "DUP-01");
}

/// A change that spoils a request.
type Change = Box<dyn Fn(&mut Value)>;

#[tokio::test]
async fn bad_national_input_is_refused_naming_the_national_field() {
    let (app, _store) = fresh();
    let order = "input.data.patient_dtos[0].fsi_encounter_dtos[1].fsi_order_dtos[1]";
    let encounter = "input.data.patient_dtos[0].fsi_encounter_dtos[1]";
    let cases: Vec<(&str, Change, String, &str)> = vec![
        (
            "an unknown hilist_type",
            Box::new(|r| {
                r["input"]["data"]["patient_dtos"][0]["fsi_encounter_dtos"][1]["fsi_order_dtos"]
                    [1]["hilist_type"] = json!("901")
            }),
            format!("{order}.hilist_type"),
            "is not a drug (1xx",
        ),
        (
            "a quantity that is not a number",
            Box::new(|r| {
                r["input"]["data"]["patient_dtos"][0]["fsi_encounter_dtos"][1]["fsi_order_dtos"]
                    [1]["cnt"] = json!("two")
            }),
            format!("{order}.cnt"),
            "is not a decimal in plain notation",
        ),
        (
            "a quantity with too many decimals",
            Box::new(|r| {
                r["input"]["data"]["patient_dtos"][0]["fsi_encounter_dtos"][1]["fsi_order_dtos"]
                    [1]["cnt"] = json!("2.0001")
            }),
            format!("{order}.cnt"),
            "more than 3 digits",
        ),
        (
            "an encounter of type other",
            Box::new(|r| {
                r["input"]["data"]["patient_dtos"][0]["fsi_encounter_dtos"][1]["med_mdtrt_type"] =
                    json!("4")
            }),
            format!("{encounter}.med_mdtrt_type"),
            "has no visit type",
        ),
        (
            "a bad admission date",
            Box::new(|r| {
                r["input"]["data"]["patient_dtos"][0]["fsi_encounter_dtos"][1]["adm_date"] =
                    json!("01/06/2024")
            }),
            format!("{encounter}.adm_date"),
            "is not a date",
        ),
        (
            "an unknown trigger",
            Box::new(|r| r["input"]["data"]["trig_scen"] = json!("12")),
            "input.data.trig_scen".to_string(),
            "is not one of 1 (outpatient registration)",
        ),
        (
            "an unknown rule id",
            Box::new(|r| r["input"]["data"]["rule_ids"] = json!(["NOPE-01"])),
            "input.data.rule_ids[0]".to_string(),
            "names no rule",
        ),
        (
            "a current encounter that is not sent",
            Box::new(|r| r["input"]["data"]["patient_dtos"][0]["curr_mdtrt_id"] = json!("M-GONE")),
            "input.data.patient_dtos[0].curr_mdtrt_id".to_string(),
            "is not the mdtrt_id",
        ),
        (
            "a transaction sent to the wrong endpoint",
            Box::new(|r| r["infno"] = json!("3102")),
            "infno".to_string(),
            "was sent to the 3101 endpoint",
        ),
        (
            "no input",
            Box::new(|r| {
                r.as_object_mut().unwrap().remove("input");
            }),
            "input".to_string(),
            "is required",
        ),
    ];
    for (what, change, field, words) in cases {
        let mut request = sample("3101");
        change(&mut request);
        let (status, reply) = send(&app, "POST", "/fsi/3101", &request).await;
        assert_eq!(status, 422, "{what}: {reply}");
        assert_eq!(reply["infcode"], -1, "{what}");
        assert_eq!(reply["error"]["field"], field.as_str(), "{what}: {reply}");
        let message = reply["err_msg"].as_str().unwrap();
        assert!(message.contains(words), "{what}: {message}");
        assert!(reply["output"].is_null());
    }
    let (status, reply) = serve_support::call(
        &app,
        "POST",
        "/fsi/3101",
        Some(b"{not json"),
        Some(serve_support::TOKEN),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(reply["infcode"], -1);
}

#[tokio::test]
async fn feedback_3103_is_recorded_and_checked() {
    let store = tempfile::tempdir().unwrap();
    let data = fixture("claim_rules");
    let (app, state) = service(&data, store.path(), settings(&data));
    let (_, review) = send(&app, "POST", "/fsi/3101", &sample("3101")).await;
    let jr_id = result_of(&review, "DUP-01")["jr_id"].clone();
    let feedback = json!({
        "infno": "3103",
        "msgid": "H33010000120240601100500002",
        "inf_time": "2024-06-01 10:35:00",
        "opter": "DR001",
        "fixmedins_code": "H3",
        "input": {"data": {
            "warn_type": "1",
            "warns": [
                {"warn_rslt_id": jr_id, "dspo_way": "1", "dspo_way_rea": "复诊, 非重复收费"},
                {"warn_rslt_id": "JR0000000000000002", "dspo_way": "2"}
            ]
        }}
    });
    let (status, reply) = send(&app, "POST", "/fsi/3103", &feedback).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["infcode"], 0);
    assert_eq!(reply["output"]["recorded"], 2);
    let stored = state.store.feedback().unwrap();
    assert_eq!(stored.len(), 2);
    let first: Value = serde_json::from_slice(&stored[0].1).unwrap();
    assert_eq!(first["warn_rslt_id"], jr_id);
    assert_eq!(first["dspo_way_rea"], "复诊, 非重复收费");

    // Going on with the order needs a reason.
    let mut missing = feedback.clone();
    missing["input"]["data"]["warns"][0]
        .as_object_mut()
        .unwrap()
        .remove("dspo_way_rea");
    let (status, reply) = send(&app, "POST", "/fsi/3103", &missing).await;
    assert_eq!(status, 422);
    assert_eq!(reply["error"]["field"], "input.data.warns[0].dspo_way_rea");
    let mut bad = feedback;
    bad["input"]["data"]["warns"][1]["dspo_way"] = json!("3");
    let (status, reply) = send(&app, "POST", "/fsi/3103", &bad).await;
    assert_eq!(status, 422);
    assert_eq!(reply["error"]["field"], "input.data.warns[1].dspo_way");
    assert_eq!(state.store.feedback().unwrap().len(), 2);
}

#[tokio::test]
async fn an_encounter_over_the_line_limit_is_refused_naming_its_orders() {
    let store = tempfile::tempdir().unwrap();
    let data = fixture("claim_rules");
    let mut settings = settings(&data);
    settings.limits.max_lines_per_claim = 1;
    let (app, _) = service(&data, store.path(), settings);
    for infno in ["3101", "3102"] {
        let (status, reply) = send(&app, "POST", &format!("/fsi/{infno}"), &sample(infno)).await;
        assert_eq!(status, 413, "{reply}");
        assert_eq!(reply["infcode"], -1);
        assert_eq!(reply["error"]["code"], "too_many_lines");
        assert_eq!(
            reply["error"]["field"],
            "input.data.patient_dtos[0].fsi_encounter_dtos[1].fsi_order_dtos"
        );
        let message = reply["err_msg"].as_str().unwrap();
        assert!(
            message.contains("2 lines") && message.contains("limit of 1"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn a_declared_body_over_the_limit_is_refused_in_the_envelope_before_it_is_read() {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;
    let (app, _store) = fresh();
    let body = serde_json::to_vec(&sample("3101")).unwrap();
    let request = Request::post("/fsi/3101")
        .header("authorization", format!("Bearer {}", serve_support::TOKEN))
        .header("content-length", "99999999999")
        .body(Body::from(body))
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(response.status(), 413);
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let reply: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(reply["infcode"], -1, "{reply}");
    assert_eq!(reply["error"]["code"], "body_too_large");
}
