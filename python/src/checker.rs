//! `RealtimeChecker`: real-time checks of one claim against a history.

use std::path::Path;
use std::sync::Arc;

use arrow_pyarrow::{PyArrowType, Table};
use pyo3::prelude::*;

use claimaudit::check::Checked;
use claimaudit::data::load::{InMemory, LoadOptions, Problem};
use claimaudit::exec::{Checker, Compiled};
use claimaudit::flags::{Flag, flags_batch};
use claimaudit::ir;

use crate::errors::data_error;
use crate::tables::{GivenTables, IN_MEMORY, batches_of, flags_table};

/// A ruleset ready for real-time checks, its reference tables indexed.
#[pyclass(frozen, module = "claimaudit._claimaudit")]
pub(crate) struct RealtimeChecker {
    // Declared first, so dropped before the ruleset it borrows.
    checker: Checker<'static>,
    checked: Arc<Checked>,
}

impl RealtimeChecker {
    pub(crate) fn new(
        py: Python<'_>,
        checked: Arc<Checked>,
        reference: GivenTables,
    ) -> PyResult<Self> {
        // SAFETY: the ruleset and sources live in `checked`, an Arc this
        // struct holds for as long as `checker` (dropped first) borrows them.
        let (ruleset, sources): (&'static ir::Ruleset, &'static claimaudit::syntax::Sources) = unsafe {
            let checked: &'static Checked = &*Arc::as_ptr(&checked);
            (
                checked
                    .ruleset
                    .as_ref()
                    .expect("a loaded ruleset has no errors"),
                &checked.sources,
            )
        };
        let load = LoadOptions {
            memory: Some(InMemory::new(batches_of(reference))),
            ..LoadOptions::default()
        };
        let checker = py.detach(|| {
            let tables = Checker::load_reference(ruleset, sources, Path::new(IN_MEMORY), &load)?;
            Ok::<_, Box<Problem>>(Checker::new(ruleset, sources, tables))
        });
        let checker = checker.map_err(|p| data_error(py, &p))?;
        Ok(RealtimeChecker { checker, checked })
    }
}

#[pymethods]
impl RealtimeChecker {
    /// Checks claim `claim_id`: `tables` holds the patient's history and
    /// the claim's rows, by table. The flags that name the claim or its
    /// lines, in output order.
    pub(crate) fn check(
        &self,
        py: Python<'_>,
        claim_id: &str,
        tables: GivenTables,
    ) -> PyResult<PyArrowType<Table>> {
        let ruleset = self
            .checked
            .ruleset
            .as_ref()
            .expect("a loaded ruleset has no errors");
        let claim_tables = Checker::claim_tables(ruleset);
        let load = LoadOptions {
            memory: Some(InMemory::new(batches_of(tables))),
            ..LoadOptions::default()
        };
        let flags: Result<Vec<Flag>, Box<Problem>> = py.detach(|| {
            let rows = Compiled::whole_tables(ruleset, &claim_tables).read(
                Path::new(IN_MEMORY),
                &load,
                &|_, _| {},
            )?;
            Ok(self.checker.check(rows, claim_id).flags)
        });
        let flags = flags.map_err(|p| data_error(py, &p))?;
        flags_table(vec![flags_batch(&flags)])
    }

    /// The rules a real-time check leaves out (they need the whole dataset).
    #[getter]
    fn skipped(&self) -> Vec<String> {
        self.checker.skipped()
    }
}
