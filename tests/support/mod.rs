//! Test support shared by the integration tests (`mod support;`).
//!
//! - `dataset`: the five contract tables as plain Rust structs, and a Parquet
//!   reader for a dataset folder.
//! - `reference_rules`: a deliberately simple, independent implementation of
//!   the 21 default rules (docs/default-rules.md), used to cross-check the
//!   generator's planted labels and the engine's flags.

#![allow(dead_code)]

pub mod dataset;
pub mod random_data;
pub mod random_rules;
pub mod reference_eval;
pub mod reference_rules;
