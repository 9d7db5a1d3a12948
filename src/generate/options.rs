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
    /// The order of the rows of `claims` and `claim_items`.
    pub order: Order,
    /// How many planted cases per background patient.
    pub profile: Profile,
    /// Background rows of the knowledge base of exclusive items, at most
    /// [`MAX_EXCLUSIVE_ITEMS`]; the planted cases add their own pairs.
    pub exclusive_items: u64,
}

/// A region's knowledge base of exclusive items lists some thousands of
/// pairs; national ones run to millions.
pub const DEFAULT_EXCLUSIVE_ITEMS: u64 = 5_000;
/// The most background rows the knowledge base's codes stay unique for.
pub const MAX_EXCLUSIVE_ITEMS: u64 = 100_000_000;

impl GenOptions {
    /// Today's dataset: patient order, clean profile, the default
    /// knowledge base.
    pub fn new(out: impl Into<PathBuf>, patients: u64, seed: u64) -> GenOptions {
        GenOptions {
            out: out.into(),
            patients,
            seed,
            order: Order::Patient,
            profile: Profile::Clean,
            exclusive_items: DEFAULT_EXCLUSIVE_ITEMS,
        }
    }
}

/// The order rows of `claims` and `claim_items` are written in; the rows
/// themselves (and the labels, which name ids) do not depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Order {
    /// Patient by patient, as drawn (the default: datasets as before).
    #[default]
    Patient,
    /// By settlement time, then claim id and line number; a line goes with
    /// its claim's time. Settlement systems export this way.
    Time,
    /// A random order drawn from the seed; a claim's lines are scattered too.
    Shuffled,
}

/// How densely violations are planted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Profile {
    /// A clean background with a few planted cases of every rule: about
    /// 0.04 % of lines flagged at 20,000 patients, fewer above.
    #[default]
    Clean,
    /// The planted cases and near-misses played again for many new persons:
    /// about a fifth of lines flagged, spread over every rule, like a first
    /// scan of a region's data. About 48 lines and 17 planted persons per
    /// background patient: `--patients 230000` writes about 11.1 million lines.
    Dense,
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenSummary {
    /// Rows written per table: claims, claim_items, patients, catalog,
    /// providers, exclusive_items, then labels.
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
    #[error("cannot write the rows planted from tests in `{table}`: {message}")]
    Planting { table: String, message: String },
    #[error("{}: {source}", path.display())]
    Arrow {
        path: PathBuf,
        source: arrow::error::ArrowError,
    },
}
