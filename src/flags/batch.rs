//! Flags as columns, from the renderer to the writer. A rule's flags are
//! appended to one set of column buffers as they are rendered (no struct
//! and no allocation per flag); they are sorted by integer keys, encoded
//! and merged on those columns, and become [`Flag`] structs only where a
//! caller asks for them (a real-time check, tests).

use std::sync::Arc;

use arrow::array::{
    Array, ArrayBuilder, ArrayRef, AsArray, Decimal128Builder, Int32Builder, RecordBatch,
    StringArray, StringBuilder, UInt32Array,
};
use arrow::datatypes::{Decimal128Type, Int32Type, UInt32Type};

use super::record::{AMOUNT_PRECISION, AMOUNT_SCALE, Flag, Grain};
use super::rule_table::{OwnFields, RuleFields, RuleTable, narrow_schema};
use super::write::flags_batch;

/// Flags as columns: the narrow schema (each flag's rule by number, then
/// its own values) and the rules those numbers name.
#[derive(Debug, Clone)]
pub struct FlagBatch {
    rules: Vec<RuleFields>,
    columns: RecordBatch,
}

impl FlagBatch {
    pub fn empty() -> FlagBatch {
        FlagBatch {
            rules: Vec::new(),
            columns: RecordBatch::new_empty(narrow_schema()),
        }
    }

    pub fn len(&self) -> usize {
        self.columns.num_rows()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rules the flags name, by their number in [`FlagBatch::columns`].
    pub(super) fn rules(&self) -> &[RuleFields] {
        &self.rules
    }

    /// The flags' columns, in the narrow schema.
    pub(super) fn columns(&self) -> &RecordBatch {
        &self.columns
    }

    /// Whether any flag is of a rule with an id in `ids`.
    pub fn names_any_rule(&self, ids: &dyn Fn(&str) -> bool) -> bool {
        !self.is_empty() && self.rules.iter().any(|r| ids(r.id()))
    }

    /// The flags as structs, in their order, sharing their rules' texts.
    pub fn to_flags(&self) -> Vec<Flag> {
        let c = &self.columns;
        let rule = c.column(0).as_primitive::<UInt32Type>();
        let text = |i: usize| c.column(i).as_string::<i32>();
        let (claim_id, patient_id, provider_id) = (text(1), text(3), text(4));
        let (message, evidence) = (text(5), text(7));
        let line_no = c.column(2).as_primitive::<Int32Type>();
        let amount = c.column(6).as_primitive::<Decimal128Type>();
        let optional = |a: &StringArray, i: usize| a.is_valid(i).then(|| a.value(i).to_owned());
        (0..self.len())
            .map(|i| {
                self.rules[rule.value(i) as usize].flag(OwnFields {
                    claim_id: optional(claim_id, i),
                    line_no: line_no.is_valid(i).then(|| line_no.value(i)),
                    patient_id: optional(patient_id, i),
                    provider_id: optional(provider_id, i),
                    message: message.value(i).to_owned(),
                    amount_at_stake: amount.is_valid(i).then(|| {
                        rust_decimal::Decimal::from_i128_with_scale(amount.value(i), AMOUNT_SCALE)
                    }),
                    evidence: evidence.value(i).to_owned(),
                })
            })
            .collect()
    }

    /// Flags given as structs, as columns.
    pub fn from_flags(flags: &[Flag]) -> FlagBatch {
        let mut table = RuleTable::default();
        let numbers = table.number(flags);
        let full = flags_batch(flags);
        let columns: Vec<ArrayRef> = narrow_schema()
            .fields()
            .iter()
            .enumerate()
            .map(|(i, f)| match i {
                0 => Arc::new(UInt32Array::from(numbers.clone())) as ArrayRef,
                _ => full
                    .column_by_name(f.name())
                    .expect("the narrow columns are flag columns")
                    .clone(),
            })
            .collect();
        FlagBatch {
            rules: table.into_rules(),
            columns: RecordBatch::try_new(narrow_schema(), columns)
                .expect("columns follow the narrow schema"),
        }
    }

    /// The batches one after the other, as one: their rules numbered
    /// anew (a rule named by several batches is named once).
    pub fn concat(batches: Vec<FlagBatch>) -> FlagBatch {
        let batches: Vec<FlagBatch> = batches.into_iter().filter(|b| !b.is_empty()).collect();
        if batches.len() <= 1 {
            return batches.into_iter().next().unwrap_or_else(FlagBatch::empty);
        }
        let mut table = RuleTable::default();
        let renumbered: Vec<RecordBatch> = batches
            .iter()
            .map(|b| {
                let numbers = table.number_rules(&b.rules);
                b.renumbered(&numbers)
            })
            .collect();
        let columns = arrow::compute::concat_batches(&narrow_schema(), &renumbered)
            .expect("batches of one schema");
        FlagBatch {
            rules: table.into_rules(),
            columns,
        }
    }

    /// The columns with each rule number `n` replaced by `numbers[n]`.
    pub(super) fn renumbered(&self, numbers: &[u32]) -> RecordBatch {
        if numbers.iter().enumerate().all(|(i, n)| i as u32 == *n) {
            return self.columns.clone();
        }
        let local = self.columns.column(0).as_primitive::<UInt32Type>();
        let global: UInt32Array = local
            .values()
            .iter()
            .map(|n| numbers[*n as usize])
            .collect();
        let mut columns = self.columns.columns().to_vec();
        columns[0] = Arc::new(global);
        RecordBatch::try_new(self.columns.schema(), columns).expect("the same schema")
    }

    /// The flags at `rows`, in that order.
    pub(super) fn take(&self, rows: &[u32]) -> FlagBatch {
        let indices = UInt32Array::from(rows.to_vec());
        FlagBatch {
            rules: self.rules.clone(),
            columns: arrow::compute::take_record_batch(&self.columns, &indices)
                .expect("rows within the batch"),
        }
    }
}

/// One flag's own values, as [`FlagBuilder::append`] takes them.
pub struct FlagRow<'v> {
    pub claim_id: Option<&'v str>,
    pub line_no: Option<i32>,
    pub patient_id: Option<&'v str>,
    pub provider_id: Option<&'v str>,
    pub message: &'v str,
    pub amount_at_stake: Option<rust_decimal::Decimal>,
    pub evidence: &'v str,
}

