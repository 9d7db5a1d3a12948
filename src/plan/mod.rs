//! Plan: the whole ruleset compiled into one physical plan.
//!
//! Rules over the same table share one pass over it; every lookup along a
//! relation is built once and shared by every rule that follows it; keyed
//! rules whose first key is the same expression share one partitioning of
//! the rows; a column read by several rules is read once per batch.

mod display;
pub mod flag_pieces;
mod json;
pub mod pair_range;
pub mod partition;
pub mod physical;
mod reads;

pub use pair_range::{PairRange, PartnerBound};
pub use partition::{Exchange, Route, Routed};
pub use physical::{Operator, Phase};

use std::collections::{BTreeMap, BTreeSet};

use crate::ir::{Form, Rule, Ruleset, Step, TExpr, TExprKind, Var};

/// A table to read, and the columns of it the rules use.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TableLoad {
    pub table: String,
    pub columns: Vec<String>,
}

/// One pass over a table: the rules whose rows are that table's rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Pass {
    pub table: String,
    pub row_rules: Vec<usize>,
    pub keyed_rules: Vec<usize>,
}

/// Keyed rules on one table whose first key is the same expression share
/// the assignment of rows to partitions.
#[derive(Debug, Clone, PartialEq)]
pub struct Partitioning {
    pub table: String,
    /// As written in the first rule using it, e.g. `line.claim.patient_id`.
    pub key_text: String,
    pub key: TExpr,
    pub rules: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan<'r> {
    pub ruleset: &'r Ruleset,
    /// Indices into `ruleset.rules` of the rules this plan runs, in order.
    pub rules: Vec<usize>,
    pub loads: Vec<TableLoad>,
    /// (table, relation) pairs to build lookups for, with the rules using each.
    pub lookups: Vec<((String, String), Vec<usize>)>,
    pub passes: Vec<Pass>,
    pub partitionings: Vec<Partitioning>,
    /// Columns read by more than one rule: (table.column, rules).
    pub shared_columns: Vec<(String, Vec<usize>)>,
    /// How a scan splits the rows into partitions that run on their own.
    pub exchange: Exchange,
    /// Each keyed rule's keys as written (by rule index), for showing the
    /// plan: the source text is only at hand while planning.
    pub key_texts: BTreeMap<usize, Vec<String>>,
    /// Each rule's `match` as it runs (by rule index): the knowledge
    /// table, the columns its index hashes, and how rows are chosen.
    pub match_texts: BTreeMap<usize, String>,
    /// The rules (by index) whose `match` is found for each row, in plan
    /// order, each with the earlier rule whose lookup it shares when the
    /// two match alike (built once).
    pub row_matches: Vec<(usize, Option<usize>)>,
    /// Pair rules (by index) whose partners are searched within bounds
    /// their condition sets, with those bounds as written.
    pub pair_ranges: BTreeMap<usize, (PairRange, Vec<String>)>,
    /// Rules (by index) whose flags a partition may hand over in pieces as
    /// they are made (see `flag_pieces`).
    pub flags_in_pieces: BTreeSet<usize>,
}

impl Plan<'_> {
    /// The table a lookup reaches: a relation's target, or the knowledge
    /// table of a rule's `match` (which is not a pair's).
    pub fn lookup_target(&self, from: &str, relation: &str) -> Option<&str> {
        if let Some(r) = self.ruleset.schema.relation(from, relation) {
            return Some(&r.to_table);
        }
        self.row_match(from, relation)
            .map(|(_, k)| k.table.as_str())
    }

    /// The rule and `match` a lookup is built for, when it is a rule's
    /// match rather than a relation.
    pub fn row_match(&self, from: &str, relation: &str) -> Option<(&Rule, &crate::ir::Known)> {
        self.ruleset
            .rules
            .iter()
            .filter(|rule| rule.table == from)
            .filter_map(|rule| rule.row_match.as_ref().map(|k| (rule, k)))
            .find(|(rule, k)| crate::ir::Known::relation_name(&rule.id, &k.var) == relation)
    }

    /// The earlier rule whose match a lookup shares, when the two match
    /// alike: the scan builds the lookup once.
    pub fn shared_match(&self, from: &str, relation: &str) -> Option<&str> {
        let (rule, _) = self.row_match(from, relation)?;
        self.row_matches
            .iter()
            .find(|(i, _)| self.ruleset.rules[*i].id == rule.id)
            .and_then(|(_, first)| *first)
            .map(|first| self.ruleset.rules[first].id.as_str())
    }
}

