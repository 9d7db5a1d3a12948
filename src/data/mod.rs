//! Data: the contract in Arrow terms, loading and validating datasets, the
//! readable text form of fixtures, and the synthetic data generator.

pub mod arrow_types;
pub mod compact;
pub mod contract;
pub mod generate;
pub mod load;
pub mod memory;
pub mod values;
