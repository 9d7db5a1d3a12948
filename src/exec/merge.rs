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

use super::output::{FLAGGED_ROW, MAX_OTHER_ROWS};
use crate::flags::{Flag, FlagBatch};
use crate::ir::Ruleset;

/// What names a merged flag: its rule and identity fields.
type Named = (
    String,
    Option<String>,
    Option<i32>,
    Option<String>,
    Option<String>,
);

/// A flag, the rows that fired it so far (by their own fields; the first
/// [`MAX_OTHER_ROWS`] in order) and how many more did. A flag merged
/// already (in a batch of a partition) merges again like the rows it
/// stands for: merging is associative, so a partition may merge early to
/// hold fewer flags and still give the same flag.
struct Member {
    flag: Flag,
    rows: Vec<Map<String, Json>>,
    more: usize,
}

impl Member {
    fn of(mut flag: Flag) -> Member {
        let mut evidence: Map<String, Json> =
            serde_json::from_str(&flag.evidence).expect("evidence is a JSON object");
        let (rows, more) = match evidence.remove(FLAGGED_ROW) {
            Some(Json::Object(row)) => (vec![row], 0),
            _ => {
                let rows = match evidence.remove("flagged_rows") {
                    Some(Json::Array(rows)) => rows
                        .into_iter()
                        .filter_map(|r| match r {
                            Json::Object(row) => Some(row),
                            _ => None,
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                let more = evidence
                    .remove("more_flagged_rows")
                    .and_then(|m| m.as_u64())
                    .unwrap_or(0);
                (rows, more as usize)
            }
        };
        flag.evidence = serde_json::to_string(&evidence).expect("JSON serializes");
        Member { flag, rows, more }
    }
}

/// `flags` with the flags of each rule at another grain merged, one per
/// rule and identity; the others as they were.
pub fn merge_flags_as(ruleset: &Ruleset, batches: Vec<FlagBatch>) -> Vec<FlagBatch> {
    let merging: HashSet<&str> = ruleset
        .rules
        .iter()
        .filter(|r| r.flag_as.is_some())
        .map(|r| r.id.as_str())
        .collect();
    let names_merging = |b: &FlagBatch| b.names_any_rule(&|id| merging.contains(id));
    if merging.is_empty() || !batches.iter().any(names_merging) {
        return batches;
    }
    // Only the batches of merging rules become structs, merged once all.
    let (merged, kept): (Vec<FlagBatch>, Vec<FlagBatch>) =
        batches.into_iter().partition(names_merging);
    let flags: Vec<Flag> = merged.into_iter().flat_map(FlagBatch::into_flags).collect();
    let mut out = kept;
    out.push(FlagBatch::from_flags(&merge_rules(&merging, flags)));
    out
}

/// `flags` with the flags of the `merging` rules merged.
fn merge_rules(merging: &HashSet<&str>, flags: Vec<Flag>) -> Vec<Flag> {
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
        groups.entry(named).or_default().push(Member::of(flag));
    }
    kept.extend(groups.into_values().map(merge));
    kept
}

/// One flag of the members (one rule, one identity).
fn merge(mut members: Vec<Member>) -> Flag {
    // The member whose first row comes first speaks for all.
    let empty = Map::new();
    members.sort_by(|a, b| {
        row_order(
            a.rows.first().unwrap_or(&empty),
            b.rows.first().unwrap_or(&empty),
        )
        .then_with(|| a.flag.message.cmp(&b.flag.message))
        .then_with(|| a.flag.evidence.cmp(&b.flag.evidence))
    });
    let amount = members
        .iter()
        .filter_map(|m| m.flag.amount_at_stake)
        .reduce(|a, b| a + b);
    let count: usize = members.iter().map(|m| m.rows.len() + m.more).sum();
    let mut rows: Vec<Map<String, Json>> = members
        .iter_mut()
        .flat_map(|m| std::mem::take(&mut m.rows))
        .collect();
    rows.sort_by(row_order);
    rows.truncate(MAX_OTHER_ROWS);
    let mut first = members.swap_remove(0).flag;
    let mut evidence: Map<String, Json> =
        serde_json::from_str(&first.evidence).expect("evidence is a JSON object");
    evidence.insert(
        "flagged_rows".into(),
        Json::Array(rows.into_iter().map(Json::Object).collect()),
    );
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::ir::Grain;

    /// Rule M's flag on provider P from claim `claim` (its own row).
    fn raw(claim: &str, cents: i64) -> Flag {
        let shared: Arc<str> = "x".into();
        Flag {
            rule_id: "M".into(),
            rule_name: shared.clone(),
            category: shared.clone(),
            severity: shared.clone(),
            action: shared.clone(),
            grain: Grain::Provider,
            claim_id: None,
            line_no: None,
            patient_id: None,
            provider_id: Some("P".into()),
            message: format!("from {claim}"),
            amount_at_stake: Some(rust_decimal::Decimal::new(cents, 2)),
            evidence: format!(
                "{{\"values\":{{\"n\":1}},\"flagged_row\":{{\"claim_id\":\"{claim}\"}}}}"
            ),
            ruleset: shared.clone(),
            ruleset_version: shared.clone(),
            ruleset_hash: shared.clone(),
            source: shared,
        }
    }

    #[test]
    fn merging_early_in_any_grouping_gives_the_same_flag() {
        let merging: HashSet<&str> = ["M"].into();
        // 30 rows: more than evidence lists, in a scrambled order.
        let flags: Vec<Flag> = (0..30)
            .map(|i| (i * 7) % 30)
            .map(|i| raw(&format!("C{i:02}"), 100 + i))
            .collect();
        let at_once = merge_rules(&merging, flags.clone());
        assert_eq!(at_once.len(), 1);
        let flag = &at_once[0];
        assert_eq!(flag.message, "from C00");
        assert_eq!(
            flag.amount_at_stake,
            Some(rust_decimal::Decimal::new(
                (0..30).map(|i| 100 + i).sum(),
                2
            ))
        );
        let evidence: Json = serde_json::from_str(&flag.evidence).unwrap();
        let rows = evidence["flagged_rows"].as_array().unwrap();
        assert_eq!(rows.len(), MAX_OTHER_ROWS);
        assert_eq!(rows[0]["claim_id"], "C00");
        assert_eq!(rows[19]["claim_id"], "C19");
        assert_eq!(evidence["more_flagged_rows"], 10);
        assert!(evidence.get("flagged_row").is_none());
        for chunk in [1, 4, 7, 29] {
            let early: Vec<Flag> = flags
                .chunks(chunk)
                .flat_map(|part| merge_rules(&merging, part.to_vec()))
                .collect();
            assert_eq!(merge_rules(&merging, early), at_once, "chunks of {chunk}");
        }
    }

    #[test]
    fn flags_of_other_rules_pass_untouched() {
        let merging: HashSet<&str> = ["OTHER"].into();
        let flags = vec![raw("C01", 1), raw("C02", 2)];
        assert_eq!(merge_rules(&merging, flags.clone()), flags);
    }
}
