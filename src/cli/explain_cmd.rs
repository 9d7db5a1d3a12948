//! `claimaudit explain`: why did this claim fire, or not?

use std::path::PathBuf;

use super::output::Format;
use super::read_args::ReadArgs;
use crate::check::check_paths_or_shipped;
use crate::exec::{
    Compiled, ExecOptions, RowExplanation, RuleExplanation, Trace, claim_rows, explain_claim,
};
use crate::plan::Selection;

#[derive(clap::Args)]
#[command(
    about = "Say why rules fired on a claim, with the values and the other rows involved.",
    long_about = "Say which rules fired on a claim or its lines, first: for each flag its message, the\n\
    money at stake, the values that decided it, the other rows involved (the duplicate line, the\n\
    partner claim, the overlapping stay) and how its condition came out. With --all, or for rules\n\
    named with --rule, also which part of each other rule's condition was false or unknown, with\n\
    the values. The whole dataset is read, because group, window, pair and population rules judge\n\
    a claim with its neighbours.\n\n\
    The words are Chinese when the rules are named in Chinese (the shipped CHS rules), else\n\
    English; --lang zh or --lang en chooses.\n\n\
    Examples:\n  \
    claimaudit explain --data data/ --claim JS0001\n  \
    claimaudit explain --data data/ --claim JS0001 --rule DUP-01 --lang en\n  \
    claimaudit explain --data data/ --claim JS0001 --all --format json\n\n\
    Exit codes: 0 explained, 1 the ruleset has errors, 2 could not run (e.g. no such claim)."
)]
pub struct ExplainArgs {
    /// The dataset folder.
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// The claim to explain (claim_id).
    #[arg(long, value_name = "ID")]
    claim: String,
    /// Only this rule (by id); may be repeated.
    #[arg(long, value_name = "RULE_ID")]
    rule: Vec<String>,
    /// Rule files or folders; the shipped CHS ruleset when not given.
    #[arg(long, value_name = "PATH")]
    rules: Vec<PathBuf>,
    /// Also say why each rule that did not fire did not (by default only
    /// the rules that fired are shown, and those named with --rule).
    #[arg(long)]
    all: bool,
    /// The language of the explanation's words; the rules' names and
    /// messages are as written.
    #[arg(long, value_enum, default_value = "auto")]
    lang: Lang,
    /// Output for people (`human`) or programs (`json`).
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    #[command(flatten)]
    read: ReadArgs,
}

pub fn run(args: &ExplainArgs) -> Result<u8, String> {
    let checked = check_paths_or_shipped(&args.rules).map_err(|e| e.to_string())?;
    let Some(ruleset) = checked.ruleset.as_ref() else {
        super::check_cmd::print_diagnostics(&checked);
        return Ok(super::EXIT_FINDINGS);
    };
    for id in &args.rule {
        if ruleset.rule(id).is_none() {
            return Err(format!("the ruleset has no rule `{id}`"));
        }
    }
    let selection = Selection {
        only: args.rule.clone(),
        skip_batch_only: false,
    };
    let compiled = Compiled::new(ruleset, &selection, &checked.sources);
    let tables = compiled
        .read(&args.data, &args.read.options(), &|_, _| {})
        .map_err(|p| p.to_string())?;
    let options = ExecOptions::default();
    let env = compiled.env(tables, &options);
    if claim_rows(&env, &args.claim) == 0 {
        return Err(format!(
            "no claim `{}` in {}",
            args.claim,
            args.data.display()
        ));
    }
    let flags = compiled.run(&env, &options);
    let rules = compiled.rules();
    let explanations = explain_claim(&env, &rules, &args.claim, &flags, &checked.sources);
    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::json!({ "claim_id": args.claim, "rules": explanations })
        ),
        Format::Human => print_human(
            &args.claim,
            &explanations,
            args.lang.resolve(ruleset),
            args.all,
            &args.rule,
        ),
    }
    Ok(0)
}

/// The language of `explain`'s words (the rules' own names and messages
/// are as written).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// Chinese when the rules are named in Chinese (as the CHS rules are), else English.
    Auto,
    Zh,
    En,
}

impl Lang {
    fn resolve(self, ruleset: &crate::ir::Ruleset) -> Lang {
        let chinese = |t: &str| t.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        match self {
            Lang::Auto if ruleset.rules.iter().any(|r| chinese(&r.name)) => Lang::Zh,
            Lang::Auto => Lang::En,
            other => other,
        }
    }

    fn pick(self, zh: &'static str, en: &'static str) -> &'static str {
        if self == Lang::Zh { zh } else { en }
    }

    /// A row as the explanation names it: `line 3` is `明细 3` in Chinese.
    fn row(self, row: &str) -> String {
        if self != Lang::Zh {
            return row.to_owned();
        }
        row.replace("line ", "明细 ")
            .replace("claim ", "结算单 ")
            .replace("provider ", "机构 ")
            .replace(" with ", " 与 ")
    }

    fn truth(self, value: &str) -> String {
        match (self, value) {
            (Lang::Zh, "true") => "成立".into(),
            (Lang::Zh, "false") => "不成立".into(),
            (Lang::Zh, "unknown") => "未知 (有空值)".into(),
            _ => value.to_owned(),
        }
    }
}

