//! The background: ordinary patients' care over the period, built so that it
//! breaks none of the default rules (UPC-01, statistical, still flags the top
//! of each peer group).

mod draft;
mod outpatient;
mod plan;
mod stay;

use std::fmt::Write;

use rand::RngExt;

use self::draft::{Bill, Draft, Supplies, bill_entry, usable_entry};
use self::plan::{Event, Kind, Person, Plan};
use super::calendar::{DAY_MS, Ymd, age, civil_from_days, days_from_civil};
use super::catalog::Scope;
use super::claim_tables::{ClaimRow, ClaimTables, lines_total};
use super::model::VisitType;
use super::money::YUAN;
use super::patients::{Patient, write_patient_id};
use super::providers::{LocalProviders, Provider};
use super::regions::REGIONS;
use super::rng::{GenRng, pick};
use super::world::World;

/// A patient's yearly fund payments stay below this, far under CAP-01's caps.
const ANNUAL_FUND_CEILING: i64 = 100_000 * YUAN;
/// The primary and up to five secondary diagnoses.
const MAX_DX: usize = 6;

/// Where a visit goes.
#[derive(Debug, Clone, Copy)]
enum Role {
    Primary,
    Secondary,
    Tertiary,
    Pharmacy,
}

/// A claim's diagnoses: the primary first.
#[derive(Clone, Copy)]
struct Dx {
    codes: [&'static str; MAX_DX],
    len: usize,
}

impl Dx {
    fn new(primary: &'static str) -> Dx {
        Dx {
            codes: [primary; MAX_DX],
            len: 1,
        }
    }

    fn add(&mut self, code: &'static str) {
        if self.len < MAX_DX && !self.all().contains(&code) {
            self.codes[self.len] = code;
            self.len += 1;
        }
    }

    fn all(&self) -> &[&'static str] {
        &self.codes[..self.len]
    }

    fn secondary(&self) -> Option<&[&'static str]> {
        (self.len > 1).then(|| &self.codes[1..self.len])
    }
}

/// Generates the background patients of one chunk into one part of the
/// claims tables.
pub struct Background<'w> {
    world: &'w World,
    rng: GenRng,
    tables: ClaimTables,
    plan: Plan,
    draft: Draft<'w>,
    supplies: Supplies,
    patient_id: String,
    claim_id: String,
    claim_seq: u32,
    /// Fund paid to the current patient in 2023 and 2024.
    fund_by_year: [i64; 2],
    /// The current patient's usual providers (by [`Role`]) and preferred makers.
    home: [u32; 4],
    loyalty: u32,
}

