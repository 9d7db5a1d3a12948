//! Turning flagged rows into flags: identity, message, evidence, provenance.

use std::sync::Arc;

use serde_json::{Value as Json, json};

use super::col::{Col, Scalar};
use super::env::Env;
use super::eval::Ctx;
use crate::flags::{FlagBatch, FlagBuilder, FlagRow};
use crate::ir::text::days_to_date;
use crate::ir::{FlagField, Known, MessagePart, Rule, Ruleset, Step, Var};

/// Evidence lists at most this many other rows of a group, window or pair.
pub const MAX_OTHER_ROWS: usize = 20;

/// The last member of the evidence of a flag at another grain before its
/// flags merge: the flagged row's own fields (merge.rs reads it).
pub const FLAGGED_ROW: &str = "flagged_row";

/// Rows a rule flagged, as positions in the context it evaluated, with the
/// other rows that took part in each (rows of `others_table`).
pub struct Hits<'a> {
    pub positions: Vec<usize>,
    pub others_table: &'a str,
    pub others: Vec<Vec<u32>>,
    /// How many other rows took part beyond those listed (a list is cut
    /// at [`MAX_OTHER_ROWS`]).
    pub more: Vec<usize>,
    /// Population rules: the size of each flagged entity's peer group.
    pub peers: Vec<Option<usize>>,
    /// `match`: the knowledge table, and for each hit the rows of it that
    /// matched (at most [`MAX_OTHER_ROWS`]) and how many more did.
    pub known: Option<(&'a str, Vec<KnownRows>)>,
}

impl<'a> Hits<'a> {
    /// The hits cut into consecutive pieces of at most `size`, in order.
    fn into_pieces(mut self, size: usize) -> Vec<Hits<'a>> {
        let mut pieces = Vec::new();
        while self.positions.len() > size {
            let rest = Hits {
                positions: self.positions.split_off(size),
                others_table: self.others_table,
                others: self.others.split_off(size),
                more: self.more.split_off(size),
                peers: self.peers.split_off(size),
                known: self
                    .known
                    .as_mut()
                    .map(|(table, rows)| (*table, rows.split_off(size))),
            };
            pieces.push(std::mem::replace(&mut self, rest));
        }
        pieces.push(self);
        pieces
    }

    pub fn alone(positions: Vec<usize>, table: &'a str) -> Hits<'a> {
        let n = positions.len();
        Hits {
            positions,
            others_table: table,
            others: vec![Vec::new(); n],
            more: vec![0; n],
            peers: vec![None; n],
            known: None,
        }
    }
}

/// The knowledge rows listed for one hit, and how many more matched.
pub type KnownRows = (Vec<u32>, usize);

/// Which variable names the flagged row.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Flagged {
    Row,
    Entity,
}

/// Text of a value, as messages show it.
pub fn display(value: Scalar<'_>) -> String {
    let mut text = String::new();
    display_into(&mut text, value);
    text
}

/// Appends the text of a value, as messages show it, to `out`.
pub fn display_into(out: &mut String, value: Scalar<'_>) {
    use std::fmt::Write;
    match value {
        Scalar::Null => out.push('空'),
        Scalar::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        Scalar::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Scalar::Dec(d) => {
            let _ = if d.scale() > 6 {
                write!(out, "{}", d.round_dp(6))
            } else {
                write!(out, "{d}")
            };
        }
        Scalar::Float(x) => {
            let _ = write!(out, "{x}");
        }
        Scalar::Text(t) => out.push_str(t),
        Scalar::Date(d) => match date_text(d) {
            Some(text) => out.push_str(std::str::from_utf8(&text).expect("ASCII digits")),
            None => {
                let _ = match days_to_date(d) {
                    Some(date) => write!(out, "{date}"),
                    None => write!(out, "{d}"),
                };
            }
        },
        Scalar::Ts(t) => {
            let _ = match chrono::DateTime::from_timestamp_millis(t) {
                Some(t) => write!(out, "{}", t.naive_utc().format("%Y-%m-%d %H:%M:%S")),
                None => write!(out, "{t}"),
            };
        }
        Scalar::List(list, row) => {
            out.push('[');
            for (n, e) in list.range(row).enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                display_into(out, list.values.get(e));
            }
            out.push(']');
        }
        Scalar::Row(_) => out.push('有'),
    }
}

