//! Calendar days as the contract stores them (Date32: days since 1970-01-01)
//! and the contract's age rule, computed without chrono on the hot path.

/// 2023-01-01, the first day of the generated period.
pub const PERIOD_START: i32 = days_from_civil(2023, 1, 1);
/// 2024-12-31, the last day: the period holds a non-leap and a leap year and
/// one year boundary (annual caps reset there).
pub const PERIOD_END: i32 = days_from_civil(2024, 12, 31);

/// Milliseconds in a day, for settlement timestamps.
pub const DAY_MS: i64 = 86_400_000;

/// A civil date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ymd {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

pub const fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days since 1970-01-01 of a valid civil date (H. Hinnant's algorithm).
pub const fn days_from_civil(year: i32, month: u32, day: u32) -> i32 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = (if y >= 0 { y } else { y - 399 }) / 400;
    let yoe = y - era * 400;
    let m = month as i32;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number (inverse of [`days_from_civil`]).
pub const fn civil_from_days(days: i32) -> Ymd {
    let z = days + 719_468;
    let era = (if z >= 0 { z } else { z - 146_096 }) / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + if month <= 2 { 1 } else { 0 };
    Ymd { year, month, day }
}

/// Age in full years on `at` of someone born on `birth` (docs/contract.md):
/// a 29 February child ages on 1 March in non-leap years.
pub fn age(birth: Ymd, at: Ymd) -> i32 {
    at.year - birth.year - i32::from((at.month, at.day) < (birth.month, birth.day))
}

/// The first day on which someone born on `birth` is `years` old.
pub fn birthday(birth: Ymd, years: i32) -> i32 {
    let year = birth.year + years;
    if birth.month == 2 && birth.day == 29 && !is_leap(year) {
        days_from_civil(year, 3, 1)
    } else {
        days_from_civil(year, birth.month, birth.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_the_civil_calendar() {
        assert_eq!(PERIOD_START, 19_358);
        assert_eq!(PERIOD_END - PERIOD_START, 730);
        for days in -30_000..30_000 {
            let ymd = civil_from_days(days);
            assert_eq!(days_from_civil(ymd.year, ymd.month, ymd.day), days);
        }
    }

    #[test]
    fn leap_day_children_age_on_the_first_of_march() {
        let birth = civil_from_days(days_from_civil(2008, 2, 29));
        let on = |y, m, d| age(birth, civil_from_days(days_from_civil(y, m, d)));
        assert_eq!(on(2023, 2, 28), 14);
        assert_eq!(on(2023, 3, 1), 15);
        assert_eq!(on(2024, 2, 28), 15);
        assert_eq!(on(2024, 2, 29), 16);
        assert_eq!(birthday(birth, 15), days_from_civil(2023, 3, 1));
        assert_eq!(birthday(birth, 16), days_from_civil(2024, 2, 29));
    }
}
