//! The partition key: the value every keyed rule's rows share (for the
//! CHS rules, the patient), and how each table's rows reach it. A scan
//! routes every row of those tables to the partition of its key, so a
//! partition holds whole groups, windows, sequences and pairs and can run
//! on its own; every other table is read once and shared (broadcast).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::ir::{Form, Rule, Ruleset, Schema, TExpr, TExprKind};

/// How the rows of one partitioned table find their partition.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Route {
    /// By the value of these columns (the key itself).
    Columns { columns: Vec<String> },
    /// By the partition of the row a relation leads to (lines by their
    /// claim): that table is routed by its columns.
    Relation {
        relation: String,
        from_columns: Vec<String>,
        to_table: String,
        to_columns: Vec<String>,
    },
}

/// One table routed to partitions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Routed {
    pub table: String,
    pub route: Route,
    /// Whether the table's key is checked to be unique partition by
    /// partition, not while reading: rows with the same key share the
    /// columns they are routed by, so they meet in one partition, and no
    /// relation leads to the table, so nothing needs its keys while reading.
    pub key_checked_per_partition: bool,
    /// Whether the table's key is checked to be unique while its rows are
    /// routed, not by the loader: other tables are routed through it by
    /// that key, so the exchange keeps every key to route them and sees one
    /// that comes twice (the loader then names its row).
    pub key_checked_while_routing: bool,
    /// For a table routed through a required relation whose lookup the
    /// rules build: whether each row's related row is checked to exist in
    /// that lookup, partition by partition, not while reading (a row whose
    /// related row exists is in its partition).
    pub reference_checked_per_partition: bool,
    /// The relation whose related rows put this table's rows in order in
    /// each partition (claims in their patients' order, lines in their
    /// claims'), so that lookups along relations, and the rules reading
    /// through them, read memory in order rather than at random. Its
    /// target is a routed table ordered before this one, or not at all.
    pub ordered_by: Option<String>,
}

/// Whether and how a scan routes rows to partitions (the exchange).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Exchange {
    /// Rows are routed by `table.column` (reached through relations).
    Key {
        table: String,
        column: String,
        /// The tables routed, in the order a scan reads them (a table
        /// routed through a relation after the table it leads to).
        routed: Vec<Routed>,
        /// Tables every partition shares, read whole once.
        broadcast: Vec<String>,
    },
    /// All rows in one partition, and why.
    Whole { reason: String },
}

impl Exchange {
    pub fn routed(&self, table: &str) -> Option<&Route> {
        match self {
            Exchange::Key { routed, .. } => {
                routed.iter().find(|r| r.table == table).map(|r| &r.route)
            }
            Exchange::Whole { .. } => None,
        }
    }

    pub fn is_partitioned(&self) -> bool {
        matches!(self, Exchange::Key { .. })
    }

    /// Whether each partition orders `table` along `relation` (and so
    /// builds that lookup there).
    pub fn orders_by(&self, table: &str, relation: &str) -> bool {
        match self {
            Exchange::Key { routed, .. } => routed
                .iter()
                .any(|r| r.table == table && r.ordered_by.as_deref() == Some(relation)),
            Exchange::Whole { .. } => false,
        }
    }
}

/// Whether every row with the same key of a routed table lands in one
/// partition (its route reads only key columns) and no relation leads to
/// the table (the loader would keep its keys to check references anyway).
fn key_meets_in_one_partition(ruleset: &Ruleset, routed: &Routed) -> bool {
    let schema = &ruleset.schema;
    let Some(key) = schema.table(&routed.table).and_then(|t| t.key.as_ref()) else {
        return false;
    };
    let by = match &routed.route {
        Route::Columns { columns } => columns,
        Route::Relation { from_columns, .. } => from_columns,
    };
    let referred_to = schema
        .relations
        .iter()
        .any(|r| r.required && r.to_table == routed.table);
    !referred_to && by.iter().all(|c| key.contains(c))
}

/// The (table, column) an expression reads, when it is one column reached
/// from a row through relations.
fn column_reached(rule: &Rule, expr: &TExpr) -> Option<(String, String)> {
    let TExprKind::Column { var, path, column } = &expr.kind else {
        return None;
    };
    let table = path.last().map_or_else(
        || super::var_table(rule, *var).to_string(),
        |s| s.table.clone(),
    );
    Some((table, column.clone()))
}

