//! Storing a dataset's settled claims in the history store
//! (`claimaudit history import`): patient by patient, in (patient, claim
//! id) order, each group of patients in one transaction. Which claims a
//! patient keeps is decided before anything is written, so claims outside
//! the look-back are never stored, and the B-tree is written in key order:
//! the cost is linear in the claims. The dataset's tables are read whole
//! in Arrow; only one group's claims at a time become values.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use super::api::FieldError;
use super::check::{decode, outside_lookback};
use super::claim_codec;
use super::dataset_claims::{ByPatient, claim_tables};
use super::history::HistoryStore;
use super::lookback::LookBack;
use super::plausible::{self, Window};
use super::shape::{Claim, ClaimShape};
use crate::data::load::LoadOptions;
use crate::ir::Ruleset;

/// Claims stored in one transaction.
const GROUP_CLAIMS: usize = 20_000;

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct Imported {
    pub claims: u64,
    pub lines: u64,
    pub patients: u64,
    /// Claims dropped as outside the look-back.
    pub pruned: u64,
    /// Claims not imported, with the id and the field at fault: a date
    /// outside the plausible window, as the service would refuse it.
    pub refused: Vec<(String, FieldError)>,
}

/// Where an import stores claims, and what it keeps.
pub struct ImportTo<'a> {
    pub store: &'a HistoryStore,
    pub shape: &'a ClaimShape,
    pub lookback: &'a LookBack,
    /// Today minus the grace days: the look-back is measured from it.
    pub reference: i32,
    /// Dates outside it are refused, as the service would refuse them.
    pub window: &'a Window,
}

/// Stores the plausible claims of the dataset in `dir` (replacing stored
/// versions with the same ids; of a claim id given twice, the last header
/// row), and keeps of each patient's history only the look-back of a claim
/// dated `to.reference`. `progress` is told the claims done of the total, 0 first.
pub fn import_dataset(
    to: &ImportTo,
    ruleset: &Ruleset,
    dir: &Path,
    load: &LoadOptions,
    progress: &dyn Fn(u64, u64),
) -> Result<Imported, String> {
    let (header, lines) = claim_tables(ruleset, to.shape, dir, load)?;
    let by_patient = ByPatient::index(to.shape, &header, lines.as_ref())?;
    let total = by_patient.len() as u64;
    let mut importer = Importer::new(to)?;
    let mut done = 0;
    progress(0, total);
    for group in by_patient.groups(GROUP_CLAIMS) {
        done += group.len() as u64;
        let claims = by_patient.claims(group)?;
        importer.store(&claims.iter().collect::<Vec<_>>())?;
        progress(done, total);
    }
    importer.finish()
}

/// As [`import_dataset`], of claims already read (of a claim id given
/// twice, the last).
pub fn import_claims(to: &ImportTo, claims: &[Claim]) -> Result<Imported, String> {
    let shape = to.shape;
    let last: HashMap<&str, usize> = claims
        .iter()
        .enumerate()
        .map(|(i, c)| (c.claim_id(shape), i))
        .collect();
    let mut ordered: Vec<&Claim> = claims
        .iter()
        .enumerate()
        .filter(|(i, c)| last[c.claim_id(shape)] == *i)
        .map(|(_, c)| c)
        .collect();
    ordered.sort_by(|a, b| {
        (a.patient_id(shape), a.claim_id(shape)).cmp(&(b.patient_id(shape), b.claim_id(shape)))
    });
    let mut importer = Importer::new(to)?;
    let mut start = 0;
    for end in 1..=ordered.len() {
        let boundary = end == ordered.len()
            || (end - start >= GROUP_CLAIMS
                && ordered[end].patient_id(shape) != ordered[end - 1].patient_id(shape));
        if boundary {
            importer.store(&ordered[start..end])?;
            start = end;
        }
    }
    importer.finish()
}

/// Stores groups of whole patients' claims, one transaction each.
struct Importer<'a> {
    to: &'a ImportTo<'a>,
    cut: Option<i64>,
    /// Nothing stored before this import: no stored claim to read.
    fresh: bool,
    patients: u64,
    /// Patients a claim was moved from (to another patient): pruned at the end.
    moved_from: BTreeSet<String>,
    out: Imported,
}

