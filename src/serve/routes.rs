//! The native JSON endpoints: check, record, read and reverse claims,
//! reload, health and metrics.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value as Json_, json};

use super::api::{claim_from_json, claim_to_json};
use super::check::{Decoded, check_claim, decision, record_claim};
use super::claim_codec;
use super::error::{ApiError, JsonBody};
use super::history::Recorded;
use super::limits::claim_lines;
use super::plausible;
use super::state::{AppState, LoadError};
use crate::flags::FlagJson;

type Shared = State<Arc<AppState>>;

/// Runs blocking work (the store, the checker) off the async threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(format!("the request's work stopped: {e}")))?
}

/// Runs short work on the calling thread, a panic answered as
/// [`blocking`] answers it (500), not ending the connection.
fn in_place<T>(f: impl FnOnce() -> Result<T, ApiError>) -> Result<T, ApiError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .map_err(|_| ApiError::internal("the request's work stopped: it panicked".to_string()))?
}

/// The longest history (in claims) a check runs on the connection's own
/// thread: about a third of a millisecond of work.
const CHECKED_IN_PLACE: usize = 100;

/// `POST /v1/check`: one claim with its lines -> decision and flags.
pub async fn check(State(state): Shared, JsonBody(body): JsonBody) -> Result<Response, ApiError> {
    let started = Instant::now();
    claim_lines(&body, state.settings.limits.max_lines_per_claim)?;
    let engine = state.engine();
    let claim = claim_from_json(&engine.shape, &body)?;
    plausible::check(&engine.shape, &claim, &state.settings.window())?;
    let patient = claim.patient_id(&engine.shape);
    let _turn = state.gate.enter(&[patient]).await?;
    // A short history kept decoded is checked here, on the connection's
    // thread: handing it to another thread and back costs more than the
    // check. A long one goes to a thread of lower priority (`long_checks`),
    // one not yet decoded to a blocking thread (the store is read): neither
    // holds up other connections.
    let kept = state.store.decoded::<Decoded>(patient, engine.generation);
    let claims = kept.map(|h| h.as_ref().as_ref().map_or(0, |h| h.claims.len()));
    let check = {
        let (state, engine) = (state.clone(), engine.clone());
        move || Ok(check_claim(&engine, &state.store, &claim, &[])?)
    };
    let reply = match claims {
        Some(n) if n <= CHECKED_IN_PLACE => in_place(check)?,
        Some(_) => state.long_checks.run(check).await?,
        None => blocking(check).await?,
    };
    let decision = decision(&reply.flags);
    state
        .metrics
        .check(decision, reply.flags.iter().map(|f| f.rule_id.to_string()));
    let reply = CheckReply {
        decision,
        flags: reply.flags.iter().map(FlagJson).collect(),
        skipped: Skipped {
            rules: &reply.skipped,
            reason: "batch-only rules need the whole dataset and run in scans only",
        },
        history_claims: reply.history,
        ruleset: engine.ruleset_json(),
        elapsed_us: started.elapsed().as_micros() as u64,
    };
    // Serialized here, straight from the flags (no tree of values).
    Ok(Json(reply).into_response())
}

/// The reply of `POST /v1/check` (docs/api.md), fields in this order.
#[derive(serde::Serialize)]
struct CheckReply<'a> {
    decision: &'a str,
    flags: Vec<FlagJson<'a>>,
    skipped: Skipped<'a>,
    history_claims: usize,
    ruleset: Json_,
    elapsed_us: u64,
}

#[derive(serde::Serialize)]
struct Skipped<'a> {
    rules: &'a [String],
    reason: &'a str,
}

