//! `claimaudit report`: the page and the workbook, from a real scan's
//! flags, and the page in a real headless browser.
//!
//! The browser test needs Chromium (`chromium`, `chromium-browser` or
//! `google-chrome` on the PATH, or the path in `CLAIMAUDIT_BROWSER`). Without
//! one it is skipped with a message, unless `CLAIMAUDIT_REQUIRE_BROWSER=1`
//! (as CI sets, having installed Chromium), when its absence fails.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use calamine::{Data, Reader, Xlsx, open_workbook};
use claimaudit::flags::{Flag, for_each_flag};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_claimaudit"))
}

fn ok(output: Output) -> Output {
    assert!(
        output.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A generated dataset with flags of every rule, scanned once for all tests.
struct Scanned {
    _dir: tempfile::TempDir,
    data: PathBuf,
    flags: PathBuf,
    root: PathBuf,
}

fn scanned() -> &'static Scanned {
    static SCANNED: OnceLock<Scanned> = OnceLock::new();
    SCANNED.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let flags = dir.path().join("flags.parquet");
        ok(bin()
            .args(["gen", "--patients", "300", "--out"])
            .arg(&data)
            .output()
            .unwrap());
        ok(bin()
            .args(["scan", "--data"])
            .arg(&data)
            .arg("--out")
            .arg(&flags)
            .output()
            .unwrap());
        Scanned {
            root: dir.path().to_path_buf(),
            _dir: dir,
            data,
            flags,
        }
    })
}

fn read_flags(path: &Path) -> Vec<Flag> {
    let mut all = Vec::new();
    for_each_flag(path, &mut |f| {
        all.push(f);
        Ok(())
    })
    .unwrap();
    all
}

fn report(out: &Path, flags: &Path, extra: &[&str]) -> Output {
    let s = scanned();
    bin()
        .args(["report", "--data"])
        .arg(&s.data)
        .arg("--flags")
        .arg(flags)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

/// The `data-value` of the element with `id` in a page.
fn value_of(page: &str, id: &str) -> u64 {
    let marker = format!("id=\"{id}\" data-value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id} in the page"))
        + marker.len();
    let end = start + page[start..].find('"').unwrap();
    page[start..end].parse().unwrap()
}

#[test]
fn the_page_counts_every_flag_by_rule() {
    let s = scanned();
    let flags = read_flags(&s.flags);
    assert!(flags.len() > 50, "the dataset plants cases of every rule");
    let out = s.root.join("counts.html");
    let output = ok(report(&out, &s.flags, &[]));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains(&format!("{} flags", flags.len())) || flags.len() >= 1000);
    let page = std::fs::read_to_string(&out).unwrap();
    assert_eq!(value_of(&page, "total-flags"), flags.len() as u64);
    assert_eq!(value_of(&page, "listed-count"), flags.len() as u64);
    let claims: std::collections::BTreeSet<_> =
        flags.iter().filter_map(|f| f.claim_id.clone()).collect();
    assert_eq!(value_of(&page, "total-claims"), claims.len() as u64);
    let mut by_rule: BTreeMap<String, u64> = BTreeMap::new();
    for f in &flags {
        *by_rule.entry(f.rule_id.to_string()).or_default() += 1;
    }
    for (rule, n) in &by_rule {
        assert!(
            page.contains(&format!("data-rule=\"{rule}\" data-flags=\"{n}\"")),
            "{rule}: {n} flags"
        );
    }
    // Self-contained: nothing is fetched from anywhere.
    for fetch in ["src=\"http", "href=\"http", "@import", "url(http"] {
        assert!(!page.contains(fetch), "the page loads {fetch}");
    }
}

#[test]
fn the_list_keeps_the_most_money_when_flags_are_too_many() {
    let s = scanned();
    let flags = read_flags(&s.flags);
    let out = s.root.join("capped.html");
    let output = ok(report(&out, &s.flags, &["--max-listed", "5"]));
    let page = std::fs::read_to_string(&out).unwrap();
    assert_eq!(value_of(&page, "total-flags"), flags.len() as u64);
    assert_eq!(value_of(&page, "listed-count"), 5);
    assert!(String::from_utf8_lossy(&output.stderr).contains("列出涉及金额最高的 5 条"));
    let mut amounts: Vec<_> = flags.iter().filter_map(|f| f.amount_at_stake).collect();
    amounts.sort();
    let fifth = amounts[amounts.len() - 5];
    let listed = page.matches(&format!("\"{fifth}\"")).count();
    assert!(listed >= 1, "the fifth largest amount {fifth} is listed");
}

