//! A routed table's relation checked in each partition's lookup (see
//! `Routed::reference_checked_per_partition`): a row whose related row
//! exists is routed to that row's partition, so a row the lookup finds
//! nothing for, with its columns all given, refers to a row that does not
//! exist, and the loader need not keep the target's keys to tell.

use rayon::prelude::*;

use super::super::env::Env;
use super::super::tables::NO_ROW;
use crate::plan::{Route, Routed};

/// Whether a row of `routed`'s table in this partition refers, through
/// the relation it is routed by, to a row that does not exist.
pub fn refers_to_a_missing_row(env: &Env<'_>, routed: &Routed) -> bool {
    let Route::Relation {
        relation,
        from_columns,
        ..
    } = &routed.route
    else {
        return false;
    };
    let Some(frame) = env.frames.get(&routed.table) else {
        return false;
    };
    let lookup = env
        .lookups
        .get(&(routed.table.clone(), relation.clone()))
        .expect("the plan builds the lookup it checks");
    let columns: Vec<_> = from_columns
        .iter()
        .map(|c| {
            frame
                .batch
                .column_by_name(c)
                .expect("the loader reads a relation's columns")
        })
        .collect();
    lookup
        .par_iter()
        .enumerate()
        .any(|(row, found)| *found == NO_ROW && columns.iter().all(|c| c.is_valid(row)))
}
