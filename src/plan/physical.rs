//! The plan as the operators a scan runs, in order: what `claimaudit plan`
//! shows first. Derived from the plan alone, so it says what the scan
//! does without the scan knowing about it.

use std::fmt;

use serde::Serialize;

use super::{Exchange, Pass, Plan, Route};
use crate::ir::{Form, Grain};

/// The order flags are written in, and how the partitions' flags meet.
const FLAG_ORDER: &str = "rule_id, claim_id, line_no, provider_id";
const MERGE_PARTITIONED: &str = "sorted runs per partition";
const MERGE_WHOLE: &str = "one sorted run";
const AS_MADE: &str = "a rule's flags go to the runs as made when they outgrow memory";

/// One step of a scan.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Operator {
    /// Read a table's files, only these columns.
    Scan { table: String, columns: Vec<String> },
    /// Route a table's rows to the partitions; `unique_key`, when given,
    /// is checked to be unique in each partition instead of while reading.
    Exchange {
        table: String,
        route: Route,
        #[serde(skip_serializing_if = "Option::is_none")]
        unique_key: Option<Vec<String>>,
        /// A key checked to be unique as the exchange keeps it to route
        /// other tables through, instead of while reading.
        #[serde(skip_serializing_if = "Option::is_none")]
        key_checked_while_routing: Option<Vec<String>>,
        /// Whether the relation it is routed through is checked to lead to
        /// a row in each partition, instead of while reading.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        reference_checked: bool,
    },
    /// Hold a table whole, shared by every partition.
    Broadcast { table: String },
    /// Every row in one partition, and why.
    SinglePartition { reason: String },
    /// Put a partition's rows of `table` in the order of the rows of `to`
    /// its `relation` leads to (the lookup along it is built here, and kept).
    Order {
        table: String,
        relation: String,
        to: String,
        /// The rules that follow the lookup too (it is not built again).
        rules: Vec<String>,
    },
    /// Build the lookup along a relation, for these rules.
    Lookup {
        from: String,
        relation: String,
        to: String,
        rules: Vec<String>,
        /// For the `match` of a rule that is not a pair rule: how its
        /// knowledge rows are found.
        #[serde(skip_serializing_if = "Option::is_none")]
        matched: Option<String>,
    },
    /// Row rules, batch by batch over the table.
    RowRules { table: String, rules: Vec<String> },
    /// Rules flagging at another grain (`flag provider when`): their flags
    /// merged, one per rule and provider (claim, ...), in each partition.
    MergeFlags { grain: String, rules: Vec<String> },
    Group {
        rule: String,
        table: String,
        keys: Vec<String>,
        /// `flag once`: one flag per group.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        once: bool,
    },
    Window {
        rule: String,
        table: String,
        keys: Vec<String>,
    },
    Sequence {
        rule: String,
        table: String,
        keys: Vec<String>,
    },
    Pair {
        rule: String,
        table: String,
        partner: String,
        keys: Vec<String>,
        /// `match`: the knowledge table's index and how it is probed.
        #[serde(skip_serializing_if = "Option::is_none")]
        matched: Option<String>,
        /// Bounds of the condition each row's partners are searched within.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        within: Vec<String>,
    },
    /// A population rule's aggregates over one partition's rows.
    PartialAggregate {
        rule: String,
        table: String,
        per: String,
    },
    /// A population rule over all its rows at once.
    Population {
        rule: String,
        table: String,
        per: String,
    },
    /// The partial aggregates merged, and the entities compared with their peers.
    FinalAggregate { rule: String, per: String },
    /// Flags sorted and written.
    EmitFlags {
        order: String,
        merge: String,
        /// Rules whose flags a partition hands to the sorted runs in
        /// pieces as they are made, once they pass a share of the memory
        /// limit: each names its own row by its key, so no two are equal.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        in_pieces: Vec<String>,
        /// The other rules, whose flags are held until the rule ends
        /// (merged at another grain, or naming entities).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        held_whole: Vec<String>,
    },
}