/// The (table, column) the first field of a rule's flags at another grain
/// reads (`flag provider when`: the provider's id): its rows' flags merge
/// per provider, so a provider's rows must meet in one partition.
fn merged_key(schema: &Schema, rule: &Rule) -> Option<(String, String)> {
    let grain = rule.flag_as?;
    let binding = schema.table(&rule.table)?.flags_of(grain)?;
    let (_, relations, column) = binding.fields.first()?;
    let mut table = rule.table.clone();
    for name in relations {
        table = schema.relation(&table, name)?.to_table.clone();
    }
    Some((table, column.clone()))
}

/// The (table, column) each keyed rule's first key reads, or why it has none.
fn first_keys(schema: &Schema, rule: &Rule) -> Result<Vec<(String, String)>, String> {
    let mut keys = form_first_keys(rule)?;
    if rule.flag_as.is_some() {
        keys.push(merged_key(schema, rule).ok_or_else(|| {
            format!(
                "the flags of {} merge per row of another grain that names no column",
                rule.id
            )
        })?);
    }
    Ok(keys)
}

fn form_first_keys(rule: &Rule) -> Result<Vec<(String, String)>, String> {
    let no_column = || {
        format!(
            "the first key of {} is not a column, so its rows cannot be routed",
            rule.id
        )
    };
    match &rule.form {
        Form::Group { keys } | Form::Window { keys, .. } | Form::Sequence { keys, .. } => {
            let key = keys.first().ok_or_else(no_column)?;
            Ok(vec![column_reached(rule, key).ok_or_else(no_column)?])
        }
        Form::Pair { keys, .. } => {
            let (mine, partner) = keys.first().ok_or_else(no_column)?;
            Ok(vec![
                column_reached(rule, mine).ok_or_else(no_column)?,
                column_reached(rule, partner).ok_or_else(no_column)?,
            ])
        }
        Form::Row | Form::Population { .. } => Ok(Vec::new()),
    }
}

/// Derives the partitioning of the `rules` (indices into `ruleset.rules`)
/// over the `loaded` tables, following relations from the keyed rules'
/// shared first key; `lookups` are the (table, relation) pairs the rules follow.
pub fn derive(
    ruleset: &Ruleset,
    rules: &[usize],
    loaded: &[String],
    lookups: &[(String, String)],
) -> Exchange {
    match try_derive(ruleset, rules, loaded, lookups) {
        Ok(p) => p,
        Err(reason) => Exchange::Whole { reason },
    }
}

