//! A plain, slow reading of the 22 default rules (docs/default-rules.md), written
//! straight from their definitions to check the labels against.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::super::calendar::{age, civil_from_days};
use super::read::{Claim, Dataset, Item, Line, Person, Site};

/// A version of a pair of exclusive items: first and last day (open when `None`).
type Validity = (i32, Option<i32>);

/// A flagged row.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    Line(String, i32),
    Claim(String),
    Provider(String),
}

pub type Flags = BTreeSet<(&'static str, Key)>;

const CAP_EMPLOYEE: i128 = 70_000_000;
const CAP_RESIDENT: i128 = 30_000_000;

struct Lookup<'a> {
    claims: HashMap<&'a str, &'a Claim>,
    patients: HashMap<&'a str, &'a Person>,
    catalog: HashMap<&'a str, &'a Item>,
    providers: HashMap<&'a str, &'a Site>,
}

fn line_key(line: &Line) -> Key {
    Key::Line(line.claim.clone(), line.line_no)
}

pub fn evaluate(data: &Dataset) -> Flags {
    let look = Lookup {
        claims: data.claims.iter().map(|c| (c.id.as_str(), c)).collect(),
        patients: data.patients.iter().map(|p| (p.id.as_str(), p)).collect(),
        catalog: data.catalog.iter().map(|e| (e.code.as_str(), e)).collect(),
        providers: data.providers.iter().map(|p| (p.id.as_str(), p)).collect(),
    };
    let mut flags = Flags::new();
    line_rules(data, &look, &mut flags);
    group_line_rules(data, &look, &mut flags);
    exclusive_items(data, &look, &mut flags);
    claim_rules(data, &look, &mut flags);
    patient_claim_rules(data, &look, &mut flags);
    upcoding(data, &look, &mut flags);
    flags
}

fn line_rules(data: &Dataset, look: &Lookup<'_>, flags: &mut Flags) {
    for line in &data.lines {
        let claim = look.claims[line.claim.as_str()];
        let patient = look.patients.get(claim.patient.as_str());
        let provider = look.providers.get(claim.provider.as_str());
        let entry = look.catalog.get(line.code.as_str());
        let out = match entry {
            None => true,
            Some(e) => {
                e.pay_class == "C"
                    || line.date < e.valid_from
                    || e.valid_to.is_some_and(|t| line.date > t)
            }
        };
        if out {
            let rule = if line.item_type == "drug" {
                "OOC-01"
            } else {
                "OOC-02"
            };
            flags.insert((rule, line_key(line)));
        }
        let Some(e) = entry else { continue };
        if let (Some(limit), Some(p)) = (&e.gender, patient)
            && &p.gender != limit
        {
            flags.insert(("LIM-GENDER", line_key(line)));
        }
        if let Some(p) = patient {
            let a = age(civil_from_days(p.birth), civil_from_days(line.date));
            if e.min_age.is_some_and(|m| a < m) || e.max_age.is_some_and(|m| a > m) {
                flags.insert(("LIM-AGE", line_key(line)));
            }
        }
        if let Some(prefixes) = e.dx.as_ref().filter(|p| !p.is_empty()) {
            let codes = std::iter::once(&claim.primary).chain(claim.secondary.iter().flatten());
            let matched = codes
                .clone()
                .any(|c| prefixes.iter().any(|p| c.starts_with(p.as_str())));
            if !matched {
                flags.insert(("LIM-DX", line_key(line)));
            }
        }
        if let (Some(min), Some(p)) = (e.level, provider)
            && p.level < min
        {
            flags.insert(("LIM-LEVEL", line_key(line)));
        }
        if e.cap.is_some_and(|cap| line.price > cap) {
            flags.insert(("PRICE-CAP", line_key(line)));
        }
        if let (true, Some(days), Some(max)) = (line.item_type == "drug", line.days, e.days)
            && days > max
        {
            flags.insert(("QTY-01", line_key(line)));
        }
    }
}

