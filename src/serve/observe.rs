//! Every request is counted and logged at info with its method, route
//! template, status and time: never its path, body or ids, so no patient
//! or claim id reaches the log. A method outside the standard ones counts
//! as `other` and an unknown path as `unmatched`, so whatever clients send,
//! `/metrics` keeps a bounded set of series.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

use super::state::AppState;

pub async fn observe(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    state.metrics.request(&route, method, status, elapsed);
    tracing::info!(
        method = %method,
        route = %route,
        status,
        elapsed_us = elapsed.as_micros() as u64,
        "request"
    );
    response
}

/// The standard methods by name; any other as `other`.
fn method_label(method: &Method) -> &'static str {
    static STANDARD: [Method; 9] = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::OPTIONS,
        Method::TRACE,
        Method::CONNECT,
    ];
    STANDARD
        .iter()
        .find(|m| *m == method)
        .map_or("other", Method::as_str)
}
