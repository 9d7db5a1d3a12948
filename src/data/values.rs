//! Single values of any column type, and building Arrow arrays from them.
//!
//! Rows that arrive one value at a time (fixture text files, the rows of a
//! rule's own tests, a claim sent to the real-time service) become Arrow
//! columns here, so every path into the engine ends in the same types.

use std::borrow::Borrow;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Decimal128Builder, Float64Builder, Int32Builder,
    Int64Builder, StringBuilder, TimestampMillisecondBuilder,
};
use rust_decimal::Decimal;

use crate::ir::ColumnType;

pub use crate::ir::{Value, decimal_mantissa};

fn type_error(value: &Value, ty: &ColumnType) -> String {
    format!("{value:?} is not a {ty} value")
}

/// The bytes of the texts among `values` (a string column's data).
fn text_bytes<V: Borrow<Value>>(values: &[V]) -> usize {
    values
        .iter()
        .map(|v| match v.borrow() {
            Value::Text(s) => s.len(),
            _ => 0,
        })
        .sum()
}

/// Builds one Arrow column of type `ty` from `values`, with builders
/// sized to the values: a builder's default room (1,024 values)
/// would be allocated, and zeroed, for every column of a one-row claim.
/// `values` may be held or borrowed (`&[Value]`, `&[&Value]`).
pub fn build_array<V: Borrow<Value>>(ty: &ColumnType, values: &[V]) -> Result<ArrayRef, String> {
    macro_rules! build {
        ($builder:expr, |$b:ident, $v:ident| $body:expr) => {{
            let mut $b = $builder;
            for $v in values.iter().map(Borrow::borrow) {
                if matches!($v, Value::Null) {
                    $b.append_null();
                } else {
                    $body;
                }
            }
            Arc::new($b.finish()) as ArrayRef
        }};
    }
    Ok(match ty {
        ColumnType::Text | ColumnType::Enum(_) => build!(
            StringBuilder::with_capacity(values.len(), text_bytes(values)),
            |b, v| match v {
                Value::Text(s) => b.append_value(s),
                other => return Err(type_error(other, ty)),
            }
        ),
        ColumnType::Int32 => build!(Int32Builder::with_capacity(values.len()), |b, v| match v {
            Value::Int(i) =>
                b.append_value(i32::try_from(*i).map_err(|_| format!("{i} does not fit int32"))?),
            other => return Err(type_error(other, ty)),
        }),
        ColumnType::Int64 => build!(Int64Builder::with_capacity(values.len()), |b, v| match v {
            Value::Int(i) => b.append_value(*i),
            other => return Err(type_error(other, ty)),
        }),
        ColumnType::Bool => build!(
            BooleanBuilder::with_capacity(values.len()),
            |b, v| match v {
                Value::Bool(x) => b.append_value(*x),
                other => return Err(type_error(other, ty)),
            }
        ),
        ColumnType::Decimal { precision, scale } => {
            let builder = Decimal128Builder::with_capacity(values.len())
                .with_precision_and_scale(*precision, *scale)
                .map_err(|e| e.to_string())?;
            build!(builder, |b, v| match v {
                Value::Decimal(d) => b.append_value(decimal_mantissa(*d, *precision, *scale)?),
                Value::Int(i) => {
                    b.append_value(decimal_mantissa(Decimal::from(*i), *precision, *scale)?)
                }
                other => return Err(type_error(other, ty)),
            })
        }
        ColumnType::Float64 => build!(
            Float64Builder::with_capacity(values.len()),
            |b, v| match v {
                Value::Float(x) => b.append_value(*x),
                Value::Int(i) => b.append_value(*i as f64),
                other => return Err(type_error(other, ty)),
            }
        ),
        ColumnType::Date => build!(Date32Builder::with_capacity(values.len()), |b, v| match v {
            Value::Date(d) => b.append_value(*d),
            other => return Err(type_error(other, ty)),
        }),
        ColumnType::Timestamp => build!(
            TimestampMillisecondBuilder::with_capacity(values.len()),
            |b, v| match v {
                Value::Timestamp(t) => b.append_value(*t),
                other => return Err(type_error(other, ty)),
            }
        ),
        ColumnType::List(inner) => {
            // Build the elements as one flat column, then cut it into lists.
            let mut flat = Vec::new();
            let mut lengths = Vec::with_capacity(values.len());
            for v in values {
                match v.borrow() {
                    Value::Null => lengths.push(None),
                    Value::List(items) => {
                        lengths.push(Some(items.len()));
                        flat.extend(items.iter().cloned());
                    }
                    other => return Err(type_error(other, ty)),
                }
            }
            let elements = build_array(inner, &flat)?;
            let offsets =
                arrow::buffer::OffsetBuffer::from_lengths(lengths.iter().map(|l| l.unwrap_or(0)));
            let nulls = arrow::buffer::NullBuffer::from(
                lengths.iter().map(Option::is_some).collect::<Vec<bool>>(),
            );
            let field = crate::data::arrow_types::list_item_field(elements.data_type().clone());
            Arc::new(
                arrow::array::ListArray::try_new(field, offsets, elements, Some(nulls))
                    .map_err(|e| e.to_string())?,
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::Decimal128Type;
    use std::str::FromStr;

    #[test]
    fn decimals_are_exact_or_refused() {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        assert_eq!(decimal_mantissa(d("12.5"), 18, 2), Ok(1250));
        assert_eq!(decimal_mantissa(d("12.500"), 18, 2), Ok(1250));
        assert!(decimal_mantissa(d("12.505"), 18, 2).is_err());
        assert!(decimal_mantissa(d("1000"), 4, 2).is_err());
        assert_eq!(decimal_mantissa(d("-0.01"), 4, 2), Ok(-1));
    }

    #[test]
    fn builds_lists_with_nulls() {
        let ty = ColumnType::List(Box::new(ColumnType::Text));
        let values = vec![
            Value::List(vec![Value::Text("E11".into()), Value::Text("I10".into())]),
            Value::Null,
            Value::List(vec![]),
        ];
        let array = build_array(&ty, &values).unwrap();
        let list = array.as_list::<i32>();
        assert_eq!(list.len(), 3);
        assert!(list.is_null(1));
        assert_eq!(list.value(0).len(), 2);
        assert_eq!(list.value(2).len(), 0);
    }

    #[test]
    fn builds_decimals_at_the_column_scale() {
        let ty = ColumnType::Decimal {
            precision: 12,
            scale: 3,
        };
        let array = build_array(&ty, &[Value::Int(2), Value::Null]).unwrap();
        assert_eq!(array.as_primitive::<Decimal128Type>().value(0), 2000);
        assert!(build_array(&ty, &[Value::Text("x".into())]).is_err());
    }
}
