//! The types of values in rules, as the checker infers them.

use std::fmt;

use super::schema::ColumnType;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Type {
    Bool,
    /// Whole numbers (int32 and int64 columns, integer literals).
    Int,
    /// Exact decimals (money, quantities, ratios).
    Decimal,
    /// Binary floating-point measures: never money, and meeting decimals
    /// only as written constants or through `float(x)`.
    Float,
    Text,
    /// Text restricted to these values.
    Enum(Vec<String>),
    Date,
    Timestamp,
    /// A number of days: `29 days`, or a date minus a date.
    Days,
    List(Box<Type>),
    /// A row of a table, reached by a relation (only tested with `is null`).
    Row(String),
    /// The literal `null` type of an empty list or unknown; compatible with anything.
    Unknown,
}

impl Type {
    pub fn of_column(ty: &ColumnType) -> Type {
        match ty {
            ColumnType::Text => Type::Text,
            ColumnType::Int32 | ColumnType::Int64 => Type::Int,
            ColumnType::Bool => Type::Bool,
            ColumnType::Decimal { .. } => Type::Decimal,
            ColumnType::Float64 => Type::Float,
            ColumnType::Date => Type::Date,
            ColumnType::Timestamp => Type::Timestamp,
            ColumnType::Enum(values) => Type::Enum(values.clone()),
            ColumnType::List(inner) => Type::List(Box::new(Type::of_column(inner))),
        }
    }

    pub fn is_numeric(&self) -> bool {
        matches!(
            self,
            Type::Int | Type::Decimal | Type::Float | Type::Unknown
        )
    }

    pub fn is_textual(&self) -> bool {
        matches!(self, Type::Text | Type::Enum(_) | Type::Unknown)
    }

    /// Whether values of the two types can be compared with `=` or `<`.
    pub fn comparable_with(&self, other: &Type) -> bool {
        match (self, other) {
            (Type::Unknown, _) | (_, Type::Unknown) => true,
            (a, b) if a.is_numeric() && b.is_numeric() => true,
            (a, b) if a.is_textual() && b.is_textual() => true,
            (Type::List(a), Type::List(b)) => a.comparable_with(b),
            (a, b) => a == b,
        }
    }

    /// Whether values can be put in order (`<`, `order by`, `min`).
    pub fn is_orderable(&self) -> bool {
        !matches!(self, Type::List(_) | Type::Row(_) | Type::Bool)
    }

    /// The common type of two comparable types (for `coalesce`, sets).
    pub fn unify(&self, other: &Type) -> Option<Type> {
        Some(match (self, other) {
            (Type::Unknown, t) | (t, Type::Unknown) => t.clone(),
            (Type::Int, Type::Int) => Type::Int,
            (Type::Float, b) | (b, Type::Float) if b.is_numeric() => Type::Float,
            (a, b) if a.is_numeric() && b.is_numeric() => Type::Decimal,
            (Type::Enum(a), Type::Enum(b)) => {
                let mut values = a.clone();
                values.extend(b.iter().filter(|v| !a.contains(v)).cloned());
                Type::Enum(values)
            }
            (a, b) if a.is_textual() && b.is_textual() => Type::Text,
            (a, b) if a == b => a.clone(),
            _ => return None,
        })
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Bool => write!(f, "a true/false condition"),
            Type::Int => write!(f, "a whole number"),
            Type::Decimal => write!(f, "a decimal number"),
            Type::Float => write!(f, "a floating-point number"),
            Type::Text => write!(f, "text"),
            Type::Enum(values) => write!(f, "one of {}", quoted_list(values)),
            Type::Date => write!(f, "a date"),
            Type::Timestamp => write!(f, "a time"),
            Type::Days => write!(f, "a number of days"),
            Type::List(inner) => write!(f, "a list of {}", plural(inner)),
            Type::Row(table) => write!(f, "a row of `{table}`"),
            Type::Unknown => write!(f, "null"),
        }
    }
}

fn quoted_list(values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("\"{v}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

fn plural(ty: &Type) -> String {
    match ty {
        Type::Text | Type::Enum(_) => "text".into(),
        Type::Int => "whole numbers".into(),
        Type::Decimal => "decimals".into(),
        Type::Float => "floating-point numbers".into(),
        Type::Date => "dates".into(),
        other => format!("{other}"),
    }
}
