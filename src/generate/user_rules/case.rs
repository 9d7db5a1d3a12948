//! A planted copy of a rule's test: the test's rows laid out in the
//! contract's tables, ids renamed, the columns it leaves out filled, and
//! its dates moved; each step is its own function so each can be tested.

use crate::ir::{RuleTest, Schema, TestTable, Value};

use super::ids::{IdColumns, renamed};

/// The rows of one copy, per contract table (by index), every column in
/// the contract's order.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub rows: Vec<Vec<Vec<Value>>>,
}

impl Case {
    /// The test's rows in the contract's tables, columns not given null.
    /// Fails, saying why, when the test gives a table or column the
    /// generated dataset does not have, or has with another type than the
    /// ruleset's schema (`declared`) gives it.
    pub fn lay_out(contract: &Schema, declared: &Schema, test: &RuleTest) -> Result<Case, String> {
        let mut rows = vec![Vec::new(); contract.tables.len()];
        for given in &test.tables {
            let Some(t) = contract.tables.iter().position(|t| t.name == given.table) else {
                return Err(format!(
                    "it gives rows of table `{}`, which the generated dataset does not have",
                    given.table
                ));
            };
            let table = &contract.tables[t];
            let mut places = Vec::with_capacity(given.columns.len());
            for name in &given.columns {
                let at = table.column_index(name).ok_or_else(|| {
                    format!(
                        "it gives column `{}.{name}`, which the generated dataset does not have",
                        table.name
                    )
                })?;
                let ours = &table.columns[at].ty;
                let theirs = declared.table(&table.name).and_then(|t| t.column(name));
                if let Some(theirs) = theirs.filter(|c| &c.ty != ours) {
                    return Err(format!(
                        "its schema gives column `{}.{name}` as {}; the generated dataset has it as {ours}",
                        table.name, theirs.ty
                    ));
                }
                places.push(at);
            }
            for row in &given.rows {
                let mut full = vec![Value::Null; table.columns.len()];
                for (value, &at) in row.iter().zip(&places) {
                    full[at] = value.clone();
                }
                rows[t].push(full);
            }
        }
        Ok(Case { rows })
    }

    /// Renames every id the test wrote by `prefix`: keys, references and
    /// the text parts of keys (see [`super::ids::IdRole::KeyPart`]).
    pub fn rename(&mut self, ids: &IdColumns, prefix: &str) {
        for (t, rows) in self.rows.iter_mut().enumerate() {
            for row in rows {
                for (c, value) in row.iter_mut().enumerate() {
                    let id = ids.role(t, c).is_some();
                    if let (true, Value::Text(text)) = (id, &*value) {
                        *value = Value::Text(renamed(prefix, text));
                    }
                }
            }
        }
    }

    /// Every row and every table, as a test gives them, for the tables
    /// `keep` accepts (those the ruleset being planted declares).
    pub fn as_test_tables(
        &self,
        contract: &Schema,
        keep: &dyn Fn(&str, &str) -> bool,
    ) -> Vec<TestTable> {
        contract
            .tables
            .iter()
            .zip(&self.rows)
            .filter(|(_, rows)| !rows.is_empty())
            .map(|(table, rows)| {
                let columns: Vec<usize> = (0..table.columns.len())
                    .filter(|&c| keep(&table.name, &table.columns[c].name))
                    .collect();
                TestTable {
                    table: table.name.clone(),
                    columns: columns
                        .iter()
                        .map(|&c| table.columns[c].name.clone())
                        .collect(),
                    rows: rows
                        .iter()
                        .map(|row| columns.iter().map(|&c| row[c].clone()).collect())
                        .collect(),
                }
            })
            .filter(|t| !t.columns.is_empty())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::chs_schema;
    use crate::syntax::Span;

    pub fn test_with(tables: Vec<TestTable>) -> RuleTest {
        RuleTest {
            name: "t".into(),
            span: Span::default(),
            params: Vec::new(),
            tables,
            expect_fields: Vec::new(),
            expect_amounts: None,
            expect: Vec::new(),
        }
    }

    fn given(table: &str, columns: &[&str], rows: Vec<Vec<Value>>) -> TestTable {
        TestTable {
            table: table.into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows,
        }
    }

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn rows_are_laid_out_in_the_contract_and_ids_renamed() {
        let chs = chs_schema();
        let test = test_with(vec![given(
            "claims",
            &["patient_id", "claim_id", "primary_dx"],
            vec![vec![text("P1"), text("C1"), text("I10")]],
        )]);
        let mut case = Case::lay_out(&chs, &chs, &test).unwrap();
        case.rename(&IdColumns::of(&chs), "T00007-");
        let claims = &case.rows[0][0];
        assert_eq!(claims.len(), chs.tables[0].columns.len());
        assert_eq!(claims[0], text("T00007-C1"));
        assert_eq!(claims[1], text("T00007-P1"));
        // Not an id: as written.
        assert_eq!(claims[6], text("I10"));
        assert_eq!(claims[3], Value::Null);
    }

    #[test]
    fn item_codes_of_the_knowledge_base_are_renamed_as_the_lines_are() {
        let chs = chs_schema();
        let test = test_with(vec![
            given("claim_items", &["item_code"], vec![vec![text("A")]]),
            given(
                "exclusive_items",
                &["item_a", "item_b", "valid_from"],
                vec![vec![text("A"), text("B"), Value::Date(19_800)]],
            ),
        ]);
        let mut case = Case::lay_out(&chs, &chs, &test).unwrap();
        case.rename(&IdColumns::of(&chs), "T00002-");
        let cell = |table: &str, column: &str| {
            let t = chs.tables.iter().position(|t| t.name == table).unwrap();
            let c = chs.tables[t].column_index(column).unwrap();
            case.rows[t][0][c].clone()
        };
        assert_eq!(cell("claim_items", "item_code"), text("T00002-A"));
        assert_eq!(cell("exclusive_items", "item_a"), text("T00002-A"));
        assert_eq!(cell("exclusive_items", "item_b"), text("T00002-B"));
        // A date of the key is no id.
        assert_eq!(cell("exclusive_items", "valid_from"), Value::Date(19_800));
    }

    #[test]
    fn a_table_or_column_outside_the_contract_is_named() {
        let chs = chs_schema();
        let test = test_with(vec![given("exclusive_pairs", &["a"], vec![])]);
        let why = Case::lay_out(&chs, &chs, &test).unwrap_err();
        assert!(why.contains("`exclusive_pairs`"), "{why}");
        let test = test_with(vec![given("claims", &["ward"], vec![])]);
        let why = Case::lay_out(&chs, &chs, &test).unwrap_err();
        assert!(why.contains("`claims.ward`"), "{why}");
    }
}
