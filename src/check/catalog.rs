//! The catalog of a ruleset's rules for supervisors (docs/rules.md),
//! generated from the ruleset so it never drifts from it.

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::ir::{Form, ParamValue, Rule, Ruleset, TExpr, TExprKind, Value, WindowRange};
use crate::syntax::{Sources, Span};

fn source(sources: &Sources, span: Span) -> String {
    let text = &sources.get(span.file).text;
    let raw = text.get(span.start..span.end).unwrap_or("?");
    // Continuation lines keep their indentation relative to the first.
    let mut lines = raw.lines();
    let first = lines.next().unwrap_or_default().to_string();
    let rest: Vec<&str> = lines.collect();
    let indent = rest
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    std::iter::once(first)
        .chain(
            rest.iter()
                .map(|l| format!("  {}", l.get(indent..).unwrap_or(l.trim_start()))),
        )
        .collect::<Vec<_>>()
        .join("\n")
}

fn value_text(value: &Value) -> String {
    match value {
        Value::Text(t) => format!("\"{t}\""),
        Value::Int(i) => i.to_string(),
        Value::Decimal(d) => d.to_string(),
        Value::Date(d) => {
            crate::ir::text::days_to_date(*d).map_or(d.to_string(), |d| format!("date(\"{d}\")"))
        }
        other => format!("{other:?}"),
    }
}

fn params_used(rule: &Rule) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for e in rule.exprs() {
        e.walk(&mut |x: &TExpr| match &x.kind {
            TExprKind::Param(name) | TExprKind::MapParam { param: name, .. } => {
                names.insert(name.clone());
            }
            _ => {}
        });
    }
    names
}

fn form_text(rule: &Rule, sources: &Sources) -> String {
    let keys = |keys: &[TExpr]| {
        keys.iter()
            .map(|k| source(sources, k.span))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match &rule.form {
        Form::Row => "each row on its own".to_string(),
        Form::Group { keys: k } => format!("rows grouped by `{}`", keys(k)),
        Form::Window {
            keys: k,
            range: WindowRange::Last { over, days },
        } => format!(
            "for each row, the rows of the same `{}` whose `{}` lies in the last `{}`",
            keys(k),
            source(sources, over.span),
            source(sources, days.span)
        ),
        Form::Window {
            keys: k,
            range: WindowRange::LastMonths { over, months },
        } => format!(
            "for each row, the rows of the same `{}` whose `{}` lies in the last `{}` calendar months",
            keys(k),
            source(sources, over.span),
            source(sources, months.span)
        ),
        Form::Window {
            keys: k,
            range: WindowRange::LastRows { order, rows },
        } => format!(
            "for each row, it and the `{}` rows before it of the same `{}` in order of `{}`",
            source(sources, rows.span),
            keys(k),
            keys(order)
        ),
        Form::Window {
            keys: k,
            range: WindowRange::Running { order },
        } => {
            format!(
                "for each row, the rows of the same `{}` up to it in order of `{}`",
                keys(k),
                keys(order)
            )
        }
        Form::Sequence { keys: k, order } => {
            format!(
                "the rows of each `{}` in order of `{}`, each with the one before (`prev`)",
                keys(k),
                keys(order)
            )
        }
        Form::Pair {
            var, table, known, ..
        } => {
            let mut text =
                format!("each row paired with `{var}`, rows of `{table}` with equal keys");
            if let Some(k) = known {
                let columns: Vec<&str> = k.keys.iter().map(|(c, _)| c.as_str()).collect();
                text.push_str(&format!(
                    ", the pair found in `{}` (`{}`) by `{}`",
                    k.table,
                    k.var,
                    columns.join("`, `")
                ));
                if k.either_order {
                    text.push_str(" in either order");
                }
                if let Some(date) = &k.as_of {
                    text.push_str(&format!(
                        ", in force as of `{}`",
                        source(sources, date.span)
                    ));
                }
            }
            text
        }
        Form::Population {
            var, entity_table, ..
        } => {
            format!("statistics per `{var}` (a row of `{entity_table}`), compared with its peers")
        }
    }
}

/// docs/rules.md for `ruleset`.
pub fn rules_catalog(ruleset: &Ruleset, sources: &Sources) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# The rules of \"{}\" (version {})",
        ruleset.name, ruleset.version
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Generated by `claimaudit doc` from the ruleset; do not edit by hand (a test keeps it up to date).\n\
         Each rule below is quoted from its source; `claimaudit explain` shows how it judged a claim."
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "| id | name | category | severity | action | flags a | tests |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    for rule in &ruleset.rules {
        let _ = writeln!(
            out,
            "| [{}](#{}) | {} | {} | {} | {} | {} | {} |",
            rule.id,
            rule.id.to_lowercase(),
            rule.name,
            rule.category,
            rule.severity.as_str(),
            rule.action.as_str(),
            rule.grain.as_str(),
            rule.tests.len()
        );
    }
    for rule in &ruleset.rules {
        let _ = writeln!(out);
        let _ = writeln!(out, "## {}", rule.id);
        let _ = writeln!(out);
        let _ = writeln!(out, "**{}**", rule.name);
        let _ = writeln!(out);
        let mut facts = vec![
            format!("category `{}`", rule.category),
            format!("severity `{}`", rule.severity.as_str()),
            format!("action `{}`", rule.action.as_str()),
            format!("flags a {}", rule.grain.as_str()),
        ];
        if rule.batch_only {
            facts.push("batch scans only".into());
        }
        let _ = writeln!(out, "{}.", facts.join(", "));
        let _ = writeln!(out);
        if let Some(basis) = &rule.basis {
            let _ = writeln!(out, "- Basis: {basis}");
        }
        if let Some(code) = &rule.national_code {
            let _ = writeln!(out, "- National rule code: `{code}`");
        }
        let text = rule_text(ruleset, rule, sources);
        let _ = writeln!(out, "- Looks at: {}", text.looks_at);
        let _ = writeln!(out, "- Form: {}", text.form);
        let _ = writeln!(
            out,
            "- Source: `{}`; {} tests",
            rule.source,
            rule.tests.len()
        );
        let _ = writeln!(out);
        let _ = writeln!(out, "Fires when:");
        let _ = writeln!(out);
        let _ = writeln!(out, "```");
        let _ = writeln!(out, "{}", text.fires_when);
        let _ = writeln!(out, "```");
        if !text.params.is_empty() {
            let _ = writeln!(out);
            let _ = writeln!(out, "Parameters:");
            let _ = writeln!(out);
            for param in &text.params {
                let _ = writeln!(out, "- {param}");
            }
        }
    }
    out
}

