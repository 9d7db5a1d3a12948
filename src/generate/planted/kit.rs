//! The workbench for planted cases: dedicated patients, providers, catalog
//! entries and pairs of exclusive items, claims written straight into their
//! own part, and labels.

use std::collections::HashMap;

use rand::RngExt;

use super::super::background::write_claim_id;
use super::super::calendar::{DAY_MS, PERIOD_END, PERIOD_START, days_from_civil};
use super::super::catalog::codes::{
    ABSENT_DRUG, ABSENT_MATERIAL, ABSENT_SERVICE, PLANTED_DRUG, PLANTED_MATERIAL, PLANTED_SERVICE,
    drug_code, material_code, service_code,
};
use super::super::catalog::{Entry, Usage};
use super::super::claim_tables::{ClaimRow, ClaimTables, LineRow, lines_total};
use super::super::exclusive::ExclusiveRow;
use super::super::labels::{Expect, Label};
use super::super::model::{Gender, Insurance, ItemType, ProviderKind, VisitType};
use super::super::money::{fen, units};
use super::super::patients::{Patient, write_patient_id};
use super::super::providers::{
    Provider, clinic_name, open_contract, pharmacy_name, secondary_name, tertiary_name,
};
use super::super::regions::REGIONS;
use super::super::rng::{GenRng, pick};
use crate::flags::Grain;

/// Serial numbers of planted providers (background ones stay far below).
const PLANTED_PROVIDER_SEQ: u32 = 80_000;
/// Serial numbers of provider ids that are never registered.
const ABSENT_PROVIDER_SEQ: u32 = 99_000;

/// A person claims are made for; registered or not (GHOST-02).
pub struct Who {
    pub index: u64,
    pub id: String,
}

/// Where a claim is made: a provider, or an id that is not one (CONTRACT-01).
#[derive(Clone)]
pub struct Place {
    pub id: String,
    pub region: usize,
    pub doctor: String,
    pub pharmacy: bool,
}

/// A billed line of a planted claim.
#[derive(Clone)]
pub struct Line {
    pub code: String,
    pub item_type: ItemType,
    pub date: i32,
    pub quantity: i64,
    pub unit_price: i64,
    pub days_supply: Option<i32>,
}

impl Line {
    pub fn qty(self, quantity: i64) -> Line {
        Line { quantity, ..self }
    }

    pub fn price(self, unit_price: i64) -> Line {
        Line { unit_price, ..self }
    }

    pub fn days(self, days_supply: Option<i32>) -> Line {
        Line {
            days_supply,
            ..self
        }
    }
}

/// The fund's payment on a claim.
#[derive(Clone, Copy)]
pub enum Fund {
    /// Percent of the total.
    Share(i64),
    /// Exactly this many fen (never above the total).
    Exact(i64),
}

pub struct Claim<'a> {
    pub who: &'a Who,
    pub place: &'a Place,
    pub visit: VisitType,
    pub admit: i32,
    pub discharge: i32,
    pub dx: &'static str,
    pub secondary: Option<&'a [&'static str]>,
    pub fund: Fund,
    pub lines: Vec<Line>,
}

/// Entries shared by many cases; they restrict nothing.
pub struct Neutral {
    /// Oral drugs for filler lines.
    pub drugs: [usize; 2],
    /// Two ward sets (bed, nursing, infusion drug) so that overlapping stays
    /// never bill the same item on the same day (which DUP-01 would flag).
    pub wards: [[usize; 3]; 2],
}

pub struct Kit<'w> {
    pub rng: GenRng,
    pub patients: Vec<Patient>,
    pub providers: Vec<Provider>,
    pub entries: Vec<Entry>,
    /// Rows of the knowledge base of exclusive items.
    pub exclusive: Vec<ExclusiveRow>,
    pub tables: ClaimTables,
    pub labels: Vec<Label>,
    pub neutral: Neutral,
    /// The background's consultation entries (tiers 1–3), for UPC-01.
    pub consult: [&'w Entry; 3],
    next_patient: u64,
    claim_seq: HashMap<u64, u32>,
    counters: Counters,
    /// While a round is played again: the next recorded entry and provider.
    replay: Option<(usize, usize)>,
}

/// The sequences that name planted providers, codes and absent ids.
#[derive(Clone, Copy)]
struct Counters {
    provider_seq: u32,
    absent_provider_seq: u32,
    absent_code_seq: usize,
    code_seq: usize,
}

/// The kit's state at the start (or end) of a round of cases, to play the
/// round again: the same draws give the same entries, providers, days and
/// amounts, while patients and claims are new.
pub struct Mark {
    rng: GenRng,
    counters: Counters,
    entries: usize,
    providers: usize,
}

