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
        let mut order: Vec<u32> = (0..number(flags.len())).collect();
        let before = |i: &u32, j: &u32| {
            flags[*i as usize]
                .output_order(&flags[*j as usize])
                .then(i.cmp(j))
        };
        if parallel {
            order.par_sort_unstable_by(before);
        } else {
            order.sort_unstable_by(before);
        }
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
    }
}
