//! Which columns of the contract hold ids, found from its keys and
//! relations: a planted copy of a test renames every id so that it meets
//! neither the background nor another copy.

use crate::ir::{ColumnType, Schema};

/// What an id column is to its table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdRole {
    /// The table's own one-column text key (`claims.claim_id`).
    Key,
    /// A column that names another table's key (`claims.patient_id`,
    /// `claim_items.item_code`).
    Reference,
    /// A text or integer part of a key of several columns that names no
    /// other table's key. A number (`claim_items.line_no`) is unique within
    /// the rest of the key, so it is kept as written; a text may hold ids
    /// without a declared relation (`exclusive_items.item_a` holds item
    /// codes), so it is renamed as ids are, which keeps it equal to them.
    /// A date in a key (`exclusive_items.valid_from`) is a value, no id.
    KeyPart,
}

/// The id role of every column of every table of the contract, by index.
pub struct IdColumns {
    roles: Vec<Vec<Option<IdRole>>>,
}

impl IdColumns {
    pub fn of(contract: &Schema) -> IdColumns {
        let is_text_key = |table: &str, columns: &[String]| {
            contract.table(table).is_some_and(|t| {
                t.key.as_deref() == Some(columns)
                    && columns.len() == 1
                    && t.column(&columns[0])
                        .is_some_and(|c| c.ty == ColumnType::Text)
            })
        };
        let roles = contract
            .tables
            .iter()
            .map(|table| {
                table
                    .columns
                    .iter()
                    .map(|column| {
                        let name = std::slice::from_ref(&column.name);
                        if is_text_key(&table.name, name) {
                            return Some(IdRole::Key);
                        }
                        let refers = contract.relations_from(&table.name).any(|r| {
                            r.from_columns.as_slice() == name
                                && is_text_key(&r.to_table, &r.to_columns)
                        });
                        if refers {
                            return Some(IdRole::Reference);
                        }
                        let in_key = table.key.as_ref().is_some_and(|k| k.contains(&column.name));
                        let id_type = matches!(
                            column.ty,
                            ColumnType::Text | ColumnType::Int32 | ColumnType::Int64
                        );
                        (in_key && id_type).then_some(IdRole::KeyPart)
                    })
                    .collect()
            })
            .collect();
        IdColumns { roles }
    }

    pub fn role(&self, table: usize, column: usize) -> Option<IdRole> {
        self.roles[table][column]
    }
}

/// The renamed form of id `original` in the copy whose ids start `prefix`.
/// Every id of a copy gets the same prefix, so ids that were equal stay
/// equal and ids that differed still differ.
pub fn renamed(prefix: &str, original: &str) -> String {
    format!("{prefix}{original}")
}

/// The prefix of copy `n` (from 1). Background ids never hold a `-`, so no
/// renamed id can be one of theirs.
pub fn copy_prefix(n: u32) -> String {
    format!("T{n:05}-")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::chs_schema;

    fn role(schema: &Schema, table: &str, column: &str) -> Option<IdRole> {
        let t = schema.tables.iter().position(|t| t.name == table).unwrap();
        let c = schema.tables[t].column_index(column).unwrap();
        IdColumns::of(schema).role(t, c)
    }

    #[test]
    fn the_contract_ids_are_found_from_keys_and_relations() {
        let chs = chs_schema();
        assert_eq!(role(&chs, "claims", "claim_id"), Some(IdRole::Key));
        assert_eq!(role(&chs, "claims", "patient_id"), Some(IdRole::Reference));
        assert_eq!(role(&chs, "claims", "provider_id"), Some(IdRole::Reference));
        assert_eq!(
            role(&chs, "claim_items", "claim_id"),
            Some(IdRole::Reference)
        );
        assert_eq!(
            role(&chs, "claim_items", "item_code"),
            Some(IdRole::Reference)
        );
        assert_eq!(role(&chs, "claim_items", "line_no"), Some(IdRole::KeyPart));
        assert_eq!(
            role(&chs, "exclusive_items", "item_a"),
            Some(IdRole::KeyPart)
        );
        assert_eq!(role(&chs, "exclusive_items", "valid_from"), None);
        assert_eq!(role(&chs, "catalog", "item_code"), Some(IdRole::Key));
        assert_eq!(role(&chs, "claim_items", "doctor_id"), None);
        assert_eq!(role(&chs, "claims", "visit_type"), None);
    }

    #[test]
    fn renamed_ids_keep_equality() {
        let a = copy_prefix(1);
        let b = copy_prefix(2);
        assert_eq!(renamed(&a, "C1"), renamed(&a, "C1"));
        assert_ne!(renamed(&a, "C1"), renamed(&a, "C2"));
        assert_ne!(renamed(&a, "C1"), renamed(&b, "C1"));
        assert_eq!(renamed(&a, "C1"), "T00001-C1");
    }
}