/// Which rules to plan.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Only these rule ids (all when empty).
    pub only: Vec<String>,
    /// Leave out `batch_only` rules (real-time checks).
    pub skip_batch_only: bool,
}

impl Selection {
    /// Only the rules of these ids.
    pub fn only(ids: &[&str]) -> Selection {
        Selection {
            only: ids.iter().map(|id| id.to_string()).collect(),
            ..Selection::default()
        }
    }

    pub fn includes(&self, rule: &Rule) -> bool {
        (self.only.is_empty() || self.only.contains(&rule.id))
            && !(self.skip_batch_only && rule.batch_only)
    }
}

/// The table each variable of a rule ranges over.
fn var_table(rule: &Rule, var: Var) -> &str {
    match &rule.form {
        Form::Pair { table, .. } if var == Var::Partner => table,
        Form::Pair {
            known: Some(known), ..
        } if var == Var::Known => &known.table,
        Form::Population { entity_table, .. } if var == Var::Entity => entity_table,
        // The rule's own row, and `prev` (a row of the same table).
        Form::Row
        | Form::Group { .. }
        | Form::Window { .. }
        | Form::Sequence { .. }
        | Form::Pair { .. }
        | Form::Population { .. } => &rule.table,
    }
}

/// (table, column) or (table, relation) pairs.
type Pairs = BTreeSet<(String, String)>;

/// Every (table, column) a rule reads and every (table, relation) it follows.
fn reads(rule: &Rule, ruleset: &Ruleset) -> (Pairs, Pairs) {
    let mut columns = BTreeSet::new();
    let mut relations = BTreeSet::new();
    let follow =
        |start: &str, path: &[Step], relations: &mut BTreeSet<(String, String)>| -> String {
            let mut table = start.to_string();
            for step in path {
                relations.insert((table.clone(), step.relation.clone()));
                table = step.table.clone();
            }
            table
        };
    for expr in rule.exprs() {
        expr.walk(&mut |e| match &e.kind {
            TExprKind::Column { var, path, column } => {
                let table = follow(var_table(rule, *var), path, &mut relations);
                columns.insert((table, column.clone()));
            }
            TExprKind::Related { var, path } => {
                follow(var_table(rule, *var), path, &mut relations);
            }
            _ => {}
        });
    }
    // The flagged rows' identity, and the keys that order rows and name them in evidence.
    let flagged = match &rule.form {
        Form::Population { entity_table, .. } => entity_table.as_str(),
        Form::Row
        | Form::Group { .. }
        | Form::Window { .. }
        | Form::Sequence { .. }
        | Form::Pair { .. } => rule.table.as_str(),
    };
    let mut tables = vec![rule.table.clone(), flagged.to_string()];
    if let Form::Pair { table, known, .. } = &rule.form {
        tables.push(table.clone());
        // Knowledge rows are named in evidence by their columns, and
        // chosen by the dates they are in force.
        if let Some(known) = known
            && let Some(t) = ruleset.schema.table(&known.table)
        {
            for c in &t.columns {
                columns.insert((known.table.clone(), c.name.clone()));
            }
        }
    }
    if let Some(known) = &rule.row_match
        && let Some(t) = ruleset.schema.table(&known.table)
    {
        for c in &t.columns {
            columns.insert((known.table.clone(), c.name.clone()));
        }
    }
    for table_name in tables {
        let Some(table) = ruleset.schema.table(&table_name) else {
            continue;
        };
        for key in table.key.iter().flatten() {
            columns.insert((table_name.clone(), key.clone()));
        }
        if let Some(binding) = &table.flags {
            // The flagged row's amount, when the rule does not say its own.
            let amount = binding
                .amount
                .as_ref()
                .filter(|_| table_name == flagged && rule.amount.is_none());
            let paths = binding
                .fields
                .iter()
                .map(|(_, path, column)| (path, column));
            for (path, column) in paths.chain(amount.map(|(path, column)| (path, column))) {
                let mut current = table_name.clone();
                for relation in path {
                    relations.insert((current.clone(), relation.clone()));
                    current = ruleset
                        .schema
                        .relation(&current, relation)
                        .map(|r| r.to_table.clone())
                        .unwrap_or(current);
                }
                columns.insert((current, column.clone()));
            }
        }
    }
    // Following a relation reads its columns on both sides.
    for (table, relation) in &relations {
        if let Some(r) = ruleset.schema.relation(table, relation) {
            for c in &r.from_columns {
                columns.insert((r.from_table.clone(), c.clone()));
            }
            for c in &r.to_columns {
                columns.insert((r.to_table.clone(), c.clone()));
            }
        }
    }
    (columns, relations)
}

