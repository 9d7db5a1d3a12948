//! Differential against DuckDB: the shipped CHS rules, run by the real
//! `claimaudit scan`, must flag exactly the rows that the DuckDB SQL reading of
//! docs/default-rules.md (`benches/scan_vs_duckdb/rules.sql`) flags, rule by rule,
//! on small generated datasets (`claimaudit gen`, two seeds, one of them with
//! a knowledge base of exclusive items forty times the default, and one dense
//! and shuffled) and on the hand-made corner cases of
//! `benches/scan_vs_duckdb/edge_cases.py` (where both must also match the
//! hand-written expected flags).
//!
//! DuckDB runs from Python. The test installs it itself: a venv made with
//! `python3 -m venv` (or `$CLAIMAUDIT_PYTHON -m venv`) in `target/duckdb-venv`,
//! with `pip install duckdb==DUCKDB_VERSION`; later runs reuse it. Without
//! python3, venv or pip, or without access to PyPI on the first run, the test
//! FAILS and says why; set `CLAIMAUDIT_SKIP_DUCKDB=1` to skip it instead.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The DuckDB release the SQL is written for; run.sh pins the same one.
const DUCKDB_VERSION: &str = "2.0.0";
/// About 118k claim lines per dataset; every one of the 22 rules fires.
const PATIENTS: u32 = 6000;
const SEEDS: [u64; 2] = [1, 2];
/// Rule ids of docs/default-rules.md.
const RULES: [&str; 22] = [
    "OOC-01",
    "OOC-02",
    "LIM-GENDER",
    "LIM-AGE",
    "LIM-DX",
    "LIM-LEVEL",
    "PRICE-CAP",
    "DUP-01",
    "FREQ-01",
    "QTY-01",
    "QTY-02",
    "MUTEX-01",
    "GHOST-01",
    "GHOST-02",
    "GHOST-03",
    "WAIT-01",
    "STAY-01",
    "STAY-02",
    "SPLIT-01",
    "CAP-01",
    "CONTRACT-01",
    "UPC-01",
];

fn bench_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/scan_vs_duckdb")
}

/// The cargo target folder: the binary is `<target>/<profile>/claimaudit`.
fn target_dir() -> PathBuf {
    let bin = Path::new(env!("CARGO_BIN_EXE_claimaudit"));
    bin.parent()
        .and_then(Path::parent)
        .expect("the claimaudit binary lies in <target>/<profile>/")
        .to_path_buf()
}

fn show(output: &Output) -> String {
    format!(
        "status: {}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn run(cmd: &mut Command) -> Result<Output, String> {
    cmd.output()
        .map_err(|e| format!("could not run {cmd:?}: {e}"))
}

/// A Python with duckdb==DUCKDB_VERSION, installed in `target/duckdb-venv` on
/// first use. Err says what is missing.
fn duckdb_python() -> Result<PathBuf, String> {
    let venv = target_dir().join("duckdb-venv");
    let python = venv.join("bin").join("python");
    let stamp = venv.join("duckdb-version");
    if fs::read_to_string(&stamp).is_ok_and(|v| v.trim() == DUCKDB_VERSION) && python.exists() {
        return Ok(python);
    }

    // Build the venv aside and move it into place whole, so that an
    // interrupted install or a concurrent test run never leaves a half venv.
    let base = std::env::var("CLAIMAUDIT_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let building = target_dir().join(format!("duckdb-venv.building-{}", std::process::id()));
    let _ = fs::remove_dir_all(&building);
    let out = run(Command::new(&base).arg("-m").arg("venv").arg(&building)).map_err(|e| {
        format!("{e}\n(is {base} installed? set CLAIMAUDIT_PYTHON to another Python 3)")
    })?;
    if !out.status.success() {
        let _ = fs::remove_dir_all(&building);
        return Err(format!(
            "`{base} -m venv` failed (install the venv module, e.g. python3-venv):\n{}",
            show(&out)
        ));
    }
    let out = run(Command::new(building.join("bin").join("python")).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        &format!("duckdb=={DUCKDB_VERSION}"),
    ]))?;
    if !out.status.success() {
        let _ = fs::remove_dir_all(&building);
        return Err(format!(
            "pip could not install duckdb=={DUCKDB_VERSION} (no access to PyPI?):\n{}",
            show(&out)
        ));
    }
    fs::write(building.join("duckdb-version"), DUCKDB_VERSION).map_err(|e| e.to_string())?;
    if fs::read_to_string(&stamp).is_ok_and(|v| v.trim() == DUCKDB_VERSION) {
        // A concurrent run finished first: keep its venv, it may be in use.
        let _ = fs::remove_dir_all(&building);
        return Ok(python);
    }
    let _ = fs::remove_dir_all(&venv);
    if let Err(e) = fs::rename(&building, &venv) {
        // Another run may have put its venv in place first: use that one.
        let _ = fs::remove_dir_all(&building);
        if !fs::read_to_string(&stamp).is_ok_and(|v| v.trim() == DUCKDB_VERSION) {
            return Err(format!(
                "could not move the venv into {}: {e}",
                venv.display()
            ));
        }
    }
    Ok(python)
}

