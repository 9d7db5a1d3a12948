//! Loading a dataset folder: finding each table's files, converting what
//! exports wrote into the contract's types without losing a value, and
//! validating keys, references, enumerations and row constraints.

pub mod checks;
pub mod conform;
pub mod keys;
pub mod problem;
pub mod read;
pub mod sources;
pub mod summary;
pub mod validate;

pub use problem::{Problem, ProblemKind, ProblemLog, RowRef};
pub use read::{LoadedBatch, read_table};
pub use sources::{FileFormat, TableSource, locate_tables};
pub use summary::TableSummary;
pub use validate::{Narrow, Thoroughness, Validation, load_dataset, validate_dataset};
