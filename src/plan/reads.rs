//! Plans that only read: what to load when a caller wants tables, not
//! flags. Decided here, with the rest of what a plan reads, so no caller
//! edits a plan's loads to get a different set of tables or columns.

use std::collections::BTreeMap;

use super::{Plan, TableLoad};
use crate::ir::Ruleset;

impl<'r> Plan<'r> {
    /// Runs no rules and reads every column of `tables`, in the contract's
    /// column order: a dataset's claims read whole (history import).
    pub fn whole_tables(ruleset: &'r Ruleset, tables: &[String]) -> Plan<'r> {
        let loads = ruleset
            .schema
            .tables
            .iter()
            .filter(|t| tables.contains(&t.name))
            .map(|t| TableLoad {
                table: t.name.clone(),
                columns: t.columns.iter().map(|c| c.name.clone()).collect(),
            })
            .collect();
        Plan::reading(ruleset, loads)
    }

    /// Runs no rules and reads what this plan reads, but for `tables`: the
    /// reference tables of a real-time plan, whose claim tables come with
    /// each check instead.
    pub fn reads_except(&self, tables: &[String]) -> Plan<'r> {
        let loads = self
            .loads
            .iter()
            .filter(|l| !tables.contains(&l.table))
            .cloned()
            .collect();
        Plan::reading(self.ruleset, loads)
    }

    fn reading(ruleset: &'r Ruleset, loads: Vec<TableLoad>) -> Plan<'r> {
        Plan {
            ruleset,
            rules: Vec::new(),
            loads,
            lookups: Vec::new(),
            passes: Vec::new(),
            partitionings: Vec::new(),
            shared_columns: Vec::new(),
            exchange: super::Exchange::Whole {
                reason: "it runs no rules".to_string(),
            },
            key_texts: BTreeMap::new(),
            match_texts: BTreeMap::new(),
            row_matches: Vec::new(),
            pair_ranges: BTreeMap::new(),
            flags_in_pieces: Default::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Selection, plan};

    #[test]
    fn whole_tables_reads_every_column_and_runs_nothing() {
        let checked = crate::check::check_shipped();
        let ruleset = checked.ruleset.as_ref().unwrap();
        let p = Plan::whole_tables(ruleset, &["claims".to_string()]);
        let claims = ruleset.schema.table("claims").unwrap();
        let all: Vec<String> = claims.columns.iter().map(|c| c.name.clone()).collect();
        assert_eq!(p.loads.len(), 1);
        assert_eq!(p.loads[0].columns, all);
        assert!(p.rules.is_empty() && p.passes.is_empty() && p.lookups.is_empty());
    }

    #[test]
    fn reads_except_keeps_the_other_loads_as_planned() {
        let checked = crate::check::check_shipped();
        let ruleset = checked.ruleset.as_ref().unwrap();
        let full = plan(ruleset, &Selection::default(), &checked.sources);
        let except = ["claims".to_string()];
        let p = full.reads_except(&except);
        let expected: Vec<_> = full
            .loads
            .iter()
            .filter(|l| l.table != "claims")
            .cloned()
            .collect();
        assert!(!expected.is_empty());
        assert_eq!(p.loads, expected);
        assert!(p.rules.is_empty() && p.passes.is_empty());
    }
}
