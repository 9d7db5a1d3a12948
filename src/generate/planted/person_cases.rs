//! Cases of the rules about who was treated where and when: GHOST-01,
//! GHOST-02, GHOST-03, WAIT-01 and CONTRACT-01. Lines are neutral drugs.

use rand::RngExt;

use super::super::calendar::{PERIOD_END, PERIOD_START};
use super::super::labels::Expect::{Flag, NoFlag};
use super::super::model::ProviderKind;
use super::super::providers::open_contract;
use super::super::rng::pick;
use super::Site;
use super::kit::{Kit, Target};

pub fn plant(kit: &mut Kit<'_>, site: &Site) {
    death(kit, site);
    unknown_person(kit, site);
    two_regions(kit, site);
    waiting_period(kit, site);
    designation(kit, site);
}

fn claim(id: String) -> Target {
    Target::Claim(id)
}

/// GHOST-01: care on the day of death is fine, the day after is not.
fn death(kit: &mut Kit<'_>, site: &Site) {
    let died = kit.inner_day(10);
    for (day, expect, case) in [
        (died, NoFlag, "visit on the day of death"),
        (died + 1, Flag, "visit the day after death"),
    ] {
        let mut patient = kit.adult(site.region);
        patient.death = Some(died);
        let who = kit.register(patient);
        let id = kit.visit(&who, &site.secondary, "I50.900", vec![kit.filler(0, day)]);
        kit.label("GHOST-01", expect, claim(id), case);
    }
    let mut patient = kit.adult(site.region);
    patient.death = Some(died);
    let who = kit.register(patient);
    let admit = died - kit.rng.random_range(2..=8);
    let id = kit.stay(
        &who,
        &site.tertiary,
        (admit, died),
        "I21.900",
        0,
        Vec::new(),
    );
    kit.label(
        "GHOST-01",
        NoFlag,
        claim(id),
        "stay ending on the day of death",
    );
}

/// GHOST-02: a claim for an id the registry does not know.
fn unknown_person(kit: &mut Kit<'_>, site: &Site) {
    let day = kit.inner_day(5);
    let stranger = kit.stranger(site.region);
    let id = kit.visit(&stranger, &site.clinic, "J06.900", vec![kit.filler(0, day)]);
    kit.label("GHOST-02", Flag, claim(id), "patient id not registered");
    let id = kit.lone(&site.clinic, kit.filler(0, day));
    kit.label("GHOST-02", NoFlag, claim(id), "registered patient");
}

/// GHOST-03: outpatient and pharmacy claims of one day in two regions flag
/// together; one region, consecutive days, or an admission elsewhere do not.
fn two_regions(kit: &mut Kit<'_>, site: &Site) {
    let day = kit.inner_day(10);
    let who = kit.someone(site.region);
    let here = kit.visit(&who, &site.secondary, "J06.900", vec![kit.filler(0, day)]);
    let there = kit.visit(
        &who,
        &site.far_pharmacy,
        "J06.900",
        vec![kit.filler(1, day)],
    );
    for id in [here, there] {
        kit.label(
            "GHOST-03",
            Flag,
            claim(id),
            "outpatient and pharmacy in two regions on one day",
        );
    }

    let who = kit.someone(site.region);
    let here = kit.visit(&who, &site.secondary, "J06.900", vec![kit.filler(0, day)]);
    let near = kit.visit(&who, &site.pharmacy, "J06.900", vec![kit.filler(1, day)]);
    for id in [here, near] {
        kit.label(
            "GHOST-03",
            NoFlag,
            claim(id),
            "outpatient and pharmacy in one region on one day",
        );
    }

    let who = kit.someone(site.region);
    let here = kit.visit(&who, &site.secondary, "J06.900", vec![kit.filler(0, day)]);
    let there = kit.visit(
        &who,
        &site.far_pharmacy,
        "J06.900",
        vec![kit.filler(1, day + 1)],
    );
    for id in [here, there] {
        kit.label(
            "GHOST-03",
            NoFlag,
            claim(id),
            "two regions on consecutive days",
        );
    }

    let who = kit.someone(site.region);
    let here = kit.visit(&who, &site.secondary, "J06.900", vec![kit.filler(0, day)]);
    kit.stay(
        &who,
        &site.far_secondary,
        (day, day + 4),
        "J18.900",
        0,
        Vec::new(),
    );
    kit.label(
        "GHOST-03",
        NoFlag,
        claim(here),
        "outpatient on the day of an admission in another region",
    );
}

/// WAIT-01: the day before benefits start, and the first day of benefits.
fn waiting_period(kit: &mut Kit<'_>, site: &Site) {
    let start = kit.day(PERIOD_START + 5, PERIOD_END - 5);
    let wait = *pick(&mut kit.rng, &[90, 180]);
    for (day, expect, case) in [
        (start - 1, Flag, "visit the day before benefit_start_date"),
        (start, NoFlag, "visit on benefit_start_date"),
    ] {
        let mut patient = kit.adult(site.region);
        patient.enroll = start - wait;
        patient.benefit_start = start;
        let who = kit.register(patient);
        let id = kit.visit(&who, &site.clinic, "J06.900", vec![kit.filler(0, day)]);
        kit.label("WAIT-01", expect, claim(id), case);
    }
}

/// CONTRACT-01: an unknown provider, and the edges of a designation that
/// starts and of one that ends inside the period (judged on admit_date).
fn designation(kit: &mut Kit<'_>, site: &Site) {
    let day = kit.inner_day(5);
    let nowhere = kit.nowhere(site.region);
    let id = kit.lone(&nowhere, kit.filler(0, day));
    kit.label("CONTRACT-01", Flag, claim(id), "provider not registered");

    let from = kit.inner_day(10);
    let opening = kit.provider(1, ProviderKind::Clinic, site.region, (from, None));
    let opening = kit.place(opening);
    for (day, expect, case) in [
        (from - 1, Flag, "the day before contract_from"),
        (from, NoFlag, "on contract_from"),
    ] {
        let id = kit.lone(&opening, kit.filler(0, day));
        kit.label("CONTRACT-01", expect, claim(id), case);
    }

    let to = kit.inner_day(10);
    let (since, _) = open_contract(&mut kit.rng);
    let closing = kit.provider(0, ProviderKind::Pharmacy, site.region, (since, Some(to)));
    let closing = kit.place(closing);
    for (day, expect, case) in [
        (to, NoFlag, "on contract_to"),
        (to + 1, Flag, "the day after contract_to"),
    ] {
        let id = kit.lone(&closing, kit.filler(0, day));
        kit.label("CONTRACT-01", expect, claim(id), case);
    }

    let hospital = kit.provider(2, ProviderKind::Hospital, site.region, (since, Some(to)));
    let hospital = kit.place(hospital);
    let who = kit.someone(site.region);
    let id = kit.stay(&who, &hospital, (to, to + 5), "K35.800", 0, Vec::new());
    kit.label(
        "CONTRACT-01",
        NoFlag,
        claim(id),
        "stay admitted on contract_to, discharged after",
    );
}
