//! Outpatient visits and pharmacy purchases of the background.

use rand::RngExt;

use super::super::calendar::{Ymd, age, civil_from_days};
use super::super::catalog::{Scope, Usage};
use super::super::model::{Insurance, VisitType};
use super::super::money::units;
use super::super::patients::Patient;
use super::super::providers::Provider;
use super::super::rng::pick;
use super::draft::{Bill, bill_entry};
use super::{Background, Dx, Role};

impl<'w> Background<'w> {
    /// An outpatient visit or pharmacy purchase: a refill of the regimen
    /// (`care` = None) or an episode of `care`.
    pub(super) fn outpatient(
        &mut self,
        patient: &Patient,
        birth: Ymd,
        day: i32,
        role: Role,
        dx: Dx,
        care: Option<usize>,
    ) {
        let world = self.world;
        let provider = self.provider(patient.region, role, day, true);
        let pharmacy = matches!(role, Role::Pharmacy);
        let age_then = age(birth, civil_from_days(day));
        let scope = Scope {
            first: day,
            last: day,
            age_first: age_then,
            age_last: age_then,
            gender: patient.gender,
            level: provider.level,
            dx: dx.all(),
        };
        self.draft.clear();
        let doctor = if pharmacy {
            pick(&mut self.rng, &provider.staff).as_str()
        } else {
            self.consultation(provider, &scope, day)
        };
        // One unit, no days' supply; lines below change what differs.
        let base = Bill {
            day,
            quantity: units(1),
            days: None,
            level: provider.level,
            doctor,
        };
        match care {
            None => {
                for k in 0..self.plan.regimen.len() {
                    let quantity = units(self.rng.random_range(1..=3));
                    let bill = Bill {
                        quantity,
                        days: Some(30),
                        ..base
                    };
                    self.bill_group(self.plan.regimen[k], &scope, &bill);
                }
                if !pharmacy && self.rng.random_bool(0.25) {
                    let chronic = *pick(&mut self.rng, &self.plan.chronic);
                    let tests = &world.cares[chronic].tests;
                    if !tests.is_empty() {
                        let test = *pick(&mut self.rng, tests);
                        self.bill_group(test, &scope, &base);
                    }
                }
            }
            Some(care) => {
                let care = &world.cares[care];
                for _ in 0..[1, 1, 2, 2, 3][self.rng.random_range(0..5)] {
                    let group = *pick(&mut self.rng, &care.drugs);
                    let topical = world.catalog.group(group).first().is_some_and(|&e| {
                        world.catalog.entries[e as usize].usage == Usage::Topical
                    });
                    let days = (!topical).then(|| self.rng.random_range(3..=7));
                    let quantity = units(self.rng.random_range(1..=2));
                    self.bill_group(
                        group,
                        &scope,
                        &Bill {
                            quantity,
                            days,
                            ..base
                        },
                    );
                }
                if !pharmacy && !care.tests.is_empty() {
                    for _ in 0..[0, 0, 0, 1, 1, 2][self.rng.random_range(0..6)] {
                        let group = *pick(&mut self.rng, &care.tests);
                        self.bill_group(group, &scope, &base);
                    }
                }
            }
        }
        let visit = if pharmacy {
            VisitType::Pharmacy
        } else {
            VisitType::Outpatient
        };
        let refill = care.is_none();
        self.settle(patient, provider, visit, (day, day), &dx, |total| {
            let percent = match (visit, patient.insurance) {
                (VisitType::Pharmacy, _) if refill => 50,
                (VisitType::Pharmacy, _) => 0,
                (_, Insurance::Employee) => 60,
                _ => 50,
            };
            total * percent / 100
        });
    }

    /// Bills the consultation fee of an outpatient visit; returns the doctor.
    fn consultation(&mut self, provider: &'w Provider, scope: &Scope<'_>, day: i32) -> &'w str {
        let roll: f64 = self.rng.random();
        let (tier, doctors) = if roll < provider.tier3 {
            (3, &provider.staff[..provider.chiefs])
        } else if roll < provider.tier3 + provider.tier2 {
            (
                2,
                &provider.staff[provider.chiefs..provider.chiefs + provider.associates],
            )
        } else {
            (1, &provider.staff[provider.chiefs + provider.associates..])
        };
        let doctor = pick(&mut self.rng, doctors).as_str();
        let entry = self.world.consult[tier - 1];
        if self.world.catalog.entries[entry as usize].usable(scope) {
            let bill = Bill {
                day,
                quantity: units(1),
                days: None,
                level: provider.level,
                doctor,
            };
            bill_entry(
                self.world,
                &mut self.draft,
                &mut self.supplies,
                entry,
                &bill,
            );
        }
        doctor
    }
}
