//! The flag record and its Arrow schema (docs/contract.md, "Flags"; docs/data.md).

use std::cmp::Ordering;
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch, StringArray};
use arrow::datatypes::{
    DataType, Decimal128Type, Field, Int32Type, Schema as ArrowSchema, SchemaRef,
};
use serde::{Deserialize, Serialize};

pub use crate::ir::Grain;

/// One rule firing on one row, with its provenance. What every flag of a
/// rule repeats (its id, name, ruleset, source) is shared, not copied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    pub rule_id: Arc<str>,
    pub rule_name: Arc<str>,
    pub category: Arc<str>,
    pub severity: Arc<str>,
    pub action: Arc<str>,
    pub grain: Grain,
    pub claim_id: Option<String>,
    pub line_no: Option<i32>,
    pub patient_id: Option<String>,
    pub provider_id: Option<String>,
    pub message: String,
    /// The money the flag puts in doubt (涉及金额), to the cent.
    pub amount_at_stake: Option<rust_decimal::Decimal>,
    /// A JSON object: the compared values and the other rows that took part.
    pub evidence: String,
    pub ruleset: Arc<str>,
    pub ruleset_version: Arc<str>,
    pub ruleset_hash: Arc<str>,
    /// Where the rule is written: `path:line`.
    pub source: Arc<str>,
}

/// Nulls sort after every value, as the contract requires.
pub(super) fn nulls_last<T: Ord>(a: &Option<T>, b: &Option<T>) -> Ordering {
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
        // A rule's flags share its id: most comparisons end at the pointer.
        let rule = if Arc::ptr_eq(&self.rule_id, &other.rule_id) {
            Ordering::Equal
        } else {
            self.rule_id.cmp(&other.rule_id)
        };
        rule.then_with(|| nulls_last(&self.claim_id, &other.claim_id))
            .then_with(|| nulls_last(&self.line_no, &other.line_no))
            .then_with(|| nulls_last(&self.provider_id, &other.provider_id))
    }

    /// Sorts flags into output order, stably (equal flags keep their
    /// order), in parallel on the current pool. (A scan sorts its flags as
    /// columns: [`super::OrderedFlags`].)
    pub fn sort(flags: &mut [Flag]) {
        use rayon::prelude::*;
        flags.par_sort_by(Flag::output_order);
    }

    /// One of the flag's identifying fields as text (empty when null), as
    /// rule tests and their labels compare them.
    pub fn field_text(&self, field: crate::ir::FlagField) -> String {
        use crate::ir::FlagField;
        match field {
            FlagField::ClaimId => self.claim_id.clone().unwrap_or_default(),
            FlagField::LineNo => self.line_no.map(|l| l.to_string()).unwrap_or_default(),
            FlagField::PatientId => self.patient_id.clone().unwrap_or_default(),
            FlagField::ProviderId => self.provider_id.clone().unwrap_or_default(),
        }
    }
}

/// `amount_at_stake` is a Decimal128 of this precision and scale: money to
/// the cent.
pub const AMOUNT_PRECISION: u8 = 18;
pub const AMOUNT_SCALE: u32 = 2;

/// An amount as a flag holds it: rounded to the cent (half away from
/// zero), or nothing when it does not fit the flags' decimal column.
pub fn amount_to_cent(value: rust_decimal::Decimal) -> Option<rust_decimal::Decimal> {
    use rust_decimal::RoundingStrategy;
    const LIMIT: i128 = 10i128.pow(AMOUNT_PRECISION as u32);
    // Most amounts are to the cent already, or coarser: widened exactly,
    // without the general rounding.
    if value.scale() <= AMOUNT_SCALE {
        let cents = value.mantissa() * 10i128.pow(AMOUNT_SCALE - value.scale());
        return (cents.abs() < LIMIT)
            .then(|| rust_decimal::Decimal::from_i128_with_scale(cents, AMOUNT_SCALE));
    }
    let mut cents =
        value.round_dp_with_strategy(AMOUNT_SCALE, RoundingStrategy::MidpointAwayFromZero);
    cents.rescale(AMOUNT_SCALE);
    (cents.mantissa().abs() < LIMIT).then_some(cents)
}

/// An amount as the flags' JSON and summaries write it: an exact decimal
/// string to the cent (`"112.50"`).
pub fn cents_text(value: rust_decimal::Decimal) -> String {
    amount_to_cent(value).unwrap_or(value).to_string()
}

/// The Arrow schema of the flags output, in column order.
pub fn flags_arrow_schema() -> SchemaRef {
    // Made once: a check builds its few flags' batches with it.
    static SCHEMA: std::sync::LazyLock<SchemaRef> = std::sync::LazyLock::new(make_schema);
    SCHEMA.clone()
}

fn make_schema() -> SchemaRef {
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
        Field::new(
            "amount_at_stake",
            DataType::Decimal128(AMOUNT_PRECISION, AMOUNT_SCALE as i8),
            true,
        ),
        text("evidence"),
        text("ruleset"),
        text("ruleset_version"),
        text("ruleset_hash"),
        text("source"),
    ]))
}

