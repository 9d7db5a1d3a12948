//! Why a rule fired on a claim, or why not: each row's `where` and
//! `flag when` taken apart into the conditions and values that decided it.

use serde::Serialize;

use super::col::{Col, Scalar, Tri};
use super::env::Env;
use super::eval::Ctx;
use super::forms::pair::{self, Pair};
use super::forms::population::{self, Population, PopulationContext};
use super::forms::{group, sequence, window};
use super::keyed::KeyedContext;
use super::output::display;
use crate::flags::Flag;
use crate::ir::{FlagField, Form, Rule, TExpr, TExprKind};
use crate::syntax::Sources;

/// One condition and what it came to, with the parts that decided it.
#[derive(Debug, Clone, Serialize)]
pub struct Trace {
    pub text: String,
    pub value: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<Trace>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RowExplanation {
    /// Which row: `claim C1`, `line 3`, `provider H1`, or a pair `line 2 with claim C7`.
    pub row: String,
    pub fired: bool,
    /// Set when the row was not looked at (`where` not true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_selected: Option<Trace>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<Trace>,
}

/// A flag the rule raised on the claim (or its lines, or its provider):
/// what it says, the money, the values that decided it and the other rows
/// that took part (the duplicate lines, the partner claim, ...).
#[derive(Debug, Clone, Serialize)]
pub struct FiredFlag {
    /// `line 3`, `claim K07` or `provider H1`.
    pub row: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_at_stake: Option<String>,
    /// The compared values, labelled as the rule writes them.
    pub values: serde_json::Map<String, serde_json::Value>,
    /// The other rows, each as its identifying columns.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub partners: Vec<serde_json::Value>,
    /// Other rows that took part beyond those listed.
    #[serde(skip_serializing_if = "is_zero")]
    pub more_partners: u64,
    /// The knowledge rows a `match` found, each with its columns.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub knowledge: Vec<serde_json::Value>,
    /// Knowledge rows that matched beyond those listed.
    #[serde(skip_serializing_if = "is_zero")]
    pub more_knowledge: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl FiredFlag {
    fn of(flag: &Flag) -> FiredFlag {
        let evidence: serde_json::Value =
            serde_json::from_str(&flag.evidence).unwrap_or(serde_json::Value::Null);
        let row = match (&flag.claim_id, flag.line_no, &flag.provider_id) {
            (Some(_), Some(line), _) => format!("line {line}"),
            (Some(claim), None, _) => format!("claim {claim}"),
            (None, _, Some(provider)) => format!("provider {provider}"),
            _ => String::new(),
        };
        FiredFlag {
            row,
            message: flag.message.clone(),
            amount_at_stake: flag.amount_at_stake.map(|a| a.to_string()),
            values: evidence
                .get("values")
                .and_then(|v| v.as_object())
                .cloned()
                .unwrap_or_default(),
            partners: evidence
                .get("rows")
                .and_then(|v| v.as_array())
                .cloned()
                .unwrap_or_default(),
            more_partners: evidence
                .get("more_rows")
                .and_then(|v| v.as_u64())
                .unwrap_or(0),
            knowledge: evidence
                .get("known")
                .and_then(|v| v.as_array())
                .cloned()
                .unwrap_or_default(),
            more_knowledge: evidence
                .get("more_known")
                .and_then(|v| v.as_u64())
                .unwrap_or(0),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleExplanation {
    pub rule_id: String,
    pub rule_name: String,
    pub fired: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<String>,
    /// The flags raised, with their values and partner rows.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<FiredFlag>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub rows: Vec<RowExplanation>,
}

fn tri_text(t: Tri) -> &'static str {
    match t {
        Tri::True => "true",
        Tri::False => "false",
        Tri::Null => "unknown",
    }
}

fn source_text(sources: &Sources, e: &TExpr) -> String {
    let file = sources.get(e.span.file);
    file.text
        .get(e.span.start..e.span.end)
        .unwrap_or("?")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The trace of boolean expression `e` at position `at` of `ctx`.
fn trace<'a>(ctx: &Ctx<'a>, e: &'a TExpr, at: usize, sources: &Sources) -> Trace {
    let value_of = |x: &'a TExpr| -> String {
        let col: Col<'a> = ctx.eval(x);
        match &col {
            Col::Bool(b) => tri_text(b[at]).to_string(),
            other => display(other.get(at)),
        }
    };
    let value = value_of(e);
    let leaf = |x: &'a TExpr| Trace {
        text: source_text(sources, x),
        value: value_of(x),
        parts: Vec::new(),
    };
    let parts = match &e.kind {
        TExprKind::And(a, b) | TExprKind::Or(a, b) => {
            let mut parts = Vec::new();
            for side in [a, b] {
                // Show the sides that decided the result.
                let side_trace = trace(ctx, side, at, sources);
                let decisive = match (&e.kind, side_trace.value.as_str()) {
                    (TExprKind::And(..), "true") => value == "true",
                    (TExprKind::Or(..), "false") => value == "false",
                    _ => true,
                };
                let same_operator = matches!(
                    (&e.kind, &side.kind),
                    (TExprKind::And(..), TExprKind::And(..))
                        | (TExprKind::Or(..), TExprKind::Or(..))
                );
                if !decisive {
                    continue;
                }
                // `a and b and c` reads as three parts, not a nest of two.
                if same_operator && side_trace.value == value {
                    parts.extend(side_trace.parts);
                } else {
                    parts.push(side_trace);
                }
            }
            parts
        }
        // `is not null`, `not in`, `not between`: one node, the operands below it.
        TExprKind::Not(inner) if inner.span.same_place(&e.span) => {
            trace(ctx, inner, at, sources).parts
        }
        TExprKind::Not(inner) => vec![trace(ctx, inner, at, sources)],
        TExprKind::Compare { left, right, .. } | TExprKind::StartsWith(left, right) => {
            operands(&[left, right], &leaf)
        }
        TExprKind::Between { expr, low, high } => operands(&[expr, low, high], &leaf),
        TExprKind::IsNull(x)
        | TExprKind::Matches { text: x, .. }
        | TExprKind::InSet { expr: x, .. } => operands(&[x], &leaf),
        TExprKind::InList { expr, .. } => operands(&[expr], &leaf),
        TExprKind::InArray { expr, list } => operands(&[expr, list], &leaf),
        TExprKind::Quantifier { list, .. } => operands(&[list], &leaf),
        _ => Vec::new(),
    };
    Trace {
        text: source_text(sources, e),
        value,
        parts,
    }
}

/// Operands worth showing: values read from data, not constants.
fn operands<'a>(exprs: &[&'a TExpr], leaf: &dyn Fn(&'a TExpr) -> Trace) -> Vec<Trace> {
    exprs
        .iter()
        .filter(|x| !matches!(x.kind, TExprKind::Const(_)))
        .map(|x| leaf(x))
        .collect()
}

fn row_name<'a>(
    env: &'a Env<'a>,
    ctx: &Ctx<'a>,
    table: &str,
    rows: &[Option<u32>],
    at: usize,
) -> String {
    let ids = super::output::identities(ctx, env_table(env, table), vec![rows[at]]);
    let field = |f: FlagField| {
        ids[0].iter().find(|(g, _)| *g == f).map(|(_, v)| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    };
    match (
        field(FlagField::LineNo),
        field(FlagField::ClaimId),
        field(FlagField::ProviderId),
    ) {
        (Some(line), _, _) => format!("line {line}"),
        (None, Some(claim), _) => format!("claim {claim}"),
        (None, None, Some(provider)) => format!("provider {provider}"),
        _ => format!("{table} row {}", rows[at].map_or(0, |r| r + 1)),
    }
}

/// A row named by its key's values, as messages show them: `(A, B, 2024-01-01)`.
fn key_text<'a>(env: &'a Env<'a>, table: &'a str, row: Option<u32>) -> String {
    let ctx = Ctx::new(env, table, vec![row]);
    let values: Vec<String> = env.consts.key_exprs[table]
        .iter()
        .map(|k| display(ctx.eval(k).get(0)))
        .collect();
    format!("({})", values.join(", "))
}

