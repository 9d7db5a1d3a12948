//! `lag(value, n)` and `rank()`: what a sequence rule reads of the rows
//! before this one, besides `prev`.

use crate::ir::{TExpr, TExprKind, Type, Value, Var};
use crate::syntax::Diagnostic;
use crate::syntax::ast::{Expr, Ident};

use super::constants::constant;
use super::scope::Scope;

/// The functions of sequence rules, checked here rather than as [`crate::ir::Func`]s.
pub const SEQUENCE_FUNCTIONS: [&str; 2] = ["lag", "rank"];

/// The most rows back `lag` may look: a sequence keeps them in memory.
pub const MAX_LAG: i64 = 1000;

impl Scope<'_> {
    /// How far `lag(value, back)` looks back (`unit`: rows of a sequence,
    /// runs of `per`): a written whole number from 1 to [`MAX_LAG`].
    pub(super) fn lag_back(&mut self, back: &Expr, unit: &str, help: &str) -> Option<u32> {
        match constant(back) {
            Ok((Value::Int(n), _)) if (1..=MAX_LAG).contains(&n) => Some(n as u32),
            _ => {
                self.error(
                    Diagnostic::error(
                        "E0202",
                        back.span,
                        format!("`lag` looks back a whole number of {unit}, from 1 to {MAX_LAG}"),
                    )
                    .with_help(help.to_string()),
                );
                None
            }
        }
    }

    /// `lag(value, n)`: `value` on the row `n` before this one.
    pub(super) fn lag(&mut self, name: &Ident, args: &[Expr], whole: &Expr) -> TExpr {
        let span = whole.span;
        if !self.in_sequence(name) {
            return unknown(span);
        }
        let [value, back] = args else {
            self.error(
                Diagnostic::error("E0202", span, "`lag` takes a value and how many rows back")
                    .with_help(format!("e.g. `lag({}.admit_date, 2)`", self.row.0)),
            );
            return unknown(span);
        };
        let Some(rows) = self.lag_back(back, "rows", "write the number itself, e.g. `2`") else {
            return unknown(span);
        };
        let typed = self.expr(value);
        let mut reads_the_row_alone = true;
        typed.walk(&mut |e| {
            let other_row = matches!(
                &e.kind,
                TExprKind::Column { var, .. } | TExprKind::Related { var, .. } if *var != Var::Row
            );
            let not_a_value = matches!(
                e.kind,
                TExprKind::Let(_)
                    | TExprKind::Aggregate(_)
                    | TExprKind::Item(_)
                    | TExprKind::Lag { .. }
                    | TExprKind::Rank
            );
            if other_row || not_a_value {
                reads_the_row_alone = false;
            }
        });
        if !reads_the_row_alone {
            self.error(
                Diagnostic::error(
                    "E0202",
                    value.span,
                    format!(
                        "`lag` reads a value of a row: columns of `{}` and what is computed from them",
                        self.row.0
                    ),
                )
                .with_help(format!(
                    "write the value as for this row, e.g. `lag({}.admit_date, 2)`",
                    self.row.0
                )),
            );
            return unknown(span);
        }
        let ty = typed.ty.clone();
        TExpr::new(
            TExprKind::Lag {
                value: Box::new(typed),
                rows,
            },
            ty,
            span,
        )
    }

    /// `rank()`: the row's place in its key's order, from 1.
    pub(super) fn rank(&mut self, name: &Ident, args: &[Expr], whole: &Expr) -> TExpr {
        if !self.in_sequence(name) {
            return unknown(whole.span);
        }
        if !args.is_empty() {
            self.error(
                Diagnostic::error("E0202", whole.span, "`rank` takes no arguments")
                    .with_help("write `rank()`"),
            );
            return unknown(whole.span);
        }
        TExpr::new(TExprKind::Rank, Type::Int, whole.span)
    }

    /// Whether the rule orders its rows (E0208 when not).
    fn in_sequence(&mut self, name: &Ident) -> bool {
        if !self.prev {
            self.error(
                Diagnostic::error(
                    "E0208",
                    name.span,
                    format!(
                        "`{}` reads the order of a sequence, which only sequence rules have",
                        name.name
                    ),
                )
                .with_help("order the rows first: `sequence by ... order by ...`"),
            );
        }
        self.prev
    }
}

fn unknown(span: crate::syntax::Span) -> TExpr {
    TExpr::new(TExprKind::Const(Value::Null), Type::Unknown, span)
}
