//! Every request is counted and logged at info with its method, route
//! template, status and time: never its path, body or ids, so no patient
//! or claim id reaches the log.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::state::AppState;

pub async fn observe(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    state.metrics.request(&route, &method, status, elapsed);
    tracing::info!(
        method = %method,
        route = %route,
        status,
        elapsed_us = elapsed.as_micros() as u64,
        "request"
    );
    response
}
