//! Shared by the service tests (`mod serve_support;`): the service in
//! process (its router, called without a socket), and a small HTTP/1.1
//! client for the real binary.

#![allow(dead_code)]

pub mod http;

use std::path::Path;
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::NaiveDate;
use claimaudit::check::{Checked, check_shipped};
use claimaudit::exec::Tables;
use claimaudit::serve::clock::Clock;
use claimaudit::serve::history::HistoryStore;
use claimaudit::serve::{AppState, Engine, Settings, router};
use serde_json::Value;
use tower::ServiceExt;

pub const TOKEN: &str = "test-token-0123456789";

pub fn settings(data: &Path) -> Settings {
    Settings {
        token: TOKEN.to_string(),
        max_body_bytes: 64 * 1024,
        grace_days: 31,
        rules: Vec::new(),
        data: data.to_path_buf(),
        clock: Clock::Fixed(TODAY),
        future_tolerance_days: 1,
        limits: Default::default(),
        load: Default::default(),
    }
}

/// The day the tests' service takes as today: after the fixtures' dates
/// (2023 to 2025-01-02), so none is in the future, and a month into 2025,
/// so the store's look-back (a claim of today less the 31 grace days needs
/// the calendar year) keeps every claim of 2024.
pub const TODAY: NaiveDate = NaiveDate::from_ymd_opt(2025, 1, 31).unwrap();
pub const TODAY_TEXT: &str = "2025-01-31";

/// The shipped ruleset, checked once per test binary.
pub fn shipped() -> &'static Checked {
    static SHIPPED: OnceLock<Checked> = OnceLock::new();
    SHIPPED.get_or_init(check_shipped)
}

/// Decoded histories a test service keeps: every test goes through the
/// cache (and its forgetting on writes) as the service does.
const CACHE: usize = 64 << 20;

/// The service over the shipped rules and the reference tables given.
pub fn service_with(reference: Tables, store: &Path, settings: Settings) -> Router {
    service_with_rules(shipped(), reference, store, settings)
}

/// The service over checked rules and the reference tables given.
pub fn service_with_rules(
    checked: &Checked,
    reference: Tables,
    store: &Path,
    settings: Settings,
) -> Router {
    let ruleset = checked.ruleset.clone().expect("the rules check");
    let engine = Engine::build(ruleset, &checked.sources, reference).expect("an engine");
    let store = HistoryStore::open_with_cache(store, CACHE).expect("a store");
    router(Arc::new(AppState::new(engine, store, settings)))
}

/// The service over the shipped rules and a dataset folder's reference tables.
pub fn service(data: &Path, store: &Path, settings: Settings) -> (Router, Arc<AppState>) {
    let engine = Engine::load(&settings.rules, data, &settings.load).expect("an engine");
    let store = HistoryStore::open_with_cache(store, CACHE).expect("a store");
    let state = Arc::new(AppState::new(engine, store, settings));
    (router(state.clone()), state)
}

/// One request to the router: (status, body as JSON or as a string).
pub async fn call(
    app: &Router,
    method: &str,
    path: &str,
    body: Option<&[u8]>,
    token: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let request = request
        .header("content-type", "application/json")
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_vec())))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, value)
}

/// A JSON request with the test token.
pub async fn send(app: &Router, method: &str, path: &str, body: &Value) -> (StatusCode, Value) {
    let bytes = serde_json::to_vec(body).unwrap();
    call(app, method, path, Some(&bytes), Some(TOKEN)).await
}

pub async fn get(app: &Router, path: &str) -> (StatusCode, Value) {
    call(app, "GET", path, None, Some(TOKEN)).await
}

pub fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}
