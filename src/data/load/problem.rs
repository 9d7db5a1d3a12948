//! Problems found in a dataset: what, where (file, column, row) and how many.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The kinds of bad input, each with a stable code (documented in docs/data.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProblemKind {
    MissingTable,
    AmbiguousTable,
    UnreadableFile,
    MissingColumn,
    WrongType,
    LossyValue,
    BadText,
    NullInRequired,
    BadEnumValue,
    DuplicateKey,
    MissingReference,
    ConstraintViolated,
    NotParquet,
    DuplicateColumn,
    OutOfRange,
    LinkLoop,
}

impl ProblemKind {
    pub const ALL: [ProblemKind; 16] = [
        ProblemKind::MissingTable,
        ProblemKind::AmbiguousTable,
        ProblemKind::UnreadableFile,
        ProblemKind::MissingColumn,
        ProblemKind::WrongType,
        ProblemKind::LossyValue,
        ProblemKind::BadText,
        ProblemKind::NullInRequired,
        ProblemKind::BadEnumValue,
        ProblemKind::DuplicateKey,
        ProblemKind::MissingReference,
        ProblemKind::ConstraintViolated,
        ProblemKind::NotParquet,
        ProblemKind::DuplicateColumn,
        ProblemKind::OutOfRange,
        ProblemKind::LinkLoop,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ProblemKind::MissingTable => "D001",
            ProblemKind::AmbiguousTable => "D002",
            ProblemKind::UnreadableFile => "D003",
            ProblemKind::MissingColumn => "D004",
            ProblemKind::WrongType => "D005",
            ProblemKind::LossyValue => "D006",
            ProblemKind::BadText => "D007",
            ProblemKind::NullInRequired => "D008",
            ProblemKind::BadEnumValue => "D009",
            ProblemKind::DuplicateKey => "D010",
            ProblemKind::MissingReference => "D011",
            ProblemKind::ConstraintViolated => "D012",
            ProblemKind::NotParquet => "D013",
            ProblemKind::DuplicateColumn => "D014",
            ProblemKind::OutOfRange => "D015",
            ProblemKind::LinkLoop => "D016",
        }
    }
}

/// A row within a file: Parquet rows count from 1; text files report the
/// line of the file instead (header is line 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RowRef {
    Row(u64),
    Line(u64),
}

impl fmt::Display for RowRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RowRef::Row(n) => write!(f, "row {n}"),
            RowRef::Line(n) => write!(f, "line {n}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub kind: ProblemKind,
    pub file: PathBuf,
    pub column: Option<String>,
    pub row: Option<RowRef>,
    pub message: String,
}

impl Problem {
    pub fn new(kind: ProblemKind, file: &Path, message: impl Into<String>) -> Problem {
        Problem {
            kind,
            file: file.to_path_buf(),
            column: None,
            row: None,
            message: message.into(),
        }
    }

    pub fn in_column(mut self, column: &str) -> Problem {
        self.column = Some(column.to_string());
        self
    }

    pub fn at(mut self, row: RowRef) -> Problem {
        self.row = Some(row);
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error[{}]: ", self.kind.code())?;
        if self.file.as_os_str().is_empty() {
            // No place to name: the message stands alone.
            return f.write_str(&self.message);
        }
        write!(f, "{}", self.file.display())?;
        if let Some(column) = &self.column {
            write!(f, ", column `{column}`")?;
        }
        if let Some(row) = &self.row {
            write!(f, ", {row}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// How many rows of one problem are shown before the rest are only counted.
const EXAMPLES_PER_GROUP: usize = 10;

/// Collects problems, keeping a few examples of each (file, column, kind)
/// and counting the rest, so a file with a million bad rows stays readable.
#[derive(Debug, Default)]
pub struct ProblemLog {
    shown: Vec<Problem>,
    counts: BTreeMap<(PathBuf, Option<String>, ProblemKind), u64>,
    total: u64,
}

impl ProblemLog {
    pub fn push(&mut self, problem: Problem) {
        self.total += 1;
        let key = (problem.file.clone(), problem.column.clone(), problem.kind);
        let count = self.counts.entry(key).or_insert(0);
        *count += 1;
        if *count as usize <= EXAMPLES_PER_GROUP {
            self.shown.push(problem);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    /// The problems kept as examples, in the order they were found.
    pub fn problems(&self) -> &[Problem] {
        &self.shown
    }

    /// Groups that had more problems than were kept: (file, column, kind, not shown).
    pub fn elided(&self) -> impl Iterator<Item = (&Path, Option<&str>, ProblemKind, u64)> {
        self.counts
            .iter()
            .filter_map(|((file, column, kind), count)| {
                let hidden = count.saturating_sub(EXAMPLES_PER_GROUP as u64);
                (hidden > 0).then_some((file.as_path(), column.as_deref(), *kind, hidden))
            })
    }

    /// Adds the problems of another log (found in parallel), in its order.
    pub fn absorb(&mut self, other: ProblemLog) {
        for problem in other.shown {
            self.push(problem);
        }
        for ((file, column, kind), count) in other.counts {
            let hidden = count.saturating_sub(EXAMPLES_PER_GROUP as u64);
            if hidden > 0 {
                *self.counts.entry((file, column, kind)).or_insert(0) += hidden;
                self.total += hidden;
            }
        }
    }

    pub fn into_first(self) -> Option<Problem> {
        self.shown.into_iter().next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_column_and_row() {
        let p = Problem::new(
            ProblemKind::NullInRequired,
            Path::new("d/claims.parquet"),
            "x",
        )
        .in_column("claim_id")
        .at(RowRef::Row(7));
        assert_eq!(
            p.to_string(),
            "error[D008]: d/claims.parquet, column `claim_id`, row 7: x"
        );
    }

    #[test]
    fn every_code_is_documented() {
        let doc = include_str!("../../../docs/data.md");
        for kind in ProblemKind::ALL {
            let row = format!("| {} |", kind.code());
            assert!(
                doc.contains(&row),
                "{kind:?} ({}) is not in docs/data.md",
                kind.code()
            );
        }
    }

    #[test]
    fn log_keeps_examples_and_counts_the_rest() {
        let mut log = ProblemLog::default();
        for row in 1..=25 {
            log.push(
                Problem::new(ProblemKind::BadEnumValue, Path::new("f"), "bad")
                    .in_column("c")
                    .at(RowRef::Row(row)),
            );
        }
        assert_eq!(log.total(), 25);
        assert_eq!(log.problems().len(), EXAMPLES_PER_GROUP);
        let elided: Vec<_> = log.elided().collect();
        assert_eq!(elided.len(), 1);
        assert_eq!(elided[0].3, 15);
    }
}