fn group_line_rules(data: &Dataset, look: &Lookup<'_>, flags: &mut Flags) {
    let patient_of = |line: &Line| look.claims[line.claim.as_str()].patient.as_str();
    let mut same_day: BTreeMap<(&str, &str, i32), Vec<&Line>> = BTreeMap::new();
    let mut drugs: BTreeMap<(&str, &str), Vec<&Line>> = BTreeMap::new();
    for line in &data.lines {
        same_day
            .entry((patient_of(line), &line.code, line.date))
            .or_default()
            .push(line);
        if line.item_type == "drug" {
            drugs
                .entry((patient_of(line), &line.code))
                .or_default()
                .push(line);
        }
    }
    for ((_, code, _), group) in &same_day {
        let billable: Vec<_> = group.iter().filter(|l| l.item_type != "drug").collect();
        if billable.len() >= 2 {
            for line in billable {
                flags.insert(("DUP-01", line_key(line)));
            }
        }
        if let Some(max) = look.catalog.get(code).and_then(|e| e.daily)
            && group.iter().map(|l| l.quantity).sum::<i128>() > max
        {
            for line in group {
                flags.insert(("FREQ-01", line_key(line)));
            }
        }
    }
    for group in drugs.values() {
        for line in group.iter().filter(|l| l.days.is_some()) {
            let sum: i32 = group
                .iter()
                .filter(|o| line.date - 29 <= o.date && o.date <= line.date)
                .map(|o| o.days.unwrap_or(0))
                .sum();
            if sum > 60 {
                flags.insert(("QTY-02", line_key(line)));
            }
        }
    }
}

/// MUTEX-01: a line of which the patient has, on its day, a line of
/// another item, the two listed (in either order) in a version in force on
/// the line's day.
fn exclusive_items(data: &Dataset, look: &Lookup<'_>, flags: &mut Flags) {
    let mut listed: HashMap<(&str, &str), Vec<Validity>> = HashMap::new();
    for x in &data.exclusive {
        listed
            .entry((&x.item_a, &x.item_b))
            .or_default()
            .push((x.valid_from, x.valid_to));
    }
    let in_force = |a: &str, b: &str, day: i32| {
        [(a, b), (b, a)].iter().any(|pair| {
            listed.get(pair).is_some_and(|versions| {
                versions
                    .iter()
                    .any(|&(from, to)| from <= day && to.is_none_or(|to| day <= to))
            })
        })
    };
    let mut days: HashMap<(&str, i32), Vec<&Line>> = HashMap::new();
    for line in &data.lines {
        let patient = look.claims[line.claim.as_str()].patient.as_str();
        days.entry((patient, line.date)).or_default().push(line);
    }
    for lines in days.values() {
        for line in lines {
            if lines.iter().any(|other| {
                other.code != line.code && in_force(&line.code, &other.code, line.date)
            }) {
                flags.insert(("MUTEX-01", line_key(line)));
            }
        }
    }
}

fn claim_rules(data: &Dataset, look: &Lookup<'_>, flags: &mut Flags) {
    for claim in &data.claims {
        let key = || Key::Claim(claim.id.clone());
        match look.patients.get(claim.patient.as_str()) {
            None => {
                flags.insert(("GHOST-02", key()));
            }
            Some(p) => {
                if p.death.is_some_and(|d| claim.admit > d) {
                    flags.insert(("GHOST-01", key()));
                }
                if claim.admit < p.benefit_start {
                    flags.insert(("WAIT-01", key()));
                }
            }
        }
        let designated = look
            .providers
            .get(claim.provider.as_str())
            .is_some_and(|p| p.from <= claim.admit && p.to.is_none_or(|t| claim.admit <= t));
        if !designated {
            flags.insert(("CONTRACT-01", key()));
        }
    }
}

