//! Flags with their output order, found by sorting their indices on
//! integer keys: the flags' columns stay where they were rendered until
//! they are encoded or handed out.

use std::cmp::Ordering;

use std::io;

use arrow::array::{Array, AsArray, Int32Array, RecordBatch, StringArray, UInt32Array};
use arrow::datatypes::{Int32Type, UInt32Type};
use rayon::prelude::*;

use super::batch::FlagBatch;
use super::record::{Flag, nulls_last};
use super::rule_table::{RULE_NUMBER, narrow_schema, ranks_of};

/// Flags and the order to read them in (output order, stable).
#[derive(Debug)]
pub struct OrderedFlags {
    flags: FlagBatch,
    order: Vec<u32>,
}

impl Default for OrderedFlags {
    fn default() -> OrderedFlags {
        OrderedFlags {
            flags: FlagBatch::empty(),
            order: Vec::new(),
        }
    }
}

impl OrderedFlags {
    /// Orders the flags of `batches`, one after the other, by
    /// [`Flag::output_order`], equal flags as they came; in parallel on
    /// the current pool when `parallel`.
    pub fn new(batches: Vec<FlagBatch>, parallel: bool) -> OrderedFlags {
        let flags = FlagBatch::concat(batches, parallel);
        let n = u32::try_from(flags.len()).expect("fewer than 2^32 flags");
        let columns = OrderColumns::of(flags.columns()).expect("flags follow the narrow schema");
        let ranks = ranks_of(flags.rules());
        let key = |i| columns.key(i, &ranks);
        let mut keys: Vec<SortKey> = if parallel {
            (0..n).into_par_iter().map(key).collect()
        } else {
            (0..n).map(key).collect()
        };
        // Most comparisons end on the integers; equal ones (a claim's
        // lines, an id longer than the prefix) compare the columns.
        let before = |a: &SortKey, b: &SortKey| {
            a.head
                .cmp(&b.head)
                .then_with(|| columns.compare(a.index as usize, &columns, b.index as usize, &ranks))
                .then(a.index.cmp(&b.index))
        };
        if parallel {
            keys.par_sort_unstable_by(before);
        } else {
            keys.sort_unstable_by(before);
        }
        let order = keys.into_iter().map(|k| k.index).collect();
        OrderedFlags { flags, order }
    }

    /// Flags already in output order.
    pub fn sorted(flags: Vec<Flag>) -> OrderedFlags {
        debug_assert!(
            flags.is_sorted_by(|a, b| a.output_order(b).is_le()),
            "flags given as sorted are in output order"
        );
        let order = (0..flags.len() as u32).collect();
        OrderedFlags {
            flags: FlagBatch::from_flags(&flags),
            order,
        }
    }

    pub fn len(&self) -> usize {
        self.flags.len()
    }

    pub fn is_empty(&self) -> bool {
        self.flags.is_empty()
    }

    /// The flags, in the order they were made.
    pub fn as_made(&self) -> &FlagBatch {
        &self.flags
    }

    /// The flags' indices (in [`OrderedFlags::as_made`]) in output order.
    pub fn order(&self) -> &[u32] {
        &self.order
    }

    /// The flags as made, their order dropped.
    pub fn into_made(self) -> FlagBatch {
        self.flags
    }

    /// The flags as structs, in output order.
    pub fn into_sorted(self) -> Vec<Flag> {
        self.flags.take(&self.order).to_flags()
    }
}

/// The columns of the output order, of one batch of flags (a run's
/// chunk, a partition's flags).
pub(super) struct OrderColumns {
    rule: UInt32Array,
    claim_id: StringArray,
    line_no: Int32Array,
    provider_id: StringArray,
}

impl OrderColumns {
    pub(super) fn of(batch: &RecordBatch) -> io::Result<OrderColumns> {
        let invalid = || io::Error::new(io::ErrorKind::InvalidData, "a run is not flags");
        if batch.schema().fields() != narrow_schema().fields() {
            return Err(invalid());
        }
        let text = |name: &str| {
            batch
                .column_by_name(name)
                .and_then(|c| c.as_string_opt::<i32>())
                .cloned()
                .ok_or_else(invalid)
        };
        let line_no = batch
            .column_by_name("line_no")
            .and_then(|c| c.as_primitive_opt::<Int32Type>())
            .cloned()
            .ok_or_else(invalid)?;
        let rule = batch
            .column_by_name(RULE_NUMBER)
            .and_then(|c| c.as_primitive_opt::<UInt32Type>())
            .cloned()
            .ok_or_else(invalid)?;
        Ok(OrderColumns {
            rule,
            claim_id: text("claim_id")?,
            line_no,
            provider_id: text("provider_id")?,
        })
    }

