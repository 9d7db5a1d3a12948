//! The real binary on loopback: acknowledged claims survive SIGKILL;
//! SIGTERM drains and closes the store, within the shutdown timeout even
//! with connections left half-open; info logs carry no ids; history import
//! feeds the service; slow, silent and oversized requests are cut off;
//! TLS; a token file others can read is warned of.

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
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    path
}

fn start(store: &Path, token: &Path, log: bool) -> Server {
    start_with(store, token, log, &[])
}

/// The service with more `serve` flags (`extra`).
fn start_with(store: &Path, token: &Path, log: bool, extra: &[&str]) -> Server {
    let mut command = Command::new(BIN);
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--threads", "2"])
        .args(["--today", TODAY_TEXT])
        .args(extra)
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
            let address = line
                .strip_prefix("listening on http://")
                .or_else(|| line.strip_prefix("listening on https://"));
            if let Some(address) = address {
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
    // The log is a pipe, not a terminal: plain text, no colour codes.
    assert!(
        !log.contains('\u{1b}'),
        "colour codes in a log file:\n{log}"
    );

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

/// A connection that has sent `bytes` and nothing more.
fn raw(address: SocketAddr, bytes: &[u8]) -> std::net::TcpStream {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream.write_all(bytes).unwrap();
    stream
}

/// What the service sends on `stream` until it closes it; `None` when it
/// keeps it open for `within`.
fn until_closed(mut stream: std::net::TcpStream, within: Duration) -> Option<String> {
    stream.set_read_timeout(Some(within)).unwrap();
    let mut bytes = Vec::new();
    match stream.read_to_end(&mut bytes) {
        Ok(_) => Some(String::from_utf8_lossy(&bytes).into_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
            Some(String::from_utf8_lossy(&bytes).into_owned())
        }
        Err(_) => None,
    }
}

/// The JSON body of a raw HTTP reply.
fn reply_json(reply: &str) -> Value {
    let body = reply.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    serde_json::from_str(body).unwrap_or(Value::Null)
}

const HEAD: &str = "POST /v1/check HTTP/1.1\r\nHost: test\r\n";

fn authorized_head(length: &str) -> String {
    format!("{HEAD}Authorization: Bearer {TOKEN}\r\nContent-Length: {length}\r\n\r\n")
}

#[test]
fn silent_slow_and_idle_connections_are_closed_by_the_timeouts() {
    let dir = tempfile::tempdir().unwrap();
    let token = token_file(dir.path());
    let flags = [
        "--header-timeout",
        "1",
        "--idle-timeout",
        "2",
        "--body-timeout",
        "1",
    ];
    let server = start_with(&dir.path().join("store"), &token, false, &flags);
    let a = server.address;
    // Generous: each is cut after 1-2 s.
    let within = Duration::from_secs(30);

    let silent = raw(a, b"");
    let half_head = raw(a, HEAD.as_bytes());
    let slow_body = raw(a, format!("{}{{\"claim", authorized_head("400")).as_bytes());
    let kept_alive = raw(a, b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n");

    assert_eq!(until_closed(silent, within).as_deref(), Some(""));
    assert_eq!(until_closed(half_head, within).as_deref(), Some(""));
    let reply = until_closed(slow_body, within).expect("a slow body is cut off");
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    assert_eq!(reply_json(&reply)["error"]["code"], "body_timeout");
    let reply = until_closed(kept_alive, within).expect("an idle connection is closed");
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");

    // The service still answers.
    let reply = once(a, "GET", "/healthz", None, None).unwrap();
    assert_eq!(reply.status, 200);
}

#[test]
fn a_request_past_its_deadline_answers_503_and_a_huge_declared_body_413() {
    let dir = tempfile::tempdir().unwrap();
    let token = token_file(dir.path());
    let flags = ["--request-timeout", "1", "--body-timeout", "120"];
    let server = start_with(&dir.path().join("store"), &token, false, &flags);
    let a = server.address;
    let within = Duration::from_secs(30);

    let slow = raw(a, format!("{}{{\"claim", authorized_head("400")).as_bytes());
    let reply = until_closed(slow, within).expect("a request past its deadline is answered");
    assert!(reply.starts_with("HTTP/1.1 503"), "{reply}");
    let error = &reply_json(&reply)["error"];
    assert_eq!(error["code"], "timeout");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("--request-timeout")
    );

    // Refused from the header alone: the body never comes (without the
    // token, 401 comes first).
    let huge = raw(a, authorized_head("99999999999").as_bytes());
    let reply = until_closed(huge, within).expect("an early 413");
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
    assert_eq!(reply_json(&reply)["error"]["code"], "body_too_large");
    let huge = raw(
        a,
        format!("{HEAD}Content-Length: 99999999999\r\n\r\n").as_bytes(),
    );
    let reply = until_closed(huge, within).expect("an early 401");
    assert!(reply.starts_with("HTTP/1.1 401"), "{reply}");
}

#[test]
fn sigterm_closes_half_open_connections_after_the_shutdown_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let token = token_file(dir.path());
    let store = dir.path().join("store");
    let flags = [
        "--shutdown-timeout",
        "1",
        "--header-timeout",
        "600",
        "--idle-timeout",
        "600",
        "--body-timeout",
        "600",
    ];
    let mut server = start_with(&store, &token, true, &flags);
    let mut stderr = server.child.stderr.take().unwrap();
    let log = thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let a = server.address;
    let body = serde_json::to_vec(&claim(7)).unwrap();
    let reply = once(a, "POST", "/v1/claims", Some(TOKEN), Some(&body)).unwrap();
    assert_eq!(reply.status, 201);

    let half_head = raw(a, HEAD.as_bytes());
    let half_body = raw(a, format!("{}{{", authorized_head("400")).as_bytes());
    let silent = raw(a, b"");
    thread::sleep(Duration::from_millis(300));
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = wait_exit(&mut server.child, Duration::from_secs(60))
        .expect("stops within the shutdown timeout despite half-open connections");
    assert!(exit.success(), "exit {exit:?}");
    for stream in [half_head, half_body, silent] {
        assert!(until_closed(stream, Duration::from_secs(10)).is_some());
    }
    let log = log.join().unwrap();
    assert!(
        log.contains("stopped; the history store is closed"),
        "{log}"
    );

    // The acknowledged claim is there after the restart.
    let server = start(&store, &token, false);
    let reply = once(
        server.address,
        "GET",
        "/v1/claims/K-00007",
        Some(TOKEN),
        None,
    )
    .unwrap();
    assert_eq!(reply.status, 200);
}

#[cfg(unix)]
#[test]
fn a_token_file_others_can_read_is_warned_of_at_start() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let token = token_file(dir.path());
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut server = start(&dir.path().join("store"), &token, true);
    let mut stderr = server.child.stderr.take().unwrap();
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let mut log = String::new();
    stderr.read_to_string(&mut log).unwrap();
    assert!(
        log.contains("can be read by group or others")
            && log.contains("chmod 600")
            && log.contains(&token.display().to_string()),
        "{log}"
    );
}