/// A date of the years 0 to 9999 as `YYYY-MM-DD`, as chrono writes it,
/// without its formatter (messages and evidence write millions of dates);
/// `None` for other years.
fn date_text(days: i32) -> Option<[u8; 10]> {
    use chrono::Datelike;
    let date = days_to_date(days)?;
    let year = u32::try_from(date.year()).ok().filter(|y| *y <= 9999)?;
    let digit = |n: u32| b'0' + n as u8;
    let (month, day) = (date.month(), date.day());
    Some([
        digit(year / 1000),
        digit(year / 100 % 10),
        digit(year / 10 % 10),
        digit(year % 10),
        b'-',
        digit(month / 10),
        digit(month % 10),
        b'-',
        digit(day / 10),
        digit(day % 10),
    ])
}

/// A value in evidence: exact decimals as strings, dates as text.
pub fn to_json(value: Scalar<'_>) -> Json {
    match value {
        Scalar::Null => Json::Null,
        Scalar::Bool(b) => json!(b),
        Scalar::Int(i) => json!(i),
        Scalar::Dec(d) => json!(d.to_string()),
        Scalar::Float(x) => json!(x),
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

/// Appends a value as evidence JSON to `out`: the bytes [`to_json`] gives
/// when serialized, without building the value.
fn write_json(out: &mut Vec<u8>, value: Scalar<'_>) {
    use std::io::Write;
    match value {
        Scalar::Null => out.extend_from_slice(b"null"),
        Scalar::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
        Scalar::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Scalar::Dec(d) => {
            let _ = write!(out, "\"{d}\"");
        }
        Scalar::Float(x) => {
            serde_json::to_writer(out, &x).expect("writing to memory does not fail")
        }
        Scalar::Text(t) => write_json_text(out, t),
        // A date's text needs no escaping: written straight in.
        Scalar::Date(d) => match date_text(d) {
            Some(text) => {
                out.push(b'"');
                out.extend_from_slice(&text);
                out.push(b'"');
            }
            None => write_json_text(out, &display(value)),
        },
        Scalar::Ts(_) => {
            let mut text = String::new();
            display_into(&mut text, value);
            write_json_text(out, &text);
        }
        Scalar::List(list, row) => {
            out.push(b'[');
            for (n, e) in list.range(row).enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                write_json(out, list.values.get(e));
            }
            out.push(b']');
        }
        Scalar::Row(_) => out.extend_from_slice(b"true"),
    }
}

/// Appends a JSON string, escaped as serde_json escapes it.
fn write_json_text(out: &mut Vec<u8>, text: &str) {
    serde_json::to_writer(out, text).expect("writing to memory does not fail");
}

/// A flag's amount at stake from a value: numbers to the cent, nothing
/// otherwise (a null amount, or one past the flags' decimal column).
fn money(value: Scalar<'_>) -> Option<rust_decimal::Decimal> {
    match value {
        Scalar::Dec(d) => crate::flags::amount_to_cent(d),
        Scalar::Int(i) => crate::flags::amount_to_cent(i.into()),
        _ => None,
    }
}

/// The text a flag's identity field takes from a value (what is a JSON
/// string in evidence: text, decimals, dates), written into `buf`;
/// nothing otherwise.
fn identity_into<'b>(buf: &'b mut String, value: Option<Scalar<'b>>) -> Option<&'b str> {
    buf.clear();
    match value? {
        // A text is its own identity: borrowed, not copied.
        Scalar::Text(t) => return Some(t),
        Scalar::Dec(d) => {
            use std::fmt::Write;
            let _ = write!(buf, "{d}");
        }
        value @ (Scalar::Date(_) | Scalar::Ts(_)) => display_into(buf, value),
        _ => return None,
    }
    Some(buf.as_str())
}

/// The identity columns of rows `rows` of `table` (empty when the table
/// has no identity fields).
fn identity_columns<'a>(
    ctx: &Ctx<'a>,
    table: &'a str,
    rows: Vec<Option<u32>>,
) -> Vec<(FlagField, Col<'a>)> {
    let Some(exprs) = ctx.env.consts.identities.get(table) else {
        return Vec::new();
    };
    let sub = Ctx::new(ctx.env, table, rows);
    exprs.iter().map(|(f, e)| (*f, sub.eval(e))).collect()
}

