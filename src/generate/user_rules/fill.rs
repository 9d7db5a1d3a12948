//! Values for what a test leaves out. A test gives only the columns that
//! matter and the test runner reads the rest as null (`exec::rule_tests`);
//! a planted copy keeps those nulls where the contract allows them, so the
//! rule sees what it saw in the test. A column the contract requires gets
//! a plain value of its type (an id of the copy, the copy's first day,
//! zero, an empty text, an enumeration's first value), moved to meet the
//! table's row checks (`line_no > 0`, `discharge_date >= admit_date`).
//! A line whose claim the test does not give gets a claim, since the
//! contract requires one. Whether the rule still fires exactly as the test
//! expects is then checked by running it (`verify`).

use std::str::FromStr;

use rust_decimal::Decimal;

use super::case::Case;
use super::ids::{IdColumns, IdRole};
use crate::generate::calendar::DAY_MS;
use crate::ir::{
    ColumnType, CompareOp, Constraint, ConstraintOperand, Literal, Schema, Table, Value,
};

/// Fills the ids a test leaves out: a table's own key one per row, a
/// reference one per copy (the test's rows share the null), a key part by
/// counting on from the largest given.
pub fn fill_ids(case: &mut Case, contract: &Schema, ids: &IdColumns, prefix: &str) {
    for (t, table) in contract.tables.iter().enumerate() {
        for (c, column) in table.columns.iter().enumerate() {
            let Some(role) = ids.role(t, c).filter(|_| !column.nullable) else {
                continue;
            };
            let rows = &mut case.rows[t];
            let mut next = rows
                .iter()
                .filter_map(|r| match r[c] {
                    Value::Int(i) => Some(i),
                    _ => None,
                })
                .max()
                .unwrap_or(0);
            for (n, row) in rows.iter_mut().enumerate() {
                if !row[c].is_null() {
                    continue;
                }
                row[c] = match (role, &column.ty) {
                    (IdRole::Key, _) => Value::Text(format!("{prefix}{}#{}", table.name, n + 1)),
                    (IdRole::Reference, _) => Value::Text(format!("{prefix}{}#", column.name)),
                    (IdRole::KeyPart, ColumnType::Int32 | ColumnType::Int64) => {
                        next += 1;
                        Value::Int(next)
                    }
                    (IdRole::KeyPart, _) => {
                        Value::Text(format!("{prefix}{}#{}", column.name, n + 1))
                    }
                };
            }
        }
    }
}

/// Adds the rows a required relation needs and the test does not give
/// (the claim of a test's lines): the key only, to be filled.
pub fn add_parents(case: &mut Case, contract: &Schema) {
    for relation in contract.relations.iter().filter(|r| r.required) {
        let ([from], [to]) = (&relation.from_columns[..], &relation.to_columns[..]) else {
            continue;
        };
        let place = |table: &str, column: &str| {
            let t = contract.tables.iter().position(|x| x.name == table)?;
            Some((t, contract.tables[t].column_index(column)?))
        };
        let (Some((child, fc)), Some((parent, tc))) = (
            place(&relation.from_table, from),
            place(&relation.to_table, to),
        ) else {
            continue;
        };
        let mut wanted: Vec<Value> = Vec::new();
        for row in &case.rows[child] {
            let value = &row[fc];
            let known = case.rows[parent].iter().any(|p| &p[tc] == value);
            if !value.is_null() && !known && !wanted.contains(value) {
                wanted.push(value.clone());
            }
        }
        let width = contract.tables[parent].columns.len();
        for value in wanted {
            let mut row = vec![Value::Null; width];
            row[tc] = value;
            case.rows[parent].push(row);
        }
    }
}

/// Fills every other required column left null, then meets the row
/// checks by moving only the values filled here; `day` is the copy's
/// first day (days since 1970-01-01).
pub fn fill_values(case: &mut Case, contract: &Schema, day: i32) {
    for (table, rows) in contract.tables.iter().zip(&mut case.rows) {
        for row in rows {
            let filled: Vec<usize> = (0..row.len())
                .filter(|&c| row[c].is_null() && !table.columns[c].nullable)
                .collect();
            for &c in &filled {
                row[c] = plain_value(&table.columns[c].ty, day);
            }
            for constraint in &table.constraints {
                meet(table, constraint, row, &filled);
            }
        }
    }
}

/// The value a required column gets when a test leaves it out.
fn plain_value(ty: &ColumnType, day: i32) -> Value {
    match ty {
        ColumnType::Text => Value::Text(String::new()),
        ColumnType::Enum(values) => Value::Text(values.first().cloned().unwrap_or_default()),
        ColumnType::Int32 | ColumnType::Int64 => Value::Int(0),
        ColumnType::Decimal { .. } => Value::Decimal(Decimal::ZERO),
        ColumnType::Float64 => Value::Float(0.0),
        ColumnType::Bool => Value::Bool(false),
        ColumnType::Date => Value::Date(day),
        // Noon: well inside the day, whatever the rule compares it with.
        ColumnType::Timestamp => Value::Timestamp(i64::from(day) * DAY_MS + DAY_MS / 2),
        ColumnType::List(_) => Value::List(Vec::new()),
    }
}

