//! The service's today: the system clock in Beijing time (the contract's
//! times are local to Asia/Shanghai), or a day fixed at start (`--today`)
//! for tests and for replaying a past period. The store's look-back and the
//! plausible window of a claim's dates are measured from it, never from a
//! claim's own dates, so one mistyped date cannot move them.

use chrono::{Duration, NaiveDate, NaiveDateTime, Utc};

use crate::ir::text::{date_to_days, parse_date_exact};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Clock {
    /// The system clock.
    #[default]
    System,
    /// This day, at the system's time of day.
    Fixed(NaiveDate),
}

impl Clock {
    /// Reads `--today`: a date `yyyy-MM-dd`.
    pub fn fixed(text: &str) -> Result<Clock, String> {
        let days = parse_date_exact(text)?;
        Ok(Clock::Fixed(
            crate::ir::text::days_to_date(days).expect("a parsed date exists"),
        ))
    }

    /// Now, in Beijing time.
    pub fn now(&self) -> NaiveDateTime {
        let system = (Utc::now() + Duration::hours(8)).naive_utc();
        match self {
            Clock::System => system,
            Clock::Fixed(day) => day.and_time(system.time()),
        }
    }

    /// Today, as days since 1970-01-01.
    pub fn today(&self) -> i32 {
        date_to_days(self.now().date())
    }
}
