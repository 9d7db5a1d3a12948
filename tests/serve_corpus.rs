//! The regression corpus of bad input (tests/corpus/): every body a
//! hostile-client audit found accepted, kept as a file with the status and
//! the field its error must name (`cases.txt` beside the bodies). Claims go
//! to both /v1/check and /v1/claims, 3101 requests to /fsi/3101; `valid.json`
//! in each folder is the body the bad ones were made from, and is accepted.

mod serve_support;

use std::path::{Path, PathBuf};

use serve_support::{TOKEN, call, fixture, get, service, settings};

/// (file, status, field) of each line of `cases.txt`.
fn cases(folder: &Path) -> Vec<(String, u16, String)> {
    let text = std::fs::read_to_string(folder.join("cases.txt")).unwrap();
    let cases: Vec<(String, u16, String)> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut parts = l.split('\t');
            let file = parts.next().unwrap().to_string();
            let status = parts.next().unwrap().parse().unwrap();
            let field = parts.next().unwrap().to_string();
            (file, status, field)
        })
        .collect();
    // Every body is listed (a file added without its expectation is caught).
    for entry in std::fs::read_dir(folder).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".json") && name != "valid.json" {
            assert!(
                cases.iter().any(|(f, _, _)| *f == name),
                "{name} is not in cases.txt"
            );
        }
    }
    cases
}

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(name)
}

#[tokio::test]
async fn every_bad_claim_of_the_corpus_is_refused_naming_its_field() {
    let store = tempfile::tempdir().unwrap();
    let data = fixture("claim_rules");
    let (app, state) = service(&data, store.path(), settings(&data));
    let folder = corpus("claims");
    let cases = cases(&folder);
    assert!(cases.len() >= 20);
    for (file, status, field) in &cases {
        let body = std::fs::read(folder.join(file)).unwrap();
        for path in ["/v1/check", "/v1/claims"] {
            let (got, reply) = call(&app, "POST", path, Some(&body), Some(TOKEN)).await;
            assert_eq!(got.as_u16(), *status, "{file} to {path}: {reply}");
            assert_eq!(reply["error"]["field"], field.as_str(), "{file} to {path}");
            let message = reply["error"]["message"].as_str().unwrap();
            assert!(message.starts_with(&format!("{field}: ")), "{message}");
        }
    }
    assert_eq!(state.store.len().unwrap(), 0, "a bad claim was recorded");
    let valid = std::fs::read(folder.join("valid.json")).unwrap();
    let (got, reply) = call(&app, "POST", "/v1/check", Some(&valid), Some(TOKEN)).await;
    assert_eq!(got, 200, "{reply}");
    let (got, reply) = call(&app, "POST", "/v1/claims", Some(&valid), Some(TOKEN)).await;
    assert_eq!(got, 201, "{reply}");
    assert_eq!(get(&app, "/v1/claims/Z-1").await.0, 200);
}

#[tokio::test]
async fn every_bad_3101_request_of_the_corpus_is_refused_naming_its_field() {
    let store = tempfile::tempdir().unwrap();
    let data = fixture("claim_rules");
    let (app, _) = service(&data, store.path(), settings(&data));
    let folder = corpus("fsi");
    let cases = cases(&folder);
    assert!(cases.len() >= 15);
    for (file, status, field) in &cases {
        let body = std::fs::read(folder.join(file)).unwrap();
        let (got, reply) = call(&app, "POST", "/fsi/3101", Some(&body), Some(TOKEN)).await;
        assert_eq!(got.as_u16(), *status, "{file}: {reply}");
        assert_eq!(reply["infcode"], -1, "{file}");
        assert_eq!(reply["error"]["field"], field.as_str(), "{file}: {reply}");
    }
    let valid = std::fs::read(folder.join("valid.json")).unwrap();
    let (got, reply) = call(&app, "POST", "/fsi/3101", Some(&valid), Some(TOKEN)).await;
    assert_eq!(got, 200, "{reply}");
    assert_eq!(reply["infcode"], 0, "{reply}");
}
