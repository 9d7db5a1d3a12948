//! A partition's rows put in the order of the rows they refer to (claims
//! in their patients' order, lines in their claims'), as the plan's
//! exchange says. Data in any order (claims by time, lines shuffled) then
//! reads like data written patient by patient: every lookup along those
//! relations, and every rule reading through them, walks memory forwards
//! instead of jumping at random. Nothing a rule gives depends on the order
//! of a partition's rows, so the flags are the same.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, UInt32Array};
use rayon::prelude::*;

use super::env::{Frame, Frames};
use super::lookup::{build_lookup, candidate_lookup, confirmed};
use super::tables::{Lookups, NO_ROW};
use crate::ir::Relation;
use crate::plan::{Exchange, Plan};

/// Orders the routed tables of `frames` the plan orders. Each lookup
/// along which a table is ordered is built on the tables as they came, all
/// side by side, and added to `lookups` for the rules; a table that follows
/// one ordered before it (lines their claims) follows the new order; then
/// every table's columns are taken at once, all on the current pool.
pub fn arrange(plan: &Plan, frames: &mut Frames, lookups: &mut Lookups) {
    let Exchange::Key { routed, .. } = &plan.exchange else {
        return;
    };
    let steps: Vec<(&Relation, &Arc<Frame>, &Arc<Frame>)> = routed
        .iter()
        .filter_map(|r| {
            let relation = plan
                .ruleset
                .schema
                .relation(&r.table, r.ordered_by.as_ref()?)?;
            Some((
                relation,
                frames.get(&r.table)?,
                frames.get(&relation.to_table)?,
            ))
        })
        .collect();
    // By hash alone where the keys allow (the keys compared after the
    // tables are ordered, when the comparisons read forwards), else exact.
    let built: Vec<(Vec<u32>, bool)> = steps
        .par_iter()
        .map(
            |(relation, from, to)| match candidate_lookup(relation, from, to) {
                Some(candidates) => (candidates, false),
                None => (build_lookup(relation, from, to, true), true),
            },
        )
        .collect();
    let (built, exact): (Vec<Vec<u32>>, Vec<bool>) = built.into_iter().unzip();
    // Each table's new order, in the plan's order: a table's target is
    // ordered before it, if at all.
    let mut orders: Vec<(&str, Option<Vec<u32>>)> = Vec::new();
    let mut ordered: Vec<(Vec<u32>, &Relation)> = Vec::new();
    for ((relation, _, to), mut lookup) in steps.iter().zip(built) {
        if let Some((_, Some(target_order))) = orders.iter().find(|(t, _)| *t == relation.to_table)
        {
            let mut new_row = vec![NO_ROW; target_order.len()];
            for (new, &old) in target_order.iter().enumerate() {
                new_row[old as usize] = new as u32;
            }
            for target in &mut lookup {
                if *target != NO_ROW {
                    *target = new_row[*target as usize];
                }
            }
        }
        let order = order_by_target(&lookup, to.batch.num_rows());
        if let Some(order) = &order {
            lookup = order.iter().map(|&row| lookup[row as usize]).collect();
        }
        orders.push((relation.from_table.as_str(), order));
        ordered.push((lookup, relation));
    }
    let taken: Vec<(&str, RecordBatch)> = taken(
        orders
            .iter()
            .filter_map(|(table, order)| Some((*table, &frames[*table].batch, order.as_ref()?)))
            .collect(),
    );
    for (table, batch) in taken {
        frames.insert(table.to_string(), Arc::new(Frame::new(table, batch)));
    }
    for ((mut lookup, relation), exact) in ordered.into_iter().zip(exact) {
        let (from, to) = (&frames[&relation.from_table], &frames[&relation.to_table]);
        if !exact && !confirmed(relation, from, to, &lookup) {
            // Two keys shared a hash: the rows keep the order it gave
            // (any order gives the same flags), the lookup is made exact.
            lookup = build_lookup(relation, from, to, true);
        }
        let key = (relation.from_table.clone(), relation.name.clone());
        lookups.insert(key, Arc::new(lookup));
    }
}

