//! A copy's days. A test's claims usually lie on a day or two of 2024;
//! each planted copy is moved by a whole number of weeks to a day of the
//! generated period drawn from the seed, every date and time of every
//! table of the copy by the same amount, so what the rule measures
//! between them (days apart, age on the day, within a contract) holds.
//! A copy that would not fit in the period keeps the test's dates.

use rand::RngExt;

use super::case::Case;
use crate::data::contract::{CLAIM_ITEMS, CLAIMS};
use crate::generate::calendar::{DAY_MS, PERIOD_END, PERIOD_START};
use crate::generate::rng::GenRng;
use crate::ir::{Schema, Value};

/// The day a value falls on, if it is a date or a time.
fn day_of(value: &Value) -> Option<i32> {
    match value {
        Value::Date(d) => Some(*d),
        Value::Timestamp(ms) => Some(ms.div_euclid(DAY_MS) as i32),
        _ => None,
    }
}

/// The first and last day of the claims and lines of `case`, if any.
pub fn claim_days(case: &Case, contract: &Schema) -> Option<(i32, i32)> {
    let days = contract
        .tables
        .iter()
        .zip(&case.rows)
        .filter(|(t, _)| t.name == CLAIMS || t.name == CLAIM_ITEMS)
        .flat_map(|(_, rows)| rows.iter().flatten())
        .filter_map(day_of);
    days.fold(None, |span, d| match span {
        None => Some((d, d)),
        Some((a, b)) => Some((a.min(d), b.max(d))),
    })
}

/// The day a copy's left-out dates take: its claims' first day, else the
/// first day of any of its rows, else the first of the period's last year.
pub fn first_day(case: &Case, contract: &Schema) -> i32 {
    claim_days(case, contract)
        .map(|(first, _)| first)
        .or_else(|| {
            case.rows
                .iter()
                .flatten()
                .flatten()
                .filter_map(day_of)
                .min()
        })
        .unwrap_or(PERIOD_END - 365)
}

/// Whole days to move a copy whose claims span `first..=last`: a number
/// of weeks landing it inside the period, drawn from `rng`; zero when the
/// span is longer than the period.
pub fn draw_shift(rng: &mut GenRng, (first, last): (i32, i32)) -> i32 {
    let room = (PERIOD_END - PERIOD_START) - (last - first);
    if room < 0 {
        return 0;
    }
    let target = PERIOD_START + rng.random_range(0..=room);
    let weeks = (target - first).div_euclid(7);
    // Rounding down to a week may step before the period: one week on.
    if first + 7 * weeks < PERIOD_START {
        7 * (weeks + 1)
    } else {
        7 * weeks
    }
}

/// Moves every date and time of the copy by `days`.
pub fn shift(case: &mut Case, days: i32) {
    for value in case.rows.iter_mut().flatten().flatten() {
        match value {
            Value::Date(d) => *d += days,
            Value::Timestamp(ms) => *ms += i64::from(days) * DAY_MS,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::calendar::days_from_civil;
    use crate::generate::rng::{Stream, stream_rng};

    #[test]
    fn a_shift_is_whole_weeks_and_lands_in_the_period() {
        let mut rng = stream_rng(1, Stream::RuleTests, 0);
        let first = days_from_civil(2024, 3, 1);
        for _ in 0..1_000 {
            let days = draw_shift(&mut rng, (first, first + 30));
            assert_eq!(days % 7, 0);
            assert!(first + days >= PERIOD_START, "{days}");
            assert!(first + 30 + days <= PERIOD_END, "{days}");
        }
        // Longer than the period: kept.
        assert_eq!(draw_shift(&mut rng, (0, 10_000)), 0);
    }

    #[test]
    fn every_date_and_time_moves_alike() {
        let mut case = Case {
            rows: vec![vec![vec![
                Value::Date(10),
                Value::Timestamp(10 * DAY_MS + 5),
                Value::Int(10),
            ]]],
        };
        shift(&mut case, 14);
        assert_eq!(
            case.rows[0][0],
            vec![
                Value::Date(24),
                Value::Timestamp(24 * DAY_MS + 5),
                Value::Int(10)
            ]
        );
    }
}
