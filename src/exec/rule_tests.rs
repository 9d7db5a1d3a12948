//! Running the tests written inside a ruleset: each test's rows, the rule
//! run over them alone, and its flags compared with the expected ones.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{Field, Schema as ArrowSchema};
use serde::Serialize;

use super::compiled::Compiled;
use super::explain::{RuleExplanation, explain_claim};
use super::run::ExecOptions;
use super::tables::Tables;
use crate::data::arrow_types::arrow_type;
use crate::data::values::build_array;
use crate::flags::{Flag, cents_text};
use crate::ir::{
    AMOUNT_AT_STAKE, FlagField, ParamValue, Rule, RuleTest, Ruleset, TestTable, Value,
};
use crate::plan::Selection;
use crate::syntax::Sources;

#[derive(Debug, Clone, Serialize)]
pub struct TestOutcome {
    pub rule_id: String,
    pub test: String,
    /// `path:line` of the test.
    pub source: String,
    pub passed: bool,
    pub fields: Vec<&'static str>,
    pub expected: Vec<Vec<String>>,
    pub actual: Vec<Vec<String>>,
    /// Why the rule did or did not fire on the test's claims, when it failed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub explanation: Vec<RuleExplanation>,
}

fn value_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Text(t) => t.clone(),
        Value::Int(i) => i.to_string(),
        other => format!("{other:?}"),
    }
}

/// The flags a test expects, as text: its fields, then the amount at
/// stake to the cent when it names it.
fn expected_rows(test: &RuleTest) -> Vec<Vec<String>> {
    sorted(
        test.expect
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let amount = test.expect_amounts.as_ref().map(|a| match &a[i] {
                    Value::Decimal(d) => cents_text(*d),
                    Value::Int(n) => cents_text((*n).into()),
                    _ => String::new(),
                });
                row.iter().map(value_text).chain(amount).collect()
            })
            .collect(),
    )
}

/// The test's rows as tables (columns not given are filled with nulls later).
fn test_tables(ruleset: &Ruleset, given_tables: &[TestTable]) -> Result<Tables, String> {
    let mut tables = Tables::new();
    for given in given_tables {
        let table = ruleset
            .schema
            .table(&given.table)
            .ok_or("the checker knows the table")?;
        let mut fields = Vec::new();
        let mut arrays = Vec::new();
        for (i, name) in given.columns.iter().enumerate() {
            let column = table.column(name).ok_or("the checker knows the column")?;
            let values: Vec<Value> = given.rows.iter().map(|r| r[i].clone()).collect();
            arrays.push(build_array(&column.ty, &values)?);
            fields.push(Field::new(name, arrow_type(&column.ty), true));
        }
        let batch = RecordBatch::try_new_with_options(
            Arc::new(ArrowSchema::new(fields)),
            arrays,
            &arrow::array::RecordBatchOptions::new().with_row_count(Some(given.rows.len())),
        )
        .map_err(|e| e.to_string())?;
        tables.insert(given.table.clone(), batch);
    }
    Ok(tables)
}

/// Runs one test of one rule.
pub fn run_test(ruleset: &Ruleset, sources: &Sources, rule: &Rule, test: &RuleTest) -> TestOutcome {
    let selection = Selection {
        only: vec![rule.id.clone()],
        skip_batch_only: false,
    };
    let compiled = Compiled::new(ruleset, &selection, sources);
    let outcome =
        |passed: bool, actual: Vec<Vec<String>>, explanation: Vec<RuleExplanation>| TestOutcome {
            rule_id: rule.id.clone(),
            test: test.name.clone(),
            source: sources.location(test.span),
            passed,
            fields: test
                .expect_fields
                .iter()
                .map(|f| f.as_str())
                .chain(test.expect_amounts.as_ref().map(|_| AMOUNT_AT_STAKE))
                .collect(),
            expected: expected_rows(test),
            actual,
            explanation,
        };
    let tables = match test_tables(ruleset, &test.tables) {
        Ok(t) => t,
        Err(why) => {
            return outcome(
                false,
                vec![vec![format!("could not build the test's rows: {why}")]],
                Vec::new(),
            );
        }
    };
    let options = ExecOptions {
        threads: Some(1),
        overrides: test.params.clone(),
        ..ExecOptions::default()
    };
    let env = compiled.env(tables, &options);
    let flags = compiled.run(&env, &options);
    let actual = sorted(
        flags
            .iter()
            .map(|f| {
                let amount = test
                    .expect_amounts
                    .as_ref()
                    .map(|_| f.amount_at_stake.map(cents_text).unwrap_or_default());
                test.expect_fields
                    .iter()
                    .map(|field| f.field_text(*field))
                    .chain(amount)
                    .collect()
            })
            .collect(),
    );
    // Without fields to compare (`expect no flags`), any flag is a failure.
    let expected = expected_rows(test);
    let passed = if test.expect_fields.is_empty() {
        flags.is_empty()
    } else {
        actual == expected
    };
    if passed {
        return outcome(true, actual, Vec::new());
    }
    let actual = if test.expect_fields.is_empty() {
        sorted(
            flags
                .iter()
                .map(|f| {
                    vec![
                        f.claim_id.clone().unwrap_or_default(),
                        f.field_text(FlagField::LineNo),
                    ]
                })
                .collect(),
        )
    } else {
        actual
    };
    let explanation = test_claims(test)
        .iter()
        .take(5)
        .flat_map(|claim| explain_claim(&env, &[rule], claim, &flags, sources))
        .collect();
    outcome(false, actual, explanation)
}

/// The flags `rule` alone gives on `given` rows (in a test's shape: the
/// columns not given are null), with `overrides` for parameters. The
/// generator runs a planted copy of a test through this, as `test` runs
/// the test itself.
pub fn rule_flags(
    ruleset: &Ruleset,
    sources: &Sources,
    rule: &Rule,
    given: &[TestTable],
    overrides: &[(String, ParamValue)],
) -> Result<Vec<Flag>, String> {
    let selection = Selection {
        only: vec![rule.id.clone()],
        skip_batch_only: false,
    };
    let compiled = Compiled::new(ruleset, &selection, sources);
    let tables = test_tables(ruleset, given)?;
    let options = ExecOptions {
        threads: Some(1),
        overrides: overrides.to_vec(),
        ..ExecOptions::default()
    };
    let env = compiled.env(tables, &options);
    Ok(compiled.run(&env, &options))
}

fn sorted(mut rows: Vec<Vec<String>>) -> Vec<Vec<String>> {
    rows.sort();
    rows
}

/// The claim ids a test gives, in order.
fn test_claims(test: &RuleTest) -> Vec<String> {
    let mut claims: Vec<String> = Vec::new();
    for table in &test.tables {
        if let Some(i) = table.columns.iter().position(|c| c == "claim_id") {
            for row in &table.rows {
                if let Value::Text(id) = &row[i]
                    && !claims.contains(id)
                {
                    claims.push(id.clone());
                }
            }
        }
    }
    claims
}

/// Runs every test of the rules selected (all when `only` is empty).
pub fn run_rule_tests(ruleset: &Ruleset, sources: &Sources, only: &[String]) -> Vec<TestOutcome> {
    ruleset
        .rules
        .iter()
        .filter(|r| only.is_empty() || only.contains(&r.id))
        .flat_map(|rule| rule.tests.iter().map(move |test| (rule, test)))
        .map(|(rule, test)| run_test(ruleset, sources, rule, test))
        .collect()
}
