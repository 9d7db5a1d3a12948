//! A deliberately simple reference implementation of the 21 default rules
//! (docs/rules.md), for cross-checking in tests.
//!
//! Written independently of the engine: plain structs, one rule per
//! function, each to be read side by side with its section of docs/default-rules.md.
//! Nulls follow SQL's three-valued logic: a comparison with a null (a null
//! column, a missing patient / entry / provider) is unknown and does not
//! flag, unless the rule itself says otherwise (OOC-01/02 "there is no
//! entry", GHOST-02, CONTRACT-01 "there is no providers row").
//!
//! Lookups go through HashMaps keyed by id / patient etc., so a dataset of a
//! few hundred thousand lines evaluates in a debug build in seconds.
//!
//! Bad input by the contract (duplicate keys, a line whose claim is missing,
//! an unknown insurance_type) panics: the reference cannot say what the
//! engine should do with it.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use super::dataset::{CatalogEntry, Claim, Dataset, ExclusivePair, Line, Patient, Provider};

/// Every rule id of the default ruleset, in the order of docs/default-rules.md.
pub const RULE_IDS: [&str; 22] = [
    "OOC-01",
    "OOC-02",
    "LIM-GENDER",
    "LIM-AGE",
    "LIM-DX",
    "LIM-LEVEL",
    "PRICE-CAP",
    "DUP-01",
    "FREQ-01",
    "QTY-01",
    "QTY-02",
    "GHOST-01",
    "GHOST-02",
    "GHOST-03",
    "WAIT-01",
    "STAY-01",
    "STAY-02",
    "SPLIT-01",
    "CAP-01",
    "CONTRACT-01",
    "UPC-01",
    "MUTEX-01",
];

/// The ruleset parameters of docs/default-rules.md ("Parameters").
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// CAP-01: annual fund cap for `employee` (700000.00).
    pub cap_employee: Decimal,
    /// CAP-01: annual fund cap for `resident` (300000.00).
    pub cap_resident: Decimal,
    /// QTY-02: window length in days (30 => [d − 29, d]).
    pub qty02_window_days: i64,
    /// QTY-02: the sum of days_supply must be > this (60).
    pub qty02_limit: i64,
    /// SPLIT-01: largest gap in days between discharge and readmission (15).
    pub split_gap_days: i64,
    /// UPC-01: a provider is eligible with at least this many consultation lines (100).
    pub upc_min_lines: usize,
    /// UPC-01: a peer group is usable with at least this many providers (20).
    pub upc_min_peers: usize,
    /// UPC-01: the quantile (0.95), a Decimal so that it is exact.
    pub upc_quantile: Decimal,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            cap_employee: Decimal::new(70_000_000, 2),
            cap_resident: Decimal::new(30_000_000, 2),
            qty02_window_days: 30,
            qty02_limit: 60,
            split_gap_days: 15,
            upc_min_lines: 100,
            upc_min_peers: 20,
            upc_quantile: Decimal::new(95, 2),
        }
    }
}

/// One expected flag: line grain (claim_id + line_no), claim grain
/// (claim_id) or provider grain (provider_id).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExpectedFlag {
    pub rule_id: String,
    pub claim_id: Option<String>,
    pub line_no: Option<i32>,
    pub provider_id: Option<String>,
}

impl ExpectedFlag {
    pub fn line(rule_id: &str, claim_id: &str, line_no: i32) -> Self {
        ExpectedFlag {
            rule_id: rule_id.to_string(),
            claim_id: Some(claim_id.to_string()),
            line_no: Some(line_no),
            provider_id: None,
        }
    }

    pub fn claim(rule_id: &str, claim_id: &str) -> Self {
        ExpectedFlag {
            rule_id: rule_id.to_string(),
            claim_id: Some(claim_id.to_string()),
            line_no: None,
            provider_id: None,
        }
    }

