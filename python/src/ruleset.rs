//! `Ruleset`: a checked ruleset, and what runs on it (plan, scan, the
//! parts of a distributed scan, real-time checks).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow_pyarrow::{PyArrowType, Table};
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use claimaudit::check::{Checked, check_paths_or_shipped};
use claimaudit::data::load::InMemory;
use claimaudit::exec::{Compiled, Partials, ScanError};
use claimaudit::flags::flags_batch;
use claimaudit::ir;
use claimaudit::plan::Selection;
use claimaudit::syntax::Renderer;

use crate::checker::RealtimeChecker;
use crate::errors::{ClaimauditError, RulesetError, scan_error};
use crate::tables::{
    GivenTables, IN_MEMORY, batches_of, flags_table, json_to_python, limits, options,
};

/// A checked ruleset: its rules, schema and sources.
#[pyclass(frozen, module = "claimaudit._claimaudit")]
pub(crate) struct Ruleset {
    pub(crate) checked: Arc<Checked>,
}

impl Ruleset {
    fn from_checked(py: Python<'_>, checked: Checked) -> PyResult<Ruleset> {
        let loaded = Ruleset {
            checked: Arc::new(checked),
        };
        if loaded.checked.ruleset.is_none() {
            let mut renderer = Renderer::new(&loaded.checked.sources);
            let text: Vec<String> = loaded
                .checked
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .map(|d| renderer.render(d))
                .collect();
            let error = RulesetError::new_err(format!(
                "the ruleset has {} error(s):\n{}",
                loaded.checked.errors(),
                text.join("\n")
            ));
            error
                .value(py)
                .setattr("diagnostics", loaded.diagnostics(py, true)?)?;
            return Err(error);
        }
        Ok(loaded)
    }

    fn ruleset(&self) -> &ir::Ruleset {
        self.checked
            .ruleset
            .as_ref()
            .expect("a loaded ruleset has no errors")
    }

    fn compiled(&self, only: Vec<String>, realtime: bool) -> Compiled<'_> {
        let selection = Selection {
            only,
            skip_batch_only: realtime,
        };
        Compiled::new(self.ruleset(), &selection, &self.checked.sources)
    }

    /// Scans tables given in memory with the interpreter lock released:
    /// the whole scan, or (`part`) one part of a split one with its partials.
    #[allow(clippy::too_many_arguments)]
    fn scan_memory(
        &self,
        py: Python<'_>,
        tables: GivenTables,
        threads: Option<usize>,
        memory_limit: Option<u64>,
        temp_dir: Option<PathBuf>,
        only: Vec<String>,
        part: bool,
    ) -> PyResult<(Vec<RecordBatch>, Option<Partials>)> {
        let options = options(InMemory::new(batches_of(tables)), threads);
        let limits = limits(memory_limit, temp_dir);
        let compiled = self.compiled(only, false);
        let dir = Path::new(IN_MEMORY);
        let scanned = py.detach(|| {
            let mut flags = Vec::new();
            let mut sink = |b| {
                flags.push(b);
                Ok(())
            };
            let partials = if part {
                Some(
                    compiled
                        .scan_part_into(dir, &options, &limits, &|_| {}, &mut sink)?
                        .1,
                )
            } else {
                compiled.scan_into(dir, &options, &limits, &|_| {}, &mut sink)?;
                None
            };
            Ok::<_, ScanError>((flags, partials))
        });
        scanned.map_err(|e| scan_error(py, e))
    }

    fn diagnostics(&self, py: Python<'_>, errors: bool) -> PyResult<Vec<Py<PyAny>>> {
        self.checked
            .diagnostics
            .iter()
            .filter(|d| d.is_error() == errors)
            .map(|d| json_to_python(py, &d.to_json(&self.checked.sources)))
            .collect()
    }
}

#[pymethods]
impl Ruleset {
    /// Loads and checks the rules in `path` (a file or a folder of
    /// `.rules` files), or the shipped CHS rules when `path` is None.
    #[staticmethod]
    #[pyo3(signature = (path=None))]
    fn load(py: Python<'_>, path: Option<PathBuf>) -> PyResult<Ruleset> {
        let paths: Vec<PathBuf> = path.into_iter().collect();
        let checked = py
            .detach(|| check_paths_or_shipped(&paths))
            .map_err(|e| PyOSError::new_err(e.to_string()))?;
        Ruleset::from_checked(py, checked)
    }

