//! Lossless conversion of what an export wrote into the contract's types.
//!
//! Real exports differ from the contract in storage only: LargeUtf8 or
//! Utf8View strings, dictionary-encoded codes, other timestamp units, wider
//! or narrower decimals and integers. Each is accepted when no value changes;
//! anything that would change a value (a float for money, a digit dropped, a
//! number that does not fit) is refused and named.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::compute::{CastOptions, cast_with_options};
use arrow::datatypes::{
    DataType, Decimal128Type, Float64Type, Int64Type, TimeUnit, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType,
};
use arrow::error::ArrowError;
use arrow::util::display::{ArrayFormatter, FormatOptions};

use parquet::basic::Type as PhysicalType;

use crate::data::arrow_types::{arrow_type, list_item_field};
use crate::data::compact::DECIMAL64_MAX_PRECISION;
use crate::ir::ColumnType;

/// Shanghai wall-clock time is UTC+8 with no daylight saving since 1991.
const SHANGHAI_OFFSET_SECONDS: i64 = 8 * 3600;

/// One step of a conversion, applied to a whole array.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    /// Arrow cast; a value the target cannot hold becomes null and is reported.
    Cast(DataType),
    /// Every value's underlying integer must be a multiple of `divisor`
    /// (a finer time unit, or decimal digits the target does not keep).
    Divisible {
        divisor: i128,
        dropped: &'static str,
    },
    /// A zoned timestamp holds a UTC instant; the contract wants local time.
    UtcToShanghai,
    /// Floats must be finite: NaN and infinities are no measure.
    Finite,
}

/// How to turn one column as found in a file into the contract's type.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversion {
    steps: Vec<Step>,
}

/// A converted array and the rows whose value could not be kept exactly.
pub struct Converted {
    pub array: ArrayRef,
    /// (row within the array, why)
    pub lossy: Vec<(usize, String)>,
}

impl Conversion {
    /// Plans the conversion from `found` to `target`, or explains in one
    /// sentence why the found type cannot be accepted.
    pub fn plan(found: &DataType, target: &ColumnType) -> Result<Conversion, String> {
        let steps = plan_steps(found, target)?;
        Ok(Conversion { steps })
    }

    /// [`Conversion::plan`] for a column the caller keeps in its compact
    /// storage (see `data::compact`): an enumeration read as a dictionary
    /// stays one, a decimal read into 64 bits stays there (only its
    /// precision, when the file's differs, is the contract's); the caller
    /// narrows the rest.
    pub fn plan_compact(found: &DataType, target: &ColumnType) -> Result<Conversion, String> {
        match (target, found) {
            (ColumnType::Enum(_), DataType::Dictionary(_, values))
                if **values == DataType::Utf8 =>
            {
                Ok(Conversion { steps: Vec::new() })
            }
            (ColumnType::Decimal { precision, scale }, DataType::Decimal64(p, s))
                if s == scale && *precision <= DECIMAL64_MAX_PRECISION =>
            {
                let steps = if p == precision {
                    Vec::new()
                } else {
                    vec![Step::Cast(DataType::Decimal64(*precision, *scale))]
                };
                Ok(Conversion { steps })
            }
            _ => Conversion::plan(found, target),
        }
    }

    /// The type this conversion gives a column found as `found`.
    pub fn output_type(&self, found: &DataType) -> DataType {
        self.steps
            .iter()
            .rev()
            .find_map(|step| match step {
                Step::Cast(to) => Some(to.clone()),
                _ => None,
            })
            .unwrap_or_else(|| found.clone())
    }

    pub fn is_identity(&self) -> bool {
        self.steps.is_empty()
    }

    pub fn apply(&self, array: &ArrayRef) -> Result<Converted, ArrowError> {
        let mut current = array.clone();
        let mut lossy = Vec::new();
        for step in &self.steps {
            current = match step {
                Step::Cast(to) => checked_cast(&current, to, &mut lossy)?,
                Step::Divisible { divisor, dropped } => {
                    require_divisible(&current, *divisor, dropped, &mut lossy)?;
                    current
                }
                Step::UtcToShanghai => utc_to_shanghai(&current, &mut lossy)?,
                Step::Finite => {
                    require_finite(&current, &mut lossy);
                    current
                }
            };
        }
        lossy.sort_by_key(|(row, _)| *row);
        lossy.dedup_by_key(|(row, _)| *row);
        Ok(Converted {
            array: current,
            lossy,
        })
    }
}

