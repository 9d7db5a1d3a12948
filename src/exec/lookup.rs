//! Lookups along relations: for each row, the row it refers to.

use arrow::array::{Array, AsArray};
use arrow::datatypes::DataType;

use super::env::{Frame, key_texts};
use crate::ir::Relation;

/// For each row of `from`, the row of `to` whose key equals its columns.
/// The target's key index is built once per frame and reused.
pub fn build_lookup(relation: &Relation, from: &Frame, to: &Frame) -> Vec<Option<u32>> {
    let index = to.key_index(&relation.to_columns);
    // One text key, the usual case: look the strings up without copying them.
    if let [column] = relation.from_columns.as_slice()
        && let Some(array) = from.column(column)
        && array.data_type() == &DataType::Utf8
    {
        return array
            .as_string::<i32>()
            .iter()
            .map(|key| key.and_then(|k| index.get(k).copied()))
            .collect();
    }
    key_texts(from, &relation.from_columns)
        .into_iter()
        .map(|key| key.and_then(|k| index.get(&k).copied()))
        .collect()
}
