//! The reference world every background chunk shares: providers, the
//! catalog and the disease profiles, generated once from the seed.

use super::catalog::{CONSULT_FAMILY, Catalog};
use super::profiles::{Care, resolve};
use super::providers::{LocalProviders, Provider, build_providers};
use super::rng::{Stream, stream_rng};

/// The ward's daily services: one of each is billed for every day of a stay.
pub struct Ward {
    /// Bed fees (三人间, 二人间).
    pub beds: Vec<usize>,
    /// Nursing grades (二级, 一级).
    pub nursing: Vec<usize>,
    /// 住院诊查费.
    pub round: Option<usize>,
}

pub struct World {
    pub providers: Vec<Provider>,
    /// Per region (index into `REGIONS`).
    pub local: Vec<LocalProviders>,
    pub catalog: Catalog,
    pub cares: Vec<Care>,
    /// The consultation entries of tiers 1, 2 and 3.
    pub consult: [u32; 3],
    pub ward: Ward,
}

impl World {
    pub fn build(seed: u64, patients: u64) -> World {
        let mut rng = stream_rng(seed, Stream::World, 0);
        // The catalog comes first so it does not depend on the population size.
        let catalog = Catalog::build(&mut rng);
        let (providers, local) = build_providers(&mut rng, patients);
        let cares = resolve(&catalog);
        let consult = std::array::from_fn(|t| {
            let tier = t as i32 + 1;
            let found = catalog
                .entries
                .iter()
                .position(|e| e.family == Some(CONSULT_FAMILY) && e.tier == Some(tier));
            found.expect("the service table has a consultation of every tier") as u32
        });
        let groups = |names: &[&str]| names.iter().filter_map(|n| catalog.group_id(n)).collect();
        let ward = Ward {
            beds: groups(&["三人间病房床位费", "二人间病房床位费"]),
            nursing: groups(&["二级护理", "一级护理"]),
            round: catalog.group_id("住院诊查费"),
        };
        World {
            providers,
            local,
            catalog,
            cares,
            consult,
            ward,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::profiles::PROFILES;
    use super::*;

    #[test]
    fn every_profile_item_is_in_the_catalog() {
        let world = World::build(1, 1_000);
        for (care, profile) in world.cares.iter().zip(PROFILES) {
            assert_eq!(care.drugs.len(), profile.drugs.len(), "{:?}", profile.dx);
            assert_eq!(care.tests.len(), profile.tests.len(), "{:?}", profile.dx);
            assert_eq!(
                care.procedures.len(),
                profile.procedures.len(),
                "{:?}",
                profile.dx
            );
            assert_eq!(
                care.materials.len(),
                profile.materials.len(),
                "{:?}",
                profile.dx
            );
        }
        assert_eq!(world.ward.beds.len(), 2);
        assert_eq!(world.ward.nursing.len(), 2);
        assert!(world.ward.round.is_some());
    }
}
