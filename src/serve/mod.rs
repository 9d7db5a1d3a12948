//! The real-time service (`claimaudit serve`): pre-settlement checks of one
//! claim against the patient's history, the history store, and the
//! national 3101/3102/3103 interface. docs/api.md describes the endpoints.
//!
//! - `state`: the loaded ruleset and checker, swapped whole on reload;
//! - `shape`, `api`: what a claim is and its JSON form, checked field by field;
//! - `lookback`: how much history the ruleset needs;
//! - `history`: the durable store, with `claim_codec`, a claim's stored
//!   binary form, `history_cache`, the patients' histories decoded once,
//!   and `history_columns`, their rows as columns; `check`: one check, and
//!   pruning;
//! - `import`: a dataset's claims into the store, read by `dataset_claims`;
//! - `routes`, `fsi`, `fsi_routes`: the native and national endpoints;
//! - `strict_json`, `plausible`, `clock`: bodies read strictly, dates
//!   within the plausible window, the service's today;
//! - `long_checks`: long checks on threads of a lower priority;
//! - `auth`, `observe`, `metrics`, `error`: tokens, logs, counters, errors;
//! - `listen`, `watchdog`, `tls`, `limits`: connections, their timeouts,
//!   TLS, and what one request may cost.

pub mod api;
pub mod auth;
pub mod check;
pub mod claim_codec;
pub mod clock;
pub mod dataset_claims;
pub mod error;
pub mod fsi;
pub mod fsi_routes;
pub mod history;
pub mod history_cache;
pub mod history_columns;
pub mod import;
pub mod isolation;
pub mod limits;
pub mod listen;
pub mod long_checks;
pub mod lookback;
pub mod metrics;
pub mod observe;
pub mod plausible;
pub mod routes;
pub mod shape;
pub mod state;
pub mod strict_json;
pub mod tls;
pub mod watchdog;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};

pub use limits::Limits;
pub use listen::Transport;
pub use state::{AppState, Engine, LoadError, Settings};

/// The service's routes, with tokens, logs, counters, the body limit and
/// the request deadline.
pub fn router(state: Arc<AppState>) -> Router {
    let limit = state.settings.max_body_bytes;
    Router::new()
        .route("/v1/check", post(routes::check))
        .route("/v1/claims", post(routes::record))
        .route(
            "/v1/claims/{claim_id}",
            get(routes::get_claim).delete(routes::reverse),
        )
        .route("/v1/admin/reload", post(routes::reload))
        .route("/fsi/3101", post(fsi_routes::review_3101))
        .route("/fsi/3102", post(fsi_routes::review_3102))
        .route("/fsi/3103", post(fsi_routes::feedback_3103))
        .route("/healthz", get(routes::healthz))
        .route("/metrics", get(routes::metrics))
        .method_not_allowed_fallback(routes::method_not_allowed)
        .fallback(routes::not_found)
        .layer(DefaultBodyLimit::max(limit))
        .layer(from_fn_with_state(state.clone(), auth::require_token))
        .layer(from_fn_with_state(state.clone(), limits::deadline))
        .layer(from_fn_with_state(state.clone(), observe::observe))
        .with_state(state)
}

/// Serves on `listener` until SIGTERM or Ctrl-C, then lets the requests in
/// flight finish within the shutdown timeout and returns (the caller then
/// drops the state, closing the store).
pub async fn serve(listener: tokio::net::TcpListener, state: Arc<AppState>, transport: Transport) {
    listen::serve(listener, router(state), transport, shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("stopping: finishing the requests in flight");
}
