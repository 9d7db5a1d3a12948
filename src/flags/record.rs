//! The flag record and its Arrow schema (data-contract.md, "Flags").

use std::cmp::Ordering;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema as ArrowSchema, SchemaRef};
use serde::{Deserialize, Serialize};

pub use crate::ir::Grain;

/// One rule firing on one row, with its provenance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    pub rule_id: String,
    pub rule_name: String,
    pub category: String,
    pub severity: String,
    pub action: String,
    pub grain: Grain,
    pub claim_id: Option<String>,
    pub line_no: Option<i32>,
    pub patient_id: Option<String>,
    pub provider_id: Option<String>,
    pub message: String,
    /// A JSON object: the compared values and the other rows that took part.
    pub evidence: String,
    pub ruleset: String,
    pub ruleset_version: String,
    pub ruleset_hash: String,
    /// Where the rule is written: `path:line`.
    pub source: String,
}

/// Nulls sort after every value, as the contract requires.
fn nulls_last<T: Ord>(a: &Option<T>, b: &Option<T>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.cmp(b),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

impl Flag {
    /// The output order: (rule_id, claim_id, line_no, provider_id), nulls last.
    pub fn output_order(&self, other: &Flag) -> Ordering {
        self.rule_id
            .cmp(&other.rule_id)
            .then_with(|| nulls_last(&self.claim_id, &other.claim_id))
            .then_with(|| nulls_last(&self.line_no, &other.line_no))
            .then_with(|| nulls_last(&self.provider_id, &other.provider_id))
    }
}

/// The Arrow schema of the flags output, in column order.
pub fn flags_arrow_schema() -> SchemaRef {
    let text = |name: &str| Field::new(name, DataType::Utf8, false);
    let nullable_text = |name: &str| Field::new(name, DataType::Utf8, true);
    Arc::new(ArrowSchema::new(vec![
        text("rule_id"),
        text("rule_name"),
        text("category"),
        text("severity"),
        text("action"),
        text("grain"),
        nullable_text("claim_id"),
        Field::new("line_no", DataType::Int32, true),
        nullable_text("patient_id"),
        nullable_text("provider_id"),
        text("message"),
        text("evidence"),
        text("ruleset"),
        text("ruleset_version"),
        text("ruleset_hash"),
        text("source"),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flag(rule: &str, claim: Option<&str>, line: Option<i32>, provider: Option<&str>) -> Flag {
        Flag {
            rule_id: rule.into(),
            rule_name: String::new(),
            category: String::new(),
            severity: "high".into(),
            action: "review".into(),
            grain: Grain::Line,
            claim_id: claim.map(Into::into),
            line_no: line,
            patient_id: None,
            provider_id: provider.map(Into::into),
            message: String::new(),
            evidence: "{}".into(),
            ruleset: String::new(),
            ruleset_version: String::new(),
            ruleset_hash: String::new(),
            source: String::new(),
        }
    }

    #[test]
    fn flags_sort_by_rule_then_ids_with_nulls_last() {
        let mut flags = [
            flag("UPC-01", None, None, Some("H1")),
            flag("DUP-01", None, None, Some("H2")),
            flag("DUP-01", Some("C2"), Some(1), None),
            flag("DUP-01", Some("C1"), None, None),
            flag("DUP-01", Some("C1"), Some(2), None),
        ];
        flags.sort_by(Flag::output_order);
        let keys: Vec<_> = flags
            .iter()
            .map(|f| (f.rule_id.as_str(), f.claim_id.as_deref(), f.line_no))
            .collect();
        assert_eq!(
            keys,
            vec![
                ("DUP-01", Some("C1"), Some(2)),
                ("DUP-01", Some("C1"), None),
                ("DUP-01", Some("C2"), Some(1)),
                ("DUP-01", None, None),
                ("UPC-01", None, None),
            ]
        );
    }

    #[test]
    fn schema_has_every_contract_column() {
        let schema = flags_arrow_schema();
        assert_eq!(schema.fields().len(), 16);
        assert!(schema.field_with_name("line_no").unwrap().is_nullable());
    }
}
