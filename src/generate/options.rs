//! What `generate` is asked for, what it reports, and how it fails.

use std::path::PathBuf;

/// What to generate and where.
#[derive(Debug, Clone)]
pub struct GenOptions {
    /// The dataset folder; it must be empty or absent.
    pub out: PathBuf,
    /// Background (ordinary) insured persons; planted cases add their own.
    pub patients: u64,
    /// The same seed always gives byte-identical files.
    pub seed: u64,
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenSummary {
    /// Rows written per table: claims, claim_items, patients, catalog,
    /// providers, then labels.
    pub tables: Vec<(String, u64)>,
    /// Parquet files written.
    pub files: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum GenError {
    #[error(
        "{}: the output folder is not empty; the generator never overwrites, choose a new or empty folder",
        path.display()
    )]
    NotEmpty { path: PathBuf },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Parquet {
        path: PathBuf,
        source: parquet::errors::ParquetError,
    },
    #[error("{}: {source}", path.display())]
    Arrow {
        path: PathBuf,
        source: arrow::error::ArrowError,
    },
}
