//! Cases of the rules about inpatient stays and yearly sums: STAY-01,
//! STAY-02, SPLIT-01 and CAP-01.

use rand::RngExt;

use super::super::calendar::days_from_civil;
use super::super::labels::Expect::{Flag, NoFlag};
use super::super::model::{Insurance, ItemType, VisitType};
use super::super::money::YUAN;
use super::super::rng::pick;
use super::Site;
use super::kit::{Claim, Fund, Kit, Target};

pub fn plant(kit: &mut Kit<'_>, site: &Site) {
    care_during_stay(kit, site);
    overlapping_stays(kit, site);
    readmissions(kit, site);
    annual_cap(kit, site, false);
    annual_cap(kit, site, true);
}

fn claim(id: String) -> Target {
    Target::Claim(id)
}

/// STAY-01: outpatient care or a purchase elsewhere strictly inside a stay
/// flags; on the admission or discharge day, or at the same hospital, not.
fn care_during_stay(kit: &mut Kit<'_>, site: &Site) {
    let admit = kit.inner_day(30);
    let discharge = admit + kit.rng.random_range(5..=12);
    let inside = kit.day(admit + 1, discharge - 1);
    for (place, day, expect, case) in [
        (
            &site.secondary,
            inside,
            Flag,
            "outpatient elsewhere strictly inside a stay",
        ),
        (
            &site.pharmacy,
            inside,
            Flag,
            "pharmacy purchase strictly inside a stay",
        ),
        (
            &site.secondary,
            admit,
            NoFlag,
            "outpatient elsewhere on the admission day",
        ),
        (
            &site.secondary,
            discharge,
            NoFlag,
            "outpatient elsewhere on the discharge day",
        ),
        (
            &site.tertiary,
            inside,
            NoFlag,
            "outpatient at the same hospital inside a stay",
        ),
    ] {
        let who = kit.someone(site.region);
        kit.stay(
            &who,
            &site.tertiary,
            (admit, discharge),
            "I63.900",
            0,
            Vec::new(),
        );
        let id = kit.visit(&who, place, "I10.x00", vec![kit.filler(0, day)]);
        kit.label("STAY-01", expect, claim(id), case);
    }
}

/// STAY-02: overlapping or nested stays at two hospitals flag both; touching
/// stays (discharge day = next admission) do not. The two stays bill
/// different ward items, so DUP-01 has nothing to find.
fn overlapping_stays(kit: &mut Kit<'_>, site: &Site) {
    let admit = kit.inner_day(40);
    let first = kit.rng.random_range(6..=12);
    let second = kit.rng.random_range(3..=8);
    let overlap = kit.rng.random_range(1..first);
    for (later, length, expect, case) in [
        (
            admit + overlap,
            second + first,
            Flag,
            "stays at two hospitals overlap",
        ),
        (admit + 1, first - 2, Flag, "a stay inside another stay"),
        (
            admit + first,
            second,
            NoFlag,
            "touching stays: discharge day is the next admission",
        ),
    ] {
        let who = kit.someone(site.region);
        let a = kit.stay(
            &who,
            &site.tertiary,
            (admit, admit + first),
            "J18.900",
            0,
            Vec::new(),
        );
        let b = kit.stay(
            &who,
            &site.secondary,
            (later, later + length),
            "J18.900",
            1,
            Vec::new(),
        );
        for id in [a, b] {
            kit.label("STAY-02", expect, claim(id), case);
        }
    }
}

/// SPLIT-01: readmission to the same hospital 15 days and 0 days after
/// discharge with a diagnosis of the same 3-character group flags; 16 days,
/// another group, or another hospital do not.
fn readmissions(kit: &mut Kit<'_>, site: &Site) {
    const SAME_GROUP: [(&str, &str); 3] = [
        ("J18.900", "J18.000"),
        ("I63.900", "I63.900"),
        ("K80.200", "K80.100"),
    ];
    let (dx, same) = *pick(&mut kit.rng, &SAME_GROUP);
    let admit = kit.inner_day(60);
    let length = kit.rng.random_range(4..=10);
    let discharge = admit + length;
    for (gap, second_dx, hospital, expect, case) in [
        (
            15,
            same,
            &site.secondary,
            Flag,
            "readmitted 15 days after discharge, same diagnosis group",
        ),
        (
            0,
            same,
            &site.secondary,
            Flag,
            "readmitted on the day of discharge, same diagnosis group",
        ),
        (
            16,
            same,
            &site.secondary,
            NoFlag,
            "readmitted 16 days after discharge",
        ),
        (
            5,
            "M54.500",
            &site.secondary,
            NoFlag,
            "readmitted within 15 days for another diagnosis group",
        ),
        (
            5,
            same,
            &site.tertiary_b,
            NoFlag,
            "readmitted within 15 days to another hospital",
        ),
    ] {
        let who = kit.someone(site.region);
        let first = kit.stay(&who, &site.secondary, (admit, discharge), dx, 0, Vec::new());
        let again = discharge + gap;
        let id = kit.stay(
            &who,
            hospital,
            (again, again + length),
            second_dx,
            0,
            Vec::new(),
        );
        kit.label(
            "SPLIT-01",
            NoFlag,
            claim(first),
            "first stay: no predecessor",
        );
        kit.label("SPLIT-01", expect, claim(id), case);
    }
}