/// The flags in a batch of [`flags_arrow_schema`], the inverse of
/// [`flags_batch`](super::write::flags_batch).
///
/// # Panics
/// If the batch does not follow the flags schema; use [`try_flags_from_batch`]
/// for batches read from outside.
pub fn flags_from_batch(batch: &RecordBatch) -> Vec<Flag> {
    try_flags_from_batch(batch).expect("batch follows the flags schema")
}

/// The flags in a batch, or why the batch is not a batch of flags.
pub fn try_flags_from_batch(batch: &RecordBatch) -> Result<Vec<Flag>, String> {
    let schema = flags_arrow_schema();
    if batch.schema().fields() != schema.fields() {
        return Err("batch does not follow the flags schema".into());
    }
    // The schema check above makes these downcasts infallible.
    let text = |name: &str| -> &StringArray {
        batch
            .column_by_name(name)
            .and_then(|c| c.as_string_opt::<i32>())
            .expect("flags schema column is utf8")
    };
    let (rule_id, rule_name, category, severity, action, grain) = (
        text("rule_id"),
        text("rule_name"),
        text("category"),
        text("severity"),
        text("action"),
        text("grain"),
    );
    let (claim_id, patient_id, provider_id) =
        (text("claim_id"), text("patient_id"), text("provider_id"));
    let (message, evidence, ruleset, ruleset_version, ruleset_hash, source) = (
        text("message"),
        text("evidence"),
        text("ruleset"),
        text("ruleset_version"),
        text("ruleset_hash"),
        text("source"),
    );
    let line_no = batch
        .column_by_name("line_no")
        .and_then(|c| c.as_primitive_opt::<Int32Type>())
        .expect("flags schema line_no is int32");
    let amount = batch
        .column_by_name("amount_at_stake")
        .and_then(|c| c.as_primitive_opt::<Decimal128Type>())
        .expect("flags schema amount_at_stake is decimal128");
    let optional_text = |a: &StringArray, i: usize| a.is_valid(i).then(|| a.value(i).to_owned());
    // A run's flags come rule by rule: each shared field is made once per
    // change of value, as rendering shares it.
    let mut shared: Vec<Option<Arc<str>>> = vec![None; 9];
    let mut share = |k: usize, a: &StringArray, i: usize| -> Arc<str> {
        let value = a.value(i);
        match &shared[k] {
            Some(last) if &**last == value => last.clone(),
            _ => {
                let made: Arc<str> = value.into();
                shared[k] = Some(made.clone());
                made
            }
        }
    };
    (0..batch.num_rows())
        .map(|i| {
            Ok(Flag {
                rule_id: share(0, rule_id, i),
                rule_name: share(1, rule_name, i),
                category: share(2, category, i),
                severity: share(3, severity, i),
                action: share(4, action, i),
                grain: Grain::from_name(grain.value(i))
                    .ok_or_else(|| format!("unknown grain {:?}", grain.value(i)))?,
                claim_id: optional_text(claim_id, i),
                line_no: line_no.is_valid(i).then(|| line_no.value(i)),
                patient_id: optional_text(patient_id, i),
                provider_id: optional_text(provider_id, i),
                message: message.value(i).to_owned(),
                amount_at_stake: amount.is_valid(i).then(|| {
                    rust_decimal::Decimal::from_i128_with_scale(amount.value(i), AMOUNT_SCALE)
                }),
                evidence: evidence.value(i).to_owned(),
                ruleset: share(5, ruleset, i),
                ruleset_version: share(6, ruleset_version, i),
                ruleset_hash: share(7, ruleset_hash, i),
                source: share(8, source, i),
            })
        })
        .collect()
}

