//! The native JSON form of a claim, checked against the schema: the header
//! columns as fields, the lines under `lines`. Every error names the field
//! (`lines[2].item_type: "Drug" is not one of drug, service, material`).
//!
//! Types: text and enumerations are strings; whole numbers are JSON
//! integers; decimals are strings in plain notation (`"12.50"`, no `1e5`,
//! no `1_000`) or JSON numbers, with no more digits after the point than
//! the column's scale; dates are exactly `"2024-03-01"`; times are
//! `"2024-03-01 08:30:00"`; lists are arrays. A nullable column may be
//! absent or `null`; a required one may not, nor be an empty or blank
//! string. Unknown fields are refused (a misspelt field would otherwise be
//! lost). Dates before 1900 are refused here; the latest date taken
//! depends on the clock and is checked by `plausible`.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::{Map, Value as Json};

use super::shape::{Claim, ClaimShape};
use crate::ir::decimal_mantissa;
use crate::ir::text::{days_to_date, is_plain_decimal, parse_date_exact, parse_timestamp_exact};
use crate::ir::{ColumnType, CompareOp, Constraint, ConstraintOperand, Literal, Table, Value};

/// The field holding a claim's lines.
pub const LINES: &str = "lines";

/// A value that does not fit its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's path, e.g. `lines[2].item_type`.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

/// Reads and checks a claim in its JSON form.
pub fn claim_from_json(shape: &ClaimShape, json: &Json) -> Result<Claim, FieldError> {
    let object = json.as_object().ok_or_else(|| {
        FieldError::new("", format!("expected a claim object, found {}", kind(json)))
    })?;
    let allowed_extra: &[&str] = if shape.lines.is_some() { &[LINES] } else { &[] };
    let ids = [shape.claim_id, shape.patient_id];
    let header = row_from_json(&shape.header, object, "", None, allowed_extra, &ids)?;
    let claim_id = match &header[shape.claim_id] {
        Value::Text(t) => t.clone(),
        _ => unreachable!("the claim id is required text"),
    };
    let mut lines = Vec::new();
    if let Some(shape_lines) = &shape.lines {
        let items = match object.get(LINES) {
            None | Some(Json::Null) => &Vec::new(),
            Some(Json::Array(items)) => items,
            Some(other) => {
                return Err(FieldError::new(
                    LINES,
                    format!("expected an array of lines, found {}", kind(other)),
                ));
            }
        };
        let mut seen: HashMap<Vec<String>, usize> = HashMap::new();
        let mut line_ids = shape_lines.key.clone();
        line_ids.push(shape_lines.claim_fk);
        for (i, item) in items.iter().enumerate() {
            let prefix = format!("{LINES}[{i}].");
            let object = item.as_object().ok_or_else(|| {
                FieldError::new(
                    format!("{LINES}[{i}]"),
                    format!("expected a line object, found {}", kind(item)),
                )
            })?;
            let fk = (shape_lines.claim_fk, claim_id.as_str());
            let row = row_from_json(
                &shape_lines.table,
                object,
                &prefix,
                Some(fk),
                &[],
                &line_ids,
            )?;
            let key: Vec<String> = shape_lines
                .key
                .iter()
                .map(|&k| format!("{:?}", row[k]))
                .collect();
            if !key.is_empty()
                && let Some(first) = seen.insert(key, i)
            {
                let column = &shape_lines.table.columns[shape_lines.key[0]].name;
                return Err(FieldError::new(
                    format!("{prefix}{column}"),
                    format!(
                        "{} is used by {LINES}[{first}] too; it must be unique within the claim",
                        show(&row[shape_lines.key[0]])
                    ),
                ));
            }
            lines.push(row);
        }
    }
    Ok(Claim { header, lines })
}

/// One row of `table` from a JSON object. `fk` fills the column holding the
/// claim id (a line may leave it out; when given it must agree). `ids` are
/// the columns that identify (the claim, the patient, a line's key): taken
/// exactly as sent, so they may not begin or end with white space.
fn row_from_json(
    table: &Table,
    object: &Map<String, Json>,
    prefix: &str,
    fk: Option<(usize, &str)>,
    extra: &[&str],
    ids: &[usize],
) -> Result<Vec<Value>, FieldError> {
    if let Some(unknown) = object
        .keys()
        .find(|k| table.column(k).is_none() && !extra.contains(&k.as_str()))
    {
        let known: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
        return Err(FieldError::new(
            format!("{prefix}{unknown}"),
            format!(
                "is not a field of `{}`; its fields are {}",
                table.name,
                known.join(", ")
            ),
        ));
    }
    let mut row = Vec::with_capacity(table.columns.len());
    for (i, column) in table.columns.iter().enumerate() {
        let field = format!("{prefix}{}", column.name);
        let given = object.get(&column.name).filter(|v| !v.is_null());
        let value = match (given, fk) {
            (None, Some((fk, id))) if fk == i => Value::Text(id.to_string()),
            (None, _) if column.nullable => Value::Null,
            (None, _) => return Err(FieldError::new(field, "is required")),
            (Some(json), _) => value_from_json(&column.ty, json, &field)?,
        };
        if let Value::Text(text) = &value {
            check_text(text, !column.nullable, ids.contains(&i), &field)?;
        }
        if let Some((fk, id)) = fk
            && fk == i
            && value != Value::Text(id.to_string())
        {
            return Err(FieldError::new(
                field,
                format!("{} differs from the claim's id \"{id}\"", show(&value)),
            ));
        }
        row.push(value);
    }
    for constraint in &table.constraints {
        check_constraint(table, &row, constraint, prefix)?;
    }
    Ok(row)
}

