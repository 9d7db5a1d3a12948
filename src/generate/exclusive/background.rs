//! The background of the knowledge base. Every pair joins an item the
//! claims never bill (a code only the knowledge base names, in the ranges
//! `catalog::codes` keeps for it) with a partner that is a catalog entry or
//! another such code: no background row can set off MUTEX-01, so the
//! labels stay exact. An item is listed with a few partners, as a real
//! knowledge point lists an item against a product in all its makers'
//! codes; each pair once, in either order, in one version (open or closed)
//! or in two that do not overlap.

use std::fmt::Write;

use rand::RngExt;

use super::super::calendar::days_from_civil;
use super::super::catalog::Entry;
use super::super::catalog::codes::{
    KNOWLEDGE_DRUG, KNOWLEDGE_MATERIAL, KNOWLEDGE_PARTNER_SERVICE, KNOWLEDGE_SERVICE, drug_code,
    material_code, service_code,
};
use super::super::options::GenError;
use super::super::rng::{GenRng, pick};

/// Where the knowledge-only codes are spread: service chapters, ATC
/// groups and material classes, as the real ones are.
const CHAPTERS: [&str; 6] = ["001202", "002502", "002503", "003101", "003105", "003306"];
const ATC_GROUPS: [&str; 6] = ["XJ01DD", "XJ01CR", "XN02BE", "XR05CB", "XB05BA", "XA02BC"];
const MATERIAL_CLASSES: [&str; 4] = ["0101", "0102", "0204", "0301"];

/// Knowledge-only service codes that serve as partners.
const PARTNER_CODES: usize = 10_000;
/// Most partners an item is listed with.
const MOST_PARTNERS: usize = 6;
/// Item numbers each kind of knowledge-only item code cycles through
/// before the next version (service), form (drug) or size (material).
const SERVICE_ITEMS: usize = 40_000;
const DRUG_MOLECULES: usize = 400;
const MATERIAL_ITEMS: usize = 400;

/// The last day a version may start or end on: the knowledge base as
/// published half a year after the period.
const HORIZON: i32 = days_from_civil(2025, 6, 30);

/// Days versions come into force on: policy documents before and during
/// the period, so some pairs start or end inside it.
const POLICY_DAYS: [i32; 6] = [
    days_from_civil(2016, 1, 1),
    days_from_civil(2019, 7, 1),
    days_from_civil(2021, 1, 1),
    days_from_civil(2022, 3, 1),
    days_from_civil(2023, 7, 1),
    days_from_civil(2024, 5, 1),
];

/// One row, as handed to the writer.
pub struct Version<'a> {
    pub item_a: &'a str,
    pub item_b: &'a str,
    pub valid_from: i32,
    pub valid_to: Option<i32>,
    pub basis: Option<&'a str>,
}

