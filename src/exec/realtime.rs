//! Real-time checks: one claim, judged against the patient's history, with
//! the reference tables loaded once and shared by every check.
//!
//! The flags of a check are exactly those a batch scan of (history + this
//! claim) gives that name this claim or its lines; batch-only rules are
//! left out.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::RecordBatch;

use super::compiled::Compiled;
use super::env::{Env, Frames};
use super::run::ExecOptions;
use super::tables::{Lookups, Tables};
use crate::flags::Flag;
use crate::ir::{FlagField, Ruleset};
use crate::plan::Selection;
use crate::syntax::Sources;

/// A ruleset ready for real-time checks.
pub struct Checker<'r> {
    compiled: Compiled<'r>,
    /// Tables whose rows come with each check (those a flag can name a claim by).
    claim_tables: Vec<String>,
    reference: Frames,
    /// Lookups that stay within the reference tables, built once.
    reference_lookups: Lookups,
    options: ExecOptions,
}

/// Which rows of the claim tables each rule of a check reads: the history
/// within the rule's own look-back, which the caller works out (a rule
/// comparing same-day lines need not group a chronic patient's year).
#[derive(Debug, Default, Clone)]
pub struct Reach {
    /// For each claim table, each row's claim: a position in the check's claims.
    pub claim_of_row: foldhash::HashMap<String, Vec<u32>>,
    /// For each rule (by id) reading less than every claim: which it reads.
    pub claims_of_rule: foldhash::HashMap<String, Vec<bool>>,
    /// The checked claim's position, when the caller knows it.
    pub checked_claim: Option<u32>,
}

impl Reach {
    /// For each row of `table`, whether `rule` reads it; `None`: every row.
    pub fn rows(&self, rule: &str, table: &str) -> Option<Vec<bool>> {
        let claims = self.claims_of_rule.get(rule)?;
        let of_row = self.claim_of_row.get(table)?;
        Some(of_row.iter().map(|c| claims[*c as usize]).collect())
    }

    /// For each row of claim table `table`, whether it is the checked
    /// claim's (read off the rows' claims, not their ids).
    pub fn rows_of_checked_claim(&self, table: &str) -> Option<Vec<bool>> {
        let checked = self.checked_claim?;
        let of_row = self.claim_of_row.get(table)?;
        Some(of_row.iter().map(|c| *c == checked).collect())
    }
}

/// The outcome of one check.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The flags that name the checked claim or its lines, in output order.
    pub flags: Vec<Flag>,
    /// Rules not run because they need the whole dataset.
    pub skipped: Vec<String>,
}

impl<'r> Checker<'r> {
    /// `reference` holds the tables that do not come with each check
    /// (for CHS: patients, catalog, providers).
    pub fn new(ruleset: &'r Ruleset, sources: &Sources, mut reference: Tables) -> Checker<'r> {
        let compiled = Self::compile(ruleset, sources);
        let claim_tables = Self::claim_tables(ruleset);
        let frames: Frames = compiled
            .plan()
            .loads
            .iter()
            .filter(|l| !claim_tables.contains(&l.table))
            .filter_map(|l| {
                Some((
                    l.table.clone(),
                    Arc::new(compiled.frame(&l.table, reference.remove(&l.table))?),
                ))
            })
            .collect();
        // Build each reference table's key index now, not during a check.
        for ((_, relation), _) in &compiled.plan().lookups {
            for r in ruleset
                .schema
                .relations
                .iter()
                .filter(|r| &r.name == relation)
            {
                if let Some(target) = frames.get(&r.to_table) {
                    target.key_index(&r.to_columns);
                }
            }
        }
        let reference_lookups = compiled.lookups(&frames);
        // And the index of each knowledge table a rule matches against.
        let env = Env::new(
            ruleset,
            compiled.consts(),
            frames.clone(),
            reference_lookups.clone(),
            &[],
        );
        let rules = compiled.plan().rules.iter().map(|&i| &ruleset.rules[i]);
        super::known::build_indexes(&env, rules);
        drop(env);
        Checker {
            compiled,
            claim_tables,
            reference: frames,
            reference_lookups,
            options: ExecOptions {
                partitions: 1,
                ..ExecOptions::default()
            },
        }
    }

    /// The real-time plan: every rule but the batch-only ones.
    fn compile(ruleset: &'r Ruleset, sources: &Sources) -> Compiled<'r> {
        let selection = Selection {
            only: Vec::new(),
            skip_batch_only: true,
        };
        Compiled::new(ruleset, &selection, sources)
    }

    /// Reads the reference tables (all but the claim tables) a real-time
    /// plan needs from a dataset folder.
    pub fn load_reference(
        ruleset: &Ruleset,
        sources: &Sources,
        dir: &std::path::Path,
        load: &crate::data::load::LoadOptions,
    ) -> Result<Tables, Box<crate::data::load::Problem>> {
        Checker::compile(ruleset, sources)
            .reads_except(&Self::claim_tables(ruleset))
            .read(dir, load, &|_, _| {})
    }

    /// The tables whose flags name a claim: their rows belong to claims.
    pub fn claim_tables(ruleset: &Ruleset) -> Vec<String> {
        ruleset
            .schema
            .tables
            .iter()
            .filter(|t| {
                t.flags
                    .as_ref()
                    .is_some_and(|b| b.fields.iter().any(|(f, _, _)| *f == FlagField::ClaimId))
            })
            .map(|t| t.name.clone())
            .collect()
    }

    /// The ids of the rules a check leaves out.
    pub fn skipped(&self) -> Vec<String> {
        self.compiled
            .ruleset()
            .rules
            .iter()
            .filter(|r| r.batch_only)
            .map(|r| r.id.clone())
            .collect()
    }

    /// Checks claim `claim_id` given the rows of the claim tables: the
    /// patient's history and the claim itself (a history row with the
    /// claim's id must already have been replaced by the caller).
    pub fn check(&self, claim_rows: HashMap<String, RecordBatch>, claim_id: &str) -> Checked {
        self.check_within(claim_rows, claim_id, &Reach::default())
    }

    /// [`Checker::check`], each rule reading only the rows `reach` gives it.
    pub fn check_within(
        &self,
        claim_rows: HashMap<String, RecordBatch>,
        claim_id: &str,
        reach: &Reach,
    ) -> Checked {
        // One patient's history and claim are one partition of the plan a
        // scan runs, its reference tables shared as a scan shares them.
        let tables: Tables = claim_rows
            .into_iter()
            .filter(|(table, _)| self.claim_tables.contains(table))
            .collect();
        let mut env = self.compiled.partition_env(
            &self.reference,
            &self.reference_lookups,
            tables,
            &self.options,
            false,
        );
        env.only_claim = Some(claim_id.to_string());
        env.reach = Some(reach);
        // On the caller's thread: a check is too small to share out, and
        // the service runs checks side by side.
        let flags = self
            .compiled
            .run_partition_here(&env, &self.options, &|_| true);
        let flags = flags
            .into_iter()
            .filter(|f| f.claim_id.as_deref() == Some(claim_id))
            .collect();
        Checked {
            flags,
            skipped: self.skipped(),
        }
    }
}
