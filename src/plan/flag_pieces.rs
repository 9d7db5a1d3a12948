//! Which rules' flags may leave a partition in pieces, as they are made.
//!
//! Flags are written sorted by rule, claim id, line number and provider id;
//! flags equal in those keep the order they were made in. A rule whose
//! every flag names its own row, by a key of the flagged table that those
//! fields hold, makes no two flags equal: its flags come out the same in
//! whatever pieces they reach the sorted runs. A long history's flags
//! (hundreds of thousands, each naming twenty other rows) can then go to
//! the runs while the rule is still making them, instead of being held
//! until it ends.

use crate::ir::{FlagField, Form, Rule, Schema};

/// Whether `rule`'s flags may be handed over in pieces in any order.
pub fn flags_in_pieces(schema: &Schema, rule: &Rule) -> bool {
    // Flags at another grain are merged, and a population rule flags
    // entities (a provider compared with its peers), not rows.
    if rule.flag_as.is_some() || matches!(rule.form, Form::Population { .. }) {
        return false;
    }
    let Some(table) = schema.table(&rule.table) else {
        return false;
    };
    let (Some(key), Some(binding)) = (&table.key, &table.flags) else {
        return false;
    };
    let ordered = |column: &str| {
        binding.fields.iter().any(|(field, path, bound)| {
            path.is_empty()
                && bound == column
                && matches!(
                    field,
                    FlagField::ClaimId | FlagField::LineNo | FlagField::ProviderId
                )
        })
    };
    // A null key would leave two rows' flags alike.
    let present = |column: &str| table.column(column).is_some_and(|c| !c.nullable);
    !key.is_empty() && key.iter().all(|c| ordered(c) && present(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule<'r>(ruleset: &'r crate::ir::Ruleset, id: &str) -> &'r Rule {
        ruleset.rules.iter().find(|r| r.id == id).unwrap()
    }

    #[test]
    fn rules_flagging_lines_and_claims_by_their_keys_go_in_pieces() {
        let checked = crate::check::check_shipped();
        let ruleset = checked.ruleset.as_ref().unwrap();
        for id in [
            "DUP-01", "FREQ-01", "MUTEX-01", "GHOST-03", "STAY-01", "OOC-01",
        ] {
            assert!(flags_in_pieces(&ruleset.schema, rule(ruleset, id)), "{id}");
        }
    }

    #[test]
    fn merged_and_population_flags_are_held() {
        let checked = crate::check::check_shipped();
        let ruleset = checked.ruleset.as_ref().unwrap();
        let held: Vec<&str> = ruleset
            .rules
            .iter()
            .filter(|r| !flags_in_pieces(&ruleset.schema, r))
            .map(|r| r.id.as_str())
            .collect();
        for r in &ruleset.rules {
            let merged_or_population =
                r.flag_as.is_some() || matches!(r.form, Form::Population { .. });
            assert_eq!(
                held.contains(&r.id.as_str()),
                merged_or_population,
                "{}",
                r.id
            );
        }
    }
}