/// Makes `row` meet `constraint` by changing a side filled here; a check
/// between two given values is the test's own and is left as written.
fn meet(table: &Table, constraint: &Constraint, row: &mut [Value], filled: &[usize]) {
    let Some(left) = table.column_index(&constraint.column) else {
        return;
    };
    let ty = &table.columns[left].ty;
    match &constraint.operand {
        ConstraintOperand::Literal(literal) => {
            if filled.contains(&left)
                && let Some(bound) = literal_value(literal, ty)
            {
                row[left] = satisfying(constraint.op, &bound, Side::Left);
            }
        }
        ConstraintOperand::Column(name) => {
            let Some(right) = table.column_index(name) else {
                return;
            };
            if filled.contains(&left) && !row[right].is_null() {
                row[left] = satisfying(constraint.op, &row[right].clone(), Side::Left);
            } else if filled.contains(&right) && !row[left].is_null() {
                row[right] = satisfying(constraint.op, &row[left].clone(), Side::Right);
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Side {
    Left,
    Right,
}

/// A value for one side of `left op right` given the other side `other`:
/// the other value itself when the operator allows equality, else one step
/// beside it.
fn satisfying(op: CompareOp, other: &Value, side: Side) -> Value {
    let step = match (op, side) {
        (CompareOp::Eq | CompareOp::Le | CompareOp::Ge, _) => 0,
        (CompareOp::Gt | CompareOp::Ne, Side::Left) | (CompareOp::Lt, Side::Right) => 1,
        (CompareOp::Lt, Side::Left) | (CompareOp::Gt | CompareOp::Ne, Side::Right) => -1,
    };
    match other {
        Value::Int(i) => Value::Int(i + step),
        Value::Decimal(d) => Value::Decimal(*d + Decimal::from(step)),
        Value::Date(d) => Value::Date(d + step as i32),
        Value::Timestamp(t) => Value::Timestamp(t + step),
        other => other.clone(),
    }
}

fn literal_value(literal: &Literal, ty: &ColumnType) -> Option<Value> {
    Some(match (literal, ty) {
        (Literal::Int(i), ColumnType::Decimal { .. }) => Value::Decimal(Decimal::from(*i)),
        (Literal::Int(i), _) => Value::Int(*i),
        (Literal::Decimal(text), _) => Value::Decimal(Decimal::from_str(text).ok()?),
        (Literal::Text(text), _) => Value::Text(text.clone()),
        (Literal::Date(day), _) => Value::Date(*day),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::chs_schema;
    use crate::generate::calendar::days_from_civil;

    fn t(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn lines_without_a_claim_get_one_and_every_required_column_a_value() {
        let chs = chs_schema();
        let items = chs
            .tables
            .iter()
            .position(|x| x.name == "claim_items")
            .unwrap();
        let width = chs.tables[items].columns.len();
        let mut rows = vec![Vec::new(); chs.tables.len()];
        let line = |code: &str| {
            let mut row = vec![Value::Null; width];
            row[0] = t("T00001-C1");
            row[2] = t(code);
            row
        };
        rows[items] = vec![line("A"), line("B")];
        let mut case = Case { rows };
        let ids = IdColumns::of(&chs);
        fill_ids(&mut case, &chs, &ids, "T00001-");
        add_parents(&mut case, &chs);
        fill_ids(&mut case, &chs, &ids, "T00001-");
        let day = days_from_civil(2024, 3, 1);
        fill_values(&mut case, &chs, day);

        // Two lines of one claim: numbered 1 and 2.
        assert_eq!(case.rows[items][0][1], Value::Int(1));
        assert_eq!(case.rows[items][1][1], Value::Int(2));
        // quantity > 0 holds; days_supply stays null (nullable).
        assert_eq!(case.rows[items][0][5], Value::Decimal(Decimal::ONE));
        assert_eq!(case.rows[items][0][8], Value::Null);
        // The claim the lines need, with a patient of the copy.
        let claims = &case.rows[0];
        assert_eq!(claims.len(), 1);
        assert_eq!(claims[0][0], t("T00001-C1"));
        assert_eq!(claims[0][1], t("T00001-patient_id#"));
        assert_eq!(claims[0][3], t("outpatient"));
        assert_eq!(claims[0][4], Value::Date(day));
        assert_eq!(claims[0][7], Value::Null);
    }

    #[test]
    fn a_filled_side_of_a_check_moves_to_meet_it() {
        let chs = chs_schema();
        let mut row = vec![Value::Null; chs.tables[0].columns.len()];
        let day = days_from_civil(2024, 3, 5);
        row[5] = Value::Date(day - 3); // discharge given, admit left out
        let mut case = Case {
            rows: vec![vec![row], vec![], vec![], vec![], vec![]],
        };
        fill_values(&mut case, &chs, day);
        // admit_date <= discharge_date: the admission is the discharge day.
        assert_eq!(case.rows[0][0][4], Value::Date(day - 3));
    }
}
