//! Designated providers (定点医药机构): hospitals of levels 1–3, community
//! health centres and pharmacies in every region, scaled with the population.

use rand::RngExt;

use super::calendar::{PERIOD_END, PERIOD_START, days_from_civil};
use super::model::ProviderKind;
use super::names::{PHARMACY_CHAINS, ROADS, ordinal};
use super::regions::{REGIONS, Region};
use super::rng::GenRng;

#[derive(Debug, Clone)]
pub struct Provider {
    pub id: String,
    pub name: String,
    pub level: i32,
    pub kind: ProviderKind,
    /// Index into [`REGIONS`].
    pub region: usize,
    pub contract_from: i32,
    pub contract_to: Option<i32>,
    /// Doctor (or pharmacist) codes: chief physicians first, then associate
    /// chiefs, then the rest (see `chiefs` and `associates`).
    pub staff: Vec<String>,
    pub chiefs: usize,
    pub associates: usize,
    /// Chance that a consultation is billed at tier 3, then at tier 2.
    pub tier3: f64,
    pub tier2: f64,
}

impl Provider {
    /// A provider with its staff; consultation habits follow its level.
    pub fn new(
        rng: &mut GenRng,
        seq: u32,
        (level, kind): (i32, ProviderKind),
        region: usize,
        name: String,
        contract: (i32, Option<i32>),
    ) -> Provider {
        let code = REGIONS[region].code;
        let (prefix, staff_prefix) = match kind {
            ProviderKind::Pharmacy => ('P', 'Y'),
            _ => ('H', 'D'),
        };
        let staff_count = match (kind, level) {
            (ProviderKind::Pharmacy, _) => 3,
            (_, 3) => 40,
            (_, 2) => 20,
            _ => 8,
        };
        let staff = (1..=staff_count)
            .map(|k| format!("{staff_prefix}{code}{seq:05}{k:02}"))
            .collect();
        let (tier3, tier2) = match level {
            3 => (rng.random_range(0.10..0.35), rng.random_range(0.20..0.35)),
            2 => (rng.random_range(0.04..0.20), rng.random_range(0.15..0.30)),
            1 => (rng.random_range(0.0..0.06), rng.random_range(0.05..0.15)),
            _ => (0.0, 0.0),
        };
        Provider {
            id: format!("{prefix}{code}{seq:05}"),
            name,
            level,
            kind,
            region,
            contract_from: contract.0,
            contract_to: contract.1,
            staff,
            chiefs: staff_count / 8,
            associates: staff_count / 4,
            tier3,
            tier2,
        }
    }

    /// Whether the designation agreement covers `day` (CONTRACT-01).
    pub fn open_on(&self, day: i32) -> bool {
        self.contract_from <= day && self.contract_to.is_none_or(|to| day <= to)
    }
}

/// The background providers of one region, by the role a visit needs. The
/// first of every list is designated for the whole period, so a visit always
/// has somewhere to go.
#[derive(Debug, Default)]
pub struct LocalProviders {
    /// Community health centres and level-1 hospitals.
    pub primary: Vec<u32>,
    pub secondary: Vec<u32>,
    pub tertiary: Vec<u32>,
    pub pharmacies: Vec<u32>,
}

