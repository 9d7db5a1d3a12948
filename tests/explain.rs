//! `claimaudit explain`: why a rule fired on a claim, or why not.

#[path = "support/run.rs"]
mod run;

fn explain(args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["explain"];
    all.extend_from_slice(args);
    run::claimaudit(&all)
}

#[test]
fn a_fired_rule_shows_the_values_that_made_it_fire() {
    let (code, out, err) = explain(&[
        "--data",
        "fixtures/claim_rules",
        "--claim",
        "K07",
        "--rule",
        "STAY-01",
        "--lang",
        "en",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(
            "STAY-01 住院期间门诊/购药 (outpatient care during an inpatient stay) — FIRED"
        ),
        "{out}"
    );
    assert!(
        out.contains("claim K07 with claim K06: `flag when` is true"),
        "{out}"
    );
    assert!(out.contains("stay.admit_date → 2024-02-01"), "{out}");
}

#[test]
fn a_rule_that_did_not_fire_shows_the_false_part_and_its_values() {
    let (code, out, err) = explain(&[
        "--data",
        "fixtures/line_rules",
        "--claim",
        "C01",
        "--rule",
        "PRICE-CAP",
        "--lang",
        "en",
    ]);
    assert_eq!(code, 0, "{err}");
    // Line 6 is priced exactly at its cap: the comparison is false, with both values.
    let line6 = out.split("  line 6:").nth(1).unwrap_or_default();
    assert!(
        line6.contains("line.unit_price > line.entry.price_cap → false"),
        "{out}"
    );
    assert!(line6.contains("line.unit_price → 300.0000"), "{out}");
    assert!(line6.contains("line.entry.price_cap → 300.0000"), "{out}");
}

#[test]
fn rows_a_rule_does_not_look_at_are_named_with_the_reason() {
    let (_, out, _) = explain(&[
        "--data",
        "fixtures/line_rules",
        "--claim",
        "C01",
        "--rule",
        "DUP-01",
        "--lang",
        "en",
    ]);
    assert!(
        out.contains("line 1: not looked at, because `where` is false"),
        "{out}"
    );
    assert!(out.contains("line.item_type → drug"), "{out}");
}

#[test]
fn group_rules_are_judged_with_their_group() {
    let (_, out, _) = explain(&[
        "--data",
        "fixtures/line_rules",
        "--claim",
        "C08",
        "--rule",
        "DUP-01",
        "--lang",
        "en",
    ]);
    assert!(
        out.contains("DUP-01 重复收费 (duplicate billing) — FIRED"),
        "{out}"
    );
    assert!(out.contains("count() → 2"), "{out}");
}

#[test]
fn json_output_for_programs() {
    let (code, out, _) = explain(&[
        "--data",
        "fixtures/claim_rules",
        "--claim",
        "K02",
        "--format",
        "json",
        "--rule",
        "GHOST-01",
    ]);
    assert_eq!(code, 0);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["rules"][0]["rule_id"], "GHOST-01");
    assert_eq!(report["rules"][0]["fired"], true);
    assert_eq!(
        report["rules"][0]["messages"][0],
        "患者已于 2024-05-10 死亡, 2024-05-11 仍有结算"
    );
}

#[test]
fn an_unknown_claim_is_an_error() {
    let (code, _, err) = explain(&["--data", "fixtures/claim_rules", "--claim", "NOPE"]);
    assert_eq!(code, 2);
    assert!(err.contains("no claim `NOPE`"), "{err}");
}

#[test]
fn fired_rules_come_first_in_chinese_with_their_partner_rows() {
    let (code, out, err) = explain(&["--data", "fixtures/claim_rules", "--claim", "K07"]);
    assert_eq!(code, 0, "{err}");
    let mut lines = out.lines();
    assert!(
        lines.next().unwrap().ends_with("条规则中 1 条触发"),
        "{out}"
    );
    assert_eq!(lines.next(), Some(""));
    // The rule that fired is the first thing after the count.
    assert_eq!(
        lines.next(),
        Some("STAY-01 住院期间门诊/购药 (outpatient care during an inpatient stay) — 触发")
    );
    assert!(out.contains("结算单 K07 · 涉及金额 14.00 元"), "{out}");
    assert!(
        out.contains("关联记录:\n      claim_id=K06, patient_id=Q03, provider_id=H3"),
        "{out}"
    );
    assert!(out.contains("stay.admit_date = 2024-02-01"), "{out}");
    assert!(
        out.contains("结算单 K07 与 结算单 K06: `flag when` 为 成立"),
        "{out}"
    );
    // The rules that did not fire are counted, not shown.
    assert!(
        out.trim_end()
            .ends_with("加 --all 查看每条规则为何未触发。"),
        "{out}"
    );
    assert!(!out.contains("未触发\n"), "{out}");
    assert!(out.lines().count() < 40, "{out}");
}

