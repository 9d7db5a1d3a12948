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

/// One flagged row: a line, a claim or a provider, by interned ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct RowKey {
    claim: Option<u32>,
    line_no: Option<i32>,
    provider: Option<u32>,
}

/// Ids seen among the flags, each stored once and named by its number:
/// millions of flags name the same claims in several sets.
#[derive(Default)]
struct Ids {
    numbers: HashMap<String, u32>,
    names: Vec<String>,
}

impl Ids {
    fn number(&mut self, id: &str) -> u32 {
        if let Some(n) = self.numbers.get(id) {
            return *n;
        }
        let n = self.names.len() as u32;
        self.names.push(id.to_owned());
        self.numbers.insert(id.to_owned(), n);
        n
    }
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
    claims: HashSet<u32>,
}

/// Flags between two calls of a progress callback.
pub const PROGRESS_EVERY: u64 = 4096;

/// Sums up the flags of `flags_file`, reading `data` for providers and
/// visit dates. `max_listed` bounds the flags kept for the list.
pub fn build_report(
    flags_file: &Path,
    data: &Path,
    schema: &Schema,
    options: &LoadOptions,
    max_listed: usize,
    progress: &dyn Fn(u64),
) -> Result<Report, String> {
    let mut rules: BTreeMap<String, RuleAcc> = BTreeMap::new();
    let mut claims = Ids::default();
    let mut providers = Ids::default();
    let mut rows: HashMap<RowKey, (Decimal, Option<u32>)> = HashMap::new();
    // Flags per claim, and per provider with its claims, by id number.
    let mut claim_flags: Vec<u64> = Vec::new();
    let mut provider_flags: Vec<(u64, HashSet<u32>)> = Vec::new();
    let mut kept: BinaryHeap<Reverse<Kept>> = BinaryHeap::new();
    let mut ruleset = None;
    let mut flags_without_amount = 0u64;
    let mut seq = 0u64;
    for_each_flag(flags_file, &mut |flag| {
        seq += 1;
        if seq.is_multiple_of(PROGRESS_EVERY) {
            progress(seq);
        }
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
        let claim = flag.claim_id.as_deref().map(|c| claims.number(c));
        let provider = flag.provider_id.as_deref().map(|p| providers.number(p));
        if let Some(c) = claim {
            acc.claims.insert(c);
            if claim_flags.len() <= c as usize {
                claim_flags.resize(c as usize + 1, 0);
            }
            claim_flags[c as usize] += 1;
        }
        if let Some(p) = provider {
            if provider_flags.len() <= p as usize {
                provider_flags.resize_with(p as usize + 1, Default::default);
            }
            let entry = &mut provider_flags[p as usize];
            entry.0 += 1;
            if let Some(c) = claim {
                entry.1.insert(c);
            }
        }
        let key = RowKey {
            claim,
            line_no: flag.line_no,
            provider: match flag.grain {
                Grain::Provider => provider,
                _ => None,
            },
        };
        let most = rows.entry(key).or_insert((amount, provider));
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
    progress(seq);

    let context = read_context(data, schema, &claims.numbers, options);
    let region_of = |provider: &Option<String>| -> String {
        provider
            .as_ref()
            .and_then(|p| context.providers.get(p))
            .and_then(|p| p.region.clone())
            .unwrap_or_else(|| "未知".to_owned())
    };
    // `2024-03-01` → `2024-03`.
    let month_of = |claim: &str| context.visit_date(Some(claim)).map(|d| d[..7].to_owned());

    let mut totals = Tally {
        flags: seq,
        claims: claims.names.len() as u64,
        amount: Decimal::ZERO,
    };
    let provider_name = |p: &Option<u32>| p.map(|p| providers.names[p as usize].clone());
    let mut by_provider: HashMap<String, Tally> = HashMap::new();
    let mut by_region: HashMap<String, Tally> = HashMap::new();
    let mut by_month: BTreeMap<String, Tally> = BTreeMap::new();
    for (key, (amount, provider)) in &rows {
        totals.amount += amount;
        let provider = provider_name(provider);
        if let Some(p) = &provider {
            by_provider.entry(p.clone()).or_default().amount += amount;
        }
        by_region.entry(region_of(&provider)).or_default().amount += amount;
        if let Some(month) = key.claim.and_then(|c| month_of(&claims.names[c as usize])) {
            by_month.entry(month).or_default().amount += amount;
        }
    }
    for (p, (flags, its_claims)) in provider_flags.iter().enumerate() {
        let provider = providers.names[p].clone();
        let region = by_region
            .entry(region_of(&Some(provider.clone())))
            .or_default();
        region.flags += flags;
        region.claims += its_claims.len() as u64;
        let tally = by_provider.entry(provider).or_default();
        tally.flags = *flags;
        tally.claims = its_claims.len() as u64;
    }
    for (c, flags) in claim_flags.iter().enumerate() {
        if let Some(month) = month_of(&claims.names[c]) {
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
