//! Lookups along relations: for each row, the row it refers to.

use arrow::array::{Array, AsArray};
use arrow::datatypes::DataType;

use super::env::{Frame, key_texts};
use super::run::NO_ROW;
use crate::ir::Relation;

/// For each row of `from`, the row of `to` whose key equals its columns
/// ([`NO_ROW`] if none). The target's key index is built once per frame.
pub fn build_lookup(relation: &Relation, from: &Frame, to: &Frame) -> Vec<u32> {
    let index = to.key_index(&relation.to_columns);
    // One text key, the usual case: look the strings up without copying them.
    if let [column] = relation.from_columns.as_slice()
        && let Some(array) = from.column(column)
        && array.data_type() == &DataType::Utf8
    {
        return array
            .as_string::<i32>()
            .iter()
            .map(|key| key.and_then(|k| index.find(to, k)).unwrap_or(NO_ROW))
            .collect();
    }
    key_texts(from, &relation.from_columns)
        .into_iter()
        .map(|key| key.and_then(|k| index.find(to, &k)).unwrap_or(NO_ROW))
        .collect()
}
