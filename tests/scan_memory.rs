//! `claimaudit scan --memory-limit`: a scan that spills rows and flags to
//! disk gives the same bytes as one that holds everything; the temp folder
//! is refused before reading when it is unwritable, and left empty after
//! success, failure and Ctrl-C; a key too large for the limit is named.

use std::path::{Path, PathBuf};
use std::process::Command;

fn claimaudit(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_claimaudit"))
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn generated(dir: &Path, patients: &str, order: &str) -> PathBuf {
    let data = dir.join(format!("data-{patients}-{order}"));
    let (code, _, err) = claimaudit(&[
        "gen",
        "--out",
        data.to_str().unwrap(),
        "--patients",
        patients,
        "--seed",
        "3",
        "--profile",
        "dense",
        "--order",
        order,
    ]);
    assert_eq!(code, 0, "{err}");
    data
}

/// Scans `data` with `extra` arguments; the flags as JSON Lines text.
fn scan(data: &Path, out: &Path, extra: &[&str]) -> (String, String) {
    let mut args = vec![
        "scan",
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--format",
        "jsonl",
    ];
    args.extend_from_slice(extra);
    let (code, stdout, err) = claimaudit(&args);
    assert_eq!(code, 0, "{err}");
    (std::fs::read_to_string(out).unwrap(), stdout)
}

fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn a_small_memory_limit_spills_and_gives_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let data = generated(dir.path(), "800", "shuffled");
    let temp = dir.path().join("spill");
    std::fs::create_dir(&temp).unwrap();
    let (whole, _) = scan(&data, &dir.path().join("a.jsonl"), &[]);
    assert!(
        whole.lines().count() > 1000,
        "a dense dataset flags many lines"
    );
    // A population rule, whose statistics are merged from every partition.
    assert!(whole.contains(r#""rule_id":"UPC-01""#), "UPC-01 fires");
    for limit in ["1MiB", "3MiB", "64MiB"] {
        let (limited, stdout) = scan(
            &data,
            &dir.path().join("b.jsonl"),
            &[
                "--memory-limit",
                limit,
                "--temp-dir",
                temp.to_str().unwrap(),
            ],
        );
        assert!(whole == limited, "--memory-limit {limit} changed the flags");
        if limit == "1MiB" {
            assert!(stdout.contains("spilled to disk"), "{stdout}");
        }
        assert_eq!(
            entries(&temp),
            Vec::<String>::new(),
            "spill files left behind"
        );
    }
}

#[test]
fn flags_pushed_as_made_give_the_same_parquet_bytes() {
    // Under 1 MiB a rule's flags go to the sorted runs in pieces, from
    // both threads in whatever order they finish: the file is the same
    // bytes as the one written holding every partition's flags whole.
    let dir = tempfile::tempdir().unwrap();
    let data = generated(dir.path(), "800", "time");
    let parquet = |name: &str, extra: &[&str]| {
        let out = dir.path().join(name);
        let mut args = vec!["scan", "--data", data.to_str().unwrap()];
        args.extend(["--out", out.to_str().unwrap(), "--threads", "2"]);
        args.extend_from_slice(extra);
        let (code, _, err) = claimaudit(&args);
        assert_eq!(code, 0, "{err}");
        std::fs::read(out).unwrap()
    };
    let whole = parquet("whole.parquet", &[]);
    let limited = parquet("limited.parquet", &["--memory-limit", "1MiB"]);
    assert!(whole == limited, "pieces changed the flags file");
}

#[test]
fn the_fixtures_give_the_same_flags_under_any_memory_limit() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&fixtures).unwrap() {
        let data = entry.unwrap().path();
        if !data.join("expected_flags.csv").exists() {
            continue;
        }
        let rules = data.join("rules.rules");
        let mut extra: Vec<&str> = Vec::new();
        if rules.exists() {
            extra.extend(["--rules", rules.to_str().unwrap()]);
        }
        let out = dir.path().join("flags.jsonl");
        let (whole, _) = scan(&data, &out, &extra);
        extra.extend(["--memory-limit", "1MiB"]);
        let (limited, _) = scan(&data, &out, &extra);
        assert!(whole == limited, "{} differs under 1MiB", data.display());
    }
}

#[test]
fn an_unwritable_temp_dir_is_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("flags.jsonl");
    let (code, _, err) = claimaudit(&[
        "scan",
        "--data",
        dir.path().join("no-such-dataset").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--temp-dir",
        "/proc/claimaudit-cannot-write-here",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot write spill files in /proc/"), "{err}");
    assert!(err.contains("--temp-dir"), "{err}");
    assert!(!out.exists());
}

#[test]
fn spill_files_are_removed_when_the_scan_fails() {
    let dir = tempfile::tempdir().unwrap();
    let data = generated(dir.path(), "800", "patient");
    // The last part of the lines is damaged: the claims are routed (and
    // spilled) before the scan stops.
    let mut parts: Vec<PathBuf> = std::fs::read_dir(data.join("claim_items"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    parts.sort();
    std::fs::write(parts.last().unwrap(), b"PAR1 not really parquet").unwrap();
    let temp = dir.path().join("spill");
    std::fs::create_dir(&temp).unwrap();
    let out = dir.path().join("flags.jsonl");
    let (code, _, err) = claimaudit(&[
        "scan",
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--memory-limit",
        "256KiB",
        "--temp-dir",
        temp.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(!out.exists());
    assert_eq!(
        entries(&temp),
        Vec::<String>::new(),
        "spill files left behind"
    );
}

#[test]
fn ctrl_c_removes_the_spill_files() {
    let dir = tempfile::tempdir().unwrap();
    let data = generated(dir.path(), "6000", "shuffled");
    let temp = dir.path().join("spill");
    std::fs::create_dir(&temp).unwrap();
    let out = dir.path().join("flags.parquet");
    let mut child = Command::new(env!("CARGO_BIN_EXE_claimaudit"))
        .args([
            "scan",
            "--data",
            data.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--memory-limit",
            "1MiB",
            "--threads",
            "1",
            "--temp-dir",
            temp.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the scan has written spill files.
    let started = std::time::Instant::now();
    let spilled = loop {
        let files = std::fs::read_dir(&temp)
            .unwrap()
            .filter_map(|e| std::fs::read_dir(e.unwrap().path()).ok())
            .map(|d| d.count())
            .sum::<usize>();
        if files > 0 || started.elapsed().as_secs() > 60 {
            break files > 0;
        }
        if child.try_wait().unwrap().is_some() {
            break false;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    };
    assert!(spilled, "the scan ended before it spilled anything");
    // SAFETY: sending a signal to our own child process.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert_eq!(
        entries(&temp),
        Vec::<String>::new(),
        "spill files left behind"
    );
    assert!(!out.exists());
}
