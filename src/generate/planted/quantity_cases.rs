//! Cases of the quantity rules: DUP-01, FREQ-01, QTY-01 and QTY-02. Lines
//! of one patient's same day sit on claims at two providers of one region,
//! so GHOST-03 has nothing to say.

use rand::RngExt;

use super::super::catalog::Entry;
use super::super::labels::Expect::{Flag, NoFlag};
use super::super::model::ItemType;
use super::super::money::units;
use super::super::rng::pick;
use super::Site;
use super::kit::{Kit, Place, Target, Who};

pub fn plant(kit: &mut Kit<'_>, site: &Site) {
    duplicates(kit, site);
    daily_frequency(kit, site);
    days_supply(kit, site);
    repeated_supply(kit, site);
}

fn line(claim: &str, line_no: i32) -> Target {
    Target::Line(claim.to_string(), line_no)
}

/// DUP-01: one service on two claims of a day (both flag), one material twice
/// in a claim (both flag); not on consecutive days, not for drugs.
fn duplicates(kit: &mut Kit<'_>, site: &Site) {
    let service = kit.entry_among(
        ItemType::Service,
        &["血细胞分析(血常规)", "腹部彩色多普勒超声", "常规心电图检查"],
    );
    let service = kit.add(service);
    let material = kit.entry_among(
        ItemType::Material,
        &["一次性使用输液器", "一次性使用静脉留置针"],
    );
    let material = kit.add(material);
    let drug = kit.entry(ItemType::Drug, "盐酸氨溴索片");
    let drug = kit.add(drug);
    let day = kit.inner_day(5);

    let who = kit.someone(site.region);
    for place in [&site.secondary, &site.clinic] {
        let claim = kit.visit(&who, place, "J20.900", vec![kit.line(service, day)]);
        kit.label(
            "DUP-01",
            Flag,
            line(&claim, 1),
            "service billed on two claims of one day",
        );
    }

    let who = kit.someone(site.region);
    let lines = vec![kit.line(material, day), kit.line(material, day)];
    let claim = kit.visit(&who, &site.secondary, "J20.900", lines);
    for line_no in [1, 2] {
        kit.label(
            "DUP-01",
            Flag,
            line(&claim, line_no),
            "material billed twice in one claim",
        );
    }

    let who = kit.someone(site.region);
    for (place, date) in [(&site.secondary, day), (&site.clinic, day + 1)] {
        let claim = kit.visit(&who, place, "J20.900", vec![kit.line(service, date)]);
        kit.label(
            "DUP-01",
            NoFlag,
            line(&claim, 1),
            "service billed on consecutive days",
        );
    }

    let who = kit.someone(site.region);
    for place in [&site.secondary, &site.clinic] {
        let claim = kit.visit(&who, place, "J20.900", vec![kit.line(drug, day)]);
        kit.label(
            "DUP-01",
            NoFlag,
            line(&claim, 1),
            "drug billed on two claims of one day",
        );
    }
}

/// FREQ-01 with a drug (so DUP-01 cannot fire): daily sums equal to and
/// above `max_daily_qty`, one line above it, the maximum on two days.
fn daily_frequency(kit: &mut Kit<'_>, site: &Site) {
    let maximum = units(*pick(&mut kit.rng, &[2, 3, 4, 6]));
    let entry = kit.entry_among(ItemType::Drug, &["注射用头孢曲松钠", "注射用头孢唑林钠"]);
    let entry = kit.add(Entry {
        max_daily_qty: Some(maximum),
        ..entry
    });
    let half = maximum / 2;
    let excess = *pick(&mut kit.rng, &[1, 500, 1_000]);
    for (extra, expect, case) in [
        (
            0,
            NoFlag,
            "daily sum equal to max_daily_qty over two claims",
        ),
        (
            excess,
            Flag,
            "daily sum above max_daily_qty over two claims",
        ),
    ] {
        let who = kit.someone(site.region);
        let day = kit.inner_day(5);
        for (place, quantity) in [
            (&site.secondary, half),
            (&site.clinic, maximum - half + extra),
        ] {
            let claim = kit.visit(
                &who,
                place,
                "J18.900",
                vec![kit.line(entry, day).qty(quantity)],
            );
            kit.label("FREQ-01", expect, line(&claim, 1), case);
        }
    }
    let day = kit.inner_day(5);
    let claim = kit.lone(
        &site.secondary,
        kit.line(entry, day).qty(maximum + units(1)),
    );
    kit.label(
        "FREQ-01",
        Flag,
        line(&claim, 1),
        "one line above max_daily_qty",
    );

    let who = kit.someone(site.region);
    let day = kit.inner_day(5);
    for date in [day, day + 1] {
        let claim = kit.visit(
            &who,
            &site.secondary,
            "J18.900",
            vec![kit.line(entry, date).qty(maximum)],
        );
        kit.label(
            "FREQ-01",
            NoFlag,
            line(&claim, 1),
            "max_daily_qty on each of two days",
        );
    }
}

