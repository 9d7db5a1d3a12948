//! What the service serves from: the loaded ruleset with its checker (an
//! `Engine`, built once per load and shared by every check), swapped whole
//! on reload. A request takes the `Arc` of the engine current when it
//! starts and keeps it to the end, so a reload never drops or changes a
//! request in flight; the old engine is freed when its last request ends.

use super::isolation::PatientGate;
use super::long_checks::LongChecks;
use std::mem::ManuallyDrop;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::{Arc, RwLock};

use serde_json::Value as Json;

use super::clock::Clock;
use super::history::HistoryStore;
use super::limits::Limits;
use super::lookback::LookBack;
use super::metrics::Metrics;
use super::plausible::Window;
use super::shape::ClaimShape;
use crate::check::check_paths_or_shipped;
use crate::data::load::LoadOptions;
use crate::exec::{Checker, Tables};
use crate::ir::Ruleset;
use crate::syntax::{Renderer, Sources};

/// A checked ruleset, its reference tables and everything derived from them.
pub struct Engine {
    // The checker borrows the ruleset below; it is dropped first (see Drop).
    checker: ManuallyDrop<Checker<'static>>,
    ruleset: NonNull<Ruleset>,
    pub shape: ClaimShape,
    pub lookback: LookBack,
    /// The ruleset's warnings, as JSON diagnostics.
    pub warnings: Vec<Json>,
    /// Unique to this engine: histories it decoded are kept under it, so a
    /// reload (another shape, perhaps) decodes anew.
    pub generation: u64,
}

/// Engines built so far, to number them.
static ENGINES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

// SAFETY: the ruleset is owned by the engine, never mutated after it is
// built, and `Ruleset` and `Checker` are themselves `Send + Sync`: the
// pointer is only ever read through shared references.
unsafe impl Send for Engine {}
unsafe impl Sync for Engine {}

impl Drop for Engine {
    fn drop(&mut self) {
        // SAFETY: the checker is the only borrower of the ruleset and is
        // dropped first; the ruleset came from `Box::leak` in `build`.
        unsafe {
            ManuallyDrop::drop(&mut self.checker);
            drop(Box::from_raw(self.ruleset.as_ptr()));
        }
    }
}

/// Why a ruleset or its reference data could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    /// The ruleset does not check: its diagnostics (JSON) and their text.
    Ruleset {
        diagnostics: Vec<Json>,
        rendered: String,
    },
    /// The reference tables could not be read.
    Data(String),
    /// The schema does not describe claims the service can take.
    Shape(String),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Ruleset { rendered, .. } => {
                write!(f, "the ruleset does not check:\n{rendered}")
            }
            LoadError::Data(m) => write!(f, "reference data: {m}"),
            LoadError::Shape(m) => write!(f, "schema: {m}"),
        }
    }
}

impl Engine {
    /// Checks the ruleset in `rules` (the shipped one when empty) and reads
    /// its reference tables from the dataset folder `data`.
    pub fn load(rules: &[PathBuf], data: &Path, load: &LoadOptions) -> Result<Engine, LoadError> {
        let checked = check_paths_or_shipped(rules).map_err(|e| LoadError::Ruleset {
            diagnostics: Vec::new(),
            rendered: e.to_string(),
        })?;
        let diagnostics: Vec<Json> = checked
            .diagnostics
            .iter()
            .map(|d| d.to_json(&checked.sources))
            .collect();
        let Some(ruleset) = checked.ruleset else {
            let mut renderer = Renderer::new(&checked.sources);
            let rendered = checked
                .diagnostics
                .iter()
                .map(|d| renderer.render(d))
                .collect::<Vec<_>>()
                .join("\n");
            return Err(LoadError::Ruleset {
                diagnostics,
                rendered,
            });
        };
        let reference = Checker::load_reference(&ruleset, &checked.sources, data, load)
            .map_err(|p| LoadError::Data(p.to_string()))?;
        let mut engine = Engine::build(ruleset, &checked.sources, reference)?;
        engine.warnings = diagnostics;
        Ok(engine)
    }

