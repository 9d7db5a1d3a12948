//! Flags as columns, from the renderer to the writer. A rule's flags are
//! appended to one set of column buffers as they are rendered (no struct
//! and no allocation per flag); they are sorted by integer keys, encoded
//! and merged on those columns, and become [`Flag`] structs only where a
//! caller asks for them (a real-time check, tests).

use std::sync::Arc;

use arrow::array::{
    Array, ArrayBuilder, ArrayRef, AsArray, Decimal128Builder, Int32Builder, RecordBatch,
    StringBuilder, UInt32Array,
};
use arrow::datatypes::{Decimal128Type, Int32Type, UInt32Type};

use super::ordered::text_at;
use super::record::{AMOUNT_PRECISION, AMOUNT_SCALE, Flag, Grain};
use super::rule_table::{RuleFields, RuleTable, narrow_schema};
use super::write::flags_batch;

/// A rule's or a partition's flags: as columns (the narrow schema: each
/// flag's rule by number, then its own values, and the rules those
/// numbers name), or, for a real-time check whose caller wants its few
/// flags as structs, as structs. Joining makes columns.
#[derive(Debug, Clone)]
pub struct FlagBatch {
    held: Held,
}

#[derive(Debug, Clone)]
enum Held {
    Columns {
        rules: Vec<RuleFields>,
        columns: RecordBatch,
    },
    Structs(Vec<Flag>),
}

impl FlagBatch {
    pub fn empty() -> FlagBatch {
        FlagBatch::columns_of(Vec::new(), RecordBatch::new_empty(narrow_schema()))
    }

    fn columns_of(rules: Vec<RuleFields>, columns: RecordBatch) -> FlagBatch {
        FlagBatch {
            held: Held::Columns { rules, columns },
        }
    }