fn try_derive(
    ruleset: &Ruleset,
    rules: &[usize],
    loaded: &[String],
    lookups: &[(String, String)],
) -> Result<Exchange, String> {
    let schema = &ruleset.schema;
    // The keys keyed rules read first; they must all be one column.
    let mut anchors: BTreeMap<(String, String), Vec<&str>> = BTreeMap::new();
    for &i in rules {
        let rule = &ruleset.rules[i];
        for key in first_keys(schema, rule)? {
            anchors.entry(key).or_default().push(&rule.id);
        }
    }
    let mut found = anchors.into_iter();
    let Some(((table, column), _)) = found.next() else {
        return Err("no rule groups rows by a key".to_string());
    };
    if let Some(((other_table, other_column), users)) = found.next() {
        return Err(format!(
            "keyed rules start from different keys ({table}.{column} and \
             {other_table}.{other_column}, used by {})",
            users.join(", ")
        ));
    }
    // The key's table, and the tables whose key the key column names (the
    // patients of a claim), are routed by that value.
    let mut routed = vec![Routed {
        table: table.clone(),
        route: Route::Columns {
            columns: vec![column.clone()],
        },
        key_checked_per_partition: false,
        key_checked_while_routing: false,
        reference_checked_per_partition: false,
        ordered_by: None,
    }];
    for r in schema.relations_from(&table) {
        if r.from_columns == [column.clone()] && loaded.contains(&r.to_table) {
            routed.push(Routed {
                table: r.to_table.clone(),
                route: Route::Columns {
                    columns: r.to_columns.clone(),
                },
                key_checked_per_partition: false,
                key_checked_while_routing: false,
                reference_checked_per_partition: false,
                ordered_by: None,
            });
            // The key's table follows the first table its key leads to
            // (claims their patients), which keeps its own order.
            if routed[0].ordered_by.is_none() {
                routed[0].ordered_by = Some(r.name.clone());
            }
        }
    }
    // Tables that lead to a table routed by its columns (lines to their
    // claim) follow the row they lead to.
    for name in loaded {
        if routed.iter().any(|r| &r.table == name) {
            continue;
        }
        let via = schema.relations_from(name).find(|r| {
            routed
                .iter()
                .any(|t| t.table == r.to_table && matches!(t.route, Route::Columns { .. }))
        });
        if let Some(r) = via {
            routed.push(Routed {
                table: name.clone(),
                route: Route::Relation {
                    relation: r.name.clone(),
                    from_columns: r.from_columns.clone(),
                    to_table: r.to_table.clone(),
                    to_columns: r.to_columns.clone(),
                },
                key_checked_per_partition: false,
                key_checked_while_routing: false,
                reference_checked_per_partition: false,
                ordered_by: Some(r.name.clone()),
            });
        }
    }
    // Keys other tables are routed through, as (table, columns).
    let routed_through: Vec<(String, Vec<String>)> = routed
        .iter()
        .filter_map(|r| match &r.route {
            Route::Relation {
                to_table,
                to_columns,
                ..
            } => Some((to_table.clone(), to_columns.clone())),
            Route::Columns { .. } => None,
        })
        .collect();
    for r in &mut routed {
        r.key_checked_per_partition = key_meets_in_one_partition(ruleset, r);
        r.key_checked_while_routing = !r.key_checked_per_partition
            && schema
                .table(&r.table)
                .and_then(|t| t.key.as_ref())
                .is_some_and(|key| routed_through.contains(&(r.table.clone(), key.clone())));
        r.reference_checked_per_partition = match &r.route {
            Route::Relation { relation, .. } => {
                schema
                    .relation(&r.table, relation)
                    .is_some_and(|rel| rel.required)
                    && lookups
                        .iter()
                        .any(|(t, name)| *t == r.table && name == relation)
            }
            Route::Columns { .. } => false,
        };
    }
    let is_routed = |t: &str| routed.iter().any(|r| r.table == t);
    // Every rule with a key must run over routed rows.
    for &i in rules {
        let rule = &ruleset.rules[i];
        let keyed = !matches!(rule.form, Form::Row | Form::Population { .. });
        if keyed && !is_routed(&rule.table) {
            return Err(format!(
                "{} runs over {}, which does not reach {table}.{column}",
                rule.id, rule.table
            ));
        }
        if let Form::Population { entity_table, .. } = &rule.form
            && is_routed(entity_table)
        {
            return Err(format!(
                "{} compares {entity_table} rows, which are split between partitions",
                rule.id
            ));
        }
    }
    // A relation followed between routed tables must keep rows together.
    for (from, relation) in lookups {
        let Some(r) = schema.relation(from, relation) else {
            continue;
        };
        let keeps_together = match routed.iter().find(|t| &t.table == from).map(|t| &t.route) {
            None => !is_routed(&r.to_table),
            Some(_) if !is_routed(&r.to_table) => true,
            Some(Route::Relation { relation, .. }) => relation == &r.name,
            Some(Route::Columns { columns }) => {
                *columns == r.from_columns
                    && matches!(
                        routed.iter().find(|t| t.table == r.to_table).map(|t| &t.route),
                        Some(Route::Columns { columns }) if *columns == r.to_columns
                    )
            }
        };
        if !keeps_together {
            return Err(format!(
                "rules follow {from}.{relation} to {}, whose rows may be in another partition",
                r.to_table
            ));
        }
    }
    let broadcast = loaded.iter().filter(|t| !is_routed(t)).cloned().collect();
    Ok(Exchange::Key {
        table,
        column,
        routed,
        broadcast,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Selection, plan};

    #[test]
    fn the_chs_rules_partition_by_patient() {
        let checked = crate::check::check_shipped();
        let ruleset = checked.ruleset.as_ref().unwrap();
        let p = plan(ruleset, &Selection::default(), &checked.sources);
        let Exchange::Key {
            table,
            column,
            routed,
            broadcast,
        } = &p.exchange
        else {
            panic!("{:?}", p.exchange)
        };
        assert_eq!((table.as_str(), column.as_str()), ("claims", "patient_id"));
        let names: Vec<&str> = routed.iter().map(|r| r.table.as_str()).collect();
        assert_eq!(names, ["claims", "patients", "claim_items"]);
        assert_eq!(broadcast, &["catalog", "providers", "exclusive_items"]);
        assert!(matches!(
            &routed[2].route,
            Route::Relation { relation, .. } if relation == "claim"
        ));
        let ordered_by: Vec<Option<&str>> =
            routed.iter().map(|r| r.ordered_by.as_deref()).collect();
        assert_eq!(ordered_by, [Some("patient"), None, Some("claim")]);
    }

    #[test]
    fn row_rules_alone_run_whole() {
        let checked = crate::check::check_shipped();
        let ruleset = checked.ruleset.as_ref().unwrap();
        let selection = Selection {
            only: vec!["OOC-01".to_string()],
            skip_batch_only: false,
        };
        let p = plan(ruleset, &selection, &checked.sources);
        assert!(matches!(p.exchange, Exchange::Whole { .. }));
    }
}
