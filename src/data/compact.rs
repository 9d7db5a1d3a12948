//! Narrower storage for a scan's tables in memory.
//!
//! The contract's decimals are 128-bit and its enumerations plain strings;
//! in memory a scan keeps decimals of up to 18 digits in 64 bits and each
//! enumeration as a dictionary of its few values with a 16-bit code a row.
//! Both are exact (the checker bounds precision, the loader the values), and
//! together they take about a third off the memory of the billed lines.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use arrow::array::{
    AnyDictionaryArray, Array, ArrayRef, AsArray, DictionaryArray, Int16Array, RecordBatch,
    RecordBatchOptions, StringArray,
};
use arrow::compute::{CastOptions, cast_with_options};
use arrow::datatypes::{
    DataType, Decimal64Type, Decimal128Type, Field, Int16Type, Schema as ArrowSchema,
};

use super::arrow_types::arrow_type;
use crate::ir::{ColumnType, Table};

/// Decimals of at most this many digits fit a 64-bit mantissa.
pub const DECIMAL64_MAX_PRECISION: u8 = 18;

/// How a scan keeps a column of `ty` in memory.
pub fn compact_type(ty: &ColumnType) -> DataType {
    match ty {
        ColumnType::Decimal { precision, scale } if *precision <= DECIMAL64_MAX_PRECISION => {
            DataType::Decimal64(*precision, *scale)
        }
        ColumnType::Enum(_) => {
            DataType::Dictionary(Box::new(DataType::Int16), Box::new(DataType::Utf8))
        }
        other => arrow_type(other),
    }
}

/// Whether `found` is how a column of `ty` is stored, in the contract's
/// form or the compact one.
pub fn stores(ty: &ColumnType, found: &DataType) -> bool {
    found == &arrow_type(ty) || found == &compact_type(ty)
}

/// `batch` (columns of `table` in the contract's types) in compact storage.
/// Columns the table does not declare are kept as they are.
pub fn compact_batch(batch: RecordBatch, table: &Table) -> RecordBatch {
    let schema = batch.schema();
    let mut fields = Vec::with_capacity(schema.fields().len());
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for (field, array) in schema.fields().iter().zip(batch.columns()) {
        let target = table.column(field.name()).map(|c| compact_type(&c.ty));
        let values = table.column(field.name()).and_then(|c| match &c.ty {
            ColumnType::Enum(values) => Some(values.as_slice()),
            _ => None,
        });
        // Already in compact storage (a decimal the file stores as
        // integers, read straight into 64 bits): kept as it came, not
        // widened back to the contract's type. An enumeration is recoded
        // all the same: every batch must share one dictionary.
        if values.is_none() && target.as_ref() == Some(array.data_type()) {
            fields.push(field.as_ref().clone());
            columns.push(array.clone());
            continue;
        }
        // Never `safe` casting: a value that does not fit must fail the
        // cast (the column then stays as it was), not become a null.
        let exact = CastOptions {
            safe: false,
            ..CastOptions::default()
        };
        let narrowed = target.and_then(|t| narrow(array, &t, values, &exact).map(|a| (t, a)));
        match narrowed {
            Some((ty, narrowed)) => {
                fields.push(Field::new(field.name(), ty, field.is_nullable()));
                columns.push(narrowed);
            }
            // A column read in compact storage that cannot stay compact
            // (a value too wide, one not declared) takes the contract's type.
            None => {
                let widened = table
                    .column(field.name())
                    .map(|c| arrow_type(&c.ty))
                    .filter(|contract| contract != array.data_type())
                    .and_then(|contract| {
                        let widened = cast_with_options(array, &contract, &exact).ok()?;
                        Some((contract, widened))
                    });
                match widened {
                    Some((contract, widened)) => {
                        fields.push(Field::new(field.name(), contract, field.is_nullable()));
                        columns.push(widened);
                    }
                    None => {
                        fields.push(field.as_ref().clone());
                        columns.push(array.clone());
                    }
                }
            }
        }
    }
    RecordBatch::try_new_with_options(
        Arc::new(ArrowSchema::new(fields)),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(batch.num_rows())),
    )
    .expect("casting keeps every column's length")
}

/// `array` cast to `target`, or `None` when a value would not fit.
/// Enumerations (`values`) share one dictionary of their declared values,
/// so that joining batches copies only their codes and a test on the
/// column is decided once per declared value.
fn narrow(
    array: &ArrayRef,
    target: &DataType,
    values: Option<&[String]>,
    exact: &CastOptions,
) -> Option<ArrayRef> {
    if let (Some(values), DataType::Utf8) = (values, array.data_type()) {
        return encode_enum(array.as_string::<i32>(), values);
    }
    if let (Some(values), Some(dictionary)) = (values, array.as_any_dictionary_opt()) {
        return recode_enum(dictionary, values);
    }
    match (array.data_type(), target) {
        // Arrow's own cast panics on a value too wide for 64 bits (an array
        // holding more digits than its precision); narrow the mantissas here.
        (DataType::Decimal128(_, from_scale), DataType::Decimal64(precision, scale))
            if from_scale == scale =>
        {
            let narrowed = array
                .as_primitive::<Decimal128Type>()
                .try_unary::<_, Decimal64Type, _>(i64::try_from)
                .ok()?
                .with_precision_and_scale(*precision, *scale)
                .ok()?;
            narrowed.validate_decimal_precision(*precision).ok()?;
            Some(Arc::new(narrowed))
        }
        _ => cast_with_options(array, target, exact).ok(),
    }
}

