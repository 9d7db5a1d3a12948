//! Flags with their output order, found by sorting their indices: the
//! flags themselves (large structs) stay where they were made until they
//! are encoded or handed out.

use rayon::prelude::*;

use super::record::Flag;

/// Flags and the order to read them in (output order, stable).
#[derive(Debug, Default)]
pub struct OrderedFlags {
    flags: Vec<Flag>,
    order: Vec<u32>,
}

impl OrderedFlags {
    /// Orders `flags` by [`Flag::output_order`], equal flags as they came;
    /// in parallel on the current pool when `parallel`.
    pub fn new(flags: Vec<Flag>, parallel: bool) -> OrderedFlags {
        let number = |n: usize| u32::try_from(n).expect("fewer than 2^32 flags");
        let ranks = rule_ranks(&flags);
        let mut keys: Vec<SortKey> = (0..number(flags.len()))
            .zip(&flags)
            .zip(ranks)
            .map(|((i, flag), rank)| SortKey::of(flag, rank, i))
            .collect();
        // Most comparisons end on the integers; equal ones (a claim's
        // lines, an id longer than the prefix) compare the flags.
        let before = |a: &SortKey, b: &SortKey| {
            a.head
                .cmp(&b.head)
                .then_with(|| flags[a.index as usize].output_order(&flags[b.index as usize]))
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
        OrderedFlags { flags, order }
    }

    pub fn len(&self) -> usize {
        self.flags.len()
    }

    pub fn is_empty(&self) -> bool {
        self.flags.is_empty()
    }

    /// The flags in output order, by reference.
    pub fn in_order(&self) -> impl Iterator<Item = &Flag> {
        self.order.iter().map(|&i| &self.flags[i as usize])
    }

    /// The flags in the order they were made.
    pub fn as_made(&self) -> &[Flag] {
        &self.flags
    }

    /// The flags' indices in output order.
    pub fn order(&self) -> &[u32] {
        &self.order
    }

    /// The flag at an index of [`OrderedFlags::order`].
    pub fn flag(&self, index: u32) -> &Flag {
        &self.flags[index as usize]
    }

    /// The flags moved into output order.
    pub fn into_sorted(self) -> Vec<Flag> {
        let mut slots: Vec<Option<Flag>> = self.flags.into_iter().map(Some).collect();
        self.order
            .into_iter()
            .map(|i| slots[i as usize].take().expect("each flag is placed once"))
            .collect()
    }
}

/// The place of each flag's rule id in output order. A rule's flags are
/// rendered together and share their id's pointer: the id is looked up
/// only where the pointer changes.
fn rule_ranks(flags: &[Flag]) -> Vec<u32> {
    let mut ids: Vec<&str> = Vec::new();
    let mut last: Option<*const u8> = None;
    for flag in flags {
        let pointer = flag.rule_id.as_ptr();
        if last != Some(pointer) {
            last = Some(pointer);
            ids.push(&flag.rule_id);
        }
    }
    ids.sort_unstable();
    ids.dedup();
    let mut last: Option<(*const u8, u32)> = None;
    flags
        .iter()
        .map(|flag| {
            let pointer = flag.rule_id.as_ptr();
            match last {
                Some((seen, rank)) if seen == pointer => rank,
                _ => {
                    let rank = ids
                        .binary_search(&&*flag.rule_id)
                        .expect("every id is ranked") as u32;
                    last = Some((pointer, rank));
                    rank
                }
            }
        })
        .collect()
}

/// What a flag sorts by as integers: its rule's rank and the first bytes
/// of its claim id, big-endian (so their order is the text's where they
/// differ); then the flag's index.
struct SortKey {
    head: (u32, bool, u128),
    index: u32,
}

impl SortKey {
    fn of(flag: &Flag, rank: u32, index: u32) -> SortKey {
        // Nulls last: a missing claim id sorts after every present one.
        let claim = match &flag.claim_id {
            Some(id) => (false, prefix(id.as_bytes())),
            None => (true, 0),
        };
        SortKey {
            head: (rank, claim.0, claim.1),
            index,
        }
    }
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
            let ordered = OrderedFlags::new(flags, parallel);
            let in_order: Vec<Flag> = ordered.in_order().cloned().collect();
            prop_assert_eq!(&in_order, &expected);
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
            prop_assert_eq!(OrderedFlags::new(flags, parallel).into_sorted(), expected);
        }
    }
}