/// When in a scan an operator runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Read,
    PerPartition,
    AfterEveryPartition,
    Output,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Read => "read",
            Phase::PerPartition => "per partition",
            Phase::AfterEveryPartition => "after every partition",
            Phase::Output => "output",
        }
    }
}

impl Plan<'_> {
    /// The operators a scan runs, in order.
    pub fn operators(&self) -> Vec<Operator> {
        self.phases().into_iter().flat_map(|(_, ops)| ops).collect()
    }

    /// The operators by phase, phases without any left out.
    pub fn phases(&self) -> Vec<(Phase, Vec<Operator>)> {
        let partitioned = self.exchange.is_partitioned();
        let shared = |table: &str| partitioned && self.exchange.routed(table).is_none();
        let per_partition: Vec<&Pass> = self.passes.iter().filter(|p| !shared(&p.table)).collect();
        let after: Vec<&Pass> = self.passes.iter().filter(|p| shared(&p.table)).collect();
        let mut read = self.scans();
        read.extend(self.exchanges());
        let mut running = self.orders();
        running.extend(self.lookups_for(&per_partition));
        for pass in &per_partition {
            running.extend(self.pass_operators(pass, partitioned));
        }
        let mut finishing = Vec::new();
        if partitioned {
            finishing.extend(self.final_aggregates(&per_partition));
            finishing.extend(self.lookups_for(&after));
        }
        for pass in &after {
            finishing.extend(self.pass_operators(pass, false));
        }
        let merge = if partitioned {
            MERGE_PARTITIONED
        } else {
            MERGE_WHOLE
        };
        let (pieces, whole): (Vec<usize>, Vec<usize>) = match partitioned {
            true => self
                .rules
                .iter()
                .partition(|r| self.flags_in_pieces.contains(r)),
            false => Default::default(),
        };
        let ids = |rules: Vec<usize>| -> Vec<String> {
            let ids = rules.into_iter().map(|r| self.ruleset.rules[r].id.clone());
            ids.collect()
        };
        let (in_pieces, held_whole) = match pieces.is_empty() {
            true => Default::default(),
            false => (ids(pieces), ids(whole)),
        };
        let output = vec![Operator::EmitFlags {
            order: FLAG_ORDER.to_string(),
            merge: merge.to_string(),
            in_pieces,
            held_whole,
        }];
        [
            (Phase::Read, read),
            (Phase::PerPartition, running),
            (Phase::AfterEveryPartition, finishing),
            (Phase::Output, output),
        ]
        .into_iter()
        .filter(|(_, ops)| !ops.is_empty())
        .collect()
    }

    fn ids(&self, rules: &[usize]) -> Vec<String> {
        rules
            .iter()
            .map(|&i| self.ruleset.rules[i].id.clone())
            .collect()
    }

    fn scans(&self) -> Vec<Operator> {
        self.loads
            .iter()
            .map(|l| Operator::Scan {
                table: l.table.clone(),
                columns: l.columns.clone(),
            })
            .collect()
    }

    fn exchanges(&self) -> Vec<Operator> {
        match &self.exchange {
            Exchange::Key {
                routed, broadcast, ..
            } => {
                let schema = &self.ruleset.schema;
                let routes = routed.iter().map(|r| Operator::Exchange {
                    table: r.table.clone(),
                    route: r.route.clone(),
                    unique_key: r
                        .key_checked_per_partition
                        .then(|| schema.table(&r.table).and_then(|t| t.key.clone()))
                        .flatten(),
                    key_checked_while_routing: r
                        .key_checked_while_routing
                        .then(|| schema.table(&r.table).and_then(|t| t.key.clone()))
                        .flatten(),
                    reference_checked: r.reference_checked_per_partition,
                });
                let shared = broadcast
                    .iter()
                    .map(|t| Operator::Broadcast { table: t.clone() });
                routes.chain(shared).collect()
            }
            Exchange::Whole { reason } => vec![Operator::SinglePartition {
                reason: reason.clone(),
            }],
        }
    }

    /// How each partition's routed tables are put in order, in the order
    /// it is done.
    fn orders(&self) -> Vec<Operator> {
        let Exchange::Key { routed, .. } = &self.exchange else {
            return Vec::new();
        };
        routed
            .iter()
            .filter_map(|r| {
                let relation = r.ordered_by.as_ref()?;
                let users = self
                    .lookups
                    .iter()
                    .find(|((from, followed), _)| *from == r.table && followed == relation)
                    .map(|(_, users)| self.ids(users))
                    .unwrap_or_default();
                Some(Operator::Order {
                    table: r.table.clone(),
                    relation: relation.clone(),
                    to: self.lookup_target(&r.table, relation)?.to_string(),
                    rules: users,
                })
            })
            .collect()
    }

    /// The lookups the rules of these passes follow, each with its users
    /// (those an order step builds are shown with it).
    fn lookups_for(&self, passes: &[&Pass]) -> Vec<Operator> {
        let runs = |i: &usize| {
            passes
                .iter()
                .any(|p| p.row_rules.contains(i) || p.keyed_rules.contains(i))
        };
        self.lookups
            .iter()
            .filter(|(_, users)| users.iter().any(runs))
            .filter(|((from, relation), _)| !self.exchange.orders_by(from, relation))
            .map(|((from, relation), users)| Operator::Lookup {
                from: from.clone(),
                relation: relation.clone(),
                to: self
                    .lookup_target(from, relation)
                    .unwrap_or("?")
                    .to_string(),
                rules: self.ids(users),
                matched: match self.ruleset.schema.relation(from, relation) {
                    Some(_) => None,
                    None => match self.shared_match(from, relation) {
                        Some(first) => Some(format!("shares the lookup of {first}")),
                        None => users.iter().find_map(|i| self.match_texts.get(i).cloned()),
                    },
                },
            })
            .collect()
    }

    /// A pass: its row rules together, then each keyed rule by its form.
    fn pass_operators(&self, pass: &Pass, partial: bool) -> Vec<Operator> {
        let mut ops = Vec::new();
        if !pass.row_rules.is_empty() {
            ops.push(Operator::RowRules {
                table: pass.table.clone(),
                rules: self.ids(&pass.row_rules),
            });
        }
        ops.extend(
            pass.keyed_rules
                .iter()
                .filter_map(|&i| self.keyed_operator(i, partial)),
        );
        for grain in [Grain::Line, Grain::Claim, Grain::Provider] {
            let merged: Vec<usize> = pass
                .row_rules
                .iter()
                .chain(&pass.keyed_rules)
                .copied()
                .filter(|&i| self.ruleset.rules[i].flag_as == Some(grain))
                .collect();
            if !merged.is_empty() {
                ops.push(Operator::MergeFlags {
                    grain: grain.as_str().to_string(),
                    rules: self.ids(&merged),
                });
            }
        }
        ops
    }

    fn keys(&self, rule: usize) -> Vec<String> {
        self.key_texts.get(&rule).cloned().unwrap_or_default()
    }

    /// What an entity is as written (`line.claim.provider`).
    fn per(&self, rule: usize) -> String {
        self.keys(rule).join(", ")
    }

    fn keyed_operator(&self, i: usize, partial: bool) -> Option<Operator> {
        let r = &self.ruleset.rules[i];
        let (rule, table, keys) = (r.id.clone(), r.table.clone(), self.keys(i));
        Some(match &r.form {
            Form::Row => return None,
            Form::Group { .. } => Operator::Group {
                rule,
                table,
                keys,
                once: r.flag_once,
            },
            Form::Window { .. } => Operator::Window { rule, table, keys },
            Form::Sequence { .. } => Operator::Sequence { rule, table, keys },
            Form::Pair { table: partner, .. } => Operator::Pair {
                rule,
                table,
                partner: partner.clone(),
                keys,
                matched: self.match_texts.get(&i).cloned(),
                within: self
                    .pair_ranges
                    .get(&i)
                    .map(|(_, texts)| texts.clone())
                    .unwrap_or_default(),
            },
            Form::Population { .. } if partial => Operator::PartialAggregate {
                rule,
                table,
                per: self.per(i),
            },
            Form::Population { .. } => Operator::Population {
                rule,
                table,
                per: self.per(i),
            },
        })
    }

    /// Population rules that left partial aggregates in the partitions.
    fn final_aggregates(&self, passes: &[&Pass]) -> Vec<Operator> {
        passes
            .iter()
            .flat_map(|p| &p.keyed_rules)
            .filter(|&&i| is_population(&self.ruleset.rules[i].form))
            .map(|&i| Operator::FinalAggregate {
                rule: self.ruleset.rules[i].id.clone(),
                per: self.per(i),
            })
            .collect()
    }
}

