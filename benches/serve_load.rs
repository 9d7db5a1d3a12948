//! Load benchmark of `claimaudit serve` over loopback (not a test): a
//! generated dataset, its claims imported as history, then closed-loop
//! clients on keep-alive connections sending `POST /v1/check` for claims
//! like the dataset's (each under a new id, so it is judged against the
//! patient's history) for a fixed time. Reports throughput and latency
//! percentiles as seen by the clients.
//!
//! `cargo bench --bench serve_load`; settings from the environment:
//! SERVE_LOAD_SECS (60), SERVE_LOAD_CONNECTIONS (8), SERVE_LOAD_PATIENTS
//! (10000), SERVE_LOAD_PROFILE and SERVE_LOAD_ORDER (`claimaudit gen
//! --profile`, `--order`: clean and patient), SERVE_LOAD_THREADS (server HTTP threads; all cores),
//! SERVE_LOAD_ARGS (more `serve` arguments, e.g. `--checks-per-patient 4`),
//! SERVE_LOAD_RATE (checks a second over all light connections; 0, the
//! default, sends each request as soon as the last is answered). At a
//! rate, requests leave on a fixed schedule and a latency runs from the
//! request's scheduled time, so a slow reply counts against the requests
//! queued behind it (no coordinated omission).
//!
//! The CPU time of the server (from /proc) and of this process (the
//! clients) over the measured run is reported beside the throughput:
//! on 2 cores the two share the machine.
//!
//! A chronic patient: SERVE_LOAD_HEAVY (0) claims are added to one
//! patient's history, and SERVE_LOAD_HEAVY_CONNECTIONS (4) more clients
//! check that patient all the time; the other clients' latencies are then
//! reported apart, to see whether one patient's checks slow the others.
//! Server and clients share the machine: on 2 cores the clients take part
//! of the CPU the server would otherwise have.

#[path = "../tests/serve_support/http.rs"]
mod http;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use claimaudit::check::check_shipped;
use claimaudit::serve::api::{claim_from_json, claim_to_json};
use claimaudit::serve::claim_codec;
use claimaudit::serve::dataset_claims::dataset_claims;
use claimaudit::serve::history::HistoryStore;
use claimaudit::serve::shape::ClaimShape;
use http::Client;
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_claimaudit");
const TOKEN: &str = "serve-load-token";
/// The generated period's last day: the patients' histories are its
/// year's claims, as when the data was live.
const TODAY: &str = "2024-12-31";

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn run(args: &[&str], dir: &Path) {
    let started = Instant::now();
    let output = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "claimaudit {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    print!("{}", String::from_utf8_lossy(&output.stdout));
    println!("  ({:.1} s)", started.elapsed().as_secs_f64());
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

fn start(dir: &Path, threads: Option<u64>) -> (Server, SocketAddr) {
    let mut command = Command::new(BIN);
    command
        .current_dir(dir)
        .args([
            "serve",
            "--data",
            "data",
            "--store",
            "store",
            "--token-file",
            "token",
            "--today",
            TODAY,
        ])
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(n) = threads {
        command.args(["--threads", &n.to_string()]);
    }
    if let Ok(more) = std::env::var("SERVE_LOAD_ARGS") {
        command.args(more.split_whitespace());
    }
    let mut child = command.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(a) = line.strip_prefix("listening on http://") {
                let _ = tx.send(a.parse::<SocketAddr>().unwrap());
            }
        }
    });
    let address = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("the service starts");
    (Server(child), address)
}

/// CPU seconds (user + system) process `pid` has used, from /proc.
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command's closing parenthesis; utime and stime are
    // the 12th and 13th of them, in clock ticks.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<f64>().ok())
        .sum();
    // SAFETY: reads a system constant.
    ticks / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

