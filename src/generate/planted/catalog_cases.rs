//! Cases of the catalog rules: OOC-01, OOC-02, LIM-GENDER, LIM-AGE, LIM-DX,
//! LIM-LEVEL and PRICE-CAP. Each line is the only line of its claim and
//! carries exactly the restriction under test.

use rand::RngExt;

use super::super::calendar::{PERIOD_END, PERIOD_START, civil_from_days, days_from_civil};
use super::super::catalog::Entry;
use super::super::labels::Expect::{self, Flag, NoFlag};
use super::super::model::{Gender, Insurance, ItemType, PayClass, VisitType};
use super::super::money::units;
use super::super::rng::pick;
use super::Site;
use super::kit::{Claim, Fund, Kit, Line, Place, Target, Who};

pub fn plant(kit: &mut Kit<'_>, site: &Site) {
    out_of_catalog(kit, site, ItemType::Drug);
    out_of_catalog(kit, site, ItemType::Service);
    out_of_catalog(kit, site, ItemType::Material);
    gender(kit, site);
    age(kit, site);
    leap_day_births(kit, site);
    diagnosis(kit, site);
    level(kit, site);
    price_cap(kit, site, ItemType::Drug);
    price_cap(kit, site, ItemType::Service);
}

/// Labels line 1 of a one-line claim.
fn label(kit: &mut Kit<'_>, rule: &'static str, expect: Expect, claim: String, case: &'static str) {
    kit.label(rule, expect, Target::Line(claim, 1), case);
}

fn names(item_type: ItemType) -> &'static [&'static str] {
    match item_type {
        ItemType::Drug => &[
            "达格列净片",
            "司美格鲁肽注射液",
            "奥希替尼片",
            "恩格列净片",
            "沙库巴曲缬沙坦钠片",
        ],
        ItemType::Service => &[
            "动态血压监测",
            "睡眠呼吸监测",
            "经颅多普勒超声",
            "肌电图检查",
        ],
        ItemType::Material => &[
            "一次性使用吸痰管",
            "医用造口袋",
            "一次性使用鼻氧管",
            "负压引流装置",
        ],
    }
}

/// OOC-01 (drugs) and OOC-02 (services, materials): absent codes, pay
/// class C, and the four edges of a validity window inside the period.
fn out_of_catalog(kit: &mut Kit<'_>, site: &Site, item_type: ItemType) {
    let (rule, cases) = match item_type {
        ItemType::Drug => (
            "OOC-01",
            [
                "drug not in the catalog",
                "drug of pay class C",
                "drug of pay class B",
                "drug the day before valid_from",
                "drug on valid_from",
                "drug on valid_to",
                "drug the day after valid_to",
            ],
        ),
        ItemType::Service => (
            "OOC-02",
            [
                "service not in the catalog",
                "service of pay class C",
                "service of pay class B",
                "service the day before valid_from",
                "service on valid_from",
                "service on valid_to",
                "service the day after valid_to",
            ],
        ),
        ItemType::Material => (
            "OOC-02",
            [
                "material not in the catalog",
                "material of pay class C",
                "material of pay class B",
                "material the day before valid_from",
                "material on valid_from",
                "material on valid_to",
                "material the day after valid_to",
            ],
        ),
    };
    let place = if item_type == ItemType::Drug {
        &site.pharmacy
    } else {
        &site.secondary
    };
    let days = (item_type == ItemType::Drug).then_some(5);
    let day = kit.inner_day(5);
    let template = kit.entry_among(item_type, names(item_type));
    let absent = Line {
        code: kit.absent_code(item_type),
        ..kit.line_of(&template, day)
    };
    let claim = kit.lone(place, absent.days(days));
    label(kit, rule, Flag, claim, cases[0]);
    for (class, expect, case) in [
        (PayClass::C, Flag, cases[1]),
        (PayClass::B, NoFlag, cases[2]),
    ] {
        let name = pick(&mut kit.rng, names(item_type));
        let entry = kit.entry(item_type, name);
        let entry = kit.add(Entry {
            pay_class: class,
            ..entry
        });
        let day = kit.inner_day(5);
        let claim = kit.lone(place, kit.line(entry, day).days(days));
        label(kit, rule, expect, claim, case);
    }
    let from = kit.day(PERIOD_START + 30, PERIOD_START + 400);
    let to = kit.day(from + 30, PERIOD_END - 30);
    let name = pick(&mut kit.rng, names(item_type));
    let entry = kit.entry(item_type, name);
    let entry = kit.add(Entry {
        valid_from: from,
        valid_to: Some(to),
        ..entry
    });
    for (day, expect, case) in [
        (from - 1, Flag, cases[3]),
        (from, NoFlag, cases[4]),
        (to, NoFlag, cases[5]),
        (to + 1, Flag, cases[6]),
    ] {
        let claim = kit.lone(place, kit.line(entry, day).days(days));
        label(kit, rule, expect, claim, case);
    }
}