/// Draws exactly `rows` rows from `rng` and hands each to `emit`; holds
/// one item's pairs at a time, whatever `rows` is. Codes stay unique in
/// their shapes up to a hundred million rows.
pub fn draw(
    rng: &mut GenRng,
    rows: u64,
    catalog: &[Entry],
    emit: &mut dyn FnMut(Version<'_>) -> Result<(), GenError>,
) -> Result<(), GenError> {
    let mut made = Made::default();
    let mut left = rows;
    let mut partner = String::new();
    let mut basis = String::new();
    let mut pair = 0u64;
    while left > 0 {
        let item = made.item(rng);
        let from_catalog = catalog.len() >= MOST_PARTNERS && rng.random_bool(0.5);
        let pool = if from_catalog {
            catalog.len()
        } else {
            PARTNER_CODES
        };
        // Neighbouring entries are often one product's makers and sizes.
        let start = rng.random_range(0..pool);
        for step in 0..rng.random_range(1..=MOST_PARTNERS) {
            if left == 0 {
                break;
            }
            let at = (start + step) % pool;
            partner.clear();
            if from_catalog {
                partner.push_str(&catalog[at].code);
            } else {
                let chapter = CHAPTERS[at % CHAPTERS.len()];
                partner.push_str(&service_code(chapter, KNOWLEDGE_PARTNER_SERVICE + at, 0));
            }
            pair += 1;
            basis.clear();
            // Writing to a String cannot fail.
            let _ = write!(basis, "KP-{pair:06}");
            let basis = rng.random_bool(0.97).then_some(basis.as_str());
            let (item_a, item_b) = if rng.random_bool(0.5) {
                (item.as_str(), partner.as_str())
            } else {
                (partner.as_str(), item.as_str())
            };
            let (versions, count) = versions(rng, left);
            for &(valid_from, valid_to) in &versions[..count] {
                emit(Version {
                    item_a,
                    item_b,
                    valid_from,
                    valid_to,
                    basis,
                })?;
                left -= 1;
            }
        }
    }
    Ok(())
}

/// Knowledge-only items made so far, per kind: each gets the next number,
/// so no two are alike.
#[derive(Default)]
struct Made {
    services: usize,
    drugs: usize,
    materials: usize,
}

impl Made {
    /// A new item: mostly services, as most exclusions are between services.
    fn item(&mut self, rng: &mut GenRng) -> String {
        match rng.random_range(0..8) {
            0..5 => {
                let n = self.services;
                self.services += 1;
                let chapter = CHAPTERS[n % CHAPTERS.len()];
                let item = KNOWLEDGE_SERVICE + n % SERVICE_ITEMS;
                service_code(chapter, item, n / SERVICE_ITEMS)
            }
            5..7 => {
                let n = self.drugs;
                self.drugs += 1;
                let atc = ATC_GROUPS[n % ATC_GROUPS.len()];
                let molecule = KNOWLEDGE_DRUG + n % DRUG_MOLECULES;
                // A form field of three digits holds forms 0 to 998.
                let form = (n / DRUG_MOLECULES) % 999;
                let maker = (n / (DRUG_MOLECULES * 999)) as u32;
                drug_code(atc, molecule, form, maker, rng)
            }
            _ => {
                let n = self.materials;
                self.materials += 1;
                let class = MATERIAL_CLASSES[n % MATERIAL_CLASSES.len()];
                let item = KNOWLEDGE_MATERIAL + n % MATERIAL_ITEMS;
                let size = (n / MATERIAL_ITEMS) % 100;
                let maker = n / (MATERIAL_ITEMS * 100);
                material_code(class, item, size, maker, rng)
            }
        }
    }
}

/// A pair's versions, at most `room` of them: one open, one closed, or a
/// closed one followed, after a gap, by an open or closed one. None starts
/// or ends after [`HORIZON`].
fn versions(rng: &mut GenRng, room: u64) -> ([(i32, Option<i32>); 2], usize) {
    let from = *pick(rng, &POLICY_DAYS) + rng.random_range(0..90);
    let roll = rng.random_range(0..100);
    let to = ending(rng, from);
    let next = to + rng.random_range(1..=120);
    match roll {
        0..70 => ([(from, None); 2], 1),
        85.. if room >= 2 && next <= HORIZON => {
            let end = rng.random_bool(0.3).then(|| ending(rng, next));
            ([(from, Some(to)), (next, end)], 2)
        }
        _ => ([(from, Some(to)); 2], 1),
    }
}

/// The last day of a version starting on `from`: half a year to two years
/// later, [`HORIZON`] at the latest.
fn ending(rng: &mut GenRng, from: i32) -> i32 {
    (from + rng.random_range(180..720)).min(HORIZON)
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashSet};

    use super::super::super::rng::{Stream, stream_rng};
    use super::super::ExclusiveRow;
    use super::*;

    type Versions = Vec<(i32, Option<i32>)>;

    fn drawn(rows: u64) -> Vec<ExclusiveRow> {
        let mut rng = stream_rng(1, Stream::Knowledge, 0);
        let mut out = Vec::new();
        draw(&mut rng, rows, &[], &mut |v| {
            out.push(ExclusiveRow {
                item_a: v.item_a.into(),
                item_b: v.item_b.into(),
                valid_from: v.valid_from,
                valid_to: v.valid_to,
                basis: v.basis.map(str::to_string),
            });
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn exactly_the_rows_asked_each_pair_once_in_versions_that_do_not_overlap() {
        for rows in [0, 1, 2, 7, 30_000] {
            let out = drawn(rows);
            assert_eq!(out.len() as u64, rows);
            let mut pairs: BTreeMap<(String, String), Versions> = BTreeMap::new();
            for x in &out {
                let (a, b, from, to) = (&x.item_a, &x.item_b, x.valid_from, x.valid_to);
                assert_ne!(a, b);
                assert!(to.is_none_or(|to| from <= to), "{a} {b}");
                assert!(to.unwrap_or(from) <= HORIZON, "{a} {b}");
                pairs
                    .entry((a.clone(), b.clone()))
                    .or_default()
                    .push((from, to));
            }
            for ((a, b), versions) in &pairs {
                assert!(
                    !pairs.contains_key(&(b.clone(), a.clone())),
                    "{a} {b} listed both ways"
                );
                for pair in versions.windows(2) {
                    let (first_to, next_from) = (pair[0].1, pair[1].0);
                    assert!(first_to.is_some_and(|to| to < next_from), "{a} {b}");
                }
            }
        }
    }

    #[test]
    fn versions_of_every_kind_and_both_orders_occur() {
        let out = drawn(30_000);
        let open = out.iter().filter(|r| r.valid_to.is_none()).count();
        let closed = out.len() - open;
        let mut seen = HashSet::new();
        let twice = out
            .iter()
            .filter(|r| !seen.insert((r.item_a.clone(), r.item_b.clone())))
            .count();
        let unbased = out.iter().filter(|r| r.basis.is_none()).count();
        assert!(
            open > 15_000 && closed > 5_000 && twice > 2_000,
            "{open} {closed} {twice}"
        );
        assert!(unbased > 300 && unbased < 2_000, "{unbased}");
        assert!(out.iter().any(|r| r.basis.as_deref() == Some("KP-000001")));
        // Without a catalog every partner is a knowledge-only service of
        // the partners' range; it comes first in about half the pairs.
        let partner = |code: &str| {
            code.len() == 15
                && code[6..11]
                    .parse::<usize>()
                    .is_ok_and(|item| item >= 50_000)
        };
        assert!(out.iter().all(|r| partner(&r.item_a) != partner(&r.item_b)));
        let first = out.iter().filter(|r| partner(&r.item_a)).count();
        assert!(first > 13_000 && first < 17_000, "{first}");
    }
}
