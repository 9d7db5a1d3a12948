//! docs/api.md and docs/openapi.json say what the service does.
//!
//! - The endpoints: the list below, the routes in src/serve/mod.rs, the
//!   paths of docs/openapi.json and the router's answers all agree, and
//!   each endpoint has a heading in docs/api.md.
//! - The examples: every ```http block of docs/api.md that starts with a
//!   request line (`POST /v1/check HTTP/1.1`) is sent, in the order of the
//!   document, to one service in process (the shipped rules, the
//!   reference tables of fixtures/claim_rules, an empty history store, the
//!   token `DOC_TOKEN`). The next fenced block must be the ```http
//!   response (`HTTP/1.1 200 OK`, headers, body); its status, headers and
//!   body must be the service's, field for field, except the values of
//!   `VOLATILE` fields (their presence and JSON type still count). A
//!   /metrics reply may leave out histogram bucket lines, nothing else.
//! - docs/openapi.json: every example's request body (when it succeeds)
//!   and every reply validate against the operation's schemas; the claim
//!   schemas are the contract's columns; the error codes are the ones the
//!   code answers.
//! - The national mapping tables of docs/api.md are `fsi::HEADER_FIELDS`
//!   and `fsi::LINE_FIELDS`.
//!
//! After a deliberate change of the service, `API_DOC_BLESS=1 cargo test
//! --test api_doc` rewrites the response blocks of docs/api.md with the
//! service's replies; read the diff before committing it.

mod serve_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use claimaudit::ir::ColumnType;
use claimaudit::serve::clock::Clock;
use claimaudit::serve::fsi::{HEADER_FIELDS, LINE_FIELDS};
use claimaudit::serve::history::HistoryStore;
use claimaudit::serve::{AppState, Engine, Settings, router};
use regex::Regex;
use serde_json::Value;
use serve_support::{fixture, shipped};
use tower::ServiceExt;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Every endpoint the service serves: (method, path as routed).
const ENDPOINTS: [(&str, &str); 10] = [
    ("POST", "/v1/check"),
    ("POST", "/v1/claims"),
    ("GET", "/v1/claims/{claim_id}"),
    ("DELETE", "/v1/claims/{claim_id}"),
    ("POST", "/v1/admin/reload"),
    ("GET", "/healthz"),
    ("GET", "/metrics"),
    ("POST", "/fsi/3101"),
    ("POST", "/fsi/3102"),
    ("POST", "/fsi/3103"),
];

/// The bearer token of the examples.
const DOC_TOKEN: &str = "demo-token-2f9c41d7";

/// Fields whose values change from run to run (times, durations) or with
/// any edit of the ruleset (its hash, and the result ids made from it).
const VOLATILE: [&str; 7] = [
    "elapsed_us",
    "hash",
    "ruleset_hash",
    "jr_id",
    "jrd_id",
    "refmsg_time",
    "respond_time",
];

/// Response headers the examples show.
const SHOWN_HEADERS: [&str; 3] = ["content-type", "www-authenticate", "allow"];

fn read(relative: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(relative))
        .unwrap_or_else(|e| panic!("cannot read {relative}: {e}"))
}

fn openapi() -> Value {
    serde_json::from_str(&read("docs/openapi.json"))
        .unwrap_or_else(|e| panic!("docs/openapi.json is not JSON: {e}"))
}

fn endpoints() -> BTreeSet<(String, String)> {
    ENDPOINTS
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect()
}

/// The service the examples run against.
fn doc_service(store: &Path) -> Router {
    let data = fixture("claim_rules");
    let settings = Settings {
        token: DOC_TOKEN.to_string(),
        max_body_bytes: 1 << 20,
        grace_days: 31,
        rules: Vec::new(),
        data: data.clone(),
        // The examples' day: their dates are in early June 2024.
        clock: Clock::Fixed(chrono::NaiveDate::from_ymd_opt(2024, 6, 4).unwrap()),
        future_tolerance_days: 1,
        limits: Default::default(),
        load: Default::default(),
    };
    let engine = Engine::load(&settings.rules, &data, &settings.load).expect("an engine");
    let store = HistoryStore::open(store).expect("a store");
    router(Arc::new(AppState::new(engine, store, settings)))
}

// ---------------------------------------------------------------------------
// (a) the endpoints

/// (method, path) of every `.route(...)` in src/serve/mod.rs.
fn routed() -> BTreeSet<(String, String)> {
    let source = read("src/serve/mod.rs");
    let method = Regex::new(r"\b(get|post|put|delete|patch|head|options)\(").unwrap();
    let mut out = BTreeSet::new();
    let mut rest = source.as_str();
    while let Some(start) = rest.find(".route(") {
        let call = &rest[start + ".route(".len()..];
        let mut depth = 1;
        let end = call
            .char_indices()
            .find(|&(_, c)| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .map(|(i, _)| i)
            .expect("a closed .route( call");
        let call = &call[..end];
        let path = call.split('"').nth(1).expect("a route path literal");
        let after = &call[call.find(',').expect("a route's method router")..];
        for m in method.captures_iter(after) {
            out.insert((m[1].to_uppercase(), path.to_string()));
        }
        rest = &rest[start + 1..];
    }
    out
}

/// One request to the router: status, headers and body.
async fn send(
    app: &Router,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &str,
) -> (StatusCode, Vec<(String, String)>, Vec<u8>) {
    let mut request = Request::builder().method(method).uri(path);
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let body = if body.is_empty() {
        Body::empty()
    } else {
        Body::from(body.to_string())
    };
    let response = app
        .clone()
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_ascii_lowercase(),
                v.to_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, headers, bytes.to_vec())
}