    /// What row `i` sorts by as integers, the rules by their `ranks`
    /// (nulls last: a missing claim id after every present one).
    fn key(&self, i: u32, ranks: &[u32]) -> SortKey {
        let row = i as usize;
        let claim = match text_at(&self.claim_id, row) {
            Some(id) => (false, prefix(id.as_bytes())),
            None => (true, 0),
        };
        SortKey {
            head: (ranks[self.rule.value(row) as usize], claim.0, claim.1),
            index: i,
        }
    }

    /// [`Flag::output_order`](super::Flag::output_order) on rows of two
    /// chunks, the rules by their `ranks`.
    pub(super) fn compare(
        &self,
        i: usize,
        other: &OrderColumns,
        j: usize,
        ranks: &[u32],
    ) -> Ordering {
        let rank = |rules: &UInt32Array, i: usize| ranks[rules.value(i) as usize];
        rank(&self.rule, i)
            .cmp(&rank(&other.rule, j))
            .then_with(|| nulls_last(&text_at(&self.claim_id, i), &text_at(&other.claim_id, j)))
            .then_with(|| nulls_last(&int_at(&self.line_no, i), &int_at(&other.line_no, j)))
            .then_with(|| {
                nulls_last(
                    &text_at(&self.provider_id, i),
                    &text_at(&other.provider_id, j),
                )
            })
    }
}

pub(super) fn text_at(array: &StringArray, i: usize) -> Option<&str> {
    array.is_valid(i).then(|| array.value(i))
}

fn int_at(array: &Int32Array, i: usize) -> Option<i32> {
    array.is_valid(i).then(|| array.value(i))
}

/// What a flag sorts by as integers: its rule's rank and the first bytes
/// of its claim id, big-endian (so their order is the text's where they
/// differ); then the flag's index.
struct SortKey {
    head: (u32, bool, u128),
    index: u32,
}

/// The first 16 bytes of `bytes`, zero-padded, as a big-endian integer:
/// where two texts' prefixes differ, they order as the texts do.
fn prefix(bytes: &[u8]) -> u128 {
    let mut head = [0u8; 16];
    let n = bytes.len().min(16);
    head[..n].copy_from_slice(&bytes[..n]);
    u128::from_be_bytes(head)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::record::arbitrary_flag;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn the_order_is_the_stable_sort_by_output_order(
            flags in prop::collection::vec(arbitrary_flag(), 0..60),
            parallel: bool,
        ) {
            let mut expected = flags.clone();
            expected.sort_by(Flag::output_order);
            // In pieces, as rules render them.
            let pieces: Vec<FlagBatch> = flags.chunks(7).map(FlagBatch::from_flags).collect();
            let ordered = OrderedFlags::new(pieces, parallel);
            prop_assert_eq!(ordered.into_sorted(), expected);
        }

        /// Claim ids around the 16 bytes the sort compares as integers:
        /// sharing their first 15 or 16 bytes, shorter than a prefix, or
        /// with NUL bytes (what zero padding could confuse).
        #[test]
        fn ids_past_the_integer_prefix_sort_as_texts(
            flags in prop::collection::vec(
                (
                    arbitrary_flag(),
                    prop::option::of("(C00000000000000[0-9]{0,3}|ab\\x00?|[ab\\x00]{0,20})"),
                ),
                0..60,
            ),
            parallel: bool,
        ) {
            let flags: Vec<Flag> = flags
                .into_iter()
                .map(|(flag, claim_id)| Flag { claim_id, ..flag })
                .collect();
            let mut expected = flags.clone();
            expected.sort_by(Flag::output_order);
            let pieces = vec![FlagBatch::from_flags(&flags)];
            prop_assert_eq!(OrderedFlags::new(pieces, parallel).into_sorted(), expected);
        }
    }
}
