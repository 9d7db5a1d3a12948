//! Cases of MUTEX-01: items the knowledge base lists as mutually exclusive
//! (互斥项目) billed for one patient on one day. Every pair is made of
//! entries of its own that only these cases bill, listed only here; a
//! patient's lines of one day are different items (DUP-01), at providers of
//! one region (GHOST-03), and no entry carries a limit.

use super::super::calendar::{PERIOD_START, days_from_civil};
use super::super::labels::Expect::{self, Flag, NoFlag};
use super::super::model::ItemType;
use super::Site;
use super::kit::{Kit, Line, Target};

const RULE: &str = "MUTEX-01";

pub fn plant(kit: &mut Kit<'_>, site: &Site) {
    pair_in_force(kit, site);
    listed_the_other_way(kit, site);
    two_partners(kit, site);
    drugs(kit, site);
    two_versions(kit, site);
    closed_version(kit, site);
}

/// A version in force since long before the period, open.
fn always() -> (i32, Option<i32>) {
    (days_from_civil(2020, 1, 1), None)
}

/// A new entry of `item_type` named `name`.
fn item(kit: &mut Kit<'_>, item_type: ItemType, name: &str) -> usize {
    let entry = kit.entry(item_type, name);
    kit.add(entry)
}

/// Labels lines 1 to `lines` of `claim`.
fn label(kit: &mut Kit<'_>, claim: &str, lines: i32, expect: Expect, case: &'static str) {
    for line_no in 1..=lines {
        kit.label(RULE, expect, Target::Line(claim.to_string(), line_no), case);
    }
}

/// A fresh patient's claim of `lines`, every line labelled.
fn one_claim(kit: &mut Kit<'_>, site: &Site, lines: Vec<Line>, expect: Expect, case: &'static str) {
    let who = kit.someone(site.region);
    let count = lines.len() as i32;
    let claim = kit.visit(&who, &site.secondary, "R50.900", lines);
    label(kit, &claim, count, expect, case);
}

/// Two services listed as exclusive: billed in one claim, in two claims
/// of one day; not on consecutive days, not for two patients.
fn pair_in_force(kit: &mut Kit<'_>, site: &Site) {
    let drip = item(kit, ItemType::Service, "静脉输液(第一组)");
    let push = item(kit, ItemType::Service, "静脉注射");
    kit.exclusive(drip, push, always());
    let day = kit.inner_day(5);

    let lines = vec![kit.line(drip, day), kit.line(push, day)];
    one_claim(kit, site, lines, Flag, "two exclusive items in one claim");

    let who = kit.someone(site.region);
    for (place, entry) in [(&site.secondary, drip), (&site.clinic, push)] {
        let claim = kit.visit(&who, place, "R50.900", vec![kit.line(entry, day)]);
        label(
            kit,
            &claim,
            1,
            Flag,
            "two exclusive items on two claims of one day",
        );
    }

    let who = kit.someone(site.region);
    for (place, entry, date) in [(&site.secondary, drip, day), (&site.clinic, push, day + 1)] {
        let claim = kit.visit(&who, place, "R50.900", vec![kit.line(entry, date)]);
        label(
            kit,
            &claim,
            1,
            NoFlag,
            "exclusive items billed on consecutive days",
        );
    }

    for entry in [drip, push] {
        let claim = kit.lone(&site.secondary, kit.line(entry, day));
        label(
            kit,
            &claim,
            1,
            NoFlag,
            "exclusive items billed for two patients on one day",
        );
    }
}

/// A service and the material its fee includes, listed material first and
/// billed service first.
fn listed_the_other_way(kit: &mut Kit<'_>, site: &Site) {
    let dressing = item(kit, ItemType::Service, "换药(中)");
    let pack = item(kit, ItemType::Material, "一次性使用换药包");
    kit.exclusive(pack, dressing, always());
    let day = kit.inner_day(5);
    let lines = vec![kit.line(dressing, day), kit.line(pack, day)];
    one_claim(
        kit,
        site,
        lines,
        Flag,
        "exclusive items listed in the other order",
    );
}