impl<'w> Background<'w> {
    pub fn new(world: &'w World, rng: GenRng, patients: usize) -> Background<'w> {
        Background {
            world,
            rng,
            tables: ClaimTables::with_capacity(patients * 4, patients * 17),
            plan: Plan::default(),
            draft: Draft::new(),
            supplies: Supplies::default(),
            patient_id: String::new(),
            claim_id: String::new(),
            claim_seq: 0,
            fund_by_year: [0; 2],
            home: [0; 4],
            loyalty: 0,
        }
    }

    /// The rng, for drawing the next patient.
    pub fn rng(&mut self) -> &mut GenRng {
        &mut self.rng
    }

    pub fn finish(self) -> ClaimTables {
        self.tables
    }

    /// All claims of one patient over the period.
    pub fn patient(&mut self, patient: &Patient) {
        let Some((first, last)) = patient.covered_days() else {
            return;
        };
        let birth = civil_from_days(patient.birth);
        self.patient_id.clear();
        write_patient_id(&mut self.patient_id, patient.region, patient.index);
        self.claim_seq = 0;
        self.fund_by_year = [0; 2];
        self.supplies.clear();
        self.loyalty = self.rng.random();
        let local = &self.world.local[patient.region];
        self.home = [
            *pick(&mut self.rng, &local.primary),
            *pick(&mut self.rng, &local.secondary),
            *pick(&mut self.rng, &local.tertiary),
            *pick(&mut self.rng, &local.pharmacies),
        ];
        let person = Person {
            gender: patient.gender,
            age: age(birth, civil_from_days(first)),
            first,
            last,
        };
        self.plan.make(&mut self.rng, &self.world.cares, &person);
        for i in 0..self.plan.events.len() {
            let event = self.plan.events[i];
            self.visit(patient, birth, event);
        }
    }

    /// A provider for the role, open on `day`: usually the patient's own,
    /// sometimes another in the region or (outpatient only) elsewhere.
    fn provider(&mut self, region: usize, role: Role, day: i32, may_travel: bool) -> &'w Provider {
        let world = self.world;
        let pick_from = |local: &'w LocalProviders| match role {
            Role::Primary => &local.primary,
            Role::Secondary => &local.secondary,
            Role::Tertiary => &local.tertiary,
            Role::Pharmacy => &local.pharmacies,
        };
        let roll = self.rng.random_range(0..100);
        let (area, chosen) = if may_travel && roll < 3 {
            let area = self.rng.random_range(0..REGIONS.len());
            (area, *pick(&mut self.rng, pick_from(&world.local[area])))
        } else if roll < 15 {
            (
                region,
                *pick(&mut self.rng, pick_from(&world.local[region])),
            )
        } else {
            (region, self.home[role as usize])
        };
        let provider = &world.providers[chosen as usize];
        if provider.open_on(day) {
            provider
        } else {
            // The first provider of every list is designated all period.
            &world.providers[pick_from(&world.local[area])[0] as usize]
        }
    }

    /// Adds the patient's chronic conditions to a claim's diagnoses.
    fn add_chronic(&self, dx: &mut Dx) {
        for &care in &self.plan.chronic {
            dx.add(self.world.cares[care].profile.dx[0]);
        }
    }

    fn visit(&mut self, patient: &Patient, birth: Ymd, event: Event) {
        let world = self.world;
        match event.kind {
            Kind::Refill => {
                let mut dx = Dx::new(world.cares[self.plan.chronic[0]].profile.dx[0]);
                self.add_chronic(&mut dx);
                let role = match self.rng.random_range(0..100) {
                    0..35 => Role::Pharmacy,
                    35..65 => Role::Primary,
                    65..88 => Role::Secondary,
                    _ => Role::Tertiary,
                };
                self.outpatient(patient, birth, event.day, role, dx, None);
            }
            Kind::Episode { care } => {
                let primary = *pick(&mut self.rng, world.cares[care].profile.dx);
                let mut dx = Dx::new(primary);
                if self.rng.random_bool(0.6) {
                    self.add_chronic(&mut dx);
                }
                let adult = age(birth, civil_from_days(event.day)) >= 18;
                let role = match self.rng.random_range(0..100) {
                    0..12 if adult => Role::Pharmacy,
                    0..55 => Role::Primary,
                    55..82 => Role::Secondary,
                    _ => Role::Tertiary,
                };
                self.outpatient(patient, birth, event.day, role, dx, Some(care));
            }
            Kind::Stay { care, discharge } => {
                let primary = *pick(&mut self.rng, world.cares[care].profile.dx);
                let mut dx = Dx::new(primary);
                if self.rng.random_bool(0.7) {
                    self.add_chronic(&mut dx);
                }
                self.stay(patient, birth, (event.day, discharge), dx, care);
            }
        }
    }

    fn bill_group(&mut self, group: usize, scope: &Scope<'_>, bill: &Bill<'w>) -> bool {
        let preference = self.loyalty ^ (group as u32).wrapping_mul(0x9e37_79b9);
        match usable_entry(self.world, group, scope, preference) {
            Some(entry) => bill_entry(self.world, &mut self.draft, &mut self.supplies, entry, bill),
            None => false,
        }
    }

    /// Writes the drafted claim (if it has lines) with the fund's share.
    fn settle(
        &mut self,
        patient: &Patient,
        provider: &Provider,
        visit: VisitType,
        (admit, discharge): (i32, i32),
        dx: &Dx,
        fund_share: impl FnOnce(i64) -> i64,
    ) {
        if self.draft.lines.is_empty() {
            return;
        }
        let total = lines_total(&self.draft.lines);
        let year = usize::from(admit > days_from_civil(2023, 12, 31));
        let fund = fund_share(total)
            .clamp(0, total)
            .min(ANNUAL_FUND_CEILING - self.fund_by_year[year]);
        self.fund_by_year[year] += fund;
        self.claim_seq += 1;
        self.claim_id.clear();
        write_claim_id(&mut self.claim_id, patient.index, self.claim_seq);
        let settle_ms =
            i64::from(discharge) * DAY_MS + self.rng.random_range(8 * 3_600_000..20 * 3_600_000);
        let claim = ClaimRow {
            claim_id: &self.claim_id,
            patient_id: &self.patient_id,
            provider_id: &provider.id,
            visit,
            admit,
            discharge,
            primary_dx: dx.codes[0],
            secondary_dx: dx.secondary(),
            fund,
            settle_ms,
            treat_region: REGIONS[provider.region].code,
        };
        self.tables.push(&claim, &self.draft.lines);
    }
}

/// A settlement id (结算ID): the person's serial number and the claim's.
pub fn write_claim_id(out: &mut String, patient_index: u64, seq: u32) {
    // Writing to a String cannot fail.
    let _ = write!(out, "JS{patient_index:010}{seq:04}");
}