    /// An engine over reference tables already in memory.
    pub fn build(
        ruleset: Ruleset,
        sources: &Sources,
        reference: Tables,
    ) -> Result<Engine, LoadError> {
        let shape = ClaimShape::of(&ruleset).map_err(LoadError::Shape)?;
        let lookback = LookBack::derive(&ruleset, &shape);
        let ruleset = NonNull::from(Box::leak(Box::new(ruleset)));
        // SAFETY: the box is freed only in `Drop`, after the checker.
        let borrowed: &'static Ruleset = unsafe { ruleset.as_ref() };
        let checker = Checker::new(borrowed, sources, reference);
        Ok(Engine {
            checker: ManuallyDrop::new(checker),
            ruleset,
            shape,
            lookback,
            warnings: Vec::new(),
            generation: ENGINES.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        })
    }

    pub fn ruleset(&self) -> &Ruleset {
        // SAFETY: owned by the engine until it drops.
        unsafe { self.ruleset.as_ref() }
    }

    pub fn checker(&self) -> &Checker<'_> {
        &self.checker
    }

    /// `{name, version, hash}` of the ruleset.
    pub fn ruleset_json(&self) -> Json {
        let r = self.ruleset();
        serde_json::json!({ "name": r.name, "version": r.version, "hash": r.hash })
    }
}

/// How the service was started.
#[derive(Debug, Clone)]
pub struct Settings {
    pub token: String,
    pub max_body_bytes: usize,
    /// Days a claim may come late: history is pruned to the look-back of a
    /// claim dated these days before today.
    pub grace_days: i64,
    pub rules: Vec<PathBuf>,
    pub data: PathBuf,
    /// Where today comes from (`--today`; the system clock by default).
    pub clock: Clock,
    /// Days after today a claim's dates may fall (`--future-tolerance-days`).
    pub future_tolerance_days: i64,
    pub limits: Limits,
    /// How the reference tables' files are read (`--encoding`).
    pub load: LoadOptions,
}

impl Settings {
    /// The plausible window of a claim's dates, as of now.
    pub fn window(&self) -> Window {
        Window::new(self.clock.today(), self.future_tolerance_days)
    }

    /// The day the store's look-back is measured from: today minus the grace.
    pub fn prune_reference(&self) -> i32 {
        prune_reference(self.clock.today(), self.grace_days)
    }
}

/// `today - grace_days`, within the days a date can hold.
pub fn prune_reference(today: i32, grace_days: i64) -> i32 {
    (today as i64 - grace_days).clamp(i32::MIN as i64, i32::MAX as i64) as i32
}

/// Everything the handlers share.
pub struct AppState {
    engine: RwLock<Arc<Engine>>,
    pub store: HistoryStore,
    pub metrics: Metrics,
    /// Turns of each patient's checks (`isolation`).
    pub gate: PatientGate,
    /// Threads of a lower priority for long checks.
    pub long_checks: Arc<LongChecks>,
    pub settings: Settings,
    reloading: tokio::sync::Mutex<()>,
}

impl AppState {
    pub fn new(engine: Engine, store: HistoryStore, settings: Settings) -> AppState {
        let metrics = Metrics::default();
        metrics.set_ruleset(engine.ruleset());
        let gate = PatientGate::new(
            settings.limits.checks_per_patient,
            settings.limits.patient_wait,
        );
        AppState {
            engine: RwLock::new(Arc::new(engine)),
            store,
            metrics,
            gate,
            long_checks: Arc::new(LongChecks::new(0)),
            settings,
            reloading: tokio::sync::Mutex::new(()),
        }
    }

    /// The engine serving now.
    pub fn engine(&self) -> Arc<Engine> {
        self.engine
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Loads the ruleset and reference data again and, when they check,
    /// serves them from the next request on; otherwise keeps the old ones.
    pub async fn reload(&self) -> Result<Arc<Engine>, LoadError> {
        let _one_at_a_time = self.reloading.lock().await;
        let (rules, data) = (self.settings.rules.clone(), self.settings.data.clone());
        let load = self.settings.load.clone();
        let loaded = tokio::task::spawn_blocking(move || Engine::load(&rules, &data, &load))
            .await
            .map_err(|e| LoadError::Data(format!("the reload stopped: {e}")))??;
        let engine = Arc::new(loaded);
        self.metrics.set_ruleset(engine.ruleset());
        *self.engine.write().unwrap_or_else(|e| e.into_inner()) = engine.clone();
        Ok(engine)
    }
}
