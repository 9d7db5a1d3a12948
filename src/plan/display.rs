//! `claimaudit plan`: the plan as a person reads it, sharing made visible.

use std::fmt;

use super::Plan;

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
        writeln!(f, "read (only the columns the rules use):")?;
        for load in &self.loads {
            writeln!(f, "  {:<12} {}", load.table, load.columns.join(", "))?;
        }
        writeln!(f)?;
        writeln!(f, "lookups (each built once, shared):")?;
        for ((table, relation), users) in &self.lookups {
            let target = self
                .ruleset
                .schema
                .relation(table, relation)
                .map(|r| r.to_table.as_str())
                .unwrap_or("?");
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