/// Background providers of every region for `patients` insured persons.
pub fn build_providers(rng: &mut GenRng, patients: u64) -> (Vec<Provider>, Vec<LocalProviders>) {
    let total_weight: u64 = REGIONS.iter().map(|r| u64::from(r.weight)).sum();
    let mut providers = Vec::new();
    let mut local = Vec::with_capacity(REGIONS.len());
    for (r, region) in REGIONS.iter().enumerate() {
        let people = patients * u64::from(region.weight) / total_weight;
        let count = |per: u64, min: u64| (people / per).max(min) as usize;
        let mut here = LocalProviders::default();
        let mut seq = 0u32;
        let mut add = |rng: &mut GenRng, role: (i32, ProviderKind), name: String, first: bool| {
            seq += 1;
            let contract = if first {
                open_contract(rng)
            } else {
                contract(rng)
            };
            providers.push(Provider::new(rng, seq, role, r, name, contract));
            (providers.len() - 1) as u32
        };
        for i in 0..count(25_000, 2) {
            let p = add(
                rng,
                (3, ProviderKind::Hospital),
                tertiary_name(region, i),
                i == 0,
            );
            here.tertiary.push(p);
        }
        for i in 0..count(12_000, 2) {
            let p = add(
                rng,
                (2, ProviderKind::Hospital),
                secondary_name(region, i),
                i == 0,
            );
            here.secondary.push(p);
        }
        for i in 0..count(5_000, 2) {
            let p = add(
                rng,
                (1, ProviderKind::Clinic),
                clinic_name(region, i),
                i == 0,
            );
            here.primary.push(p);
        }
        for i in 0..count(20_000, 1) {
            let p = add(
                rng,
                (1, ProviderKind::Hospital),
                small_hospital_name(region, i),
                false,
            );
            here.primary.push(p);
        }
        for i in 0..count(2_500, 3) {
            let p = add(
                rng,
                (0, ProviderKind::Pharmacy),
                pharmacy_name(region, i),
                i == 0,
            );
            here.pharmacies.push(p);
        }
        local.push(here);
    }
    (providers, local)
}

/// Designated years ago, open-ended.
pub fn open_contract(rng: &mut GenRng) -> (i32, Option<i32>) {
    let from = days_from_civil(rng.random_range(2001..=2018), 1, 1) + rng.random_range(0..365);
    (from, None)
}

/// Mostly designated years ago; a few newly designated or leaving inside the period.
fn contract(rng: &mut GenRng) -> (i32, Option<i32>) {
    let (from, _) = open_contract(rng);
    match rng.random_range(0..100) {
        0..4 => (rng.random_range(PERIOD_START..PERIOD_END - 60), None),
        4..7 => (from, Some(rng.random_range(PERIOD_START + 60..PERIOD_END))),
        _ => (from, None),
    }
}

pub fn tertiary_name(region: &Region, i: usize) -> String {
    const NAMED: [&str; 6] = [
        "人民医院",
        "中心医院",
        "中医医院",
        "第一人民医院",
        "妇幼保健院",
        "儿童医院",
    ];
    match NAMED.get(i) {
        Some(name) => format!("{}市{}", region.city, name),
        None => format!(
            "{}市第{}人民医院",
            region.city,
            ordinal(i - NAMED.len() + 2)
        ),
    }
}

pub fn secondary_name(region: &Region, i: usize) -> String {
    let district = region.districts[i % region.districts.len()];
    match i / region.districts.len() {
        0 => format!("{}市{}区人民医院", region.city, district),
        1 => format!("{}市{}区中医医院", region.city, district),
        n => format!("{}市{}区第{}医院", region.city, district, ordinal(n)),
    }
}

pub fn clinic_name(region: &Region, i: usize) -> String {
    let district = region.districts[i % region.districts.len()];
    let road = ROADS[(i / region.districts.len()) % ROADS.len()];
    let round = i / (region.districts.len() * ROADS.len());
    let suffix = if round == 0 {
        String::new()
    } else {
        format!("第{}", ordinal(round + 1))
    };
    format!(
        "{}市{}区{}{}社区卫生服务中心",
        region.city, district, road, suffix
    )
}

fn small_hospital_name(region: &Region, i: usize) -> String {
    const BRANDS: [&str; 8] = [
        "仁爱", "博爱", "华康", "康复", "骨伤", "协和", "惠民", "安康",
    ];
    let district = region.districts[i % region.districts.len()];
    let brand = BRANDS[(i / region.districts.len()) % BRANDS.len()];
    let round = i / (region.districts.len() * BRANDS.len());
    let suffix = if round == 0 {
        String::new()
    } else {
        format!("{}分院", ordinal(round))
    };
    format!("{}{}{}医院{}", region.city, district, brand, suffix)
}

pub fn pharmacy_name(region: &Region, i: usize) -> String {
    let chain = PHARMACY_CHAINS[i % PHARMACY_CHAINS.len()];
    let road = ROADS[(i / PHARMACY_CHAINS.len()) % ROADS.len()];
    let district =
        region.districts[(i / (PHARMACY_CHAINS.len() * ROADS.len())) % region.districts.len()];
    format!("{chain}({district}{road}店)")
}
