//! Lookups along relations: for each row, the row it refers to.

use arrow::array::Array;
use rayon::prelude::*;

use super::env::{Frame, Near, key_texts, single_text_key};
use super::hash_rows::{HashRows, key_hash};
use super::tables::NO_ROW;
use crate::ir::Relation;

/// Rows probed in one run by one thread.
const PROBE_RUN: usize = 64 * 1024;

/// For each row of `from`, the row of `to` whose key equals its columns
/// ([`NO_ROW`] if none). The target's key index is built once per frame.
/// The probes are split over the pool when `parallel`.
pub fn build_lookup(relation: &Relation, from: &Frame, to: &Frame, parallel: bool) -> Vec<u32> {
    let index = to.key_index(&relation.to_columns);
    // One text key, the usual case: look the strings up without copying them.
    if let Some(keys) = single_text_key(from, &relation.from_columns) {
        // Probes are independent: split them over the pool's threads, each
        // run of rows with its own prober (which remembers where it was).
        let mut out = vec![NO_ROW; keys.len()];
        let probe = |(run, slots): (usize, &mut [u32])| {
            let mut prober = index.prober(to);
            for (i, slot) in slots.iter_mut().enumerate() {
                let row = run * PROBE_RUN + i;
                if keys.is_valid(row)
                    && let Some(found) = prober.find(keys.value(row))
                {
                    *slot = found;
                }
            }
        };
        if parallel {
            out.par_chunks_mut(PROBE_RUN).enumerate().for_each(probe);
        } else {
            out.chunks_mut(PROBE_RUN).enumerate().for_each(probe);
        }
        return out;
    }
    let mut prober = index.prober(to);
    key_texts(from, &relation.from_columns)
        .into_iter()
        .map(|key| key.and_then(|k| prober.find(&k)).unwrap_or(NO_ROW))
        .collect()
}

/// For each row of `from`, a row of `to` its key may equal ([`NO_ROW`]
/// where none does): found by hash alone, not yet compared. `None` unless
/// both keys are one text column whose target values hash apart; then
/// [`build_lookup`] is the way. Rows with a candidate must pass
/// [`confirmed`] before a rule follows them.
pub fn candidate_lookup(relation: &Relation, from: &Frame, to: &Frame) -> Option<Vec<u32>> {
    let keys = single_text_key(from, &relation.from_columns)?;
    let targets = single_text_key(to, &relation.to_columns)?;
    let table = HashRows::build(targets)?;
    let mut out = vec![NO_ROW; keys.len()];
    out.par_chunks_mut(PROBE_RUN)
        .enumerate()
        .for_each(|(run, slots)| {
            let mut near = Near::default();
            for (i, slot) in slots.iter_mut().enumerate() {
                let row = run * PROBE_RUN + i;
                if !keys.is_valid(row) {
                    continue;
                }
                let key = keys.value(row);
                let found = near.find(targets, key).or_else(|| {
                    let found = table.find(key_hash(key));
                    near.found(found);
                    found
                });
                *slot = found.unwrap_or(NO_ROW);
            }
        });
    Some(out)
}

/// Whether every row of `from` with a row of `to` in `lookup` has that
/// row's key: a [`candidate_lookup`] checked, best once both tables are in
/// the order the lookup gives (the comparisons then read forwards).
pub fn confirmed(relation: &Relation, from: &Frame, to: &Frame, lookup: &[u32]) -> bool {
    let (Some(keys), Some(targets)) = (
        single_text_key(from, &relation.from_columns),
        single_text_key(to, &relation.to_columns),
    ) else {
        return false;
    };
    lookup.par_chunks(PROBE_RUN).enumerate().all(|(run, rows)| {
        rows.iter().enumerate().all(|(i, &target)| {
            let row = run * PROBE_RUN + i;
            target == NO_ROW
                || (keys.is_valid(row)
                    && targets.is_valid(target as usize)
                    && keys.value(row) == targets.value(target as usize))
        })
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{RecordBatch, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use proptest::prelude::*;

    use super::*;

    fn frame(name: &str, keys: Vec<Option<String>>) -> Frame {
        let schema = Schema::new(vec![Field::new("k", DataType::Utf8, true)]);
        let batch = RecordBatch::try_new(
            Arc::new(schema),
            vec![Arc::new(StringArray::from(keys)) as _],
        )
        .unwrap();
        Frame::new(name, batch)
    }

    fn relation() -> Relation {
        Relation {
            name: "to".into(),
            from_table: "from".into(),
            from_columns: vec!["k".into()],
            to_table: "to".into(),
            to_columns: vec!["k".into()],
            required: false,
        }
    }

    #[test]
    fn targets_with_a_key_twice_are_looked_up_by_comparing_keys() {
        let keys = |ks: &[&str]| ks.iter().map(|k| Some(k.to_string())).collect();
        let to = frame("to", keys(&["A", "B", "A"]));
        let from = frame("from", keys(&["A", "B"]));
        assert!(candidate_lookup(&relation(), &from, &to).is_none());
        assert_eq!(build_lookup(&relation(), &from, &to, false), vec![0, 1]);
    }

    #[test]
    fn a_candidate_that_leads_to_another_key_is_not_confirmed() {
        let keys = |ks: &[&str]| ks.iter().map(|k| Some(k.to_string())).collect();
        let to = frame("to", keys(&["A", "B"]));
        let from = frame("from", keys(&["B", "A", "C"]));
        let candidates = candidate_lookup(&relation(), &from, &to).unwrap();
        assert_eq!(candidates, vec![1, 0, NO_ROW]);
        assert!(confirmed(&relation(), &from, &to, &candidates));
        assert!(!confirmed(&relation(), &from, &to, &[0, 0, NO_ROW]));
    }

    proptest! {
        /// Probes in any order (runs of the same key, rows in the targets'
        /// order, rows at random) find what the exact lookup finds.
        #[test]
        fn candidates_confirmed_are_the_exact_lookup(
            targets in prop::collection::hash_set("[a-d]{1,3}", 0..60),
            probes in prop::collection::vec(prop::option::weighted(0.9, "[a-d]{1,3}"), 0..300),
            in_order in any::<bool>(),
        ) {
            let targets: Vec<Option<String>> = targets.into_iter().map(Some).collect();
            let mut probes = probes;
            if in_order {
                probes.sort();
            }
            let (from, to) = (frame("from", probes), frame("to", targets));
            let candidates = candidate_lookup(&relation(), &from, &to).unwrap();
            prop_assert!(confirmed(&relation(), &from, &to, &candidates));
            prop_assert_eq!(candidates, build_lookup(&relation(), &from, &to, false));
        }
    }
}
