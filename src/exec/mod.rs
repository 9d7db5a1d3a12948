//! Execute: run a planned ruleset over loaded tables, vectorized over
//! columns and parallel with rayon, and return the flags in output order.

mod agg;
mod col;
mod dictionary;
mod env;
mod eval;
mod explain;
mod keyed;
mod lookup;
mod order;
mod output;
mod pair;
mod population;
mod pushdown;
mod realtime;
mod rule_tests;
mod run;
mod scan;
mod tables;

pub use env::{Env, Frame, Frames};
pub use explain::{RowExplanation, RuleExplanation, Trace, claim_rows, explain_claim};
pub use realtime::{Checked, Checker};
pub use rule_tests::{TestOutcome, run_rule_tests, run_test};
pub use run::{ExecOptions, execute, execute_on, frame_for, lookups_for, prepare, thread_pool};
pub use scan::{
    ScanReport, peak_memory_bytes, read_compact_tables, read_tables, read_tables_with, run_tables,
    scan_dataset,
};
pub use tables::{Lookups, Tables};