#[test]
fn tls_serves_https_with_the_certificate_given() {
    let dir = tempfile::tempdir().unwrap();
    let token = token_file(dir.path());
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    let cert = params.self_signed(&key).unwrap();
    let (cert_file, key_file) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_file, cert.pem()).unwrap();
    std::fs::write(&key_file, key.serialize_pem()).unwrap();
    let (cert_arg, key_arg) = (cert_file.to_str().unwrap(), key_file.to_str().unwrap());

    // Both or neither; unreadable and invalid files are named.
    let store = dir.path().join("store");
    let refused = |extra: &[&str]| {
        let output = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .arg("--data")
            .arg(fixture("claim_rules"))
            .arg("--store")
            .arg(&store)
            .arg("--token-file")
            .arg(&token)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{extra:?}");
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let alone = refused(&["--tls-cert", cert_arg]);
    assert!(alone.contains("--tls-key"), "{alone}");
    let missing = dir.path().join("missing.pem");
    let unreadable = refused(&[
        "--tls-cert",
        missing.to_str().unwrap(),
        "--tls-key",
        key_arg,
    ]);
    assert!(
        unreadable.contains("cannot read the TLS certificate file")
            && unreadable.contains("missing.pem"),
        "{unreadable}"
    );
    let swapped = refused(&["--tls-cert", key_arg, "--tls-key", cert_arg]);
    assert!(swapped.contains("holds no PEM certificate"), "{swapped}");

    let server = start_with(
        &store,
        &token,
        false,
        &["--tls-cert", cert_arg, "--tls-key", key_arg],
    );
    let mut client = Client::connect_tls(server.address, cert.der(), "localhost").unwrap();
    let reply = client.request("GET", "/healthz", None, None).unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["status"], "ok");
    let body = serde_json::to_vec(&claim(3)).unwrap();
    let reply = client
        .request("POST", "/v1/check", Some(TOKEN), Some(&body))
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.json());
    let reply = client
        .request("POST", "/v1/check", None, Some(&body))
        .unwrap();
    assert_eq!(reply.status, 401);
    // Plain HTTP on the TLS port gets no HTTP reply.
    let plain = raw(
        server.address,
        b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n",
    );
    let reply = until_closed(plain, Duration::from_secs(30)).unwrap_or_default();
    assert!(!reply.starts_with("HTTP/1.1 200"), "{reply}");
}