    pub fn provider(rule_id: &str, provider_id: &str) -> Self {
        ExpectedFlag {
            rule_id: rule_id.to_string(),
            claim_id: None,
            line_no: None,
            provider_id: Some(provider_id.to_string()),
        }
    }
}

/// Every flag of every default rule.
pub fn evaluate(data: &Dataset, params: &Params) -> BTreeSet<ExpectedFlag> {
    let ctx = Context::new(data);
    RULE_IDS
        .iter()
        .flat_map(|rule_id| ctx.rule(rule_id, params))
        .collect()
}

/// The flags of one rule. Panics on an unknown rule id.
pub fn evaluate_rule(rule_id: &str, data: &Dataset, params: &Params) -> BTreeSet<ExpectedFlag> {
    Context::new(data).rule(rule_id, params)
}

/// Age in full years at `at` for birth date `birth` (docs/contract.md):
/// a 29 February birthday ages on 1 March in a non-leap year.
pub fn age(birth: NaiveDate, at: NaiveDate) -> i32 {
    let before_birthday = (at.month(), at.day()) < (birth.month(), birth.day());
    at.year() - birth.year() - i32::from(before_birthday)
}

/// prefix(code, n): the first n characters, the whole code if shorter.
pub fn prefix(code: &str, n: usize) -> String {
    code.chars().take(n).collect()
}

/// days between a and b: b − a in days.
fn days_between(a: NaiveDate, b: NaiveDate) -> i64 {
    (b - a).num_days()
}

/// The dataset with its lookups by key.
struct Context<'a> {
    data: &'a Dataset,
    claims: HashMap<&'a str, &'a Claim>,
    patients: HashMap<&'a str, &'a Patient>,
    catalog: HashMap<&'a str, &'a CatalogEntry>,
    providers: HashMap<&'a str, &'a Provider>,
}

/// Index rows by a unique key; a duplicate key is bad input.
fn unique_index<'a, T>(
    table: &str,
    rows: &'a [T],
    key: impl Fn(&'a T) -> &'a str,
) -> HashMap<&'a str, &'a T> {
    let mut index = HashMap::with_capacity(rows.len());
    for row in rows {
        let k = key(row);
        if index.insert(k, row).is_some() {
            panic!("{table}: duplicate key {k:?} (the contract says unique)");
        }
    }
    index
}

impl<'a> Context<'a> {
    fn new(data: &'a Dataset) -> Self {
        let ctx = Context {
            data,
            claims: unique_index("claims", &data.claims, |c| c.claim_id.as_str()),
            patients: unique_index("patients", &data.patients, |p| p.patient_id.as_str()),
            catalog: unique_index("catalog", &data.catalog, |e| e.item_code.as_str()),
            providers: unique_index("providers", &data.providers, |p| p.provider_id.as_str()),
        };
        let mut line_keys = HashSet::with_capacity(data.claim_items.len());
        for line in &data.claim_items {
            ctx.claim_of(line);
            if !line_keys.insert((line.claim_id.as_str(), line.line_no)) {
                panic!(
                    "claim_items: duplicate (claim_id, line_no) ({:?}, {})",
                    line.claim_id, line.line_no
                );
            }
        }
        ctx
    }

    fn rule(&self, rule_id: &str, p: &Params) -> BTreeSet<ExpectedFlag> {
        match rule_id {
            "OOC-01" => self.ooc_01(),
            "OOC-02" => self.ooc_02(),
            "LIM-GENDER" => self.lim_gender(),
            "LIM-AGE" => self.lim_age(),
            "LIM-DX" => self.lim_dx(),
            "LIM-LEVEL" => self.lim_level(),
            "PRICE-CAP" => self.price_cap(),
            "DUP-01" => self.dup_01(),
            "FREQ-01" => self.freq_01(),
            "QTY-01" => self.qty_01(),
            "QTY-02" => self.qty_02(p),
            "GHOST-01" => self.ghost_01(),
            "GHOST-02" => self.ghost_02(),
            "GHOST-03" => self.ghost_03(),
            "WAIT-01" => self.wait_01(),
            "STAY-01" => self.stay_01(),
            "STAY-02" => self.stay_02(),
            "SPLIT-01" => self.split_01(p),
            "CAP-01" => self.cap_01(p),
            "CONTRACT-01" => self.contract_01(),
            "UPC-01" => self.upc_01(p),
            "MUTEX-01" => self.mutex_01(),
            other => panic!("unknown rule id {other:?}"),
        }
    }