    pub fn len(&self) -> usize {
        match &self.held {
            Held::Columns { columns, .. } => columns.num_rows(),
            Held::Structs(flags) => flags.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes the flags hold in memory.
    pub fn memory_bytes(&self) -> usize {
        match &self.held {
            Held::Columns { columns, .. } => columns.get_array_memory_size(),
            Held::Structs(flags) => flags.len() * std::mem::size_of::<Flag>(),
        }
    }

    /// The rules the flags name, by their number in [`FlagBatch::columns`].
    pub(super) fn rules(&self) -> &[RuleFields] {
        self.parts().0
    }

    /// The flags' columns, in the narrow schema.
    pub(super) fn columns(&self) -> &RecordBatch {
        self.parts().1
    }

    fn parts(&self) -> (&[RuleFields], &RecordBatch) {
        match &self.held {
            Held::Columns { rules, columns } => (rules, columns),
            Held::Structs(_) => unreachable!("flags are joined as columns before they are read so"),
        }
    }

    /// Whether any flag is of a rule with an id in `ids`.
    pub fn names_any_rule(&self, ids: &dyn Fn(&str) -> bool) -> bool {
        match &self.held {
            Held::Columns { rules, columns } => {
                columns.num_rows() > 0 && rules.iter().any(|r| ids(r.id()))
            }
            Held::Structs(flags) => flags.iter().any(|f| ids(&f.rule_id)),
        }
    }

    /// The flags as structs, in their order.
    pub fn into_flags(self) -> Vec<Flag> {
        match self.held {
            Held::Structs(flags) => flags,
            Held::Columns { .. } => self.to_flags(),
        }
    }

    /// The same flags as columns.
    fn into_columns(self) -> FlagBatch {
        match self.held {
            Held::Structs(flags) => FlagBatch::from_flags(&flags),
            Held::Columns { .. } => self,
        }
    }

    /// The flags as structs, in their order, sharing their rules' texts.
    pub fn to_flags(&self) -> Vec<Flag> {
        let (rules, c) = match &self.held {
            Held::Columns { rules, columns } => (rules, columns),
            Held::Structs(flags) => return flags.clone(),
        };
        let rule = c.column(0).as_primitive::<UInt32Type>();
        let text = |i: usize| c.column(i).as_string::<i32>();
        let (claim_id, patient_id, provider_id) = (text(1), text(3), text(4));
        let (message, evidence) = (text(5), text(7));
        let line_no = c.column(2).as_primitive::<Int32Type>();
        let amount = c.column(6).as_primitive::<Decimal128Type>();
        (0..self.len())
            .map(|i| {
                rules[rule.value(i) as usize].flag(FlagRow {
                    claim_id: text_at(claim_id, i),
                    line_no: line_no.is_valid(i).then(|| line_no.value(i)),
                    patient_id: text_at(patient_id, i),
                    provider_id: text_at(provider_id, i),
                    message: message.value(i),
                    amount_at_stake: amount.is_valid(i).then(|| {
                        rust_decimal::Decimal::from_i128_with_scale(amount.value(i), AMOUNT_SCALE)
                    }),
                    evidence: evidence.value(i),
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
        FlagBatch::columns_of(
            table.into_rules(),
            RecordBatch::try_new(narrow_schema(), columns)
                .expect("columns follow the narrow schema"),
        )
    }

    /// The batches one after the other, as one: their rules numbered
    /// anew (a rule named by several batches is named once). With
    /// `parallel`, the columns are joined side by side on the current pool
    /// (a partition's flags, joined after its rules, were a stretch one
    /// thread worked through alone).
    pub fn concat(batches: Vec<FlagBatch>, parallel: bool) -> FlagBatch {
        let batches: Vec<FlagBatch> = batches
            .into_iter()
            .filter(|b| !b.is_empty())
            .map(FlagBatch::into_columns)
            .collect();
        if batches.len() <= 1 {
            return batches.into_iter().next().unwrap_or_else(FlagBatch::empty);
        }
        let mut table = RuleTable::default();
        let renumbered: Vec<RecordBatch> = batches
            .iter()
            .map(|b| {
                let numbers = table.number_rules(b.rules());
                b.renumbered(&numbers)
            })
            .collect();
        let columns = if parallel {
            concat_columns_in_parallel(&renumbered)
        } else {
            arrow::compute::concat_batches(&narrow_schema(), &renumbered)
                .expect("batches of one schema")
        };
        FlagBatch::columns_of(table.into_rules(), columns)
    }

    /// The columns with each rule number `n` replaced by `numbers[n]`.
    pub(super) fn renumbered(&self, numbers: &[u32]) -> RecordBatch {
        let columns = self.columns();
        if numbers.iter().enumerate().all(|(i, n)| i as u32 == *n) {
            return columns.clone();
        }
        let local = columns.column(0).as_primitive::<UInt32Type>();
        let global: UInt32Array = local
            .values()
            .iter()
            .map(|n| numbers[*n as usize])
            .collect();
        let schema = columns.schema();
        let mut columns = columns.columns().to_vec();
        columns[0] = Arc::new(global);
        RecordBatch::try_new(schema, columns).expect("the same schema")
    }

    /// The flags at `rows`, in that order.
    pub(super) fn take(&self, rows: &[u32]) -> FlagBatch {
        let indices = UInt32Array::from(rows.to_vec());
        let taken = arrow::compute::take_record_batch(self.columns(), &indices)
            .expect("rows within the batch");
        FlagBatch::columns_of(self.rules().to_vec(), taken)
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

/// A rule's flags, appended one by one to column buffers, or made
/// structs for a real-time check ([`FlagBuilder::structs`]).
pub struct FlagBuilder {
    rule: RuleFields,
    making: Making,
}

enum Making {
    Columns(Box<Columns>),
    Structs(Vec<Flag>),
}

struct Columns {
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
        let columns = Columns {
            claim_id: text(),
            line_no: Int32Builder::with_capacity(capacity),
            patient_id: text(),
            provider_id: text(),
            message: StringBuilder::with_capacity(capacity, capacity * 64),
            amount: Decimal128Builder::with_capacity(capacity),
            evidence: StringBuilder::with_capacity(capacity, capacity * 128),
        };
        FlagBuilder {
            rule: RuleFields::new(texts, grain),
            making: Making::Columns(Box::new(columns)),
        }
    }

    /// A builder whose flags are made structs as they come: a real-time
    /// check's few flags, which its caller reads as structs, are not
    /// built into columns only to be taken out again.
    pub fn structs(texts: [Arc<str>; 9], grain: Grain, capacity: usize) -> FlagBuilder {
        FlagBuilder {
            rule: RuleFields::new(texts, grain),
            making: Making::Structs(Vec::with_capacity(capacity)),
        }
    }

    pub fn append(&mut self, row: FlagRow<'_>) {
        match &mut self.making {
            Making::Columns(c) => {
                c.claim_id.append_option(row.claim_id);
                c.line_no.append_option(row.line_no);
                c.patient_id.append_option(row.patient_id);
                c.provider_id.append_option(row.provider_id);
                c.message.append_value(row.message);
                c.amount
                    .append_option(row.amount_at_stake.map(super::write::cents));
                c.evidence.append_value(row.evidence);
            }
            Making::Structs(flags) => flags.push(self.rule.flag(row)),
        }
    }

    pub fn finish(self) -> FlagBatch {
        let mut c = match self.making {
            Making::Structs(flags) => {
                return FlagBatch {
                    held: Held::Structs(flags),
                };
            }
            Making::Columns(c) => c,
        };
        let n = c.line_no.len();
        let amount = c
            .amount
            .finish()
            .with_precision_and_scale(AMOUNT_PRECISION, AMOUNT_SCALE as i8)
            .expect("the flags' amount type is valid");
        let columns: Vec<ArrayRef> = vec![
            Arc::new(UInt32Array::from(vec![0u32; n])),
            Arc::new(c.claim_id.finish()),
            Arc::new(c.line_no.finish()),
            Arc::new(c.patient_id.finish()),
            Arc::new(c.provider_id.finish()),
            Arc::new(c.message.finish()),
            Arc::new(amount),
            Arc::new(c.evidence.finish()),
        ];
        let columns = RecordBatch::try_new(narrow_schema(), columns)
            .expect("columns follow the narrow schema");
        let rules = if n == 0 { Vec::new() } else { vec![self.rule] };
        FlagBatch::columns_of(rules, columns)
    }
}

/// Batches of the narrow schema joined into one, each column on a task
/// of its own.
fn concat_columns_in_parallel(batches: &[RecordBatch]) -> RecordBatch {
    use rayon::prelude::*;
    let schema = narrow_schema();
    let columns: Vec<ArrayRef> = (0..schema.fields().len())
        .into_par_iter()
        .map(|i| {
            let parts: Vec<&dyn arrow::array::Array> =
                batches.iter().map(|b| b.column(i).as_ref()).collect();
            arrow::compute::concat(&parts).expect("batches of one schema")
        })
        .collect();
    RecordBatch::try_new(schema, columns).expect("columns follow the narrow schema")
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
            for parallel in [false, true] {
                let joined = FlagBatch::concat(batches.clone(), parallel);
                prop_assert_eq!(joined.to_flags(), all.clone());
            }
        }
    }

    #[test]
    fn both_builders_give_the_flags_they_were_given() {
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
        let row = || FlagRow {
            claim_id: Some("C1"),
            line_no: Some(2),
            patient_id: None,
            provider_id: Some("H1"),
            message: "m",
            amount_at_stake: Some(rust_decimal::Decimal::new(1250, 2)),
            evidence: "{}",
        };
        let mut columns = FlagBuilder::new(texts.clone(), Grain::Line, 2);
        let mut structs = FlagBuilder::structs(texts, Grain::Line, 2);
        columns.append(row());
        structs.append(row());
        let (columns, structs) = (columns.finish(), structs.finish());
        let flags = columns.to_flags();
        assert_eq!(flags, structs.clone().into_flags());
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
        // Joined, structs become columns.
        let joined = FlagBatch::concat(vec![structs, columns], false);
        assert_eq!(joined.columns().num_rows(), 2);
        assert_eq!(joined.to_flags(), [flags.clone(), flags].concat());
    }
}
