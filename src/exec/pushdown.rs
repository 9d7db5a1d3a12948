//! Conditions of a keyed rule that are the same for every row of a key
//! group: tested before grouping, they drop whole groups that cannot flag.
//!
//! FREQ-01 groups lines by (patient, item, day) and flags when
//! `line.entry.max_daily_qty is not null and sum(...) > ...`. The first test
//! reads the catalog entry of `line.item_code`, a key: it has one value in
//! a group, so a row where it is not true lies in a group where no row can
//! flag, and the group's aggregates are never needed.

use crate::ir::{Form, Rule, Schema, Step, TExpr, TExprKind, Var};

/// The top-level conjuncts of `rule`'s condition that read nothing but the
/// rule's keys and rows related through them (and constants). Empty for
/// rules that are not grouped by keys.
pub fn group_constant_conjuncts<'r>(rule: &'r Rule, schema: &Schema) -> Vec<&'r TExpr> {
    let keys = match &rule.form {
        Form::Group { keys } | Form::Window { keys, .. } | Form::Sequence { keys, .. } => keys,
        Form::Row | Form::Pair { .. } | Form::Population { .. } => return Vec::new(),
    };
    let mut conjuncts = Vec::new();
    split_and(&rule.condition, &mut conjuncts);
    conjuncts
        .into_iter()
        .filter(|c| reads_only_keys(c, keys, schema, &rule.table))
        .collect()
}

fn split_and<'r>(e: &'r TExpr, out: &mut Vec<&'r TExpr>) {
    if let TExprKind::And(a, b) = &e.kind {
        split_and(a, out);
        split_and(b, out);
    } else {
        out.push(e);
    }
}

fn reads_only_keys(e: &TExpr, keys: &[TExpr], schema: &Schema, table: &str) -> bool {
    let mut only_keys = true;
    e.walk(&mut |node| match &node.kind {
        TExprKind::Column {
            var: Var::Row,
            path,
            column,
        } => {
            if !determined(path, column, keys, schema, table) {
                only_keys = false;
            }
        }
        TExprKind::Const(_)
        | TExprKind::Param(_)
        | TExprKind::MapParam { .. }
        | TExprKind::Not(_)
        | TExprKind::Neg(_)
        | TExprKind::And(..)
        | TExprKind::Or(..)
        | TExprKind::Compare { .. }
        | TExprKind::Arith { .. }
        | TExprKind::StartsWith(..)
        | TExprKind::Matches { .. }
        | TExprKind::Between { .. }
        | TExprKind::InList { .. }
        | TExprKind::InSet { .. }
        | TExprKind::InArray { .. }
        | TExprKind::IsNull(_)
        | TExprKind::Call { .. } => {}
        // Lets, aggregates, quantiles, list elements, other variables.
        _ => only_keys = false,
    });
    only_keys
}

/// Whether `path`.`column` from the rule's row is a key, or is read from a
/// row reached by a relation whose columns are keys.
fn determined(path: &[Step], column: &str, keys: &[TExpr], schema: &Schema, table: &str) -> bool {
    if is_key(path, column, keys) {
        return true;
    }
    let mut current = table;
    for (k, step) in path.iter().enumerate() {
        if let Some(relation) = schema.relation(current, &step.relation)
            && relation
                .from_columns
                .iter()
                .all(|c| is_key(&path[..k], c, keys))
        {
            return true;
        }
        current = &step.table;
    }
    false
}

fn is_key(path: &[Step], column: &str, keys: &[TExpr]) -> bool {
    keys.iter().any(|key| {
        matches!(&key.kind, TExprKind::Column { var: Var::Row, path: p, column: c }
            if c == column
                && p.len() == path.len()
                && p.iter().zip(path).all(|(a, b)| a.relation == b.relation))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::check_shipped;

    fn pushed(id: &str) -> usize {
        let checked = check_shipped();
        let ruleset = checked.ruleset.as_ref().unwrap();
        let rule = ruleset.rules.iter().find(|r| r.id == id).unwrap();
        group_constant_conjuncts(rule, &ruleset.schema).len()
    }

    #[test]
    fn a_test_of_the_entry_of_a_key_item_is_pushed_down() {
        // FREQ-01: `line.entry.max_daily_qty is not null`, through `line.item_code`.
        assert_eq!(pushed("FREQ-01"), 1);
    }

    #[test]
    fn tests_of_aggregates_or_other_rows_stay() {
        // DUP-01 and GHOST-03 test only aggregates; SPLIT-01 reads prev; QTY-02
        // the line's own days_supply; OOC-01 is not grouped.
        assert_eq!(pushed("DUP-01"), 0);
        assert_eq!(pushed("SPLIT-01"), 0);
        assert_eq!(pushed("GHOST-03"), 0);
        assert_eq!(pushed("QTY-02"), 0);
        assert_eq!(pushed("OOC-01"), 0);
    }
}
