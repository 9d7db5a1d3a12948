//! Turning flagged rows into flags: identity, message, evidence, provenance.

use std::sync::Arc;

use rust_decimal::Decimal;
use serde_json::{Map, Value as Json, json};

use super::col::{Col, Scalar};
use super::eval::Ctx;
use crate::flags::Flag;
use crate::ir::text::days_to_date;
use crate::ir::{FlagField, MessagePart, Rule, Ruleset};

/// Evidence lists at most this many other rows of a group, window or pair.
pub const MAX_OTHER_ROWS: usize = 20;

/// Rows a rule flagged, as positions in the context it evaluated, with the
/// other rows that took part in each (rows of `others_table`).
pub struct Hits<'a> {
    pub positions: Vec<usize>,
    pub others_table: &'a str,
    pub others: Vec<Vec<u32>>,
    /// Population rules: the size of each flagged entity's peer group.
    pub peers: Vec<Option<usize>>,
}

impl<'a> Hits<'a> {
    pub fn alone(positions: Vec<usize>, table: &'a str) -> Hits<'a> {
        let n = positions.len();
        Hits {
            positions,
            others_table: table,
            others: vec![Vec::new(); n],
            peers: vec![None; n],
        }
    }
}

/// Which variable names the flagged row.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Flagged {
    Row,
    Entity,
}

