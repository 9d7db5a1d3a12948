//! Lookups along relations: for each row, the row it refers to.

use std::collections::HashMap;

use arrow::array::{Array, AsArray};
use arrow::datatypes::DataType;

use super::env::{Frame, column_values};
use crate::ir::Relation;

/// For each row of `from`, the row of `to` whose key equals its columns.
pub fn build_lookup(relation: &Relation, from: &Frame, to: &Frame) -> Vec<Option<u32>> {
    let from_columns: Vec<_> = relation
        .from_columns
        .iter()
        .filter_map(|c| from.column(c))
        .collect();
    let to_columns: Vec<_> = relation
        .to_columns
        .iter()
        .filter_map(|c| to.column(c))
        .collect();
    if from_columns.len() != relation.from_columns.len()
        || to_columns.len() != relation.to_columns.len()
    {
        return vec![None; from.rows()];
    }
    // One text key, the usual case: look strings up directly.
    if let ([f], [t]) = (from_columns.as_slice(), to_columns.as_slice())
        && f.data_type() == &DataType::Utf8
        && t.data_type() == &DataType::Utf8
    {
        let (f, t) = (f.as_string::<i32>(), t.as_string::<i32>());
        let mut index: HashMap<&str, u32> = HashMap::with_capacity(t.len());
        for (row, key) in t.iter().enumerate() {
            if let Some(key) = key {
                index.entry(key).or_insert(row as u32);
            }
        }
        return f
            .iter()
            .map(|key| key.and_then(|k| index.get(k).copied()))
            .collect();
    }
    let all = |rows: usize| (0..rows as u32).map(Some).collect::<Vec<_>>();
    let key_texts = |columns: &[&arrow::array::ArrayRef], rows: usize| -> Vec<Option<String>> {
        let values: Vec<_> = columns
            .iter()
            .map(|c| column_values(c, &all(rows)))
            .collect();
        (0..rows)
            .map(|i| {
                let mut key = String::new();
                for v in &values {
                    let value = v.get(i);
                    if value.is_null() {
                        return None;
                    }
                    key.push_str(&value.key_text());
                    key.push('\u{1f}');
                }
                Some(key)
            })
            .collect()
    };
    let mut index: HashMap<String, u32> = HashMap::new();
    for (row, key) in key_texts(&to_columns, to.rows()).into_iter().enumerate() {
        if let Some(key) = key {
            index.entry(key).or_insert(row as u32);
        }
    }
    key_texts(&from_columns, from.rows())
        .into_iter()
        .map(|key| key.and_then(|k| index.get(&k).copied()))
        .collect()
}