fn is_population(form: &Form) -> bool {
    match form {
        Form::Population { .. } => true,
        Form::Row
        | Form::Group { .. }
        | Form::Window { .. }
        | Form::Sequence { .. }
        | Form::Pair { .. } => false,
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operator::Scan { table, columns } => {
                write!(f, "scan {table} ({})", columns.join(", "))
            }
            Operator::Exchange {
                table,
                route,
                unique_key,
                key_checked_while_routing,
                reference_checked,
            } => {
                match route {
                    Route::Columns { columns } => {
                        write!(f, "exchange {table} by {}", columns.join(", "))?
                    }
                    Route::Relation {
                        relation, to_table, ..
                    } => write!(f, "exchange {table} with its {relation} ({to_table})")?,
                }
                if let Route::Relation { relation, .. } = route
                    && *reference_checked
                {
                    write!(f, ", its {relation} checked per partition")?;
                }
                if let Some(key) = key_checked_while_routing {
                    write!(f, ", key ({}) checked unique while routing", key.join(", "))?;
                }
                match unique_key {
                    Some(key) => write!(f, ", key ({}) unique per partition", key.join(", ")),
                    None => Ok(()),
                }
            }
            Operator::Broadcast { table } => write!(f, "broadcast {table}"),
            Operator::Order {
                table,
                relation,
                to,
                rules,
            } => {
                write!(
                    f,
                    "order {table} by its {relation}'s row unless nearly so, \
                     with lookup {table}.{relation} -> {to}"
                )?;
                match rules.is_empty() {
                    true => Ok(()),
                    false => write!(f, " for {}", rules.join(", ")),
                }
            }
            Operator::SinglePartition { reason } => {
                write!(f, "single partition ({reason})")
            }
            Operator::Lookup {
                from,
                relation,
                to,
                rules,
                matched,
            } => match matched {
                Some(how) => write!(
                    f,
                    "lookup {from}.{relation}: {how}, for {}",
                    rules.join(", ")
                ),
                None => write!(
                    f,
                    "lookup {from}.{relation} -> {to} for {}",
                    rules.join(", ")
                ),
            },
            Operator::MergeFlags { grain, rules } => {
                write!(
                    f,
                    "merge the flags of {}: one per {grain}",
                    rules.join(", ")
                )
            }
            Operator::RowRules { table, rules } => {
                write!(f, "row rules over {table}: {}", rules.join(", "))
            }
            Operator::Group {
                rule,
                table,
                keys,
                once,
            } => {
                keyed(f, "group", rule, table, keys)?;
                match once {
                    true => write!(f, ", flagged once per group"),
                    false => Ok(()),
                }
            }
            Operator::Window { rule, table, keys } => keyed(f, "window", rule, table, keys),
            Operator::Sequence { rule, table, keys } => keyed(f, "sequence", rule, table, keys),
            Operator::Pair {
                rule,
                table,
                partner,
                keys,
                matched,
                within,
            } => {
                write!(
                    f,
                    "pair {rule} over {table} with {partner} on {}",
                    keys.join(", ")
                )?;
                if let Some(m) = matched {
                    write!(f, ", match {m}")?;
                }
                match within.split_first() {
                    Some((search, then)) => {
                        write!(f, ", partners searched by {search}")?;
                        then.iter().try_for_each(|t| write!(f, " then {t}"))
                    }
                    None => Ok(()),
                }
            }
            Operator::PartialAggregate { rule, table, per } => {
                write!(f, "partial aggregate {rule} over {table} per {per}")
            }
            Operator::Population { rule, table, per } => {
                write!(f, "population {rule} over {table} per {per}")
            }
            Operator::FinalAggregate { rule, per } => {
                write!(f, "final aggregate {rule} per {per}")
            }
            Operator::EmitFlags {
                order,
                merge,
                in_pieces,
                held_whole,
            } => {
                write!(f, "emit flags ordered by {order} (merge: {merge}")?;
                match (in_pieces.is_empty(), held_whole.is_empty()) {
                    (true, _) => {}
                    (false, true) => write!(f, "; {AS_MADE}")?,
                    (false, false) => write!(
                        f,
                        "; {AS_MADE}, but {}'s are held to the rule's end",
                        held_whole.join(", ")
                    )?,
                }
                write!(f, ")")
            }
        }
    }
}

