//! Reading one value of a column from text, as written in fixture files.
//!
//! Dates `2024-03-01`; times `2024-03-01 08:30:00` (a `T` may separate them,
//! milliseconds may follow); decimals `12.50`; booleans `true`/`false`;
//! lists with `;` between elements (`E11.900;I10.x00`, or `[]` for an
//! empty list). An empty cell is null.

use std::str::FromStr;

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;

use super::value::Value;
use super::value::decimal_mantissa;
use crate::ir::ColumnType;

const EPOCH: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();

pub fn date_to_days(date: NaiveDate) -> i32 {
    (date - EPOCH).num_days() as i32
}

pub fn days_to_date(days: i32) -> Option<NaiveDate> {
    EPOCH.checked_add_signed(chrono::Duration::days(days as i64))
}

pub fn parse_date(text: &str) -> Result<i32, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(date_to_days)
        .map_err(|_| format!("`{text}` is not a date like 2024-03-01"))
}

pub fn parse_timestamp(text: &str) -> Result<i64, String> {
    let formats = [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ];
    formats
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .map(|t| t.and_utc().timestamp_millis())
        .ok_or_else(|| format!("`{text}` is not a time like 2024-03-01 08:30:00"))
}

/// Parses `text` as a value of `ty`; the empty string is null.
pub fn parse_cell(text: &str, ty: &ColumnType) -> Result<Value, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(Value::Null);
    }
    match ty {
        ColumnType::Text => Ok(Value::Text(text.to_string())),
        ColumnType::Enum(values) => {
            if values.iter().any(|v| v == text) {
                Ok(Value::Text(text.to_string()))
            } else {
                Err(format!("`{text}` is not one of {}", values.join(", ")))
            }
        }
        ColumnType::Int32 | ColumnType::Int64 => {
            let value =
                i64::from_str(text).map_err(|_| format!("`{text}` is not a whole number"))?;
            if *ty == ColumnType::Int32 && i32::try_from(value).is_err() {
                return Err(format!("{value} does not fit int32"));
            }
            Ok(Value::Int(value))
        }
        ColumnType::Bool => match text {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(format!("`{text}` is not `true` or `false`")),
        },
        ColumnType::Decimal { precision, scale } => {
            let value =
                Decimal::from_str(text).map_err(|_| format!("`{text}` is not a decimal number"))?;
            decimal_mantissa(value, *precision, *scale)?;
            Ok(Value::Decimal(value))
        }
        ColumnType::Date => parse_date(text).map(Value::Date),
        ColumnType::Timestamp => parse_timestamp(text).map(Value::Timestamp),
        ColumnType::List(inner) => {
            if text == "[]" {
                return Ok(Value::List(Vec::new()));
            }
            text.split(';')
                .map(|part| match parse_cell(part, inner)? {
                    Value::Null => Err("a list element is empty".to_string()),
                    v => Ok(v),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Value::List)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_type() {
        assert_eq!(parse_cell("", &ColumnType::Date), Ok(Value::Null));
        assert_eq!(
            parse_cell("1970-01-02", &ColumnType::Date),
            Ok(Value::Date(1))
        );
        assert_eq!(
            parse_cell("1970-01-01 00:00:01.5", &ColumnType::Timestamp),
            Ok(Value::Timestamp(1500))
        );
        assert_eq!(
            parse_cell("E11;I10", &ColumnType::List(Box::new(ColumnType::Text))),
            Ok(Value::List(vec![
                Value::Text("E11".into()),
                Value::Text("I10".into())
            ]))
        );
        assert!(
            parse_cell(
                "12.345",
                &ColumnType::Decimal {
                    precision: 18,
                    scale: 2
                }
            )
            .is_err()
        );
        assert!(parse_cell("2024-02-30", &ColumnType::Date).is_err());
        let gender = ColumnType::Enum(vec!["M".into(), "F".into()]);
        assert!(parse_cell("male", &gender).unwrap_err().contains("M, F"));
    }

    #[test]
    fn dates_round_trip() {
        let d = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        assert_eq!(days_to_date(date_to_days(d)), Some(d));
    }
}
