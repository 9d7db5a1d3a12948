//! The engine, composed once: a ruleset compiled to its plan, and the
//! steps every way of running it shares (read what the plan needs, build
//! frames and lookups, run). Scans, real-time checks, rule tests,
//! `explain`, history import and the benches all go through it, so each
//! says only which rules and which tables it wants, and none edits a plan.

use std::path::Path;
use std::sync::Arc;

use arrow::array::RecordBatch;

use super::ExecOptions;
use super::env::{Env, Frame, Frames, Prepared, RulesetConsts};
use super::read::{Notes, read_stored};
use super::run::{
    PartitionOutput, execute_on, execute_passes, execute_passes_on, frame_for, lookups_for,
    missing_lookups, prepare, sorted_structs, thread_pool,
};
use super::tables::{Lookups, Tables};
use crate::data::load::{LoadOptions, Problem};
use crate::flags::Flag;
use crate::ir::{Rule, Ruleset};
use crate::plan::{Plan, Selection, plan};
use crate::syntax::Sources;

/// A ruleset and its plan, ready to read data and run.
pub struct Compiled<'r> {
    plan: Plan<'r>,
    /// What every run reads of the ruleset besides its rules.
    consts: Arc<RulesetConsts<'r>>,
}

impl<'r> Compiled<'r> {
    /// Plans the `selection` of `ruleset`'s rules.
    pub fn new(ruleset: &'r Ruleset, selection: &Selection, sources: &Sources) -> Compiled<'r> {
        Compiled::of(plan(ruleset, selection, sources))
    }

    /// Runs no rules; reads every column of `tables` (see
    /// [`Plan::whole_tables`]).
    pub fn whole_tables(ruleset: &'r Ruleset, tables: &[String]) -> Compiled<'r> {
        Compiled::of(Plan::whole_tables(ruleset, tables))
    }

    /// Runs no rules; reads what this one reads but for `tables` (see
    /// [`Plan::reads_except`]).
    pub fn reads_except(&self, tables: &[String]) -> Compiled<'r> {
        Compiled {
            plan: self.plan.reads_except(tables),
            consts: Arc::clone(&self.consts),
        }
    }

    fn of(plan: Plan<'r>) -> Compiled<'r> {
        let consts = Arc::new(RulesetConsts::new(plan.ruleset));
        Compiled { plan, consts }
    }

    /// The ruleset's constants every [`Env`] of this plan shares.
    pub fn consts(&self) -> Arc<RulesetConsts<'r>> {
        Arc::clone(&self.consts)
    }

    pub fn plan(&self) -> &Plan<'r> {
        &self.plan
    }