/// Per rule, the number of flags on each side, from compare.py --counts-out.
fn read_counts(path: &Path) -> BTreeMap<String, (u64, u64)> {
    let text = fs::read_to_string(path).expect("compare.py wrote its counts");
    text.lines()
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            assert_eq!(f.len(), 3, "counts line {line:?}");
            (
                f[0].to_string(),
                (f[1].parse().unwrap(), f[2].parse().unwrap()),
            )
        })
        .collect()
}

/// Copies the flags in argv[1] (Parquet) to argv[2] (CSV) without one STAY-02 row.
const DROP_ONE_STAY_02: &str = r#"
import duckdb, sys
src, dst = (p.replace("'", "''") for p in sys.argv[1:3])
duckdb.connect().execute(f"""
    COPY (SELECT * FROM read_parquet('{src}')
          WHERE NOT (rule_id = 'STAY-02' AND claim_id =
                     (SELECT min(claim_id) FROM read_parquet('{src}') WHERE rule_id = 'STAY-02')))
    TO '{dst}' (FORMAT CSV, HEADER)""")
"#;

/// Copies DuckDB's flags with one cent more at stake on the first DUP-01 flag.
const ONE_CENT_MORE_ON_DUP_01: &str = r#"
import duckdb, sys
src, dst = (p.replace("'", "''") for p in sys.argv[1:3])
duckdb.connect().execute(f"""
    COPY (SELECT * REPLACE (
              CASE WHEN rule_id = 'DUP-01' AND claim_id || '/' || line_no =
                   (SELECT min(claim_id || '/' || line_no) FROM read_parquet('{src}') WHERE rule_id = 'DUP-01')
              THEN amount_at_stake + 0.01 ELSE amount_at_stake END AS amount_at_stake)
          FROM read_parquet('{src}'))
    TO '{dst}' (FORMAT CSV, HEADER)""")
"#;

/// The differential on a dataset of `claimaudit gen --seed seed` with
/// `options` (`--patients` among them).
fn differential(python: &Path, seed: u64, options: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let ours = tmp.path().join("claimaudit.jsonl");
    let theirs = tmp.path().join("duckdb.parquet");
    let counts = tmp.path().join("counts.tsv");
    let bin = env!("CARGO_BIN_EXE_claimaudit");

    let out = run(Command::new(bin)
        .arg("gen")
        .arg("--out")
        .arg(&data)
        .args(["--seed", &seed.to_string()])
        .args(options))
    .unwrap();
    assert!(
        out.status.success(),
        "claimaudit gen failed:\n{}",
        show(&out)
    );

    let out = run(Command::new(bin)
        .arg("scan")
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(&ours)
        .args(["--format", "jsonl", "--threads", "2"]))
    .unwrap();
    assert!(
        out.status.success(),
        "claimaudit scan failed:\n{}",
        show(&out)
    );

    let out = run(Command::new(python)
        .arg(bench_dir().join("duckdb_rules.py"))
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(&theirs)
        .args(["--threads", "2"]))
    .unwrap();
    assert!(
        out.status.success(),
        "duckdb_rules.py failed:\n{}",
        show(&out)
    );

    let out = run(Command::new(python)
        .arg(bench_dir().join("compare.py"))
        .arg("--claimaudit")
        .arg(&ours)
        .arg("--duckdb")
        .arg(&theirs)
        .arg("--counts-out")
        .arg(&counts))
    .unwrap();
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    println!("seed {seed} {options:?}:\n{report}");
    assert!(
        out.status.success(),
        "seed {seed}: claimaudit and DuckDB disagree (compare.py):\n{}",
        show(&out)
    );

    let counts = read_counts(&counts);
    let ids: Vec<&str> = counts.keys().map(String::as_str).collect();
    let mut expected_ids = RULES.to_vec();
    expected_ids.sort();
    assert_eq!(ids, expected_ids, "compare.py reports the 22 rules");
    for (rule, (ca, db)) in &counts {
        assert_eq!(
            ca, db,
            "seed {seed}: {rule}: claimaudit {ca} flags, DuckDB {db}"
        );
        assert!(
            *ca > 0,
            "seed {seed}: {rule} never fires: the differential says nothing about it"
        );
    }

    // The comparison itself must see a difference: drop one DuckDB row.
    let doctored = tmp.path().join("doctored.csv");
    doctor(python, DROP_ONE_STAY_02, &theirs, &doctored);
    let out = run(Command::new(python)
        .arg(bench_dir().join("compare.py"))
        .arg("--claimaudit")
        .arg(&ours)
        .arg("--duckdb")
        .arg(&doctored))
    .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "compare.py must fail on a missing row:\n{}",
        show(&out)
    );
    assert!(
        report.contains("1 flagged only by claimaudit") && report.contains("STAY-02"),
        "compare.py names the missing row:\n{report}"
    );

    // And a flag on the same row with another amount at stake.
    let doctored = tmp.path().join("another_amount.csv");
    doctor(python, ONE_CENT_MORE_ON_DUP_01, &theirs, &doctored);
    let report = compare(python, &ours, &doctored, "claimaudit,duckdb")
        .expect_err("compare.py must fail on another amount at stake");
    assert!(
        report.contains("DUP-01") && report.contains("1 flagged only by claimaudit"),
        "compare.py names the row whose amount differs:\n{report}"
    );
}