fn keyed(
    f: &mut fmt::Formatter<'_>,
    form: &str,
    rule: &str,
    table: &str,
    keys: &[String],
) -> fmt::Result {
    write!(f, "{form} {rule} over {table} by {}", keys.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Selection, plan};

    /// The shipped plan's operators, and the ids of its keyed rules.
    fn shipped_operators() -> (Vec<Operator>, Vec<String>) {
        let checked = crate::check::check_shipped();
        let ruleset = checked.ruleset.as_ref().unwrap();
        let p = plan(ruleset, &Selection::default(), &checked.sources);
        let keyed = p
            .passes
            .iter()
            .flat_map(|pass| &pass.keyed_rules)
            .map(|&i| ruleset.rules[i].id.clone())
            .collect();
        (p.operators(), keyed)
    }

    #[test]
    fn the_shipped_plan_routes_the_claim_tables_and_shares_the_rest() {
        let (ops, _) = shipped_operators();
        let exchanged: Vec<&str> = ops
            .iter()
            .filter_map(|op| match op {
                Operator::Exchange { table, .. } => Some(table.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(exchanged, ["claims", "patients", "claim_items"]);
        let broadcast: Vec<&str> = ops
            .iter()
            .filter_map(|op| match op {
                Operator::Broadcast { table } => Some(table.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(broadcast, ["catalog", "providers", "exclusive_items"]);
    }

    #[test]
    fn a_population_rule_aggregates_in_two_steps_when_partitioned() {
        let (ops, _) = shipped_operators();
        let at = |wanted: fn(&Operator) -> bool| ops.iter().position(wanted);
        let partial =
            at(|op| matches!(op, Operator::PartialAggregate { rule, .. } if rule == "UPC-01"));
        let last = at(|op| matches!(op, Operator::FinalAggregate { rule, .. } if rule == "UPC-01"));
        assert!(partial.is_some() && last.is_some(), "{ops:#?}");
        assert!(partial < last);
        assert!(
            !ops.iter()
                .any(|op| matches!(op, Operator::Population { .. }))
        );
    }

    #[test]
    fn each_keyed_rule_has_one_operator() {
        let (ops, mut keyed) = shipped_operators();
        let mut ran: Vec<String> = ops
            .iter()
            .filter_map(|op| match op {
                Operator::Group { rule, .. }
                | Operator::Window { rule, .. }
                | Operator::Sequence { rule, .. }
                | Operator::Pair { rule, .. }
                | Operator::PartialAggregate { rule, .. }
                | Operator::Population { rule, .. } => Some(rule.clone()),
                _ => None,
            })
            .collect();
        keyed.sort();
        ran.sort();
        assert!(keyed.len() > 5, "{keyed:?}");
        assert_eq!(ran, keyed);
        assert!(matches!(ops.last(), Some(Operator::EmitFlags { .. })));
    }
}
