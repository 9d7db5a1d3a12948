//! One operator per rule form: each file holds everything that runs its
//! form, from the rows that passed `where` to the flags. The dispatcher
//! (`run.rs`) and `explain.rs` match `Form` with one arm per form, so a new
//! form makes the compiler list every place to handle it.
//!
//! - `row.rs`: each row on its own, batch by batch.
//! - `group.rs`: rows of equal keys; aggregates over the whole group.
//! - `window.rs`: aggregates over the last N days, or the running range.
//! - `sequence.rs`: rows of a key in order; `prev` is the row before.
//! - `pair.rs`: partner selection, bucketing by key, candidate pairs;
//!   `pair_band.rs`: the partners of a key searched within the bounds
//!   the plan found in the condition.
//! - `population.rs`: statistics per entity against its peers;
//!   `population_partial.rs`: the same over partitions, partial aggregates
//!   per partition merged before the peers are compared.
//!
//! The kernels they share stay apart: `keyed.rs` (sorting by key and
//! order), `partition.rs` (batches and hashing into partitions), `agg.rs`
//! (aggregation), `output.rs` (evidence and flags).

pub mod group;
pub mod pair;
pub mod pair_band;
pub mod population;
pub mod population_partial;
pub mod row;
pub mod sequence;
pub mod window;
