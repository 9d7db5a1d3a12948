//! Ground truth for the planted cases (`labels.parquet`): one row per
//! expected flag and one per near-miss row that must not flag.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Array, StringArray};
use arrow::datatypes::{DataType, Field, Schema as ArrowSchema, SchemaRef};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;

use crate::flags::Grain;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Expect {
    Flag,
    NoFlag,
}

impl Expect {
    pub fn as_str(self) -> &'static str {
        match self {
            Expect::Flag => "flag",
            Expect::NoFlag => "no_flag",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// A shipped rule's id, or the id of a rule of the ruleset planted
    /// with `--plant`.
    pub rule_id: Cow<'static, str>,
    pub expect: Expect,
    pub grain: Grain,
    pub claim_id: Option<String>,
    pub line_no: Option<i32>,
    pub provider_id: Option<String>,
    /// A short English description of the case; for a case planted from a
    /// rule's test, the test's name.
    pub case: Cow<'static, str>,
}

/// The schema of `labels.parquet`.
pub fn labels_arrow_schema() -> SchemaRef {
    Arc::new(ArrowSchema::new(vec![
        Field::new("rule_id", DataType::Utf8, false),
        Field::new("expect", DataType::Utf8, false),
        Field::new("grain", DataType::Utf8, false),
        Field::new("claim_id", DataType::Utf8, true),
        Field::new("line_no", DataType::Int32, true),
        Field::new("provider_id", DataType::Utf8, true),
        Field::new("case", DataType::Utf8, false),
    ]))
}

/// Orders labels as flags are ordered (rule, claim, line, provider; nulls
/// last), then by expectation and case.
pub fn sort_labels(labels: &mut [Label]) {
    fn nulls_last<T: Ord>(a: &Option<T>, b: &Option<T>) -> Ordering {
        match (a, b) {
            (Some(a), Some(b)) => a.cmp(b),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
    }
    labels.sort_by(|a, b| {
        a.rule_id
            .cmp(&b.rule_id)
            .then_with(|| nulls_last(&a.claim_id, &b.claim_id))
            .then_with(|| nulls_last(&a.line_no, &b.line_no))
            .then_with(|| nulls_last(&a.provider_id, &b.provider_id))
            .then_with(|| a.expect.cmp(&b.expect))
            .then_with(|| a.case.cmp(&b.case))
    });
}

pub fn labels_batch(labels: &[Label]) -> Result<RecordBatch, ArrowError> {
    let text = |f: fn(&Label) -> &str| -> ArrayRef {
        Arc::new(labels.iter().map(|l| Some(f(l))).collect::<StringArray>())
    };
    let columns: Vec<ArrayRef> = vec![
        text(|l| &l.rule_id),
        text(|l| l.expect.as_str()),
        text(|l| l.grain.as_str()),
        Arc::new(
            labels
                .iter()
                .map(|l| l.claim_id.as_deref())
                .collect::<StringArray>(),
        ),
        Arc::new(labels.iter().map(|l| l.line_no).collect::<Int32Array>()),
        Arc::new(
            labels
                .iter()
                .map(|l| l.provider_id.as_deref())
                .collect::<StringArray>(),
        ),
        text(|l| &l.case),
    ];
    RecordBatch::try_new(labels_arrow_schema(), columns)
}

/// A label as read back from `labels.parquet`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelRow {
    pub rule_id: String,
    pub expect: Expect,
    pub claim_id: Option<String>,
    pub line_no: Option<i32>,
    pub provider_id: Option<String>,
    pub case: String,
}

/// Reads `labels.parquet` as written by the generator.
pub fn read_labels(path: &std::path::Path) -> Result<Vec<LabelRow>, String> {
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::Int32Type;
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| format!("{}: {e}", path.display()))?;
        let text = |name: &str| {
            batch
                .column_by_name(name)
                .map(|c| c.as_string::<i32>().clone())
        };
        let (Some(rule), Some(expect), Some(claim), Some(provider), Some(case)) = (
            text("rule_id"),
            text("expect"),
            text("claim_id"),
            text("provider_id"),
            text("case"),
        ) else {
            return Err(format!("{}: not a labels file", path.display()));
        };
        let line = batch
            .column_by_name("line_no")
            .map(|c| c.as_primitive::<Int32Type>().clone())
            .ok_or_else(|| format!("{}: not a labels file", path.display()))?;
        for row in 0..batch.num_rows() {
            let optional =
                |a: &arrow::array::StringArray| a.is_valid(row).then(|| a.value(row).to_string());
            out.push(LabelRow {
                rule_id: rule.value(row).to_string(),
                expect: if expect.value(row) == "flag" {
                    Expect::Flag
                } else {
                    Expect::NoFlag
                },
                claim_id: optional(&claim),
                line_no: line.is_valid(row).then(|| line.value(row)),
                provider_id: optional(&provider),
                case: case.value(row).to_string(),
            });
        }
    }
    Ok(out)
}