    /// Checks a ruleset given as its files' texts, `[(path, text), ...]`
    /// as `sources()` gives them: how a cluster's workers get the rules
    /// the driver loaded, with no shared file system.
    #[staticmethod]
    fn from_sources(py: Python<'_>, files: Vec<(PathBuf, String)>) -> PyResult<Ruleset> {
        let checked = py.detach(|| {
            let mut parsed = claimaudit::syntax::Parsed::default();
            for (path, text) in files {
                claimaudit::syntax::parse_text_into(&mut parsed, &path, text);
            }
            claimaudit::check::check_parsed(parsed)
        });
        Ruleset::from_checked(py, checked)
    }

    /// The ruleset's files as `[(path, text), ...]`.
    fn sources(&self) -> Vec<(String, String)> {
        self.checked
            .sources
            .files()
            .map(|(_, f)| (f.path.display().to_string(), f.text.clone()))
            .collect()
    }
    #[getter]
    fn name(&self) -> String {
        self.ruleset().name.clone()
    }

    #[getter]
    fn version(&self) -> String {
        self.ruleset().version.clone()
    }

    /// sha256 over the source files, as in every flag's `ruleset_hash`.
    #[getter]
    fn hash(&self) -> String {
        self.ruleset().hash.clone()
    }

    /// The rule ids, in the ruleset's order.
    #[getter]
    fn rule_ids(&self) -> Vec<String> {
        self.ruleset().rules.iter().map(|r| r.id.clone()).collect()
    }

    /// The tables a scan reads, in the order it reads them.
    fn tables(&self) -> Vec<String> {
        let compiled = self.compiled(Vec::new(), false);
        compiled
            .plan()
            .loads
            .iter()
            .map(|l| l.table.clone())
            .collect()
    }

    /// The tables every row of a key is routed with (a distributed scan's
    /// partitions), each with how it reaches the key: `{"table": ...,
    /// "by": "columns", "columns": [...]}` or `{"table": ..., "by":
    /// "relation", "from_columns": [...], "to_table": ..., "to_columns":
    /// [...]}`, with the table's `key` and whether it is checked unique
    /// while routing (`key_checked_while_routing`: rows of one key may
    /// reach different partitions). Empty when the plan has no partition key.
    fn routes(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let compiled = self.compiled(Vec::new(), false);
        let ruleset = self.ruleset();
        let routes: Vec<serde_json::Value> = match &compiled.plan().exchange {
            claimaudit::plan::Exchange::Key { routed, .. } => routed
                .iter()
                .map(|r| {
                    // The route's own fields (`by`, its columns) at the top.
                    let mut route = serde_json::to_value(&r.route).expect("routes serialize");
                    let key = ruleset.schema.table(&r.table).and_then(|t| t.key.clone());
                    route["table"] = serde_json::json!(r.table);
                    route["key"] = serde_json::json!(key);
                    route["key_checked_while_routing"] =
                        serde_json::json!(r.key_checked_while_routing);
                    route
                })
                .collect(),
            claimaudit::plan::Exchange::Whole { .. } => Vec::new(),
        };
        json_to_python(py, &serde_json::Value::Array(routes))
    }

    /// The checker's warnings, as dicts with code, message, file, line and column.
    #[getter]
    fn warnings(&self, py: Python<'_>) -> PyResult<Vec<Py<PyAny>>> {
        self.diagnostics(py, false)
    }

    /// The plan a scan runs, as `claimaudit plan` prints it ("text") or as
    /// a dict ("json": operators, exchange, loads, lookups).
    #[pyo3(signature = (format="text", realtime=false, only=None))]
    fn plan(
        &self,
        py: Python<'_>,
        format: &str,
        realtime: bool,
        only: Option<Vec<String>>,
    ) -> PyResult<Py<PyAny>> {
        let compiled = self.compiled(only.unwrap_or_default(), realtime);
        match format {
            "text" => Ok(compiled
                .plan()
                .to_string()
                .into_pyobject(py)?
                .into_any()
                .unbind()),
            "json" => json_to_python(py, &compiled.plan().to_json()),
            other => Err(PyValueError::new_err(format!(
                "unknown plan format `{other}`; use \"text\" or \"json\""
            ))),
        }
    }

