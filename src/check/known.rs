//! Checking `match x in table on ... [in either order] [as of date]`: the
//! knowledge rows a pair of rows is looked up in, or the one knowledge row
//! of each row of a rule of another form.

use crate::ir::{Known, TExpr, TExprKind, Type, Var};
use crate::syntax::Diagnostic;
use crate::syntax::ast::{self, BinaryOp, ExprKind, RuleItem, RuleItemKind};

use super::rule::conjuncts;
use super::scope::Scope;

/// The checked match of a rule; binds its variable in `scope` for the
/// clauses after the form (`flag when`, `message`, lets).
pub fn check_match(item: &RuleItem, scope: &mut Scope) -> Option<Known> {
    let RuleItemKind::Match {
        var,
        table,
        on,
        either_order,
        as_of,
    } = &item.kind
    else {
        unreachable!("only `match` clauses are checked here")
    };
    let Some(target) = scope.schema.table(&table.name) else {
        scope.no_such_table(table);
        return None;
    };
    let taken = var.name == scope.row.0 || scope.partner.as_ref().is_some_and(|p| p.0 == var.name);
    if taken {
        scope.error(
            Diagnostic::error(
                "E0105",
                var.span,
                format!("`{}` already names a row of this rule", var.name),
            )
            .with_help("call the matched row something else, e.g. `x`"),
        );
        return None;
    }
    let in_force = target.in_force.clone();
    scope.known = Some((var.name.clone(), table.name.clone()));
    let keys = match_keys(on, &var.name, scope)?;
    let partner_table = scope.partner.as_ref().map(|p| p.1.clone());
    if *either_order && partner_table.is_none() {
        scope.error(
            Diagnostic::error(
                "E0310",
                item.span,
                "`in either order` swaps the two rows of a pair rule, and this rule looks at one row",
            )
            .with_help("remove `in either order`, or pair the row with another first"),
        );
        return None;
    }
    if *either_order && partner_table.as_deref() != Some(scope.row.1.as_str()) {
        scope.error(
            Diagnostic::error(
                "E0310",
                item.span,
                "`in either order` swaps the two rows, which needs them in one table",
            )
            .with_help("pair the rule's rows with rows of their own table, or write the match for each order"),
        );
        return None;
    }
    let as_of = match as_of {
        None => None,
        Some(date) => {
            let Some(_) = in_force else {
                scope.error(
                    Diagnostic::error(
                        "E0310",
                        date.span,
                        format!("table `{}` does not say when its rows are in force", table.name),
                    )
                    .with_help(format!("declare it in the table: `in force from valid_from to valid_to` inside `table {} {{ ... }}`", table.name)),
                );
                return None;
            };
            let typed = scope.expr(date);
            // Any other row (a partner, `prev`, an entity) is not at hand
            // where the knowledge row is found.
            let other_row = [Var::Partner, Var::Known, Var::Prev, Var::Entity]
                .into_iter()
                .any(|v| typed.uses_var(v));
            if other_row {
                scope.error(
                    Diagnostic::error(
                        "E0310",
                        date.span,
                        format!("`as of` is a date of the rule's own row `{}`", scope.row.0),
                    )
                    .with_help(format!("write e.g. `as of {}.service_date`", scope.row.0)),
                );
                return None;
            }
            if !matches!(typed.ty, Type::Date | Type::Unknown) {
                scope.error(Diagnostic::error(
                    "E0201",
                    date.span,
                    format!("`as of` takes a date, but this is {}", typed.ty),
                ));
                return None;
            }
            Some(typed)
        }
    };
    Some(Known {
        var: var.name.clone(),
        table: table.name.clone(),
        keys,
        either_order: *either_order,
        as_of,
    })
}

/// `x.a = line.code and x.b = other.code`: each of the table's own columns
/// equal to a value of the rule's row or of its partner.
fn match_keys(on: &ast::Expr, var: &str, scope: &mut Scope) -> Option<Vec<(String, TExpr)>> {
    let mut parts = Vec::new();
    conjuncts(on, &mut parts);
    let mut keys = Vec::new();
    for part in parts {
        let bad = |scope: &mut Scope, why: &str| {
            let row = scope.row.0.clone();
            scope.error(
                Diagnostic::error("E0310", part.span, why.to_string()).with_help(format!(
                    "write equalities joined by `and`, each a column of `{var}` and a value of one row, e.g. `{var}.item_a = {row}.item_code`"
                )),
            );
        };
        let ExprKind::Binary {
            op: BinaryOp::Eq,
            left,
            right,
        } = &part.kind
        else {
            bad(scope, "`match ... on` finds rows by equal values");
            return None;
        };
        let l = scope.expr(left);
        let r = scope.expr(right);
        let (column, value) = match (own_column(&l), own_column(&r)) {
            (Some(c), None) => (c, r.clone()),
            (None, Some(c)) => (c, l.clone()),
            _ => {
                bad(
                    scope,
                    &format!(
                        "one side of each equality is a column of `{var}`, the other a value of a row"
                    ),
                );
                return None;
            }
        };
        if value.uses_var(Var::Known) {
            bad(
                scope,
                &format!(
                    "one side of each equality is a column of `{var}`, the other a value of a row"
                ),
            );
            return None;
        }
        if value.uses_var(Var::Prev) || value.uses_var(Var::Entity) {
            bad(
                scope,
                &format!("each value comes from the rule's row `{}`", scope.row.0),
            );
            return None;
        }
        if value.uses_var(Var::Row) && value.uses_var(Var::Partner) {
            bad(
                scope,
                "each value comes from one row, the rule's or its partner's",
            );
            return None;
        }
        let column_ty = if own_column(&l).is_some() {
            &l.ty
        } else {
            &r.ty
        };
        // Values are matched by their hash, so a match compares like with like.
        if !same_kind(column_ty, &value.ty) {
            scope.error(
                Diagnostic::error(
                    "E0201",
                    part.span,
                    format!("cannot match {} with {}", column_ty, value.ty),
                )
                .with_help("compare a column with a value of the same type"),
            );
            return None;
        }
        keys.push((column, value));
    }
    Some(keys)
}

/// The column when `e` is a column of the matched row itself (no relation).
fn own_column(e: &TExpr) -> Option<String> {
    match &e.kind {
        TExprKind::Column {
            var: Var::Known,
            path,
            column,
        } if path.is_empty() => Some(column.clone()),
        _ => None,
    }
}

fn same_kind(a: &Type, b: &Type) -> bool {
    (a.is_textual() && b.is_textual()) || a == b || *a == Type::Unknown || *b == Type::Unknown
}