#[test]
fn the_workbook_has_a_summary_and_every_flag_with_amounts_as_numbers() {
    let s = scanned();
    let flags = read_flags(&s.flags);
    let out = s.root.join("report.xlsx");
    ok(report(&out, &s.flags, &[]));
    let mut book: Xlsx<_> = open_workbook(&out).unwrap();
    let names = book.sheet_names();
    assert_eq!(names, ["汇总", "标记-明细", "标记-结算单", "标记-机构"]);
    let mut rows = 0usize;
    let mut total = rust_decimal::Decimal::ZERO;
    for name in &names[1..] {
        let range = book.worksheet_range(name).unwrap();
        let header: Vec<String> = range
            .rows()
            .next()
            .unwrap()
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(header[0], "规则编号");
        assert_eq!(header[12], "涉及金额(元)");
        for row in range.rows().skip(1) {
            rows += 1;
            match &row[12] {
                Data::Float(a) => total += rust_decimal::Decimal::try_from(*a).unwrap().round_dp(2),
                Data::Empty => assert_eq!(*name, "标记-机构", "only provider flags have no amount"),
                other => panic!("amount is {other:?}, not a number"),
            }
        }
    }
    assert_eq!(rows, flags.len());
    let expected: rust_decimal::Decimal = flags.iter().filter_map(|f| f.amount_at_stake).sum();
    assert_eq!(total, expected);
    let summary = book.worksheet_range("汇总").unwrap();
    let flags_row = summary
        .rows()
        .find(|r| r[0] == Data::String("标记 (条)".into()))
        .expect("the summary counts flags");
    assert_eq!(flags_row[1], Data::Float(flags.len() as f64));
}

#[test]
fn flags_as_json_lines_give_the_same_page() {
    let s = scanned();
    let jsonl = s.root.join("flags.jsonl");
    ok(bin()
        .args(["scan", "--format", "jsonl", "--data"])
        .arg(&s.data)
        .arg("--out")
        .arg(&jsonl)
        .output()
        .unwrap());
    let (a, b) = (
        s.root.join("from_parquet.html"),
        s.root.join("from_jsonl.html"),
    );
    ok(report(&a, &s.flags, &[]));
    ok(report(&b, &jsonl, &[]));
    let strip = |p: &Path| {
        std::fs::read_to_string(p)
            .unwrap()
            .replace(&s.flags.display().to_string(), "FLAGS")
            .replace(&jsonl.display().to_string(), "FLAGS")
    };
    assert_eq!(strip(&a), strip(&b));
}

#[test]
fn bad_requests_are_refused_with_the_reason() {
    let s = scanned();
    let cases: [(PathBuf, PathBuf, &str); 3] = [
        (s.root.join("r.pdf"), s.flags.clone(), "must end in .html"),
        (
            s.root.join("r.html"),
            s.root.join("none.parquet"),
            "none.parquet",
        ),
        (
            s.root.join("missing/r.html"),
            s.flags.clone(),
            "does not exist",
        ),
    ];
    for (out, flags, says) in cases {
        let output = report(&out, &flags, &[]);
        assert_eq!(output.status.code(), Some(2), "{says}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "{says}: {stderr}");
        assert!(!out.exists());
    }
    let not_flags = s.root.join("not_flags.jsonl");
    std::fs::write(&not_flags, "{\"hello\": 1}\n").unwrap();
    let output = report(&s.root.join("r.html"), &not_flags, &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("line 1: not a flag"));
}

// ---- In a real browser ----

fn browser() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("CLAIMAUDIT_BROWSER") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// Runs headless Chromium on `url` with `args`; returns stdout and the
/// console messages it logged.
fn chromium(browser: &Path, url: &str, args: &[&str], profile: &Path) -> (String, Vec<String>) {
    let output = Command::new(browser)
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1280,1000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .output()
        .expect("chromium runs");
    assert!(output.status.success(), "chromium failed: {output:?}");
    let console = String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_owned)
        .collect();
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        console,
    )
}

