//! UPC-01, the statistical rule: per provider level 1, 2 and 3, enough
//! eligible peers for the group to be usable at any population size, one
//! upcoder, and the eligibility boundary (100 vs 99 consultations).
//!
//! The peers bill no tier-3 consultation at all: a share of 0 can never be
//! above the group's 95th percentile, so they never flag whatever the
//! background holds. The planted shares (about 0.9 and 1.0) are far above
//! any background provider's, so with a group of at least 32 both planted
//! providers are above the percentile. The cases are not repeated: more
//! upcoders than the top 5% of a group would push the percentile up to them.

use rand::RngExt;

use super::super::calendar::PERIOD_START;
use super::super::labels::Expect::{self, Flag, NoFlag};
use super::super::model::{ProviderKind, VisitType};
use super::super::money::units;
use super::super::rng::pick;
use super::kit::{Claim, Fund, Kit, Line, Target};

/// Peers per level planted so every level has a usable group (>= 20).
const PEERS: usize = 30;
/// Visits of one planted patient: every 28 days, so never twice a day.
const VISITS_PER_PATIENT: usize = 25;
const VISIT_STEP: i32 = 28;

pub fn plant(kit: &mut Kit<'_>) {
    for level in 1..=3 {
        for _ in 0..PEERS {
            let n = kit.rng.random_range(100..=130);
            provider(kit, level, n, 0);
        }
        let n = kit.rng.random_range(120..=200);
        let h = n * kit.rng.random_range(85..=95) / 100;
        let upcoder = provider(kit, level, n, h);
        label(
            kit,
            upcoder,
            Flag,
            "upcoder: about 90% of consultations at the top tier",
        );
        let eligible = provider(kit, level, 100, 100);
        label(
            kit,
            eligible,
            Flag,
            "100 consultations, all at the top tier (eligible)",
        );
        let ineligible = provider(kit, level, 99, 99);
        label(
            kit,
            ineligible,
            NoFlag,
            "99 consultations, all at the top tier (not eligible)",
        );
    }
}

fn label(kit: &mut Kit<'_>, provider: String, expect: Expect, case: &'static str) {
    kit.label("UPC-01", expect, Target::Provider(provider), case);
}

/// A provider of `level` billing `n` consultations, `top` of them at tier 3
/// and the rest at tiers 1 and 2; returns its id.
fn provider(kit: &mut Kit<'_>, level: i32, n: usize, top: usize) -> String {
    let kind = if level == 1 {
        ProviderKind::Clinic
    } else {
        ProviderKind::Hospital
    };
    let region = kit
        .rng
        .random_range(0..super::super::regions::REGIONS.len());
    let provider = kit.open_provider(level, kind, region);
    let place = kit.place(provider);
    let mut tiers: Vec<usize> = (0..n)
        .map(|i| {
            if i < top {
                3
            } else if kit.rng.random_bool(0.3) {
                2
            } else {
                1
            }
        })
        .collect();
    // Fisher–Yates, so the top tier is spread over the period.
    for i in (1..tiers.len()).rev() {
        let j = kit.rng.random_range(0..=i);
        tiers.swap(i, j);
    }
    for visits in tiers.chunks(VISITS_PER_PATIENT) {
        let who = kit.someone(region);
        let start = PERIOD_START + kit.rng.random_range(0..VISIT_STEP);
        for (k, &tier) in visits.iter().enumerate() {
            let day = start + VISIT_STEP * k as i32;
            let entry = kit.consult[tier - 1];
            let line = Line {
                unit_price: entry.unit_price(level),
                ..kit.line_of(entry, day)
            };
            let dx = *pick(&mut kit.rng, &["J06.900", "I10.x00", "K29.700", "M54.500"]);
            kit.claim(Claim {
                who: &who,
                place: &place,
                visit: VisitType::Outpatient,
                admit: day,
                discharge: day,
                dx,
                secondary: None,
                fund: Fund::Share(50),
                lines: vec![line.qty(units(1))],
            });
        }
    }
    kit.providers[provider].id.clone()
}