impl<'a> Importer<'a> {
    fn new(to: &'a ImportTo<'a>) -> Result<Importer<'a>, String> {
        Ok(Importer {
            to,
            cut: to.lookback.cut(to.reference),
            fresh: to.store.is_empty().map_err(|e| e.to_string())?,
            patients: 0,
            moved_from: BTreeSet::new(),
            out: Imported::default(),
        })
    }

    /// Stores `claims`: whole patients, in (patient, claim id) order, each
    /// claim id once.
    fn store(&mut self, claims: &[&Claim]) -> Result<(), String> {
        let shape = self.to.shape;
        let mut plausible_claims = Vec::with_capacity(claims.len());
        for &c in claims {
            match self.plausible(c) {
                Ok(()) => plausible_claims.push(c),
                Err(e) => self.out.refused.push((c.claim_id(shape).to_string(), e)),
            }
        }
        let mut patients: Vec<(&str, usize)> = Vec::new();
        for c in &plausible_claims {
            match patients.last_mut() {
                Some((p, n)) if *p == c.patient_id(shape) => *n += 1,
                _ => patients.push((c.patient_id(shape), 1)),
            }
        }
        let names: Vec<&str> = patients.iter().map(|(p, _)| *p).collect();
        let stored = if self.fresh {
            vec![Vec::new(); names.len()]
        } else {
            self.to
                .store
                .patients_claims(&names)
                .map_err(|e| e.to_string())?
        };
        let mut rows = Vec::new();
        let mut dropped = Vec::new();
        let mut rest = plausible_claims.as_slice();
        for ((patient, n), stored) in patients.into_iter().zip(stored) {
            let (new, after) = rest.split_at(n);
            rest = after;
            let new_ids: HashSet<&str> = new.iter().map(|c| c.claim_id(shape)).collect();
            let old = decode(shape, &stored, &|id| self.to.store.schema(id));
            let old: Vec<_> = old
                .iter()
                .filter(|(id, _)| !new_ids.contains(id.as_str()))
                .collect();
            let all: Vec<&Claim> = old
                .iter()
                .map(|(_, c)| c.as_ref())
                .chain(new.iter().copied())
                .collect();
            let keep = self.to.lookback.select(shape, self.cut, &all, &[]);
            for ((id, _), kept) in old.iter().zip(&keep) {
                if !kept {
                    dropped.push((patient.to_string(), id.clone()));
                }
            }
            for (c, kept) in new.iter().zip(&keep[old.len()..]) {
                self.out.claims += 1;
                self.out.lines += c.lines.len() as u64;
                if *kept {
                    let bytes = claim_codec::encode(shape, c);
                    rows.push((patient.to_string(), c.claim_id(shape).to_string(), bytes));
                }
            }
            self.out.pruned += keep.iter().filter(|k| !**k).count() as u64;
            self.patients += 1;
        }
        let moved = self
            .to
            .store
            .import(&rows, &dropped, &shape.stored)
            .map_err(|e| e.to_string())?;
        self.moved_from.extend(moved);
        Ok(())
    }

    /// Whether the service would take `claim`: it has its ids, and its
    /// dates are plausible.
    fn plausible(&self, claim: &Claim) -> Result<(), FieldError> {
        let shape = self.to.shape;
        for column in [shape.claim_id, shape.patient_id] {
            if claim.text(column).is_empty() {
                let name = &shape.header.columns[column].name;
                return Err(FieldError::new(
                    name.clone(),
                    "a stored claim needs this id",
                ));
            }
        }
        plausible::check(shape, claim, self.to.window)
    }

    /// Prunes the patients claims were moved from, and says what was done.
    fn finish(mut self) -> Result<Imported, String> {
        let moved: Vec<String> = std::mem::take(&mut self.moved_from).into_iter().collect();
        let (shape, lookback, reference) = (self.to.shape, self.to.lookback, self.to.reference);
        let store = self.to.store;
        for chunk in moved.chunks(GROUP_CLAIMS) {
            let schemas = |id| store.schema(id);
            let prune = |all: &[_]| outside_lookback(shape, lookback, reference, all, &schemas);
            self.out.pruned += self
                .to
                .store
                .prune(chunk, &prune)
                .map_err(|e| e.to_string())?;
        }
        self.out.patients = self.patients;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::check_shipped;
    use crate::generate::{GenOptions, generate};
    use crate::ir::Value;
    use crate::ir::text::parse_date;
    use crate::serve::dataset_claims::dataset_claims;
    use crate::serve::state::prune_reference;

    /// What an import keeps, stored the simple way: every claim stored,
    /// replacing claims with the same id, then each patient pruned.
    fn store_then_prune(to: &ImportTo, claims: &[Claim]) {
        let shape = to.shape;
        let rows: Vec<(String, String, Vec<u8>)> = claims
            .iter()
            .map(|c| {
                let bytes = claim_codec::encode(shape, c);
                let (patient, id) = (c.patient_id(shape), c.claim_id(shape));
                (patient.to_string(), id.to_string(), bytes)
            })
            .collect();
        let mut touched: BTreeSet<String> = rows.iter().map(|(p, _, _)| p.clone()).collect();
        touched.extend(to.store.import(&rows, &[], &shape.stored).unwrap());
        let touched: Vec<String> = touched.into_iter().collect();
        let schemas = |id| to.store.schema(id);
        let prune = |all: &[_]| outside_lookback(shape, to.lookback, to.reference, all, &schemas);
        to.store.prune(&touched, &prune).unwrap();
    }

    fn same_stores(a: &HistoryStore, b: &HistoryStore, patients: &[&str]) {
        assert_eq!(a.len().unwrap(), b.len().unwrap());
        assert_eq!(
            a.patients_claims(patients).unwrap(),
            b.patients_claims(patients).unwrap()
        );
    }

    #[test]
    fn an_import_keeps_what_storing_every_claim_then_pruning_keeps() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        generate(&GenOptions::new(data.clone(), 300, 7), &|_| {}).unwrap();
        let checked = check_shipped();
        let ruleset = checked.ruleset.as_ref().unwrap();
        let shape = ClaimShape::of(ruleset).unwrap();
        let lookback = LookBack::derive(ruleset, &shape);
        let today = parse_date("2024-12-31").unwrap();
        let window = Window::new(today, 1);
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        let (a, b) = (
            HistoryStore::open(&a).unwrap(),
            HistoryStore::open(&b).unwrap(),
        );
        let to = |store| ImportTo {
            store,
            shape: &shape,
            lookback: &lookback,
            reference: prune_reference(today, 31),
            window: &window,
        };
        let claims = dataset_claims(ruleset, &shape, &data, &Default::default()).unwrap();
        let load = Default::default();
        let imported = import_dataset(&to(&a), ruleset, &data, &load, &|_, _| {}).unwrap();
        store_then_prune(&to(&b), &claims);
        let mut patients: Vec<&str> = claims.iter().map(|c| c.patient_id(&shape)).collect();
        patients.sort_unstable();
        patients.dedup();
        assert_eq!(imported.claims, claims.len() as u64);
        assert_eq!(imported.patients, patients.len() as u64);
        assert!(imported.pruned > 0 && a.len().unwrap() > 0, "{imported:?}");
        assert_eq!(imported.claims - imported.pruned, a.len().unwrap());
        same_stores(&a, &b, &patients);

        // Again onto the stored claims: some changed, some moved to another
        // patient, some given twice (the last counts), some new.
        let mut again: Vec<Claim> = claims.iter().step_by(3).cloned().collect();
        let amount = shape.header.column_index("total_amount").unwrap();
        for (k, c) in again.iter_mut().enumerate() {
            match k % 4 {
                0 => c.header[amount] = Value::Decimal(rust_decimal::Decimal::new(12345, 2)),
                1 => c.header[shape.patient_id] = Value::Text(patients[k % 7].to_string()),
                2 => c.header[shape.claim_id] = Value::Text(format!("NEW-{k}")),
                _ => {}
            }
        }
        let mut twice = again[0].clone();
        twice.header[amount] = Value::Decimal(rust_decimal::Decimal::new(1, 2));
        again.push(twice);
        import_claims(&to(&a), &again).unwrap();
        store_then_prune(&to(&b), &again);
        let mut patients: Vec<&str> = claims
            .iter()
            .chain(&again)
            .map(|c| c.patient_id(&shape))
            .collect();
        patients.sort_unstable();
        patients.dedup();
        same_stores(&a, &b, &patients);
    }

    #[test]
    fn a_claim_without_its_ids_is_refused_not_stored() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        generate(&GenOptions::new(data.clone(), 5, 1), &|_| {}).unwrap();
        let checked = check_shipped();
        let ruleset = checked.ruleset.as_ref().unwrap();
        let shape = ClaimShape::of(ruleset).unwrap();
        let lookback = LookBack::derive(ruleset, &shape);
        let mut claims = dataset_claims(ruleset, &shape, &data, &Default::default()).unwrap();
        claims[0].header[shape.patient_id] = Value::Null;
        let store = HistoryStore::open(&dir.path().join("store")).unwrap();
        let today = parse_date("2024-12-31").unwrap();
        let to = ImportTo {
            store: &store,
            shape: &shape,
            lookback: &lookback,
            reference: prune_reference(today, 31),
            window: &Window::new(today, 1),
        };
        let imported = import_claims(&to, &claims).unwrap();
        assert_eq!(imported.refused.len(), 1);
        assert_eq!(imported.refused[0].1.field, "patient_id");
        assert!(store.get(claims[0].claim_id(&shape)).unwrap().is_none());
    }
}
