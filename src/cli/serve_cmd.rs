//! `claimaudit serve`: the real-time pre-settlement check service.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use crate::serve::auth::read_token;
use crate::serve::clock::Clock;
use crate::serve::history::HistoryStore;
use crate::serve::{AppState, Engine, Settings};

#[derive(clap::Args)]
#[command(
    about = "Serve real-time checks of one claim against the patient's history (HTTP).",
    long_about = "Serve real-time pre-settlement checks over HTTP (docs/api.md).\n\n\
    POST /v1/check judges one claim with its lines against the patient's recorded history and\n\
    answers a decision (pass, warn, review, reject) with the flags, exactly the flags a scan of\n\
    the history plus this claim gives for it. POST /v1/claims records a settled claim, durably;\n\
    DELETE /v1/claims/{id} reverses one. POST /fsi/3101 and /fsi/3102 answer the national\n\
    detail-review interface, /fsi/3103 records the doctor's feedback. POST /v1/admin/reload\n\
    reloads the ruleset and the reference tables; a ruleset with errors is refused and the old\n\
    one keeps serving. Every endpoint but /healthz needs `Authorization: Bearer <token>`.\n\n\
    The reference tables (patients, catalog, providers) come from --data; the history from\n\
    --store (load one with `claimaudit history import`). Prints `listening on http://ADDR` once\n\
    ready; SIGTERM or Ctrl-C stops it after the requests in flight. Request logs (method, route,\n\
    status, time; never an id) appear with RUST_LOG=info.\n\n\
    Exit codes: 0 stopped cleanly, 2 could not start."
)]
pub struct ServeArgs {
    /// Rule files or folders; the shipped CHS ruleset when not given.
    #[arg(long, value_name = "PATH", num_args = 1..)]
    rules: Vec<PathBuf>,
    /// The dataset folder holding the reference tables (patients, catalog, providers).
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// The history store folder (created when absent).
    #[arg(long, value_name = "DIR")]
    store: PathBuf,
    /// Address to listen on; port 0 picks a free port (printed).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: String,
    /// File holding the bearer token clients must send.
    #[arg(long, value_name = "FILE")]
    token_file: PathBuf,
    /// Largest request body accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    max_body_bytes: usize,
    /// Days a claim may arrive late and still be judged against its full
    /// look-back: the store keeps what a claim dated today less these days needs.
    #[arg(long, value_name = "DAYS", default_value_t = 31)]
    grace_days: i64,
    /// The day taken as today (default: the system clock, Beijing time):
    /// the store's look-back and the latest date taken are measured from it.
    #[arg(long, value_name = "DATE", value_parser = Clock::fixed)]
    today: Option<Clock>,
    /// Days after today a claim's dates may fall; later ones are refused.
    #[arg(long, value_name = "DAYS", default_value_t = 1)]
    future_tolerance_days: i64,
    /// Worker threads for HTTP (default: all cores).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

pub fn run(args: &ServeArgs) -> Result<u8, String> {
    let token = read_token(&args.token_file)?;
    let engine = Engine::load(&args.rules, &args.data).map_err(|e| e.to_string())?;
    for warning in &engine.warnings {
        tracing::warn!(
            "ruleset: {}",
            warning["message"].as_str().unwrap_or_default()
        );
    }
    if !engine.lookback.unscoped.is_empty() {
        tracing::warn!(
            "rules whose groups are not within one patient see only the patient's history in real time: {}",
            engine.lookback.unscoped.join(", ")
        );
    }
    let store = HistoryStore::open(&args.store).map_err(|e| e.to_string())?;
    let settings = Settings {
        token,
        max_body_bytes: args.max_body_bytes,
        grace_days: args.grace_days,
        rules: args.rules.clone(),
        data: args.data.clone(),
        clock: args.today.unwrap_or_default(),
        future_tolerance_days: args.future_tolerance_days,
    };
    let state = Arc::new(AppState::new(engine, store, settings));
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = args.threads {
        runtime.worker_threads(n.max(1));
    }
    let runtime = runtime
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        let engine = state.engine();
        let ruleset = engine.ruleset();
        tracing::info!(
            "serving ruleset {} {} ({}); look-back {}",
            ruleset.name,
            ruleset.version,
            ruleset.hash,
            engine.lookback.to_json()
        );
        drop(engine);
        let mut stdout = std::io::stdout();
        let _ = writeln!(stdout, "listening on http://{address}");
        let _ = stdout.flush();
        crate::serve::serve(listener, state.clone())
            .await
            .map_err(|e| format!("the server failed: {e}"))
    })?;
    runtime.shutdown_timeout(std::time::Duration::from_secs(10));
    match Arc::try_unwrap(state) {
        Ok(state) => drop(state),
        Err(_) => tracing::warn!("work was still running at shutdown"),
    }
    eprintln!("stopped; the history store is closed");
    Ok(0)
}
