//! The exceptions the module raises, and how the engine's errors become them.

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyOSError};
use pyo3::prelude::*;

use claimaudit::data::load::{InMemory, Problem, RowRef};
use claimaudit::exec::ScanError;

create_exception!(
    _claimaudit,
    ClaimauditError,
    PyException,
    "Something claimaudit could not do."
);
create_exception!(
    _claimaudit,
    RulesetError,
    ClaimauditError,
    "A ruleset with errors: `diagnostics` holds each, with its code, file, line and column."
);
create_exception!(
    _claimaudit,
    DataError,
    ClaimauditError,
    "Tables that do not follow the data contract: `code`, `table`, `column` and `row` say where."
);

pub(crate) fn data_error(py: Python<'_>, problem: &Problem) -> PyErr {
    let error = DataError::new_err(problem.to_string());
    let value = error.value(py);
    // A problem of the whole dataset names no table.
    let table = InMemory::table_of(&problem.file);
    let row = problem.row.as_ref().map(|r| match r {
        RowRef::Row(n) | RowRef::Line(n) => *n,
    });
    let set = || -> PyResult<()> {
        value.setattr("code", problem.kind.code())?;
        value.setattr("table", table)?;
        value.setattr("column", problem.column.clone())?;
        value.setattr("row", row)?;
        value.setattr("message", problem.message.clone())?;
        Ok(())
    };
    match set() {
        Ok(()) => error,
        Err(e) => e,
    }
}

pub(crate) fn scan_error(py: Python<'_>, error: ScanError) -> PyErr {
    match error {
        ScanError::Data(problem) => data_error(py, &problem),
        ScanError::Io(message) => PyOSError::new_err(message),
        ScanError::Memory(message) => ClaimauditError::new_err(message),
    }
}
