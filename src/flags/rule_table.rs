//! The fields a flag takes from its rule, numbered. A run of flags holds
//! each flag's rule number, not ten texts repeated on every flag; the
//! merge orders rules by a rank and writes the texts back on the way out.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch, StringArray, UInt32Array};
use arrow::compute::take;
use arrow::datatypes::{DataType, Field, Schema as ArrowSchema, SchemaRef};

use super::batch::FlagRow;
use super::record::{Flag, Grain, flags_arrow_schema};

/// The column a narrow batch numbers its flags' rules in.
pub(super) const RULE_NUMBER: &str = "rule_number";

/// The flags schema's columns that come from the rule, in its order.
pub(super) const RULE_COLUMNS: [&str; 10] = [
    "rule_id",
    "rule_name",
    "category",
    "severity",
    "action",
    "grain",
    "ruleset",
    "ruleset_version",
    "ruleset_hash",
    "source",
];

/// One distinct set of a rule's fields, as flags share them.
#[derive(Debug, Clone)]
pub(super) struct RuleFields {
    texts: [Arc<str>; 9],
    grain: Grain,
}

impl RuleFields {
    /// The texts in the flags schema's order, less the grain.
    pub(super) fn new(texts: [Arc<str>; 9], grain: Grain) -> RuleFields {
        RuleFields { texts, grain }
    }

    pub(super) fn id(&self) -> &str {
        &self.texts[0]
    }

    /// A flag of this rule with `own` values.
    pub(super) fn flag(&self, own: FlagRow<'_>) -> Flag {
        let t = &self.texts;
        Flag {
            rule_id: t[0].clone(),
            rule_name: t[1].clone(),
            category: t[2].clone(),
            severity: t[3].clone(),
            action: t[4].clone(),
            grain: self.grain,
            claim_id: own.claim_id.map(str::to_owned),
            line_no: own.line_no,
            patient_id: own.patient_id.map(str::to_owned),
            provider_id: own.provider_id.map(str::to_owned),
            message: own.message.to_owned(),
            amount_at_stake: own.amount_at_stake,
            evidence: own.evidence.to_owned(),
            ruleset: t[5].clone(),
            ruleset_version: t[6].clone(),
            ruleset_hash: t[7].clone(),
            source: t[8].clone(),
        }
    }

    fn equal(&self, other: &RuleFields) -> bool {
        self.grain == other.grain && self.texts == other.texts
    }

    fn of(flag: &Flag) -> RuleFields {
        RuleFields {
            texts: texts_of(flag).map(Arc::clone),
            grain: flag.grain,
        }
    }

    fn equal_to(&self, flag: &Flag) -> bool {
        self.grain == flag.grain && self.texts.iter().zip(texts_of(flag)).all(|(a, b)| a == b)
    }

    /// The value of one of [`RULE_COLUMNS`].
    fn column(&self, column: usize) -> &str {
        match column {
            0..=4 => &self.texts[column],
            5 => self.grain.as_str(),
            _ => &self.texts[column - 1],
        }
    }
}

/// Each rule's place in output order: rules with the same id share it, as
/// the order compares ids alone.
pub(super) fn ranks_of(rules: &[RuleFields]) -> Vec<u32> {
    let mut ids: Vec<&str> = rules.iter().map(RuleFields::id).collect();
    ids.sort_unstable();
    ids.dedup();
    rules
        .iter()
        .map(|r| ids.binary_search(&r.id()).expect("every id is ranked") as u32)
        .collect()
}

/// A flag's rule texts, in [`RULE_COLUMNS`] order less the grain.
fn texts_of(flag: &Flag) -> [&Arc<str>; 9] {
    [
        &flag.rule_id,
        &flag.rule_name,
        &flag.category,
        &flag.severity,
        &flag.action,
        &flag.ruleset,
        &flag.ruleset_version,
        &flag.ruleset_hash,
        &flag.source,
    ]
}

/// The rules seen so far, each numbered in the order first seen.
#[derive(Debug, Default)]
pub(super) struct RuleTable {
    rules: Vec<RuleFields>,
}

/// Where a flag's rule texts are, and its grain.
type Pointers = ([usize; 9], Grain);

fn pointers_of(flag: &Flag) -> Pointers {
    (
        texts_of(flag).map(|t| Arc::as_ptr(t) as *const u8 as usize),
        flag.grain,
    )
}

impl RuleTable {
    pub(super) fn into_rules(self) -> Vec<RuleFields> {
        self.rules
    }

    /// The number of each of `rules`, numbering rules not seen before.
    pub fn number_rules(&mut self, rules: &[RuleFields]) -> Vec<u32> {
        rules
            .iter()
            .map(|rule| {
                let n = match self.rules.iter().position(|r| r.equal(rule)) {
                    Some(n) => n,
                    None => {
                        self.rules.push(rule.clone());
                        self.rules.len() - 1
                    }
                };
                u32::try_from(n).expect("fewer than 2^32 rules")
            })
            .collect()
    }