fn env_table<'a>(env: &'a Env<'a>, table: &str) -> &'a str {
    env.schema
        .table(table)
        .map(|t| t.name.as_str())
        .unwrap_or("")
}

/// Explains every rule of `rules` for the claim `claim_id`; `flags` are
/// the flags of a full run (rules over many rows need the whole data).
pub fn explain_claim<'a>(
    env: &'a Env<'a>,
    rules: &[&'a Rule],
    claim_id: &str,
    flags: &[Flag],
    sources: &Sources,
) -> Vec<RuleExplanation> {
    rules
        .iter()
        .map(|rule| {
            let (rows, note) = explain_rule(env, rule, claim_id, sources);
            // Population rules flag the claim's provider, not the claim.
            let entities: Vec<&str> = rows
                .iter()
                .filter_map(|r| r.row.strip_prefix("provider "))
                .collect();
            let mine: Vec<&Flag> = flags
                .iter()
                .filter(|f| *f.rule_id == *rule.id)
                .filter(|f| {
                    f.claim_id.as_deref() == Some(claim_id)
                        || (f.claim_id.is_none()
                            && f.provider_id
                                .as_deref()
                                .is_some_and(|p| entities.contains(&p)))
                        || (rule.flag_as.is_some() && lists_claim(f, claim_id))
                })
                .collect();
            // A group flagged once stands on its first row, maybe another claim's.
            let held = rows
                .iter()
                .any(|r| r.condition.as_ref().is_some_and(|t| t.value == "true"));
            let note = match note {
                None if rule.flag_once && mine.is_empty() && held => Some(
                    "the condition holds, but `flag once` flags each group on its first row in key order, which is not this claim's"
                        .to_string(),
                ),
                note => note,
            };
            RuleExplanation {
                rule_id: rule.id.clone(),
                rule_name: rule.name.clone(),
                fired: !mine.is_empty(),
                messages: mine.iter().map(|f| f.message.clone()).collect(),
                flags: mine.iter().map(|f| FiredFlag::of(f)).collect(),
                note,
                rows,
            }
        })
        .collect()
}