/// An enumeration's values as codes into its shared dictionary, or `None`
/// when a value is not one of them (the loader refuses such a batch).
fn encode_enum(text: &StringArray, values: &[String]) -> Option<ArrayRef> {
    // Neighbouring rows often hold the same value: it is compared with the
    // last one found before the declared values are searched.
    let mut last: Option<(&str, i16)> = None;
    let codes: Int16Array = text
        .iter()
        .map(|v| match v {
            None => Some(None),
            Some(v) => match last {
                Some((seen, code)) if seen == v => Some(Some(code)),
                _ => {
                    let code = values.iter().position(|e| e.as_str() == v)? as i16;
                    last = Some((v, code));
                    Some(Some(code))
                }
            },
        })
        .collect::<Option<_>>()?;
    let dictionary = DictionaryArray::<Int16Type>::try_new(codes, enum_dictionary(values)).ok()?;
    Some(Arc::new(dictionary))
}

/// An enumeration read as the file's dictionary, its codes turned into
/// codes of the shared dictionary: each of the file's values is looked up
/// once. `None` when a row holds a value that is not declared.
fn recode_enum(dictionary: &dyn AnyDictionaryArray, values: &[String]) -> Option<ArrayRef> {
    let texts = dictionary.values().as_string_opt::<i32>()?;
    let codes_of: Vec<Option<i16>> = texts
        .iter()
        .map(|v| Some(values.iter().position(|e| Some(e.as_str()) == v)? as i16))
        .collect();
    let nulls = dictionary.logical_nulls();
    let codes: Int16Array = dictionary
        .normalized_keys()
        .into_iter()
        .enumerate()
        .map(
            |(row, key)| match nulls.as_ref().is_some_and(|n| n.is_null(row)) {
                true => Some(None),
                false => codes_of[key].map(Some),
            },
        )
        .collect::<Option<_>>()?;
    let recoded = DictionaryArray::<Int16Type>::try_new(codes, enum_dictionary(values)).ok()?;
    Some(Arc::new(recoded))
}