#[tokio::test]
async fn the_endpoints_are_the_same_in_the_code_the_router_openapi_and_api_md() {
    let expected = endpoints();
    assert_eq!(
        routed(),
        expected,
        "src/serve/mod.rs routes other endpoints than this test lists"
    );

    let spec = openapi();
    assert_eq!(spec["openapi"].as_str().map(|v| &v[..4]), Some("3.1."));
    let mut documented = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            let method = method.to_uppercase();
            if ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"].contains(&&*method) {
                documented.insert((method, path.clone()));
            }
        }
    }
    assert_eq!(
        documented, expected,
        "docs/openapi.json documents other endpoints than the service serves"
    );

    let doc = read("docs/api.md");
    for (method, path) in &expected {
        assert!(
            doc.contains(path.as_str()),
            "docs/api.md never names {path}"
        );
        let heading = format!("{method} {path}");
        assert!(
            doc.lines()
                .any(|l| l.starts_with('#') && l.contains(&heading)),
            "docs/api.md has no heading for {heading}"
        );
    }

    // The router answers exactly these: other methods on these paths are
    // 405, and these are neither 405 nor the unknown-endpoint 404.
    let store = tempfile::tempdir().unwrap();
    let app = doc_service(store.path());
    let auth = vec![("authorization".to_string(), format!("Bearer {DOC_TOKEN}"))];
    let paths: BTreeSet<&str> = ENDPOINTS.iter().map(|(_, p)| *p).collect();
    for path in paths {
        let concrete = path.replace("{claim_id}", "NO-SUCH-CLAIM");
        for method in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
            let (status, _, body) = send(&app, method, &concrete, &auth, "{}").await;
            let body = String::from_utf8_lossy(&body);
            if expected.contains(&(method.to_string(), path.to_string())) {
                assert_ne!(status, 405, "{method} {path} is not served: {body}");
                assert!(
                    !body.contains("no such endpoint"),
                    "{method} {path} is not served: {body}"
                );
            } else {
                assert_eq!(status, 405, "{method} {path} is served: {body}");
            }
        }
    }
}

// ---------------------------------------------------------------------------
// (b) the examples

/// A fenced block of docs/api.md: its info string and lines (0-based line
/// numbers of the first and last content line + 1).
struct Block {
    info: String,
    start: usize,
    end: usize,
}

fn blocks(doc: &str) -> Vec<Block> {
    let lines: Vec<&str> = doc.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if let Some(info) = lines[i].strip_prefix("```") {
            let start = i + 1;
            let mut end = start;
            while end < lines.len() && lines[end].trim_end() != "```" {
                end += 1;
            }
            assert!(end < lines.len(), "an unclosed block at line {}", i + 1);
            out.push(Block {
                info: info.trim().to_string(),
                start,
                end,
            });
            i = end + 1;
        } else {
            i += 1;
        }
    }
    out
}

/// An HTTP message as written in a block: its first line, headers, body.
struct Message {
    first: String,
    headers: Vec<(String, String)>,
    body: String,
}

fn message(lines: &[&str]) -> Message {
    let first = lines.first().map_or("", |l| l.trim()).to_string();
    let mut headers = Vec::new();
    let mut i = 1;
    while i < lines.len() && !lines[i].trim().is_empty() {
        let (name, value) = lines[i]
            .split_once(':')
            .unwrap_or_else(|| panic!("not a header: {}", lines[i]));
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        i += 1;
    }
    let body = lines.get(i + 1..).unwrap_or_default().join("\n");
    Message {
        first,
        headers,
        body: body.trim().to_string(),
    }
}

struct Example {
    /// 1-based line of the request block in docs/api.md.
    line: usize,
    method: String,
    path: String,
    request: Message,
    /// The ```sh block after the request: its 1-based first line and its
    /// lines.
    curl: Option<(usize, Vec<String>)>,
    response: Message,
    /// Content lines of the response block, for blessing.
    response_lines: (usize, usize),
}

fn examples(doc: &str) -> Vec<Example> {
    let lines: Vec<&str> = doc.lines().collect();
    let all = blocks(doc);
    let mut out = Vec::new();
    let mut i = 0;
    while i < all.len() {
        let block = &all[i];
        i += 1;
        if block.info != "http" {
            continue;
        }
        let content = &lines[block.start..block.end];
        let at = block.start;
        assert!(
            !content[0].starts_with("HTTP/"),
            "docs/api.md line {at}: a response block with no request before it"
        );
        let request = message(content);
        let mut words = request.first.split_whitespace();
        let (method, path) = match (words.next(), words.next()) {
            (Some(m), Some(p)) => (m.to_string(), p.to_string()),
            _ => panic!(
                "docs/api.md line {at}: not a request line: {}",
                request.first
            ),
        };
        // The same request as a curl command, between the request and its
        // response (checked by `every_request_in_api_md_has_its_curl_command`).
        let curl = all.get(i).filter(|b| b.info == "sh").map(|b| {
            i += 1;
            (
                b.start,
                lines[b.start..b.end]
                    .iter()
                    .map(|l| l.to_string())
                    .collect(),
            )
        });
        let next = all
            .get(i)
            .filter(|b| b.info == "http" && lines[b.start].starts_with("HTTP/"))
            .unwrap_or_else(|| {
                panic!("docs/api.md line {at}: the request is not followed by a ```sh curl block and an ```http response block")
            });
        i += 1;
        out.push(Example {
            line: at,
            method,
            path,
            request,
            curl,
            response: message(&lines[next.start..next.end]),
            response_lines: (next.start, next.end),
        });
    }
    out
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The differences between a documented JSON body and the reply.
fn compare(doc: &Value, actual: &Value, at: &str, out: &mut Vec<String>) {
    match (doc, actual) {
        (Value::Object(d), Value::Object(a)) => {
            for key in d.keys().filter(|k| !a.contains_key(*k)) {
                out.push(format!("{at}.{key}: documented, not in the reply"));
            }
            for key in a.keys().filter(|k| !d.contains_key(*k)) {
                out.push(format!("{at}.{key}: in the reply, not documented"));
            }
            for (key, dv) in d {
                let Some(av) = a.get(key) else { continue };
                let here = format!("{at}.{key}");
                if VOLATILE.contains(&key.as_str()) {
                    if kind(dv) != kind(av) {
                        out.push(format!(
                            "{here}: documented as {}, the reply has {}",
                            kind(dv),
                            kind(av)
                        ));
                    }
                } else {
                    compare(dv, av, &here, out);
                }
            }
        }
        (Value::Array(d), Value::Array(a)) => {
            if d.len() != a.len() {
                out.push(format!(
                    "{at}: {} items documented, {} in the reply",
                    d.len(),
                    a.len()
                ));
            }
            for (i, (dv, av)) in d.iter().zip(a).enumerate() {
                compare(dv, av, &format!("{at}[{i}]"), out);
            }
        }
        _ if doc != actual => out.push(format!("{at}: documented {doc}, the reply has {actual}")),
        _ => {}
    }
}

/// JSON as the examples show it: indented by two, arrays of plain values
/// on one line.
fn pretty(value: &Value, indent: usize) -> String {
    let pad = |n: usize| " ".repeat(n);
    match value {
        Value::Array(items) if items.iter().all(|v| !v.is_array() && !v.is_object()) => {
            let items: Vec<String> = items.iter().map(Value::to_string).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Array(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|v| format!("{}{}", pad(indent + 2), pretty(v, indent + 2)))
                .collect();
            format!("[\n{}\n{}]", items.join(",\n"), pad(indent))
        }
        Value::Object(map) if map.is_empty() => "{}".to_string(),
        Value::Object(map) => {
            let fields: Vec<String> = map
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}{}: {}",
                        pad(indent + 2),
                        Value::from(k.as_str()),
                        pretty(v, indent + 2)
                    )
                })
                .collect();
            format!("{{\n{}\n{}}}", fields.join(",\n"), pad(indent))
        }
        other => other.to_string(),
    }
}