/// CAP-01: three costly stays of one year whose fund payments add up to
/// exactly the cap (no flag, nor for a later claim paying nothing), or to one
/// fen more (flag, and every later claim of that year; the next year starts
/// again).
fn annual_cap(kit: &mut Kit<'_>, site: &Site, over: bool) {
    let insurance = if kit.rng.random_bool(0.5) {
        Insurance::Employee
    } else {
        Insurance::Resident
    };
    let cap = match insurance {
        Insurance::Employee => 700_000 * YUAN,
        Insurance::Resident => 300_000 * YUAN,
    };
    let year = if over {
        2023
    } else {
        *pick(&mut kit.rng, &[2023, 2024])
    };
    let mut patient = kit.adult(site.region);
    patient.insurance = insurance;
    let who = kit.register(patient);
    let treatment = kit.entry(ItemType::Service, "体外膜肺氧合(ECMO)治疗");
    let treatment = kit.add(treatment);
    let first = cap * kit.rng.random_range(30..=40) / 100;
    let second = cap * kit.rng.random_range(30..=40) / 100;
    let third = cap - first - second + i64::from(over);
    let hospitals = [&site.tertiary, &site.secondary, &site.tertiary];
    let mut admit = days_from_civil(year, 1, 1) + kit.rng.random_range(1..=20);
    let mut last_stay = String::new();
    for (fund, hospital) in [first, second, third].into_iter().zip(hospitals) {
        let length = kit.rng.random_range(12..=14);
        // A daily treatment priced so the stay costs well over what the fund pays.
        let daily = (fund * 115 / 100 / i64::from(length) / YUAN + 1) * YUAN * 100;
        let lines = (admit..admit + length)
            .map(|d| kit.line(treatment, d).price(daily))
            .collect();
        last_stay = kit.claim(Claim {
            who: &who,
            place: hospital,
            visit: VisitType::Inpatient,
            admit,
            discharge: admit + length,
            dx: "J96.000",
            secondary: None,
            fund: Fund::Exact(fund),
            lines,
        });
        admit += length + kit.rng.random_range(30..=40);
    }
    // After an exact cap the later claim pays nothing, so the sum stays at the cap.
    let later_fund = if over {
        Fund::Share(50)
    } else {
        Fund::Exact(0)
    };
    let later = kit.claim(Claim {
        who: &who,
        place: &site.pharmacy,
        visit: VisitType::Pharmacy,
        admit,
        discharge: admit,
        dx: "J96.000",
        secondary: None,
        fund: later_fund,
        lines: vec![kit.filler(0, admit)],
    });
    if over {
        kit.label(
            "CAP-01",
            Flag,
            claim(last_stay),
            "running fund sum one fen over the annual cap",
        );
        kit.label(
            "CAP-01",
            Flag,
            claim(later),
            "a later claim of the same year after the cap",
        );
        let next_year = kit.day(days_from_civil(2024, 1, 10), days_from_civil(2024, 6, 30));
        let id = kit.visit(
            &who,
            &site.pharmacy,
            "J96.000",
            vec![kit.filler(0, next_year)],
        );
        kit.label(
            "CAP-01",
            NoFlag,
            claim(id),
            "the first claim of the next year",
        );
    } else {
        kit.label(
            "CAP-01",
            NoFlag,
            claim(last_stay),
            "running fund sum exactly at the annual cap",
        );
        kit.label(
            "CAP-01",
            NoFlag,
            claim(later),
            "a later claim paying nothing keeps the sum at the cap",
        );
    }
}
