//! A ruleset that checks can always run. For every way an expression can
//! nest (runs of `not`, brackets, `and` chains, arithmetic chains, unary
//! minus, chains of `let`s, message placeholders) the deepest rule `check`
//! accepts runs through `plan`, `test`, `fmt`, `scan`, `explain` and the
//! service's check, in this debug build with its larger stack frames; one
//! level deeper is refused with E0005, never a crash, however deep.

mod serve_support;

use std::path::Path;
use std::process::Command;

use claimaudit::check::check_text;
use serde_json::json;
use serve_support::{TOKEN, call, fixture, service, settings};

const BIN: &str = env!("CARGO_BIN_EXE_claimaudit");

/// One way of nesting: `rule(id, k)` nests about `k` levels.
type Nesting = (&'static str, fn(&str, usize) -> String);

fn rule(id: &str, lets: &str, condition: &str, message: &str) -> String {
    format!(
        "rule {id} \"deep\" {{\n  category deep\n  severity low\n  action warn\n  for line in claim_items\n{lets}  flag when {condition}\n  message \"{message}\"\n}}\n"
    )
}

fn nestings() -> Vec<Nesting> {
    vec![
        ("NOTS", |id, k| {
            rule(
                id,
                "",
                &format!("{}line.quantity > 1", "not ".repeat(k)),
                "m",
            )
        }),
        ("BRACKETS", |id, k| {
            let sum = format!("{}line.quantity{}", "(1 + ".repeat(k), ")".repeat(k));
            rule(id, "", &format!("{sum} > 1"), "m")
        }),
        ("AND-CHAIN", |id, k| {
            rule(id, "", &vec!["line.quantity > 1"; k].join(" and "), "m")
        }),
        ("SUM-CHAIN", |id, k| {
            rule(
                id,
                "",
                &format!("line.quantity{} > 1", " + 1".repeat(k)),
                "m",
            )
        }),
        ("MINUS", |id, k| {
            rule(id, "", &format!("line.quantity > {}1", "- ".repeat(k)), "m")
        }),
        ("LETS", |id, k| {
            let mut lets = "  let v0 = line.quantity\n".to_string();
            for i in 1..k {
                lets.push_str(&format!("  let v{i} = v{} + 1\n", i - 1));
            }
            rule(id, &lets, &format!("v{} > 1", k - 1), "{v0}")
        }),
        ("MESSAGE", |id, k| {
            rule(
                id,
                "",
                "line.quantity > 1",
                &format!("{{{}line.quantity > 1}}", "not ".repeat(k)),
            )
        }),
    ]
}

fn header() -> String {
    let chs = Path::new(env!("CARGO_MANIFEST_DIR")).join("rulesets/chs");
    ["ruleset.rules", "schema.rules", "parameters.rules"]
        .iter()
        .map(|f| std::fs::read_to_string(chs.join(f)).unwrap())
        .collect()
}

fn codes(text: &str) -> Vec<&'static str> {
    check_text(Path::new("deep.rules"), text)
        .diagnostics
        .into_iter()
        .filter(|d| d.is_error())
        .map(|d| d.code)
        .collect()
}

/// The largest `k` the checker accepts, found by bisection.
fn deepest_accepted(header: &str, make: fn(&str, usize) -> String) -> usize {
    let accepted = |k: usize| codes(&format!("{header}{}", make("R", k))).is_empty();
    let (mut low, mut high) = (1, 1024);
    assert!(accepted(low), "{}", make("R", low));
    assert!(!accepted(high));
    while high - low > 1 {
        let mid = (low + high) / 2;
        if accepted(mid) { low = mid } else { high = mid }
    }
    low
}

#[test]
fn one_level_past_the_limit_is_e0005_whatever_the_depth() {
    let header = header();
    for (name, make) in nestings() {
        let k = deepest_accepted(&header, make);
        // Each `let` of the chain nests two levels (`+` and the name).
        let levels = if name == "LETS" { 2 * k } else { k };
        assert!(levels >= 190, "{name}: only {levels} levels accepted");
        for deeper in [k + 1, k + 50, 20_000] {
            let found = codes(&format!("{header}{}", make("R", deeper)));
            assert_eq!(found, ["E0005"], "{name} at {deeper}");
        }
    }
}

#[test]
fn the_deepest_accepted_rules_run_everywhere() {
    let header = header();
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    let mut text = header.clone();
    for (name, make) in nestings() {
        let k = deepest_accepted(&header, make);
        text.push_str(&make(&format!("DEEP-{name}"), k));
    }
    std::fs::write(rules.join("deep.rules"), &text).unwrap();

    let run = |args: &[&str]| {
        let output = Command::new(BIN).args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "{args:?} ended with {:?}: {stderr}",
            output.status
        );
        output
    };
    let rules_arg = rules.to_str().unwrap();
    let data = fixture("line_rules");
    let data_arg = data.to_str().unwrap();
    assert!(run(&["check", rules_arg]).status.success());
    assert!(run(&["plan", rules_arg]).status.success());
    run(&["test", rules_arg]);
    run(&["fmt", "--check", rules_arg]);
    let out = dir.path().join("flags.jsonl");
    let scan = run(&[
        "scan",
        "--data",
        data_arg,
        "--rules",
        rules_arg,
        "--format",
        "jsonl",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(scan.status.success() || scan.status.code() == Some(1));
    let flags = std::fs::read_to_string(&out).unwrap();
    for (name, _) in nestings() {
        assert!(
            flags.contains(&format!("\"DEEP-{name}\"")),
            "DEEP-{name} never fired"
        );
    }
    run(&[
        "explain", "--data", data_arg, "--rules", rules_arg, "--claim", "C01",
    ]);

    // The service checks a claim with the same rules (the check runs on a
    // blocking thread of the runtime, with the default stack).
    let store = tempfile::tempdir().unwrap();
    let mut settings = settings(&fixture("claim_rules"));
    settings.rules = vec![rules.clone()];
    let (app, _state) = service(&fixture("claim_rules"), store.path(), settings);
    let claim = json!({
        "claim_id": "D1", "patient_id": "P01", "provider_id": "H3",
        "visit_type": "outpatient", "admit_date": "2024-06-01",
        "discharge_date": "2024-06-01", "primary_dx": "J06.900",
        "total_amount": "40.00", "fund_amount": "28.00",
        "settle_time": "2024-06-01 10:00:00", "treat_region": "330100",
        "lines": [{"line_no": 1, "item_code": "110200001", "item_type": "service",
                   "service_date": "2024-06-01", "quantity": "2", "unit_price": "20.0000",
                   "amount": "40.00", "doctor_id": "DR001"}]
    });
    let body = serde_json::to_vec(&claim).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (status, reply) =
        runtime.block_on(call(&app, "POST", "/v1/check", Some(&body), Some(TOKEN)));
    assert_eq!(status, 200, "{reply}");
    let fired: Vec<&str> = reply["flags"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["rule_id"].as_str())
        .collect();
    assert!(fired.contains(&"DEEP-NOTS"), "{fired:?}");
}
