//! Numbers in CSV cells are plain notation only: an optional `-`, digits,
//! and for decimals a `.` followed by digits (`-123.45`, `0.5`, `100`).
//! A spreadsheet writes `1.23457E+11` when it has already rounded the
//! number, and `1,000`, `1_000` or `+5` come from formatting meant for
//! people; taking any of them as a value could change an amount.

use crate::ir::ColumnType;
use crate::ir::text::is_plain_decimal;

/// Checks every number of a cell of type `ty` (the cell already trimmed).
pub fn check_plain(text: &str, ty: &ColumnType) -> Result<(), String> {
    match ty {
        ColumnType::Int32 | ColumnType::Int64 => plain(text, "-42"),
        ColumnType::Decimal { .. } => plain(text, "-123.45"),
        ColumnType::List(inner) if text != "[]" => text
            .split(';')
            .try_for_each(|part| check_plain(part.trim(), inner)),
        _ => Ok(()),
    }
}

fn plain(text: &str, example: &str) -> Result<(), String> {
    if text.is_empty() || is_plain_decimal(text) {
        return Ok(());
    }
    let has_digit = text.chars().any(|c| c.is_ascii_digit());
    let why = if has_digit && text.contains(['e', 'E']) {
        "is in exponent notation, which a spreadsheet writes when it has rounded the number"
    } else if text.contains('_') {
        "has `_` in it"
    } else if has_digit && text.contains([',', ' ', '\'']) {
        "has a thousands separator or a decimal comma in it"
    } else if text.starts_with('+') {
        "has a `+` sign (a positive number has none)"
    } else if text.starts_with('.') || text.starts_with("-.") || text.ends_with('.') {
        "has no digit on one side of the point"
    } else {
        "is not a number"
    };
    Err(format!(
        "`{text}` {why}; write numbers in plain notation, like {example}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MONEY: ColumnType = ColumnType::Decimal {
        precision: 18,
        scale: 2,
    };

    #[test]
    fn plain_numbers_pass() {
        for text in ["-123.45", "0.5", "100", "0", "-0.00", "007", ""] {
            assert_eq!(check_plain(text, &MONEY), Ok(()), "{text}");
        }
        assert_eq!(check_plain("12", &ColumnType::Int32), Ok(()));
        // A fraction in a whole-number column is for the cell parser to name.
        assert_eq!(check_plain("12.5", &ColumnType::Int64), Ok(()));
        assert_eq!(check_plain("1e5", &ColumnType::Text), Ok(()));
    }

    #[test]
    fn other_notations_are_named() {
        let cases = [
            ("1.23457E+11", "exponent notation"),
            ("1e5", "exponent notation"),
            ("1_000", "`_`"),
            ("1,000", "thousands separator"),
            ("1 000", "thousands separator"),
            ("+5", "`+` sign"),
            (".5", "no digit"),
            ("5.", "no digit"),
            ("NaN", "is not a number"),
            ("１２", "is not a number"),
            ("--5", "is not a number"),
        ];
        for (text, why) in cases {
            let err = check_plain(text, &MONEY).unwrap_err();
            assert!(err.contains(why), "{text}: {err}");
            assert!(err.starts_with(&format!("`{text}` ")), "{err}");
        }
        let err = check_plain("+7", &ColumnType::Int32).unwrap_err();
        assert!(err.ends_with("like -42"), "{err}");
    }
}
