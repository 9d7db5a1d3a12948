//! Pair rules whose condition bounds a value of the partner by a value of
//! the row (`stay.admit_date < c.admit_date and c.admit_date <
//! stay.discharge_date`): of a key's partners, only those inside the
//! bounds are paired with a row, found by a search in the partners sorted
//! by the bounded value, instead of every partner of the key being paired
//! and the condition deciding. One patient with 29,000 visits and 725
//! stays is 21 million pairs tried one by one, and a few hundred found.
//!
//! Only a pair the condition could flag is left out: the condition is an
//! `and` of its parts, and a pair outside a bound makes that part false
//! or null. The pairs kept are evaluated as before, in the same order, so
//! the flags are the same.

use crate::ir::{CompareOp, Form, Rule, TExpr, TExprKind, Type, Var};

/// One part of a pair rule's condition, read as `partner op row`.
#[derive(Debug, Clone, PartialEq)]
pub struct PartnerBound {
    /// The partner's column (`stay.admit_date`).
    pub partner: TExpr,
    /// The row's column it is compared with (`c.admit_date`).
    pub row: TExpr,
    /// The partner's value must be below the row's (`<`, `<=`); else above.
    pub below: bool,
    /// Equal values pass (`<=`, `>=`).
    pub inclusive: bool,
    /// The part of the condition, for the plan (`stay.admit_date < c.admit_date`).
    pub condition: TExpr,
}

impl PartnerBound {
    /// Whether a partner's value passes the bound, given how it compares
    /// with the row's (`partner_to_row`, both present), as the comparison
    /// would find.
    pub fn holds(&self, partner_to_row: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match (partner_to_row, self.below, self.inclusive) {
            (Equal, _, inclusive) => inclusive,
            (Less, below, _) => below,
            (Greater, below, _) => !below,
        }
    }
}

/// How a pair rule's partners are narrowed for each row: searched by one
/// bound in the partners sorted by its value, then, from the edge of those
/// inside it, filtered by the other (in the other direction) for as long
/// as it can still hold.
#[derive(Debug, Clone, PartialEq)]
pub struct PairRange {
    pub search: PartnerBound,
    pub then: Option<PartnerBound>,
}

/// The range a pair rule's partners are narrowed by, when its condition
/// has a bound of the kind (a column of the partner compared with `<`,
/// `<=`, `>` or `>=` to a column of the row, both dates, timestamps,
/// whole numbers or decimals).
pub fn pair_range(rule: &Rule) -> Option<PairRange> {
    if !matches!(rule.form, Form::Pair { .. }) {
        return None;
    }
    let mut parts = Vec::new();
    conjuncts(&rule.condition, &mut parts);
    let bounds: Vec<PartnerBound> = parts.into_iter().filter_map(bound_of).collect();
    // Searched by a bound from below (the partners before a row's value),
    // else by one from above; then filtered by the first of the other way.
    let search = bounds
        .iter()
        .find(|b| b.below)
        .or_else(|| bounds.first())?
        .clone();
    let then = bounds.iter().find(|b| b.below != search.below).cloned();
    Some(PairRange { search, then })
}

/// The parts of `a and b and ...`.
fn conjuncts<'e>(e: &'e TExpr, out: &mut Vec<&'e TExpr>) {
    match &e.kind {
        TExprKind::And(a, b) => {
            conjuncts(a, out);
            conjuncts(b, out);
        }
        _ => out.push(e),
    }
}