#[test]
fn connections_past_the_limit_wait_for_one_to_close() {
    let dir = tempfile::tempdir().unwrap();
    let token = token_file(dir.path());
    let flags = ["--max-connections", "1", "--header-timeout", "600"];
    let server = start_with(&dir.path().join("store"), &token, false, &flags);
    let a = server.address;
    let holder = raw(a, b"");
    thread::sleep(Duration::from_millis(300));
    let waiting = thread::spawn(move || once(a, "GET", "/healthz", None, None));
    thread::sleep(Duration::from_millis(1000));
    assert!(
        !waiting.is_finished(),
        "a connection past the limit was served"
    );
    drop(holder);
    let reply = waiting.join().unwrap().unwrap();
    assert_eq!(reply.status, 200);
}

/// The claim_rules fixture with every table written in GB18030, as a
/// Chinese Windows export would, and a Chinese doctor id in the lines.
fn gbk_fixture(dir: &Path) -> std::path::PathBuf {
    let data = dir.join("gbk");
    std::fs::create_dir(&data).unwrap();
    for entry in std::fs::read_dir(fixture("claim_rules")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("DR001", "规001");
        let gbk = encoding_rs::GB18030.encode(&text).0.into_owned();
        std::fs::write(data.join(path.file_name().unwrap()), gbk).unwrap();
    }
    data
}

#[test]
fn a_gbk_dataset_is_imported_and_served_with_encoding_gb18030() {
    let dir = tempfile::tempdir().unwrap();
    let data = gbk_fixture(dir.path());
    let store = dir.path().join("store");
    let import = |extra: &[&str]| {
        Command::new(BIN)
            .args(["history", "import", "--today", TODAY_TEXT])
            .args(extra)
            .arg("--data")
            .arg(&data)
            .arg("--store")
            .arg(&store)
            .output()
            .unwrap()
    };
    let refused = import(&[]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--encoding gb18030"), "{stderr}");
    let imported = import(&["--encoding", "gb18030"]);
    let stdout = String::from_utf8_lossy(&imported.stdout);
    assert!(imported.status.success(), "{stdout}");
    assert!(stdout.contains("imported 27 claims"), "{stdout}");

    // The service reads its reference tables the same way.
    let token = token_file(dir.path());
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--threads", "1"])
        .args(["--today", TODAY_TEXT, "--encoding", "gb18030", "--data"])
        .arg(&data)
        .arg("--store")
        .arg(&store)
        .arg("--token-file")
        .arg(&token)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(first.starts_with("listening on http://"), "{first:?}");
    let without = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(&data)
        .arg("--store")
        .arg(dir.path().join("other-store"))
        .arg("--token-file")
        .arg(&token)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&without.stderr);
    assert_eq!(without.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--encoding gb18030"), "{stderr}");
}
