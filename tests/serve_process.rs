//! The real binary on loopback: acknowledged claims survive SIGKILL;
//! SIGTERM drains and closes the store; info logs carry no ids; history
//! import feeds the service.

mod serve_support;

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use serve_support::http::{Client, once};
use serve_support::{TODAY_TEXT, TOKEN, fixture};

const BIN: &str = env!("CARGO_BIN_EXE_claimaudit");

/// A running `claimaudit serve`, killed when dropped.
struct Server {
    child: Child,
    address: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn token_file(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("token");
    std::fs::write(&path, format!("{TOKEN}\n")).unwrap();
    path
}

fn start(store: &Path, token: &Path, log: bool) -> Server {
    let mut command = Command::new(BIN);
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--threads", "2"])
        .args(["--today", TODAY_TEXT])
        .arg("--data")
        .arg(fixture("claim_rules"))
        .arg("--store")
        .arg(store)
        .arg("--token-file")
        .arg(token)
        .env("RUST_LOG", if log { "info" } else { "warn" })
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(if log { Stdio::piped() } else { Stdio::null() });
    let mut child = command.spawn().expect("the binary starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(address) = line.strip_prefix("listening on http://") {
                let _ = tx.send(address.parse::<SocketAddr>().unwrap());
            }
        }
    });
    let address = match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(address) => address,
        Err(_) => {
            let _ = child.kill();
            panic!("the service did not say where it listens within 60 s");
        }
    };
    Server { child, address }
}

fn claim(i: usize) -> Value {
    json!({
        "claim_id": format!("K-{i:05}"),
        "patient_id": format!("P-{}", i % 7),
        "provider_id": "H3",
        "visit_type": "outpatient",
        "admit_date": "2024-06-01",
        "discharge_date": "2024-06-01",
        "primary_dx": "J06.900",
        "total_amount": "20.00",
        "fund_amount": "14.00",
        "settle_time": "2024-06-01 10:00:00",
        "treat_region": "330100",
        "lines": [{"line_no": 1, "item_code": "110200001", "item_type": "service",
                   "service_date": "2024-06-01", "quantity": "1", "unit_price": "20.0000",
                   "amount": "20.00", "doctor_id": "DR001"}]
    })
}

fn wait_exit(child: &mut Child, within: Duration) -> Option<std::process::ExitStatus> {
    let started = Instant::now();
    while started.elapsed() < within {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        thread::sleep(Duration::from_millis(20));
    }
    None
}

#[test]
fn no_acknowledged_claim_is_lost_to_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let token = token_file(dir.path());
    let store = dir.path().join("store");
    let mut server = start(&store, &token, false);

    // Record claims as fast as the service takes them, on two connections;
    // kill -9 the service mid-stream.
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..2 {
        let (acknowledged, stop, address) = (acknowledged.clone(), stop.clone(), server.address);
        writers.push(thread::spawn(move || {
            let Ok(mut client) = Client::connect(address) else {
                return;
            };
            for i in (w..100_000).step_by(2) {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let body = serde_json::to_vec(&claim(i)).unwrap();
                match client.request("POST", "/v1/claims", Some(TOKEN), Some(&body)) {
                    Ok(reply) if reply.status == 201 => acknowledged.lock().unwrap().push(i),
                    Ok(reply) => panic!("recording answered {}", reply.status),
                    Err(_) => return,
                }
            }
        }));
    }
    let started = Instant::now();
    while acknowledged.lock().unwrap().len() < 40 && started.elapsed() < Duration::from_secs(60) {
        thread::sleep(Duration::from_millis(5));
    }
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= 40,
        "only {} claims recorded",
        acknowledged.len()
    );

    let server = start(&store, &token, false);
    let mut client = Client::connect(server.address).unwrap();
    for i in &acknowledged {
        let id = format!("K-{i:05}");
        let reply = client
            .request("GET", &format!("/v1/claims/{id}"), Some(TOKEN), None)
            .unwrap();
        assert_eq!(reply.status, 200, "acknowledged claim {id} was lost");
        assert_eq!(reply.json()["claim_id"], id.as_str());
        assert_eq!(reply.json()["patient_id"], format!("P-{}", i % 7).as_str());
    }
}