/// Whether a flag of a rule flagging at another grain (`flag provider
/// when`) lists a row of the claim among the rows that fired.
fn lists_claim(flag: &Flag, claim_id: &str) -> bool {
    let evidence: serde_json::Value =
        serde_json::from_str(&flag.evidence).unwrap_or(serde_json::Value::Null);
    evidence["flagged_rows"]
        .as_array()
        .is_some_and(|rows| rows.iter().any(|r| r["claim_id"] == claim_id))
}

/// How many rows of all flaggable tables belong to the claim.
pub fn claim_rows(env: &Env<'_>, claim_id: &str) -> usize {
    env.consts
        .identities
        .keys()
        .filter(|t| env.frames.contains_key(*t))
        .map(|t| rows_of_claim(env, t, claim_id).len())
        .sum()
}

/// Rows of `table` whose flags would name `claim_id`.
fn rows_of_claim(env: &Env<'_>, table: &str, claim_id: &str) -> Vec<u32> {
    let Some(exprs) = env.consts.identities.get(table) else {
        return Vec::new();
    };
    let Some((_, claim_expr)) = exprs.iter().find(|(f, _)| *f == FlagField::ClaimId) else {
        return Vec::new();
    };
    let n = env.frame(table).rows();
    let ctx = Ctx::new(
        env,
        env_table(env, table),
        (0..n as u32).map(Some).collect(),
    );
    let ids = ctx.eval(claim_expr);
    (0..n)
        .filter(|&i| matches!(ids.get(i), Scalar::Text(t) if t == claim_id))
        .map(|i| i as u32)
        .collect()
}

fn passing(env: &Env<'_>, rule: &Rule, rows: &[u32]) -> Vec<bool> {
    let ctx = Ctx::new(
        env,
        env_table(env, &rule.table),
        rows.iter().map(|r| Some(*r)).collect(),
    );
    match &rule.filter {
        None => vec![true; rows.len()],
        Some(f) => ctx.eval(f).bools().iter().map(|t| t.is_true()).collect(),
    }
}