/// A required text may not be empty or blank (it would pass for a value
/// where there is none: an empty claim id is recorded but can never be read
/// back); an id may hold no white space at its ends nor control characters.
fn check_text(text: &str, required: bool, id: bool, field: &str) -> Result<(), FieldError> {
    if required && text.trim().is_empty() {
        return Err(FieldError::new(
            field,
            "is required; an empty or blank string is not a value",
        ));
    }
    if id && text.trim() != text {
        return Err(FieldError::new(
            field,
            format!(
                "\"{}\" begins or ends with white space; an id is taken exactly as sent",
                truncate(text)
            ),
        ));
    }
    if id && text.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "holds a control character; an id may not",
        ));
    }
    Ok(())
}

/// Converts one JSON value to a value of `ty` (not null).
pub fn value_from_json(ty: &ColumnType, json: &Json, field: &str) -> Result<Value, FieldError> {
    let wrong = |expected: &str| {
        FieldError::new(field, format!("expected {expected}, found {}", kind(json)))
    };
    let text = || json.as_str().ok_or_else(|| wrong("a string"));
    match ty {
        ColumnType::Text => Ok(Value::Text(text()?.to_string())),
        ColumnType::Enum(values) => {
            let t = text()?;
            if values.iter().any(|v| v == t) {
                Ok(Value::Text(t.to_string()))
            } else {
                Err(FieldError::new(
                    field,
                    format!("\"{t}\" is not one of {}", values.join(", ")),
                ))
            }
        }
        ColumnType::Int32 | ColumnType::Int64 => {
            let n = json.as_i64().ok_or_else(|| wrong("a whole number"))?;
            if *ty == ColumnType::Int32 && i32::try_from(n).is_err() {
                return Err(FieldError::new(field, format!("{n} does not fit int32")));
            }
            Ok(Value::Int(n))
        }
        ColumnType::Bool => json
            .as_bool()
            .map(Value::Bool)
            .ok_or_else(|| wrong("true or false")),
        // A measure, so a JSON number; a string is taken as its text.
        ColumnType::Float64 => match json {
            Json::Number(n) => n.as_f64().ok_or_else(|| wrong("a finite number")),
            Json::String(s) => {
                crate::ir::text::parse_float(s).map_err(|e| FieldError::new(field, e))
            }
            _ => Err(wrong("a number")),
        }
        .map(Value::Float),
        ColumnType::Decimal { precision, scale } => {
            let d = match json {
                Json::String(s) if is_plain_decimal(s) => Decimal::from_str(s).ok(),
                Json::String(_) => None,
                // The body reader refuses exponent notation; a float may
                // still print with an exponent (1e16), which is its value.
                Json::Number(n) => {
                    let t = n.to_string();
                    Decimal::from_str(&t)
                        .or_else(|_| Decimal::from_scientific(&t))
                        .ok()
                }
                _ => return Err(wrong("a decimal (a string like \"12.50\" or a number)")),
            };
            let d = d.ok_or_else(|| {
                let written = json.as_str().map_or_else(|| json.to_string(), truncate);
                FieldError::new(
                    field,
                    format!("\"{written}\" is not a decimal in plain notation like 12.50"),
                )
            })?;
            decimal_mantissa(d, *precision, *scale).map_err(|e| FieldError::new(field, e))?;
            let mut d = d.normalize();
            d.rescale(*scale as u32);
            Ok(Value::Decimal(d))
        }
        ColumnType::Date => parse_date_exact(text()?)
            .map(Value::Date)
            .map_err(|e| FieldError::new(field, e)),
        ColumnType::Timestamp => parse_timestamp_exact(text()?)
            .map(Value::Timestamp)
            .map_err(|e| FieldError::new(field, e)),
        ColumnType::List(inner) => {
            let items = json.as_array().ok_or_else(|| wrong("an array"))?;
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let field = format!("{field}[{i}]");
                    if item.is_null() {
                        return Err(FieldError::new(field, "a list element may not be null"));
                    }
                    if item.as_str().is_some_and(|t| t.trim().is_empty()) {
                        return Err(FieldError::new(
                            field,
                            "a list element may not be an empty or blank string",
                        ));
                    }
                    value_from_json(inner, item, &field)
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Value::List)
        }
    }
}

