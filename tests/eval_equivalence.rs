//! The fast evaluator agrees with the simple reference evaluator on random
//! small datasets and random rules of every form: the same rows flagged,
//! with the same messages, whatever the batch size and thread count.

mod support;

use std::path::Path;

use claimaudit::check::check_text;
use claimaudit::data::compact::compact_batch;
use claimaudit::exec::{Compiled, ExecOptions, Tables};
use claimaudit::plan::Selection;
use proptest::prelude::*;
use support::random_data::{dataset, to_record_batches};
use support::random_rules::{FormKind, rule_text_of};
use support::reference_eval::{Rows, evaluate};

/// (rule, claim, line, provider, patient, message) of each flag.
type Seen = Vec<(
    String,
    Option<String>,
    Option<i32>,
    Option<String>,
    Option<String>,
    String,
)>;

/// The engine's flags; `compact` stores the tables as a scan does
/// (enumerations as dictionary codes, narrow decimals), which some
/// operators evaluate differently.
/// `searched_from` 0 searches every key's partners within a pair rule's
/// bounds (a scan does so only for keys with many).
fn engine(
    text: &str,
    rows: &Rows,
    batch_rows: usize,
    threads: usize,
    compact: bool,
    searched_from: usize,
) -> Seen {
    let checked = check_text(Path::new("random.rules"), text);
    let ruleset = checked.ruleset.as_ref().expect("generated rules check");
    let compiled = Compiled::new(ruleset, &Selection::default(), &checked.sources);
    let tables: Tables = to_record_batches(rows, &ruleset.schema)
        .into_iter()
        .map(|(name, batch)| match ruleset.schema.table(&name) {
            Some(table) if compact => {
                let batch = compact_batch(batch, table);
                (name, batch)
            }
            _ => (name, batch),
        })
        .collect();
    let options = ExecOptions {
        threads: Some(threads),
        batch_rows,
        partitions: 3,
        searched_from,
        ..ExecOptions::default()
    };
    let (flags, _) = compiled.run_tables(tables, &options);
    flags
        .into_iter()
        .map(|f| {
            (
                f.rule_id.to_string(),
                f.claim_id,
                f.line_no,
                f.provider_id,
                f.patient_id,
                f.message,
            )
        })
        .collect()
}

fn reference(text: &str, rows: &Rows) -> Seen {
    let checked = check_text(Path::new("random.rules"), text);
    let ruleset = checked.ruleset.as_ref().expect("generated rules check");
    evaluate(ruleset, rows, &[])
        .into_iter()
        .map(|f| {
            (
                f.rule_id,
                f.claim_id,
                f.line_no,
                f.provider_id,
                f.patient_id,
                f.message,
            )
        })
        .collect()
}

fn agree(form: FormKind, text: &str, rows: &Rows, batch_rows: usize) -> Result<(), TestCaseError> {
    let mut expected = reference(text, rows);
    expected.sort();
    for (threads, compact, searched_from) in [(1, false, usize::MAX), (2, true, 0)] {
        let mut got = engine(text, rows, batch_rows, threads, compact, searched_from);
        got.sort();
        prop_assert_eq!(
            &got,
            &expected,
            "{:?} rule, batch {}, threads {}, compact storage {}, searched from {}:\n{}",
            form,
            batch_rows,
            threads,
            compact,
            searched_from,
            text
        );
    }
    Ok(())
}

macro_rules! equivalence {
    ($name:ident, $form:expr) => {
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(48))]
            #[test]
            fn $name(text in rule_text_of($form), rows in dataset(), batch_rows in 1usize..8) {
                agree($form, &text, &rows, batch_rows)?;
            }
        }
    };
}

equivalence!(row_rules_agree, FormKind::Row);
equivalence!(group_rules_agree, FormKind::Group);
equivalence!(last_days_windows_agree, FormKind::WindowLast);
equivalence!(running_windows_agree, FormKind::WindowRunning);
equivalence!(sequence_rules_agree, FormKind::Sequence);
equivalence!(pair_rules_agree, FormKind::Pair);
equivalence!(population_rules_agree, FormKind::Population);

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Pair rules matching the knowledge table (MUTEX-01's form), every
    /// key's partners found through the knowledge rows.
    #[test]
    fn pair_rules_with_knowledge_agree(
        text in support::random_rules::knowledge_pair_rule_text(),
        rows in dataset(),
        batch_rows in 1usize..8,
    ) {
        agree(FormKind::Pair, &text, &rows, batch_rows)?;
    }

    /// Pair rules whose condition bounds the partner's value by the row's
    /// (`o.admit_date < c.admit_date and c.admit_date < o.discharge_date`,
    /// every direction, both ways round): the partners searched within the
    /// bounds give the reference's flags.
    #[test]
    fn pair_rules_with_bounds_agree(
        text in support::random_rules::bounded_pair_rule_text(),
        rows in dataset(),
        batch_rows in 1usize..8,
    ) {
        agree(FormKind::Pair, &text, &rows, batch_rows)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// Two-stage aggregates with `lag` of earlier runs, shown on every row.
    #[test]
    fn two_stage_aggregates_agree(text in support::random_rules::per_rule_text(), rows in dataset(), batch_rows in 1usize..8) {
        agree(FormKind::Group, &text, &rows, batch_rows)?;
    }
}