/// The expression a keyed rule partitions by: its first key. A pair rule
/// has one only when its first key reads alike on both rows of one table
/// (`other.patient_id = c.patient_id`): its rows and partners then split
/// by the same partitions as the other rules of that key; otherwise the
/// pair buckets its rows itself.
fn partition_key(rule: &Rule) -> Option<&TExpr> {
    match &rule.form {
        Form::Group { keys } | Form::Window { keys, .. } | Form::Sequence { keys, .. } => {
            keys.first()
        }
        Form::Pair { keys, table, .. } => keys
            .first()
            .filter(|(mine, theirs)| *table == rule.table && mine.mirrors(theirs))
            .map(|(mine, _)| mine),
        Form::Row | Form::Population { .. } => None,
    }
}

pub fn plan<'r>(
    ruleset: &'r Ruleset,
    selection: &Selection,
    sources: &crate::syntax::Sources,
) -> Plan<'r> {
    let rules: Vec<usize> = (0..ruleset.rules.len())
        .filter(|i| selection.includes(&ruleset.rules[*i]))
        .collect();
    let mut columns: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    let mut lookups: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for &i in &rules {
        let (cols, rels) = reads(&ruleset.rules[i], ruleset);
        for c in cols {
            columns.entry(c).or_default().push(i);
        }
        for r in rels {
            lookups.entry(r).or_default().push(i);
        }
    }
    let mut loads: Vec<TableLoad> = Vec::new();
    for table in &ruleset.schema.tables {
        let used: Vec<String> = table
            .columns
            .iter()
            .filter(|c| columns.contains_key(&(table.name.clone(), c.name.clone())))
            .map(|c| c.name.clone())
            .collect();
        if !used.is_empty() {
            loads.push(TableLoad {
                table: table.name.clone(),
                columns: used,
            });
        }
    }
    let mut passes: Vec<Pass> = Vec::new();
    let mut partitionings: Vec<Partitioning> = Vec::new();
    for &i in &rules {
        let rule = &ruleset.rules[i];
        let pass = match passes.iter_mut().find(|p| p.table == rule.table) {
            Some(p) => p,
            None => {
                passes.push(Pass {
                    table: rule.table.clone(),
                    row_rules: Vec::new(),
                    keyed_rules: Vec::new(),
                });
                passes.last_mut().expect("just pushed")
            }
        };
        if matches!(rule.form, Form::Row) {
            pass.row_rules.push(i);
        } else {
            pass.keyed_rules.push(i);
        }
        if let Some(key) = partition_key(rule) {
            match partitionings
                .iter_mut()
                .find(|p| p.table == rule.table && p.key == *key)
            {
                Some(p) => p.rules.push(i),
                None => partitionings.push(Partitioning {
                    table: rule.table.clone(),
                    key_text: text_of(sources, key),
                    key: key.clone(),
                    rules: vec![i],
                }),
            }
        }
    }
    let shared_columns = columns
        .into_iter()
        .filter(|(_, users)| users.len() > 1)
        .map(|((t, c), users)| (format!("{t}.{c}"), users))
        .collect();
    let loaded: Vec<String> = loads.iter().map(|l| l.table.clone()).collect();
    let followed: Vec<(String, String)> = lookups.keys().cloned().collect();
    let exchange = partition::derive(ruleset, &rules, &loaded, &followed);
    let key_texts = rules
        .iter()
        .map(|&i| (i, key_texts(sources, &ruleset.rules[i].form)))
        .filter(|(_, texts)| !texts.is_empty())
        .collect();
    let match_texts = rules
        .iter()
        .filter_map(|&i| match &ruleset.rules[i].form {
            Form::Pair {
                known: Some(known), ..
            } => Some((i, match_text(sources, known, "pair"))),
            _ => Some((
                i,
                match_text(sources, ruleset.rules[i].row_match.as_ref()?, "row"),
            )),
        })
        .collect();
    let row_matches = row_matches(ruleset, &rules);
    let pair_ranges = rules
        .iter()
        .filter_map(|&i| {
            let range = pair_range::pair_range(&ruleset.rules[i])?;
            let texts = std::iter::once(&range.search)
                .chain(&range.then)
                .map(|b| text_of(sources, &b.condition))
                .collect();
            Some((i, (range, texts)))
        })
        .collect();
    let flags_in_pieces = rules
        .iter()
        .copied()
        .filter(|&i| flag_pieces::flags_in_pieces(&ruleset.schema, &ruleset.rules[i]))
        .collect();
    Plan {
        ruleset,
        rules,
        loads,
        lookups: lookups.into_iter().collect(),
        passes,
        partitionings,
        shared_columns,
        exchange,
        key_texts,
        match_texts,
        row_matches,
        pair_ranges,
        flags_in_pieces,
    }
}

