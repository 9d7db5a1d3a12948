//! Flags at another grain merge: a rule with `flag provider when` gives
//! one flag per provider it names, however many of the provider's rows
//! fired.
//!
//! Each firing row's flag is rendered as usual, named by the table's
//! `flags provider` declaration, with the row's own fields last in its
//! evidence (`flagged_row`). Here the flags of one rule naming one
//! provider become one: the first row's in the order of the rows' own
//! fields (claim, line, ...) gives the message and values, every firing
//! row is listed in `flagged_rows` (at most 20, then `more_flagged_rows`),
//! and the amounts at stake add up. A partition holds all the rows of
//! what such a rule names (the plan routes by it, or keeps one
//! partition), so merging a partition's flags merges them all.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashSet};

use serde_json::{Map, Value as Json};

use super::output::MAX_OTHER_ROWS;
use crate::flags::Flag;
use crate::ir::Ruleset;

/// What names a merged flag: its rule and identity fields.
type Named = (
    String,
    Option<String>,
    Option<i32>,
    Option<String>,
    Option<String>,
);

/// A flag and its row's own fields.
type Member = (Flag, Map<String, Json>);

/// `flags` with the flags of each rule at another grain merged, one per
/// rule and identity; the others as they were.
pub fn merge_flags_as(ruleset: &Ruleset, flags: Vec<Flag>) -> Vec<Flag> {
    let merging: HashSet<&str> = ruleset
        .rules
        .iter()
        .filter(|r| r.flag_as.is_some())
        .map(|r| r.id.as_str())
        .collect();
    if merging.is_empty() || !flags.iter().any(|f| merging.contains(&*f.rule_id)) {
        return flags;
    }
    let mut kept = Vec::with_capacity(flags.len());
    let mut groups: BTreeMap<Named, Vec<Member>> = BTreeMap::new();
    for flag in flags {
        if !merging.contains(&*flag.rule_id) {
            kept.push(flag);
            continue;
        }
        let named = (
            flag.rule_id.to_string(),
            flag.claim_id.clone(),
            flag.line_no,
            flag.patient_id.clone(),
            flag.provider_id.clone(),
        );
        let mut evidence: Map<String, Json> =
            serde_json::from_str(&flag.evidence).expect("evidence is a JSON object");
        let row = match evidence.remove("flagged_row") {
            Some(Json::Object(row)) => row,
            _ => Map::new(),
        };
        let mut flag = flag;
        flag.evidence = serde_json::to_string(&evidence).expect("JSON serializes");
        groups.entry(named).or_default().push((flag, row));
    }
    kept.extend(groups.into_values().map(merge));
    kept
}

/// One flag of the members (one rule, one identity).
fn merge(mut members: Vec<Member>) -> Flag {
    members.sort_by(|(a, row_a), (b, row_b)| {
        row_order(row_a, row_b)
            .then_with(|| a.message.cmp(&b.message))
            .then_with(|| a.evidence.cmp(&b.evidence))
    });
    let amount = members
        .iter()
        .filter_map(|(f, _)| f.amount_at_stake)
        .reduce(|a, b| a + b);
    let count = members.len();
    let rows: Vec<Json> = members
        .iter()
        .take(MAX_OTHER_ROWS)
        .map(|(_, row)| Json::Object(row.clone()))
        .collect();
    let (mut first, _) = members.swap_remove(0);
    let mut evidence: Map<String, Json> =
        serde_json::from_str(&first.evidence).expect("evidence is a JSON object");
    evidence.insert("flagged_rows".into(), Json::Array(rows));
    if count > MAX_OTHER_ROWS {
        evidence.insert(
            "more_flagged_rows".into(),
            Json::from(count - MAX_OTHER_ROWS),
        );
    }
    first.evidence = serde_json::to_string(&evidence).expect("JSON serializes");
    first.amount_at_stake = amount;
    first
}

/// Rows in the order of their own flag fields, as flags are output
/// (claim, line, provider, then patient; line numbers as numbers), a
/// missing field last.
fn row_order(a: &Map<String, Json>, b: &Map<String, Json>) -> Ordering {
    for field in ["claim_id", "line_no", "provider_id", "patient_id"] {
        let order = match (a.get(field), b.get(field)) {
            (Some(Json::Number(x)), Some(Json::Number(y))) => x
                .as_i64()
                .cmp(&y.as_i64())
                .then_with(|| x.to_string().cmp(&y.to_string())),
            (Some(Json::String(x)), Some(Json::String(y))) => x.cmp(y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (x, y) => x.map(Json::to_string).cmp(&y.map(Json::to_string)),
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    Ordering::Equal
}