/// A Prometheus sample line as (series, value); `None` for comments.
fn sample(line: &str) -> Option<(String, String)> {
    if line.starts_with('#') || line.trim().is_empty() {
        return None;
    }
    let (series, value) = line.rsplit_once(' ')?;
    let hash = Regex::new(r#"hash="[^"]*""#).unwrap();
    Some((
        hash.replace(series, "hash=\"…\"").into_owned(),
        value.to_string(),
    ))
}

fn bucket(series: &str) -> bool {
    series.starts_with("claimaudit_request_duration_seconds_bucket{")
}

/// The differences between a documented /metrics text and the reply:
/// every documented line is there (values of the latency histogram and
/// of bucket lines excepted), and nothing but bucket lines is left out.
fn compare_metrics(doc: &str, actual: &str, out: &mut Vec<String>) {
    let volatile_value = |series: &str| {
        bucket(series) || series.starts_with("claimaudit_request_duration_seconds_sum")
    };
    let replied: BTreeMap<String, String> = actual.lines().filter_map(sample).collect();
    let comments: BTreeSet<&str> = actual.lines().filter(|l| l.starts_with('#')).collect();
    let mut shown = BTreeSet::new();
    for line in doc.lines() {
        if line.starts_with('#') {
            if !comments.contains(line) {
                out.push(format!("`{line}` is documented, not in the reply"));
            }
            continue;
        }
        let Some((series, value)) = sample(line) else {
            continue;
        };
        match replied.get(&series) {
            None => out.push(format!("`{series}` is documented, not in the reply")),
            Some(v) if *v != value && !volatile_value(&series) => {
                out.push(format!("`{series}`: documented {value}, the reply has {v}"))
            }
            _ => {}
        }
        shown.insert(series);
    }
    for comment in comments {
        if !doc.lines().any(|l| l == comment) {
            out.push(format!("`{comment}` is in the reply, not documented"));
        }
    }
    for series in replied.keys() {
        if !bucket(series) && !shown.contains(series) {
            out.push(format!("`{series}` is in the reply, not documented"));
        }
    }
}

/// Whether `path` is an instance of the path template (`/v1/claims/{claim_id}`).
fn matches(template: &str, path: &str) -> bool {
    let path = path.split('?').next().unwrap_or(path);
    let (parts, segments): (Vec<&str>, Vec<&str>) =
        (template.split('/').collect(), path.split('/').collect());
    parts.len() == segments.len()
        && parts
            .iter()
            .zip(&segments)
            .all(|(t, s)| t == s || (t.starts_with('{') && !s.is_empty()))
}

/// The operation of docs/openapi.json that `method path` calls.
fn operation<'s>(spec: &'s Value, method: &str, path: &str) -> Option<&'s Value> {
    spec["paths"]
        .as_object()?
        .iter()
        .filter(|(template, _)| matches(template, path))
        .find_map(|(_, item)| item.get(method.to_lowercase()))
}

fn json_schema(content: &Value) -> Option<&Value> {
    content.get("application/json")?.get("schema")
}

