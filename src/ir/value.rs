//! A single value of any type: rule constants, parameters, test rows.

use rust_decimal::Decimal;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// Whole numbers, and numbers of days.
    Int(i64),
    Decimal(Decimal),
    /// Always finite: loaders refuse infinities and NaN, and arithmetic
    /// that would make one gives null.
    Float(f64),
    Text(String),
    /// Days since 1970-01-01.
    Date(i32),
    /// Milliseconds since 1970-01-01 00:00, local wall-clock time.
    Timestamp(i64),
    List(Vec<Value>),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

/// The exact scaled integer of `value` at `scale` digits, if it has no more
/// digits than that and fits `precision`.
pub fn decimal_mantissa(value: Decimal, precision: u8, scale: i8) -> Result<i128, String> {
    let scale = u32::try_from(scale).map_err(|_| "negative decimal scales are not supported")?;
    let normalized = value.normalize();
    if normalized.scale() > scale {
        return Err(format!(
            "{value} has more than {scale} digits after the decimal point"
        ));
    }
    let mut rescaled = normalized;
    rescaled.rescale(scale);
    let mantissa = rescaled.mantissa();
    if rescaled.scale() != scale || mantissa.unsigned_abs() >= 10u128.pow(precision as u32) {
        return Err(format!("{value} does not fit decimal({precision},{scale})"));
    }
    Ok(mantissa)
}