/// Random small flags for property tests: few distinct keys, so ties and
/// nulls are common.
#[cfg(test)]
pub(crate) fn arbitrary_flag() -> impl proptest::strategy::Strategy<Value = Flag> {
    use proptest::prelude::*;
    let key = (
        prop::sample::select(vec!["A", "B", "C"]),
        prop::option::of(prop::sample::select(vec!["C1", "C2"])),
        prop::option::of(0i32..3),
        prop::option::of(prop::sample::select(vec!["H1", "H2"])),
    );
    let grain = prop::sample::select(vec![Grain::Line, Grain::Claim, Grain::Provider]);
    let amount = prop::option::of(-100_000_000i64..100_000_000);
    (
        key,
        grain,
        prop::option::of("[a-z]{0,3}"),
        "\\PC{0,6}",
        amount,
    )
        .prop_map(
            |((rule, claim, line, provider), grain, patient, message, cents)| Flag {
                rule_id: rule.into(),
                rule_name: format!("rule {rule}").into(),
                category: "billing".into(),
                severity: "high".into(),
                action: "review".into(),
                grain,
                claim_id: claim.map(Into::into),
                line_no: line,
                patient_id: patient,
                provider_id: provider.map(Into::into),
                message,
                amount_at_stake: cents.map(|c| rust_decimal::Decimal::new(c, AMOUNT_SCALE)),
                evidence: "{}".into(),
                ruleset: "demo".into(),
                ruleset_version: "1".into(),
                ruleset_hash: "abc".into(),
                source: "rules.ca:1".into(),
            },
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::flags_batch;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn decoding_a_batch_gives_back_the_flags(
            flags in prop::collection::vec(arbitrary_flag(), 0..20)
        ) {
            prop_assert_eq!(flags_from_batch(&flags_batch(&flags)), flags);
        }
    }

    proptest! {
        #[test]
        fn sorting_by_key_is_the_stable_sort_by_output_order(
            flags in prop::collection::vec(arbitrary_flag(), 0..60)
        ) {
            let mut expected = flags.clone();
            expected.sort_by(Flag::output_order);
            let mut sorted = flags;
            Flag::sort(&mut sorted);
            prop_assert_eq!(sorted, expected);
        }
    }

    #[test]
    fn a_batch_of_another_schema_is_not_flags() {
        let schema = Arc::new(ArrowSchema::new(vec![Field::new(
            "x",
            DataType::Int32,
            false,
        )]));
        let batch = RecordBatch::try_new(
            schema,
            vec![Arc::new(arrow::array::Int32Array::from(vec![1]))],
        )
        .unwrap();
        assert!(try_flags_from_batch(&batch).is_err());
    }

    fn flag(rule: &str, claim: Option<&str>, line: Option<i32>, provider: Option<&str>) -> Flag {
        Flag {
            rule_id: rule.into(),
            rule_name: "".into(),
            category: "".into(),
            severity: "high".into(),
            action: "review".into(),
            grain: Grain::Line,
            claim_id: claim.map(Into::into),
            line_no: line,
            patient_id: None,
            provider_id: provider.map(Into::into),
            message: String::new(),
            amount_at_stake: None,
            evidence: "{}".into(),
            ruleset: "".into(),
            ruleset_version: "".into(),
            ruleset_hash: "".into(),
            source: "".into(),
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
            .map(|f| (&*f.rule_id, f.claim_id.as_deref(), f.line_no))
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
        assert_eq!(schema.fields().len(), 17);
        assert!(schema.field_with_name("line_no").unwrap().is_nullable());
        let amount = schema.field_with_name("amount_at_stake").unwrap();
        assert_eq!(amount.data_type(), &DataType::Decimal128(18, 2));
        assert!(amount.is_nullable());
    }

    #[test]
    fn amounts_are_kept_to_the_cent() {
        let d = |s: &str| s.parse::<rust_decimal::Decimal>().unwrap();
        assert_eq!(amount_to_cent(d("12.345")).unwrap().to_string(), "12.35");
        assert_eq!(amount_to_cent(d("-12.345")).unwrap().to_string(), "-12.35");
        assert_eq!(amount_to_cent(d("12.344")).unwrap().to_string(), "12.34");
        assert_eq!(amount_to_cent(d("7")).unwrap().to_string(), "7.00");
        assert_eq!(
            amount_to_cent(d("9999999999999999.99"))
                .unwrap()
                .to_string(),
            "9999999999999999.99"
        );
        assert_eq!(amount_to_cent(d("10000000000000000")), None);
        assert_eq!(amount_to_cent(d("-0.0")).unwrap().to_string(), "0.00");
        assert_eq!(amount_to_cent(d("-0.001")).unwrap().to_string(), "0.00");
    }

    proptest! {
        #[test]
        fn amounts_to_the_cent_already_are_kept_as_rounding_keeps_them(
            mantissa in prop_oneof![-1_000_000i64..1_000_000, any::<i64>()],
            wide in any::<bool>(),
            scale in 0u32..6,
        ) {
            use rust_decimal::{Decimal, RoundingStrategy};
            let mantissa = match wide {
                true => i128::from(mantissa) * 1_000_000_000_000,
                false => i128::from(mantissa),
            };
            let value = Decimal::try_from_i128_with_scale(mantissa, scale);
            prop_assume!(value.is_ok());
            let value = value.unwrap();
            let mut rounded =
                value.round_dp_with_strategy(AMOUNT_SCALE, RoundingStrategy::MidpointAwayFromZero);
            rounded.rescale(AMOUNT_SCALE);
            let expected = (rounded.mantissa().abs() < 10i128.pow(AMOUNT_PRECISION as u32))
                .then_some(rounded);
            let got = amount_to_cent(value);
            prop_assert_eq!(got.map(|c| (c.to_string(), c.scale())), expected.map(|c| (c.to_string(), c.scale())));
            if let Some(c) = got {
                prop_assert_eq!(crate::flags::write::cents(c), c.mantissa());
            }
        }
    }
}