/// Text of a value, as messages show it.
pub fn display(value: Scalar<'_>) -> String {
    match value {
        Scalar::Null => "空".to_string(),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Int(i) => i.to_string(),
        Scalar::Dec(d) => display_decimal(d),
        Scalar::Text(t) => t.to_string(),
        Scalar::Date(d) => days_to_date(d).map_or_else(|| d.to_string(), |d| d.to_string()),
        Scalar::Ts(t) => chrono::DateTime::from_timestamp_millis(t).map_or_else(
            || t.to_string(),
            |t| t.naive_utc().format("%Y-%m-%d %H:%M:%S").to_string(),
        ),
        Scalar::List(list, row) => format!(
            "[{}]",
            list.range(row)
                .map(|e| display(list.values.get(e)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Scalar::Row(_) => "有".to_string(),
    }
}

/// Decimals keep their digits (12.50), but at most six after the point.
fn display_decimal(d: Decimal) -> String {
    if d.scale() > 6 {
        d.round_dp(6).to_string()
    } else {
        d.to_string()
    }
}

/// A value in evidence: exact decimals as strings, dates as text.
pub fn to_json(value: Scalar<'_>) -> Json {
    match value {
        Scalar::Null => Json::Null,
        Scalar::Bool(b) => json!(b),
        Scalar::Int(i) => json!(i),
        Scalar::Dec(d) => json!(d.to_string()),
        Scalar::Text(t) => json!(t),
        Scalar::Date(_) | Scalar::Ts(_) => json!(display(value)),
        Scalar::List(list, row) => Json::Array(
            list.range(row)
                .map(|e| to_json(list.values.get(e)))
                .collect(),
        ),
        Scalar::Row(_) => json!(true),
    }
}

/// The identity fields of rows `rows` of `table`, per row.
pub fn identities<'a>(
    ctx: &Ctx<'a>,
    table: &'a str,
    rows: Vec<Option<u32>>,
) -> Vec<Vec<(FlagField, Json)>> {
    let n = rows.len();
    let Some(exprs) = ctx.env.identities.get(table) else {
        return vec![Vec::new(); n];
    };
    let sub = Ctx::new(ctx.env, table, rows);
    let columns: Vec<(FlagField, Col<'a>)> = exprs.iter().map(|(f, e)| (*f, sub.eval(e))).collect();
    (0..n)
        .map(|i| {
            columns
                .iter()
                .map(|(f, c)| (*f, to_json(c.get(i))))
                .collect()
        })
        .collect()
}

/// The hits whose flagged row names claim `claim`.
fn naming_claim<'a>(ctx: &Ctx<'a>, hits: Hits<'a>, claim: &str) -> Hits<'a> {
    let table = ctx.row.0;
    let Some((_, claim_expr)) = ctx
        .env
        .identities
        .get(table)
        .and_then(|fields| fields.iter().find(|(f, _)| *f == FlagField::ClaimId))
    else {
        return Hits::alone(Vec::new(), hits.others_table);
    };
    let rows: Vec<Option<u32>> = hits.positions.iter().map(|p| ctx.row.1[*p]).collect();
    let claims = Ctx::new(ctx.env, table, rows).eval(claim_expr);
    let keep: Vec<bool> = (0..hits.positions.len())
        .map(|i| matches!(claims.get(i), Scalar::Text(c) if c == claim))
        .collect();
    Hits {
        positions: kept(hits.positions, &keep),
        others_table: hits.others_table,
        others: kept(hits.others, &keep),
        peers: kept(hits.peers, &keep),
    }
}

/// The items whose `keep` is true.
fn kept<T>(items: Vec<T>, keep: &[bool]) -> Vec<T> {
    items
        .into_iter()
        .zip(keep)
        .filter_map(|(item, k)| k.then_some(item))
        .collect()
}

fn identity_object(fields: &[(FlagField, Json)]) -> Json {
    let mut object = Map::new();
    for (field, value) in fields {
        if !value.is_null() {
            object.insert(field.as_str().to_string(), value.clone());
        }
    }
    Json::Object(object)
}

fn shrunk(mut text: String) -> String {
    text.shrink_to_fit();
    text
}

/// What every flag of a rule repeats, made once and shared by its flags.
struct RuleFields {
    rule_id: Arc<str>,
    rule_name: Arc<str>,
    category: Arc<str>,
    severity: Arc<str>,
    action: Arc<str>,
    ruleset: Arc<str>,
    ruleset_version: Arc<str>,
    ruleset_hash: Arc<str>,
    source: Arc<str>,
}

impl RuleFields {
    fn of(ruleset: &Ruleset, rule: &Rule) -> RuleFields {
        RuleFields {
            rule_id: rule.id.as_str().into(),
            rule_name: rule.name.as_str().into(),
            category: rule.category.as_str().into(),
            severity: rule.severity.as_str().into(),
            action: rule.action.as_str().into(),
            ruleset: ruleset.name.as_str().into(),
            ruleset_version: ruleset.version.as_str().into(),
            ruleset_hash: ruleset.hash.as_str().into(),
            source: rule.source.as_str().into(),
        }
    }
}

pub fn render<'a>(
    ruleset: &Ruleset,
    rule: &'a Rule,
    ctx: &Ctx<'a>,
    hits: Hits<'a>,
    flagged: Flagged,
) -> Vec<Flag> {
    let hits = match (&ctx.env.only_claim, flagged) {
        (Some(claim), Flagged::Row) => naming_claim(ctx, hits, claim),
        _ => hits,
    };
    if hits.positions.is_empty() {
        return Vec::new();
    }
    let shared = RuleFields::of(ruleset, rule);
    let positions: Vec<u32> = hits.positions.iter().map(|p| *p as u32).collect();
    let sub = ctx.expand(&positions);
    let (table, rows) = match flagged {
        Flagged::Row => (sub.row.0, sub.row.1.clone()),
        Flagged::Entity => sub
            .entity
            .clone()
            .expect("population rules bind the entity"),
    };
    let ids = identities(&sub, table, rows);
    let message_parts: Vec<Option<Col<'a>>> = rule
        .message
        .iter()
        .map(|part| match part {
            MessagePart::Value { expr, .. } => Some(sub.eval(expr)),
            MessagePart::Text(_) => None,
        })
        .collect();
    let evidence: Vec<(&str, Col<'a>)> = rule
        .evidence
        .iter()
        .map(|(label, e)| (label.as_str(), sub.eval(e)))
        .collect();
    // Identities of all other rows at once.
    let all_others: Vec<Option<u32>> = hits.others.iter().flatten().map(|r| Some(*r)).collect();
    let other_ids = identities(&sub, hits.others_table, all_others);
    let mut other_ids = other_ids.into_iter();

    (0..sub.n)
        .map(|i| {
            let field = |f: FlagField| ids[i].iter().find(|(g, _)| *g == f).map(|(_, v)| v.clone());
            let text = |f: FlagField| field(f).and_then(|v| v.as_str().map(String::from));
            let message = if rule.message.is_empty() {
                rule.name.clone()
            } else {
                rule.message
                    .iter()
                    .zip(&message_parts)
                    .map(|(part, col)| match (part, col) {
                        (MessagePart::Text(t), _) => t.clone(),
                        (_, Some(col)) => display(col.get(i)),
                        _ => String::new(),
                    })
                    .collect()
            };
            let mut values = Map::new();
            for (label, col) in &evidence {
                values.insert(label.to_string(), to_json(col.get(i)));
            }
            let mut object = Map::new();
            object.insert("values".into(), Json::Object(values));
            let others: Vec<Json> = other_ids
                .by_ref()
                .take(hits.others[i].len())
                .map(|f| identity_object(&f))
                .collect();
            if !others.is_empty() {
                object.insert("rows".into(), Json::Array(others));
            }
            if let Some(peers) = hits.peers[i] {
                object.insert("peers".into(), json!(peers));
            }
            Flag {
                rule_id: shared.rule_id.clone(),
                rule_name: shared.rule_name.clone(),
                category: shared.category.clone(),
                severity: shared.severity.clone(),
                action: shared.action.clone(),
                grain: rule.grain,
                claim_id: text(FlagField::ClaimId),
                line_no: field(FlagField::LineNo)
                    .and_then(|v| v.as_i64())
                    .map(|v| v as i32),
                patient_id: text(FlagField::PatientId),
                provider_id: text(FlagField::ProviderId),
                // Flags wait in memory until every partition has run:
                // their text is kept at its length, not its grown capacity.
                message: shrunk(message),
                evidence: shrunk(Json::Object(object).to_string()),
                ruleset: shared.ruleset.clone(),
                ruleset_version: shared.ruleset_version.clone(),
                ruleset_hash: shared.ruleset_hash.clone(),
                source: shared.source.clone(),
            }
        })
        .collect()
}