#[tokio::test]
async fn every_example_in_api_md_answers_as_documented() {
    let doc = read("docs/api.md");
    let spec = openapi();
    let validator = Validator::new(&spec);
    let examples = examples(&doc);
    assert!(
        examples.len() >= 20,
        "only {} examples in docs/api.md",
        examples.len()
    );
    let store = tempfile::tempdir().unwrap();
    let app = doc_service(store.path());
    let bless = std::env::var_os("API_DOC_BLESS").is_some();
    let mut blessed: Vec<((usize, usize), String)> = Vec::new();
    let mut failures = Vec::new();
    let mut succeeded = BTreeSet::new();
    for example in &examples {
        let (method, path) = (&example.method, &example.path);
        let where_ = format!("docs/api.md line {}: {method} {path}", example.line);
        let mut problems = Vec::new();
        let (status, headers, body) = send(
            &app,
            method,
            path,
            &example.request.headers,
            &example.request.body,
        )
        .await;
        let text = String::from_utf8_lossy(&body).into_owned();
        let reply: Option<Value> = serde_json::from_slice(&body).ok();
        let header = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };

        if bless {
            let mut block = format!(
                "HTTP/1.1 {} {}\n",
                status.as_u16(),
                status.canonical_reason().unwrap_or_default()
            );
            for name in SHOWN_HEADERS {
                if let Some(v) = header(name) {
                    block.push_str(&format!("{name}: {v}\n"));
                }
            }
            block.push('\n');
            match &reply {
                Some(json) => block.push_str(&pretty(json, 0)),
                None => block.push_str(
                    &text
                        .lines()
                        .filter(|l| !bucket(l) || l.contains("route=\"/v1/check\""))
                        .collect::<Vec<_>>()
                        .join("\n"),
                ),
            }
            blessed.push((example.response_lines, block));
        }

        // The status line.
        let documented: Option<u16> = example
            .response
            .first
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok());
        if documented != Some(status.as_u16()) {
            problems.push(format!(
                "status: documented `{}`, the reply is {status}: {text}",
                example.response.first
            ));
        }
        // The headers shown.
        for (name, value) in &example.response.headers {
            match header(name) {
                Some(v) if v == *value => {}
                other => problems.push(format!(
                    "header {name}: documented `{value}`, the reply has {other:?}"
                )),
            }
        }
        for name in SHOWN_HEADERS {
            if header(name).is_some() && !example.response.headers.iter().any(|(n, _)| n == name) {
                problems.push(format!("header {name} is in the reply, not documented"));
            }
        }
        // The body.
        match (
            &reply,
            serde_json::from_str::<Value>(&example.response.body),
        ) {
            (Some(actual), Ok(written)) => compare(&written, actual, "body", &mut problems),
            (None, Err(_)) => compare_metrics(&example.response.body, &text, &mut problems),
            (Some(_), Err(e)) => problems.push(format!("the documented body is not JSON: {e}")),
            (None, Ok(_)) => problems.push(format!("the reply is not JSON: {text}")),
        }

        // Against docs/openapi.json.
        let op = operation(&spec, method, path);
        if status.is_success() {
            let op = op.unwrap_or_else(|| panic!("{where_}: not in docs/openapi.json"));
            if let Some((m, t)) = ENDPOINTS
                .iter()
                .find(|(m, t)| m == method && matches(t, path))
            {
                succeeded.insert((m.to_string(), t.to_string()));
            }
            if let Ok(sent) = serde_json::from_str::<Value>(&example.request.body)
                && let Some(schema) = json_schema(&op["requestBody"]["content"])
            {
                validator.check(schema, &sent, "request", &mut problems);
            }
        }
        let response_spec = match op {
            Some(op) => {
                let code = status.as_u16().to_string();
                let r = op["responses"].get(&code);
                if r.is_none() {
                    problems.push(format!(
                        "docs/openapi.json gives no {code} response for {method} {path}"
                    ));
                }
                r.cloned()
            }
            None => Some(serde_json::json!({
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
            })),
        };
        let content_type = header("content-type").unwrap_or_default();
        if let Some(r) = response_spec.as_ref().map(|r| validator.resolve(r)) {
            let media = content_type.split(';').next().unwrap_or_default().trim();
            if r["content"].get(media).is_none() {
                problems.push(format!(
                    "docs/openapi.json gives no {media} content for this {status} reply"
                ));
            }
            if let (Some(actual), Some(schema)) = (&reply, json_schema(&r["content"])) {
                validator.check(schema, actual, "reply", &mut problems);
            }
        }

        if !problems.is_empty() {
            failures.push(format!("{where_}\n  {}", problems.join("\n  ")));
        }
    }

    if bless {
        let mut lines: Vec<String> = doc.lines().map(String::from).collect();
        for ((start, end), block) in blessed.into_iter().rev() {
            lines.splice(start..end, block.lines().map(String::from));
        }
        let mut text = lines.join("\n");
        text.push('\n');
        std::fs::write(Path::new(ROOT).join("docs/api.md"), text).unwrap();
        return;
    }
    assert!(
        failures.is_empty(),
        "docs/api.md differs from the service in {} examples (API_DOC_BLESS=1 rewrites the replies):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    for (method, path) in ENDPOINTS {
        assert!(
            succeeded.contains(&(method.to_string(), path.to_string())),
            "docs/api.md has no successful example of {method} {path}"
        );
    }
}

// ---------------------------------------------------------------------------
// (b') the curl commands

/// The address every curl command of docs/api.md calls: `claimaudit serve`
/// with its default `--listen`.
const CURL_BASE: &str = "http://127.0.0.1:8080";

/// A shell word of a curl block: an argument, or a here-document
/// (`<<'EOF'`) giving the command's standard input.
#[derive(Debug, PartialEq)]
enum Word {
    Arg(String),
    HereDoc(String),
}

/// Splits one command line into words as a POSIX shell does, for the
/// subset the examples need: blanks between words, single quotes (taken
/// literally), double quotes (with `\\` escapes of `"`, `\\`, `$` and
/// `` ` ``), a backslash before any other character outside quotes, and
/// a here-document whose delimiter is quoted (so its text is literal).
/// Anything a shell would expand or treat as an operator is refused, so
/// a command that passes means the same to a reader's shell.
fn shell_words(line: &str) -> Result<Vec<Word>, String> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
        let Some(&first) = chars.peek() else {
            return Ok(words);
        };
        if first == '<' {
            chars.next();
            if chars.next() != Some('<') {
                return Err("a `<` redirection; use a here-document `<<'EOF'`".into());
            }
            let quote = chars.next();
            if quote != Some('\'') && quote != Some('"') {
                return Err("a here-document with an unquoted delimiter: write <<'EOF' so that its text is taken literally".into());
            }
            let mut tag = String::new();
            loop {
                match chars.next() {
                    Some(c) if Some(c) == quote => break,
                    Some(c) => tag.push(c),
                    None => return Err("an unclosed here-document delimiter".into()),
                }
            }
            words.push(Word::HereDoc(tag));
            continue;
        }
        let mut word = String::new();
        while let Some(c) = chars.next() {
            match c {
                ' ' | '\t' => break,
                '\'' => loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("an unclosed single quote".into()),
                    }
                },
                '"' => loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e @ ('"' | '\\' | '$' | '`')) => word.push(e),
                            Some(e) => {
                                word.push('\\');
                                word.push(e);
                            }
                            None => return Err("an unclosed double quote".into()),
                        },
                        Some(e @ ('$' | '`' | '!')) => {
                            return Err(format!(
                                "`{e}` inside double quotes would be expanded by the shell"
                            ));
                        }
                        Some(c) => word.push(c),
                        None => return Err("an unclosed double quote".into()),
                    }
                },
                '\\' => match chars.next() {
                    Some(e) => word.push(e),
                    None => return Err("a backslash at the end of the command".into()),
                },
                '$' | '`' | '!' | '|' | '&' | ';' | '<' | '>' | '(' | ')' | '*' | '?' | '['
                | '#' | '~' | '{' | '}' => {
                    return Err(format!(
                        "`{c}` outside quotes means something to the shell; quote it"
                    ));
                }
                c => word.push(c),
            }
        }
        words.push(Word::Arg(word));
    }
}

/// A request as a curl command sends it.
#[derive(Debug)]
struct CurlRequest {
    method: String,
    path: String,
    /// The headers it sends besides curl's own (`Host`, `User-Agent`,
    /// `Accept`), names in lower case.
    headers: BTreeMap<String, String>,
    body: Option<String>,
}

