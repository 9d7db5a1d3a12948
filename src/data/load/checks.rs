//! Checks of single rows: required values present, enumerations within
//! their values, and the table's row constraints.

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Datum, Scalar};
use arrow::compute::cast;
use arrow::compute::kernels::cmp;
use arrow::datatypes::DataType;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use rust_decimal::Decimal;

use super::problem::{Problem, ProblemKind, ProblemLog};
use super::read::LoadedBatch;
use crate::data::arrow_types::arrow_type;
use crate::data::values::{Value, build_array};
use crate::ir::{ColumnType, CompareOp, Constraint, ConstraintOperand, Literal, Table};

/// A table's row checks, prepared once and applied to every batch.
pub struct RowChecks<'t> {
    table: &'t Table,
    enums: Vec<(&'t str, &'t [String])>,
    constraints: Vec<(&'t Constraint, Option<Scalar<ArrayRef>>)>,
}

impl<'t> RowChecks<'t> {
    pub fn new(table: &'t Table) -> RowChecks<'t> {
        let enums = table
            .columns
            .iter()
            .filter_map(|c| {
                let values = c.ty.enum_values()?;
                Some((c.name.as_str(), values))
            })
            .collect();
        let constraints = table
            .constraints
            .iter()
            .map(|constraint| {
                let literal = match &constraint.operand {
                    ConstraintOperand::Literal(literal) => table
                        .column(&constraint.column)
                        .and_then(|c| literal_scalar(literal, &c.ty)),
                    ConstraintOperand::Column(_) => None,
                };
                (constraint, literal)
            })
            .collect();
        RowChecks {
            table,
            enums,
            constraints,
        }
    }

    pub fn check(&self, batch: &LoadedBatch, log: &mut ProblemLog) {
        self.check_required(batch, log);
        self.check_enums(batch, log);
        self.check_constraints(batch, log);
    }

    fn check_required(&self, batch: &LoadedBatch, log: &mut ProblemLog) {
        for column in self.table.columns.iter().filter(|c| !c.nullable) {
            let Some(array) = batch.column(&column.name) else {
                continue;
            };
            let Some(nulls) = array.logical_nulls() else {
                continue;
            };
            for row in nulls.iter().enumerate().filter(|(_, v)| !v).map(|(r, _)| r) {
                if batch.is_damaged(row) {
                    continue;
                }
                log.push(
                    Problem::new(
                        ProblemKind::NullInRequired,
                        batch.file,
                        format!("`{}` is required but is null", column.name),
                    )
                    .in_column(&column.name)
                    .at(batch.row_ref(row)),
                );
            }
        }
    }

    /// A column of the batch in the contract's type: one read in compact
    /// storage (a dictionary, a 64-bit decimal) is compared as the literals
    /// of the table's constraints are written.
    fn in_contract_type(&self, batch: &LoadedBatch, name: &str) -> Option<ArrayRef> {
        let array = batch.column(name)?;
        let contract = arrow_type(&self.table.column(name)?.ty);
        if *array.data_type() == contract {
            return Some(array.clone());
        }
        cast(array, &contract).ok()
    }

    fn check_enums(&self, batch: &LoadedBatch, log: &mut ProblemLog) {
        for (name, values) in &self.enums {
            let Some(array) = batch.column(name) else {
                continue;
            };
            // Read as a dictionary: each value of it is checked once, and
            // only the rows of a value that is not declared are looked at.
            let rows: Box<dyn Iterator<Item = (usize, Option<&str>)>> =
                match array.as_any_dictionary_opt() {
                    Some(dictionary) => {
                        let texts = dictionary.values().as_string::<i32>();
                        let declared: Vec<bool> = texts
                            .iter()
                            .map(|v| v.is_none_or(|v| values.iter().any(|e| e == v)))
                            .collect();
                        if declared.iter().all(|d| *d) {
                            continue;
                        }
                        let keys = dictionary.normalized_keys();
                        Box::new((0..array.len()).map(move |row| {
                            let key = keys[row];
                            let value =
                                (array.is_valid(row) && !declared[key]).then(|| texts.value(key));
                            (row, value)
                        }))
                    }
                    None => Box::new(array.as_string::<i32>().iter().enumerate()),
                };
            for (row, value) in rows {
                let Some(value) = value else { continue };
                // A few values: comparing is cheaper than hashing.
                if values.iter().any(|v| v == value) || batch.is_damaged(row) {
                    continue;
                }
                let mut message = format!(
                    "`{value}` is not a value of `{name}`; expected one of {}",
                    values.join(", ")
                );
                if let Some(near) = values.iter().find(|v| v.eq_ignore_ascii_case(value.trim())) {
                    message.push_str(&format!(" (did you mean `{near}`?)"));
                }
                log.push(
                    Problem::new(ProblemKind::BadEnumValue, batch.file, message)
                        .in_column(name)
                        .at(batch.row_ref(row)),
                );
            }
        }
    }

    fn check_constraints(&self, batch: &LoadedBatch, log: &mut ProblemLog) {
        for (constraint, literal) in &self.constraints {
            let Some(left) = self.in_contract_type(batch, &constraint.column) else {
                continue;
            };
            let left = &left;
            let right_column = match &constraint.operand {
                ConstraintOperand::Column(name) => match self.in_contract_type(batch, name) {
                    Some(array) => Some(array),
                    None => continue,
                },
                ConstraintOperand::Literal(_) => None,
            };
            let right_column = right_column.as_ref();
            let right: &dyn Datum = match (right_column, literal) {
                (Some(array), _) => array,
                (None, Some(scalar)) => scalar,
                (None, None) => continue,
            };
            let Ok(holds) = compare(left, right, constraint.op) else {
                continue;
            };
            for row in 0..holds.len() {
                if holds.is_null(row) || holds.value(row) || batch.is_damaged(row) {
                    continue;
                }
                let mut message = format!(
                    "`{}` is {}, which breaks the rule `{constraint}`",
                    constraint.column,
                    display(left, row)
                );
                if let Some(array) = right_column {
                    message.push_str(&format!(
                        " (`{}` is {})",
                        constraint.operand,
                        display(array, row)
                    ));
                }
                log.push(
                    Problem::new(ProblemKind::ConstraintViolated, batch.file, message)
                        .in_column(&constraint.column)
                        .at(batch.row_ref(row)),
                );
            }
        }
    }
}

fn compare(
    left: &dyn Datum,
    right: &dyn Datum,
    op: CompareOp,
) -> Result<BooleanArray, arrow::error::ArrowError> {
    match op {
        CompareOp::Eq => cmp::eq(left, right),
        CompareOp::Ne => cmp::neq(left, right),
        CompareOp::Lt => cmp::lt(left, right),
        CompareOp::Le => cmp::lt_eq(left, right),
        CompareOp::Gt => cmp::gt(left, right),
        CompareOp::Ge => cmp::gt_eq(left, right),
    }
}

/// A literal as a one-value array of the column's type, for comparisons.
fn literal_scalar(literal: &Literal, ty: &ColumnType) -> Option<Scalar<ArrayRef>> {
    let value = match literal {
        Literal::Int(i) => Value::Int(*i),
        Literal::Decimal(text) => Value::Decimal(text.parse::<Decimal>().ok()?),
        Literal::Text(text) => Value::Text(text.clone()),
        Literal::Date(days) => Value::Date(*days),
    };
    let array = build_array(ty, &[value]).ok()?;
    if matches!(array.data_type(), DataType::List(_)) {
        return None;
    }
    Some(Scalar::new(array))
}

fn display(array: &ArrayRef, row: usize) -> String {
    ArrayFormatter::try_new(array.as_ref(), &FormatOptions::default())
        .map(|f| f.value(row).to_string())
        .unwrap_or_else(|_| "?".to_string())
}