/// `POST /v1/claims`: records a settled claim, durably, before replying.
/// 201 when new (`kept: false` when it is already outside the look-back the
/// store keeps, so pruned at once); 200 with the stored claim when the same
/// claim is already recorded; 409 when a different claim holds the id.
pub async fn record(State(state): Shared, JsonBody(body): JsonBody) -> Result<Response, ApiError> {
    claim_lines(&body, state.settings.limits.max_lines_per_claim)?;
    let engine = state.engine();
    let claim = claim_from_json(&engine.shape, &body)?;
    plausible::check(&engine.shape, &claim, &state.settings.window())?;
    let stored = claim_to_json(&engine.shape, &claim);
    let bytes = claim_codec::encode(&engine.shape, &claim);
    let outcome = {
        let (state, engine, claim) = (state.clone(), engine.clone(), claim.clone());
        blocking(move || {
            let reference = state.settings.prune_reference();
            Ok(record_claim(
                &engine,
                &state.store,
                &claim,
                &bytes,
                reference,
            )?)
        })
        .await?
    };
    Ok(match outcome {
        Recorded::Created { kept, .. } => (
            StatusCode::CREATED,
            Json(json!({ "recorded": true, "kept": kept, "claim": stored })),
        )
            .into_response(),
        Recorded::Unchanged => (
            StatusCode::OK,
            Json(json!({ "recorded": false, "kept": true, "claim": stored })),
        )
            .into_response(),
        Recorded::Conflict(existing) => {
            let mut error = ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                format!(
                    "a different claim with id \"{}\" is already recorded; reverse it (DELETE /v1/claims/{{claim_id}}) before recording the new version",
                    claim.claim_id(&engine.shape)
                ),
            );
            error.detail = Some(("stored", stored_json(&state, &existing)));
            error.into_response()
        }
    })
}

/// A stored claim in its JSON form (null when it cannot be read: logged).
fn stored_json(state: &AppState, bytes: &[u8]) -> Json_ {
    let schemas = |id| state.store.schema(id);
    claim_codec::to_json(&state.engine().shape, bytes, &schemas).unwrap_or_else(|e| {
        tracing::error!("a stored claim cannot be read: {e:?}");
        Json_::Null
    })
}

/// `GET /v1/claims/{claim_id}`: the stored claim.
pub async fn get_claim(
    State(state): Shared,
    Path(claim_id): Path<String>,
) -> Result<Json<Json_>, ApiError> {
    let found = blocking({
        let state = state.clone();
        let id = claim_id.clone();
        move || Ok(state.store.get(&id)?)
    })
    .await?;
    match found {
        Some(bytes) => Ok(Json(stored_json(&state, &bytes))),
        None => Err(ApiError::not_found(format!(
            "no claim \"{claim_id}\" is recorded (never recorded, reversed, or past the look-back)"
        ))),
    }
}

/// `DELETE /v1/claims/{claim_id}`: reversal (冲正); the claim leaves the history.
pub async fn reverse(
    State(state): Shared,
    Path(claim_id): Path<String>,
) -> Result<Json<Json_>, ApiError> {
    let removed = blocking({
        let state = state.clone();
        let id = claim_id.clone();
        move || Ok(state.store.reverse(&id)?)
    })
    .await?;
    match removed {
        Some(bytes) => Ok(Json(
            json!({ "reversed": true, "claim": stored_json(&state, &bytes) }),
        )),
        None => Err(ApiError::not_found(format!(
            "no claim \"{claim_id}\" is recorded"
        ))),
    }
}

/// `POST /v1/admin/reload`: the ruleset and reference data again; a
/// ruleset that does not check is refused and the old one keeps serving.
pub async fn reload(State(state): Shared) -> Result<Json<Json_>, ApiError> {
    match state.reload().await {
        Ok(engine) => {
            state.metrics.reload(true);
            tracing::info!("reloaded the ruleset and reference data");
            Ok(Json(json!({
                "reloaded": true,
                "ruleset": engine.ruleset_json(),
                "look_back": engine.lookback.to_json(),
                "warnings": engine.warnings,
            })))
        }
        Err(e) => {
            state.metrics.reload(false);
            tracing::warn!("reload refused; the previous ruleset keeps serving");
            let serving = state.engine().ruleset_json();
            let mut error = match e {
                LoadError::Ruleset {
                    diagnostics,
                    rendered,
                } => {
                    let mut error = ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "ruleset_refused",
                        format!(
                            "the ruleset does not check; the previous one keeps serving\n{rendered}"
                        ),
                    );
                    error.detail = Some(("diagnostics", Json_::Array(diagnostics)));
                    error
                }
                other => ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "reload_refused",
                    format!("{other}; the previous ruleset keeps serving"),
                ),
            };
            if error.detail.is_none() {
                error.detail = Some(("serving", serving));
            }
            Err(error)
        }
    }
}

/// `GET /healthz`: up, and which ruleset serves (no token needed).
pub async fn healthz(State(state): Shared) -> Json<Json_> {
    Json(json!({ "status": "ok", "ruleset": state.engine().ruleset_json() }))
}

/// `GET /metrics`: Prometheus text.
pub async fn metrics(State(state): Shared) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
}

pub async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint; see docs/api.md")
}

/// A known endpoint called with a method it does not take (the router adds
/// the `Allow` header listing those it takes).
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take this method; the Allow header lists those it takes",
    )
}