/// Writes `flags` changed by the Python `script` to `out`.
fn doctor(python: &Path, script: &str, flags: &Path, out: &Path) {
    let done = run(Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(flags)
        .arg(out))
    .unwrap();
    assert!(
        done.status.success(),
        "could not write the doctored flags:\n{}",
        show(&done)
    );
}

/// Runs compare.py on two flag files; Err holds its report when they differ.
fn compare(python: &Path, left: &Path, right: &Path, names: &str) -> Result<String, String> {
    let out = run(Command::new(python)
        .arg(bench_dir().join("compare.py"))
        .arg("--claimaudit")
        .arg(left)
        .arg("--duckdb")
        .arg(right)
        .args(["--names", names]))
    .unwrap();
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(report)
    } else {
        Err(show(&out))
    }
}

/// The hand-made corner cases of edge_cases.py: claimaudit, DuckDB and the
/// hand reading in expected_flags.csv must all agree.
fn edge_cases(python: &Path) {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("edge");
    let ours = tmp.path().join("claimaudit.parquet");
    let theirs = tmp.path().join("duckdb.parquet");
    let expected = data.join("expected_flags.csv");
    let bin = env!("CARGO_BIN_EXE_claimaudit");

    let out = run(Command::new(python)
        .arg(bench_dir().join("edge_cases.py"))
        .arg("--out")
        .arg(&data))
    .unwrap();
    assert!(
        out.status.success(),
        "edge_cases.py failed:\n{}",
        show(&out)
    );
    let out = run(Command::new(bin)
        .arg("scan")
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(&ours)
        .args(["--format", "parquet", "--threads", "2"]))
    .unwrap();
    assert!(
        out.status.success(),
        "claimaudit scan failed:\n{}",
        show(&out)
    );
    let out = run(Command::new(python)
        .arg(bench_dir().join("duckdb_rules.py"))
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(&theirs))
    .unwrap();
    assert!(
        out.status.success(),
        "duckdb_rules.py failed:\n{}",
        show(&out)
    );

    let mut failures = Vec::new();
    for (left, right, names) in [
        (&ours, &theirs, "claimaudit,duckdb"),
        (&expected, &theirs, "expected,duckdb"),
        (&expected, &ours, "expected,claimaudit"),
    ] {
        match compare(python, left, right, names) {
            Ok(report) => println!("edge cases, {names}:\n{report}"),
            Err(report) => failures.push(format!("edge cases, {names}:\n{report}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn shipped_rules_flag_what_duckdb_flags() {
    if std::env::var("CLAIMAUDIT_SKIP_DUCKDB").is_ok_and(|v| v == "1") {
        println!("duckdb_differential: SKIPPED (CLAIMAUDIT_SKIP_DUCKDB=1)");
        eprintln!("duckdb_differential: SKIPPED (CLAIMAUDIT_SKIP_DUCKDB=1)");
        return;
    }
    let python = duckdb_python().unwrap_or_else(|why| {
        panic!(
            "the DuckDB differential needs Python 3 with DuckDB {DUCKDB_VERSION} and could not \
             set it up:\n{why}\n\nSet CLAIMAUDIT_SKIP_DUCKDB=1 to skip this test where there is \
             no Python or no access to PyPI."
        )
    });
    edge_cases(&python);
    let patients = PATIENTS.to_string();
    differential(&python, SEEDS[0], &["--patients", &patients]);
    // MUTEX-01 over a knowledge base whose pairs name most billed items.
    let large = ["--patients", &patients, "--exclusive-items", "200000"];
    differential(&python, SEEDS[1], &large);
    // A fifth of lines flagged, in no order: the benchmark's dense profile.
    let dense = [
        "--patients",
        "600",
        "--profile",
        "dense",
        "--order",
        "shuffled",
    ];
    differential(&python, 3, &dense);
}