/// The columns naming rows `rows` of `table` in evidence: its flag fields
/// when it declares `flags`, else its key columns (`all`: every column, for
/// knowledge rows, which are small and read whole).
fn naming_columns<'a>(
    ctx: &Ctx<'a>,
    table: &'a str,
    rows: Vec<Option<u32>>,
    all: bool,
) -> Vec<(&'a str, Col<'a>)> {
    if !all && ctx.env.consts.identities.contains_key(table) {
        return identity_columns(ctx, table, rows)
            .into_iter()
            .map(|(f, c)| (f.as_str(), c))
            .collect();
    }
    let sub = Ctx::new(ctx.env, table, rows);
    if all {
        return ctx.env.consts.column_exprs[table]
            .iter()
            .map(|(name, e)| (name.as_str(), sub.eval(e)))
            .collect();
    }
    let names = ctx.env.schema.table(table).and_then(|t| t.key.as_ref());
    names
        .into_iter()
        .flatten()
        .zip(&ctx.env.consts.key_exprs[table])
        .map(|(name, e)| (name.as_str(), sub.eval(e)))
        .collect()
}

/// Appends the object naming row `i` of `columns` (null fields left out;
/// `{}` without columns), as the JSON value of [`identities`]' fields
/// would serialize.
fn write_identity(out: &mut Vec<u8>, columns: &[(&str, Col<'_>)], i: usize) {
    out.push(b'{');
    let mut first = true;
    for (field, col) in columns {
        let value = col.get(i);
        if matches!(value, Scalar::Null) {
            continue;
        }
        if !first {
            out.push(b',');
        }
        first = false;
        write_json_text(out, field);
        out.push(b':');
        write_json(out, value);
    }
    out.push(b'}');
}

/// The identity fields of rows `rows` of `table`, per row.
pub fn identities<'a>(
    ctx: &Ctx<'a>,
    table: &'a str,
    rows: Vec<Option<u32>>,
) -> Vec<Vec<(FlagField, Json)>> {
    let n = rows.len();
    let columns = identity_columns(ctx, table, rows);
    (0..n)
        .map(|i| {
            columns
                .iter()
                .map(|(f, c)| (*f, to_json(c.get(i))))
                .collect()
        })
        .collect()
}

/// For each row of `table`, whether its flag would name the claim a
/// real-time check is about: only these rows can give a flag the check
/// reports. None outside a check, or when the table's flags name no claim.
pub fn rows_of_checked_claim(env: &Env<'_>, table: &str) -> Option<Vec<bool>> {
    let claim = env.only_claim.as_deref()?;
    let ids: Vec<Option<u32>> = (0..env.frame(table).rows() as u32).map(Some).collect();
    names_claim(env, table, ids, claim)
}

/// For each of `rows` of `table`, whether its flag names claim `claim`;
/// none when the table's flags name no claim.
fn names_claim(
    env: &Env<'_>,
    table: &str,
    rows: Vec<Option<u32>>,
    claim: &str,
) -> Option<Vec<bool>> {
    let (_, claim_expr) = env
        .consts
        .identities
        .get(table)?
        .iter()
        .find(|(f, _)| *f == FlagField::ClaimId)?;
    let claims = Ctx::new(env, table, rows).eval(claim_expr);
    Some(
        (0..claims.len())
            .map(|i| matches!(claims.get(i), Scalar::Text(c) if c == claim))
            .collect(),
    )
}

/// The hits whose flagged row names claim `claim`.
fn naming_claim<'a>(ctx: &Ctx<'a>, hits: Hits<'a>, claim: &str) -> Hits<'a> {
    let rows: Vec<Option<u32>> = hits.positions.iter().map(|p| ctx.row.1[*p]).collect();
    let Some(keep) = names_claim(ctx.env, ctx.row.0, rows, claim) else {
        return Hits::alone(Vec::new(), hits.others_table);
    };
    Hits {
        positions: kept(hits.positions, &keep),
        others_table: hits.others_table,
        others: kept(hits.others, &keep),
        more: kept(hits.more, &keep),
        peers: kept(hits.peers, &keep),
        known: hits.known.map(|(t, rows)| (t, kept(rows, &keep))),
    }
}

/// The hits of a rule whose `match` is not a pair's, with the knowledge
/// row each flagged row found (none: the flag may be for finding none).
fn with_row_match<'a>(rule: &Rule, sub: &Ctx<'a>, mut hits: Hits<'a>) -> Hits<'a> {
    let Some(known) = &rule.row_match else {
        return hits;
    };
    let step = Step {
        relation: Known::relation_name(&rule.id, &known.var),
        table: known.table.clone(),
    };
    let (table, rows) = sub.navigate(Var::Row, std::slice::from_ref(&step));
    hits.known = Some((
        table,
        rows.iter()
            .map(|r| (r.iter().copied().collect(), 0))
            .collect(),
    ));
    hits
}

/// The items whose `keep` is true.
fn kept<T>(items: Vec<T>, keep: &[bool]) -> Vec<T> {
    items
        .into_iter()
        .zip(keep)
        .filter_map(|(item, k)| k.then_some(item))
        .collect()
}

/// The texts a rule gives each of its flags, in the flags schema's order
/// (id, name, category, severity, action, ruleset, version, hash, source).
pub(super) fn rule_texts(ruleset: &Ruleset, rule: &Rule) -> [Arc<str>; 9] {
    [
        rule.id.as_str(),
        rule.name.as_str(),
        rule.category.as_str(),
        rule.severity.as_str(),
        rule.action.as_str(),
        ruleset.name.as_str(),
        ruleset.version.as_str(),
        ruleset.hash.as_str(),
        rule.source.as_str(),
    ]
    .map(Arc::from)
}

/// Flags rendered at a time, at most: what a piece needs while it is
/// rendered (its rows' values, the names of the rows its evidence lists,
/// texts growing by doubling) stays small however many flags a rule gives
/// (one patient's hundreds of thousands, each listing twenty rows).
const RENDERED_AT_ONCE: usize = 16 * 1024;

/// The flags of `hits`, rendered a piece at a time, in order. In a scan's
/// partition, a rule whose flags may go in pieces hands them over once
/// they outgrow their share of memory; the rest come back.
pub fn render<'a>(
    ruleset: &Ruleset,
    rule: &'a Rule,
    ctx: &Ctx<'a>,
    hits: Hits<'a>,
    flagged: Flagged,
) -> Vec<FlagBatch> {
    let overflow = ctx.env.flags_out.filter(|o| o.takes_pieces_of(rule));
    let mut made = Vec::new();
    for piece in hits.into_pieces(RENDERED_AT_ONCE) {
        let piece = render_piece(ruleset, rule, ctx, piece, flagged);
        match overflow {
            Some(overflow) if !piece.is_empty() => overflow.take_pieces(piece),
            _ => made.extend(piece),
        }
    }
    made
}