/// The rules with a `match` found for each row, each with the first earlier
/// rule over the same table that matches alike (`Known::fingerprint`).
fn row_matches(ruleset: &Ruleset, rules: &[usize]) -> Vec<(usize, Option<usize>)> {
    let mut seen: Vec<(String, usize)> = Vec::new();
    rules
        .iter()
        .filter_map(|&i| {
            let rule = &ruleset.rules[i];
            let print = rule.row_match.as_ref()?.fingerprint(&rule.table);
            let first = seen.iter().find(|(p, _)| *p == print).map(|(_, f)| *f);
            if first.is_none() {
                seen.push((print, i));
            }
            Some((i, first))
        })
        .collect()
}

/// `exclusive_items indexed on (item_a, item_b), probed per pair in either
/// order, in force as of line.service_date` (`per` a pair or a row).
fn match_text(sources: &crate::syntax::Sources, known: &crate::ir::Known, per: &str) -> String {
    let (mine, theirs) = known.sides();
    let columns: Vec<&str> = mine
        .iter()
        .chain(&theirs)
        .map(|(c, _)| c.as_str())
        .collect();
    let mut text = format!(
        "{} indexed on ({}), probed per {per}",
        known.table,
        columns.join(", ")
    );
    if known.either_order {
        text.push_str(" in either order");
    }
    if let Some(date) = &known.as_of {
        text.push_str(&format!(", in force as of {}", text_of(sources, date)));
    }
    text
}

/// A rule's keys as written: a pair's keys with their `=`, a population
/// rule's entity.
fn key_texts(sources: &crate::syntax::Sources, form: &Form) -> Vec<String> {
    match form {
        Form::Row => Vec::new(),
        Form::Group { keys } | Form::Window { keys, .. } | Form::Sequence { keys, .. } => {
            keys.iter().map(|k| text_of(sources, k)).collect()
        }
        Form::Pair { keys, .. } => keys
            .iter()
            .map(|(mine, partner)| text_spanning(sources, mine, partner))
            .collect(),
        Form::Population { entity, .. } => vec![text_of(sources, entity)],
    }
}

/// The text from the first of two expressions to the end of the other, as
/// written (`stay.patient_id = c.patient_id`).
fn text_spanning(sources: &crate::syntax::Sources, a: &TExpr, b: &TExpr) -> String {
    if a.span.file != b.span.file {
        return format!("{} = {}", text_of(sources, a), text_of(sources, b));
    }
    let start = a.span.start.min(b.span.start);
    let end = a.span.end.max(b.span.end);
    text_in(sources, a.span.file, start..end)
}

fn text_of(sources: &crate::syntax::Sources, e: &TExpr) -> String {
    text_in(sources, e.span.file, e.span.start..e.span.end)
}

fn text_in(
    sources: &crate::syntax::Sources,
    file: crate::syntax::FileId,
    range: std::ops::Range<usize>,
) -> String {
    sources
        .get(file)
        .text
        .get(range)
        .unwrap_or("?")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rule ids of each partitioning of a ruleset of a group rule by
    /// `c.patient_id` and a pair rule over claims `on` the given keys.
    fn partitionings_with_pair_on(on: &str) -> Vec<Vec<String>> {
        let header = "  category c\n  severity low\n  action warn\n  for c in claims\n";
        let text = format!(
            "ruleset \"p\" version \"1\"\n\
             rule G \"g\" {{\n{header}  group by c.patient_id\n  flag when count() > 1\n}}\n\
             rule P \"p\" {{\n{header}  pair with other in claims on {on}\n  flag when true\n}}\n"
        );
        let checked = crate::check::check_text(std::path::Path::new("p.rules"), &text);
        let ruleset = checked
            .ruleset
            .as_ref()
            .unwrap_or_else(|| panic!("{on}: {:?}", checked.diagnostics));
        plan(ruleset, &Selection::default(), &checked.sources)
            .partitionings
            .iter()
            .map(|p| {
                p.rules
                    .iter()
                    .map(|&i| ruleset.rules[i].id.clone())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn a_pair_shares_a_partitioning_only_when_its_first_key_reads_alike_on_both_rows() {
        assert_eq!(
            partitionings_with_pair_on("other.patient_id = c.patient_id"),
            [["G", "P"]]
        );
        assert_eq!(
            partitionings_with_pair_on("other.provider_id = c.patient_id"),
            [["G"]]
        );
    }
}