/// LIM-GENDER: a women-only service and a men-only drug, for each sex.
fn gender(kit: &mut Kit<'_>, site: &Site) {
    let service = kit.entry_among(
        ItemType::Service,
        &["宫颈细胞学检查", "人乳头瘤病毒核酸检测"],
    );
    let service = kit.add(Entry {
        gender: Some(Gender::F),
        ..service
    });
    let drug = kit.entry_among(ItemType::Drug, &["盐酸坦索罗辛缓释胶囊", "非那雄胺片"]);
    let drug = kit.add(Entry {
        gender: Some(Gender::M),
        ..drug
    });
    for (entry, sex, expect, case) in [
        (
            service,
            Gender::M,
            Flag,
            "women-only service billed for a man",
        ),
        (
            service,
            Gender::F,
            NoFlag,
            "women-only service billed for a woman",
        ),
        (drug, Gender::F, Flag, "men-only drug billed for a woman"),
        (drug, Gender::M, NoFlag, "men-only drug billed for a man"),
    ] {
        let mut patient = kit.adult(site.region);
        patient.gender = sex;
        let who = kit.register(patient);
        let day = kit.inner_day(5);
        let claim = kit.visit(&who, &site.secondary, "Z01.400", vec![kit.line(entry, day)]);
        label(kit, "LIM-GENDER", expect, claim, case);
    }
}

/// A registered person born on `birth`; children are residents insured from birth.
fn born(kit: &mut Kit<'_>, region: usize, birth: i32) -> Who {
    let mut patient = kit.adult(region);
    patient.birth = birth;
    patient.enroll = patient.enroll.max(birth + 10);
    patient.benefit_start = patient.enroll;
    if civil_from_days(birth).year > 2005 {
        patient.insurance = Insurance::Resident;
    }
    kit.register(patient)
}

/// A drug restricted to ages `min..=max` (either side open).
fn age_limited(kit: &mut Kit<'_>, min: Option<i32>, max: Option<i32>) -> usize {
    let name = if min.is_some() {
        pick(
            &mut kit.rng,
            &["左氧氟沙星片", "莫西沙星片", "塞来昔布胶囊"],
        )
    } else {
        pick(
            &mut kit.rng,
            &["小儿氨酚黄那敏颗粒", "小儿豉翘清热颗粒", "布洛芬混悬滴剂"],
        )
    };
    let entry = kit.entry(ItemType::Drug, name);
    kit.add(Entry {
        min_age: min,
        max_age: max,
        ..entry
    })
}

/// A one-line claim of `entry` on `day` for `who`.
fn dispense(kit: &mut Kit<'_>, who: &Who, place: &Place, entry: usize, day: i32) -> String {
    let line = kit.line(entry, day).days(Some(3));
    kit.visit(who, place, "J06.900", vec![line])
}