fn print_human(
    claim: &str,
    explanations: &[RuleExplanation],
    lang: Lang,
    all: bool,
    asked: &[String],
) {
    let fired: Vec<&RuleExplanation> = explanations.iter().filter(|e| e.fired).collect();
    match lang {
        Lang::Zh => println!(
            "结算单 {claim}: {} 条规则中 {} 条触发",
            explanations.len(),
            fired.len()
        ),
        _ => println!(
            "claim {claim}: {} of {} rules fired",
            fired.len(),
            explanations.len()
        ),
    }
    for e in &fired {
        println!();
        print_fired(e, lang, all || asked.contains(&e.rule_id));
    }
    let quiet: Vec<&RuleExplanation> = explanations.iter().filter(|e| !e.fired).collect();
    let shown: Vec<&RuleExplanation> = quiet
        .iter()
        .copied()
        .filter(|e| all || asked.contains(&e.rule_id))
        .collect();
    for e in &shown {
        println!();
        print_not_fired(e, lang);
    }
    let hidden = quiet.len() - shown.len();
    if hidden > 0 {
        println!();
        match lang {
            Lang::Zh => println!("其余 {hidden} 条规则未触发; 加 --all 查看每条规则为何未触发。"),
            _ => println!("{hidden} other rules did not fire; --all shows why each did not."),
        }
    }
}

fn print_fired(e: &RuleExplanation, lang: Lang, all: bool) {
    println!(
        "{} {} — {}",
        e.rule_id,
        e.rule_name,
        lang.pick("触发", "FIRED")
    );
    for flag in &e.flags {
        let amount = flag
            .amount_at_stake
            .as_ref()
            .map(|a| match lang {
                Lang::Zh => format!(" · 涉及金额 {a} 元"),
                _ => format!(" · {a} at stake"),
            })
            .unwrap_or_default();
        println!("  {}{amount}", lang.row(&flag.row));
        println!("    {}: {}", lang.pick("说明", "flag"), flag.message);
        if !flag.values.is_empty() {
            println!("    {}:", lang.pick("判定取值", "deciding values"));
            for (label, value) in &flag.values {
                println!("      {label} = {}", plain(value));
            }
        }
        let listed = [
            (
                &flag.partners,
                flag.more_partners,
                lang.pick("关联记录", "other rows involved"),
            ),
            (
                &flag.knowledge,
                flag.more_knowledge,
                lang.pick("知识库依据", "knowledge rows matched"),
            ),
        ];
        for (rows, more, heading) in listed {
            if rows.is_empty() {
                continue;
            }
            println!("    {heading}:");
            for row in rows {
                println!("      {}", row_text(row));
            }
            if more > 0 {
                println!(
                    "      {}",
                    match lang {
                        Lang::Zh => format!("另有 {more} 条"),
                        _ => format!("and {more} more"),
                    }
                );
            }
        }
    }
    if let Some(note) = &e.note {
        println!("  ({note})");
    }
    let deciding: Vec<_> = e.rows.iter().filter(|r| r.fired).collect();
    if !deciding.is_empty() {
        println!("  {}:", lang.pick("判定过程", "how it was decided"));
    }
    print_rows(deciding.into_iter(), 2, lang);
    if all {
        print_rows(e.rows.iter().filter(|r| !r.fired), 1, lang);
    }
}

fn print_not_fired(e: &RuleExplanation, lang: Lang) {
    println!(
        "{} {} — {}",
        e.rule_id,
        e.rule_name,
        lang.pick("未触发", "did not fire")
    );
    if let Some(note) = &e.note {
        println!("  ({note})");
    }
    print_rows(e.rows.iter(), 1, lang);
}

/// Each row's verdict and the trace of its `where` or `flag when`.
fn print_rows<'a>(rows: impl Iterator<Item = &'a RowExplanation>, depth: usize, lang: Lang) {
    let indent = "  ".repeat(depth);
    for row in rows {
        match (&row.not_selected, &row.condition) {
            (Some(t), _) => {
                match lang {
                    Lang::Zh => println!(
                        "{indent}{}: 不在规则范围内, `where` {}",
                        lang.row(&row.row),
                        lang.truth(&t.value)
                    ),
                    _ => println!(
                        "{indent}{}: not looked at, because `where` is {}",
                        row.row, t.value
                    ),
                }
                print_trace(t, depth + 1, lang);
            }
            (None, Some(t)) => {
                println!(
                    "{indent}{}: `flag when` {} {}",
                    lang.row(&row.row),
                    lang.pick("为", "is"),
                    lang.truth(&t.value)
                );
                print_trace(t, depth + 1, lang);
            }
            _ => {}
        }
    }
}
/// A JSON value as a person reads it: text without quotes.
fn plain(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A partner row as `claim_id=K06, patient_id=Q03`.
fn row_text(row: &serde_json::Value) -> String {
    match row.as_object() {
        Some(columns) => columns
            .iter()
            .map(|(k, v)| format!("{k}={}", plain(v)))
            .collect::<Vec<_>>()
            .join(", "),
        None => plain(row),
    }
}

fn print_trace(t: &Trace, depth: usize, lang: Lang) {
    let indent = "  ".repeat(depth);
    println!("{indent}{} → {}", t.text, lang.truth(&t.value));
    for part in &t.parts {
        print_trace(part, depth + 1, lang);
    }
}