/// The one dictionary of an enumeration's values, made once per process.
fn enum_dictionary(values: &[String]) -> ArrayRef {
    static MADE: Mutex<BTreeMap<Vec<String>, ArrayRef>> = Mutex::new(BTreeMap::new());
    let mut made = MADE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    made.entry(values.to_vec())
        .or_insert_with(|| Arc::new(StringArray::from(values.to_vec())))
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::chs_schema;
    use arrow::array::{Array, Decimal128Array, StringArray};
    use arrow::datatypes::Int16Type;

    #[test]
    fn decimals_and_enumerations_narrow_without_changing_a_value() {
        let schema = chs_schema();
        let lines = schema.table("claim_items").unwrap();
        let price: ArrayRef = Arc::new(
            Decimal128Array::from(vec![Some(99_999_999_999_999i128), None, Some(-1), None])
                .with_precision_and_scale(14, 4)
                .unwrap(),
        );
        // A value repeated next to itself is found again from the last one.
        let kind: ArrayRef = Arc::new(StringArray::from(vec![
            Some("drug"),
            Some("service"),
            Some("service"),
            Some("drug"),
        ]));
        let code: ArrayRef = Arc::new(StringArray::from(vec!["A", "B", "C", "D"]));
        let batch = RecordBatch::try_from_iter(vec![
            ("unit_price", price),
            ("item_type", kind),
            ("item_code", code),
        ])
        .unwrap();
        let compact = compact_batch(batch, lines);

        let price = compact.column(0).as_primitive::<Decimal64Type>();
        assert_eq!(price.data_type(), &DataType::Decimal64(14, 4));
        assert_eq!(price.value(0), 99_999_999_999_999);
        assert!(price.is_null(1));
        assert_eq!(price.value(2), -1);

        let kind = compact.column(1).as_dictionary::<Int16Type>();
        let values = kind.values().as_string::<i32>();
        let text: Vec<&str> = kind
            .keys()
            .iter()
            .map(|k| values.value(k.unwrap() as usize))
            .collect();
        assert_eq!(text, ["drug", "service", "service", "drug"]);

        assert_eq!(compact.column(2).data_type(), &DataType::Utf8);
        for (column, field) in compact.columns().iter().zip(compact.schema().fields()) {
            let declared = &lines.column(field.name()).unwrap().ty;
            assert!(stores(declared, column.data_type()));
        }
    }

    #[test]
    fn a_decimal_read_into_64_bits_stays_there() {
        let schema = chs_schema();
        let lines = schema.table("claim_items").unwrap();
        let quantity: ArrayRef = Arc::new(
            arrow::array::Decimal64Array::from(vec![Some(1_500), None, Some(-2)])
                .with_precision_and_scale(12, 3)
                .unwrap(),
        );
        let compact = compact_batch(
            RecordBatch::try_from_iter(vec![("quantity", quantity.clone())]).unwrap(),
            lines,
        );
        assert_eq!(compact.column(0).data_type(), &DataType::Decimal64(12, 3));
        assert_eq!(compact.column(0).as_ref(), quantity.as_ref());
    }

    #[test]
    fn an_enumeration_read_as_the_files_dictionary_takes_the_shared_codes() {
        let schema = chs_schema();
        let lines = schema.table("claim_items").unwrap();
        let read = |values: Vec<Option<&str>>, keys: Vec<Option<i32>>| -> RecordBatch {
            let file_dictionary = DictionaryArray::<arrow::datatypes::Int32Type>::try_new(
                arrow::array::Int32Array::from(keys),
                Arc::new(StringArray::from(values)),
            )
            .unwrap();
            let kind: ArrayRef = Arc::new(file_dictionary);
            compact_batch(
                RecordBatch::try_from_iter(vec![("item_type", kind)]).unwrap(),
                lines,
            )
        };
        // The file's dictionary in its own order, with a value no row uses
        // (a page's dictionary may hold more than a batch's rows) and a null.
        let compact = read(
            vec![Some("service"), Some("unused"), Some("drug")],
            vec![Some(2), None, Some(0), Some(2)],
        );
        let kind = compact.column(0).as_dictionary::<Int16Type>();
        let shared = kind.values().as_string::<i32>();
        let text: Vec<Option<&str>> = kind
            .keys()
            .iter()
            .map(|k| k.map(|k| shared.value(k as usize)))
            .collect();
        assert_eq!(text, [Some("drug"), None, Some("service"), Some("drug")]);
        assert_eq!(shared.len(), 3, "the declared values, not the file's");
        // A row holding an undeclared value keeps the contract's type (the
        // loader has refused it already; nothing is lost meanwhile).
        let kept = read(vec![Some("drug"), Some("bogus")], vec![Some(1), Some(0)]);
        let text = kept.column(0).as_string::<i32>();
        assert_eq!(text.value(0), "bogus");
        assert_eq!(text.value(1), "drug");
    }

    #[test]
    fn an_enumeration_keeps_one_dictionary_of_its_values_in_every_batch() {
        let schema = chs_schema();
        let lines = schema.table("claim_items").unwrap();
        let batch = |kinds: Vec<Option<&str>>| {
            let kind: ArrayRef = Arc::new(StringArray::from(kinds));
            compact_batch(
                RecordBatch::try_from_iter(vec![("item_type", kind)]).unwrap(),
                lines,
            )
        };
        let one = batch(vec![Some("service"), None]);
        let two = batch(vec![Some("material"), Some("drug"), Some("service")]);
        let (a, b) = (
            one.column(0).as_dictionary::<Int16Type>(),
            two.column(0).as_dictionary::<Int16Type>(),
        );
        assert_eq!(
            a.values().to_data().buffers()[1].as_ptr(),
            b.values().to_data().buffers()[1].as_ptr()
        );
        assert_eq!(
            a.values().len(),
            3,
            "the declared values, whatever the batch holds"
        );
        // Joined, the dictionary stays that one.
        let joined =
            arrow::compute::concat(&[one.column(0).as_ref(), two.column(0).as_ref()]).unwrap();
        let joined = joined.as_dictionary::<Int16Type>();
        assert_eq!(joined.values().len(), 3);
        let text: Vec<Option<&str>> = joined
            .downcast_dict::<StringArray>()
            .unwrap()
            .into_iter()
            .collect();
        assert_eq!(
            text,
            [
                Some("service"),
                None,
                Some("material"),
                Some("drug"),
                Some("service")
            ]
        );
    }

    #[test]
    fn a_value_too_wide_for_64_bits_keeps_the_column_as_it_was() {
        let schema = chs_schema();
        let lines = schema.table("claim_items").unwrap();
        let wide: ArrayRef = Arc::new(
            Decimal128Array::from(vec![Some(10i128.pow(20)), Some(1)])
                .with_precision_and_scale(14, 4)
                .unwrap(),
        );
        let batch = RecordBatch::try_from_iter(vec![("unit_price", wide.clone())]).unwrap();
        let compact = compact_batch(batch, lines);
        assert_eq!(compact.column(0).as_ref(), wide.as_ref());
    }
}
