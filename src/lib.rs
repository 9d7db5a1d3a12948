//! claimaudit: a claims-audit rule engine for medical-insurance fund
//! supervision (医保基金智能审核).
//!
//! The pipeline, one module per stage: rule text is parsed (`syntax`),
//! checked against a schema into typed IR (`check`, `ir`), planned (`plan`),
//! executed over Arrow data (`exec`, reading through `data`) and reported as
//! flags with provenance (`flags`). `serve` is the real-time service,
//! `generate` the synthetic datasets with planted cases, `cli` the command
//! line.

// Diagnostics travel in `Err` on paths that end a check; their size is no concern.
#![allow(clippy::result_large_err)]

pub mod check;
pub mod cli;
pub mod data;
pub mod exec;
pub mod flags;
pub mod generate;
pub mod ir;
pub mod plan;
pub mod report;
pub mod serve;
pub mod syntax;