/// Reads a ```sh block holding one curl command: continued lines
/// (a backslash at the end) joined, then its here-document, if any.
fn curl_request(lines: &[String]) -> Result<CurlRequest, String> {
    let mut command = String::new();
    let mut rest = lines.iter();
    for line in rest.by_ref() {
        match line.strip_suffix('\\') {
            Some(continued) => {
                command.push_str(continued);
                command.push(' ');
            }
            None => {
                command.push_str(line);
                break;
            }
        }
    }
    let mut words = shell_words(&command)?;
    let stdin = match words.iter().position(|w| matches!(w, Word::HereDoc(_))) {
        Some(at) => {
            let Word::HereDoc(tag) = words.remove(at) else {
                unreachable!()
            };
            let mut text = Vec::new();
            loop {
                match rest.next() {
                    Some(l) if *l == tag => break,
                    Some(l) => text.push(l.as_str()),
                    None => return Err(format!("the here-document does not end with `{tag}`")),
                }
            }
            // A here-document ends with a newline.
            Some(text.join("\n") + "\n")
        }
        None => None,
    };
    if let Some(extra) = rest.find(|l| !l.trim().is_empty()) {
        return Err(format!(
            "`{extra}` after the command: a block holds one curl command"
        ));
    }
    let mut args = words.into_iter().map(|w| match w {
        Word::Arg(a) => Ok(a),
        Word::HereDoc(_) => Err("two here-documents".to_string()),
    });
    if args.next().transpose()?.as_deref() != Some("curl") {
        return Err("the command is not `curl`".into());
    }
    let (mut method, mut url, mut body) = (None, None, None);
    let mut headers = BTreeMap::new();
    while let Some(arg) = args.next().transpose()? {
        let mut value = |name: &str| -> Result<String, String> {
            args.next()
                .transpose()?
                .ok_or_else(|| format!("`{name}` without its value"))
        };
        match arg.as_str() {
            "-X" | "--request" => method = Some(value(&arg)?),
            "-H" | "--header" => {
                let header = value(&arg)?;
                let (name, v) = header
                    .split_once(':')
                    .ok_or_else(|| format!("`{header}` is not a header"))?;
                let name = name.trim().to_ascii_lowercase();
                if headers.insert(name.clone(), v.trim().to_string()).is_some() {
                    return Err(format!("the header `{name}` is given twice"));
                }
            }
            "-d" | "--data" | "--data-binary" | "--data-raw" => {
                if body.is_some() {
                    return Err("two bodies (curl would join them with `&`)".into());
                }
                let given = value(&arg)?;
                let file = given.strip_prefix('@').map(str::to_string);
                body = Some(match file.as_deref() {
                    Some(_) if arg == "--data-raw" => given,
                    Some("-") => {
                        let text = stdin
                            .clone()
                            .ok_or("`@-` reads standard input, and no here-document gives it")?;
                        if arg == "--data-binary" {
                            text
                        } else {
                            // curl -d @file leaves out carriage returns and newlines.
                            text.replace(['\r', '\n'], "")
                        }
                    }
                    Some(file) => {
                        return Err(format!(
                            "the body is read from `{file}`: give it in the block, with `@-` and a here-document"
                        ));
                    }
                    None => given,
                });
            }
            flags if flags.starts_with('-') && !flags.starts_with("--") => {
                // Short options that change only what curl prints:
                // -s silent, -S show errors, -i include the reply's head.
                if let Some(c) = flags[1..].chars().find(|c| !"sSi".contains(*c)) {
                    return Err(format!("the option `-{c}` is not one these examples use"));
                }
            }
            "--silent" | "--show-error" | "--include" => {}
            other if other.starts_with('-') => {
                return Err(format!(
                    "the option `{other}` is not one these examples use"
                ));
            }
            other => {
                if url.is_some() {
                    return Err(format!("a second URL `{other}`"));
                }
                url = Some(other.to_string());
            }
        }
    }
    let url = url.ok_or("no URL")?;
    let path = url
        .strip_prefix(CURL_BASE)
        .filter(|p| p.starts_with('/'))
        .ok_or_else(|| format!("the URL `{url}` is not on {CURL_BASE} (the default --listen)"))?
        .to_string();
    if body.is_some() && !headers.contains_key("content-type") {
        // curl's own Content-Type for -d.
        headers.insert(
            "content-type".into(),
            "application/x-www-form-urlencoded".into(),
        );
    }
    if stdin.is_some() && body.is_none() {
        return Err("a here-document that no `@-` reads".into());
    }
    let method = method.unwrap_or_else(|| if body.is_some() { "POST" } else { "GET" }.into());
    Ok(CurlRequest {
        method,
        path,
        headers,
        body,
    })
}

/// The differences between an ```http request and its curl command.
fn curl_differences(example: &Example, curl: &CurlRequest) -> Vec<String> {
    let mut out = Vec::new();
    if curl.method != example.method {
        out.push(format!(
            "method: the request is {}, curl sends {}",
            example.method, curl.method
        ));
    }
    if curl.path != example.path {
        out.push(format!(
            "path: the request is {}, curl calls {}",
            example.path, curl.path
        ));
    }
    let shown: BTreeMap<String, String> = example.request.headers.iter().cloned().collect();
    for (name, value) in &shown {
        match curl.headers.get(name) {
            Some(v) if v == value => {}
            Some(v) => out.push(format!(
                "header {name}: the request has `{value}`, curl sends `{v}`"
            )),
            None => out.push(format!("header {name}: in the request, not sent by curl")),
        }
    }
    for (name, value) in &curl.headers {
        if !shown.contains_key(name) {
            out.push(format!(
                "header {name}: curl sends `{value}`, the request has none"
            ));
        }
    }
    let written = &example.request.body;
    match (written.is_empty(), &curl.body) {
        (true, None) => {}
        (true, Some(b)) => out.push(format!("body: the request has none, curl sends {b}")),
        (false, None) => out.push("body: the request has one, curl sends none".into()),
        (false, Some(sent)) => match serde_json::from_str::<Value>(written) {
            Ok(json) => match serde_json::from_str::<Value>(sent) {
                Ok(v) if v == json => {}
                Ok(v) => {
                    let mut differences = Vec::new();
                    compare_values(&json, &v, "body", &mut differences);
                    out.extend(differences);
                }
                Err(e) => out.push(format!("body: the request's is JSON, curl's is not: {e}")),
            },
            // A body that is not JSON on purpose (the error examples) is
            // the same text.
            Err(_) if sent.trim() == written.trim() => {}
            Err(_) => out.push(format!(
                "body: the request has `{written}`, curl sends `{}`",
                sent.trim()
            )),
        },
    }
    out
}

