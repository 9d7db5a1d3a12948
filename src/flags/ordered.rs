//! Flags with their output order, found by sorting their indices on
//! integer keys: the flags' columns stay where they were rendered until
//! they are encoded or handed out.

use std::cmp::Ordering;

use arrow::array::{Array, AsArray, Int32Array, StringArray};
use arrow::datatypes::{Int32Type, UInt32Type};
use rayon::prelude::*;

use super::batch::FlagBatch;
use super::record::{Flag, nulls_last};
use super::rule_table::RuleFields;

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
        let flags = FlagBatch::concat(batches);
        let n = u32::try_from(flags.len()).expect("fewer than 2^32 flags");
        let columns = OrderColumns::of(&flags);
        let mut keys: Vec<SortKey> = (0..n).map(|i| columns.key(i)).collect();
        // Most comparisons end on the integers; equal ones (a claim's
        // lines, an id longer than the prefix) compare the columns.
        let before = |a: &SortKey, b: &SortKey| {
            a.head
                .cmp(&b.head)
                .then_with(|| columns.compare(a.index, b.index))
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

/// The columns the output order reads, and each rule number's rank.
struct OrderColumns<'f> {
    ranks: Vec<u32>,
    rule: &'f [u32],
    claim_id: &'f StringArray,
    line_no: &'f Int32Array,
    provider_id: &'f StringArray,
}

impl<'f> OrderColumns<'f> {
    fn of(flags: &'f FlagBatch) -> OrderColumns<'f> {
        let columns = flags.columns();
        OrderColumns {
            ranks: ranks(flags.rules()),
            rule: columns.column(0).as_primitive::<UInt32Type>().values(),
            claim_id: columns.column(1).as_string::<i32>(),
            line_no: columns.column(2).as_primitive::<Int32Type>(),
            provider_id: columns.column(4).as_string::<i32>(),
        }
    }

    /// Nulls last: a missing claim id sorts after every present one.
    fn key(&self, i: u32) -> SortKey {
        let row = i as usize;
        let claim = match self.claim_id.is_valid(row) {
            true => (false, prefix(self.claim_id.value(row).as_bytes())),
            false => (true, 0),
        };
        SortKey {
            head: (self.ranks[self.rule[row] as usize], claim.0, claim.1),
            index: i,
        }
    }

    /// [`Flag::output_order`] of two rows.
    fn compare(&self, a: u32, b: u32) -> Ordering {
        let (a, b) = (a as usize, b as usize);
        let text = |array: &'f StringArray, i: usize| array.is_valid(i).then(|| array.value(i));
        let int = |i: usize| self.line_no.is_valid(i).then(|| self.line_no.value(i));
        self.ranks[self.rule[a] as usize]
            .cmp(&self.ranks[self.rule[b] as usize])
            .then_with(|| nulls_last(&text(self.claim_id, a), &text(self.claim_id, b)))
            .then_with(|| nulls_last(&int(a), &int(b)))
            .then_with(|| nulls_last(&text(self.provider_id, a), &text(self.provider_id, b)))
    }
}

/// Each rule's place in output order: rules with the same id share it.
fn ranks(rules: &[RuleFields]) -> Vec<u32> {
    let mut ids: Vec<&str> = rules.iter().map(RuleFields::id).collect();
    ids.sort_unstable();
    ids.dedup();
    rules
        .iter()
        .map(|r| ids.binary_search(&r.id()).expect("every id is ranked") as u32)
        .collect()
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
        /// shared prefixes, ids ending in zero bytes, longer ids.
        #[test]
        fn ids_past_the_integer_prefix_sort_as_texts(
            flags in prop::collection::vec(
                (arbitrary_flag(), prop::option::of("[ab\\x00]{14,19}")),
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