fn explain_rule<'a>(
    env: &'a Env<'a>,
    rule: &'a Rule,
    claim_id: &str,
    sources: &Sources,
) -> (Vec<RowExplanation>, Option<String>) {
    let table = env_table(env, &rule.table);
    // A population rule judges entities, not the claim's rows.
    if let Some(form) = Population::of(&rule.form) {
        return explain_population(env, rule, &form, claim_id, sources);
    }
    let targets = rows_of_claim(env, table, claim_id);
    if targets.is_empty() {
        return (
            Vec::new(),
            Some(format!("the claim has no rows in `{table}`")),
        );
    }
    let selected = passing(env, rule, &targets);
    let mut out = Vec::new();
    let plain = Ctx::new(env, table, targets.iter().map(|r| Some(*r)).collect());
    for (i, &row) in targets.iter().enumerate() {
        let name = row_name(env, &plain, table, &plain.row.1, i);
        if !selected[i] {
            let filter = rule
                .filter
                .as_ref()
                .expect("only a `where` leaves rows out");
            out.push(RowExplanation {
                row: name,
                fired: false,
                not_selected: Some(trace(&plain, filter, i, sources)),
                condition: None,
            });
            continue;
        }
        match &rule.form {
            Form::Row => {
                let mut ctx = plain.sibling();
                for l in &rule.lets {
                    let v = ctx.eval(&l.expr);
                    ctx.lets.push(v);
                }
                let t = trace(&ctx, &rule.condition, i, sources);
                out.push(RowExplanation {
                    row: name,
                    fired: t.value == "true",
                    not_selected: None,
                    condition: Some(t),
                });
            }
            Form::Group { keys } => {
                let members = same_key_rows(env, rule, &keys[0], row);
                let keyed = group::context(rule, keys, env, &members);
                out.push(explain_keyed(&keyed, rule, name, row, sources));
            }
            Form::Window { keys, range } => {
                let members = same_key_rows(env, rule, &keys[0], row);
                let keyed = window::context(rule, keys, range, env, &members, None);
                out.push(explain_keyed(&keyed, rule, name, row, sources));
            }
            Form::Sequence { keys, order } => {
                let members = same_key_rows(env, rule, &keys[0], row);
                let keyed = sequence::context(rule, keys, order, env, &members);
                out.push(explain_keyed(&keyed, rule, name, row, sources));
            }
            Form::Pair {
                var: _,
                table: partner_table,
                filter,
                keys,
                known,
            } => {
                let partners =
                    partner_rows(env, table, partner_table, filter.as_ref(), &keys[0], row);
                // Every pair of the key, the condition shown on each.
                let form = Pair {
                    table: partner_table,
                    filter: filter.as_ref(),
                    keys,
                    known: known.as_ref(),
                    range: None,
                    searched_from: usize::MAX,
                };
                let (ctx, owners) = pair::context(rule, &form, env, &[row], &partners);
                if owners.is_empty() {
                    out.push(RowExplanation {
                        row: name.clone(),
                        fired: false,
                        not_selected: None,
                        condition: Some(Trace {
                            text: match known {
                                Some(k) => format!(
                                    "a `{partner_table}` row to pair with, the pair found in `{}`",
                                    k.table
                                ),
                                None => format!("a `{partner_table}` row to pair with"),
                            },
                            value: "none".into(),
                            parts: Vec::new(),
                        }),
                    });
                }
                let partner_ids = ctx
                    .partner
                    .as_ref()
                    .map(|p| p.1.clone())
                    .unwrap_or_default();
                for k in 0..owners.len().min(5) {
                    let t = trace(&ctx, &rule.condition, k, sources);
                    let partner_name = row_name(env, &ctx, partner_table, &partner_ids, k);
                    let found_by = match &ctx.known {
                        Some((table, rows)) => {
                            format!(", found in {table} {}", key_text(env, table, rows[k]))
                        }
                        None => String::new(),
                    };
                    out.push(RowExplanation {
                        row: format!("{name} with {partner_name}{found_by}"),
                        fired: t.value == "true",
                        not_selected: None,
                        condition: Some(t),
                    });
                }
            }
            Form::Population { .. } => unreachable!("handled above"),
        }
    }
    (out, None)
}

/// The row `row` of a group, window or sequence, traced in its key's context.
fn explain_keyed<'a>(
    keyed: &KeyedContext<'a>,
    rule: &'a Rule,
    name: String,
    row: u32,
    sources: &Sources,
) -> RowExplanation {
    let at = keyed
        .sorted_rows
        .iter()
        .position(|r| *r == Some(row))
        .expect("the row is among its key's rows");
    let t = trace(&keyed.ctx, &rule.condition, at, sources);
    RowExplanation {
        row: name,
        fired: t.value == "true",
        not_selected: None,
        condition: Some(t),
    }
}