    /// Every rule over the tables (by table name), as `claimaudit scan`
    /// runs them over files: the flags in output order.
    #[pyo3(signature = (tables, threads=None, memory_limit=None, temp_dir=None, only=None))]
    fn scan(
        &self,
        py: Python<'_>,
        tables: GivenTables,
        threads: Option<usize>,
        memory_limit: Option<u64>,
        temp_dir: Option<PathBuf>,
        only: Option<Vec<String>>,
    ) -> PyResult<PyArrowType<Table>> {
        let only = only.unwrap_or_default();
        let (flags, _) =
            self.scan_memory(py, tables, threads, memory_limit, temp_dir, only, false)?;
        flags_table(flags)
    }

    /// One part of a scan split by the plan's partition key (every row of
    /// a key in one part, the shared tables whole): its flags, and the
    /// population rules' partial aggregates as bytes for `finish_parts`.
    #[pyo3(signature = (tables, threads=None, memory_limit=None, temp_dir=None))]
    fn scan_part<'py>(
        &self,
        py: Python<'py>,
        tables: GivenTables,
        threads: Option<usize>,
        memory_limit: Option<u64>,
        temp_dir: Option<PathBuf>,
    ) -> PyResult<(PyArrowType<Table>, Bound<'py, PyBytes>)> {
        let (flags, partials) = self.scan_memory(
            py,
            tables,
            threads,
            memory_limit,
            temp_dir,
            Vec::new(),
            true,
        )?;
        let partials = partials.expect("a scan in parts gives partials").to_bytes();
        Ok((flags_table(flags)?, PyBytes::new(py, &partials)))
    }

    /// What a split scan runs once every part has: the rules over the
    /// shared tables and the population rules from the parts' partials.
    #[pyo3(signature = (shared_tables, partials, threads=None))]
    fn finish_parts(
        &self,
        py: Python<'_>,
        shared_tables: GivenTables,
        partials: Vec<Vec<u8>>,
        threads: Option<usize>,
    ) -> PyResult<PyArrowType<Table>> {
        let ruleset = self.ruleset();
        let mut merged = Partials::new(&ruleset.hash);
        for bytes in &partials {
            let part = Partials::from_bytes(bytes).map_err(ClaimauditError::new_err)?;
            merged
                .absorb(ruleset, part)
                .map_err(ClaimauditError::new_err)?;
        }
        let options = options(InMemory::new(batches_of(shared_tables)), threads);
        let compiled = self.compiled(Vec::new(), false);
        let flags = py
            .detach(|| compiled.finish_parts(Path::new(IN_MEMORY), &options, &merged))
            .map_err(|e| scan_error(py, e))?;
        flags_table(vec![flags_batch(&flags)])
    }

    /// A checker for real-time checks against these reference tables (all
    /// but the claim tables), their indexes built once.
    fn checker(
        self_: PyRef<'_, Self>,
        py: Python<'_>,
        reference: GivenTables,
    ) -> PyResult<RealtimeChecker> {
        RealtimeChecker::new(py, self_.checked.clone(), reference)
    }

    /// Checks one claim against a patient's history, as the real-time
    /// service does: `tables` holds the history and the claim's rows (of
    /// the claim tables), `reference` the other tables. The flags name the
    /// claim or its lines.
    fn check_claim(
        self_: PyRef<'_, Self>,
        py: Python<'_>,
        claim_id: &str,
        tables: GivenTables,
        reference: GivenTables,
    ) -> PyResult<PyArrowType<Table>> {
        RealtimeChecker::new(py, self_.checked.clone(), reference)?.check(py, claim_id, tables)
    }

    fn __repr__(&self) -> String {
        let ruleset = self.ruleset();
        format!(
            "<claimaudit.Ruleset {:?} version {} ({} rules)>",
            ruleset.name,
            ruleset.version,
            ruleset.rules.len()
        )
    }
}