/// A rule's flags, appended one by one to column buffers.
pub struct FlagBuilder {
    rule: RuleFields,
    claim_id: StringBuilder,
    line_no: Int32Builder,
    patient_id: StringBuilder,
    provider_id: StringBuilder,
    message: StringBuilder,
    amount: Decimal128Builder,
    evidence: StringBuilder,
}

impl FlagBuilder {
    /// A builder for the flags of a rule with these texts (in the flags
    /// schema's order: id, name, category, severity, action, ruleset,
    /// version, hash, source) and grain, for about `capacity` flags.
    pub fn new(texts: [Arc<str>; 9], grain: Grain, capacity: usize) -> FlagBuilder {
        let text = || StringBuilder::with_capacity(capacity, capacity * 16);
        FlagBuilder {
            rule: RuleFields::new(texts, grain),
            claim_id: text(),
            line_no: Int32Builder::with_capacity(capacity),
            patient_id: text(),
            provider_id: text(),
            message: StringBuilder::with_capacity(capacity, capacity * 64),
            amount: Decimal128Builder::with_capacity(capacity),
            evidence: StringBuilder::with_capacity(capacity, capacity * 128),
        }
    }

    pub fn append(&mut self, row: FlagRow<'_>) {
        self.claim_id.append_option(row.claim_id);
        self.line_no.append_option(row.line_no);
        self.patient_id.append_option(row.patient_id);
        self.provider_id.append_option(row.provider_id);
        self.message.append_value(row.message);
        self.amount
            .append_option(row.amount_at_stake.map(super::write::cents));
        self.evidence.append_value(row.evidence);
    }

    pub fn finish(mut self) -> FlagBatch {
        let n = self.line_no.len();
        let amount = self
            .amount
            .finish()
            .with_precision_and_scale(AMOUNT_PRECISION, AMOUNT_SCALE as i8)
            .expect("the flags' amount type is valid");
        let columns: Vec<ArrayRef> = vec![
            Arc::new(UInt32Array::from(vec![0u32; n])),
            Arc::new(self.claim_id.finish()),
            Arc::new(self.line_no.finish()),
            Arc::new(self.patient_id.finish()),
            Arc::new(self.provider_id.finish()),
            Arc::new(self.message.finish()),
            Arc::new(amount),
            Arc::new(self.evidence.finish()),
        ];
        let columns = RecordBatch::try_new(narrow_schema(), columns)
            .expect("columns follow the narrow schema");
        FlagBatch {
            rules: if n == 0 { Vec::new() } else { vec![self.rule] },
            columns,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::record::arbitrary_flag;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn flags_as_columns_give_back_the_flags(
            pieces in prop::collection::vec(prop::collection::vec(arbitrary_flag(), 0..12), 0..5),
        ) {
            let all: Vec<Flag> = pieces.iter().flatten().cloned().collect();
            let batches: Vec<FlagBatch> = pieces.iter().map(|p| FlagBatch::from_flags(p)).collect();
            for (piece, batch) in pieces.iter().zip(&batches) {
                prop_assert_eq!(&batch.to_flags(), piece);
            }
            let joined = FlagBatch::concat(batches);
            prop_assert_eq!(joined.to_flags(), all);
        }
    }

    #[test]
    fn a_builder_gives_the_flags_it_was_given() {
        let texts = [
            "R1",
            "rule one",
            "billing",
            "high",
            "review",
            "demo",
            "1",
            "abc",
            "a.rules:3",
        ]
        .map(Arc::<str>::from);
        let mut builder = FlagBuilder::new(texts, Grain::Line, 2);
        builder.append(FlagRow {
            claim_id: Some("C1"),
            line_no: Some(2),
            patient_id: None,
            provider_id: Some("H1"),
            message: "m",
            amount_at_stake: Some(rust_decimal::Decimal::new(1250, 2)),
            evidence: "{}",
        });
        let flags = builder.finish().to_flags();
        assert_eq!(flags.len(), 1);
        let flag = &flags[0];
        assert_eq!(&*flag.rule_id, "R1");
        assert_eq!(&*flag.source, "a.rules:3");
        assert_eq!(flag.grain, Grain::Line);
        assert_eq!(flag.claim_id.as_deref(), Some("C1"));
        assert_eq!(flag.line_no, Some(2));
        assert_eq!(flag.patient_id, None);
        assert_eq!(
            flag.amount_at_stake,
            Some(rust_decimal::Decimal::new(1250, 2))
        );
        assert_eq!(flag.evidence, "{}");
    }
}
