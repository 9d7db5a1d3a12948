//! Insured persons (参保人员): who they are and when they may be treated.

use std::fmt::Write;

use rand::RngExt;

use super::calendar::{
    PERIOD_END, PERIOD_START, birthday, civil_from_days, days_from_civil, is_leap,
};
use super::model::{Gender, Insurance};
use super::regions::{REGIONS, region_weights};
use super::rng::{GenRng, weighted};

#[derive(Debug, Clone)]
pub struct Patient {
    /// Position among all persons of the dataset; the id and claim ids derive from it.
    pub index: u64,
    pub gender: Gender,
    pub birth: i32,
    pub death: Option<i32>,
    pub insurance: Insurance,
    pub enroll: i32,
    pub benefit_start: i32,
    /// Index into [`REGIONS`].
    pub region: usize,
}

impl Patient {
    /// The days on which the person may be treated at the fund's expense:
    /// from the start of benefits (and birth) to death or the period's end.
    pub fn covered_days(&self) -> Option<(i32, i32)> {
        let first = PERIOD_START.max(self.benefit_start).max(self.birth);
        let last = PERIOD_END.min(self.death.unwrap_or(PERIOD_END));
        (first <= last).then_some((first, last))
    }
}

/// Appends a person's id (人员编号): insured area and serial number.
pub fn write_patient_id(out: &mut String, region: usize, index: u64) {
    // Writing to a String cannot fail.
    let _ = write!(out, "{}{index:010}", REGIONS[region].code);
}

/// Age bands of the insured population (youngest, oldest) and their weights.
const AGE_BANDS: [(i32, i32); 7] = [
    (0, 6),
    (7, 17),
    (18, 34),
    (35, 49),
    (50, 64),
    (65, 79),
    (80, 94),
];
const AGE_WEIGHTS: [u32; 7] = [7, 10, 20, 21, 22, 15, 5];

/// A random day of `year` (29 February included in leap years).
fn day_in_year(rng: &mut GenRng, year: i32) -> i32 {
    let length = if is_leap(year) { 366 } else { 365 };
    days_from_civil(year, 1, 1) + rng.random_range(0..length)
}

/// An ordinary insured person of the background.
pub fn draw_patient(rng: &mut GenRng, index: u64) -> Patient {
    let region = weighted(rng, &region_weights());
    let gender = if rng.random_bool(0.5) {
        Gender::M
    } else {
        Gender::F
    };
    let (young, old) = AGE_BANDS[weighted(rng, &AGE_WEIGHTS)];
    // Age on 2024-12-31, so birth years run from 1930 to 2024.
    let age_2024 = rng.random_range(young..=old);
    let birth = day_in_year(rng, 2024 - age_2024).min(PERIOD_END);
    let birth_ymd = civil_from_days(birth);
    let age_2023 = 2023 - birth_ymd.year;
    let insurance = match age_2023 {
        18..=64 if rng.random_bool(0.6) => Insurance::Employee,
        65.. if rng.random_bool(0.35) => Insurance::Employee,
        _ => Insurance::Resident,
    };
    let (enroll, benefit_start) = if birth > days_from_civil(2022, 12, 31) {
        // Newborns are enrolled within weeks of birth, benefits from enrolment.
        let enroll = (birth + rng.random_range(0..60)).min(PERIOD_END);
        (enroll, enroll)
    } else if rng.random_bool(0.03) {
        // Re-enrolled inside the period; some wait before benefits start (待遇等待期).
        let enroll = rng
            .random_range(PERIOD_START..days_from_civil(2024, 10, 31))
            .max(birth);
        let wait = [0, 90, 180][rng.random_range(0..3)];
        (enroll, enroll + wait)
    } else {
        let earliest = match insurance {
            Insurance::Employee => birthday(birth_ymd, 18).max(days_from_civil(1998, 12, 1)),
            Insurance::Resident => birth.max(days_from_civil(2003, 1, 1)),
        };
        let enroll = rng.random_range(earliest..=days_from_civil(2022, 12, 31).max(earliest));
        (enroll, enroll)
    };
    let death_chance = match age_2023 {
        ..60 => 0.003,
        60..80 => 0.02,
        _ => 0.09,
    };
    let death = (age_2023 >= 1 && rng.random_bool(death_chance))
        .then(|| rng.random_range(PERIOD_START..=PERIOD_END));
    Patient {
        index,
        gender,
        birth,
        death,
        insurance,
        enroll,
        benefit_start,
        region,
    }
}
