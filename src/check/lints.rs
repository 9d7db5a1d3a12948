//! Warnings: things that check but are probably not what was meant.

use crate::ir::{CompareOp, Rule, TExpr, TExprKind, Type, Value};
use crate::syntax::Diagnostic;
use crate::syntax::diagnostic::did_you_mean;

/// Comparisons of an enumeration with a value it cannot have.
pub fn impossible_comparisons(rule: &Rule, diagnostics: &mut Vec<Diagnostic>) {
    let mut visit = |e: &TExpr| {
        let (subject, candidates): (&TExpr, Vec<&TExpr>) = match &e.kind {
            TExprKind::Compare {
                op: CompareOp::Eq | CompareOp::Ne,
                left,
                right,
            } => {
                if matches!(left.ty, Type::Enum(_)) {
                    (left, vec![right])
                } else {
                    (right, vec![left])
                }
            }
            TExprKind::InList { expr, items } => (expr, items.iter().collect()),
            _ => return,
        };
        let Type::Enum(values) = &subject.ty else {
            return;
        };
        for candidate in candidates {
            let TExprKind::Const(Value::Text(text)) = &candidate.kind else {
                continue;
            };
            if values.contains(text) {
                continue;
            }
            let mut d = Diagnostic::warning(
                "W0004",
                candidate.span,
                format!("this value is never \"{text}\", so the comparison is always false"),
            )
            .with_label(format!(
                "the values are {}",
                values
                    .iter()
                    .map(|v| format!("\"{v}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            if let Some(near) = did_you_mean(text, values.iter().map(String::as_str)) {
                d = d.with_help(format!("did you mean \"{near}\"?"));
            }
            diagnostics.push(d);
        }
    };
    let mut exprs: Vec<&TExpr> = vec![&rule.condition];
    exprs.extend(rule.filter.iter());
    exprs.extend(rule.lets.iter().map(|l| &l.expr));
    if let crate::ir::Form::Pair {
        filter: Some(f), ..
    } = &rule.form
    {
        exprs.push(f);
    }
    for expr in exprs {
        expr.walk(&mut visit);
    }
}
