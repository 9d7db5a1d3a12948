//! In-process latency of one real-time check (criterion): a claim of 10
//! lines against a history of 50 claims of 10 lines, with the shipped CHS
//! rules and the reference tables of a generated dataset.
//!
//! - `checker`: the engine alone (`Checker::check` on ready Arrow batches);
//! - `check_claim`: the service's check path without HTTP: the patient's
//!   history as decoded once and kept (`--history-cache`), the look-back,
//!   the batches, the checker;
//! - `check_claim, history decoded each time`: the same from a store that
//!   keeps nothing decoded: read and parse the history on every check;
//! - `check_claim, 2000-claim history` (and decoded each time): a chronic
//!   patient, 2,000 claims in the last year;
//! - `router`: the whole `POST /v1/check` in process (JSON in, JSON out);
//! - `record, 2000-claim history`: `POST /v1/claims` of the chronic
//!   patient's next claim, durably (an fsync each);
//! - `record, no history`: the same claim for a new patient each time.
//!
//! Beside criterion's means, the percentiles of `check_claim`'s latency
//! (20,000 checks one after the other; 1,000 of the chronic patient).
//!
//! `cargo bench --bench check`; `CHECK_BENCH_PROFILE=dense` draws the
//! claims from the generator's dense profile (a fifth of lines flagged).

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;

use arrow::array::RecordBatch;
use axum::body::Body;
use axum::http::Request;
use claimaudit::check::check_shipped;
use claimaudit::generate::{GenOptions, generate};
use claimaudit::ir::Value;
use claimaudit::ir::text::{days_to_date, parse_date};
use claimaudit::serve::api::claim_to_json;
use claimaudit::serve::check::check_claim;
use claimaudit::serve::clock::Clock;
use claimaudit::serve::dataset_claims::dataset_claims;
use claimaudit::serve::history::HistoryStore;
use claimaudit::serve::import::{ImportTo, import_claims};
use claimaudit::serve::plausible::Window;
use claimaudit::serve::shape::{Claim, ClaimShape};
use claimaudit::serve::state::prune_reference;
use claimaudit::serve::{AppState, Engine, Settings, router};
use criterion::{Criterion, criterion_group, criterion_main};
use tower::ServiceExt;

// As the `claimaudit` program allocates (src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const HISTORY_CLAIMS: usize = 50;
const LONG_HISTORY: usize = 2000;
const LINES: usize = 10;

/// Claims of one patient built from the dataset's claims and lines: claim
/// `k` is `k · days / claims` days before `last` (`days` days for each
/// `claims` claims), with `LINES` lines.
fn patient_claims(
    shape: &ClaimShape,
    base: &[Claim],
    n: usize,
    (days, claims): (usize, usize),
    last: i32,
) -> Vec<Claim> {
    let header = &shape.header;
    let lines = shape.lines.as_ref().unwrap();
    let col = |name: &str| header.column_index(name).unwrap();
    let line_col = |name: &str| lines.table.column_index(name).unwrap();
    let pool: Vec<&Vec<Value>> = base.iter().flat_map(|c| c.lines.iter()).collect();
    let patient = base[0].header[col("patient_id")].clone();
    (0..n)
        .map(|k| {
            let day = last - (k * days / claims) as i32;
            let id = Value::Text(format!("BENCH-{k:04}"));
            let mut h = base[k % base.len()].header.clone();
            h[col("claim_id")] = id.clone();
            h[col("patient_id")] = patient.clone();
            h[col("visit_type")] = Value::Text("outpatient".into());
            h[col("admit_date")] = Value::Date(day);
            h[col("discharge_date")] = Value::Date(day);
            h[col("settle_time")] = Value::Timestamp(day as i64 * 86_400_000 + 36_000_000);
            let claim_lines = (0..LINES)
                .map(|j| {
                    let mut l = pool[(k * LINES + j) % pool.len()].clone();
                    l[line_col("claim_id")] = id.clone();
                    l[line_col("line_no")] = Value::Int(j as i64 + 1);
                    l[line_col("service_date")] = Value::Date(day);
                    l
                })
                .collect();
            Claim {
                header: h,
                lines: claim_lines,
            }
        })
        .collect()
}

