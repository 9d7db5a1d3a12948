//! Limits on what one request may cost: its declared body size (refused
//! before the body is read), the time to send its body, the time to answer
//! it, and the lines of one claim (the reply grows with them: every
//! flagged line is a flag, with up to 20 evidence rows).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value as Json;

use super::api::LINES;
use super::error::ApiError;
use super::fsi_routes::fsi_error;
use super::state::AppState;

/// Limits set by `serve` flags.
#[derive(Debug, Clone)]
pub struct Limits {
    /// `--max-lines-per-claim`.
    pub max_lines_per_claim: usize,
    /// `--body-timeout`: from the end of the head to the end of the body.
    pub body_timeout: Duration,
    /// `--request-timeout`: from the end of the head to the reply.
    pub request_timeout: Duration,
    /// `--checks-per-patient`: checks of one patient running at once.
    pub checks_per_patient: usize,
    /// `--patient-wait`: how long a check waits for its patient's turn.
    pub patient_wait: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_lines_per_claim: 1000,
            checks_per_patient: 1,
            patient_wait: Duration::from_millis(2000),
            body_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(60),
        }
    }
}

/// The reload reads the whole reference data and swaps the engine when it
/// ends: cutting it short would throw a finished load away.
const UNTIMED: [&str; 1] = ["/v1/admin/reload"];

/// Answers 503 when the request is not answered within `--request-timeout`.
/// Work already handed to the blocking pool still ends (a claim being
/// recorded is recorded; sending it again answers 200).
pub async fn deadline(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    if UNTIMED.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    let limit = state.settings.limits.request_timeout;
    let national = request.uri().path().starts_with("/fsi/");
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            let error = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                format!(
                    "the request was not answered within the limit of {} (--request-timeout)",
                    seconds(limit)
                ),
            );
            if national {
                fsi_error(error, None)
            } else {
                error.into_response()
            }
        }
    }
}

/// Whether the request's `Content-Length` is over `limit`: such a body is
/// refused before any of it is read (one without is cut at the limit).
pub fn declared_over(headers: &HeaderMap, limit: usize) -> bool {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|n| n > limit as u64)
}

pub fn body_too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        format!("the request body is larger than the limit of {limit} bytes (--max-body-bytes)"),
    )
}

pub fn body_timeout(limit: Duration) -> ApiError {
    ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        "body_timeout",
        format!(
            "the request body was not received within the limit of {} (--body-timeout)",
            seconds(limit)
        ),
    )
}

/// Refuses a claim (native JSON form) with more lines than the limit.
pub fn claim_lines(claim: &Json, limit: usize) -> Result<(), ApiError> {
    lines(claim, limit, LINES, "")
}

/// The same for a claim read from the national interface, naming the
/// national field (`field`, e.g. `...fsi_order_dtos`) that holds its lines.
pub fn national_lines(claim: &Json, limit: usize, field: &str) -> Result<(), ApiError> {
    lines(
        claim,
        limit,
        field,
        &format!(" (as contract field {LINES})"),
    )
}

fn lines(claim: &Json, limit: usize, field: &str, suffix: &str) -> Result<(), ApiError> {
    let n = claim
        .get(LINES)
        .and_then(Json::as_array)
        .map_or(0, Vec::len);
    if n <= limit {
        return Ok(());
    }
    let mut error = ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_many_lines",
        format!(
            "{field}: the claim has {n} lines, more than the limit of {limit} (--max-lines-per-claim){suffix}"
        ),
    );
    error.field = Some(field.to_string());
    Err(error)
}

/// A duration as written in messages: `30 s`, `1.5 s`.
fn seconds(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_claim_over_the_line_limit_is_refused_naming_lines_and_the_limit() {
        let claim = json!({ "lines": [{}, {}, {}] });
        assert!(claim_lines(&claim, 3).is_ok());
        assert!(claim_lines(&json!({}), 0).is_ok());
        let e = claim_lines(&claim, 2).unwrap_err();
        assert_eq!(e.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(e.field.as_deref(), Some("lines"));
        assert!(e.message.contains("3 lines") && e.message.contains("limit of 2"));
        let e = national_lines(&claim, 2, "input.fsi_order_dtos").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("input.fsi_order_dtos"));
    }

    #[test]
    fn durations_read_as_seconds() {
        assert_eq!(seconds(Duration::from_secs(30)), "30 s");
        assert_eq!(seconds(Duration::from_millis(1500)), "1.5 s");
    }
}