/// The type a Parquet reader can decode a column of `target` straight
/// into, found as `found` with leaves of `physical` type, for a caller that
/// keeps it in compact storage: an enumeration as the file's dictionary
/// (its codes, not a string a row), a decimal of at most 18 digits stored as
/// an integer in 64 bits, its scale the contract's (no digit to check).
/// `None` when the column is read as it is.
pub fn compact_read_type(
    found: &DataType,
    target: &ColumnType,
    physical: PhysicalType,
) -> Option<DataType> {
    match (target, found, physical) {
        (
            ColumnType::Enum(_),
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View,
            PhysicalType::BYTE_ARRAY,
        ) => Some(DataType::Dictionary(
            Box::new(DataType::Int32),
            Box::new(DataType::Utf8),
        )),
        (
            ColumnType::Decimal { precision, scale },
            DataType::Decimal32(p, s) | DataType::Decimal64(p, s) | DataType::Decimal128(p, s),
            PhysicalType::INT32 | PhysicalType::INT64,
        ) if s == scale
            && *p <= DECIMAL64_MAX_PRECISION
            && *precision <= DECIMAL64_MAX_PRECISION =>
        {
            Some(DataType::Decimal64(*p, *s))
        }
        _ => None,
    }
}

fn is_string_like(ty: &DataType) -> bool {
    match ty {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, value) => is_string_like(value),
        _ => false,
    }
}

fn is_integer(ty: &DataType) -> bool {
    ty.is_integer()
}

fn decimal_parts(ty: &DataType) -> Option<(u8, i8)> {
    match ty {
        DataType::Decimal32(p, s)
        | DataType::Decimal64(p, s)
        | DataType::Decimal128(p, s)
        | DataType::Decimal256(p, s) => Some((*p, *s)),
        _ => None,
    }
}

fn unit_per_second(unit: &TimeUnit) -> i128 {
    match unit {
        TimeUnit::Second => 1,
        TimeUnit::Millisecond => 1_000,
        TimeUnit::Microsecond => 1_000_000,
        TimeUnit::Nanosecond => 1_000_000_000,
    }
}

fn plan_steps(found: &DataType, target: &ColumnType) -> Result<Vec<Step>, String> {
    let want = arrow_type(target);
    if *target == ColumnType::Float64 {
        // Narrower floats and integers widen exactly; a 64-bit integer may not.
        use DataType::*;
        return match found {
            Float64 => Ok(vec![Step::Finite]),
            Float16 | Float32 | Int8 | Int16 | Int32 | UInt8 | UInt16 | UInt32 => {
                Ok(vec![Step::Cast(want), Step::Finite])
            }
            _ => Err(mismatch(found, target, "")),
        };
    }
    if *found == want {
        return Ok(Vec::new());
    }
    match target {
        ColumnType::Text | ColumnType::Enum(_) if is_string_like(found) => {
            Ok(vec![Step::Cast(want)])
        }
        ColumnType::Int32 | ColumnType::Int64 if is_integer(found) => Ok(vec![Step::Cast(want)]),
        ColumnType::Decimal { scale, .. } => plan_decimal(found, *scale, want),
        ColumnType::Date => match found {
            DataType::Date64 => Ok(vec![
                Step::Divisible {
                    divisor: 86_400_000,
                    dropped: "a time of day",
                },
                Step::Cast(want),
            ]),
            DataType::Timestamp(unit, None) => Ok(vec![
                Step::Divisible {
                    divisor: 86_400 * unit_per_second(unit),
                    dropped: "a time of day",
                },
                Step::Cast(want),
            ]),
            _ => Err(mismatch(found, target, "")),
        },
        ColumnType::Timestamp => match found {
            DataType::Timestamp(unit, zone) => {
                let mut steps = Vec::new();
                if zone.is_some() {
                    steps.push(Step::UtcToShanghai);
                }
                let per_ms = unit_per_second(unit) / 1_000;
                if per_ms > 1 {
                    steps.push(Step::Divisible {
                        divisor: per_ms,
                        dropped: "a fraction of a millisecond",
                    });
                }
                steps.push(Step::Cast(want));
                Ok(steps)
            }
            _ => Err(mismatch(found, target, "")),
        },
        ColumnType::List(inner) => match found {
            DataType::List(item) | DataType::LargeList(item) | DataType::FixedSizeList(item, _) => {
                let inner_steps = plan_steps(item.data_type(), inner)?;
                if inner_steps.iter().all(|s| matches!(s, Step::Cast(_))) {
                    Ok(vec![Step::Cast(DataType::List(list_item_field(
                        arrow_type(inner),
                    )))])
                } else {
                    Err(mismatch(found, target, ""))
                }
            }
            _ => Err(mismatch(found, target, "")),
        },
        _ => Err(mismatch(found, target, "")),
    }
}