    // ----- lookups ("its claim", "the patient", "the entry", "the provider")

    /// Its claim: every line has one (a missing claim is bad input).
    fn claim_of(&self, line: &Line) -> &'a Claim {
        self.claims
            .get(line.claim_id.as_str())
            .copied()
            .unwrap_or_else(|| {
                panic!(
                    "claim_items: line {} of claim {:?} has no claims row (bad input)",
                    line.line_no, line.claim_id
                )
            })
    }

    fn entry(&self, line: &Line) -> Option<&'a CatalogEntry> {
        self.catalog.get(line.item_code.as_str()).copied()
    }

    fn patient(&self, claim: &Claim) -> Option<&'a Patient> {
        self.patients.get(claim.patient_id.as_str()).copied()
    }

    fn provider(&self, claim: &Claim) -> Option<&'a Provider> {
        self.providers.get(claim.provider_id.as_str()).copied()
    }

    /// Line-grain flags for every line where `fires(line, its claim)`.
    fn line_rule(
        &self,
        rule_id: &str,
        fires: impl Fn(&Line, &Claim) -> bool,
    ) -> BTreeSet<ExpectedFlag> {
        self.data
            .claim_items
            .iter()
            .filter(|line| fires(line, self.claim_of(line)))
            .map(|line| ExpectedFlag::line(rule_id, &line.claim_id, line.line_no))
            .collect()
    }

    /// Claim-grain flags for every claim where `fires(claim)`.
    fn claim_rule(&self, rule_id: &str, fires: impl Fn(&Claim) -> bool) -> BTreeSet<ExpectedFlag> {
        self.data
            .claims
            .iter()
            .filter(|claim| fires(claim))
            .map(|claim| ExpectedFlag::claim(rule_id, &claim.claim_id))
            .collect()
    }

    // ----- line grain

    /// MUTEX-01: another line of the patient on the same day with another
    /// code, the two codes a pair of exclusive_items (either order) in force
    /// on the line's day. Written as the definition reads: for each line,
    /// every other line of the patient's day, every knowledge row.
    fn mutex_01(&self) -> BTreeSet<ExpectedFlag> {
        let mut by_patient_day: HashMap<(&str, NaiveDate), Vec<&Line>> = HashMap::new();
        for line in &self.data.claim_items {
            let patient = self.claim_of(line).patient_id.as_str();
            by_patient_day
                .entry((patient, line.service_date))
                .or_default()
                .push(line);
        }
        let mut pairs: HashMap<(&str, &str), Vec<&ExclusivePair>> = HashMap::new();
        for x in &self.data.exclusive_items {
            pairs.entry((&x.item_a, &x.item_b)).or_default().push(x);
            pairs.entry((&x.item_b, &x.item_a)).or_default().push(x);
        }
        self.line_rule("MUTEX-01", |line, claim| {
            let day = line.service_date;
            by_patient_day[&(claim.patient_id.as_str(), day)]
                .iter()
                .filter(|m| m.item_code != line.item_code)
                .any(|m| {
                    pairs
                        .get(&(line.item_code.as_str(), m.item_code.as_str()))
                        .is_some_and(|xs| {
                            xs.iter().any(|x| {
                                x.valid_from <= day && x.valid_to.is_none_or(|to| day <= to)
                            })
                        })
                })
        })
    }

    /// The OOC condition after the item_type test: no entry, or pay_class C,
    /// or service_date outside [valid_from, valid_to] (valid_to null = open).
    fn out_of_catalog(&self, line: &Line) -> bool {
        match self.entry(line) {
            None => true,
            Some(entry) => {
                entry.pay_class == "C"
                    || line.service_date < entry.valid_from
                    || entry.valid_to.is_some_and(|to| line.service_date > to)
            }
        }
    }

    /// OOC-01: item_type = drug and out of catalog.
    // reading: item_type here (and in OOC-02, DUP-01, QTY-01, QTY-02) is the line's claim_items.item_type, not the entry's.
    fn ooc_01(&self) -> BTreeSet<ExpectedFlag> {
        self.line_rule("OOC-01", |line, _| {
            line.item_type == "drug" && self.out_of_catalog(line)
        })
    }

    /// OOC-02: as OOC-01, for item_type service or material.
    fn ooc_02(&self) -> BTreeSet<ExpectedFlag> {
        self.line_rule("OOC-02", |line, _| {
            (line.item_type == "service" || line.item_type == "material")
                && self.out_of_catalog(line)
        })
    }

    /// LIM-GENDER: entry.gender_limit is not null and patient.gender <> entry.gender_limit.
    fn lim_gender(&self) -> BTreeSet<ExpectedFlag> {
        self.line_rule("LIM-GENDER", |line, claim| {
            let (Some(entry), Some(patient)) = (self.entry(line), self.patient(claim)) else {
                return false; // no entry: gender_limit is null; no patient: gender is null
            };
            entry
                .gender_limit
                .as_ref()
                .is_some_and(|limit| patient.gender != *limit)
        })
    }

    /// LIM-AGE: with a = age at service_date,
    /// (min_age not null and a < min_age) or (max_age not null and a > max_age).
    fn lim_age(&self) -> BTreeSet<ExpectedFlag> {
        self.line_rule("LIM-AGE", |line, claim| {
            let Some(entry) = self.entry(line) else {
                return false; // min_age and max_age are null
            };
            let Some(patient) = self.patient(claim) else {
                return false; // a is null: both comparisons unknown
            };
            let a = age(patient.birth_date, line.service_date);
            entry.min_age.is_some_and(|min| a < min) || entry.max_age.is_some_and(|max| a > max)
        })
    }

    /// LIM-DX: dx_prefixes not null and not empty, and no code among
    /// {primary_dx} ∪ secondary_dx starts with any of them.
    fn lim_dx(&self) -> BTreeSet<ExpectedFlag> {
        self.line_rule("LIM-DX", |line, claim| {
            let Some(prefixes) = self.entry(line).and_then(|e| e.dx_prefixes.as_ref()) else {
                return false;
            };
            if prefixes.is_empty() {
                return false;
            }
            let mut codes =
                std::iter::once(&claim.primary_dx).chain(claim.secondary_dx.iter().flatten());
            // reading: "starts with" is a plain string prefix test, so an empty-string prefix matches every code.
            !codes.any(|code| prefixes.iter().any(|p| code.starts_with(p.as_str())))
        })
    }

    /// LIM-LEVEL: min_provider_level not null and provider.level < it.
    fn lim_level(&self) -> BTreeSet<ExpectedFlag> {
        self.line_rule("LIM-LEVEL", |line, claim| {
            let Some(min_level) = self.entry(line).and_then(|e| e.min_provider_level) else {
                return false;
            };
            let Some(provider) = self.provider(claim) else {
                return false; // provider.level is null
            };
            provider.level < min_level
        })
    }

    /// PRICE-CAP: price_cap not null and unit_price > price_cap (exact decimals).
    fn price_cap(&self) -> BTreeSet<ExpectedFlag> {
        self.line_rule("PRICE-CAP", |line, _| {
            self.entry(line)
                .and_then(|e| e.price_cap)
                .is_some_and(|cap| line.unit_price > cap)
        })
    }

    /// DUP-01: service/material lines grouped by (claim.patient_id,
    /// item_code, service_date) across all claims; a group of >= 2 lines is
    /// flagged whole.
    // reading: "the same patient" is the same claims.patient_id string; no patients row is needed (also in FREQ-01, QTY-02, GHOST-03, STAY-01/02, SPLIT-01).
    fn dup_01(&self) -> BTreeSet<ExpectedFlag> {
        let mut groups: HashMap<(&str, &str, NaiveDate), Vec<&Line>> = HashMap::new();
        for line in &self.data.claim_items {
            if line.item_type == "service" || line.item_type == "material" {
                let claim = self.claim_of(line);
                groups
                    .entry((
                        claim.patient_id.as_str(),
                        line.item_code.as_str(),
                        line.service_date,
                    ))
                    .or_default()
                    .push(line);
            }
        }
        groups
            .values()
            .filter(|group| group.len() >= 2)
            .flatten()
            .map(|line| ExpectedFlag::line("DUP-01", &line.claim_id, line.line_no))
            .collect()
    }

    /// FREQ-01: max_daily_qty not null and the sum of quantity over all
    /// lines (any item_type) of the same patient, item_code and
    /// service_date is > max_daily_qty.
    fn freq_01(&self) -> BTreeSet<ExpectedFlag> {
        let mut sums: HashMap<(&str, &str, NaiveDate), Decimal> = HashMap::new();
        for line in &self.data.claim_items {
            let claim = self.claim_of(line);
            *sums
                .entry((
                    claim.patient_id.as_str(),
                    line.item_code.as_str(),
                    line.service_date,
                ))
                .or_default() += line.quantity;
        }
        self.line_rule("FREQ-01", |line, claim| {
            let Some(max) = self.entry(line).and_then(|e| e.max_daily_qty) else {
                return false;
            };
            let sum = sums[&(
                claim.patient_id.as_str(),
                line.item_code.as_str(),
                line.service_date,
            )];
            sum > max
        })
    }

    /// QTY-01: drug, days_supply and max_days_supply not null, days_supply > max_days_supply.
    fn qty_01(&self) -> BTreeSet<ExpectedFlag> {
        self.line_rule("QTY-01", |line, _| {
            let Some(days) = line.days_supply else {
                return false;
            };
            let Some(max) = self.entry(line).and_then(|e| e.max_days_supply) else {
                return false;
            };
            line.item_type == "drug" && days > max
        })
    }

    /// QTY-02: a drug line with days_supply not null, where the sum of
    /// days_supply (null = 0) over the patient's drug lines with the same
    /// item_code and service_date in [service_date − 29, service_date] is > 60.
    fn qty_02(&self, p: &Params) -> BTreeSet<ExpectedFlag> {
        // The patient's drug lines per item_code, sorted by service_date, with
        // prefix sums of days_supply so each window is two binary searches.
        let mut groups: HashMap<(&str, &str), Vec<&Line>> = HashMap::new();
        for line in &self.data.claim_items {
            if line.item_type == "drug" {
                let claim = self.claim_of(line);
                groups
                    .entry((claim.patient_id.as_str(), line.item_code.as_str()))
                    .or_default()
                    .push(line);
            }
        }
        let mut flags = BTreeSet::new();
        for group in groups.values_mut() {
            group.sort_by_key(|line| line.service_date);
            // prefix[i] = sum of days_supply of group[..i], null counting 0
            let mut prefix = vec![0i64];
            for line in group.iter() {
                prefix.push(prefix.last().unwrap() + i64::from(line.days_supply.unwrap_or(0)));
            }
            for line in group.iter().filter(|line| line.days_supply.is_some()) {
                // reading: a window of W days ending on service_date is [service_date − (W−1), service_date]; W = 30 gives [d − 29, d].
                let first_day = line.service_date - chrono::Duration::days(p.qty02_window_days - 1);
                let lo = group.partition_point(|other| other.service_date < first_day);
                let hi = group.partition_point(|other| other.service_date <= line.service_date);
                if prefix[hi] - prefix[lo] > p.qty02_limit {
                    flags.insert(ExpectedFlag::line("QTY-02", &line.claim_id, line.line_no));
                }
            }
        }
        flags
    }

    // ----- claim grain

    /// GHOST-01: death_date not null and admit_date > death_date.
    fn ghost_01(&self) -> BTreeSet<ExpectedFlag> {
        self.claim_rule("GHOST-01", |claim| {
            self.patient(claim)
                .and_then(|patient| patient.death_date)
                .is_some_and(|death| claim.admit_date > death)
        })
    }

    /// GHOST-02: no patients row for claim.patient_id.
    fn ghost_02(&self) -> BTreeSet<ExpectedFlag> {
        self.claim_rule("GHOST-02", |claim| self.patient(claim).is_none())
    }

    /// GHOST-03: outpatient/pharmacy claims of the same patient and
    /// admit_date spanning >= 2 distinct treat_region values; all flagged.
    // reading: outpatient and pharmacy claims form one group together; treat_region values are compared as exact strings.
    fn ghost_03(&self) -> BTreeSet<ExpectedFlag> {
        let mut groups: HashMap<(&str, NaiveDate), Vec<&Claim>> = HashMap::new();
        for claim in &self.data.claims {
            if is_outpatient_or_pharmacy(claim) {
                groups
                    .entry((claim.patient_id.as_str(), claim.admit_date))
                    .or_default()
                    .push(claim);
            }
        }
        groups
            .values()
            .filter(|group| {
                let regions: HashSet<&str> =
                    group.iter().map(|c| c.treat_region.as_str()).collect();
                regions.len() >= 2
            })
            .flatten()
            .map(|claim| ExpectedFlag::claim("GHOST-03", &claim.claim_id))
            .collect()
    }

    /// WAIT-01: admit_date < patient.benefit_start_date.
    fn wait_01(&self) -> BTreeSet<ExpectedFlag> {
        self.claim_rule("WAIT-01", |claim| {
            self.patient(claim)
                .is_some_and(|patient| claim.admit_date < patient.benefit_start_date)
        })
    }

    /// The inpatient claims of each patient_id.
    fn inpatient_by_patient(&self) -> HashMap<&'a str, Vec<&'a Claim>> {
        let mut by_patient: HashMap<&str, Vec<&Claim>> = HashMap::new();
        for claim in &self.data.claims {
            if claim.visit_type == "inpatient" {
                by_patient
                    .entry(claim.patient_id.as_str())
                    .or_default()
                    .push(claim);
            }
        }
        by_patient
    }

    /// STAY-01: an outpatient/pharmacy claim while the same patient has an
    /// inpatient claim at a different provider_id with
    /// admit_date < this.admit_date < discharge_date.
    fn stay_01(&self) -> BTreeSet<ExpectedFlag> {
        let inpatient = self.inpatient_by_patient();
        self.claim_rule("STAY-01", |claim| {
            is_outpatient_or_pharmacy(claim)
                && inpatient
                    .get(claim.patient_id.as_str())
                    .is_some_and(|stays| {
                        stays.iter().any(|stay| {
                            stay.provider_id != claim.provider_id
                                && stay.admit_date < claim.admit_date
                                && claim.admit_date < stay.discharge_date
                        })
                    })
        })
    }

    /// STAY-02: an inpatient claim overlapping another inpatient claim
    /// (different claim_id) of the same patient:
    /// this.admit < other.discharge and other.admit < this.discharge.
    // reading: the other stay may be at any provider, the same one included.
    fn stay_02(&self) -> BTreeSet<ExpectedFlag> {
        let inpatient = self.inpatient_by_patient();
        self.claim_rule("STAY-02", |claim| {
            claim.visit_type == "inpatient"
                && inpatient[claim.patient_id.as_str()].iter().any(|other| {
                    other.claim_id != claim.claim_id
                        && claim.admit_date < other.discharge_date
                        && other.admit_date < claim.discharge_date
                })
        })
    }

    /// SPLIT-01: the patient's inpatient claims at one provider_id in
    /// (admit_date, claim_id) order; a claim is flagged when its immediate
    /// predecessor has 0 <= this.admit − prev.discharge <= 15 days and the
    /// same 3-character prefix of primary_dx.
    fn split_01(&self, p: &Params) -> BTreeSet<ExpectedFlag> {
        let mut groups: HashMap<(&str, &str), Vec<&Claim>> = HashMap::new();
        for claim in &self.data.claims {
            if claim.visit_type == "inpatient" {
                groups
                    .entry((claim.patient_id.as_str(), claim.provider_id.as_str()))
                    .or_default()
                    .push(claim);
            }
        }
        let mut flags = BTreeSet::new();
        for group in groups.values_mut() {
            group.sort_by(|a, b| (a.admit_date, &a.claim_id).cmp(&(b.admit_date, &b.claim_id)));
            for pair in group.windows(2) {
                let (prev, this) = (pair[0], pair[1]);
                let gap = days_between(prev.discharge_date, this.admit_date);
                if (0..=p.split_gap_days).contains(&gap)
                    && prefix(&this.primary_dx, 3) == prefix(&prev.primary_dx, 3)
                {
                    flags.insert(ExpectedFlag::claim("SPLIT-01", &this.claim_id));
                }
            }
        }
        flags
    }

    /// CAP-01: per patient and calendar year of admit_date, claims ordered
    /// by (settle_time, claim_id); flag a claim when the running sum of
    /// fund_amount up to and including it is > the cap of insurance_type.
    // reading: "the patient's claims" are all their claims, whatever the visit_type; a claim whose patient has no patients row has no cap and never flags, nor takes part.
    fn cap_01(&self, p: &Params) -> BTreeSet<ExpectedFlag> {
        let mut groups: HashMap<(&str, i32), Vec<&Claim>> = HashMap::new();
        for claim in &self.data.claims {
            if self.patient(claim).is_some() {
                groups
                    .entry((claim.patient_id.as_str(), claim.admit_date.year()))
                    .or_default()
                    .push(claim);
            }
        }
        let mut flags = BTreeSet::new();
        for group in groups.values_mut() {
            let patient = self.patient(group[0]).unwrap();
            let cap = match patient.insurance_type.as_str() {
                "employee" => p.cap_employee,
                "resident" => p.cap_resident,
                other => panic!(
                    "patients: {:?} has insurance_type {other:?} (bad input)",
                    patient.patient_id
                ),
            };
            group.sort_by(|a, b| (a.settle_time, &a.claim_id).cmp(&(b.settle_time, &b.claim_id)));
            let mut running = Decimal::ZERO;
            for claim in group.iter() {
                running += claim.fund_amount;
                if running > cap {
                    flags.insert(ExpectedFlag::claim("CAP-01", &claim.claim_id));
                }
            }
        }
        flags
    }

    /// CONTRACT-01: no providers row, or admit_date < contract_from, or
    /// contract_to not null and admit_date > contract_to.
    fn contract_01(&self) -> BTreeSet<ExpectedFlag> {
        self.claim_rule("CONTRACT-01", |claim| match self.provider(claim) {
            None => true,
            Some(provider) => {
                claim.admit_date < provider.contract_from
                    || provider.contract_to.is_some_and(|to| claim.admit_date > to)
            }
        })
    }

    // ----- provider grain

    /// UPC-01 (docs/default-rules.md, "UPC-01").
    ///
    /// Exactness: share = h / n and the quantile are kept as exact rationals
    /// (`Ratio`, i128 numerator / denominator): the quantile q is a Decimal,
    /// i.e. m / 10^s exactly, so the position (k−1)·q splits exactly into
    /// floor and fraction, the interpolation v[lo] + (v[hi] − v[lo])·frac is
    /// computed in rationals, and share > p95 is decided by cross-multiplying
    /// integers. No floating point is involved, so a share equal to p95 does
    /// not flag.
    // reading: n counts consultation lines (rows), not their quantity; "tier = 3" is the entry's tier.
    // reading: a provider's lines are those of claims with its provider_id, whatever the visit_type.
    fn upc_01(&self, p: &Params) -> BTreeSet<ExpectedFlag> {
        // (n, h) per provider_id
        let mut counts: HashMap<&str, (i128, i128)> = HashMap::new();
        for line in &self.data.claim_items {
            let Some(entry) = self.entry(line) else {
                continue;
            };
            if entry.family.as_deref() != Some("consult") || entry.tier.is_none() {
                continue;
            }
            let claim = self.claim_of(line);
            let (n, h) = counts.entry(claim.provider_id.as_str()).or_default();
            *n += 1;
            if entry.tier == Some(3) {
                *h += 1;
            }
        }
        // Eligible providers (n >= 100) with a providers row, by level.
        let mut peers: HashMap<i32, Vec<(&str, Ratio)>> = HashMap::new();
        for (&provider_id, &(n, h)) in &counts {
            if n < p.upc_min_lines as i128 {
                continue;
            }
            let Some(provider) = self.providers.get(provider_id) else {
                continue; // no level: in no peer group
            };
            peers
                .entry(provider.level)
                .or_default()
                .push((provider_id, Ratio::new(h, n)));
        }
        let mut flags = BTreeSet::new();
        for group in peers.values() {
            if group.len() < p.upc_min_peers {
                continue;
            }
            let mut shares: Vec<Ratio> = group.iter().map(|(_, share)| *share).collect();
            shares.sort();
            let p95 = linear_quantile(&shares, p.upc_quantile);
            for (provider_id, share) in group {
                if *share > p95 {
                    flags.insert(ExpectedFlag::provider("UPC-01", provider_id));
                }
            }
        }
        flags
    }
}