fn patient_claim_rules(data: &Dataset, look: &Lookup<'_>, flags: &mut Flags) {
    let mut by_patient: BTreeMap<&str, Vec<&Claim>> = BTreeMap::new();
    for claim in &data.claims {
        by_patient.entry(&claim.patient).or_default().push(claim);
    }
    let key = |c: &Claim| Key::Claim(c.id.clone());
    for (patient, claims) in &by_patient {
        let inpatient: Vec<&&Claim> = claims.iter().filter(|c| c.visit == "inpatient").collect();
        let ambulatory: Vec<&&Claim> = claims.iter().filter(|c| c.visit != "inpatient").collect();
        for c in &ambulatory {
            let regions: BTreeSet<&str> = ambulatory
                .iter()
                .filter(|o| o.admit == c.admit)
                .map(|o| o.region.as_str())
                .collect();
            if regions.len() >= 2 {
                flags.insert(("GHOST-03", key(c)));
            }
            if inpatient
                .iter()
                .any(|s| s.provider != c.provider && s.admit < c.admit && c.admit < s.discharge)
            {
                flags.insert(("STAY-01", key(c)));
            }
        }
        for c in &inpatient {
            if inpatient
                .iter()
                .any(|o| o.id != c.id && c.admit < o.discharge && o.admit < c.discharge)
            {
                flags.insert(("STAY-02", key(c)));
            }
        }
        let mut by_provider: BTreeMap<&str, Vec<&Claim>> = BTreeMap::new();
        for c in &inpatient {
            by_provider.entry(&c.provider).or_default().push(c);
        }
        for stays in by_provider.values_mut() {
            stays.sort_by(|a, b| (a.admit, &a.id).cmp(&(b.admit, &b.id)));
            for pair in stays.windows(2) {
                let gap = pair[1].admit - pair[0].discharge;
                let prefix = |c: &Claim| c.primary.chars().take(3).collect::<String>();
                if (0..=15).contains(&gap) && prefix(pair[1]) == prefix(pair[0]) {
                    flags.insert(("SPLIT-01", key(pair[1])));
                }
            }
        }
        if let Some(person) = look.patients.get(patient) {
            let cap = if person.insurance == "employee" {
                CAP_EMPLOYEE
            } else {
                CAP_RESIDENT
            };
            let mut by_year: BTreeMap<i32, Vec<&Claim>> = BTreeMap::new();
            for c in claims {
                by_year
                    .entry(civil_from_days(c.admit).year)
                    .or_default()
                    .push(c);
            }
            for year in by_year.values_mut() {
                year.sort_by(|a, b| (a.settle, &a.id).cmp(&(b.settle, &b.id)));
                let mut sum = 0;
                for c in year.iter() {
                    sum += c.fund;
                    if sum > cap {
                        flags.insert(("CAP-01", key(c)));
                    }
                }
            }
        }
    }
}

fn upcoding(data: &Dataset, look: &Lookup<'_>, flags: &mut Flags) {
    let mut counts: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
    for line in &data.lines {
        let Some(entry) = look.catalog.get(line.code.as_str()) else {
            continue;
        };
        if entry.family.as_deref() == Some("consult") && entry.tier.is_some() {
            let provider = look.claims[line.claim.as_str()].provider.as_str();
            let count = counts.entry(provider).or_default();
            count.0 += 1;
            count.1 += u32::from(entry.tier == Some(3));
        }
    }
    let mut groups: BTreeMap<i32, Vec<(&str, f64)>> = BTreeMap::new();
    for (provider, (n, h)) in counts {
        if let (true, Some(p)) = (n >= 100, look.providers.get(provider)) {
            groups
                .entry(p.level)
                .or_default()
                .push((provider, f64::from(h) / f64::from(n)));
        }
    }
    for group in groups.values() {
        if group.len() < 20 {
            continue;
        }
        let mut shares: Vec<f64> = group.iter().map(|g| g.1).collect();
        shares.sort_by(f64::total_cmp);
        let position = (shares.len() - 1) as f64 * 0.95;
        let (low, high) = (position.floor() as usize, position.ceil() as usize);
        let p95 = shares[low] + (position - low as f64) * (shares[high] - shares[low]);
        for &(provider, share) in group {
            if share > p95 {
                flags.insert(("UPC-01", Key::Provider(provider.to_string())));
            }
        }
    }
}
