//! `POST /fsi/3101`, `/fsi/3102` (review before / during settlement) and
//! `/fsi/3103` (the doctor's feedback), answering in the national envelope.
//! Errors keep the envelope: a non-zero `infcode` with `err_msg`, and a
//! 4xx status.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Value as Json_, json};

use super::api::claim_from_json;
use super::check::{check_claim, decision};
use super::error::{ApiError, JsonBody};
use super::fsi::{self, Envelope, national_error};
use super::limits::national_lines;
use super::plausible;
use super::routes::blocking;
use super::shape::Claim;
use super::state::AppState;

type Shared = State<Arc<AppState>>;

fn now() -> String {
    (chrono::Utc::now() + chrono::Duration::hours(8))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn envelope_reply(msgid: Option<&str>, output: Json_) -> Json_ {
    let time = now();
    json!({
        "infcode": 0,
        "inf_refmsgid": msgid,
        "refmsg_time": time,
        "respond_time": time,
        "err_msg": null,
        "output": output,
    })
}

/// An error in the national envelope.
pub fn fsi_error(error: ApiError, msgid: Option<&str>) -> Response {
    let time = now();
    let body = json!({
        "infcode": -1,
        "inf_refmsgid": msgid,
        "refmsg_time": time,
        "respond_time": time,
        "err_msg": error.message,
        "output": null,
        "error": error.body_json()["error"],
    });
    super::error::with_retry_after(
        (error.status, Json(body)).into_response(),
        error.retry_after,
    )
}

fn msgid_of(body: &Json_) -> Option<String> {
    body.get("msgid").and_then(Json_::as_str).map(String::from)
}

pub async fn review_3101(state: Shared, body: Result<JsonBody, ApiError>) -> Response {
    review(state, body, "3101").await
}

pub async fn review_3102(state: Shared, body: Result<JsonBody, ApiError>) -> Response {
    review(state, body, "3102").await
}

async fn review(State(state): Shared, body: Result<JsonBody, ApiError>, infno: &str) -> Response {
    let body = match body {
        Ok(JsonBody(body)) => body,
        Err(e) => return fsi_error(e, None),
    };
    let msgid = msgid_of(&body);
    match run_review(&state, &body, infno).await {
        Ok(result) => Json(envelope_reply(
            msgid.as_deref(),
            json!({ "result": result }),
        ))
        .into_response(),
        Err(e) => fsi_error(e, msgid.as_deref()),
    }
}

async fn run_review(
    state: &Arc<AppState>,
    body: &Json_,
    infno: &str,
) -> Result<Vec<Json_>, ApiError> {
    let engine = state.engine();
    let now = state
        .settings
        .clock
        .now()
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let request = fsi::review_request(body, infno, engine.ruleset(), &now)?;
    let shape = &engine.shape;
    let window = state.settings.window();
    let max_lines = state.settings.limits.max_lines_per_claim;
    let read = |e: &fsi::Encounter| -> Result<Claim, ApiError> {
        let orders = format!("{}.fsi_order_dtos", e.path);
        national_lines(&e.claim, max_lines, &orders)?;
        let claim = claim_from_json(shape, &e.claim).map_err(|err| national_error(e, err))?;
        plausible::check(shape, &claim, &window).map_err(|err| national_error(e, err))?;
        Ok(claim)
    };
    let mut checks = Vec::new();
    for patient in &request.patients {
        let current = read(&patient.current)?;
        let earlier = patient
            .earlier
            .iter()
            .map(read)
            .collect::<Result<Vec<_>, _>>()?;
        checks.push((current, earlier));
    }
    let patients: Vec<&str> = checks.iter().map(|(c, _)| c.patient_id(shape)).collect();
    let _turn = state.gate.enter(&patients).await?;
    let outcomes = {
        let (state, engine) = (state.clone(), engine.clone());
        blocking(move || {
            checks
                .into_iter()
                .map(|(current, earlier)| {
                    let outcome = check_claim(&engine, &state.store, &current, &earlier)?;
                    Ok((current, outcome))
                })
                .collect::<Result<Vec<_>, ApiError>>()
        })
        .await?
    };
    let mut result = Vec::new();
    for (patient, (_, outcome)) in request.patients.iter().zip(outcomes) {
        state.metrics.check(
            decision(&outcome.flags),
            outcome.flags.iter().map(|f| f.rule_id.to_string()),
        );
        result.extend(fsi::results(
            engine.ruleset(),
            patient,
            &outcome.flags,
            &request,
        ));
    }
    Ok(result)
}

/// `POST /fsi/3103`: records the doctor's feedback, durably.
pub async fn feedback_3103(State(state): Shared, body: Result<JsonBody, ApiError>) -> Response {
    let body = match body {
        Ok(JsonBody(body)) => body,
        Err(e) => return fsi_error(e, None),
    };
    let msgid = msgid_of(&body);
    let parsed = fsi::feedback_request(&body).map_err(ApiError::from);
    let (envelope, warn_type, warns) = match parsed {
        Ok(p) => p,
        Err(e) => return fsi_error(e, msgid.as_deref()),
    };
    let entries = feedback_entries(&envelope, &warn_type, &warns);
    let n = entries.len();
    let stored = blocking({
        let state = state.clone();
        move || Ok(state.store.record_feedback(&entries)?)
    })
    .await;
    match stored {
        Ok(()) => Json(envelope_reply(msgid.as_deref(), json!({ "recorded": n }))).into_response(),
        Err(e) => fsi_error(e, msgid.as_deref()),
    }
}

fn feedback_entries(
    envelope: &Envelope,
    warn_type: &str,
    warns: &[fsi::Feedback],
) -> Vec<(String, Vec<u8>)> {
    let received = chrono::Utc::now();
    let stamp = received.timestamp_nanos_opt().unwrap_or_default();
    warns
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let key = format!(
                "{stamp:020}-{}-{i:04}",
                envelope.msgid.as_deref().unwrap_or("-")
            );
            let value = json!({
                "warn_rslt_id": w.warn_rslt_id,
                "dspo_way": w.dspo_way,
                "dspo_way_rea": w.dspo_way_rea,
                "warn_type": warn_type,
                "msgid": envelope.msgid,
                "opter": envelope.opter,
                "fixmedins_code": envelope.fixmedins_code,
                "received": received.to_rfc3339(),
            });
            (
                key,
                serde_json::to_vec(&value).expect("JSON values serialize"),
            )
        })
        .collect()
}