/// Every difference between two JSON values, by path.
fn compare_values(written: &Value, sent: &Value, at: &str, out: &mut Vec<String>) {
    match (written, sent) {
        (Value::Object(w), Value::Object(s)) => {
            for key in w.keys().chain(s.keys().filter(|k| !w.contains_key(*k))) {
                match (w.get(key), s.get(key)) {
                    (Some(a), Some(b)) => compare_values(a, b, &format!("{at}.{key}"), out),
                    (Some(_), None) => {
                        out.push(format!("{at}.{key}: in the request, not in curl's body"))
                    }
                    (None, _) => {
                        out.push(format!("{at}.{key}: in curl's body, not in the request"))
                    }
                }
            }
        }
        (Value::Array(w), Value::Array(s)) if w.len() == s.len() => {
            for (i, (a, b)) in w.iter().zip(s).enumerate() {
                compare_values(a, b, &format!("{at}[{i}]"), out);
            }
        }
        _ if written != sent => out.push(format!(
            "{at}: the request has {written}, curl sends {sent}"
        )),
        _ => {}
    }
}

/// The curl command of a request, as the examples write it.
fn curl_command(example: &Example) -> String {
    let mut parts = vec!["curl -sS -i".to_string()];
    if example.method != "GET" {
        parts[0].push_str(&format!(" -X {}", example.method));
    }
    let url = format!("{CURL_BASE}{}", example.path);
    if url.contains(|c: char| !(c.is_ascii_alphanumeric() || "/:.-_".contains(c))) {
        parts[0].push_str(&format!(" '{url}'"));
    } else {
        parts[0].push_str(&format!(" {url}"));
    }
    for (name, value) in &example.request.headers {
        parts.push(format!("  -H '{name}: {value}'"));
    }
    let body = &example.request.body;
    let mut here = String::new();
    if body.contains('\n') || body.contains('\'') {
        parts.push("  --data-binary @- <<'EOF'".into());
        here = format!("\n{body}\nEOF");
    } else if !body.is_empty() {
        parts.push(format!("  --data-binary '{body}'"));
    }
    format!("```sh\n{}{here}\n```", parts.join(" \\\n"))
}