/// LIM-AGE: the day before and the day of the birthday that reaches the
/// minimum age, and that passes the maximum age.
fn age(kit: &mut Kit<'_>, site: &Site) {
    let minimum = *pick(&mut kit.rng, &[6, 12, 14, 18]);
    let entry = age_limited(kit, Some(minimum), None);
    let birthday = ordinary_day(kit);
    let d = civil_from_days(birthday);
    let birth = days_from_civil(d.year - minimum, d.month, d.day);
    for (day, expect, case) in [
        (birthday - 1, Flag, "the day before reaching min_age"),
        (birthday, NoFlag, "on the birthday reaching min_age"),
    ] {
        let who = born(kit, site.region, birth);
        let claim = dispense(kit, &who, &site.clinic, entry, day);
        label(kit, "LIM-AGE", expect, claim, case);
    }
    let maximum = *pick(&mut kit.rng, &[6, 12, 14, 17]);
    let entry = age_limited(kit, None, Some(maximum));
    let birthday = ordinary_day(kit);
    let d = civil_from_days(birthday);
    let birth = days_from_civil(d.year - maximum - 1, d.month, d.day);
    for (day, expect, case) in [
        (birthday - 1, NoFlag, "the day before passing max_age"),
        (birthday, Flag, "on the birthday passing max_age"),
    ] {
        let who = born(kit, site.region, birth);
        let claim = dispense(kit, &who, &site.clinic, entry, day);
        label(kit, "LIM-AGE", expect, claim, case);
    }
}

/// A day of the period, not 29 February (its anniversaries do not exist).
fn ordinary_day(kit: &mut Kit<'_>) -> i32 {
    let day = kit.inner_day(5);
    let d = civil_from_days(day);
    if d.month == 2 && d.day == 29 {
        day + 1
    } else {
        day
    }
}

/// LIM-AGE for people born on 29 February: in 2023 they age on 1 March, in
/// 2024 on 29 February itself.
fn leap_day_births(kit: &mut Kit<'_>, site: &Site) {
    let year = *pick(&mut kit.rng, &[1952, 1956, 1960, 2004, 2008, 2012, 2016]);
    let birth = days_from_civil(year, 2, 29);
    let age_2023 = 2023 - year;
    let min_entry = age_limited(kit, Some(age_2023), None);
    let max_entry = age_limited(kit, None, Some(age_2023 - 1));
    let min_2024 = age_limited(kit, Some(age_2023 + 1), None);
    let feb_28 = days_from_civil(2023, 2, 28);
    let mar_1 = days_from_civil(2023, 3, 1);
    let leap_28 = days_from_civil(2024, 2, 28);
    let leap_29 = days_from_civil(2024, 2, 29);
    for (entry, day, expect, case) in [
        (
            min_entry,
            feb_28,
            Flag,
            "born 29 February: below min_age on 28 February 2023",
        ),
        (
            min_entry,
            mar_1,
            NoFlag,
            "born 29 February: reaches min_age on 1 March 2023",
        ),
        (
            max_entry,
            feb_28,
            NoFlag,
            "born 29 February: still max_age on 28 February 2023",
        ),
        (
            max_entry,
            mar_1,
            Flag,
            "born 29 February: passes max_age on 1 March 2023",
        ),
        (
            min_2024,
            leap_28,
            Flag,
            "born 29 February: below min_age on 28 February 2024",
        ),
        (
            min_2024,
            leap_29,
            NoFlag,
            "born 29 February: reaches min_age on 29 February 2024",
        ),
    ] {
        let who = born(kit, site.region, birth);
        let claim = dispense(kit, &who, &site.clinic, entry, day);
        label(kit, "LIM-AGE", expect, claim, case);
    }
}

