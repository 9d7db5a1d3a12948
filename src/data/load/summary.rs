//! What a dataset holds: rows per table, date ranges, counts per
//! enumeration value, sums of decimal columns, nulls in nullable columns.

use std::collections::BTreeMap;
use std::fmt;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{Date32Type, Decimal128Type, TimestampMillisecondType};

use super::read::LoadedBatch;
use crate::ir::text::days_to_date;
use crate::ir::{ColumnType, Table};

#[derive(Debug, Clone, PartialEq)]
pub enum Detail {
    /// Days since 1970-01-01.
    DateRange {
        min: i32,
        max: i32,
    },
    /// Milliseconds, local time.
    TimeRange {
        min: i64,
        max: i64,
    },
    Counts(BTreeMap<String, u64>),
    Sum {
        mantissa: i128,
        scale: i8,
    },
    Nothing,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnSummary {
    pub name: String,
    pub nullable: bool,
    pub nulls: u64,
    pub detail: Detail,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableSummary {
    pub table: String,
    pub files: usize,
    pub rows: u64,
    pub columns: Vec<ColumnSummary>,
}

impl TableSummary {
    pub fn new(table: &Table, files: usize) -> TableSummary {
        let columns = table
            .columns
            .iter()
            .map(|c| ColumnSummary {
                name: c.name.clone(),
                nullable: c.nullable,
                nulls: 0,
                detail: match &c.ty {
                    ColumnType::Enum(_) => Detail::Counts(BTreeMap::new()),
                    // Amounts of money (yuan, to the cent) are worth summing to
                    // reconcile with the source system; prices and quantities are not.
                    ColumnType::Decimal { scale, .. } if *scale <= 2 => Detail::Sum {
                        mantissa: 0,
                        scale: *scale,
                    },
                    _ => Detail::Nothing,
                },
            })
            .collect();
        TableSummary {
            table: table.name.clone(),
            files,
            rows: 0,
            columns,
        }
    }

    pub fn column(&self, name: &str) -> Option<&ColumnSummary> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn add(&mut self, batch: &LoadedBatch) {
        self.rows += batch.batch.num_rows() as u64;
        for column in &mut self.columns {
            let Some(array) = batch.column(&column.name) else {
                continue;
            };
            column.nulls += array.logical_null_count() as u64;
            match (array.data_type(), &mut column.detail) {
                (arrow::datatypes::DataType::Date32, detail) => {
                    let values = array.as_primitive::<Date32Type>();
                    if let (Some(lo), Some(hi)) =
                        (arrow::compute::min(values), arrow::compute::max(values))
                    {
                        *detail = match *detail {
                            Detail::DateRange { min, max } => Detail::DateRange {
                                min: min.min(lo),
                                max: max.max(hi),
                            },
                            _ => Detail::DateRange { min: lo, max: hi },
                        };
                    }
                }
                (arrow::datatypes::DataType::Timestamp(..), detail) => {
                    let values = array.as_primitive::<TimestampMillisecondType>();
                    if let (Some(lo), Some(hi)) =
                        (arrow::compute::min(values), arrow::compute::max(values))
                    {
                        *detail = match *detail {
                            Detail::TimeRange { min, max } => Detail::TimeRange {
                                min: min.min(lo),
                                max: max.max(hi),
                            },
                            _ => Detail::TimeRange { min: lo, max: hi },
                        };
                    }
                }
                (_, Detail::Counts(counts)) => {
                    for value in array.as_string::<i32>().iter().flatten() {
                        match counts.get_mut(value) {
                            Some(n) => *n += 1,
                            None => {
                                counts.insert(value.to_string(), 1);
                            }
                        }
                    }
                }
                (_, Detail::Sum { mantissa, .. }) => {
                    for value in array.as_primitive::<Decimal128Type>().iter().flatten() {
                        *mantissa = mantissa.saturating_add(value);
                    }
                }
                _ => {}
            }
        }
    }
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn decimal_text(mantissa: i128, scale: i8) -> String {
    let negative = mantissa < 0;
    let digits = mantissa.unsigned_abs();
    let divisor = 10u128.pow(scale.max(0) as u32);
    let whole = thousands_u128(digits / divisor);
    let sign = if negative { "-" } else { "" };
    if scale > 0 {
        format!(
            "{sign}{whole}.{:0width$}",
            digits % divisor,
            width = scale as usize
        )
    } else {
        format!("{sign}{whole}")
    }
}

fn thousands_u128(n: u128) -> String {
    match u64::try_from(n) {
        Ok(n) => thousands(n),
        Err(_) => n.to_string(),
    }
}

fn date_text(days: i32) -> String {
    days_to_date(days).map_or_else(|| days.to_string(), |d| d.to_string())
}

fn time_text(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(
        || ms.to_string(),
        |t| t.naive_utc().format("%Y-%m-%d %H:%M:%S").to_string(),
    )
}

impl fmt::Display for TableSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let files = if self.files == 1 { "file" } else { "files" };
        writeln!(
            f,
            "{:<14} {} rows in {} {files}",
            self.table,
            thousands(self.rows),
            self.files
        )?;
        for column in &self.columns {
            let mut parts = Vec::new();
            match &column.detail {
                Detail::DateRange { min, max } => {
                    parts.push(format!("{} .. {}", date_text(*min), date_text(*max)))
                }
                Detail::TimeRange { min, max } => {
                    parts.push(format!("{} .. {}", time_text(*min), time_text(*max)))
                }
                Detail::Counts(counts) if !counts.is_empty() => parts.push(
                    counts
                        .iter()
                        .map(|(value, n)| format!("{value} {}", thousands(*n)))
                        .collect::<Vec<_>>()
                        .join(" · "),
                ),
                Detail::Sum { mantissa, scale } => {
                    parts.push(format!("sum {}", decimal_text(*mantissa, *scale)))
                }
                _ => {}
            }
            if column.nullable && column.nulls > 0 {
                parts.push(format!("{} null", thousands(column.nulls)));
            }
            if !parts.is_empty() {
                writeln!(f, "  {:<20} {}", column.name, parts.join("; "))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(decimal_text(123456789, 2), "1,234,567.89");
        assert_eq!(decimal_text(-5, 2), "-0.05");
        assert_eq!(decimal_text(7, 0), "7");
    }
}