/// `e` as a bound on the partner, if it is one.
fn bound_of(e: &TExpr) -> Option<PartnerBound> {
    let TExprKind::Compare { op, left, right } = &e.kind else {
        return None;
    };
    let column_of =
        |x: &TExpr, var: Var| matches!(&x.kind, TExprKind::Column { var: v, .. } if *v == var);
    // Written `partner op row`, or `row op partner` (turned around).
    let (partner, row, op) = if column_of(left, Var::Partner) && column_of(right, Var::Row) {
        (left, right, *op)
    } else if column_of(left, Var::Row) && column_of(right, Var::Partner) {
        (right, left, flipped(*op)?)
    } else {
        return None;
    };
    // Values of one ordered type: compared as the evaluator compares them.
    let ordered = matches!(
        partner.ty,
        Type::Date | Type::Timestamp | Type::Int | Type::Decimal
    );
    if !ordered || partner.ty != row.ty {
        return None;
    }
    let (below, inclusive) = match op {
        CompareOp::Lt => (true, false),
        CompareOp::Le => (true, true),
        CompareOp::Gt => (false, false),
        CompareOp::Ge => (false, true),
        CompareOp::Eq | CompareOp::Ne => return None,
    };
    Some(PartnerBound {
        partner: (**partner).clone(),
        row: (**row).clone(),
        below,
        inclusive,
        condition: e.clone(),
    })
}

/// `a op b` as `b op' a`.
fn flipped(op: CompareOp) -> Option<CompareOp> {
    Some(match op {
        CompareOp::Lt => CompareOp::Gt,
        CompareOp::Le => CompareOp::Ge,
        CompareOp::Gt => CompareOp::Lt,
        CompareOp::Ge => CompareOp::Le,
        CompareOp::Eq | CompareOp::Ne => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(condition: &str) -> Rule {
        let text = format!(
            "ruleset \"p\" version \"1\"\nrule P \"p\" {{\n  category c\n  severity low\n  action warn\n  for c in claims\n  pair with stay in claims on stay.patient_id = c.patient_id\n  flag when {condition}\n}}\n"
        );
        let checked = crate::check::check_text(std::path::Path::new("p.rules"), &text);
        let ruleset = checked
            .ruleset
            .unwrap_or_else(|| panic!("{condition}: {:?}", checked.diagnostics));
        ruleset.rules[0].clone()
    }

    fn shown(b: &PartnerBound) -> String {
        let column = |e: &TExpr| match &e.kind {
            TExprKind::Column { column, .. } => column.clone(),
            _ => unreachable!(),
        };
        let op = match (b.below, b.inclusive) {
            (true, false) => "<",
            (true, true) => "<=",
            (false, false) => ">",
            (false, true) => ">=",
        };
        format!("stay.{} {op} c.{}", column(&b.partner), column(&b.row))
    }

    #[test]
    fn a_stay_around_a_visit_is_searched_by_admission_then_discharge() {
        let range = pair_range(&rule(
            "stay.provider_id <> c.provider_id and stay.admit_date < c.admit_date \
             and c.admit_date < stay.discharge_date",
        ))
        .expect("bounded");
        assert_eq!(shown(&range.search), "stay.admit_date < c.admit_date");
        assert_eq!(
            shown(range.then.as_ref().unwrap()),
            "stay.discharge_date > c.admit_date"
        );
    }

    #[test]
    fn a_bound_written_either_way_round_is_one_bound() {
        let range = pair_range(&rule("c.total_amount >= stay.total_amount")).unwrap();
        assert_eq!(shown(&range.search), "stay.total_amount <= c.total_amount");
        assert!(range.then.is_none());
        let range = pair_range(&rule("stay.settle_time > c.settle_time")).unwrap();
        assert_eq!(shown(&range.search), "stay.settle_time > c.settle_time");
    }

    #[test]
    fn only_parts_every_flag_needs_bound_the_partners() {
        // Under `or`, `not`, or between values of one row: no bound.
        assert!(
            pair_range(&rule(
                "stay.admit_date < c.admit_date or c.total_amount > 5"
            ))
            .is_none()
        );
        assert!(pair_range(&rule("not (stay.admit_date < c.admit_date)")).is_none());
        assert!(pair_range(&rule("c.admit_date < c.discharge_date")).is_none());
        assert!(pair_range(&rule("stay.admit_date = c.admit_date")).is_none());
        // Text is not ordered as the search would order it.
        assert!(pair_range(&rule("stay.provider_id < c.provider_id")).is_none());
        // Days apart are arithmetic, not a column.
        assert!(pair_range(&rule("stay.admit_date + 3 days < c.admit_date")).is_none());
    }
}
