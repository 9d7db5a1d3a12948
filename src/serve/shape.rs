//! What a claim is, read off the ruleset's schema: the header table (one
//! row per claim: the claim table whose flags have claim grain, keyed by
//! the claim id) and the lines table (rows that belong to a claim through a
//! required relation to the header). For CHS these are `claims` and
//! `claim_items`. A claim is held as values in the tables' column order.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{Field, Schema as ArrowSchema};

use super::claim_codec::StoredSchema;
use crate::data::arrow_types::arrow_type;
use crate::data::values::build_array;
use crate::exec::Checker;
use crate::ir::{ColumnType, FlagField, Grain, Ruleset, Table, Value};

const MS_PER_DAY: i64 = 86_400_000;

/// Which table of a claim a column belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    Header,
    Lines,
}

/// The lines table of a claim.
#[derive(Debug, Clone)]
pub struct LinesShape {
    pub table: Table,
    /// The column holding the claim id (the relation to the header).
    pub claim_fk: usize,
    /// The other key columns: unique within a claim (`line_no`).
    pub key: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct ClaimShape {
    pub header: Table,
    pub lines: Option<LinesShape>,
    /// Header column indexes of the claim id and the patient id.
    pub claim_id: usize,
    pub patient_id: usize,
    /// Date and timestamp columns: the days a claim covers.
    dates: Vec<(Part, usize)>,
    /// The schema its claims are stored under.
    pub stored: StoredSchema,
}

/// One claim: its header row and its lines, values in column order.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    pub header: Vec<Value>,
    pub lines: Vec<Vec<Value>>,
}

impl ClaimShape {
    /// Reads the shape off the schema, or says why the service cannot use it.
    pub fn of(ruleset: &Ruleset) -> Result<ClaimShape, String> {
        let schema = &ruleset.schema;
        let claim_tables = Checker::claim_tables(ruleset);
        let header = claim_tables
            .iter()
            .filter_map(|t| schema.table(t))
            .find(|t| t.flags.as_ref().is_some_and(|f| f.grain == Grain::Claim))
            .ok_or("the schema has no table whose flags have claim grain (like `claims`)")?;
        let binding = header.flags.as_ref().expect("found by its flags");
        let own_column = |field: FlagField| {
            binding
                .fields
                .iter()
                .find(|(f, path, _)| *f == field && path.is_empty())
                .and_then(|(_, _, column)| header.column_index(column))
        };
        let claim_id = own_column(FlagField::ClaimId)
            .ok_or_else(|| format!("table `{}` names no claim_id column", header.name))?;
        let patient_id = own_column(FlagField::PatientId).ok_or_else(|| {
            format!(
                "table `{}` names no patient_id column in its flags: the history is kept by patient",
                header.name
            )
        })?;
        let claim_id_name = &header.columns[claim_id].name;
        if header.key.as_deref() != Some(std::slice::from_ref(claim_id_name)) {
            return Err(format!(
                "table `{}` must be keyed by its claim id `{claim_id_name}`",
                header.name
            ));
        }
        let mut lines = None;
        for name in claim_tables.iter().filter(|t| **t != header.name) {
            let table = schema.table(name).expect("a claim table is a table");
            let relation = schema.relations_from(name).find(|r| {
                r.required && r.to_table == header.name && r.to_columns == [claim_id_name.clone()]
            });
            let Some(relation) = relation else {
                return Err(format!(
                    "table `{name}` names claims but has no required relation to `{}`",
                    header.name
                ));
            };
            if lines.is_some() {
                return Err(format!(
                    "the service takes one lines table per claim; `{name}` is a second"
                ));
            }
            let fk_name = &relation.from_columns[0];
            let claim_fk = table.column_index(fk_name).expect("relation columns exist");
            let key = table
                .key
                .iter()
                .flatten()
                .filter(|k| *k != fk_name)
                .filter_map(|k| table.column_index(k))
                .collect();
            lines = Some(LinesShape {
                table: table.clone(),
                claim_fk,
                key,
            });
        }
        let is_date = |ty: &ColumnType| matches!(ty, ColumnType::Date | ColumnType::Timestamp);
        let mut dates: Vec<(Part, usize)> = header
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| is_date(&c.ty))
            .map(|(i, _)| (Part::Header, i))
            .collect();
        if let Some(l) = &lines {
            dates.extend(
                l.table
                    .columns
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| is_date(&c.ty))
                    .map(|(i, _)| (Part::Lines, i)),
            );
        }
        Ok(ClaimShape {
            stored: StoredSchema::of(header, lines.as_ref()),
            header: header.clone(),
            lines,
            claim_id,
            patient_id,
            dates,
        })
    }

    /// The date and time columns of the claim's tables.
    pub fn date_columns(&self) -> &[(Part, usize)] {
        &self.dates
    }

    pub fn table(&self, part: Part) -> Option<&Table> {
        match part {
            Part::Header => Some(&self.header),
            Part::Lines => self.lines.as_ref().map(|l| &l.table),
        }
    }

    /// Which part a table is, if it is one of the claim's.
    pub fn part_of(&self, table: &str) -> Option<Part> {
        if table == self.header.name {
            Some(Part::Header)
        } else if self.lines.as_ref().is_some_and(|l| l.table.name == table) {
            Some(Part::Lines)
        } else {
            None
        }
    }

    /// The claim tables as record batches holding `claims` (all columns,
    /// nullable, in the loader's Arrow types).
    pub fn batches(&self, claims: &[&Claim]) -> Result<HashMap<String, RecordBatch>, String> {
        let mut out = HashMap::new();
        let header_rows: Vec<&[Value]> = claims.iter().map(|c| c.header.as_slice()).collect();
        out.insert(self.header.name.clone(), batch(&self.header, &header_rows)?);
        if let Some(lines) = &self.lines {
            let rows: Vec<&[Value]> = claims
                .iter()
                .flat_map(|c| c.lines.iter().map(Vec::as_slice))
                .collect();
            out.insert(lines.table.name.clone(), batch(&lines.table, &rows)?);
        }
        Ok(out)
    }
}