#[test]
fn sigterm_drains_closes_the_store_and_logs_no_ids() {
    let dir = tempfile::tempdir().unwrap();
    let token = token_file(dir.path());
    let store = dir.path().join("store");
    let mut server = start(&store, &token, true);
    let mut stderr = server.child.stderr.take().unwrap();
    let log = thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });

    let mut secret = claim(1);
    secret["claim_id"] = json!("SECRET-CLAIM-77");
    secret["patient_id"] = json!("SECRET-PATIENT-42");
    let body = serde_json::to_vec(&secret).unwrap();
    let a = server.address;
    assert_eq!(
        once(a, "POST", "/v1/claims", Some(TOKEN), Some(&body))
            .unwrap()
            .status,
        201
    );
    assert_eq!(
        once(a, "POST", "/v1/check", Some(TOKEN), Some(&body))
            .unwrap()
            .status,
        200
    );
    assert_eq!(
        once(a, "GET", "/v1/claims/SECRET-CLAIM-77", Some(TOKEN), None)
            .unwrap()
            .status,
        200
    );
    let mut bad = secret.clone();
    bad["visit_type"] = json!("SECRET-VISIT");
    let bad = serde_json::to_vec(&bad).unwrap();
    assert_eq!(
        once(a, "POST", "/v1/check", Some(TOKEN), Some(&bad))
            .unwrap()
            .status,
        422
    );
    assert_eq!(
        once(a, "GET", "/v1/claims/SECRET-CLAIM-77", None, None)
            .unwrap()
            .status,
        401
    );

    // Checks in flight on a keep-alive connection while SIGTERM arrives:
    // every reply that comes is whole.
    let checks = thread::spawn(move || {
        let mut client = Client::connect(a).unwrap();
        let mut whole = 0;
        for _ in 0..100_000 {
            match client.request("POST", "/v1/check", Some(TOKEN), Some(&body)) {
                Ok(reply) => {
                    assert_eq!(reply.status, 200);
                    assert!(reply.json()["decision"].is_string());
                    whole += 1;
                }
                Err(_) => break,
            }
        }
        whole
    });
    thread::sleep(Duration::from_millis(300));
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = wait_exit(&mut server.child, Duration::from_secs(30)).expect("stops on SIGTERM");
    assert!(exit.success(), "exit {exit:?}");
    assert!(checks.join().unwrap() > 0);
    let log = log.join().unwrap();
    // Method, route template, status and time, and nothing else.
    assert!(
        log.contains("/v1/claims/{claim_id}") && log.contains("elapsed_us"),
        "{log}"
    );
    assert!(
        log.contains("stopped; the history store is closed"),
        "{log}"
    );
    assert!(!log.contains("SECRET"), "an id reached the log:\n{log}");

    // The store was closed cleanly: it opens again, with the claim.
    let server = start(&store, &token, false);
    let reply = once(
        server.address,
        "GET",
        "/v1/claims/SECRET-CLAIM-77",
        Some(TOKEN),
        None,
    )
    .unwrap();
    assert_eq!(reply.status, 200);
}

#[test]
fn history_import_feeds_the_service() {
    let dir = tempfile::tempdir().unwrap();
    let token = token_file(dir.path());
    let store = dir.path().join("store");
    let output = Command::new(BIN)
        .args(["history", "import", "--today", TODAY_TEXT, "--data"])
        .arg(fixture("claim_rules"))
        .arg("--store")
        .arg(&store)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("imported 27 claims"), "{stdout}");

    let server = start(&store, &token, false);
    // K02 is patient Q01's newest claim: kept.
    let reply = once(server.address, "GET", "/v1/claims/K02", Some(TOKEN), None).unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["patient_id"], "Q01");
    // A check of a claim like K02 on the same day is judged against it.
    let mut again = reply.json();
    again["claim_id"] = json!("K02-again");
    let body = serde_json::to_vec(&again).unwrap();
    let reply = once(
        server.address,
        "POST",
        "/v1/check",
        Some(TOKEN),
        Some(&body),
    )
    .unwrap();
    assert_eq!(reply.status, 200);
    assert!(reply.json()["history_claims"].as_u64().unwrap() >= 1);
    assert!(
        reply.json()["flags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule_id"] == "DUP-01"),
        "{}",
        reply.json()
    );
}