    /// The rule number of each flag, numbering rules not seen before.
    /// Each batch a rule renders shares its own texts: most flags are
    /// numbered by where their texts are, not by comparing them. (Only
    /// while the flags live: a freed text's place may hold another's.)
    pub fn number<'f>(&mut self, flags: impl IntoIterator<Item = &'f Flag>) -> Vec<u32> {
        let mut by_pointers: HashMap<Pointers, u32> = HashMap::new();
        let mut last: Option<(Pointers, u32)> = None;
        flags
            .into_iter()
            .map(|flag| {
                let pointers = pointers_of(flag);
                if let Some((_, n)) = last.filter(|(p, _)| *p == pointers) {
                    return n;
                }
                let n = match by_pointers.get(&pointers) {
                    Some(&n) => n,
                    None => {
                        let n = self.number_by_value(flag);
                        by_pointers.insert(pointers, n);
                        n
                    }
                };
                last = Some((pointers, n));
                n
            })
            .collect()
    }

    fn number_by_value(&mut self, flag: &Flag) -> u32 {
        let n = match self.rules.iter().position(|r| r.equal_to(flag)) {
            Some(n) => n,
            None => {
                self.rules.push(RuleFields::of(flag));
                self.rules.len() - 1
            }
        };
        u32::try_from(n).expect("fewer than 2^32 rules")
    }

    /// Each rule number's place in output order (see [`ranks_of`]).
    pub fn ranks(&self) -> Vec<u32> {
        ranks_of(&self.rules)
    }

    /// A batch of the flags schema from a narrow one: its rule numbers
    /// give back the rule's columns.
    pub fn widen(&self, narrow: &RecordBatch) -> Result<RecordBatch, arrow::error::ArrowError> {
        let numbers = narrow
            .column_by_name(RULE_NUMBER)
            .and_then(|c| c.as_any().downcast_ref::<UInt32Array>())
            .ok_or_else(|| arrow::error::ArrowError::SchemaError("a run is not flags".into()))?;
        let schema = flags_arrow_schema();
        let columns = schema
            .fields()
            .iter()
            .map(
                |field| match RULE_COLUMNS.iter().position(|c| c == field.name()) {
                    Some(column) => {
                        let values: StringArray =
                            self.rules.iter().map(|r| Some(r.column(column))).collect();
                        take(&values, numbers, None)
                    }
                    None => narrow.column_by_name(field.name()).cloned().ok_or_else(|| {
                        arrow::error::ArrowError::SchemaError(format!(
                            "a run lacks {}",
                            field.name()
                        ))
                    }),
                },
            )
            .collect::<Result<Vec<ArrayRef>, _>>()?;
        RecordBatch::try_new(schema, columns)
    }
}

/// The schema runs hold flags in: the rule number, then the flags
/// schema's columns that are the flag's own.
pub(super) fn narrow_schema() -> SchemaRef {
    static SCHEMA: std::sync::LazyLock<SchemaRef> = std::sync::LazyLock::new(make_narrow_schema);
    SCHEMA.clone()
}

fn make_narrow_schema() -> SchemaRef {
    let full = flags_arrow_schema();
    let own = full
        .fields()
        .iter()
        .filter(|f| !RULE_COLUMNS.contains(&f.name().as_str()))
        .map(|f| f.as_ref().clone());
    Arc::new(ArrowSchema::new(
        std::iter::once(Field::new(RULE_NUMBER, DataType::UInt32, false))
            .chain(own)
            .collect::<Vec<_>>(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::record::arbitrary_flag;
    use crate::flags::write::flags_batch;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn widening_gives_back_the_rule_fields(
            flags in prop::collection::vec(arbitrary_flag(), 0..20),
        ) {
            let mut table = RuleTable::default();
            let numbers = table.number(&flags);
            let full = flags_batch(&flags);
            let narrow_columns: Vec<ArrayRef> = narrow_schema()
                .fields()
                .iter()
                .map(|f| match f.name().as_str() {
                    RULE_NUMBER => Arc::new(UInt32Array::from(numbers.clone())) as ArrayRef,
                    name => full.column_by_name(name).unwrap().clone(),
                })
                .collect();
            let narrow = RecordBatch::try_new(narrow_schema(), narrow_columns).unwrap();
            prop_assert_eq!(table.widen(&narrow).unwrap(), full);
        }

        #[test]
        fn ranks_follow_the_rule_ids(flags in prop::collection::vec(arbitrary_flag(), 0..20)) {
            let mut table = RuleTable::default();
            let numbers = table.number(&flags);
            let ranks = table.ranks();
            for (a, m) in flags.iter().zip(&numbers) {
                for (b, n) in flags.iter().zip(&numbers) {
                    prop_assert_eq!(
                        ranks[*m as usize].cmp(&ranks[*n as usize]),
                        a.rule_id.cmp(&b.rule_id)
                    );
                }
            }
        }
    }

    #[test]
    fn flags_sharing_a_rule_share_its_number() {
        let flag = Flag {
            rule_id: "R".into(),
            rule_name: "rule R".into(),
            category: "billing".into(),
            severity: "high".into(),
            action: "review".into(),
            grain: Grain::Line,
            claim_id: Some("C1".into()),
            line_no: Some(1),
            patient_id: None,
            provider_id: None,
            message: "m".into(),
            amount_at_stake: None,
            evidence: "{}".into(),
            ruleset: "demo".into(),
            ruleset_version: "1".into(),
            ruleset_hash: "abc".into(),
            source: "rules.ca:1".into(),
        };
        let other_rule = Flag {
            rule_name: "another name".into(),
            ..flag.clone()
        };
        let mut table = RuleTable::default();
        assert_eq!(
            table.number(&[flag.clone(), flag.clone(), other_rule, flag]),
            [0, 0, 1, 0]
        );
    }
}
