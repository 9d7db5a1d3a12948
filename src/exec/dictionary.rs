//! Tests of an enumeration against constants, decided once per value.
//!
//! Enumerations are stored as dictionary codes (see `data::compact`). A
//! test such as `line.item_type = "drug"` or `c.visit_type in (...)` has
//! one answer per dictionary value: it is computed for those few values and
//! each row takes its code's answer, instead of reading and comparing the
//! text of every row.

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Int16Type};

use super::col::{Col, Scalar, Tri};
use super::eval::{Ctx, Side, compare_with, in_list, in_set, like_type};
use crate::ir::{CompareOp, TExpr, TExprKind};

impl<'a> Ctx<'a> {
    /// `e` (a comparison, `in` list or `in` set of one column with
    /// constants) decided per dictionary value, when the column is stored
    /// as a dictionary; `None` otherwise.
    pub(super) fn on_dictionary(&self, e: &'a TExpr) -> Option<Col<'a>> {
        let test = DictionaryTest::of(self, e)?;
        let TExprKind::Column { var, path, column } = &test.column().kind else {
            return None;
        };
        self.with_column_rows(*var, path, column, |array, rows| {
            let DataType::Dictionary(key, value) = array.data_type() else {
                return None;
            };
            if **key != DataType::Int16 || **value != DataType::Utf8 {
                return None;
            }
            let dictionary = array.as_dictionary::<Int16Type>();
            let values = dictionary.values().as_string::<i32>();
            // Each value as a row reading it gets it (see `column_values`).
            let entries = Col::Text((0..values.len()).map(|i| Some(values.value(i))).collect());
            let answers = test.decide(self, &entries);
            let answers = answers.bools();
            let codes = dictionary.keys();
            let nulls = dictionary.nulls();
            Some(Col::Bool(
                rows.iter()
                    .map(|row| match row {
                        Some(r) if nulls.is_none_or(|n| n.is_valid(*r as usize)) => {
                            answers[codes.value(*r as usize) as usize]
                        }
                        // A row without a value (or without a related row):
                        // every one of these tests is null on a null.
                        _ => Tri::Null,
                    })
                    .collect(),
            ))
        })
    }
}

/// The tests decided per dictionary value.
enum DictionaryTest<'a> {
    /// `column op constant`, or `constant op column`.
    Compare {
        op: CompareOp,
        column: &'a TExpr,
        constant: Scalar<'a>,
        constant_side: Side,
    },
    InList {
        column: &'a TExpr,
        items: Vec<(Scalar<'a>, &'a TExpr)>,
    },
    InSet {
        column: &'a TExpr,
        set: &'a str,
    },
}

impl<'a> DictionaryTest<'a> {
    fn of(ctx: &Ctx<'a>, e: &'a TExpr) -> Option<DictionaryTest<'a>> {
        let is_column = |e: &TExpr| matches!(e.kind, TExprKind::Column { .. });
        match &e.kind {
            TExprKind::Compare { op, left, right } => {
                let (column, other, constant_side) = if is_column(left) {
                    (&**left, &**right, Side::Right)
                } else {
                    (&**right, &**left, Side::Left)
                };
                Some(DictionaryTest::Compare {
                    op: *op,
                    column: is_column(column).then_some(column)?,
                    constant: ctx.constant_value(other)?,
                    constant_side,
                })
            }
            TExprKind::InList { expr, items } if is_column(expr) => Some(DictionaryTest::InList {
                column: expr,
                items: items
                    .iter()
                    .map(|i| ctx.constant_value(i).map(|c| (c, i)))
                    .collect::<Option<Vec<_>>>()?,
            }),
            TExprKind::InSet { expr, set } if is_column(expr) => Some(DictionaryTest::InSet {
                column: expr,
                set: set.as_str(),
            }),
            _ => None,
        }
    }

    fn column(&self) -> &'a TExpr {
        match self {
            DictionaryTest::Compare { column, .. }
            | DictionaryTest::InList { column, .. }
            | DictionaryTest::InSet { column, .. } => column,
        }
    }

    /// The test's answer for each of `entries`, exactly as the row-by-row
    /// evaluation would give it.
    fn decide(&self, ctx: &Ctx<'a>, entries: &Col<'a>) -> Col<'a> {
        let n = entries.len();
        match self {
            DictionaryTest::Compare {
                op,
                constant,
                constant_side,
                ..
            } => compare_with(entries, *constant, *op, *constant_side),
            DictionaryTest::InList { items, .. } => {
                let items: Vec<Col<'a>> = items
                    .iter()
                    .map(|(value, e)| Col::repeat(*value, &like_type(e), n))
                    .collect();
                in_list(entries, &items)
            }
            DictionaryTest::InSet { set, .. } => in_set(entries, &ctx.env.consts.sets[set]),
        }
    }
}
