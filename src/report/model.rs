//! The report's figures, summed over a flags file in one pass: totals, by
//! rule, by provider, by region and by month, and the flags to list.
//!
//! Money at stake is counted once per flagged row: a line flagged by two
//! rules puts its amount in doubt once, so totals take each row's largest
//! amount. By rule, each rule's own flags are summed.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};
use std::path::Path;

use rust_decimal::Decimal;

use super::context::{Context, read_context};
use crate::data::load::LoadOptions;
use crate::flags::{Flag, Grain, for_each_flag};
use crate::ir::Schema;

/// One flagged row: a line, a claim or a provider.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct RowKey {
    claim_id: Option<String>,
    line_no: Option<i32>,
    provider_id: Option<String>,
}

#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub flags: u64,
    pub claims: u64,
    pub amount: Decimal,
}

#[derive(Debug, Clone)]
pub struct RuleRow {
    pub rule_id: String,
    pub rule_name: String,
    pub category: String,
    pub severity: String,
    pub action: String,
    pub grain: Grain,
    pub tally: Tally,
}

#[derive(Debug, Clone)]
pub struct GroupRow {
    /// A provider id, a region code or a month (`2024-03`).
    pub key: String,
    pub tally: Tally,
}

/// A flag chosen for the list, with its place in the flags file.
#[derive(Debug, Clone)]
pub struct Listed {
    pub seq: u64,
    pub flag: Flag,
}

#[derive(Debug)]
pub struct Report {
    pub flags_file: String,
    pub dataset: String,
    pub ruleset: (String, String, String),
    pub totals: Tally,
    /// Flags without an amount (provider flags).
    pub flags_without_amount: u64,
    pub by_rule: Vec<RuleRow>,
    /// Most money at stake first.
    pub by_provider: Vec<GroupRow>,
    pub by_region: Vec<GroupRow>,
    /// In calendar order.
    pub by_month: Vec<GroupRow>,
    /// The flags on the list, in file order; all of them unless there are
    /// more than the list holds, then those with the most at stake.
    pub listed: Vec<Listed>,
    pub context: Context,
    pub notes: Vec<String>,
}

/// A row's place among the flags kept for the list: more money first,
/// then file order.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Rank(Decimal, Reverse<u64>);

struct Kept(Rank, Listed);
impl PartialEq for Kept {
    fn eq(&self, o: &Self) -> bool {
        self.0 == o.0
    }
}
impl Eq for Kept {}
impl PartialOrd for Kept {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Kept {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.0.cmp(&o.0)
    }
}

#[derive(Default)]
struct RuleAcc {
    row: Option<RuleRow>,
    claims: HashSet<String>,
}