fn check_constraint(
    table: &Table,
    row: &[Value],
    constraint: &Constraint,
    prefix: &str,
) -> Result<(), FieldError> {
    let Some(i) = table.column_index(&constraint.column) else {
        return Ok(());
    };
    let left = &row[i];
    let right = match &constraint.operand {
        ConstraintOperand::Column(name) => match table.column_index(name) {
            Some(j) => row[j].clone(),
            None => return Ok(()),
        },
        ConstraintOperand::Literal(Literal::Int(n)) => Value::Int(*n),
        ConstraintOperand::Literal(Literal::Decimal(t)) => match Decimal::from_str(t) {
            Ok(d) => Value::Decimal(d),
            Err(_) => return Ok(()),
        },
        ConstraintOperand::Literal(Literal::Text(t)) => Value::Text(t.clone()),
        ConstraintOperand::Literal(Literal::Date(d)) => Value::Date(*d),
    };
    let Some(ordering) = compare(left, &right) else {
        return Ok(());
    };
    if holds(constraint.op, ordering) {
        return Ok(());
    }
    let mut message = format!("{} breaks the rule `{constraint}`", show(left));
    if let ConstraintOperand::Column(name) = &constraint.operand {
        message.push_str(&format!(" ({name} is {})", show(&right)));
    }
    Err(FieldError::new(
        format!("{prefix}{}", constraint.column),
        message,
    ))
}

fn holds(op: CompareOp, ordering: Ordering) -> bool {
    op.holds(ordering)
}

/// Orders two values of comparable kinds; `None` when either is null.
fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Decimal(x), Value::Decimal(y)) => Some(x.cmp(y)),
        (Value::Decimal(x), Value::Int(y)) => Some(x.cmp(&Decimal::from(*y))),
        (Value::Int(x), Value::Decimal(y)) => Some(Decimal::from(*x).cmp(y)),
        (Value::Text(x), Value::Text(y)) => Some(x.cmp(y)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::Timestamp(x), Value::Timestamp(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// The claim in its JSON form: every column (null where null), the lines
/// without the claim id they repeat. Reading it back gives the same claim.
pub fn claim_to_json(shape: &ClaimShape, claim: &Claim) -> Json {
    let mut object = row_to_json(&shape.header, &claim.header, None);
    if let Some(lines) = &shape.lines {
        let items = claim
            .lines
            .iter()
            .map(|l| Json::Object(row_to_json(&lines.table, l, Some(lines.claim_fk))))
            .collect();
        object.insert(LINES.to_string(), Json::Array(items));
    }
    Json::Object(object)
}

fn row_to_json(table: &Table, row: &[Value], skip: Option<usize>) -> Map<String, Json> {
    table
        .columns
        .iter()
        .zip(row)
        .enumerate()
        .filter(|(i, _)| Some(*i) != skip)
        .map(|(_, (c, v))| (c.name.clone(), value_to_json(v)))
        .collect()
}

/// A value in its JSON form (decimals and dates as strings).
pub fn value_to_json(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::Decimal(d) => Json::String(d.to_string()),
        Value::Float(x) => Json::from(*x),
        Value::Text(t) => Json::String(t.clone()),
        Value::Date(d) => Json::String(date_text(*d)),
        Value::Timestamp(ms) => Json::String(time_text(*ms)),
        Value::List(items) => Json::Array(items.iter().map(value_to_json).collect()),
    }
}

pub fn date_text(days: i32) -> String {
    days_to_date(days).map_or_else(|| days.to_string(), |d| d.format("%Y-%m-%d").to_string())
}

pub fn time_text(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) if ms % 1000 == 0 => t.naive_utc().format("%Y-%m-%d %H:%M:%S").to_string(),
        Some(t) => t.naive_utc().format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
        None => ms.to_string(),
    }
}

/// A value as written in a message.
fn show(value: &Value) -> String {
    match value_to_json(value) {
        Json::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    }
}

/// What kind of JSON value was found, for messages.
pub fn kind(json: &Json) -> String {
    match json {
        Json::Null => "null".into(),
        Json::Bool(b) => format!("{b}"),
        Json::Number(n) => format!("the number {n}"),
        Json::String(s) => format!("the string \"{}\"", truncate(s)),
        Json::Array(_) => "an array".into(),
        Json::Object(_) => "an object".into(),
    }
}

fn truncate(s: &str) -> String {
    if s.chars().count() > 40 {
        format!("{}...", s.chars().take(40).collect::<String>())
    } else {
        s.to_string()
    }
}