fn render_piece<'a>(
    ruleset: &Ruleset,
    rule: &'a Rule,
    ctx: &Ctx<'a>,
    hits: Hits<'a>,
    flagged: Flagged,
) -> Vec<FlagBatch> {
    let hits = match (&ctx.env.only_claim, flagged) {
        (Some(claim), Flagged::Row) => naming_claim(ctx, hits, claim),
        _ => hits,
    };
    if hits.positions.is_empty() {
        return Vec::new();
    }
    let positions: Vec<u32> = hits.positions.iter().map(|p| *p as u32).collect();
    let sub = ctx.expand(&positions);
    let hits = match flagged {
        Flagged::Row => with_row_match(rule, &sub, hits),
        Flagged::Entity => hits,
    };
    let (table, rows) = match flagged {
        Flagged::Row => (sub.row.0, sub.row.1.clone()),
        Flagged::Entity => sub
            .entity
            .clone()
            .expect("population rules bind the entity"),
    };
    // `flag provider when`: what the row belongs to names the flag, and
    // the row's own fields go in evidence, for merging (merge.rs).
    let flags_as = match (rule.flag_as, flagged) {
        (Some(grain), Flagged::Row) => ctx.env.consts.flags_as.get(&(table.to_string(), grain)),
        _ => None,
    };
    // The amount at stake: the rule's own expression over its positions,
    // else the flagged table's declared column of each flagged row.
    let declared = match flags_as {
        Some(other) => other.amount.as_ref(),
        None => ctx.env.consts.amounts.get(table),
    };
    let amounts: Option<Col<'a>> = match &rule.amount {
        Some(expr) => Some(sub.eval(expr)),
        None => declared.map(|expr| Ctx::new(ctx.env, table, rows.clone()).eval(expr)),
    };
    let own_ids: Option<Vec<(&str, Col<'a>)>> = flags_as.map(|_| {
        identity_columns(&sub, table, rows.clone())
            .into_iter()
            .map(|(f, c)| (f.as_str(), c))
            .collect()
    });
    let ids = match flags_as {
        Some(other) => {
            let of_rows = Ctx::new(ctx.env, table, rows);
            other
                .fields
                .iter()
                .map(|(f, e)| (*f, of_rows.eval(e)))
                .collect()
        }
        None => identity_columns(&sub, table, rows),
    };
    let id_col = |f: FlagField| ids.iter().find(|(g, _)| *g == f).map(|(_, c)| c);
    let (claim_col, line_col, patient_col, provider_col) = (
        id_col(FlagField::ClaimId),
        id_col(FlagField::LineNo),
        id_col(FlagField::PatientId),
        id_col(FlagField::ProviderId),
    );
    let message_parts: Vec<Option<Col<'a>>> = rule
        .message
        .iter()
        .map(|part| match part {
            MessagePart::Value { expr, .. } => Some(sub.eval(expr)),
            MessagePart::Text(_) => None,
        })
        .collect();
    // A label given twice keeps its first place and its last value, as a
    // JSON object built label by label would.
    let mut evidence: Vec<(&str, Col<'a>)> = Vec::with_capacity(rule.evidence.len());
    for (label, e) in &rule.evidence {
        let col = sub.eval(e);
        match evidence.iter_mut().find(|(l, _)| *l == label.as_str()) {
            Some(slot) => slot.1 = col,
            None => evidence.push((label.as_str(), col)),
        }
    }
    let labels: Vec<Vec<u8>> = evidence
        .iter()
        .map(|(label, _)| {
            let mut key = Vec::new();
            write_json_text(&mut key, label);
            key.push(b':');
            key
        })
        .collect();
    // Identities of all other rows at once.
    let all_others: Vec<Option<u32>> = hits.others.iter().flatten().map(|r| Some(*r)).collect();
    let other_ids = naming_columns(&sub, hits.others_table, all_others, false);
    let mut next_other = 0;
    let known_names = hits.known.as_ref().map(|(table, rows)| {
        let all: Vec<Option<u32>> = rows.iter().flat_map(|(r, _)| r).map(|r| Some(*r)).collect();
        naming_columns(&sub, table, all, true)
    });
    let mut next_known = 0;
    // Each flag's texts are written into these, then appended to the
    // columns: nothing is allocated per flag.
    let mut message_buf = String::new();
    let mut json: Vec<u8> = Vec::new();
    let mut ids: [String; 3] = Default::default();
    // The rule's texts as the ruleset's constants hold them, made once.
    let texts = match ctx.env.consts.rule_texts.get(rule.id.as_str()) {
        Some(texts) => texts.clone(),
        None => rule_texts(ruleset, rule),
    };
    // A real-time check (run on its caller's thread) wants its few flags
    // as structs; a scan keeps them as columns.
    let mut flags = match ctx.env.parallel {
        true => FlagBuilder::new(texts, rule.grain, sub.n),
        false => FlagBuilder::structs(texts, rule.grain, sub.n),
    };
    for i in 0..sub.n {
        {
            let message = if rule.message.is_empty() {
                rule.name.as_str()
            } else {
                message_buf.clear();
                for (part, col) in rule.message.iter().zip(&message_parts) {
                    match (part, col) {
                        (MessagePart::Text(t), _) => message_buf.push_str(t),
                        (_, Some(col)) => display_into(&mut message_buf, col.get(i)),
                        _ => {}
                    }
                }
                message_buf.as_str()
            };
            json.clear();
            json.extend_from_slice(b"{\"values\":{");
            for (n, ((_, col), key)) in evidence.iter().zip(&labels).enumerate() {
                if n > 0 {
                    json.push(b',');
                }
                json.extend_from_slice(key);
                write_json(&mut json, col.get(i));
            }
            json.push(b'}');
            let others = hits.others[i].len();
            if others > 0 {
                json.extend_from_slice(b",\"rows\":[");
                for n in 0..others {
                    if n > 0 {
                        json.push(b',');
                    }
                    write_identity(&mut json, &other_ids, next_other + n);
                }
                json.push(b']');
                next_other += others;
            }
            if hits.more[i] > 0 {
                use std::io::Write;
                let _ = write!(json, ",\"more_rows\":{}", hits.more[i]);
            }
            if let (Some((_, known)), Some(names)) = (&hits.known, &known_names) {
                let (rows, more) = &known[i];
                json.extend_from_slice(b",\"known\":[");
                for n in 0..rows.len() {
                    if n > 0 {
                        json.push(b',');
                    }
                    write_identity(&mut json, names, next_known + n);
                }
                json.push(b']');
                next_known += rows.len();
                if *more > 0 {
                    use std::io::Write;
                    let _ = write!(json, ",\"more_known\":{more}");
                }
            }
            if let Some(peers) = hits.peers[i] {
                use std::io::Write;
                let _ = write!(json, ",\"peers\":{peers}");
            }
            if let Some(own) = &own_ids {
                json.push(b',');
                write_json_text(&mut json, FLAGGED_ROW);
                json.push(b':');
                write_identity(&mut json, own, i);
            }
            json.push(b'}');
            let [claim_text, patient_text, provider_text] = &mut ids;
            let claim_id = identity_into(claim_text, claim_col.map(|c| c.get(i)));
            let patient_id = identity_into(patient_text, patient_col.map(|c| c.get(i)));
            let provider_id = identity_into(provider_text, provider_col.map(|c| c.get(i)));
            flags.append(FlagRow {
                claim_id,
                line_no: line_col.and_then(|c| match c.get(i) {
                    Scalar::Int(v) => Some(v as i32),
                    _ => None,
                }),
                patient_id,
                provider_id,
                message,
                amount_at_stake: amounts.as_ref().and_then(|c| money(c.get(i))),
                evidence: std::str::from_utf8(&json).expect("evidence is UTF-8 JSON"),
            });
        }
    }
    vec![flags.finish()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_cut_into_pieces_keep_every_hit_in_order_with_its_own_rows() {
        let n = 10;
        let hits = Hits {
            positions: (0..n).collect(),
            others_table: "t",
            others: (0..n).map(|i| vec![i as u32; i % 3]).collect(),
            more: (0..n).map(|i| i * 2).collect(),
            peers: (0..n).map(|i| (i % 2 == 0).then_some(i)).collect(),
            known: Some(("k", (0..n).map(|i| (vec![i as u32], i)).collect())),
        };
        let pieces = hits.into_pieces(4);
        assert_eq!(
            pieces.iter().map(|p| p.positions.len()).collect::<Vec<_>>(),
            vec![4, 4, 2]
        );
        let mut at = 0;
        for piece in &pieces {
            for (k, &i) in piece.positions.iter().enumerate() {
                assert_eq!(i, at);
                assert_eq!(piece.others[k], vec![i as u32; i % 3]);
                assert_eq!(piece.more[k], i * 2);
                assert_eq!(piece.peers[k], (i % 2 == 0).then_some(i));
                assert_eq!(piece.known.as_ref().unwrap().1[k], (vec![i as u32], i));
                at += 1;
            }
        }
        assert_eq!(at, n);
    }

    fn written(value: Scalar<'_>) -> String {
        let mut out = Vec::new();
        write_json(&mut out, value);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn evidence_is_written_as_the_json_value_serializes() {
        let decimal = |s: &str| s.parse::<rust_decimal::Decimal>().unwrap();
        let values = [
            Scalar::Null,
            Scalar::Bool(true),
            Scalar::Bool(false),
            Scalar::Int(-42),
            Scalar::Int(i64::MAX),
            Scalar::Dec(decimal("12.50")),
            Scalar::Dec(decimal("-0.0001234567")),
            Scalar::Text("plain"),
            Scalar::Text("引号\"与\\反斜杠\n换行\t\u{1}"),
            Scalar::Date(19_000),
            Scalar::Ts(1_700_000_000_123),
            Scalar::Row(3),
        ];
        for value in values {
            assert_eq!(written(value), to_json(value).to_string(), "{value:?}");
        }
    }

    #[test]
    fn identity_text_is_what_a_json_string_would_hold() {
        let decimal = "7.10".parse::<rust_decimal::Decimal>().unwrap();
        for value in [
            Scalar::Null,
            Scalar::Int(7),
            Scalar::Bool(true),
            Scalar::Text("C1"),
            Scalar::Dec(decimal),
            Scalar::Date(19_000),
        ] {
            let expected = to_json(value).as_str().map(String::from);
            let mut buf = String::new();
            let text = identity_into(&mut buf, Some(value)).map(str::to_owned);
            assert_eq!(text, expected, "{value:?}");
        }
    }

    #[test]
    fn dates_are_written_as_chrono_writes_them() {
        // Around the epoch, leap days, the ends of the years written in
        // four digits, and past them.
        let days = [
            -719_528, -719_162, -1, 0, 59, 11_016, 19_051, 2_932_896, 2_932_897, -719_529,
        ];
        for d in days {
            let chrono_text = days_to_date(d).map(|date| date.to_string());
            assert_eq!(
                display(Scalar::Date(d)),
                chrono_text.clone().unwrap(),
                "{d}"
            );
            assert_eq!(
                written(Scalar::Date(d)),
                format!("\"{}\"", chrono_text.unwrap())
            );
        }
        assert_eq!(date_text(0), Some(*b"1970-01-01"));
        assert_eq!(date_text(2_932_897), None, "year 10000");
    }

    #[test]
    fn display_into_appends_what_display_gives() {
        let mut text = String::from("值:");
        display_into(&mut text, Scalar::Null);
        display_into(&mut text, Scalar::Int(5));
        assert_eq!(
            text,
            format!("值:{}{}", display(Scalar::Null), display(Scalar::Int(5)))
        );
    }
}