/// A table whose rows step back in its targets' order at most once in
/// this many rows is left as it is: runs that long already read memory in
/// order (data written patient by patient, its parts read side by side),
/// and ordering them would cost a copy of the table for nothing.
const ROWS_PER_STEP_BACK: usize = 32;

/// The rows in the order of their targets (`lookup[row]`, below
/// `targets`), rows with none ([`NO_ROW`]) last, rows with the same
/// target in their own order; `None` when they are nearly in that order
/// already (see [`ROWS_PER_STEP_BACK`]).
fn order_by_target(lookup: &[u32], targets: usize) -> Option<Vec<u32>> {
    let slot = |target: u32| match target {
        NO_ROW => targets,
        t => t as usize,
    };
    let steps_back = lookup
        .windows(2)
        .filter(|w| slot(w[1]) < slot(w[0]))
        .count();
    if steps_back * ROWS_PER_STEP_BACK <= lookup.len() {
        return None;
    }
    // A counting sort: where each target's rows start, then the rows.
    let mut starts = vec![0u32; targets + 2];
    for &target in lookup {
        starts[slot(target) + 1] += 1;
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    let mut order = vec![0u32; lookup.len()];
    for (row, &target) in lookup.iter().enumerate() {
        let at = &mut starts[slot(target)];
        order[*at as usize] = row as u32;
        *at += 1;
    }
    Some(order)
}

/// The rows each order names of its table's batch, in that order: every
/// column of every table taken side by side.
fn taken<'t>(tables: Vec<(&'t str, &RecordBatch, &Vec<u32>)>) -> Vec<(&'t str, RecordBatch)> {
    let indices: Vec<UInt32Array> = tables
        .iter()
        .map(|(_, _, order)| UInt32Array::from(order.to_vec()))
        .collect();
    let cells: Vec<(usize, &ArrayRef)> = tables
        .iter()
        .enumerate()
        .flat_map(|(t, (_, batch, _))| batch.columns().iter().map(move |c| (t, c)))
        .collect();
    let columns: Vec<ArrayRef> = cells
        .par_iter()
        .map(|(t, column)| {
            arrow::compute::take(column.as_ref(), &indices[*t], None)
                .expect("rows within the batch")
        })
        .collect();
    let mut columns = columns.into_iter();
    tables
        .into_iter()
        .map(|(table, batch, _)| {
            let columns: Vec<ArrayRef> = columns.by_ref().take(batch.num_columns()).collect();
            let batch =
                RecordBatch::try_new(batch.schema(), columns).expect("the batch's own schema");
            (table, batch)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray, Int32Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use proptest::prelude::*;

    fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
        let fields: Vec<Field> = columns
            .iter()
            .map(|(name, a)| Field::new(*name, a.data_type().clone(), true))
            .collect();
        let arrays = columns.into_iter().map(|(_, a)| a).collect();
        RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap()
    }

    fn texts(values: impl Iterator<Item = String>) -> ArrayRef {
        Arc::new(StringArray::from_iter_values(values))
    }

    #[test]
    fn rows_in_any_order_are_ordered_and_their_lookups_lead_where_they_did() {
        let checked = crate::check::check_shipped();
        let ruleset = checked.ruleset.as_ref().unwrap();
        let plan = crate::plan::plan(ruleset, &Default::default(), &checked.sources);
        // Ten patients; forty claims and a hundred and twenty lines in a
        // scrambled order, one line of a claim that is not there.
        let scrambled = |n: usize| (0..n).map(move |i| (i * 37 + 11) % n);
        let patients = batch(vec![(
            "patient_id",
            texts((0..10).map(|p| format!("P{p}"))),
        )]);
        let claims = batch(vec![
            ("claim_id", texts(scrambled(40).map(|c| format!("C{c}")))),
            (
                "patient_id",
                texts(scrambled(40).map(|c| format!("P{}", c % 10))),
            ),
        ]);
        let line_claims = scrambled(120).map(|l| match l {
            7 => "C99".to_string(),
            l => format!("C{}", l % 40),
        });
        let claim_items = batch(vec![
            ("claim_id", texts(line_claims)),
            ("line_no", Arc::new(Int32Array::from_iter_values(0..120))),
        ]);
        let mut frames = Frames::default();
        for (name, rows) in [
            ("patients", patients),
            ("claims", claims),
            ("claim_items", claim_items),
        ] {
            let frame = super::super::run::frame_for(&plan, name, Some(rows)).unwrap();
            frames.insert(name.to_string(), Arc::new(frame));
        }
        let mut lookups = Lookups::default();
        arrange(&plan, &mut frames, &mut lookups);
        let text = |table: &str, column: &str| -> Vec<Option<String>> {
            let array = frames[table].batch.column_by_name(column).unwrap().clone();
            assert_eq!(array.data_type(), &DataType::Utf8);
            let strings = array.as_string::<i32>();
            (0..strings.len())
                .map(|i| strings.is_valid(i).then(|| strings.value(i).to_string()))
                .collect()
        };
        let followed = |table: &str, relation: &str| {
            lookups[&(table.to_string(), relation.to_string())].to_vec()
        };
        // Claims in their patients' order, each still leading to its own.
        let (claim_patients, patient_ids) =
            (text("claims", "patient_id"), text("patients", "patient_id"));
        let to_patient = followed("claims", "patient");
        assert!(to_patient.windows(2).all(|w| w[0] <= w[1]));
        for (claim, patient) in to_patient.iter().enumerate() {
            assert_eq!(claim_patients[claim], patient_ids[*patient as usize]);
        }
        // Lines in their claims' new order, the line without one last.
        let (line_claims, claim_ids) =
            (text("claim_items", "claim_id"), text("claims", "claim_id"));
        let to_claim = followed("claim_items", "claim");
        assert_eq!(to_claim.last(), Some(&NO_ROW));
        assert_eq!(line_claims.last().unwrap().as_deref(), Some("C99"));
        assert!(to_claim.windows(2).all(|w| w[0] <= w[1]));
        for (line, claim) in to_claim.iter().enumerate().filter(|(_, c)| **c != NO_ROW) {
            assert_eq!(line_claims[line], claim_ids[*claim as usize]);
        }
        assert_eq!(frames["claim_items"].batch.num_rows(), 120);
    }

    #[test]
    fn rows_in_order_or_nearly_are_left_alone() {
        assert_eq!(order_by_target(&[0, 0, 1, 3, NO_ROW, NO_ROW], 4), None);
        assert_eq!(order_by_target(&[], 0), None);
        // Two runs in order, one step back in 64 rows.
        let runs: Vec<u32> = (32..64).chain(0..32).collect();
        assert_eq!(order_by_target(&runs, 64), None);
        let shuffled: Vec<u32> = (0..64).map(|i| (i * 37) % 64).collect();
        assert!(order_by_target(&shuffled, 64).is_some());
    }

    #[test]
    fn rows_follow_their_targets_and_keep_their_order_among_equals() {
        let lookup = [2, NO_ROW, 0, 2, 1, 0];
        assert_eq!(order_by_target(&lookup, 3), Some(vec![2, 5, 4, 0, 3, 1]));
    }

    proptest! {
        #[test]
        fn an_order_given_is_a_stable_sort_by_target(
            lookup in prop::collection::vec(prop_oneof![0u32..6, Just(NO_ROW)], 0..60),
        ) {
            let mut expected: Vec<u32> = (0..lookup.len() as u32).collect();
            expected.sort_by_key(|&row| match lookup[row as usize] {
                NO_ROW => u64::MAX,
                t => t as u64,
            });
            if let Some(order) = order_by_target(&lookup, 6) {
                prop_assert_eq!(order, expected);
            }
        }
    }
}