/// A rule told in words and quoted source, for the catalog and reports.
#[derive(Debug, Clone)]
pub struct RuleText {
    /// The table and the `where` filter, in Markdown code spans.
    pub looks_at: String,
    /// How rows are brought together (groups, windows, pairs, ...).
    pub form: String,
    /// The `let`s and the `flag when` condition, quoted from the source.
    pub fires_when: String,
    /// Each parameter the rule uses with its value: `` `name` = value``.
    pub params: Vec<String>,
}

pub fn rule_text(ruleset: &Ruleset, rule: &Rule, sources: &Sources) -> RuleText {
    let looks_at = format!(
        "`{}` rows{}",
        rule.table,
        match &rule.filter {
            Some(f) => format!(" where `{}`", source(sources, f.span).replace('\n', " ")),
            None => String::new(),
        }
    );
    let mut fires_when = String::new();
    for l in &rule.lets {
        let _ = writeln!(
            fires_when,
            "let {} = {}",
            l.name,
            source(sources, l.expr.span)
        );
    }
    fires_when.push_str(&source(sources, rule.condition.span));
    let params = params_used(rule)
        .into_iter()
        .filter_map(|name| {
            let param = ruleset.param(&name)?;
            let value = match &param.value {
                ParamValue::Scalar(v) => value_text(v),
                ParamValue::Map(entries) => entries
                    .iter()
                    .map(|(k, v)| format!("{k}: {}", value_text(v)))
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            let days = if param.ty == crate::ir::Type::Days {
                " days"
            } else {
                ""
            };
            let doc = param
                .doc
                .as_deref()
                .map(|d| format!(" — {d}"))
                .unwrap_or_default();
            Some(format!("`{name}` = {value}{days}{doc}"))
        })
        .collect();
    RuleText {
        looks_at,
        form: form_text(rule, sources),
        fires_when,
        params,
    }
}