#[test]
fn a_duplicate_names_the_other_line_in_english_on_request() {
    let (code, out, err) = explain(&[
        "--data",
        "fixtures/line_rules",
        "--claim",
        "C08",
        "--lang",
        "en",
    ]);
    assert_eq!(code, 0, "{err}");
    let dup = out
        .split("DUP-01 重复收费 (duplicate billing) — FIRED")
        .nth(1)
        .unwrap_or_else(|| panic!("{out}"));
    assert!(dup.contains("other rows involved:"), "{out}");
    assert!(dup.contains("line_no="), "{out}");
    assert!(
        out.contains("other rules did not fire; --all shows why each did not."),
        "{out}"
    );
}

#[test]
fn all_shows_why_the_other_rules_did_not_fire() {
    let (_, short, _) = explain(&["--data", "fixtures/claim_rules", "--claim", "K07"]);
    let (code, all, _) = explain(&["--data", "fixtures/claim_rules", "--claim", "K07", "--all"]);
    assert_eq!(code, 0);
    assert!(
        all.contains("GHOST-01 死亡后就医 (service after death) — 未触发"),
        "{all}"
    );
    assert!(all.find("— 触发").unwrap() < all.find("— 未触发").unwrap());
    assert!(all.lines().count() > short.lines().count());
    assert!(!all.contains("--all"), "{all}");
}

#[test]
fn a_cut_list_of_other_rows_says_how_many_more() {
    // 25 more copies of a service the patient had twice that day: each
    // line's evidence lists 20 of the 26 others, and says 6 more took part.
    let data = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir("fixtures/line_rules").unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, data.path().join(path.file_name().unwrap())).unwrap();
    }
    let items = data.path().join("claim_items.csv");
    let mut text = std::fs::read_to_string(&items).unwrap();
    for line in 101..126 {
        text.push_str(&format!(
            "C08,{line},110200001,service,2024-04-10,1,25.0000,25.00,,DR001\n"
        ));
    }
    std::fs::write(&items, text).unwrap();
    let dir = data.path().to_str().unwrap();
    let (code, out, err) = explain(&["--data", dir, "--claim", "C08", "--lang", "en"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("count() = 27"), "{out}");
    assert!(out.contains("and 6 more"), "{out}");
    let (code, out, err) = explain(&["--data", dir, "--claim", "C08", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("\"more_partners\": 6") || out.contains("\"more_partners\":6"),
        "{out}"
    );
}

#[test]
fn a_group_flagged_once_on_another_claim_says_so() {
    // A02's line is in a month over its stock, flagged once on A01: A02's
    // condition holds, and explain says why it is not flagged.
    let (code, out, err) = explain(&[
        "--rules",
        "rulesets/examples/inventory",
        "--data",
        "fixtures/examples/inventory",
        "--claim",
        "A02",
        "--all",
        "--lang",
        "en",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(
            "`flag once` flags each group on its first row in key order, which is not this claim's"
        ),
        "{out}"
    );
    let (code, out, err) = explain(&[
        "--rules",
        "rulesets/examples/inventory",
        "--data",
        "fixtures/examples/inventory",
        "--claim",
        "A01",
        "--lang",
        "en",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("STOCK-01"), "{out}");
    assert!(!out.contains("`flag once` flags each group"), "{out}");
}

#[test]
fn a_provider_flag_is_explained_on_the_claim_that_fired_it() {
    // HOUR-01 flags the provider once: the flag is named by no claim, but
    // lists the claim that fired it (C01). C02, of the same busy hour, is
    // one of its other rows: a group is flagged once, on its first row.
    let run = |claim: &str| {
        let (code, out, err) = explain(&[
            "--rules",
            "rulesets/examples/signals",
            "--data",
            "fixtures/examples/signals",
            "--claim",
            claim,
            "--rule",
            "HOUR-01",
        ]);
        assert_eq!(code, 0, "{err}");
        out
    };
    let fired = run("C01");
    assert!(
        fired.contains("HOUR-01 implausibly many claims submitted in one hour — FIRED"),
        "{fired}"
    );
    assert!(fired.contains("provider D1 · 250.00 at stake"), "{fired}");
    let member = run("C02");
    assert!(!member.contains("FIRED"), "{member}");
    assert!(
        member.contains("`flag once` flags each group on its first row"),
        "{member}"
    );
}