impl<'w> Kit<'w> {
    pub fn new(rng: GenRng, first_patient: u64, consult: [&'w Entry; 3]) -> Kit<'w> {
        let mut kit = Kit {
            rng,
            patients: Vec::new(),
            providers: Vec::new(),
            entries: Vec::new(),
            exclusive: Vec::new(),
            tables: ClaimTables::planted(),
            labels: Vec::new(),
            neutral: Neutral {
                drugs: [0; 2],
                wards: [[0; 3]; 2],
            },
            consult,
            next_patient: first_patient,
            claim_seq: HashMap::new(),
            counters: Counters {
                provider_seq: 0,
                absent_provider_seq: 0,
                absent_code_seq: 0,
                code_seq: 0,
            },
            replay: None,
        };
        let drug = |kit: &mut Kit, name| {
            let entry = kit.entry(ItemType::Drug, name);
            kit.add(entry)
        };
        let service = |kit: &mut Kit, name| {
            let entry = kit.entry(ItemType::Service, name);
            kit.add(entry)
        };
        kit.neutral.drugs = [drug(&mut kit, "维生素B6片"), drug(&mut kit, "葡萄糖酸钙片")];
        kit.neutral.wards = [
            [
                service(&mut kit, "三人间病房床位费"),
                service(&mut kit, "二级护理"),
                drug(&mut kit, "0.9%氯化钠注射液"),
            ],
            [
                service(&mut kit, "二人间病房床位费"),
                service(&mut kit, "一级护理"),
                drug(&mut kit, "5%葡萄糖注射液"),
            ],
        ];
        kit
    }

    pub fn mark(&self) -> Mark {
        Mark {
            rng: self.rng.clone(),
            counters: self.counters,
            entries: self.entries.len(),
            providers: self.providers.len(),
        }
    }

    /// Rewinds to `start` so the round recorded from it plays again with
    /// new patients; entries and providers it makes are the recorded ones.
    pub fn replay_from(&mut self, start: &Mark) {
        self.rng = start.rng.clone();
        self.counters = start.counters;
        self.replay = Some((start.entries, start.providers));
    }

    /// Ends replaying: back to the state after the recorded round.
    pub fn end_replay(&mut self, end: &Mark) {
        self.rng = end.rng.clone();
        self.counters = end.counters;
        self.replay = None;
    }

    /// A day drawn from `from..=to`.
    pub fn day(&mut self, from: i32, to: i32) -> i32 {
        self.rng.random_range(from..=to)
    }

    /// A day of the period at least `margin` days from both ends.
    pub fn inner_day(&mut self, margin: i32) -> i32 {
        self.day(PERIOD_START + margin, PERIOD_END - margin)
    }

    /// An ordinary adult of `region`, insured long before the period; not
    /// yet registered.
    pub fn adult(&mut self, region: usize) -> Patient {
        let index = self.next_patient;
        self.next_patient += 1;
        let birth = days_from_civil(self.rng.random_range(1950..=1990), 1, 1)
            + self.rng.random_range(0..365);
        let enroll = days_from_civil(self.rng.random_range(2008..=2018), 1, 1)
            + self.rng.random_range(0..365);
        Patient {
            index,
            gender: if self.rng.random_bool(0.5) {
                Gender::M
            } else {
                Gender::F
            },
            birth,
            death: None,
            insurance: if self.rng.random_bool(0.5) {
                Insurance::Employee
            } else {
                Insurance::Resident
            },
            enroll,
            benefit_start: enroll,
            region,
        }
    }

    pub fn register(&mut self, patient: Patient) -> Who {
        let who = self.who(patient.region, patient.index);
        self.patients.push(patient);
        who
    }

    /// A fresh ordinary adult, registered.
    pub fn someone(&mut self, region: usize) -> Who {
        let patient = self.adult(region);
        self.register(patient)
    }

    /// An id no patients row has (GHOST-02).
    pub fn stranger(&mut self, region: usize) -> Who {
        let index = self.next_patient;
        self.next_patient += 1;
        self.who(region, index)
    }

    fn who(&self, region: usize, index: u64) -> Who {
        let mut id = String::new();
        write_patient_id(&mut id, region, index);
        Who { index, id }
    }

    /// A planted provider, designated over `contract`.
    pub fn provider(
        &mut self,
        level: i32,
        kind: ProviderKind,
        region: usize,
        contract: (i32, Option<i32>),
    ) -> usize {
        self.counters.provider_seq += 1;
        let k = self.counters.provider_seq as usize;
        let r = &REGIONS[region];
        let name = match (kind, level) {
            (ProviderKind::Pharmacy, _) => pharmacy_name(r, 1_000 + k),
            (ProviderKind::Clinic, _) => clinic_name(r, 1_000 + k),
            (_, 3) => tertiary_name(r, 20 + k),
            _ => secondary_name(r, 3 * r.districts.len() + k),
        };
        let seq = PLANTED_PROVIDER_SEQ + self.counters.provider_seq;
        let provider = Provider::new(&mut self.rng, seq, (level, kind), region, name, contract);
        if let Some((_, next)) = &mut self.replay {
            *next += 1;
            debug_assert_eq!(
                self.providers[*next - 1].id,
                provider.id,
                "replayed provider"
            );
            return *next - 1;
        }
        self.providers.push(provider);
        self.providers.len() - 1
    }

    /// A planted provider designated long before the period, open-ended.
    pub fn open_provider(&mut self, level: i32, kind: ProviderKind, region: usize) -> usize {
        let contract = open_contract(&mut self.rng);
        self.provider(level, kind, region, contract)
    }

    pub fn place(&mut self, provider: usize) -> Place {
        let p = &self.providers[provider];
        let doctor = pick(&mut self.rng, &p.staff).clone();
        Place {
            id: p.id.clone(),
            region: p.region,
            doctor,
            pharmacy: p.kind == ProviderKind::Pharmacy,
        }
    }

    /// A provider id no providers row has (CONTRACT-01).
    pub fn nowhere(&mut self, region: usize) -> Place {
        self.counters.absent_provider_seq += 1;
        let code = REGIONS[region].code;
        let seq = ABSENT_PROVIDER_SEQ + self.counters.absent_provider_seq;
        Place {
            id: format!("H{code}{seq:05}"),
            region,
            doctor: format!("D{code}{seq:05}01"),
            pharmacy: false,
        }
    }

    /// A new catalog entry that restricts nothing; callers add restrictions.
    pub fn entry(&mut self, item_type: ItemType, name: &str) -> Entry {
        self.counters.code_seq += 1;
        let n = self.counters.code_seq;
        let (code, price, usage) = match item_type {
            ItemType::Drug => (
                drug_code(
                    "XN02BA",
                    PLANTED_DRUG + n % 90,
                    0,
                    (n / 90) as u32,
                    &mut self.rng,
                ),
                fen(self.rng.random_range(500..5_000)),
                Usage::Acute,
            ),
            ItemType::Service => (
                service_code("001201", PLANTED_SERVICE + n % 9_000, n / 9_000),
                fen(self.rng.random_range(10..600) * 100),
                Usage::Test,
            ),
            ItemType::Material => (
                material_code("0199", PLANTED_MATERIAL + n % 90, 0, n / 90, &mut self.rng),
                fen(self.rng.random_range(100..20_000)),
                Usage::Material,
            ),
        };
        Entry {
            code,
            name: name.to_string(),
            item_type,
            pay_class: super::super::model::PayClass::A,
            valid_from: days_from_civil(2010, 1, 1),
            valid_to: None,
            price,
            price_cap: None,
            gender: None,
            min_age: None,
            max_age: None,
            dx_prefixes: None,
            min_level: None,
            max_daily_qty: None,
            max_days_supply: None,
            family: None,
            tier: None,
            usage,
        }
    }

    /// A new entry named after one of `names`.
    pub fn entry_among(&mut self, item_type: ItemType, names: &[&str]) -> Entry {
        let name = *pick(&mut self.rng, names);
        self.entry(item_type, name)
    }

    pub fn add(&mut self, entry: Entry) -> usize {
        if let Some((next, _)) = &mut self.replay {
            *next += 1;
            debug_assert_eq!(self.entries[*next - 1].code, entry.code, "replayed entry");
            return *next - 1;
        }
        self.entries.push(entry);
        self.entries.len() - 1
    }

    /// Lists planted entries `a` and `b` as exclusive over `valid_from..=valid_to`
    /// (open when `None`). A round played again lists nothing: its entries,
    /// and so its pairs, are the recorded ones.
    pub fn exclusive(&mut self, a: usize, b: usize, (valid_from, valid_to): (i32, Option<i32>)) {
        if self.replay.is_some() {
            return;
        }
        let basis = format!("KP-P{:05}", self.exclusive.len() + 1);
        self.exclusive.push(ExclusiveRow {
            item_a: self.entries[a].code.clone(),
            item_b: self.entries[b].code.clone(),
            valid_from,
            valid_to,
            basis: Some(basis),
        });
    }

    /// A code in the shape of `item_type`'s codes that no entry has.
    pub fn absent_code(&mut self, item_type: ItemType) -> String {
        self.counters.absent_code_seq += 1;
        let n = self.counters.absent_code_seq;
        match item_type {
            ItemType::Drug => drug_code(
                "XN02BA",
                ABSENT_DRUG + n % 10,
                0,
                (n / 10) as u32,
                &mut self.rng,
            ),
            ItemType::Service => service_code("001201", ABSENT_SERVICE + n % 1_000, n / 1_000),
            ItemType::Material => {
                material_code("0199", ABSENT_MATERIAL + n % 10, 0, n / 10, &mut self.rng)
            }
        }
    }

    /// One unit of planted entry `entry` on `date` at its price, without days' supply.
    pub fn line(&self, entry: usize, date: i32) -> Line {
        self.line_of(&self.entries[entry], date)
    }

    /// One unit of `e` on `date` at its price, without days' supply.
    pub fn line_of(&self, e: &Entry, date: i32) -> Line {
        Line {
            code: e.code.clone(),
            item_type: e.item_type,
            date,
            quantity: units(1),
            unit_price: e.price,
            days_supply: None,
        }
    }

    /// Writes a claim; returns its id.
    pub fn claim(&mut self, claim: Claim<'_>) -> String {
        let seq = self.claim_seq.entry(claim.who.index).or_insert(0);
        *seq += 1;
        let mut claim_id = String::new();
        write_claim_id(&mut claim_id, claim.who.index, *seq);
        let rows: Vec<LineRow<'_>> = claim
            .lines
            .iter()
            .map(|l| LineRow {
                item_code: &l.code,
                item_type: l.item_type,
                date: l.date,
                quantity: l.quantity,
                unit_price: l.unit_price,
                days_supply: l.days_supply,
                doctor_id: &claim.place.doctor,
            })
            .collect();
        let total = lines_total(&rows);
        let fund = match claim.fund {
            Fund::Share(percent) => total * percent / 100,
            Fund::Exact(fen) => fen,
        };
        let settle_ms = i64::from(claim.discharge) * DAY_MS
            + self.rng.random_range(9 * 3_600_000..17 * 3_600_000);
        let row = ClaimRow {
            claim_id: &claim_id,
            patient_id: &claim.who.id,
            provider_id: &claim.place.id,
            visit: claim.visit,
            admit: claim.admit,
            discharge: claim.discharge,
            primary_dx: claim.dx,
            secondary_dx: claim.secondary,
            fund,
            settle_ms,
            treat_region: REGIONS[claim.place.region].code,
        };
        self.tables.push(&row, &rows);
        claim_id
    }

    /// An outpatient visit (a purchase, at a pharmacy) on the lines' first day.
    pub fn visit(
        &mut self,
        who: &Who,
        place: &Place,
        dx: &'static str,
        lines: Vec<Line>,
    ) -> String {
        let day = lines[0].date;
        let visit = if place.pharmacy {
            VisitType::Pharmacy
        } else {
            VisitType::Outpatient
        };
        self.claim(Claim {
            who,
            place,
            visit,
            admit: day,
            discharge: day,
            dx,
            secondary: None,
            fund: Fund::Share(60),
            lines,
        })
    }

    /// A fresh adult's visit with one line; returns the claim id.
    pub fn lone(&mut self, place: &Place, line: Line) -> String {
        let who = self.someone(place.region);
        self.visit(&who, place, "J06.900", vec![line])
    }

    /// A neutral oral drug line.
    pub fn filler(&self, which: usize, date: i32) -> Line {
        self.line(self.neutral.drugs[which], date).days(Some(3))
    }

    /// An inpatient stay billing ward set `ward` for every day before
    /// discharge, plus `extra` lines.
    pub fn stay(
        &mut self,
        who: &Who,
        place: &Place,
        (admit, discharge): (i32, i32),
        dx: &'static str,
        ward: usize,
        extra: Vec<Line>,
    ) -> String {
        let [bed, nursing, infusion] = self.neutral.wards[ward];
        let mut lines = Vec::new();
        for day in admit..discharge {
            lines.push(self.line(bed, day));
            lines.push(self.line(nursing, day));
        }
        lines.push(self.line(infusion, admit).qty(units(2)));
        lines.extend(extra);
        self.claim(Claim {
            who,
            place,
            visit: VisitType::Inpatient,
            admit,
            discharge,
            dx,
            secondary: None,
            fund: Fund::Share(70),
            lines,
        })
    }

    pub fn label(
        &mut self,
        rule_id: &'static str,
        expect: Expect,
        target: Target,
        case: &'static str,
    ) {
        let (grain, claim_id, line_no, provider_id) = match target {
            Target::Line(claim, line) => (Grain::Line, Some(claim), Some(line), None),
            Target::Claim(claim) => (Grain::Claim, Some(claim), None, None),
            Target::Provider(provider) => (Grain::Provider, None, None, Some(provider)),
        };
        self.labels.push(Label {
            rule_id: rule_id.into(),
            expect,
            grain,
            claim_id,
            line_no,
            provider_id,
            case: case.into(),
        });
    }
}

/// What a label is about.
pub enum Target {
    Line(String, i32),
    Claim(String),
    Provider(String),
}
