//! `claimaudit plan`: the plan as a person reads it, sharing made visible.

use std::fmt;

use super::{Exchange, Plan, Route};
use crate::ir::Form;

impl Plan<'_> {
    /// The operators, one a line, under the phase they run in.
    fn write_operators(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "operators (in the order a scan runs them):")?;
        for (phase, operators) in self.phases() {
            writeln!(f, "  {}:", phase.name())?;
            for op in operators {
                writeln!(f, "    {op}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Plan<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rules = &self.ruleset.rules;
        let ids = |list: &[usize]| {
            list.iter()
                .map(|i| rules[*i].id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(
            f,
            "plan for ruleset \"{}\" version {} ({} rules)",
            self.ruleset.name,
            self.ruleset.version,
            self.rules.len()
        )?;
        writeln!(f)?;
        self.write_operators(f)?;
        writeln!(f)?;
        writeln!(f, "read (only the columns the rules use):")?;
        let width = self
            .loads
            .iter()
            .map(|l| l.table.chars().count())
            .max()
            .unwrap_or(0)
            .max(12);
        for load in &self.loads {
            writeln!(f, "  {:<width$} {}", load.table, load.columns.join(", "))?;
        }
        writeln!(f)?;
        writeln!(f, "lookups (each built once, shared):")?;
        for ((table, relation), users) in &self.lookups {
            let target = self.lookup_target(table, relation).unwrap_or("?");
            writeln!(
                f,
                "  {table}.{relation} -> {target:<10} used by {}",
                ids(users)
            )?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "passes (one per table; row rules share each batch and its columns):"
        )?;
        for pass in &self.passes {
            writeln!(f, "  over {}:", pass.table)?;
            if !pass.row_rules.is_empty() {
                writeln!(f, "    row rules:   {}", ids(&pass.row_rules))?;
            }
            for &i in &pass.keyed_rules {
                writeln!(
                    f,
                    "    {:<12} {}",
                    format!("{} rule:", rules[i].form.name()),
                    rules[i].id
                )?;
            }
        }
        writeln!(f)?;
        match &self.exchange {
            Exchange::Key {
                table,
                column,
                routed,
                broadcast,
            } => {
                writeln!(
                    f,
                    "exchange (a scan runs one partition of {table}.{column} at a time):"
                )?;
                for r in routed {
                    match &r.route {
                        Route::Columns { columns } => {
                            write!(f, "  {:<12} routed by {}", r.table, columns.join(", "))?
                        }
                        Route::Relation {
                            relation, to_table, ..
                        } => write!(
                            f,
                            "  {:<12} routed with its {relation} ({to_table})",
                            r.table
                        )?,
                    }
                    if let Route::Relation { relation, .. } = &r.route
                        && r.reference_checked_per_partition
                    {
                        write!(f, "; its {relation} is found in its partition's lookup")?;
                    }
                    let key = self
                        .ruleset
                        .schema
                        .table(&r.table)
                        .and_then(|t| t.key.as_ref());
                    match key {
                        Some(key) if r.key_checked_per_partition => writeln!(
                            f,
                            "; its key ({}) meets in one partition and is checked there",
                            key.join(", ")
                        )?,
                        Some(key) if r.key_checked_while_routing => writeln!(
                            f,
                            "; its key ({}) is checked unique as it is kept to route the \
                             tables routed with it",
                            key.join(", ")
                        )?,
                        _ => writeln!(f)?,
                    }
                }
                if !broadcast.is_empty() {
                    writeln!(f, "  shared by every partition: {}", broadcast.join(", "))?;
                }
                let population: Vec<usize> = self
                    .rules
                    .iter()
                    .copied()
                    .filter(|i| matches!(rules[*i].form, Form::Population { .. }))
                    .collect();
                if !population.is_empty() {
                    writeln!(
                        f,
                        "  partial aggregates per partition, merged after: {}",
                        ids(&population)
                    )?;
                }
            }
            Exchange::Whole { reason } => {
                writeln!(f, "exchange: none, all rows in one partition ({reason})")?;
            }
        }
        writeln!(f)?;
        writeln!(
            f,
            "partitionings (keyed rules with the same first key share one):"
        )?;
        for p in &self.partitionings {
            writeln!(f, "  {} by {:<28} {}", p.table, p.key_text, ids(&p.rules))?;
        }
        if !self.shared_columns.is_empty() {
            writeln!(f)?;
            writeln!(f, "columns read once for several rules:")?;
            for (column, users) in &self.shared_columns {
                writeln!(f, "  {column:<32} {}", ids(users))?;
            }
        }
        Ok(())
    }
}
