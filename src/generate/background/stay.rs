//! Inpatient stays of the background.

use rand::RngExt;

use super::super::calendar::{Ymd, age, civil_from_days};
use super::super::catalog::{Scope, Usage};
use super::super::model::{Insurance, VisitType};
use super::super::money::{PRICE_SCALE, YUAN, units};
use super::super::patients::Patient;
use super::super::rng::pick;
use super::draft::Bill;
use super::{Background, Dx, Role};

impl<'w> Background<'w> {
    /// An inpatient stay: ward days, drugs for part of the stay, tests at
    /// admission, the operation and its materials on the second day.
    pub(super) fn stay(
        &mut self,
        patient: &Patient,
        birth: Ymd,
        (admit, discharge): (i32, i32),
        dx: Dx,
        care: usize,
    ) {
        let world = self.world;
        let care = &world.cares[care];
        let role = match care.profile.level {
            3 => Role::Tertiary,
            _ if self.rng.random_bool(0.6) => Role::Secondary,
            _ => Role::Tertiary,
        };
        let provider = self.provider(patient.region, role, admit, false);
        let last_day = discharge - 1;
        let scope = Scope {
            first: admit,
            last: last_day,
            age_first: age(birth, civil_from_days(admit)),
            age_last: age(birth, civil_from_days(last_day)),
            gender: patient.gender,
            level: provider.level,
            dx: dx.all(),
        };
        let doctor = pick(&mut self.rng, &provider.staff[..provider.staff.len() / 2]).as_str();
        let bill = |day: i32, quantity: i64| Bill {
            day,
            quantity,
            days: None,
            level: provider.level,
            doctor,
        };
        self.draft.clear();
        let bed = world.ward.beds[usize::from(self.rng.random_bool(0.3))];
        let nursing = world.ward.nursing[usize::from(self.rng.random_bool(0.2))];
        for day in admit..=last_day {
            for group in [Some(bed), Some(nursing), world.ward.round]
                .into_iter()
                .flatten()
            {
                self.bill_group(group, &scope, &bill(day, units(1)));
            }
        }
        let length = discharge - admit;
        for _ in 0..self.rng.random_range(2..=4) {
            if care.drugs.is_empty() {
                break;
            }
            let group = *pick(&mut self.rng, &care.drugs);
            let course = self.rng.random_range(length.min(3)..=length.min(7));
            let quantity = units(self.rng.random_range(1..=2));
            for day in admit..admit + course {
                self.bill_group(group, &scope, &bill(day, quantity));
            }
        }
        for _ in 0..self.rng.random_range(2..=4) {
            if care.tests.is_empty() {
                break;
            }
            let group = *pick(&mut self.rng, &care.tests);
            let day = admit + i32::from(self.rng.random_bool(0.3));
            self.bill_group(group, &scope, &bill(day, units(1)));
        }
        let second_day = (admit + 1).min(last_day);
        for &group in &care.procedures {
            let entries = world.catalog.group(group);
            let usage = world.catalog.entries[entries[0] as usize].usage;
            match usage {
                // Oxygen by the hour, treatments daily, operations once.
                Usage::Hourly => {
                    for day in admit..=last_day {
                        let hours = units(self.rng.random_range(6..=24));
                        self.bill_group(group, &scope, &bill(day, hours));
                    }
                }
                _ if world.catalog.entries[entries[0] as usize].price < 100 * PRICE_SCALE => {
                    for day in admit..=last_day.min(admit + 4) {
                        self.bill_group(group, &scope, &bill(day, units(1)));
                    }
                }
                _ => {
                    self.bill_group(group, &scope, &bill(second_day, units(1)));
                }
            }
        }
        for &group in &care.materials {
            let quantity = units(self.rng.random_range(1..=2));
            self.bill_group(group, &scope, &bill(second_day, quantity));
        }
        let insurance = patient.insurance;
        self.settle(
            patient,
            provider,
            VisitType::Inpatient,
            (admit, discharge),
            &dx,
            |total| {
                let (deductible, percent) = match (provider.level, insurance) {
                    (3, Insurance::Employee) => (1_200, 85),
                    (3, Insurance::Resident) => (1_200, 60),
                    (_, Insurance::Employee) => (800, 88),
                    (_, Insurance::Resident) => (800, 70),
                };
                (total - deductible * YUAN).max(0) * percent / 100
            },
        );
    }
}
