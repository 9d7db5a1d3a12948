//! Python bindings of claimaudit, the module `claimaudit._claimaudit`
//! (the package `claimaudit` wraps it). A ruleset is loaded and checked
//! once; Arrow tables come in and flags go out through the Arrow C data
//! interface, without copies; the engine runs with the interpreter lock
//! released. The pieces of a distributed scan (a part, then the finish)
//! are here too, for `claimaudit.spark`.

mod checker;
mod errors;
mod ruleset;
mod tables;

use arrow_pyarrow::PyArrowType;
use pyo3::prelude::*;

use claimaudit::flags::flags_arrow_schema;

use checker::RealtimeChecker;
use errors::{ClaimauditError, DataError, RulesetError};
use ruleset::Ruleset;

#[pymodule]
fn _claimaudit(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<Ruleset>()?;
    m.add_class::<RealtimeChecker>()?;
    m.add("ClaimauditError", py.get_type::<ClaimauditError>())?;
    m.add("RulesetError", py.get_type::<RulesetError>())?;
    m.add("DataError", py.get_type::<DataError>())?;
    m.add_function(wrap_pyfunction!(flags_schema, m)?)?;
    Ok(())
}

/// The flags' Arrow schema (a `pyarrow.Schema`): the contract's flags
/// table, for callers that declare it up front (a Spark grouped map).
#[pyfunction]
fn flags_schema() -> PyArrowType<arrow::datatypes::Schema> {
    PyArrowType(flags_arrow_schema().as_ref().clone())
}