fn plan_decimal(found: &DataType, scale: i8, want: DataType) -> Result<Vec<Step>, String> {
    let target_name = format!("{want}");
    if found.is_floating() {
        return Err(format!(
            "expected {target_name}, found {found}: floating-point numbers cannot hold money exactly; export this column as a decimal"
        ));
    }
    if is_integer(found) {
        return Ok(vec![Step::Cast(want)]);
    }
    let Some((precision, found_scale)) = decimal_parts(found) else {
        return Err(format!("expected {target_name}, found {found}"));
    };
    let mut steps = Vec::new();
    if found_scale > scale {
        if !matches!(found, DataType::Decimal128(..)) {
            steps.push(Step::Cast(DataType::Decimal128(
                precision.min(38),
                found_scale,
            )));
        }
        steps.push(Step::Divisible {
            divisor: 10i128.pow((found_scale - scale) as u32),
            dropped: "digits after the decimal point that the contract does not keep",
        });
    }
    steps.push(Step::Cast(want));
    Ok(steps)
}

fn mismatch(found: &DataType, target: &ColumnType, hint: &str) -> String {
    let want = arrow_type(target);
    let mut message = format!("expected {want}");
    if let ColumnType::Enum(_) = target {
        message.push_str(" (an enumeration)");
    }
    message.push_str(&format!(", found {found}"));
    let hint = if !hint.is_empty() {
        hint.to_string()
    } else if matches!(target, ColumnType::Date | ColumnType::Timestamp) && is_string_like(found) {
        "write dates as Date32 and times as Timestamp, not as text".to_string()
    } else {
        String::new()
    };
    if !hint.is_empty() {
        message.push_str(": ");
        message.push_str(&hint);
    }
    message
}

fn display_value(array: &dyn Array, row: usize) -> String {
    match ArrayFormatter::try_new(array, &FormatOptions::default()) {
        Ok(formatter) => formatter.value(row).to_string(),
        Err(_) => "?".to_string(),
    }
}

fn checked_cast(
    array: &ArrayRef,
    to: &DataType,
    lossy: &mut Vec<(usize, String)>,
) -> Result<ArrayRef, ArrowError> {
    let options = CastOptions {
        safe: true,
        ..Default::default()
    };
    let result = cast_with_options(array.as_ref(), to, &options)?;
    if result.null_count() != array.null_count() {
        for row in 0..array.len() {
            if array.is_valid(row) && result.is_null(row) {
                lossy.push((
                    row,
                    format!(
                        "value {} does not fit {to}",
                        display_value(array.as_ref(), row)
                    ),
                ));
            }
        }
    }
    Ok(result)
}

fn require_finite(array: &ArrayRef, lossy: &mut Vec<(usize, String)>) {
    let values = array.as_primitive::<Float64Type>();
    for (row, value) in values.iter().enumerate() {
        if value.is_some_and(|v| !v.is_finite()) {
            lossy.push((
                row,
                format!(
                    "value {} is not a finite number",
                    display_value(array.as_ref(), row)
                ),
            ));
        }
    }
}

