//! A file's column names: a name given twice makes the file ambiguous
//! (which of the two is the column?), so the file is refused.

use std::collections::HashSet;
use std::path::Path;

use super::problem::{Problem, ProblemKind, RowRef};

/// A problem for each name that appears more than once, in the order the
/// repeats are found; `line` for a CSV header.
pub fn repeated_names<'a>(
    file: &Path,
    names: impl IntoIterator<Item = &'a str>,
    line: Option<u64>,
) -> Vec<Problem> {
    let mut seen = HashSet::new();
    let mut told = HashSet::new();
    let mut problems = Vec::new();
    for name in names {
        if !seen.insert(name) && told.insert(name) {
            let mut problem = Problem::new(
                ProblemKind::DuplicateColumn,
                file,
                format!("the column name `{name}` appears more than once in this file; keep one column of each name"),
            )
            .in_column(name);
            if let Some(line) = line {
                problem = problem.at(RowRef::Line(line));
            }
            problems.push(problem);
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_repeated_name_is_told_once() {
        let problems = repeated_names(Path::new("f"), ["a", "b", "a", "c", "a", "b"], Some(1));
        let names: Vec<_> = problems.iter().map(|p| p.column.clone().unwrap()).collect();
        assert_eq!(names, vec!["a", "b"]);
        assert_eq!(problems[0].row, Some(RowRef::Line(1)));
    }
}
