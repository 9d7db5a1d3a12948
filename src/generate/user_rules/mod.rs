//! Cases planted from the tests of a ruleset of one's own (`claimaudit gen
//! --plant RULESET`): a rule written by a supervisor fires on nothing the
//! shipped cases plant, so its own tests are planted instead. Each test of
//! a rule that has a firing test is planted [`COPIES`] times (a near-miss
//! test, whose expectation is `expect no flags`, too, labelled as one):
//! each copy with its own ids (`ids`), the columns the test leaves out
//! filled (`fill`), moved into the generated period (`dates`), and checked
//! by running the rule over it (`verify`) before it is kept.
//!
//! A copy is alone with its rule only as far as ids reach: a rule that
//! compares rows across patients, claims, providers or catalog entries sees
//! only the copy's; one that groups by another column (a doctor, a
//! diagnosis) may meet the background's rows.

mod batches;
mod case;
mod dates;
mod fill;
mod ids;
mod verify;

use self::case::Case;
use self::dates::{claim_days, draw_shift, first_day, shift};
use self::fill::{add_parents, fill_ids, fill_values};
use self::ids::{IdColumns, copy_prefix};
use self::verify::Verifier;
use super::labels::{Expect, Label};
use super::rng::{Stream, stream_rng};
use crate::exec::run_test;
use crate::ir::{Rule, RuleTest, Ruleset, Schema, Value};
use crate::syntax::Sources;

pub use self::batches::OwnTables;

/// Copies planted of each test: enough that a rule is seen to fire more
/// than once, on different days, few enough to leave the background's
/// rates alone. It does not grow with `--patients`.
pub const COPIES: u32 = 3;

/// A checked ruleset whose tests are to be planted.
#[derive(Clone, Copy)]
pub struct PlantRules<'a> {
    pub ruleset: &'a Ruleset,
    pub sources: &'a Sources,
}

/// What was planted from a ruleset's tests, and what was not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlantReport {
    pub planted: Vec<PlantedTest>,
    /// A sentence for each rule or test nothing was planted for, and why.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlantedTest {
    pub rule_id: String,
    pub test: String,
    /// `Flag` for a firing test, `NoFlag` for a near-miss.
    pub expect: Expect,
    pub copies: u32,
}

/// The planted copies: rows per contract table (by index), their labels,
/// and the report.
pub struct RuleCases {
    pub rows: Vec<Vec<Vec<Value>>>,
    pub labels: Vec<Label>,
    pub report: PlantReport,
}

/// Plants the tests of `plant`'s rules in the tables of `contract`.
pub fn plant_rule_tests(plant: PlantRules<'_>, contract: &Schema, seed: u64) -> RuleCases {
    let mut planter = Planter {
        plant,
        contract,
        ids: IdColumns::of(contract),
        rng: stream_rng(seed, Stream::RuleTests, 0),
        copies: 0,
        out: RuleCases {
            rows: vec![Vec::new(); contract.tables.len()],
            labels: Vec::new(),
            report: PlantReport::default(),
        },
    };
    for rule in &plant.ruleset.rules {
        if !rule.tests.iter().any(|t| !t.expect.is_empty()) {
            planter.out.report.notes.push(format!(
                "rule {} has no test that fires; nothing planted for it",
                rule.id
            ));
            continue;
        }
        let before = planter.out.report.planted.len();
        for test in &rule.tests {
            planter.test(rule, test);
        }
        let fires = planter.out.report.planted[before..]
            .iter()
            .any(|p| p.expect == Expect::Flag);
        if !fires {
            planter.out.report.notes.push(format!(
                "rule {} has no firing test that could be planted; no violation of it is planted",
                rule.id
            ));
        }
    }
    planter.out
}

struct Planter<'a> {
    plant: PlantRules<'a>,
    contract: &'a Schema,
    ids: IdColumns,
    rng: super::rng::GenRng,
    /// Copies made so far, whether kept or not: numbers the next prefix.
    copies: u32,
    out: RuleCases,
}

impl Planter<'_> {
    fn test(&mut self, rule: &Rule, test: &RuleTest) {
        let PlantRules { ruleset, sources } = self.plant;
        let not_planted = |why: &str| {
            format!(
                "test \"{}\" of rule {} is not planted: {why}",
                test.name, rule.id
            )
        };
        if !test.params.is_empty() {
            let why = "it sets parameters (`with`), and a scan runs with the ruleset's own";
            self.out.report.notes.push(not_planted(why));
            return;
        }
        if !run_test(ruleset, sources, rule, test).passed {
            let why = "it does not pass on its own rows (see `claimaudit test`)";
            self.out.report.notes.push(not_planted(why));
            return;
        }
        let layout = match Case::lay_out(self.contract, &ruleset.schema, test) {
            Ok(layout) => layout,
            Err(why) => {
                self.out.report.notes.push(not_planted(&why));
                return;
            }
        };
        let verifier = Verifier {
            ruleset,
            sources,
            contract: self.contract,
        };
        let mut kept = 0;
        for _ in 0..COPIES {
            self.copies += 1;
            let prefix = copy_prefix(self.copies);
            let case = self.complete(layout.clone(), &prefix);
            let days = claim_days(&case, self.contract).map_or(0, |s| draw_shift(&mut self.rng, s));
            let mut moved = case.clone();
            shift(&mut moved, days);
            // A rule may name a day (`date "2024-01-01"`): then the copy
            // keeps the test's own days.
            let outcome = verifier
                .labels(rule, test, &moved, &prefix)
                .map(|labels| (moved, labels))
                .or_else(|_| {
                    verifier
                        .labels(rule, test, &case, &prefix)
                        .map(|labels| (case, labels))
                });
            match outcome {
                Ok((case, labels)) => {
                    for (all, rows) in self.out.rows.iter_mut().zip(case.rows) {
                        all.extend(rows);
                    }
                    self.out.labels.extend(labels);
                    kept += 1;
                }
                Err(why) => {
                    self.out.report.notes.push(not_planted(&why));
                    break;
                }
            }
        }
        if kept > 0 {
            self.out.report.planted.push(PlantedTest {
                rule_id: rule.id.clone(),
                test: test.name.clone(),
                expect: if test.expect.is_empty() {
                    Expect::NoFlag
                } else {
                    Expect::Flag
                },
                copies: kept,
            });
        }
    }

    /// The test's rows with ids renamed by `prefix` and every required
    /// column given a value.
    fn complete(&self, mut case: Case, prefix: &str) -> Case {
        case.rename(&self.ids, prefix);
        fill_ids(&mut case, self.contract, &self.ids, prefix);
        add_parents(&mut case, self.contract);
        // The rows just added need their own ids.
        fill_ids(&mut case, self.contract, &self.ids, prefix);
        let day = first_day(&case, self.contract);
        fill_values(&mut case, self.contract, day);
        case
    }
}

#[cfg(test)]
mod tests;
