//! The catalog (医保目录): entries made from the static tables, grouped by
//! product so a profile can ask for "an amlodipine", and the one check the
//! background relies on to stay clean of every line rule.

pub mod codes;
mod drugs;
mod services;
mod spec;

use std::collections::HashMap;

use rand::RngExt;

use super::calendar::days_from_civil;
use super::model::{Gender, ItemType, PayClass};
use super::rng::{GenRng, pick};
pub use services::CONSULT_FAMILY;
pub use spec::Usage;

// Background item numbers stay below those only the knowledge base names.
const _: () = assert!(
    drugs::DRUGS.len() < codes::KNOWLEDGE_DRUG
        && services::SERVICES.len() < codes::KNOWLEDGE_SERVICE
        && services::MATERIALS.len() < codes::KNOWLEDGE_MATERIAL
);

/// One catalog row, with money in the contract's scaled integers.
#[derive(Debug, Clone)]
pub struct Entry {
    pub code: String,
    pub name: String,
    pub item_type: ItemType,
    pub pay_class: PayClass,
    pub valid_from: i32,
    pub valid_to: Option<i32>,
    /// What a level-3 provider charges (ten-thousandths); never above the cap.
    pub price: i64,
    pub price_cap: Option<i64>,
    pub gender: Option<Gender>,
    pub min_age: Option<i32>,
    pub max_age: Option<i32>,
    pub dx_prefixes: Option<&'static [&'static str]>,
    pub min_level: Option<i32>,
    /// Thousandths.
    pub max_daily_qty: Option<i64>,
    pub max_days_supply: Option<i32>,
    pub family: Option<&'static str>,
    pub tier: Option<i32>,
    pub usage: Usage,
}

/// Where and for whom a line would be billed.
pub struct Scope<'a> {
    /// The first and last day the item would be billed on.
    pub first: i32,
    pub last: i32,
    /// The patient's age on those days.
    pub age_first: i32,
    pub age_last: i32,
    pub gender: Gender,
    pub level: i32,
    /// The claim's primary and secondary diagnoses.
    pub dx: &'a [&'a str],
}

impl Entry {
    /// Whether billing this entry in `scope` breaks none of the catalog's
    /// restrictions (OOC-01/02, LIM-*). Quantities and prices are kept within
    /// their limits by [`Entry::daily_qty`], [`Entry::days`] and [`Entry::unit_price`].
    pub fn usable(&self, scope: &Scope<'_>) -> bool {
        self.pay_class != PayClass::C
            && self.valid_from <= scope.first
            && self.valid_to.is_none_or(|to| scope.last <= to)
            && self.gender.is_none_or(|g| g == scope.gender)
            && self.min_age.is_none_or(|a| scope.age_first >= a)
            && self.max_age.is_none_or(|a| scope.age_last <= a)
            && self.min_level.is_none_or(|l| scope.level >= l)
            && self.dx_prefixes.is_none_or(|prefixes| {
                prefixes.is_empty()
                    || scope
                        .dx
                        .iter()
                        .any(|d| prefixes.iter().any(|p| d.starts_with(p)))
            })
    }

    /// `wanted` (thousandths) within the daily maximum.
    pub fn daily_qty(&self, wanted: i64) -> i64 {
        self.max_daily_qty.map_or(wanted, |m| wanted.min(m))
    }

    /// `wanted` days' supply within the per-line maximum.
    pub fn days(&self, wanted: i32) -> i32 {
        self.max_days_supply.map_or(wanted, |m| wanted.min(m))
    }

    /// The unit price at a provider of `level`: services cost less at lower
    /// levels (分级定价); drugs and materials sell at one price (零差率).
    pub fn unit_price(&self, level: i32) -> i64 {
        let percent = match (self.item_type, level) {
            (ItemType::Service, 2) => 90,
            (ItemType::Service, l) if l < 2 => 80,
            _ => 100,
        };
        // Whole fen, and never above the list price (so never above the cap).
        self.price * percent / 100 / 100 * 100
    }
}

/// The catalog and, per product name, the entries (manufacturers, sizes,
/// code versions) that carry it.
pub struct Catalog {
    pub entries: Vec<Entry>,
    names: HashMap<&'static str, usize>,
    groups: Vec<Vec<u32>>,
}

/// Catalog editions: when ordinary entries came into force.
const EDITIONS: [i32; 5] = [
    days_from_civil(2010, 1, 1),
    days_from_civil(2017, 7, 1),
    days_from_civil(2020, 3, 1),
    days_from_civil(2021, 3, 1),
    days_from_civil(2022, 1, 1),
];
/// Editions that took effect inside the period (2022 and 2023 national lists).
const NEW_IN_PERIOD: [i32; 2] = [days_from_civil(2023, 3, 1), days_from_civil(2024, 1, 1)];
/// Last days of entries retired inside the period.
const RETIRED_IN_PERIOD: [i32; 2] = [days_from_civil(2023, 12, 31), days_from_civil(2024, 6, 30)];
/// Service price reform: old codes end, new codes start.
const REFORM: i32 = days_from_civil(2024, 1, 1);

/// A cap somewhat above the price, in whole fen.
fn loose_cap(rng: &mut GenRng, price: i64) -> i64 {
    price * rng.random_range(100..=130) / 100 / 100 * 100
}

impl Catalog {
    pub fn build(rng: &mut GenRng) -> Catalog {
        let mut catalog = Catalog {
            entries: Vec::with_capacity(3_000),
            names: HashMap::new(),
            groups: Vec::new(),
        };
        catalog.add_drugs(rng);
        catalog.add_services(rng);
        catalog.add_materials(rng);
        catalog
    }