/// Times `n` calls of `f` one by one (after `n / 10` unmeasured) and
/// prints the percentiles of their latencies.
fn latencies(name: &str, n: usize, mut f: impl FnMut()) {
    for _ in 0..n / 10 {
        f();
    }
    let mut times: Vec<std::time::Duration> = (0..n)
        .map(|_| {
            let started = std::time::Instant::now();
            f();
            started.elapsed()
        })
        .collect();
    times.sort_unstable();
    let at = |p: f64| times[((n - 1) as f64 * p).round() as usize].as_secs_f64() * 1e6;
    println!(
        "{name}: {n} calls, p50 {:.0} us, p99 {:.0} us, p999 {:.0} us, max {:.0} us",
        at(0.5),
        at(0.99),
        at(0.999),
        at(1.0)
    );
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut options = GenOptions::new(data.clone(), 2000, 1);
    // CHECK_BENCH_PROFILE=dense: the history's lines drawn from a dataset
    // where about a fifth of lines are flagged.
    if std::env::var("CHECK_BENCH_PROFILE").is_ok_and(|p| p == "dense") {
        options.profile = claimaudit::generate::Profile::Dense;
    }
    generate(&options, &|_| {}).unwrap();
    let checked = check_shipped();
    let ruleset = checked.ruleset.clone().unwrap();
    let shape = ClaimShape::of(&ruleset).unwrap();
    let base = dataset_claims(&ruleset, &shape, &data, &Default::default()).unwrap();
    let last = parse_date("2024-11-30").unwrap();
    let mut claims = patient_claims(&shape, &base, HISTORY_CLAIMS + 1, (5, 1), last);
    let claim = claims.remove(0);
    let history = claims;

    let engine = Engine::load(&[], &data, &Default::default()).unwrap();
    // Today is the day of the newest claim, as when the history was live.
    let window = Window::new(last, 1);
    let reference = prune_reference(last, 31);
    // A store in folder `name` holding `claims`, keeping `cache` bytes of
    // decoded histories (`--history-cache`; 0: decoded on every check).
    let stored = |name: &str, cache: usize, claims: &[Claim]| {
        let store = HistoryStore::open_with_cache(&dir.path().join(name), cache).unwrap();
        let to = ImportTo {
            store: &store,
            shape: &engine.shape,
            lookback: &engine.lookback,
            reference,
            window: &window,
        };
        import_claims(&to, claims).unwrap();
        store
    };
    let store = stored("store", 256 << 20, &history);
    let uncached = stored("uncached", 0, &history);
    let id = claim.claim_id(&shape).to_string();

    let mut rows: Vec<&Claim> = history.iter().collect();
    rows.push(&claim);
    let batches: HashMap<String, RecordBatch> = shape.batches(&rows).unwrap();
    let found = engine.checker().check(batches.clone(), &id);
    println!(
        "a claim of {LINES} lines against {HISTORY_CLAIMS} history claims: {} flags",
        found.flags.len()
    );

    let mut group = c.benchmark_group("realtime check");
    group.bench_function("checker", |b| {
        b.iter(|| black_box(engine.checker().check(batches.clone(), &id)))
    });
    group.bench_function("check_claim", |b| {
        b.iter(|| black_box(check_claim(&engine, &store, &claim, &[]).unwrap()))
    });
    group.bench_function("check_claim, history decoded each time", |b| {
        b.iter(|| black_box(check_claim(&engine, &uncached, &claim, &[]).unwrap()))
    });

    // A chronic patient: 2,000 claims in the last year (six a day), all
    // within the look-back.
    let mut long = patient_claims(&shape, &base, LONG_HISTORY + 1, (1, 6), last);
    let long_claim = long.remove(0);
    let long_store = stored("long", 256 << 20, &long);
    let long_uncached = stored("long-uncached", 0, &long);
    let judged = check_claim(&engine, &long_store, &long_claim, &[]).unwrap();
    println!(
        "a claim of {LINES} lines against {LONG_HISTORY} history claims: {} judged, {} flags",
        judged.history,
        judged.flags.len()
    );
    group.bench_function("check_claim, 2000-claim history", |b| {
        b.iter(|| black_box(check_claim(&engine, &long_store, &long_claim, &[]).unwrap()))
    });
    group.bench_function("check_claim, 2000-claim history decoded each time", |b| {
        b.iter(|| black_box(check_claim(&engine, &long_uncached, &long_claim, &[]).unwrap()))
    });
    // Criterion reports means; a service is judged by its percentiles.
    latencies("check_claim", 20_000, || {
        black_box(check_claim(&engine, &store, &claim, &[]).unwrap());
    });
    latencies("check_claim, 2000-claim history", 1_000, || {
        black_box(check_claim(&engine, &long_store, &long_claim, &[]).unwrap());
    });

    let settings = || Settings {
        token: "bench".into(),
        max_body_bytes: 1 << 20,
        grace_days: 31,
        rules: Vec::new(),
        data: data.clone(),
        clock: Clock::Fixed(days_to_date(last).unwrap()),
        future_tolerance_days: 1,
        limits: Default::default(),
        load: Default::default(),
    };
    let state = Arc::new(AppState::new(engine, store, settings()));
    let app = router(state);
    let body = serde_json::to_vec(&claim_to_json(&shape, &claim)).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    group.bench_function("router", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let request = Request::post("/v1/check")
                    .header("authorization", "Bearer bench")
                    .body(Body::from(body.clone()))
                    .unwrap();
                let response = app.clone().oneshot(request).await.unwrap();
                assert!(response.status().is_success());
                black_box(
                    axum::body::to_bytes(response.into_body(), usize::MAX)
                        .await
                        .unwrap(),
                )
            })
        })
    });

    // Recording a settled claim of the chronic patient, each time a new
    // one (the history grows by one claim an iteration, from 2,000).
    let long_engine = Engine::load(&[], &data, &Default::default()).unwrap();
    let long_app = router(Arc::new(AppState::new(long_engine, long_store, settings())));
    // `POST /v1/claims` of the chronic patient's claim, edited by `edit`.
    let record = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut json = claim_to_json(&shape, &long_claim);
        edit(&mut json);
        let body = serde_json::to_vec(&json).unwrap();
        runtime.block_on(async {
            let request = Request::post("/v1/claims")
                .header("authorization", "Bearer bench")
                .body(Body::from(body))
                .unwrap();
            let response = long_app.clone().oneshot(request).await.unwrap();
            assert!(response.status().is_success(), "{}", response.status());
            black_box(response)
        })
    };
    let mut recorded = 0usize;
    group.bench_function("record, 2000-claim history", |b| {
        b.iter(|| {
            recorded += 1;
            record(&|json| json["claim_id"] = serde_json::json!(format!("RECORDED-{recorded}")))
        })
    });
    // The same claim recorded for a new patient each time: what recording
    // costs with no history (the transaction and its fsync).
    let mut fresh = 0usize;
    group.bench_function("record, no history", |b| {
        b.iter(|| {
            fresh += 1;
            record(&|json| {
                json["claim_id"] = serde_json::json!(format!("FRESH-{fresh}"));
                json["patient_id"] = serde_json::json!(format!("FRESH-PATIENT-{fresh}"));
            })
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
