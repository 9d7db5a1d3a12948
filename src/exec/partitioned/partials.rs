//! The population rules' partial aggregates of some partitions: merged
//! partition by partition in a scan, or sent as bytes from the workers of
//! a distributed scan to the one place that finishes the rules.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::super::forms::population_partial::PopulationPartial;
use crate::ir::Ruleset;

/// Partial aggregates by rule id, with the ruleset they belong to (an
/// entity is a row number of a shared table, meaningful only to the same
/// rules over the same shared tables).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Partials {
    ruleset_hash: String,
    rules: BTreeMap<String, PopulationPartial>,
}

impl Partials {
    pub fn new(ruleset_hash: &str) -> Partials {
        Partials {
            ruleset_hash: ruleset_hash.to_string(),
            rules: BTreeMap::new(),
        }
    }

    /// Adds one partition's partial of rule `rule` (an index of `ruleset`).
    pub(super) fn add(&mut self, ruleset: &Ruleset, rule: usize, partial: PopulationPartial) {
        let rule = &ruleset.rules[rule];
        self.rules
            .entry(rule.id.clone())
            .or_default()
            .merge(rule, partial);
    }

    /// Adds the partials of other partitions of the same scan.
    pub fn absorb(&mut self, ruleset: &Ruleset, other: Partials) -> Result<(), String> {
        if other.ruleset_hash != self.ruleset_hash {
            return Err(format!(
                "partial aggregates of ruleset {} cannot merge with those of ruleset {}; \
                 run every partition with the same rules",
                other.ruleset_hash, self.ruleset_hash
            ));
        }
        for (id, partial) in other.rules {
            let rule = ruleset.rules.iter().find(|r| r.id == id).ok_or_else(|| {
                format!("partial aggregates name rule {id}, which is not in the ruleset")
            })?;
            self.rules.entry(id).or_default().merge(rule, partial);
        }
        Ok(())
    }

    /// The partials by rule index of `ruleset`, in rule order.
    pub(super) fn by_rule<'p>(
        &'p self,
        ruleset: &Ruleset,
    ) -> impl Iterator<Item = (usize, &'p PopulationPartial)> {
        let index: BTreeMap<&str, usize> = ruleset
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.as_str(), i))
            .collect();
        let mut found: Vec<(usize, &PopulationPartial)> = self
            .rules
            .iter()
            .filter_map(|(id, p)| Some((*index.get(id.as_str())?, p)))
            .collect();
        found.sort_by_key(|(i, _)| *i);
        found.into_iter()
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("partials serialize")
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Partials, String> {
        serde_json::from_slice(bytes)
            .map_err(|e| format!("these bytes are not partial aggregates of a scan: {e}"))
    }
}
