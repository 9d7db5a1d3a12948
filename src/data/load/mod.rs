//! Loading a dataset folder: finding each table's files, converting what
//! exports wrote into the contract's types without losing a value, and
//! validating keys, references, enumerations and row constraints.

pub mod checks;
pub mod conform;
mod csv_file;
pub mod decode;
pub mod folder;
pub mod header;
pub mod keys;
pub mod magic;
pub mod memory;
pub mod numbers;
pub mod options;
pub mod problem;
pub mod ranges;
pub mod read;
pub mod sources;
pub mod summary;
pub mod validate;

pub use memory::InMemory;
pub use options::{LoadOptions, TextEncoding};
pub use problem::{Problem, ProblemKind, ProblemLog, RowRef};
pub use read::{LoadedBatch, read_table};
pub use sources::{FileFormat, Located, TableSource, locate_all, locate_tables};
pub use summary::TableSummary;
pub use validate::{
    Narrow, Thoroughness, Validation, first_problem_of, load_dataset, validate_dataset,
    validate_dataset_with,
};