/// Sums up the flags of `flags_file`, reading `data` for providers and
/// visit dates. `max_listed` bounds the flags kept for the list.
pub fn build_report(
    flags_file: &Path,
    data: &Path,
    schema: &Schema,
    options: &LoadOptions,
    max_listed: usize,
) -> Result<Report, String> {
    let mut rules: BTreeMap<String, RuleAcc> = BTreeMap::new();
    let mut rows: HashMap<RowKey, (Decimal, Option<String>)> = HashMap::new();
    let mut claim_flags: HashMap<String, u64> = HashMap::new();
    let mut provider_flags: HashMap<String, (u64, HashSet<String>)> = HashMap::new();
    let mut kept: BinaryHeap<Reverse<Kept>> = BinaryHeap::new();
    let mut ruleset = None;
    let mut flags_without_amount = 0u64;
    let mut seq = 0u64;
    for_each_flag(flags_file, &mut |flag| {
        seq += 1;
        if ruleset.is_none() {
            ruleset = Some((
                flag.ruleset.to_string(),
                flag.ruleset_version.to_string(),
                flag.ruleset_hash.to_string(),
            ));
        }
        let amount = flag.amount_at_stake.unwrap_or(Decimal::ZERO);
        if flag.amount_at_stake.is_none() {
            flags_without_amount += 1;
        }
        let acc = rules.entry(flag.rule_id.to_string()).or_default();
        let row = acc.row.get_or_insert_with(|| RuleRow {
            rule_id: flag.rule_id.to_string(),
            rule_name: flag.rule_name.to_string(),
            category: flag.category.to_string(),
            severity: flag.severity.to_string(),
            action: flag.action.to_string(),
            grain: flag.grain,
            tally: Tally::default(),
        });
        row.tally.flags += 1;
        row.tally.amount += amount;
        if let Some(claim) = &flag.claim_id {
            acc.claims.insert(claim.clone());
            *claim_flags.entry(claim.clone()).or_default() += 1;
        }
        if let Some(provider) = &flag.provider_id {
            let entry = provider_flags.entry(provider.clone()).or_default();
            entry.0 += 1;
            if let Some(claim) = &flag.claim_id {
                entry.1.insert(claim.clone());
            }
        }
        let key = RowKey {
            claim_id: flag.claim_id.clone(),
            line_no: flag.line_no,
            provider_id: match flag.grain {
                Grain::Provider => flag.provider_id.clone(),
                _ => None,
            },
        };
        let most = rows
            .entry(key)
            .or_insert((amount, flag.provider_id.clone()));
        most.0 = most.0.max(amount);
        let rank = Rank(amount, Reverse(seq));
        let candidate = Kept(rank, Listed { seq, flag });
        if kept.len() < max_listed {
            kept.push(Reverse(candidate));
        } else if kept
            .peek()
            .is_some_and(|Reverse(least)| least.0 < candidate.0)
        {
            kept.pop();
            kept.push(Reverse(candidate));
        }
        Ok(())
    })?;

    let flagged: HashSet<String> = claim_flags.keys().cloned().collect();
    let context = read_context(data, schema, &flagged, options);
    let region_of = |provider: &Option<String>| -> String {
        provider
            .as_ref()
            .and_then(|p| context.providers.get(p))
            .and_then(|p| p.region.clone())
            .unwrap_or_else(|| "未知".to_owned())
    };
    let month_of = |claim: &str| -> Option<String> {
        let days = *context.visit_days.get(claim)?;
        crate::ir::text::days_to_date(days).map(|d| d.format("%Y-%m").to_string())
    };

    let mut totals = Tally {
        flags: seq,
        claims: claim_flags.len() as u64,
        amount: Decimal::ZERO,
    };
    let mut by_provider: HashMap<String, Tally> = HashMap::new();
    let mut by_region: HashMap<String, Tally> = HashMap::new();
    let mut by_month: BTreeMap<String, Tally> = BTreeMap::new();
    for (key, (amount, provider)) in &rows {
        totals.amount += amount;
        if let Some(p) = provider {
            by_provider.entry(p.clone()).or_default().amount += amount;
        }
        by_region.entry(region_of(provider)).or_default().amount += amount;
        if let Some(month) = key.claim_id.as_deref().and_then(month_of) {
            by_month.entry(month).or_default().amount += amount;
        }
    }
    for (provider, (flags, claims)) in &provider_flags {
        let tally = by_provider.entry(provider.clone()).or_default();
        tally.flags = *flags;
        tally.claims = claims.len() as u64;
        let region = by_region
            .entry(region_of(&Some(provider.clone())))
            .or_default();
        region.flags += flags;
        region.claims += claims.len() as u64;
    }
    for (claim, flags) in &claim_flags {
        if let Some(month) = month_of(claim) {
            let tally = by_month.entry(month).or_default();
            tally.flags += flags;
            tally.claims += 1;
        }
    }

    let by_rule = rules
        .into_values()
        .filter_map(|acc| {
            let mut row = acc.row?;
            row.tally.claims = acc.claims.len() as u64;
            Some(row)
        })
        .collect();
    let mut listed: Vec<Listed> = kept.into_iter().map(|Reverse(k)| k.1).collect();
    listed.sort_by_key(|l| l.seq);
    let mut notes = context.notes.clone();
    if (listed.len() as u64) < seq {
        notes.push(format!(
            "标记共 {seq} 条, 列表中列出涉及金额最高的 {} 条; 全部标记见 Excel 导出",
            listed.len()
        ));
    }
    Ok(Report {
        flags_file: flags_file.display().to_string(),
        dataset: data.display().to_string(),
        ruleset: ruleset.unwrap_or_default(),
        totals,
        flags_without_amount,
        by_rule,
        by_provider: most_first(by_provider),
        by_region: most_first(by_region),
        by_month: by_month
            .into_iter()
            .map(|(key, tally)| GroupRow { key, tally })
            .collect(),
        listed,
        context,
        notes,
    })
}

/// Most money first, then most flags, then by key: the same order on every run.
fn most_first(groups: HashMap<String, Tally>) -> Vec<GroupRow> {
    let mut rows: Vec<GroupRow> = groups
        .into_iter()
        .map(|(key, tally)| GroupRow { key, tally })
        .collect();
    rows.sort_by(|a, b| {
        b.tally
            .amount
            .cmp(&a.tally.amount)
            .then(b.tally.flags.cmp(&a.tally.flags))
            .then(a.key.cmp(&b.key))
    });
    rows
}
