//! Every rules file that ever broke claimaudit, kept in tests/corpus/rules/.
//! Each file's first line says what `check` must now give: `# expect: ok`
//! (no error) or `# expect: E0005` (that error first); the second line says
//! what it broke. Each is checked in process and by the real binary, which
//! must exit 0 or 1, never crash.

use std::path::Path;
use std::process::Command;

use claimaudit::check::check_bytes;

fn corpus() -> Vec<(String, Vec<u8>, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/rules");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rules"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "the corpus is in {}", dir.display());
    files
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap();
            let first = bytes.split(|b| *b == b'\n').next().unwrap();
            let first = String::from_utf8_lossy(first)
                .trim_start_matches('\u{FEFF}')
                .to_string();
            let expect = first
                .strip_prefix("# expect: ")
                .unwrap_or_else(|| panic!("{} lacks `# expect:`", path.display()))
                .trim()
                .to_string();
            (path.display().to_string(), bytes, expect)
        })
        .collect()
}

#[test]
fn each_file_gives_what_it_expects() {
    for (path, bytes, expect) in corpus() {
        let checked = check_bytes(Path::new(&path), bytes);
        let first_error = checked
            .diagnostics
            .iter()
            .find(|d| d.is_error())
            .map(|d| d.code);
        match expect.as_str() {
            "ok" => assert_eq!(first_error, None, "{path}"),
            code => assert_eq!(first_error, Some(code), "{path}"),
        }
    }
}

#[test]
fn the_binary_never_crashes_on_them() {
    for (path, _, expect) in corpus() {
        for command in ["check", "plan", "test", "fmt"] {
            let mut args = vec![command];
            if command == "fmt" {
                args.push("--check");
            }
            args.push(&path);
            let output = Command::new(env!("CARGO_BIN_EXE_claimaudit"))
                .args(&args)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                matches!(output.status.code(), Some(0..=2)),
                "{command} {path}: {:?}\n{stderr}",
                output.status
            );
            assert!(!stderr.contains("panicked"), "{command} {path}: {stderr}");
            if command == "check" && expect != "ok" {
                assert!(stderr.contains(&format!("[{expect}]")), "{path}: {stderr}");
            }
        }
    }
}
