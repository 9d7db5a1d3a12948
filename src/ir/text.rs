//! Reading one value of a column from text, as written in fixture files.
//!
//! Dates `2024-03-01`; times `2024-03-01 08:30:00` (a `T` may separate them,
//! milliseconds may follow); decimals `12.50`; booleans `true`/`false`;
//! lists with `;` between elements (`E11.900;I10.x00`, or `[]` for an
//! empty list). An empty cell is null.
//!
//! The service reads its JSON strictly (`parse_date_exact`,
//! `parse_timestamp_exact`, `is_plain_decimal`): a body typed by hand or by
//! a buggy client must not pass for a date it does not mean.

use std::str::FromStr;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
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

/// The earliest year the service's strict forms take: a claim from before
/// 1900 is a typing error, not history.
pub const FIRST_YEAR: i32 = 1900;

/// A date exactly `yyyy-MM-dd` (four-digit year from 1900, two-digit month
/// and day), as the service takes it: no `2024-6-1`, no sign, no year 0000.
pub fn parse_date_exact(text: &str) -> Result<i32, String> {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && digits(0..4)
        && digits(5..7)
        && digits(8..10);
    let date = shaped
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| format!("`{text}` is not a date like 2024-03-01 (yyyy-MM-dd)"))?;
    if date.year() < FIRST_YEAR {
        return Err(format!(
            "`{text}` is before {FIRST_YEAR}-01-01, the earliest date taken"
        ));
    }
    Ok(date_to_days(date))
}

/// A time exactly `yyyy-MM-dd HH:mm:ss` (a `T` may stand for the space;
/// the seconds may be left out; up to three digits of milliseconds may
/// follow them), the date as in [`parse_date_exact`].
pub fn parse_timestamp_exact(text: &str) -> Result<i64, String> {
    let wrong = || format!("`{text}` is not a time like 2024-03-01 08:30:00 (yyyy-MM-dd HH:mm:ss)");
    let (day, clock) = match text.split_at_checked(10) {
        Some((day, rest)) if rest.starts_with([' ', 'T']) => (day, &rest[1..]),
        _ => return Err(wrong()),
    };
    let day =
        parse_date_exact(day).map_err(|e| if e.contains("earliest") { e } else { wrong() })?;
    let b = clock.as_bytes();
    let two = |i: usize| b.len() >= i + 2 && b[i].is_ascii_digit() && b[i + 1].is_ascii_digit();
    let shaped = match b.len() {
        5 => two(0) && b[2] == b':' && two(3),
        8 => two(0) && b[2] == b':' && two(3) && b[5] == b':' && two(6),
        10..=12 => {
            two(0)
                && b[2] == b':'
                && two(3)
                && b[5] == b':'
                && two(6)
                && b[8] == b'.'
                && b[9..].iter().all(u8::is_ascii_digit)
        }
        _ => false,
    };
    let format = if b.len() == 5 { "%H:%M" } else { "%H:%M:%S%.f" };
    let time = shaped
        .then(|| chrono::NaiveTime::parse_from_str(clock, format).ok())
        .flatten()
        .ok_or_else(wrong)?;
    Ok(day as i64 * 86_400_000 + (time - chrono::NaiveTime::MIN).num_milliseconds())
}

/// Whether `text` is a decimal in plain notation: an optional minus,
/// digits, and optionally a point and digits (no exponent, no `_`, no
/// sign `+`, no spaces), which `Decimal::from_str` alone does not ensure.
pub fn is_plain_decimal(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (digits, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    all_digits(whole) && fraction.is_none_or(all_digits)
}

/// A finite floating-point number, in plain or scientific notation
/// (`0.35`, `-2`, `1.5e-3`); infinities and NaN are refused.
pub fn parse_float(text: &str) -> Result<f64, String> {
    let is_number = text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
    match f64::from_str(text) {
        Ok(x) if is_number && x.is_finite() => Ok(x + 0.0),
        Ok(_) if is_number => Err(format!("`{text}` is beyond the range of a float64")),
        _ => Err(format!("`{text}` is not a finite number")),
    }
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
            // Plain notation only: `+5` and `1_000` are not what was meant.
            let plain = is_plain_decimal(text) && !text.contains('.');
            let value = i64::from_str(text)
                .ok()
                .filter(|_| plain)
                .ok_or_else(|| format!("`{text}` is not a whole number in plain notation"))?;
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
            let value = Decimal::from_str(text)
                .ok()
                .filter(|_| is_plain_decimal(text))
                .ok_or_else(|| format!("`{text}` is not a decimal number in plain notation"))?;
            decimal_mantissa(value, *precision, *scale)?;
            Ok(Value::Decimal(value))
        }
        ColumnType::Float64 => parse_float(text).map(Value::Float),
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
    fn the_exact_forms_refuse_what_chrono_lets_through() {
        assert_eq!(parse_date_exact("1970-01-02"), Ok(1));
        for bad in [
            "2024-6-1",
            "0000-01-01",
            "-0001-01-01",
            "+2024-01-01",
            "2024-02-30",
            " 2024-01-01",
            "1899-12-31",
            "20240-01-01",
        ] {
            assert!(parse_date_exact(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_timestamp_exact("1970-01-01 00:00:01.5"), Ok(1500));
        assert_eq!(parse_timestamp_exact("1970-01-01T00:01"), Ok(60_000));
        assert_eq!(parse_timestamp_exact("1970-01-02 00:00:00"), Ok(86_400_000));
        for bad in [
            "2024-06-01 9:30:00",
            "2024-06-01 09:30:00.1234",
            "2024-06-01",
            "2024-06-01 09:30:00Z",
            "2024-06-01  09:30",
            "9999-12-31 25:00:00",
            "2024-06-01 09:30:60.5x",
        ] {
            assert!(parse_timestamp_exact(bad).is_err(), "{bad}");
        }
        for good in ["0", "-1", "12.50", "0.001"] {
            assert!(is_plain_decimal(good), "{good}");
        }
        for bad in [
            "1e5", "1_000", "+1", ".5", "5.", "", "-", " 1", "1.2.3", "١",
        ] {
            assert!(!is_plain_decimal(bad), "{bad}");
        }
    }

    #[test]
    fn dates_round_trip() {
        let d = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        assert_eq!(days_to_date(date_to_days(d)), Some(d));
    }

    #[test]
    fn cells_take_numbers_in_plain_notation_only() {
        let money = ColumnType::Decimal {
            precision: 18,
            scale: 2,
        };
        for (text, ty) in [
            ("+5", &ColumnType::Int32),
            ("1_000", &ColumnType::Int64),
            ("1.0", &ColumnType::Int32),
            ("+1.50", &money),
            ("1_000.00", &money),
            ("1e5", &money),
        ] {
            assert!(parse_cell(text, ty).is_err(), "{text}");
        }
        assert_eq!(parse_cell("-42", &ColumnType::Int32), Ok(Value::Int(-42)));
        assert!(parse_cell("-12.50", &money).is_ok());
    }
}