    /// The group of a product name, e.g. `阿莫西林` (all forms and makers).
    pub fn group_id(&self, name: &str) -> Option<usize> {
        self.names.get(name).copied()
    }

    /// The entries of a group.
    pub fn group(&self, id: usize) -> &[u32] {
        &self.groups[id]
    }

    fn push(&mut self, name: &'static str, entry: Entry) {
        let index = self.entries.len() as u32;
        self.entries.push(entry);
        let next = self.groups.len();
        let id = *self.names.entry(name).or_insert(next);
        if id == next {
            self.groups.push(Vec::new());
        }
        self.groups[id].push(index);
    }

    fn add_drugs(&mut self, rng: &mut GenRng) {
        for (molecule, spec) in drugs::DRUGS.iter().enumerate() {
            for (form_index, form) in spec.forms.iter().enumerate() {
                for maker in 0..rng.random_range(12..=36u32) {
                    let price = rng.random_range(spec.fen.0..=spec.fen.1) * 100;
                    // The first maker is an ordinary, always-valid entry so
                    // every product can be dispensed on every day.
                    let ordinary = maker == 0;
                    let pay_class =
                        if spec.class != PayClass::C && !ordinary && rng.random_bool(0.06) {
                            PayClass::C
                        } else {
                            spec.class
                        };
                    let (valid_from, valid_to) = validity(rng, ordinary);
                    let price_cap = if spec.limit.capped {
                        Some(price)
                    } else if rng.random_bool(0.15) {
                        Some(loose_cap(rng, price))
                    } else {
                        None
                    };
                    let entry = Entry {
                        code: codes::drug_code(spec.atc, molecule, form_index, maker, rng),
                        name: format!("{}{}", spec.name, form),
                        item_type: ItemType::Drug,
                        pay_class,
                        valid_from,
                        valid_to,
                        price,
                        price_cap,
                        gender: spec.limit.gender,
                        min_age: spec.limit.min_age,
                        max_age: spec.limit.max_age,
                        dx_prefixes: spec.limit.dx,
                        min_level: spec.limit.level,
                        max_daily_qty: spec.limit.daily.map(super::money::units),
                        max_days_supply: spec.limit.days,
                        family: None,
                        tier: None,
                        usage: spec.usage,
                    };
                    self.push(spec.name, entry);
                }
            }
        }
    }

    fn add_services(&mut self, rng: &mut GenRng) {
        for (item, spec) in services::SERVICES.iter().enumerate() {
            let price = spec.fen * 100;
            let reformed =
                spec.family.is_none() && spec.class != PayClass::C && rng.random_bool(0.12);
            let versions = if reformed {
                vec![
                    (EDITIONS[0], Some(REFORM - 1), price),
                    (REFORM, None, price * 105 / 100 / 100 * 100),
                ]
            } else {
                vec![(EDITIONS[0], None, price)]
            };
            for (version, (valid_from, valid_to, price)) in versions.into_iter().enumerate() {
                let price_cap = rng.random_bool(0.5).then(|| loose_cap(rng, price));
                let entry = Entry {
                    code: codes::service_code(spec.chapter, item + 1, version),
                    name: spec.name.to_string(),
                    item_type: ItemType::Service,
                    pay_class: spec.class,
                    valid_from,
                    valid_to,
                    price,
                    price_cap,
                    gender: spec.limit.gender,
                    min_age: spec.limit.min_age,
                    max_age: spec.limit.max_age,
                    dx_prefixes: spec.limit.dx,
                    min_level: spec.limit.level,
                    max_daily_qty: spec.limit.daily.map(super::money::units),
                    max_days_supply: None,
                    family: spec.family.map(|f| f.0),
                    tier: spec.family.map(|f| f.1),
                    usage: spec.usage,
                };
                self.push(spec.name, entry);
            }
        }
    }

    fn add_materials(&mut self, rng: &mut GenRng) {
        for (item, spec) in services::MATERIALS.iter().enumerate() {
            for (size_index, size) in spec.sizes.iter().enumerate() {
                for maker in 0..rng.random_range(2..=4usize) {
                    let price = spec.fen * rng.random_range(80..=120) / 100 * 100;
                    let (valid_from, valid_to) = validity(rng, maker == 0);
                    let price_cap = if spec.limit.capped {
                        Some(price)
                    } else {
                        rng.random_bool(0.2).then(|| loose_cap(rng, price))
                    };
                    let entry = Entry {
                        code: codes::material_code(
                            spec.class_code,
                            item + 1,
                            size_index,
                            maker,
                            rng,
                        ),
                        name: format!("{}({})", spec.name, size),
                        item_type: ItemType::Material,
                        pay_class: spec.class,
                        valid_from,
                        valid_to,
                        price,
                        price_cap,
                        gender: spec.limit.gender,
                        min_age: spec.limit.min_age,
                        max_age: spec.limit.max_age,
                        dx_prefixes: spec.limit.dx,
                        min_level: spec.limit.level,
                        max_daily_qty: spec.limit.daily.map(super::money::units),
                        max_days_supply: None,
                        family: None,
                        tier: None,
                        usage: Usage::Material,
                    };
                    self.push(spec.name, entry);
                }
            }
        }
    }
}

/// When an entry is in force: ordinary entries for the whole period, others
/// now and then starting or ending inside it.
fn validity(rng: &mut GenRng, ordinary: bool) -> (i32, Option<i32>) {
    let from = *pick(rng, &EDITIONS);
    if ordinary {
        return (from, None);
    }
    match rng.random_range(0..100) {
        0..5 => (*pick(rng, &NEW_IN_PERIOD), None),
        5..9 => (from, Some(*pick(rng, &RETIRED_IN_PERIOD))),
        _ => (from, None),
    }
}
