//! Data: the contract in Arrow terms, loading and validating datasets, and
//! the readable text form of fixtures. (The synthetic generator, which
//! writes datasets rather than reading them, is `crate::generate`.)

pub mod arrow_types;
pub mod compact;
pub mod contract;
pub mod interrupt;
pub mod load;
pub mod memory;
pub mod own_stream;
pub mod scratch;
pub mod values;