fn require_divisible(
    array: &ArrayRef,
    divisor: i128,
    dropped: &str,
    lossy: &mut Vec<(usize, String)>,
) -> Result<(), ArrowError> {
    let mut report = |row: usize| {
        lossy.push((
            row,
            format!(
                "value {} has {dropped}, which would be lost",
                display_value(array.as_ref(), row)
            ),
        ))
    };
    if let DataType::Decimal128(..) = array.data_type() {
        let values = array.as_primitive::<Decimal128Type>();
        for (row, value) in values.iter().enumerate() {
            if value.is_some_and(|v| v % divisor != 0) {
                report(row);
            }
        }
    } else {
        let raw = cast_with_options(array.as_ref(), &DataType::Int64, &CastOptions::default())?;
        for (row, value) in raw.as_primitive::<Int64Type>().iter().enumerate() {
            if value.is_some_and(|v| (v as i128).rem_euclid(divisor) != 0) {
                report(row);
            }
        }
    }
    Ok(())
}

fn utc_to_shanghai(
    array: &ArrayRef,
    lossy: &mut Vec<(usize, String)>,
) -> Result<ArrayRef, ArrowError> {
    let DataType::Timestamp(unit, Some(_)) = array.data_type() else {
        return Ok(array.clone());
    };
    let offset = SHANGHAI_OFFSET_SECONDS * unit_per_second(unit) as i64;
    let shift = |v: i64, row: usize, lossy: &mut Vec<(usize, String)>| {
        v.checked_add(offset).or_else(|| {
            lossy.push((row, "timestamp out of range".to_string()));
            None
        })
    };
    macro_rules! shifted {
        ($ty:ty) => {{
            let values = array.as_primitive::<$ty>();
            let out: arrow::array::PrimitiveArray<$ty> = values
                .iter()
                .enumerate()
                .map(|(row, v)| v.and_then(|v| shift(v, row, lossy)))
                .collect();
            Arc::new(out) as ArrayRef
        }};
    }
    Ok(match unit {
        TimeUnit::Second => shifted!(TimestampSecondType),
        TimeUnit::Millisecond => shifted!(TimestampMillisecondType),
        TimeUnit::Microsecond => shifted!(TimestampMicrosecondType),
        TimeUnit::Nanosecond => shifted!(TimestampNanosecondType),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{
        Date64Array, Decimal128Array, DictionaryArray, Float64Array, Int64Array, LargeStringArray,
        StringArray, TimestampMicrosecondArray, TimestampSecondArray,
    };
    use arrow::datatypes::Int32Type;

    fn convert(array: ArrayRef, target: &ColumnType) -> Converted {
        Conversion::plan(array.data_type(), target)
            .unwrap()
            .apply(&array)
            .unwrap()
    }

    #[test]
    fn string_variants_become_utf8() {
        let large: ArrayRef = Arc::new(LargeStringArray::from(vec!["a", "b"]));
        let out = convert(large, &ColumnType::Text);
        assert_eq!(out.array.data_type(), &DataType::Utf8);
        let dict: DictionaryArray<Int32Type> = vec!["x", "y", "x"].into_iter().collect();
        let out = convert(Arc::new(dict), &ColumnType::Text);
        assert_eq!(out.array.as_string::<i32>().value(2), "x");
        assert!(out.lossy.is_empty());
    }

    #[test]
    fn narrowing_integers_reports_values_that_do_not_fit() {
        let wide: ArrayRef = Arc::new(Int64Array::from(vec![Some(1), None, Some(3_000_000_000)]));
        let out = convert(wide, &ColumnType::Int32);
        assert_eq!(out.lossy.len(), 1);
        assert_eq!(out.lossy[0].0, 2);
        assert!(out.lossy[0].1.contains("3000000000"), "{}", out.lossy[0].1);
    }

    #[test]
    fn decimals_rescale_exactly_or_are_refused() {
        let target = ColumnType::Decimal {
            precision: 18,
            scale: 2,
        };
        let finer: ArrayRef = Arc::new(
            Decimal128Array::from(vec![12_3400, 5_0001])
                .with_precision_and_scale(20, 4)
                .unwrap(),
        );
        let out = convert(finer, &target);
        assert_eq!(out.lossy.len(), 1);
        assert_eq!(out.lossy[0].0, 1);
        assert_eq!(out.array.as_primitive::<Decimal128Type>().value(0), 1234);

        let coarser: ArrayRef = Arc::new(
            Decimal128Array::from(vec![15])
                .with_precision_and_scale(10, 1)
                .unwrap(),
        );
        let out = convert(coarser, &target);
        assert_eq!(out.array.as_primitive::<Decimal128Type>().value(0), 150);

        let too_big: ArrayRef = Arc::new(
            Decimal128Array::from(vec![10i128.pow(30)])
                .with_precision_and_scale(38, 2)
                .unwrap(),
        );
        assert_eq!(convert(too_big, &target).lossy.len(), 1);

        let err = Conversion::plan(&DataType::Float64, &target).unwrap_err();
        assert!(err.contains("floating-point"), "{err}");
        let _ = Float64Array::from(vec![1.0]);
    }

    #[test]
    fn money_stays_exact_from_any_parquet_number_type() {
        let target = ColumnType::Decimal {
            precision: 18,
            scale: 2,
        };
        // An integer becomes a decimal only when it fits the precision.
        let ints: ArrayRef = Arc::new(Int64Array::from(vec![12, i64::MAX, 10i64.pow(16)]));
        let out = convert(ints, &target);
        assert_eq!(out.array.as_primitive::<Decimal128Type>().value(0), 1200);
        let rows: Vec<usize> = out.lossy.iter().map(|l| l.0).collect();
        assert_eq!(rows, vec![1, 2]);
        // A Decimal256 beyond any i128 is reported, not wrapped.
        let huge = arrow::array::Decimal256Array::from(vec![
            arrow::datatypes::i256::from_i128(i128::MAX) * arrow::datatypes::i256::from_i128(100),
        ])
        .with_precision_and_scale(76, 2)
        .unwrap();
        assert_eq!(convert(Arc::new(huge), &target).lossy.len(), 1);
        // No floating-point type is taken for money, whatever its width.
        for float in [DataType::Float16, DataType::Float32, DataType::Float64] {
            assert!(Conversion::plan(&float, &target).is_err(), "{float}");
        }
    }

    #[test]
    fn timestamps_change_unit_only_when_nothing_is_lost() {
        let micros: ArrayRef =
            Arc::new(TimestampMicrosecondArray::from(vec![1_000_000, 1_000_001]));
        let out = convert(micros, &ColumnType::Timestamp);
        assert_eq!(out.lossy.len(), 1);
        assert_eq!(out.lossy[0].0, 1);
        let seconds: ArrayRef = Arc::new(TimestampSecondArray::from(vec![10]));
        let out = convert(seconds, &ColumnType::Timestamp);
        assert_eq!(
            out.array
                .as_primitive::<TimestampMillisecondType>()
                .value(0),
            10_000
        );
    }

    #[test]
    fn zoned_timestamps_become_shanghai_wall_clock() {
        let utc: ArrayRef = Arc::new(TimestampSecondArray::from(vec![0]).with_timezone("UTC"));
        let out = convert(utc, &ColumnType::Timestamp);
        assert_eq!(
            out.array.data_type(),
            &DataType::Timestamp(TimeUnit::Millisecond, None)
        );
        assert_eq!(
            out.array
                .as_primitive::<TimestampMillisecondType>()
                .value(0),
            8 * 3600 * 1000
        );
    }

    #[test]
    fn date64_must_be_whole_days() {
        let dates: ArrayRef = Arc::new(Date64Array::from(vec![86_400_000, 86_400_001]));
        let out = convert(dates, &ColumnType::Date);
        assert_eq!(out.lossy.len(), 1);
        assert_eq!(out.array.data_type(), &DataType::Date32);
    }

    #[test]
    fn text_is_not_a_date() {
        let err = Conversion::plan(&DataType::Utf8, &ColumnType::Date).unwrap_err();
        assert!(err.contains("expected Date32, found Utf8"), "{err}");
        let _ = StringArray::from(vec!["2024-01-01"]);
    }
}