#[test]
fn every_request_in_api_md_has_its_curl_command() {
    let doc = read("docs/api.md");
    let mut failures = Vec::new();
    for example in examples(&doc) {
        let (method, path) = (&example.method, &example.path);
        let problems = match &example.curl {
            None => vec![format!(
                "no ```sh block with its curl command between the request and the response; for example:\n{}",
                curl_command(&example)
            )],
            Some((line, lines)) => match curl_request(lines) {
                Ok(curl) => curl_differences(&example, &curl)
                    .into_iter()
                    .map(|p| format!("the curl block at line {line}: {p}"))
                    .collect(),
                Err(e) => vec![format!("the curl block at line {line}: {e}")],
            },
        };
        if !problems.is_empty() {
            failures.push(format!(
                "docs/api.md line {}: {method} {path}\n  {}",
                example.line,
                problems.join("\n  ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} curl commands of docs/api.md are not their request:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn the_curl_reader_reads_what_a_shell_would() {
    let lines = |text: &str| text.lines().map(String::from).collect::<Vec<_>>();
    let curl = curl_request(&lines(
        "curl -sS -i -X POST 'http://127.0.0.1:8080/v1/check?x=1' \\\n  -H 'Authorization: Bearer t' \\\n  -H \"Content-Type: application/json\" \\\n  --data-binary @- <<'EOF'\n{\"a\": \"it's\"}\nEOF",
    ))
    .unwrap();
    assert_eq!(curl.method, "POST");
    assert_eq!(curl.path, "/v1/check?x=1");
    assert_eq!(curl.headers["authorization"], "Bearer t");
    assert_eq!(curl.headers["content-type"], "application/json");
    assert_eq!(curl.body.as_deref(), Some("{\"a\": \"it's\"}\n"));

    let curl = curl_request(&lines("curl http://127.0.0.1:8080/healthz")).unwrap();
    assert_eq!((curl.method.as_str(), curl.body), ("GET", None));
    let curl = curl_request(&lines("curl -d 'a b' http://127.0.0.1:8080/x")).unwrap();
    assert_eq!(curl.method, "POST");
    assert_eq!(
        curl.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(
        shell_words(r#"a\ b 'c d'"e\"f" g"#).unwrap(),
        vec![
            Word::Arg("a b".into()),
            Word::Arg("c de\"f".into()),
            Word::Arg("g".into())
        ]
    );
    for bad in [
        "curl http://127.0.0.1:8080/x -H \"Authorization: Bearer $(cat t)\"",
        "curl http://127.0.0.1:8080/x -d @claim.json",
        "curl http://127.0.0.1:8080/x --data-binary @- <<EOF\n{}\nEOF",
        "curl http://127.0.0.1:8080/x --data-binary @- <<'EOF'\n{}",
        "curl http://localhost:9090/x",
        "curl -k http://127.0.0.1:8080/x",
        "curl 'http://127.0.0.1:8080/x",
        "curl http://127.0.0.1:8080/x | jq .",
        "curl http://127.0.0.1:8080/x?a=1",
        "curl -d \"a!\" http://127.0.0.1:8080/x",
        "wget http://127.0.0.1:8080/x",
    ] {
        assert!(curl_request(&lines(bad)).is_err(), "read: {bad}");
    }
}

// ---------------------------------------------------------------------------
// (c) docs/openapi.json

/// A JSON Schema validator for the keywords docs/openapi.json uses.
struct Validator<'s> {
    spec: &'s Value,
}

/// Keywords that say nothing about validity.
const ANNOTATIONS: [&str; 6] = [
    "description",
    "title",
    "format",
    "examples",
    "example",
    "default",
];
const KEYWORDS: [&str; 12] = [
    "$ref",
    "type",
    "enum",
    "const",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minItems",
    "anyOf",
    "oneOf",
    "pattern",
];

impl<'s> Validator<'s> {
    fn new(spec: &'s Value) -> Validator<'s> {
        Validator { spec }
    }

    /// Follows `$ref`s to the object they name.
    fn resolve<'v>(&'v self, value: &'v Value) -> &'v Value {
        match value.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let pointer = r
                    .strip_prefix('#')
                    .unwrap_or_else(|| panic!("a remote $ref {r}"));
                let target = self
                    .spec
                    .pointer(pointer)
                    .unwrap_or_else(|| panic!("$ref {r} names nothing"));
                self.resolve(target)
            }
            None => value,
        }
    }

    fn check(&self, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
        let Some(map) = schema.as_object() else {
            if schema == &Value::Bool(false) {
                out.push(format!("{at}: no value is allowed here"));
            }
            return;
        };
        for key in map.keys() {
            assert!(
                KEYWORDS.contains(&key.as_str())
                    || ANNOTATIONS.contains(&key.as_str())
                    || key.starts_with("x-"),
                "docs/openapi.json uses `{key}`, which this test does not check"
            );
        }
        if map.contains_key("$ref") {
            self.check(self.resolve(schema), value, at, out);
        }
        if let Some(types) = map.get("type") {
            let types: Vec<&str> = match types {
                Value::String(t) => vec![t.as_str()],
                Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                _ => panic!("a bad type in docs/openapi.json"),
            };
            let fits = |t: &str| match t {
                "null" => value.is_null(),
                "boolean" => value.is_boolean(),
                "integer" => value.is_i64() || value.is_u64(),
                "number" => value.is_number(),
                "string" => value.is_string(),
                "array" => value.is_array(),
                "object" => value.is_object(),
                other => panic!("an unknown type {other}"),
            };
            if !types.iter().any(|t| fits(t)) {
                out.push(format!("{at}: {} is not of type {types:?}", kind(value)));
                return;
            }
        }
        if let Some(allowed) = map.get("enum").and_then(Value::as_array)
            && !allowed.contains(value)
        {
            out.push(format!("{at}: {value} is not one of {allowed:?}"));
        }
        if let Some(c) = map.get("const")
            && c != value
        {
            out.push(format!("{at}: {value} is not {c}"));
        }
        if let (Some(p), Some(s)) = (map.get("pattern").and_then(Value::as_str), value.as_str())
            && !Regex::new(p).unwrap().is_match(s)
        {
            out.push(format!("{at}: \"{s}\" does not match {p}"));
        }
        if let Some(object) = value.as_object() {
            for name in map
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !object.contains_key(name) {
                    out.push(format!("{at}.{name}: required, missing"));
                }
            }
            let properties = map.get("properties").and_then(Value::as_object);
            for (name, v) in object {
                match (
                    properties.and_then(|p| p.get(name)),
                    map.get("additionalProperties"),
                ) {
                    (Some(s), _) => self.check(s, v, &format!("{at}.{name}"), out),
                    (None, Some(Value::Bool(false))) => {
                        out.push(format!("{at}.{name}: not a property of the schema"))
                    }
                    (None, Some(s)) if s.is_object() => {
                        self.check(s, v, &format!("{at}.{name}"), out)
                    }
                    _ => {}
                }
            }
        }
        if let Some(items) = value.as_array() {
            if let Some(min) = map.get("minItems").and_then(Value::as_u64)
                && (items.len() as u64) < min
            {
                out.push(format!("{at}: fewer than {min} items"));
            }
            if let Some(s) = map.get("items") {
                for (i, item) in items.iter().enumerate() {
                    self.check(s, item, &format!("{at}[{i}]"), out);
                }
            }
        }
        for (key, exactly_one) in [("anyOf", false), ("oneOf", true)] {
            if let Some(options) = map.get(key).and_then(Value::as_array) {
                let fitting = options
                    .iter()
                    .filter(|s| {
                        let mut errors = Vec::new();
                        self.check(s, value, at, &mut errors);
                        errors.is_empty()
                    })
                    .count();
                if fitting == 0 || (exactly_one && fitting > 1) {
                    out.push(format!("{at}: fits {fitting} of the {key} schemas"));
                }
            }
        }
    }
}

/// The schema of a column's values, as docs/openapi.json must give it.
fn column_schema(ty: &ColumnType) -> (Vec<&'static str>, Option<Vec<String>>) {
    match ty {
        ColumnType::Text | ColumnType::Date | ColumnType::Timestamp => (vec!["string"], None),
        ColumnType::Enum(values) => (vec!["string"], Some(values.clone())),
        ColumnType::Int32 | ColumnType::Int64 => (vec!["integer"], None),
        ColumnType::Bool => (vec!["boolean"], None),
        ColumnType::Decimal { .. } => (vec!["string", "number"], None),
        ColumnType::Float64 => (vec!["number", "string"], None),
        ColumnType::List(_) => (vec!["array"], None),
    }
}

#[test]
fn the_claim_schemas_are_the_contract() {
    let spec = openapi();
    let checked = shipped();
    let ruleset = checked.ruleset.as_ref().expect("the shipped rules check");
    for (schema_name, table_name, implied) in [
        ("Claim", "claims", None),
        ("Line", "claim_items", Some("claim_id")),
    ] {
        let schema = &spec["components"]["schemas"][schema_name];
        let table = ruleset.schema.table(table_name).expect("a contract table");
        assert_eq!(
            schema["additionalProperties"], false,
            "{schema_name}: unknown fields are refused"
        );
        let properties = schema["properties"].as_object().expect("properties");
        let mut names: BTreeSet<&str> = properties.keys().map(String::as_str).collect();
        if schema_name == "Claim" {
            assert!(names.remove("lines"), "Claim has its lines");
        }
        let columns: BTreeSet<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, columns, "{schema_name} against `{table_name}`");
        let required: BTreeSet<&str> = schema["required"]
            .as_array()
            .expect("required")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let must: BTreeSet<&str> = table
            .columns
            .iter()
            .filter(|c| !c.nullable && Some(c.name.as_str()) != implied)
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(required, must, "{schema_name}: the required fields");
        for column in &table.columns {
            let property = &properties[&column.name];
            let (mut types, values) = column_schema(&column.ty);
            if column.nullable {
                types.push("null");
            }
            let written: Vec<&str> = match &property["type"] {
                Value::String(t) => vec![t.as_str()],
                Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                other => panic!("{schema_name}.{}: type {other}", column.name),
            };
            assert_eq!(
                written.iter().collect::<BTreeSet<_>>(),
                types.iter().collect::<BTreeSet<_>>(),
                "{schema_name}.{}: the JSON types",
                column.name
            );
            if let Some(values) = values {
                let mut allowed: Vec<String> = property["enum"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{schema_name}.{} lists its values", column.name))
                    .iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect();
                allowed.retain(|v| !v.is_empty());
                assert_eq!(allowed, values, "{schema_name}.{}: the values", column.name);
            }
            let description = property["description"].as_str().unwrap_or_default();
            match &column.ty {
                ColumnType::Decimal { precision, scale } => assert!(
                    description.contains(&format!("decimal({precision}, {scale})")),
                    "{schema_name}.{}: the description gives decimal({precision}, {scale})",
                    column.name
                ),
                ColumnType::Date => assert_eq!(property["format"], "date"),
                ColumnType::List(inner) => assert_eq!(
                    property["items"]["type"],
                    column_schema(inner).0[0],
                    "{schema_name}.{}: the items",
                    column.name
                ),
                _ => {}
            }
        }
    }
}

#[test]
fn every_error_code_the_service_answers_is_documented() {
    // Every code is made by `ApiError::new(status, "code", ...)`, the
    // helpers `not_found` and `internal` included.
    let mut codes = BTreeSet::new();
    let new = Regex::new(r#"ApiError::new\(\s*[\w:]+,\s*"([a-z_]+)""#).unwrap();
    for entry in std::fs::read_dir(Path::new(ROOT).join("src/serve")).unwrap() {
        let source = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for c in new.captures_iter(&source) {
            codes.insert(c[1].to_string());
        }
    }
    assert!(codes.len() >= 8, "found only {codes:?}");
    let spec = openapi();
    let documented: BTreeSet<String> =
        spec["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"]
            .as_array()
            .expect("Error.error.code lists the codes")
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect();
    assert_eq!(documented, codes, "the codes of docs/openapi.json");
    let doc = read("docs/api.md");
    for code in &codes {
        assert!(
            doc.lines()
                .any(|l| l.starts_with('|') && l.contains(&format!("`{code}`"))),
            "docs/api.md's table of errors has no `{code}`"
        );
    }
}

// ---------------------------------------------------------------------------
// (d) the national mapping

/// The rows of the first table after the heading that contains `heading`:
/// (contract column, national cell) from cells `contract` and `national`.
fn mapping_table(doc: &str, heading: &str) -> Vec<(String, String)> {
    let mut lines = doc
        .lines()
        .skip_while(|l| !(l.starts_with('#') && l.contains(heading)))
        .skip(1)
        .skip_while(|l| !l.starts_with('|'));
    let header: Vec<String> = lines
        .next()
        .unwrap_or_else(|| panic!("docs/api.md has no table under `{heading}`"))
        .split('|')
        .map(|c| c.trim().to_string())
        .collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|c| c.contains(name))
            .unwrap_or_else(|| panic!("the table under `{heading}` has no {name} column"))
    };
    let (national, contract) = (column("national"), column("contract"));
    let code = Regex::new(r"`([a-z_]+)`").unwrap();
    lines
        .skip(1)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let column = code
                .captures(cells[contract])
                .unwrap_or_else(|| panic!("no `column` in {l}"))[1]
                .to_string();
            (column, cells[national].to_string())
        })
        .collect()
}

#[test]
fn the_national_mapping_in_api_md_is_the_code() {
    let doc = read("docs/api.md");
    let checked = shipped();
    let ruleset = checked.ruleset.as_ref().expect("the shipped rules check");
    for (heading, table, fields) in [
        ("Encounter → claims", "claims", &HEADER_FIELDS[..]),
        ("Order → claim_items", "claim_items", &LINE_FIELDS[..]),
    ] {
        let rows = mapping_table(&doc, heading);
        let documented: BTreeSet<&str> = rows.iter().map(|(c, _)| c.as_str()).collect();
        let columns: BTreeSet<&str> = ruleset
            .schema
            .table(table)
            .expect("a contract table")
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(documented, columns, "the rows of the table `{heading}`");
        let mapped: BTreeSet<&str> = fields.iter().map(|(c, _)| *c).collect();
        assert_eq!(mapped, columns, "fsi.rs maps every column of `{table}`");
        for (column, national) in fields {
            let (_, cell) = rows.iter().find(|(c, _)| c == column).unwrap();
            assert!(
                cell.contains(&format!("`{national}`")),
                "docs/api.md `{heading}`: `{column}` comes from `{national}`, the table says {cell}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// (e) the enumerations the examples may not show

fn enumeration(spec: &Value, schema: &str, property: &str) -> BTreeSet<String> {
    spec["components"]["schemas"][schema]["properties"][property]["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("{schema}.{property} lists its values"))
        .iter()
        .filter_map(|v| v.as_str().map(String::from))
        .collect()
}

#[test]
fn the_enumerations_of_openapi_are_the_code() {
    use claimaudit::flags::Flag;
    use claimaudit::ir::{Action, Grain, Severity};
    use claimaudit::serve::check::decision;
    use claimaudit::serve::fsi::sev_deg;

    let spec = openapi();
    let set = |values: &[&str]| {
        values
            .iter()
            .map(|v| v.to_string())
            .collect::<BTreeSet<_>>()
    };
    let severities: Vec<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
    let actions: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
    assert_eq!(enumeration(&spec, "Flag", "severity"), set(&severities));
    assert_eq!(enumeration(&spec, "Flag", "action"), set(&actions));
    let grains = [Grain::Line, Grain::Claim, Grain::Provider];
    for g in grains {
        // A new kind of flag fails to compile here: add it to the list.
        match g {
            Grain::Line | Grain::Claim | Grain::Provider => {}
        }
    }
    let grains: Vec<&str> = grains.iter().map(|g| g.as_str()).collect();
    assert_eq!(enumeration(&spec, "Flag", "grain"), set(&grains));

    let flag = |action: &str| Flag {
        rule_id: "R".into(),
        rule_name: "R".into(),
        category: "c".into(),
        severity: "high".into(),
        action: action.into(),
        grain: Grain::Line,
        claim_id: None,
        line_no: None,
        patient_id: None,
        provider_id: None,
        message: String::new(),
        amount_at_stake: None,
        evidence: "{}".into(),
        ruleset: "".into(),
        ruleset_version: "".into(),
        ruleset_hash: "".into(),
        source: "".into(),
    };
    let mut decisions = set(&[decision(&[])]);
    for action in &actions {
        decisions.insert(decision(&[flag(action)]).to_string());
    }
    assert_eq!(enumeration(&spec, "CheckReply", "decision"), decisions);
    let degrees: Vec<&str> = severities.iter().map(|s| sev_deg(s)).collect();
    assert_eq!(enumeration(&spec, "FsiResult", "sev_deg"), set(&degrees));
}