fn main() {
    let secs = setting("SERVE_LOAD_SECS", 60);
    let connections = setting("SERVE_LOAD_CONNECTIONS", 8) as usize;
    let rate = setting("SERVE_LOAD_RATE", 0) as f64;
    let patients = setting("SERVE_LOAD_PATIENTS", 10_000);
    let threads = std::env::var("SERVE_LOAD_THREADS")
        .ok()
        .and_then(|v| v.parse().ok());

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    println!("serve_load: {patients} patients, {connections} connections, {secs} s");
    // The generator's profile and row order (`claimaudit gen --profile`,
    // `--order`): the dense profile flags about a fifth of lines.
    let profile = std::env::var("SERVE_LOAD_PROFILE").unwrap_or_else(|_| "clean".into());
    let order = std::env::var("SERVE_LOAD_ORDER").unwrap_or_else(|_| "patient".into());
    println!("data: profile {profile}, order {order}");
    run(
        &[
            "gen",
            "--out",
            "data",
            "--patients",
            &patients.to_string(),
            "--profile",
            &profile,
            "--order",
            &order,
        ],
        d,
    );
    run(
        &[
            "history", "import", "--data", "data", "--store", "store", "--today", TODAY,
        ],
        d,
    );
    std::fs::write(d.join("token"), TOKEN).unwrap();

    // The request bodies: the dataset's claims under new ids.
    let checked = check_shipped();
    let ruleset = checked.ruleset.as_ref().unwrap();
    let shape = ClaimShape::of(ruleset).unwrap();
    let claims = dataset_claims(ruleset, &shape, &d.join("data"), &Default::default()).unwrap();
    let step = (claims.len() / 5000).max(1);
    let bodies: Vec<Vec<u8>> = claims
        .iter()
        .step_by(step)
        .map(|c| {
            let mut json = claim_to_json(&shape, c);
            json["claim_id"] = json!(format!("{}-check", c.claim_id(&shape)));
            serde_json::to_vec(&json).unwrap()
        })
        .collect();
    let lines: usize = claims.iter().step_by(step).map(|c| c.lines.len()).sum();
    println!(
        "{} distinct check bodies, {:.1} lines each on average",
        bodies.len(),
        lines as f64 / bodies.len() as f64
    );

    // The chronic patient: copies of the dataset's claims, all theirs.
    let heavy = setting("SERVE_LOAD_HEAVY", 0) as usize;
    let heavy_connections = if heavy > 0 {
        setting("SERVE_LOAD_HEAVY_CONNECTIONS", 4) as usize
    } else {
        0
    };
    let heavy_patient = claims[0].patient_id(&shape).to_string();
    let as_heavy = |c: &claimaudit::serve::shape::Claim, id: String| {
        let mut json = claim_to_json(&shape, c);
        json["claim_id"] = json!(id);
        json["patient_id"] = json!(heavy_patient);
        json
    };
    if heavy > 0 {
        let store = HistoryStore::open(&d.join("store")).unwrap();
        let rows: Vec<(String, String, Vec<u8>)> = (0..heavy)
            .map(|k| {
                let id = format!("HEAVY-{k}");
                let json = as_heavy(&claims[k % claims.len()], id.clone());
                let claim = claim_from_json(&shape, &json).unwrap();
                let bytes = claim_codec::encode(&shape, &claim);
                (heavy_patient.clone(), id, bytes)
            })
            .collect();
        store.import(&rows, &[], &shape.stored).unwrap();
        println!(
            "a chronic patient with {heavy} more history claims, checked by {heavy_connections} clients"
        );
    }
    let heavy_bodies: Vec<Vec<u8>> = claims
        .iter()
        .step_by(step)
        .take(200)
        .map(|c| serde_json::to_vec(&as_heavy(c, format!("{}-heavy", c.claim_id(&shape)))).unwrap())
        .collect();

    let (server, address) = start(d, threads);
    let bodies = std::sync::Arc::new(bodies);
    let heavy_bodies = std::sync::Arc::new(heavy_bodies);
    let drive = |duration: Duration| {
        let deadline = Instant::now() + duration;
        let workers: Vec<_> = (0..connections + heavy_connections)
            .map(|w| {
                let bodies = if w < connections {
                    bodies.clone()
                } else {
                    heavy_bodies.clone()
                };
                // At a rate, each light connection sends on its own schedule.
                let interval = (rate > 0.0 && w < connections)
                    .then(|| Duration::from_secs_f64(connections as f64 / rate));
                thread::spawn(move || {
                    let mut client = Client::connect(address).unwrap();
                    let mut latencies: Vec<u32> = Vec::with_capacity(1 << 20);
                    let mut errors = 0u64;
                    let mut i = w * 7919;
                    let start = Instant::now();
                    while Instant::now() < deadline {
                        let body = &bodies[i % bodies.len()];
                        let sent = match interval {
                            Some(every) => {
                                let due = start + every * (i - w * 7919) as u32;
                                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                                    thread::sleep(wait);
                                }
                                due
                            }
                            None => Instant::now(),
                        };
                        i += 1;
                        let reply = client
                            .request("POST", "/v1/check", Some(TOKEN), Some(body))
                            .unwrap();
                        let us = sent.elapsed().as_micros().min(u32::MAX as u128) as u32;
                        if reply.status != 200 {
                            errors += 1;
                        }
                        latencies.push(us);
                    }
                    (latencies, errors)
                })
            })
            .collect();
        let mut all = Vec::new();
        let mut errors = 0;
        let mut heavy_seen = (0usize, 0u64);
        for (w, worker) in workers.into_iter().enumerate() {
            let (l, e) = worker.join().unwrap();
            if w < connections {
                all.extend(l);
                errors += e;
            } else {
                heavy_seen.0 += l.len();
                heavy_seen.1 += e;
            }
        }
        if heavy_connections > 0 {
            println!(
                "  the chronic patient's clients: {} checks, {} not 200 (503 busy: their turn did not come)",
                heavy_seen.0, heavy_seen.1
            );
        }
        (all, errors)
    };

    drive(Duration::from_secs(3)); // warm up
    let server_pid = server.0.id().to_string();
    let cpu = || (cpu_seconds(&server_pid), cpu_seconds("self"));
    let (server_before, client_before) = cpu();
    let started = Instant::now();
    let (mut latencies, errors) = drive(Duration::from_secs(secs));
    let elapsed = started.elapsed().as_secs_f64();
    let (server_after, client_after) = cpu();
    let (server_cpu, client_cpu) = (server_after - server_before, client_after - client_before);
    latencies.sort_unstable();
    let n = latencies.len();
    let mean = latencies.iter().map(|&l| l as f64).sum::<f64>() / n.max(1) as f64 / 1000.0;
    let paced = if rate > 0.0 {
        format!(", {rate:.0} checks/s offered")
    } else {
        String::new()
    };
    println!(
        "\n/v1/check over loopback, {connections} keep-alive connections{paced}, {elapsed:.1} s:"
    );
    println!("  requests    {n} ({errors} not 200)");
    println!("  throughput  {:.0} checks/s", n as f64 / elapsed);
    println!(
        "  cpu         server {:.2} cores ({:.0} us a check), clients {:.2} cores",
        server_cpu / elapsed,
        server_cpu / n.max(1) as f64 * 1e6,
        client_cpu / elapsed
    );
    println!(
        "  latency ms  mean {mean:.3}  p50 {:.3}  p90 {:.3}  p99 {:.3}  p999 {:.3}  max {:.3}",
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.90),
        percentile(&latencies, 0.99),
        percentile(&latencies, 0.999),
        percentile(&latencies, 1.0),
    );
    println!(
        "{}",
        json!({
            "bench": "serve_load",
            "seconds": elapsed,
            "connections": connections,
            "offered_per_s": rate,
            "server_cpu_s": server_cpu,
            "client_cpu_s": client_cpu,
            "patients": patients,
            "requests": n,
            "errors": errors,
            "throughput_per_s": n as f64 / elapsed,
            "p50_ms": percentile(&latencies, 0.50),
            "p99_ms": percentile(&latencies, 0.99),
            "p999_ms": percentile(&latencies, 0.999),
        })
    );
    drop(server);
}