#[test]
fn the_page_works_in_a_headless_browser() {
    let Some(browser) = browser() else {
        assert!(
            std::env::var("CLAIMAUDIT_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "CLAIMAUDIT_REQUIRE_BROWSER=1 but no chromium on the PATH"
        );
        eprintln!("skipped: no chromium on the PATH (set CLAIMAUDIT_BROWSER to its path)");
        return;
    };
    let s = scanned();
    let flags = read_flags(&s.flags);
    let page = s.root.join("browser.html");
    ok(report(&page, &s.flags, &[]));
    let profile = tempfile::tempdir().unwrap();
    let url = |hash: &str| format!("file://{}{hash}", page.display());

    // Loads with no console message, and its script ran: every flag listed.
    let (dom, console) = chromium(&browser, &url(""), &["--dump-dom"], profile.path());
    assert!(console.is_empty(), "console: {console:#?}");
    assert!(
        dom.contains("data-ready=\"yes\""),
        "the page's script did not finish"
    );
    assert_eq!(value_of(&dom, "shown-count"), flags.len() as u64);
    assert_eq!(value_of(&dom, "total-flags"), flags.len() as u64);
    // Rows drawn (the script's own text also holds `data-seq="`).
    let drawn = dom
        .match_indices("data-seq=\"")
        .filter(|(at, m)| dom[at + m.len()..].starts_with(|c: char| c.is_ascii_digit()))
        .count();
    assert_eq!(drawn, flags.len().min(100));

    // A filter narrows the list to the rule's flags.
    let dup = flags.iter().filter(|f| &*f.rule_id == "DUP-01").count() as u64;
    assert!(dup > 0 && dup < flags.len() as u64);
    let (dom, console) = chromium(
        &browser,
        &url("#rule=DUP-01"),
        &["--dump-dom"],
        profile.path(),
    );
    assert!(console.is_empty(), "console: {console:#?}");
    assert_eq!(value_of(&dom, "shown-count"), dup);

    // Search narrows to one claim's flags.
    let claim = flags.iter().find_map(|f| f.claim_id.clone()).unwrap();
    let of_claim = flags
        .iter()
        .filter(|f| f.claim_id.as_deref() == Some(&claim) || f.message.contains(&claim))
        .count() as u64;
    let (dom, _) = chromium(
        &browser,
        &url(&format!("#q={claim}")),
        &["--dump-dom"],
        profile.path(),
    );
    assert!(value_of(&dom, "shown-count") >= of_claim);
    assert!(value_of(&dom, "shown-count") < flags.len() as u64);

    // A flag opens its explanation: the rule, its values, its partners.
    let (dom, console) = chromium(&browser, &url("#flag=1"), &["--dump-dom"], profile.path());
    assert!(console.is_empty(), "console: {console:#?}");
    assert!(
        dom.contains("<dialog id=\"explain\" open"),
        "the explanation is open"
    );
    let first = &flags[0];
    assert!(dom.contains(&format!("{} {}", first.rule_id, first.rule_name)));
    assert!(dom.contains("判定取值") && dom.contains("触发条件"));

    // Screenshots of the first screen and of an explanation.
    for (name, hash) in [
        ("report-first-screen.png", ""),
        ("report-explanation.png", "#flag=1"),
    ] {
        let shot = s.root.join(name);
        chromium(
            &browser,
            &url(hash),
            &[&format!("--screenshot={}", shot.display())],
            profile.path(),
        );
        let png = std::fs::read(&shot).expect("a screenshot is written");
        assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "{name}");
        if let Ok(dir) = std::env::var("CLAIMAUDIT_SCREENSHOTS") {
            std::fs::copy(&shot, Path::new(&dir).join(name)).unwrap();
        }
    }
}

#[test]
fn the_scan_writes_a_run_summary_beside_its_flags() {
    let s = scanned();
    let flags = read_flags(&s.flags);
    let path = s.root.join("flags.parquet.summary.json");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(summary["flags"], flags.len());
    assert_eq!(summary["ruleset"]["hash"], *flags[0].ruleset_hash);
    assert_eq!(
        summary["rules"].as_object().unwrap().len(),
        22,
        "every rule run is listed"
    );
    let mut per_rule: BTreeMap<String, (u64, rust_decimal::Decimal)> = BTreeMap::new();
    for f in &flags {
        let entry = per_rule.entry(f.rule_id.to_string()).or_default();
        entry.0 += 1;
        entry.1 += f.amount_at_stake.unwrap_or_default();
    }
    for (rule, (n, amount)) in &per_rule {
        assert_eq!(summary["rules"][rule]["flags"], *n, "{rule}");
        let written: rust_decimal::Decimal = summary["rules"][rule]["amount_at_stake"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(written, *amount, "{rule}");
    }
    let total: rust_decimal::Decimal = per_rule.values().map(|(_, a)| *a).sum();
    let written: rust_decimal::Decimal = summary["amount_at_stake_of_flags"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(written, total);
    assert!(summary["rows_read"]["claim_items"].as_u64().unwrap() > 0);
    assert!(summary["seconds"]["total"].as_f64().unwrap() > 0.0);
}
