//! Dates and times outside the years 1900 through 2199 are refused: no
//! claim, birth or contract of a living system lies outside them, and a
//! value like day 2^31 or the largest timestamp is a sentinel or a broken
//! export that would change what rules flag. Checked on whole arrays: the
//! minimum and maximum first, row by row only when one is outside.

use arrow::array::{AsArray, PrimitiveArray};
use arrow::compute::{max, min};
use arrow::datatypes::{
    ArrowPrimitiveType, DataType, Date32Type, TimeUnit, TimestampMillisecondType,
};

use super::problem::{Problem, ProblemKind, ProblemLog};
use super::read::LoadedBatch;
use crate::ir::text::days_to_date;

/// 1900-01-01, in days since 1970-01-01.
pub const FIRST_DAY: i32 = -25_567;
/// 2199-12-31, in days since 1970-01-01.
pub const LAST_DAY: i32 = 84_005;
const MS_PER_DAY: i64 = 86_400_000;
/// 1900-01-01 00:00:00.000, in milliseconds since 1970-01-01.
pub const FIRST_MS: i64 = FIRST_DAY as i64 * MS_PER_DAY;
/// 2199-12-31 23:59:59.999, in milliseconds since 1970-01-01.
pub const LAST_MS: i64 = (LAST_DAY as i64 + 1) * MS_PER_DAY - 1;

/// Reports each date or time of `batch` outside the range and marks its
/// row damaged, so later checks do not report it again.
pub fn check_ranges(batch: &mut LoadedBatch, log: &mut ProblemLog) {
    let schema = batch.batch.schema();
    for (index, field) in schema.fields().iter().enumerate() {
        let array = batch.batch.column(index);
        let rows = match field.data_type() {
            DataType::Date32 => outside(array.as_primitive::<Date32Type>(), FIRST_DAY, LAST_DAY),
            DataType::Timestamp(TimeUnit::Millisecond, _) => outside(
                array.as_primitive::<TimestampMillisecondType>(),
                FIRST_MS,
                LAST_MS,
            ),
            _ => continue,
        };
        for (row, raw) in rows {
            let message = match field.data_type() {
                DataType::Date32 => format!(
                    "date {} is outside the accepted range 1900-01-01 to 2199-12-31; write an unknown or open-ended date as null",
                    date_text(raw)
                ),
                _ => format!(
                    "time {} is outside the accepted range 1900-01-01 00:00:00 to 2199-12-31 23:59:59.999; write an unknown time as null",
                    time_text(raw)
                ),
            };
            log.push(
                Problem::new(ProblemKind::OutOfRange, batch.file, message)
                    .in_column(field.name())
                    .at(batch.row_ref(row)),
            );
            batch.mark_damaged(row);
        }
    }
}

/// Rows whose value is outside `first..=last`, with the value.
fn outside<T>(array: &PrimitiveArray<T>, first: T::Native, last: T::Native) -> Vec<(usize, i64)>
where
    T: ArrowPrimitiveType,
    T::Native: Into<i64> + PartialOrd,
{
    let within = match (min(array), max(array)) {
        (Some(lo), Some(hi)) => lo >= first && hi <= last,
        _ => true,
    };
    if within {
        return Vec::new();
    }
    array
        .iter()
        .enumerate()
        .filter_map(|(row, v)| {
            v.filter(|v| *v < first || *v > last)
                .map(|v| (row, v.into()))
        })
        .collect()
}

fn date_text(days: i64) -> String {
    i32::try_from(days)
        .ok()
        .and_then(days_to_date)
        .map_or_else(|| format!("{days} days from 1970-01-01"), |d| d.to_string())
}

fn time_text(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(
        || format!("{ms} ms from 1970-01-01"),
        |t| t.naive_utc().format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn the_bounds_are_the_documented_days() {
        let day =
            |y, m, d| crate::ir::text::date_to_days(NaiveDate::from_ymd_opt(y, m, d).unwrap());
        assert_eq!(FIRST_DAY, day(1900, 1, 1));
        assert_eq!(LAST_DAY, day(2199, 12, 31));
        assert_eq!(time_text(LAST_MS), "2199-12-31 23:59:59.999");
        assert_eq!(time_text(FIRST_MS), "1900-01-01 00:00:00.000");
    }

    #[test]
    fn only_values_outside_are_found() {
        let dates = PrimitiveArray::<Date32Type>::from(vec![
            Some(0),
            None,
            Some(i32::MAX),
            Some(FIRST_DAY),
            Some(LAST_DAY + 1),
            Some(i32::MIN),
        ]);
        let rows: Vec<usize> = outside(&dates, FIRST_DAY, LAST_DAY)
            .iter()
            .map(|r| r.0)
            .collect();
        assert_eq!(rows, vec![2, 4, 5]);
        assert_eq!(date_text(LAST_DAY as i64 + 1), "2200-01-01");
        assert_eq!(
            date_text(i32::MIN as i64),
            "-2147483648 days from 1970-01-01"
        );
        let times = PrimitiveArray::<TimestampMillisecondType>::from(vec![i64::MAX, 0]);
        assert_eq!(outside(&times, FIRST_MS, LAST_MS).len(), 1);
        assert_eq!(
            time_text(i64::MAX),
            "9223372036854775807 ms from 1970-01-01"
        );
    }
}
