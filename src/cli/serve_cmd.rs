//! `claimaudit serve`: the real-time pre-settlement check service.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::read_args::ReadArgs;
use crate::serve::auth::{read_token, token_file_warning};
use crate::serve::clock::Clock;
use crate::serve::history::HistoryStore;
use crate::serve::{AppState, Engine, Limits, Settings, Transport, tls};

/// `--history-cache` when not given: 256 MiB of decoded histories.
const DEFAULT_HISTORY_CACHE: u64 = 256 << 20;
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
    --store (load one with `claimaudit history import`). Prints `listening on http://ADDR` (or\n\
    https:// with --tls-cert and --tls-key) once ready; SIGTERM or Ctrl-C stops taking\n\
    connections, lets the requests in flight finish within --shutdown-timeout, then closes the\n\
    rest. Request logs (method, route, status, time; never an id) appear with RUST_LOG=info.\n\n\
    Limits and timeouts (docs/security.md): a body over --max-body-bytes is refused (413, before\n\
    it is read when its Content-Length says so), as is a claim over --max-lines-per-claim (413);\n\
    a body not received within --body-timeout answers 408, a request not answered within\n\
    --request-timeout 503; a connection that does not send a request head within\n\
    --header-timeout of opening (or of the head's first byte), or, kept alive, sends no request\n\
    for --idle-timeout after a reply, is closed. Timeouts are in seconds.\n\n\
    Exit codes: 0 stopped cleanly, 2 could not start."
)]
pub struct ServeArgs {
    /// Rule files or folders; the shipped CHS ruleset when not given.
    #[arg(long, value_name = "PATH", num_args = 1..)]
    rules: Vec<PathBuf>,
    /// The dataset folder holding the reference tables (patients, catalog, providers).
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    #[command(flatten)]
    read: ReadArgs,
    /// The history store folder (created when absent).
    #[arg(long, value_name = "DIR")]
    store: PathBuf,
    /// Memory for patients' histories decoded by checks, e.g. 256MiB (the default)
    /// or 2GiB. A patient checked again is not decoded again until a claim of theirs
    /// is recorded or reversed; past the size, the least recently checked go first.
    #[arg(long, value_name = "SIZE", value_parser = super::size_arg::parse_size)]
    history_cache: Option<u64>,
    /// Address to listen on; port 0 picks a free port (printed).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: String,
    /// File holding the bearer token clients must send.
    #[arg(long, value_name = "FILE")]
    token_file: PathBuf,
    /// Largest request body accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    max_body_bytes: usize,
    /// Most lines one claim may have (/v1/check, /v1/claims, /fsi/3101, /fsi/3102).
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_lines_per_claim)]
    max_lines_per_claim: usize,
    /// Seconds a client may take to send a request's head, from the connection's
    /// opening or, on a kept-alive connection, from the head's first byte.
    #[arg(long, value_name = "SECS", default_value_t = Transport::default().header_timeout.as_secs(), value_parser = secs())]
    header_timeout: u64,
    /// Seconds a client may take to send a request's body, after its head.
    #[arg(long, value_name = "SECS", default_value_t = Limits::default().body_timeout.as_secs(), value_parser = secs())]
    body_timeout: u64,
    /// Seconds a request may take, from its head to the reply (a reload is not cut).
    #[arg(long, value_name = "SECS", default_value_t = Limits::default().request_timeout.as_secs(), value_parser = secs())]
    request_timeout: u64,
    /// Checks of one patient that run at once (/v1/check, /fsi/3101, /fsi/3102); more
    /// wait for their turn, so one patient with a long history cannot hold every core.
    #[arg(long, value_name = "N", default_value_t = Limits::default().checks_per_patient as u64, value_parser = clap::value_parser!(u64).range(1..))]
    checks_per_patient: u64,
    /// Milliseconds a check waits for its patient's turn before it is answered 503
    /// `busy` with `Retry-After: 1`.
    #[arg(long, value_name = "MS", default_value_t = Limits::default().patient_wait.as_millis() as u64)]
    patient_wait_ms: u64,
    /// Seconds a kept-alive connection may stay open with no request after a reply.
    #[arg(long, value_name = "SECS", default_value_t = Transport::default().idle_timeout.as_secs(), value_parser = secs())]
    idle_timeout: u64,
    /// Seconds the requests in flight may take to finish once stopping.
    #[arg(long, value_name = "SECS", default_value_t = Transport::default().shutdown_timeout.as_secs())]
    shutdown_timeout: u64,
    /// Most connections open at once; more wait to be accepted.
    #[arg(long, value_name = "N", default_value_t = Transport::default().max_connections as u64, value_parser = clap::value_parser!(u64).range(1..))]
    max_connections: u64,
    /// PEM certificate chain: serve HTTPS (with --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
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

fn secs() -> clap::builder::RangedU64ValueParser {
    clap::value_parser!(u64).range(1..)
}

pub fn run(args: &ServeArgs) -> Result<u8, String> {
    let token = read_token(&args.token_file)?;
    if let Some(warning) = token_file_warning(&args.token_file) {
        tracing::warn!("{warning}");
    }
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(tls::acceptor(cert, key)?),
        _ => None,
    };
    let engine =
        Engine::load(&args.rules, &args.data, &args.read.options()).map_err(|e| e.to_string())?;
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
    let cache = args.history_cache.unwrap_or(DEFAULT_HISTORY_CACHE);
    let store =
        HistoryStore::open_with_cache(&args.store, cache as usize).map_err(|e| e.to_string())?;
    let settings = Settings {
        token,
        max_body_bytes: args.max_body_bytes,
        grace_days: args.grace_days,
        rules: args.rules.clone(),
        data: args.data.clone(),
        clock: args.today.unwrap_or_default(),
        future_tolerance_days: args.future_tolerance_days,
        load: args.read.options(),
        limits: Limits {
            max_lines_per_claim: args.max_lines_per_claim,
            body_timeout: Duration::from_secs(args.body_timeout),
            request_timeout: Duration::from_secs(args.request_timeout),
            checks_per_patient: args.checks_per_patient as usize,
            patient_wait: Duration::from_millis(args.patient_wait_ms),
        },
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let transport = Transport {
        header_timeout: Duration::from_secs(args.header_timeout),
        idle_timeout: Duration::from_secs(args.idle_timeout),
        shutdown_timeout: Duration::from_secs(args.shutdown_timeout),
        max_connections: args.max_connections as usize,
        tls,
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
        let _ = writeln!(stdout, "listening on {scheme}://{address}");
        let _ = stdout.flush();
        crate::serve::serve(listener, state.clone(), transport).await;
        Ok::<(), String>(())
    })?;
    // Work already in the blocking pool (a store write) gets a little longer.
    runtime.shutdown_timeout(Duration::from_secs(5));
    match Arc::try_unwrap(state) {
        Ok(state) => drop(state),
        Err(_) => tracing::warn!("work was still running at shutdown"),
    }
    eprintln!("stopped; the history store is closed");
    Ok(0)
}