fn is_outpatient_or_pharmacy(claim: &Claim) -> bool {
    claim.visit_type == "outpatient" || claim.visit_type == "pharmacy"
}

/// The q quantile of sorted values by the "linear" method: position
/// (k−1)·q, interpolated between its floor and ceiling. Exact.
pub fn linear_quantile(sorted: &[Ratio], q: Decimal) -> Ratio {
    assert!(!sorted.is_empty(), "quantile of no values");
    assert!(
        q >= Decimal::ZERO && q <= Decimal::ONE,
        "quantile {q} outside [0, 1]"
    );
    let scale = 10i128.pow(q.scale());
    // position = (k−1)·q = (k−1)·m / 10^s = lo + rem / 10^s
    let position_times_scale = (sorted.len() as i128 - 1) * q.mantissa();
    let lo = (position_times_scale / scale) as usize;
    let rem = position_times_scale % scale;
    let hi = if rem == 0 { lo } else { lo + 1 };
    let fraction = Ratio::new(rem, scale);
    sorted[lo].add(sorted[hi].sub(sorted[lo]).mul(fraction))
}

/// An exact rational number num / den, den > 0, in lowest terms (so the
/// derived equality is value equality).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ratio {
    num: i128,
    den: i128,
}

impl Ratio {
    pub fn new(num: i128, den: i128) -> Self {
        assert!(den != 0, "zero denominator");
        let sign = if den < 0 { -1 } else { 1 };
        let g = gcd(num.abs(), den.abs()).max(1);
        Ratio {
            num: sign * num / g,
            den: sign * den / g,
        }
    }

    fn add(self, other: Ratio) -> Ratio {
        Ratio::new(
            self.num * other.den + other.num * self.den,
            self.den * other.den,
        )
    }

    fn sub(self, other: Ratio) -> Ratio {
        Ratio::new(
            self.num * other.den - other.num * self.den,
            self.den * other.den,
        )
    }

    fn mul(self, other: Ratio) -> Ratio {
        Ratio::new(self.num * other.num, self.den * other.den)
    }
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Ord for Ratio {
    fn cmp(&self, other: &Self) -> Ordering {
        // both denominators are positive
        (self.num * other.den).cmp(&(other.num * self.den))
    }
}

impl PartialOrd for Ratio {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
