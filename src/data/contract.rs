//! The CHS claims dataset contract (data-contract.md).
//!
//! Its one definition is the schema file `rulesets/chs/schema.rules`, built
//! into the binary; this module names its tables for the code that needs them.

use crate::ir::Schema;

pub const CLAIMS: &str = "claims";
pub const CLAIM_ITEMS: &str = "claim_items";
pub const PATIENTS: &str = "patients";
pub const CATALOG: &str = "catalog";
pub const PROVIDERS: &str = "providers";

/// The CHS contract: five tables and the relations rules navigate, as
/// declared in the shipped `rulesets/chs/schema.rules`.
pub fn chs_schema() -> Schema {
    crate::check::chs_schema()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_come_before_their_lines_when_validating() {
        let schema = chs_schema();
        let order: Vec<&str> = schema
            .tables_in_reference_order()
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        let claims = order.iter().position(|t| *t == CLAIMS).unwrap();
        let lines = order.iter().position(|t| *t == CLAIM_ITEMS).unwrap();
        assert!(claims < lines, "{order:?}");
        assert_eq!(order.len(), 5);
    }

    #[test]
    fn every_relation_targets_a_key() {
        let schema = chs_schema();
        for relation in &schema.relations {
            let target = schema.table(&relation.to_table).unwrap();
            assert_eq!(target.key.as_ref(), Some(&relation.to_columns));
            let source = schema.table(&relation.from_table).unwrap();
            for column in &relation.from_columns {
                assert!(source.column(column).is_some(), "{column}");
            }
        }
    }
}