/// Rows passing `where` whose first key equals that of `row`.
fn same_key_rows(env: &Env<'_>, rule: &Rule, key: &TExpr, row: u32) -> Vec<u32> {
    let table = env_table(env, &rule.table);
    let n = env.frame(table).rows();
    let all: Vec<u32> = (0..n as u32).collect();
    let keep = passing(env, rule, &all);
    let ctx = Ctx::new(env, table, all.iter().map(|r| Some(*r)).collect());
    let values = ctx.eval(key);
    let mine = values.get(row as usize);
    all.into_iter()
        .filter(|&r| keep[r as usize] && values.get(r as usize).same(&mine))
        .collect()
}

fn partner_rows(
    env: &Env<'_>,
    table: &str,
    partner_table: &str,
    filter: Option<&TExpr>,
    keys: &(TExpr, TExpr),
    row: u32,
) -> Vec<u32> {
    let own = Ctx::new(env, table, vec![Some(row)]);
    let mine = own.eval(&keys.0);
    let n = env.frame(partner_table).rows();
    let ctx = Ctx::for_partners(
        env,
        table,
        env_table(env, partner_table),
        (0..n as u32).map(Some).collect(),
    );
    let keep = filter.map(|f| ctx.eval(f));
    let theirs = ctx.eval(&keys.1);
    (0..n)
        .filter(|&p| {
            keep.as_ref().is_none_or(|k| k.bools()[p].is_true())
                && !mine.is_null(0)
                && theirs.get(p).same(&mine.get(0))
        })
        .map(|p| p as u32)
        .collect()
}

fn explain_population<'a>(
    env: &'a Env<'a>,
    rule: &'a Rule,
    form: &Population<'a>,
    claim_id: &str,
    sources: &Sources,
) -> (Vec<RowExplanation>, Option<String>) {
    let &Population {
        entity,
        entity_table,
        eligible,
        ..
    } = form;
    let table = env_table(env, &rule.table);
    let targets = rows_of_claim(env, table, claim_id);
    let own = Ctx::new(env, table, targets.iter().map(|r| Some(*r)).collect());
    let Col::Row(entities) = own.eval(entity) else {
        unreachable!()
    };
    let mut wanted: Vec<u32> = entities.into_iter().flatten().collect();
    wanted.sort_unstable();
    wanted.dedup();
    if wanted.is_empty() {
        return (
            Vec::new(),
            Some(format!(
                "no `{entity_table}` row is reached from this claim's rows the rule looks at"
            )),
        );
    }
    let n = env.frame(table).rows();
    let all: Vec<u32> = (0..n as u32).collect();
    let keep = passing(env, rule, &all);
    let rows: Vec<u32> = all.into_iter().filter(|r| keep[*r as usize]).collect();
    let PopulationContext {
        ctx,
        group_of,
        group_sizes,
    } = population::context(rule, form, env, &rows);
    let entity_rows = ctx.entity.as_ref().map(|e| e.1.clone()).unwrap_or_default();
    let mut out = Vec::new();
    for target in wanted {
        let Some(at) = entity_rows.iter().position(|e| *e == Some(target)) else {
            continue;
        };
        let name = row_name(env, &ctx, entity_table, &entity_rows, at);
        if let Some(e) = eligible {
            let t = trace(&ctx, e, at, sources);
            if t.value != "true" {
                out.push(RowExplanation {
                    row: name,
                    fired: false,
                    not_selected: Some(t),
                    condition: None,
                });
                continue;
            }
        }
        let Some(group) = group_of[at] else {
            out.push(RowExplanation {
                row: name,
                fired: false,
                not_selected: Some(Trace {
                    text: "a usable peer group".into(),
                    value: "none (too few eligible peers, or no peer value)".into(),
                    parts: Vec::new(),
                }),
                condition: None,
            });
            continue;
        };
        let mut t = trace(&ctx, &rule.condition, at, sources);
        t.parts.push(Trace {
            text: "peers".into(),
            value: group_sizes[group].to_string(),
            parts: Vec::new(),
        });
        out.push(RowExplanation {
            row: name,
            fired: t.value == "true",
            not_selected: None,
            condition: Some(t),
        });
    }
    (out, Some("a statistical rule: it judges the claim's provider against its peers over the whole dataset".into()))
}
