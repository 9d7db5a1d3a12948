//! Planted cases: for every default rule, violations and near-misses on its
//! boundaries, each on dedicated patients (and providers, catalog entries and
//! pairs of exclusive items where the case needs them) so that no case can
//! set off another rule. The labels say which rows must flag and which must
//! not.

mod catalog_cases;
mod exclusive_cases;
mod kit;
mod person_cases;
mod quantity_cases;
mod stay_cases;
mod upcoding;

use rand::RngExt;

use self::kit::{Kit, Place};
use super::catalog::Entry;
use super::claim_tables::ClaimTables;
use super::exclusive::ExclusiveRow;
use super::labels::{Label, sort_labels};
use super::model::ProviderKind;
use super::options::GenError;
use super::patients::Patient;
use super::providers::Provider;
use super::regions::REGIONS;
use super::rng::{GenRng, Stream, stream_rng};
use super::world::World;

mod rate;

pub use self::rate::Rate;

/// Everything the planted cases add to the dataset.
pub struct Planted {
    pub patients: Vec<Patient>,
    pub providers: Vec<Provider>,
    pub entries: Vec<Entry>,
    /// The pairs of exclusive items the cases bill.
    pub exclusive: Vec<ExclusiveRow>,
    pub tables: ClaimTables,
    pub labels: Vec<Label>,
    /// For the planted patients' names.
    pub rng: GenRng,
}

/// The providers one repetition's cases use: designated all period, in a
/// home region and (for GHOST-03) a second one.
pub struct Site {
    pub region: usize,
    pub tertiary: Place,
    /// A second level-3 hospital, for "another provider".
    pub tertiary_b: Place,
    pub secondary: Place,
    pub clinic: Place,
    pub pharmacy: Place,
    pub far_secondary: Place,
    pub far_pharmacy: Place,
}

impl Site {
    fn new(kit: &mut Kit<'_>) -> Site {
        let region = kit.rng.random_range(0..REGIONS.len());
        let far = (region + kit.rng.random_range(1..REGIONS.len())) % REGIONS.len();
        let place = |kit: &mut Kit<'_>, level, kind, region| {
            let provider = kit.open_provider(level, kind, region);
            kit.place(provider)
        };
        Site {
            region,
            tertiary: place(kit, 3, ProviderKind::Hospital, region),
            tertiary_b: place(kit, 3, ProviderKind::Hospital, region),
            secondary: place(kit, 2, ProviderKind::Hospital, region),
            clinic: place(kit, 1, ProviderKind::Clinic, region),
            pharmacy: place(kit, 0, ProviderKind::Pharmacy, region),
            far_secondary: place(kit, 2, ProviderKind::Hospital, far),
            far_pharmacy: place(kit, 0, ProviderKind::Pharmacy, far),
        }
    }
}

type Cases = fn(&mut Kit<'_>, &Site);

/// Plants every case as often as `rate` says (UPC-01 once per peer group:
/// see `upcoding`), after the `patients` background persons. `flush` is
/// handed the claims planted so far whenever they reach `rate`'s part size.
pub fn plant(
    world: &World,
    seed: u64,
    patients: u64,
    rate: &Rate,
    flush: &mut dyn FnMut(ClaimTables) -> Result<(), GenError>,
) -> Result<Planted, GenError> {
    let consult = world.consult.map(|e| &world.catalog.entries[e as usize]);
    let mut kit = Kit::new(stream_rng(seed, Stream::Planted, 0), patients, consult);
    let groups: [(Cases, u32); 5] = [
        (catalog_cases::plant, rate.plays),
        (quantity_cases::plant, rate.plays),
        (person_cases::plant, rate.plays),
        (stay_cases::plant, rate.stay_plays),
        (exclusive_cases::plant, rate.exclusive_plays),
    ];
    for _ in 0..rate.repeats(patients) {
        let site = Site::new(&mut kit);
        for (cases, plays) in groups {
            let start = kit.mark();
            cases(&mut kit, &site);
            if plays > 1 {
                let end = kit.mark();
                for _ in 1..plays {
                    kit.replay_from(&start);
                    cases(&mut kit, &site);
                    if kit.tables.lines() >= rate.part_lines {
                        flush(std::mem::replace(&mut kit.tables, ClaimTables::planted()))?;
                    }
                }
                kit.end_replay(&end);
            }
        }
    }
    upcoding::plant(&mut kit);
    sort_labels(&mut kit.labels);
    Ok(Planted {
        patients: kit.patients,
        providers: kit.providers,
        entries: kit.entries,
        exclusive: kit.exclusive,
        tables: kit.tables,
        labels: kit.labels,
        rng: kit.rng,
    })
}