/// A panel exclusive with two of its parts, which are not exclusive with
/// each other: every line flags, the panel once.
fn two_partners(kit: &mut Kit<'_>, site: &Site) {
    let panel = item(kit, ItemType::Service, "肝功能全套");
    let alt = item(kit, ItemType::Service, "血清丙氨酸氨基转移酶测定");
    let bilirubin = item(kit, ItemType::Service, "血清总胆红素测定");
    kit.exclusive(panel, alt, always());
    kit.exclusive(bilirubin, panel, always());
    let day = kit.inner_day(5);
    let who = kit.someone(site.region);
    let lines = vec![
        kit.line(panel, day),
        kit.line(alt, day),
        kit.line(bilirubin, day),
    ];
    let claim = kit.visit(&who, &site.secondary, "K76.000", lines);
    let cases = [
        "a line with two exclusive partners flags once",
        "exclusive with one line of the claim",
        "exclusive with one line of the claim",
    ];
    for (line_no, case) in (1..).zip(cases) {
        kit.label(RULE, Flag, Target::Line(claim.clone(), line_no), case);
    }
}

/// Two drugs of one class listed as exclusive (any item type): together
/// they flag; one of them twice, without the other, does not. Drugs, so
/// DUP-01 leaves the repeated line alone.
fn drugs(kit: &mut Kit<'_>, site: &Site) {
    let ceftriaxone = item(kit, ItemType::Drug, "注射用头孢曲松钠");
    let cefotaxime = item(kit, ItemType::Drug, "注射用头孢噻肟钠");
    kit.exclusive(ceftriaxone, cefotaxime, always());
    let day = kit.inner_day(5);
    let lines = vec![kit.line(ceftriaxone, day), kit.line(cefotaxime, day)];
    one_claim(kit, site, lines, Flag, "two exclusive drugs on one day");
    let lines = vec![kit.line(ceftriaxone, day), kit.line(ceftriaxone, day)];
    one_claim(
        kit,
        site,
        lines,
        NoFlag,
        "the same item twice, without its exclusive partner",
    );
}

/// A pair in force in two versions with a gap between them: both billed on
/// each edge of each version, one patient a day.
fn two_versions(kit: &mut Kit<'_>, site: &Site) {
    let ecg = item(kit, ItemType::Service, "常规心电图检查");
    let monitor = item(kit, ItemType::Service, "心电监测");
    let first_from = kit.day(PERIOD_START + 30, PERIOD_START + 250);
    let first_to = kit.day(first_from + 30, first_from + 150);
    let second_from = kit.day(first_to + 5, first_to + 60);
    kit.exclusive(ecg, monitor, (first_from, Some(first_to)));
    kit.exclusive(ecg, monitor, (second_from, None));
    for (day, expect, case) in [
        (
            first_from - 1,
            NoFlag,
            "the day before the pair's valid_from",
        ),
        (first_from, Flag, "on the pair's valid_from"),
        (
            first_to,
            Flag,
            "on the valid_to of the pair's first version",
        ),
        (first_to + 1, NoFlag, "between two versions of the pair"),
        (
            second_from,
            Flag,
            "on the valid_from of the pair's second version",
        ),
    ] {
        let lines = vec![kit.line(ecg, day), kit.line(monitor, day)];
        one_claim(kit, site, lines, expect, case);
    }
}

/// A pair whose only version ended inside the period.
fn closed_version(kit: &mut Kit<'_>, site: &Site) {
    let colour = item(kit, ItemType::Service, "彩色多普勒超声常规检查");
    let plain = item(kit, ItemType::Service, "普通B超检查");
    let to = kit.inner_day(30);
    kit.exclusive(plain, colour, (days_from_civil(2019, 7, 1), Some(to)));
    for (day, expect, case) in [
        (to, Flag, "on a closed version's valid_to"),
        (to + 1, NoFlag, "the day after a closed version's valid_to"),
    ] {
        let lines = vec![kit.line(colour, day), kit.line(plain, day)];
        one_claim(kit, site, lines, expect, case);
    }
}