fn batch(table: &Table, rows: &[&[Value]]) -> Result<RecordBatch, String> {
    let mut fields = Vec::with_capacity(table.columns.len());
    let mut arrays = Vec::with_capacity(table.columns.len());
    // The values are borrowed, not copied: a claim's texts are many.
    static NULL: Value = Value::Null;
    let mut values: Vec<&Value> = Vec::with_capacity(rows.len());
    for (i, column) in table.columns.iter().enumerate() {
        values.clear();
        values.extend(rows.iter().map(|r| r.get(i).unwrap_or(&NULL)));
        let array = build_array(&column.ty, &values)
            .map_err(|e| format!("{}.{}: {e}", table.name, column.name))?;
        fields.push(Field::new(&column.name, arrow_type(&column.ty), true));
        arrays.push(array);
    }
    RecordBatch::try_new(Arc::new(ArrowSchema::new(fields)), arrays).map_err(|e| e.to_string())
}

impl Claim {
    /// About how many bytes the claim takes in memory (to bound a cache).
    pub fn size_bytes(&self) -> usize {
        fn value(v: &Value) -> usize {
            std::mem::size_of::<Value>()
                + match v {
                    Value::Text(t) => t.len(),
                    Value::List(items) => items.iter().map(value).sum(),
                    _ => 0,
                }
        }
        let row =
            |r: &Vec<Value>| std::mem::size_of::<Vec<Value>>() + r.iter().map(value).sum::<usize>();
        std::mem::size_of::<Claim>() + row(&self.header) + self.lines.iter().map(row).sum::<usize>()
    }

    pub fn text(&self, column: usize) -> &str {
        match self.header.get(column) {
            Some(Value::Text(t)) => t,
            _ => "",
        }
    }

    pub fn claim_id<'c>(&'c self, shape: &ClaimShape) -> &'c str {
        self.text(shape.claim_id)
    }

    pub fn patient_id<'c>(&'c self, shape: &ClaimShape) -> &'c str {
        self.text(shape.patient_id)
    }

    /// The values of one column: one for a header column, one per line for a
    /// lines column.
    pub fn column<'c>(
        &'c self,
        part: Part,
        column: usize,
    ) -> Box<dyn Iterator<Item = &'c Value> + 'c> {
        match part {
            Part::Header => Box::new(self.header.get(column).into_iter()),
            Part::Lines => Box::new(self.lines.iter().filter_map(move |l| l.get(column))),
        }
    }

    /// The first and last day among the claim's dates and times.
    pub fn day_span(&self, shape: &ClaimShape) -> Option<(i32, i32)> {
        let days = shape
            .dates
            .iter()
            .flat_map(|&(part, column)| self.column(part, column))
            .filter_map(day_of);
        days.fold(None, |span, d| match span {
            None => Some((d, d)),
            Some((lo, hi)) => Some((lo.min(d), hi.max(d))),
        })
    }
}

/// The day of a date or a time.
pub fn day_of(value: &Value) -> Option<i32> {
    match value {
        Value::Date(d) => Some(*d),
        Value::Timestamp(ms) => i32::try_from(ms.div_euclid(MS_PER_DAY)).ok(),
        _ => None,
    }
}
