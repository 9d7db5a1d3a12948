//! A patient's calendar for the period: when stays, refills and outpatient
//! episodes happen, placed so the rules that compare a patient's claims
//! (GHOST-03, STAY-01/02, SPLIT-01, DUP-01, FREQ-01) have nothing to find.

use rand::RngExt;

use super::super::calendar::{PERIOD_END, PERIOD_START};
use super::super::model::Gender;
use super::super::profiles::{Care, Setting};
use super::super::rng::{GenRng, pick};

/// Days between one stay's discharge and the next admission (SPLIT-01 looks
/// 15 days back).
const STAY_GAP: i32 = 20;

#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// A chronic patient's regular prescription.
    Refill,
    /// An outpatient episode of a profile.
    Episode { care: usize },
    /// An inpatient stay of a profile.
    Stay { care: usize, discharge: i32 },
}

#[derive(Debug, Clone, Copy)]
pub struct Event {
    pub day: i32,
    pub kind: Kind,
}

/// Which days of the period already have a claim (at most one a day, and a
/// stay takes all its days).
#[derive(Default)]
struct Days([u64; 12]);

impl Days {
    fn slot(day: i32) -> (usize, u64) {
        let i = (day - PERIOD_START) as usize;
        (i / 64, 1 << (i % 64))
    }

    fn taken(&self, day: i32) -> bool {
        let (word, bit) = Days::slot(day);
        self.0[word] & bit != 0
    }

    fn any_taken(&self, from: i32, to: i32) -> bool {
        (from.max(PERIOD_START)..=to.min(PERIOD_END)).any(|d| self.taken(d))
    }

    fn take(&mut self, from: i32, to: i32) {
        for day in from..=to {
            let (word, bit) = Days::slot(day);
            self.0[word] |= bit;
        }
    }
}

/// The patient's plan, reused from patient to patient.
#[derive(Default)]
pub struct Plan {
    pub events: Vec<Event>,
    /// Chronic conditions (indices into the world's cares).
    pub chronic: Vec<usize>,
    /// The drug groups every refill dispenses.
    pub regimen: Vec<usize>,
    days: Days,
}

/// Who the plan is for.
pub struct Person {
    pub gender: Gender,
    /// Age on the first covered day.
    pub age: i32,
    pub first: i32,
    pub last: i32,
}

fn poisson(rng: &mut GenRng, mean: f64) -> u32 {
    let limit = (-mean).exp();
    let mut product: f64 = rng.random();
    let mut k = 0;
    while product > limit {
        k += 1;
        product *= rng.random::<f64>();
    }
    k
}

/// A profile of `setting` fitting the person, by relative frequency.
fn choose_care(
    rng: &mut GenRng,
    cares: &[Care],
    setting: Setting,
    person: &Person,
) -> Option<usize> {
    let fits = |c: &Care| c.profile.setting == setting && c.fits(person.age, person.gender);
    let total: u32 = cares
        .iter()
        .filter(|c| fits(c))
        .map(|c| c.profile.weight)
        .sum();
    if total == 0 {
        return None;
    }
    let mut roll = rng.random_range(0..total);
    for (i, care) in cares.iter().enumerate().filter(|(_, c)| fits(c)) {
        if roll < care.profile.weight {
            return Some(i);
        }
        roll -= care.profile.weight;
    }
    None
}

impl Plan {
    /// Plans the period for one person; events come out sorted by day.
    pub fn make(&mut self, rng: &mut GenRng, cares: &[Care], person: &Person) {
        self.events.clear();
        self.chronic.clear();
        self.regimen.clear();
        self.days = Days::default();
        let years = f64::from(person.last - person.first + 1) / 365.0;
        self.chronic_conditions(rng, cares, person);
        self.stays(rng, cares, person, years);
        self.refills(rng, person);
        self.episodes(rng, cares, person, years);
        self.events.sort_unstable_by_key(|e| e.day);
    }

    fn chronic_conditions(&mut self, rng: &mut GenRng, cares: &[Care], person: &Person) {
        for (i, care) in cares.iter().enumerate() {
            let profile = care.profile;
            if profile.setting != Setting::Chronic
                || !care.fits(person.age, person.gender)
                || care.drugs.is_empty()
            {
                continue;
            }
            // Prevalence grows with age up to the profile's weight.
            let ramp = (f64::from(person.age - profile.ages.0) / 30.0).clamp(0.15, 1.0);
            if rng.random_bool(f64::from(profile.weight) / 100.0 * ramp) {
                self.chronic.push(i);
                for _ in 0..1 + usize::from(rng.random_bool(0.4)) {
                    let group = *pick(rng, &care.drugs);
                    if !self.regimen.contains(&group) {
                        self.regimen.push(group);
                    }
                }
            }
        }
    }

    fn stays(&mut self, rng: &mut GenRng, cares: &[Care], person: &Person, years: f64) {
        let rate = match person.age {
            ..7 => 0.03,
            7..18 => 0.015,
            18..45 => 0.04,
            45..65 => 0.06,
            65..80 => 0.12,
            _ => 0.22,
        };
        for _ in 0..poisson(rng, rate * years).min(4) {
            let Some(care) = choose_care(rng, cares, Setting::Inpatient, person) else {
                continue;
            };
            let (shortest, longest) = cares[care].profile.stay;
            let length = rng.random_range(shortest..=longest);
            if person.last - person.first < length {
                continue;
            }
            let admit = rng.random_range(person.first..=person.last - length);
            let discharge = admit + length;
            if self.days.any_taken(admit - STAY_GAP, discharge + STAY_GAP) {
                continue;
            }
            self.days.take(admit, discharge);
            self.events.push(Event {
                day: admit,
                kind: Kind::Stay { care, discharge },
            });
        }
    }

    /// Refills at least 30 days apart, so a 30-day supply never overlaps
    /// the next (QTY-02).
    fn refills(&mut self, rng: &mut GenRng, person: &Person) {
        if self.regimen.is_empty() {
            return;
        }
        let mut day = person.first + rng.random_range(0..30);
        while day <= person.last {
            if self.days.taken(day) {
                day += 1;
                continue;
            }
            self.days.take(day, day);
            self.events.push(Event {
                day,
                kind: Kind::Refill,
            });
            day += 30 + rng.random_range(0..=45);
        }
    }

    fn episodes(&mut self, rng: &mut GenRng, cares: &[Care], person: &Person, years: f64) {
        let rate = match person.age {
            ..7 => 1.8,
            7..18 => 0.9,
            18..60 => 0.6,
            _ => 0.9,
        };
        for _ in 0..poisson(rng, rate * years) {
            let day = rng.random_range(person.first..=person.last);
            if self.days.taken(day) {
                continue;
            }
            if let Some(care) = choose_care(rng, cares, Setting::Acute, person) {
                self.days.take(day, day);
                self.events.push(Event {
                    day,
                    kind: Kind::Episode { care },
                });
            }
        }
    }
}
