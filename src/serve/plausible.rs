//! The plausible window of a claim's dates: none before 1900-01-01, none
//! after today plus `--future-tolerance-days`. A date outside it is a
//! typing error (2204 for 2024), and taken as data it would be judged
//! against nothing and outlive every real claim: it is refused, naming the
//! field (`lines[3].service_date`).

use super::api::{FieldError, LINES, date_text, time_text};
use super::shape::{Claim, ClaimShape, Part, day_of};
use crate::ir::Value;
use crate::ir::text::{FIRST_YEAR, date_to_days};

/// The days a claim's dates and times may fall on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub first: i32,
    pub last: i32,
    /// Today and the tolerance, for messages.
    pub today: i32,
    pub tolerance_days: i64,
}

impl Window {
    pub fn new(today: i32, tolerance_days: i64) -> Window {
        let first = chrono::NaiveDate::from_ymd_opt(FIRST_YEAR, 1, 1).expect("a date");
        let last = (today as i64 + tolerance_days).clamp(i32::MIN as i64, i32::MAX as i64) as i32;
        Window {
            first: date_to_days(first),
            last,
            today,
            tolerance_days,
        }
    }
}

/// Refuses the first date or time of `claim` outside `window`.
pub fn check(shape: &ClaimShape, claim: &Claim, window: &Window) -> Result<(), FieldError> {
    for &(part, column) in shape.date_columns() {
        let rows: Box<dyn Iterator<Item = (Option<usize>, &Vec<Value>)>> = match part {
            Part::Header => Box::new(std::iter::once((None, &claim.header))),
            Part::Lines => Box::new(claim.lines.iter().enumerate().map(|(i, l)| (Some(i), l))),
        };
        for (line, row) in rows {
            let Some(value) = row.get(column) else {
                continue;
            };
            let Some(day) = day_of(value) else {
                continue;
            };
            if (window.first..=window.last).contains(&day) {
                continue;
            }
            // Named only now: the field's path is built for the error alone.
            let name = &shape
                .table(part)
                .expect("a date column is in a table")
                .columns[column]
                .name;
            let field = match line {
                Some(i) => format!("{LINES}[{i}].{name}"),
                None => name.clone(),
            };
            let written = match value {
                Value::Timestamp(ms) => time_text(*ms),
                _ => date_text(day),
            };
            let message = if day < window.first {
                format!(
                    "`{written}` is before {}, the earliest date taken",
                    date_text(window.first)
                )
            } else {
                format!(
                    "`{written}` is after {}, the latest date taken (the service's today, {}, plus --future-tolerance-days {})",
                    date_text(window.last),
                    date_text(window.today),
                    window.tolerance_days
                )
            };
            return Err(FieldError::new(field, message));
        }
    }
    Ok(())
}
