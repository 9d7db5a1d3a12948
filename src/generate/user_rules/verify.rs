//! Whether a planted copy still does what its test says: the rule alone,
//! run over the copy's rows as the test runner runs a test, must give
//! exactly the test's expected flags under the copy's ids (none for a
//! near-miss). The labels of a copy come from that run, so they name every
//! field of each flag even when the test's expectation names only some.

use super::case::Case;
use super::ids::renamed;
use crate::exec::rule_flags;
use crate::flags::{Flag, Grain};
use crate::generate::labels::{Expect, Label};
use crate::ir::{FlagField, Rule, RuleTest, Ruleset, Schema, Value};
use crate::syntax::Sources;

/// What a copy must give.
pub struct Verifier<'a> {
    pub ruleset: &'a Ruleset,
    pub sources: &'a Sources,
    pub contract: &'a Schema,
}

impl Verifier<'_> {
    /// The labels of the copy when the rule gives what the test expects;
    /// else what it gave instead, in words.
    pub fn labels(
        &self,
        rule: &Rule,
        test: &RuleTest,
        case: &Case,
        prefix: &str,
    ) -> Result<Vec<Label>, String> {
        let declared = &self.ruleset.schema;
        let keep = |table: &str, column: &str| {
            declared
                .table(table)
                .is_some_and(|t| t.column(column).is_some())
        };
        let given = case.as_test_tables(self.contract, &keep);
        let flags = rule_flags(self.ruleset, self.sources, rule, &given, &[])?;
        let mut expected: Vec<Vec<String>> = test
            .expect
            .iter()
            .map(|row| {
                test.expect_fields
                    .iter()
                    .zip(row)
                    .map(|(field, value)| expected_text(*field, value, prefix))
                    .collect()
            })
            .collect();
        let mut actual: Vec<Vec<String>> = flags
            .iter()
            .map(|f| {
                test.expect_fields
                    .iter()
                    .map(|x| f.field_text(*x))
                    .collect()
            })
            .collect();
        expected.sort();
        actual.sort();
        let fires = !test.expect.is_empty();
        if (fires && actual != expected) || (!fires && !flags.is_empty()) {
            return Err(format!(
                "planted with its ids renamed and its left-out columns filled, it gives {} flag(s) where the test expects {} (a rule that names an id or a code as written fires on that one only)",
                flags.len(),
                test.expect.len()
            ));
        }
        let case_name = test.name.clone();
        if fires {
            return Ok(flags
                .iter()
                .map(|f| flag_label(f, case_name.clone()))
                .collect());
        }
        Ok(self.spared(rule, case, case_name))
    }

    /// A near-miss's labels: every row of the rule's table in the copy, at
    /// the rule's grain, must not flag.
    fn spared(&self, rule: &Rule, case: &Case, case_name: String) -> Vec<Label> {
        let Some(t) = self
            .contract
            .tables
            .iter()
            .position(|t| t.name == rule.table)
        else {
            return Vec::new();
        };
        let table = &self.contract.tables[t];
        let Some(binding) = &table.flags else {
            return Vec::new();
        };
        // The fields the row itself holds (not through a relation).
        let own = |field: FlagField| {
            binding
                .fields
                .iter()
                .find(|(f, path, _)| *f == field && path.is_empty())
                .and_then(|(_, _, column)| table.column_index(column))
        };
        let text = |row: &[Value], field| match own(field).map(|c| &row[c]) {
            Some(Value::Text(s)) => Some(s.clone()),
            _ => None,
        };
        case.rows[t]
            .iter()
            .map(|row| Label {
                rule_id: rule.id.clone().into(),
                expect: Expect::NoFlag,
                grain: rule.grain,
                claim_id: text(row, FlagField::ClaimId),
                line_no: match own(FlagField::LineNo).map(|c| &row[c]) {
                    Some(Value::Int(i)) => i32::try_from(*i).ok(),
                    _ => None,
                },
                provider_id: (rule.grain == Grain::Provider)
                    .then(|| text(row, FlagField::ProviderId))
                    .flatten(),
                case: case_name.clone().into(),
            })
            .collect()
    }
}

/// A firing copy's label for one of its flags; as in the shipped cases'
/// labels, a provider is named only by flags on providers.
fn flag_label(flag: &Flag, case: String) -> Label {
    Label {
        rule_id: flag.rule_id.to_string().into(),
        expect: Expect::Flag,
        grain: flag.grain,
        claim_id: flag.claim_id.clone(),
        line_no: flag.line_no,
        provider_id: (flag.grain == Grain::Provider)
            .then(|| flag.provider_id.clone())
            .flatten(),
        case: case.into(),
    }
}

/// An expected flag field as the copy names it: ids renamed, line numbers
/// as written.
fn expected_text(field: FlagField, value: &Value, prefix: &str) -> String {
    match (field, value) {
        (_, Value::Null) => String::new(),
        (FlagField::LineNo, Value::Int(i)) => i.to_string(),
        (_, Value::Text(t)) => renamed(prefix, t),
        (_, Value::Int(i)) => renamed(prefix, &i.to_string()),
        (_, other) => format!("{other:?}"),
    }
}
