//! Execute: run a planned ruleset over loaded tables, vectorized over
//! columns and parallel with rayon, and return the flags in output order.
//!
//! One home per rule form: `run.rs` is the dispatcher (the passes, and one
//! arm per form); each form's operator is a file of `forms/` (`row`,
//! `group`, `window`, `sequence`, `pair`, `population`). The kernels they
//! share: `keyed.rs` (rows sorted by key and order, flags of a keyed
//! context), `partition.rs` (batches, hashing rows into partitions),
//! `agg.rs` (aggregates over ranges; `float_sum.rs`, exact sums of floats), `order.rs` (sorting and hashing
//! keys), `output.rs` (identity, message, evidence), `merge.rs` (one flag per
//! provider of a rule flagging at another grain). Around them: `eval.rs`
//! and `col.rs` (expressions over columns), `env.rs`, `tables.rs`,
//! `lookup.rs`, `dictionary.rs` (the data a run reads), `known.rs`
//! (knowledge tables a pair is matched against), `pushdown.rs`
//! (conditions tested before grouping), `explain.rs` (why a rule fired),
//! `compiled.rs` (the engine composed once: read, prepare, run) with
//! `read.rs` (the tables a plan needs), and the ways it is run: `scan.rs`,
//! `realtime.rs`, `rule_tests.rs`.

mod agg;
mod arrange;
mod col;
mod compiled;
mod dictionary;
mod env;
mod eval;
mod explain;
mod flag_overflow;
pub mod float_sum;
mod forms;
mod functions;
mod hash_rows;
mod keyed;
mod known;
mod lookup;
mod merge;
mod order;
mod output;
mod par;
mod partition;
mod partitioned;
mod pushdown;
mod range_fold;
mod read;
mod realtime;
mod rule_tests;
mod run;
mod scan;
mod tables;

pub use compiled::Compiled;
pub use env::{Env, Frame, Frames};
pub use explain::{RowExplanation, RuleExplanation, Trace, claim_rows, explain_claim};
pub use partitioned::{
    DEFAULT_MEMORY_LIMIT, Partials, ScanError, ScanLimits, ScanReport, ScanStep,
};
pub use read::Notes;
pub use realtime::{Checked, Checker, Reach};
pub use rule_tests::{TestOutcome, rule_flags, run_rule_tests, run_test};
pub use run::{ExecOptions, thread_pool};
pub use scan::{peak_memory_bytes, scan_dataset};
pub use tables::{Lookups, Tables};