/// QTY-01: days' supply equal to, above and without `max_days_supply`.
fn days_supply(kit: &mut Kit<'_>, site: &Site) {
    let maximum = *pick(&mut kit.rng, &[7, 14, 30]);
    let entry = kit.entry_among(
        ItemType::Drug,
        &["阿莫西林胶囊", "头孢克洛缓释片", "布洛芬缓释胶囊"],
    );
    let entry = kit.add(Entry {
        max_days_supply: Some(maximum),
        ..entry
    });
    for (days, expect, case) in [
        (
            Some(maximum),
            NoFlag,
            "days_supply equal to max_days_supply",
        ),
        (
            Some(maximum + 1),
            Flag,
            "days_supply one above max_days_supply",
        ),
        (None, NoFlag, "days_supply null"),
    ] {
        let day = kit.inner_day(5);
        let claim = kit.lone(&site.pharmacy, kit.line(entry, day).days(days));
        kit.label("QTY-01", expect, line(&claim, 1), case);
    }
}

/// QTY-02: 30-day windows holding a line on their first day (the 29th day
/// before) or just missing it (the 30th), sums of 60 and 61, same-day lines,
/// and null days' supply counting 0.
fn repeated_supply(kit: &mut Kit<'_>, site: &Site) {
    let entry = kit.entry_among(
        ItemType::Drug,
        &["苯磺酸氨氯地平片", "盐酸二甲双胍片", "阿托伐他汀钙片"],
    );
    let entry = kit.add(entry);
    let day = kit.inner_day(40);
    let single = |kit: &mut Kit<'_>, who: &Who, date: i32, days: Option<i32>, place: &Place| {
        let line = kit.line(entry, date).days(days);
        kit.visit(who, place, "I10.x00", vec![line])
    };

    let who = kit.someone(site.region);
    let first = single(kit, &who, day - 29, Some(30), &site.pharmacy);
    kit.label(
        "QTY-02",
        NoFlag,
        line(&first, 1),
        "first of two supplies 29 days apart",
    );
    let second = single(kit, &who, day, Some(31), &site.pharmacy);
    kit.label(
        "QTY-02",
        Flag,
        line(&second, 1),
        "61 days with the other line on the 29th day before",
    );

    let who = kit.someone(site.region);
    let first = single(kit, &who, day - 30, Some(30), &site.pharmacy);
    kit.label(
        "QTY-02",
        NoFlag,
        line(&first, 1),
        "first of two supplies 30 days apart",
    );
    let second = single(kit, &who, day, Some(31), &site.pharmacy);
    kit.label(
        "QTY-02",
        NoFlag,
        line(&second, 1),
        "the other line on the 30th day before is outside the window",
    );

    let who = kit.someone(site.region);
    single(kit, &who, day - 29, Some(30), &site.pharmacy);
    let second = single(kit, &who, day, Some(30), &site.pharmacy);
    kit.label(
        "QTY-02",
        NoFlag,
        line(&second, 1),
        "exactly 60 days within 30 days",
    );

    let who = kit.someone(site.region);
    let extra = kit.rng.random_range(31..=45);
    for (place, days) in [(&site.pharmacy, 30), (&site.clinic, extra)] {
        let claim = single(kit, &who, day, Some(days), place);
        kit.label(
            "QTY-02",
            Flag,
            line(&claim, 1),
            "two supplies on the same day count together",
        );
    }

    let who = kit.someone(site.region);
    single(kit, &who, day - 20, Some(30), &site.pharmacy);
    let blank = single(kit, &who, day - 10, None, &site.pharmacy);
    kit.label(
        "QTY-02",
        NoFlag,
        line(&blank, 1),
        "line without days_supply is not checked",
    );
    let last = single(kit, &who, day, Some(30), &site.pharmacy);
    kit.label(
        "QTY-02",
        NoFlag,
        line(&last, 1),
        "null days_supply counts as 0 in the sum",
    );
}