/// LIM-DX: a drug for one disease group, billed with a matching primary or
/// secondary diagnosis, with none, with no secondary diagnoses at all.
fn diagnosis(kit: &mut Kit<'_>, site: &Site) {
    const GROUPS: [(&[&str], &str, &str); 3] = [
        (&["E10", "E11"], "E11.900", "甘精胰岛素注射液"),
        (&["I20", "I21", "I25"], "I25.103", "硫酸氢氯吡格雷片"),
        (&["J44", "J45"], "J44.900", "噻托溴铵吸入粉雾剂"),
    ];
    let (prefixes, matching, name) = *pick(&mut kit.rng, &GROUPS);
    let entry = kit.entry(ItemType::Drug, name);
    let entry = kit.add(Entry {
        dx_prefixes: Some(prefixes),
        ..entry
    });
    let other = "M54.500";
    let matching_list = std::slice::from_ref(&matching);
    let cases: [(&'static str, Option<&[&'static str]>, Expect, &'static str); 5] = [
        (
            matching,
            None,
            NoFlag,
            "primary diagnosis matches dx_prefixes",
        ),
        (
            other,
            Some(matching_list),
            NoFlag,
            "a secondary diagnosis matches dx_prefixes",
        ),
        (
            other,
            Some(&["K29.700", "N39.000"]),
            Flag,
            "no diagnosis matches dx_prefixes",
        ),
        (other, None, Flag, "no match and secondary_dx null"),
        (other, Some(&[]), Flag, "no match and secondary_dx empty"),
    ];
    for (dx, secondary, expect, case) in cases {
        let who = kit.someone(site.region);
        let day = kit.inner_day(5);
        let line = kit.line(entry, day).days(Some(7));
        let claim = kit.claim(Claim {
            who: &who,
            place: &site.secondary,
            visit: VisitType::Outpatient,
            admit: day,
            discharge: day,
            dx,
            secondary,
            fund: Fund::Share(60),
            lines: vec![line],
        });
        label(kit, "LIM-DX", expect, claim, case);
    }
    let open = kit.entry(ItemType::Drug, "复方甘草片");
    let open = kit.add(Entry {
        dx_prefixes: Some(&[]),
        ..open
    });
    let day = kit.inner_day(5);
    let claim = kit.lone(&site.clinic, kit.line(open, day).days(Some(5)));
    label(
        kit,
        "LIM-DX",
        NoFlag,
        claim,
        "empty dx_prefixes restricts nothing",
    );
}

/// LIM-LEVEL: below and at the lowest provider level.
fn level(kit: &mut Kit<'_>, site: &Site) {
    let scan = kit.entry(ItemType::Service, "正电子发射计算机断层显像(PET-CT)");
    let scan = kit.add(Entry {
        min_level: Some(3),
        ..scan
    });
    let drug = kit.entry(ItemType::Drug, "注射用头孢哌酮钠舒巴坦钠");
    let drug = kit.add(Entry {
        min_level: Some(2),
        ..drug
    });
    for (entry, place, expect, case) in [
        (
            scan,
            &site.secondary,
            Flag,
            "level-3 service at a level-2 hospital",
        ),
        (
            scan,
            &site.tertiary,
            NoFlag,
            "level-3 service at a level-3 hospital",
        ),
        (
            drug,
            &site.pharmacy,
            Flag,
            "level-2 drug at a pharmacy (level 0)",
        ),
        (drug, &site.clinic, Flag, "level-2 drug at a level-1 clinic"),
        (
            drug,
            &site.secondary,
            NoFlag,
            "level-2 drug at a level-2 hospital",
        ),
    ] {
        let day = kit.inner_day(5);
        let claim = kit.lone(place, kit.line(entry, day));
        label(kit, "LIM-LEVEL", expect, claim, case);
    }
}

/// PRICE-CAP: a unit price equal to the cap and 0.0001 above it.
fn price_cap(kit: &mut Kit<'_>, site: &Site, item_type: ItemType) {
    let (name, cap, cases) = match item_type {
        ItemType::Drug => (
            "阿托伐他汀钙片",
            kit.rng.random_range(20_000..600_000),
            ["drug priced at the cap", "drug priced 0.0001 above the cap"],
        ),
        _ => (
            "彩色多普勒超声常规检查",
            kit.rng.random_range(50..400) * 10_000,
            [
                "service priced at the cap",
                "service priced 0.0001 above the cap",
            ],
        ),
    };
    let entry = kit.entry(item_type, name);
    let entry = kit.add(Entry {
        price: cap,
        price_cap: Some(cap),
        ..entry
    });
    for (price, expect, case) in [(cap, NoFlag, cases[0]), (cap + 1, Flag, cases[1])] {
        let day = kit.inner_day(5);
        let quantity = units(kit.rng.random_range(1..=3));
        let claim = kit.lone(
            &site.secondary,
            kit.line(entry, day).qty(quantity).price(price),
        );
        label(kit, "PRICE-CAP", expect, claim, case);
    }
}