    pub fn ruleset(&self) -> &'r Ruleset {
        self.plan.ruleset
    }

    /// The rules this runs, in order.
    pub fn rules(&self) -> Vec<&'r Rule> {
        let ruleset = self.plan.ruleset;
        self.plan.rules.iter().map(|i| &ruleset.rules[*i]).collect()
    }

    /// Reads the tables and columns the plan needs from `dir`, in the
    /// contract's types.
    pub fn read(
        &self,
        dir: &Path,
        load: &LoadOptions,
        progress: &(dyn Fn(&str, u64) + Sync),
    ) -> Result<Tables, Box<Problem>> {
        read_stored(&self.plan, dir, load, progress, false).map(|(tables, _)| tables)
    }

    /// [`Compiled::read`], each batch narrowed to compact storage as it
    /// arrives (what a scan holds in memory), with what the loader skipped.
    pub fn read_compact(
        &self,
        dir: &Path,
        load: &LoadOptions,
        progress: &(dyn Fn(&str, u64) + Sync),
    ) -> Result<(Tables, Notes), Box<Problem>> {
        read_stored(&self.plan, dir, load, progress, true)
    }

    /// The rows the plan will read from `dir`, from the Parquet files'
    /// metadata, before anything is read: the total for progress. `None`
    /// when a table is CSV (its rows are known only once read) or missing.
    pub fn rows_to_read(&self, dir: &Path, load: &LoadOptions) -> Option<u64> {
        let wanted = |t: &str| self.plan.loads.iter().any(|l| l.table == t);
        crate::data::load::read::rows_in(dir, &self.plan.ruleset.schema, load, &wanted)
    }

    /// A frame of `table` with every column the plan reads from it (those
    /// the batch lacks are nulls); `None` when the plan reads no such table.
    pub fn frame(&self, table: &str, batch: Option<RecordBatch>) -> Option<Frame> {
        frame_for(&self.plan, table, batch)
    }

    /// Every lookup the plan follows between `frames`, built in parallel.
    pub fn lookups(&self, frames: &Frames) -> Lookups {
        lookups_for(&self.plan, frames)
    }

    /// Adds to `lookups` those the plan follows that it lacks, between
    /// `frames`: side by side when `parallel` (a partition of a scan), else
    /// one after the other (a real-time check: few rows).
    pub fn complete_lookups(&self, frames: &Frames, lookups: &mut Lookups, parallel: bool) {
        let missing = missing_lookups(&self.plan, frames, lookups, parallel);
        lookups.extend(missing);
    }

    /// What one partition runs against: the `shared` frames (each table
    /// whole) with the lookups among them, built once, and this
    /// partition's rows of the other tables (`tables`; a table it lacks is
    /// empty). A scan's partitions and a real-time check (one patient's
    /// history and claim) both run on it.
    pub fn partition_env<'a>(
        &'a self,
        shared: &Frames,
        shared_lookups: &Lookups,
        mut tables: Tables,
        options: &'a ExecOptions,
        parallel: bool,
    ) -> Env<'a> {
        let mut frames = shared.clone();
        for load in &self.plan.loads {
            if frames.contains_key(&load.table) {
                continue;
            }
            if let Some(frame) = self.frame(&load.table, tables.remove(&load.table)) {
                frames.insert(load.table.clone(), Arc::new(frame));
            }
        }
        let mut lookups = shared_lookups.clone();
        // A scan's partition puts its rows in order (the plan's `order`
        // steps). A check's rows are one patient's, few and together, and
        // its reach names them by position: they stay as they came.
        if parallel {
            super::arrange::arrange(&self.plan, &mut frames, &mut lookups);
        }
        self.complete_lookups(&frames, &mut lookups, parallel);
        let mut env = Env::new(
            self.plan.ruleset,
            self.consts(),
            frames,
            lookups,
            &options.overrides,
        );
        env.parallel = parallel;
        self.with_row_matches(env)
    }

    /// Runs the passes over the tables `include` names on one partition;
    /// with `partial`, population rules give partial aggregates. The flags
    /// come back in output order.
    pub fn run_partition(
        &self,
        pool: &rayon::ThreadPool,
        env: &Env<'_>,
        options: &ExecOptions,
        include: &(dyn Fn(&str) -> bool + Sync),
        partial: bool,
    ) -> PartitionOutput {
        execute_passes_on(pool, &self.plan, env, options, include, partial)
    }

    /// [`Compiled::run_partition`] on the caller's thread when `env` is not
    /// parallel (a real-time check), else on the current pool.
    pub fn run_partition_here(
        &self,
        env: &Env<'_>,
        options: &ExecOptions,
        include: &(dyn Fn(&str) -> bool + Sync),
    ) -> Vec<Flag> {
        let (flags, _) = execute_passes(&self.plan, env, options, include, false);
        sorted_structs(flags, env.parallel)
    }

    /// Frames for every table the plan reads, and the lookups between them.
    pub fn prepare(&self, tables: Tables) -> Prepared {
        prepare(&self.plan, tables)
    }

    /// What the rules run against: [`Compiled::prepare`]d `tables`, with
    /// the parameters `options` overrides.
    pub fn env<'a>(&'a self, tables: Tables, options: &'a ExecOptions) -> Env<'a> {
        let (frames, lookups) = self.prepare(tables);
        self.with_row_matches(Env::new(
            self.plan.ruleset,
            self.consts(),
            frames,
            lookups,
            &options.overrides,
        ))
    }

    /// `env` with the lookups of the rules' `match`es that are not pairs'
    /// (they read values of the rules' rows, so they follow the relations).
    fn with_row_matches<'a>(&'a self, mut env: Env<'a>) -> Env<'a> {
        super::known::add_row_matches(&mut env, &self.plan);
        env
    }

    /// Runs the rules on a pool of `options.threads`. The flags come back
    /// in output order, the same whatever the threads and batch size.
    pub fn run(&self, env: &Env<'_>, options: &ExecOptions) -> Vec<Flag> {
        self.run_on(&thread_pool(options.threads), env, options)
    }

    /// [`Compiled::run`] on a pool the caller keeps (the real-time service).
    pub fn run_on(
        &self,
        pool: &rayon::ThreadPool,
        env: &Env<'_>,
        options: &ExecOptions,
    ) -> Vec<Flag> {
        execute_on(pool, &self.plan, env, options)
    }
}
