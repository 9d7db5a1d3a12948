//! The plan for programs (`claimaudit plan --format json`, the Python
//! package): the operators in order, and what they route, read and share.

use serde_json::{Value as Json, json};

use super::Plan;

impl Plan<'_> {
    pub fn to_json(&self) -> Json {
        let ruleset = self.ruleset;
        let ids = |rules: &[usize]| -> Vec<&str> {
            rules
                .iter()
                .map(|&i| ruleset.rules[i].id.as_str())
                .collect()
        };
        let lookups: Vec<Json> = self
            .lookups
            .iter()
            .map(|((from, relation), users)| {
                let to = self.lookup_target(from, relation);
                json!({ "from": from, "relation": relation, "to": to, "rules": ids(users) })
            })
            .collect();
        json!({
            "ruleset": ruleset.name,
            "version": ruleset.version,
            "rules": ids(&self.rules),
            "operators": self.operators(),
            "exchange": self.exchange,
            "loads": self.loads,
            "lookups": lookups,
        })
    }
}
