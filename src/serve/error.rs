//! Errors as replies, and reading a JSON body with errors that say what is
//! wrong: `{"error": {"code", "message", "field"?}}` with a 4xx status.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value as Json, json};

use super::api::FieldError;
use super::history::StoreError;
use super::limits;
use super::state::AppState;
use super::strict_json::{self, BodyError};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    /// More detail (e.g. a refused ruleset's diagnostics).
    pub detail: Option<(&'static str, Json)>,
    /// Seconds to wait before sending the request again (`Retry-After`).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            detail: None,
            retry_after: None,
        }
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    pub fn body_json(&self) -> Json {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(field) = &self.field {
            error["field"] = json!(field);
        }
        if let Some((name, detail)) = &self.detail {
            error[*name] = detail.clone();
        }
        json!({ "error": error })
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> ApiError {
        let mut error = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            e.to_string(),
        );
        error.field = (!e.field.is_empty()).then_some(e.field);
        error
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        tracing::error!("{e}");
        ApiError::internal("the history store failed; see the service log")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry_after = self.retry_after;
        with_retry_after(
            (self.status, axum::Json(self.body_json())).into_response(),
            retry_after,
        )
    }
}

/// `response` with a `Retry-After` header when a wait is given.
pub fn with_retry_after(mut response: Response, seconds: Option<u64>) -> Response {
    if let Some(seconds) = seconds {
        response
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, seconds.into());
    }
    response
}

/// A request body parsed as JSON (any content type), within the body size
/// and time limits, strictly (`strict_json`: no repeated keys, no exponent
/// notation).
pub struct JsonBody(pub Json);

impl FromRequest<Arc<AppState>> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &Arc<AppState>) -> Result<JsonBody, ApiError> {
        let limit = state.settings.max_body_bytes;
        if limits::declared_over(req.headers(), limit) {
            return Err(limits::body_too_large(limit));
        }
        let time = state.settings.limits.body_timeout;
        let bytes = tokio::time::timeout(time, Bytes::from_request(req, state))
            .await
            .map_err(|_| limits::body_timeout(time))?
            .map_err(|r| body_error(r, limit))?;
        parse_json(&bytes).map(JsonBody)
    }
}

pub fn parse_json(bytes: &[u8]) -> Result<Json, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            "the request body is empty; expected a JSON object",
        ));
    }
    strict_json::parse(bytes).map_err(|e| match e {
        BodyError::Malformed(why) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("the body is not valid JSON: {why}"),
        ),
        BodyError::Field(e) => e.into(),
    })
}

fn body_error(rejection: BytesRejection, limit: usize) -> ApiError {
    let status = rejection.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        limits::body_too_large(limit)
    } else {
        ApiError::new(
            status,
            "unreadable_body",
            format!(
                "the request body could not be read: {}",
                rejection.body_text()
            ),
        )
    }
}
