//! A table's rows by a hash of their text key, in one flat array of 8-byte
//! slots: a probe reads one slot (a cache line holds eight), where a map of
//! hash to row reads a control byte and an entry, and the key index of
//! `env.rs` then reads the row's key to check it. What a probe finds here
//! is a candidate: the caller checks candidates later, in an order that
//! reads memory forwards, and a probe that finds nothing is exact (a key
//! equal to the probe would have the same hash).

use arrow::array::{Array, StringArray};
use rayon::prelude::*;

/// A free slot (no row is numbered `u32::MAX`, see [`NO_ROW_LIMIT`]).
const EMPTY: u64 = u64::MAX;

/// Keys hashed per task when the hashes are computed in parallel.
const HASH_RUN: usize = 64 * 1024;

pub struct HashRows {
    /// Each slot a row in its low 32 bits and, in its high bits, the low
    /// 32 bits of its key's hash (its place gives some of the top bits).
    slots: Vec<u64>,
    /// Bits of a hash that choose its home slot.
    bits: u32,
}

/// The hash of a text key, the same for the table and its probes.
pub fn key_hash(key: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(key.as_bytes())
}

impl HashRows {
    /// The rows of `keys` by hash, or `None` when two of them cannot be
    /// told apart by their hashes (the same key twice, or, about once in
    /// 2³² pairs that land near each other, two keys that share the bits
    /// kept): the caller then needs an index that compares keys.
    pub fn build(keys: &StringArray) -> Option<HashRows> {
        if keys.len() >= NO_ROW_LIMIT {
            return None;
        }
        let hashes: Vec<Option<u64>> = (0..keys.len())
            .into_par_iter()
            .with_min_len(HASH_RUN)
            .map(|row| keys.is_valid(row).then(|| key_hash(keys.value(row))))
            .collect();
        // Twice as many slots as keys, at least 16: chains stay short.
        let bits = (keys.len() * 2)
            .max(16)
            .next_power_of_two()
            .trailing_zeros();
        let mut table = HashRows {
            slots: vec![EMPTY; 1 << bits],
            bits,
        };
        let mask = table.slots.len() - 1;
        for (row, hash) in hashes.iter().enumerate() {
            let Some(hash) = *hash else { continue };
            let (mut slot, tag) = table.place(hash);
            loop {
                let entry = table.slots[slot];
                if entry == EMPTY {
                    table.slots[slot] = (tag << 32) | row as u64;
                    break;
                }
                if entry >> 32 == tag {
                    return None;
                }
                slot = (slot + 1) & mask;
            }
        }
        Some(table)
    }

    /// The home slot of a hash and the bits a slot keeps of it.
    fn place(&self, hash: u64) -> (usize, u64) {
        ((hash >> (64 - self.bits)) as usize, hash & 0xffff_ffff)
    }

    /// The row whose key may have hash `hash`; `None` when no key has it.
    pub fn find(&self, hash: u64) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let (mut slot, tag) = self.place(hash);
        loop {
            let entry = self.slots[slot];
            if entry == EMPTY {
                return None;
            }
            if entry >> 32 == tag {
                return Some(entry as u32);
            }
            slot = (slot + 1) & mask;
        }
    }
}

/// Rows are numbered below this (`u32::MAX` marks an empty slot's row).
const NO_ROW_LIMIT: usize = u32::MAX as usize;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_key_is_found_at_its_row_and_a_missing_key_is_not() {
        let keys = StringArray::from_iter((0..5000).map(|i| (i % 7 != 3).then(|| format!("C{i}"))));
        let table = HashRows::build(&keys).unwrap();
        for row in 0..keys.len() {
            let found = table.find(key_hash(&format!("C{row}")));
            if keys.is_valid(row) {
                assert_eq!(found, Some(row as u32));
            } else {
                assert_eq!(found, None);
            }
        }
        assert_eq!(table.find(key_hash("C5000")), None);
    }

    #[test]
    fn the_same_key_twice_asks_for_an_index_that_compares_keys() {
        let keys = StringArray::from(vec!["A", "B", "A"]);
        assert!(HashRows::build(&keys).is_none());
        let empty = StringArray::from(Vec::<&str>::new());
        assert_eq!(HashRows::build(&empty).unwrap().find(key_hash("A")), None);
    }

    proptest! {
        #[test]
        fn a_probe_that_finds_nothing_is_exact(
            keys in prop::collection::hash_set("[a-z]{1,3}", 0..200),
            probes in prop::collection::vec("[a-z]{1,3}", 0..50),
        ) {
            let keys: Vec<String> = keys.into_iter().collect();
            let array = StringArray::from_iter_values(keys.iter());
            let table = HashRows::build(&array).unwrap();
            for probe in probes {
                let found = table.find(key_hash(&probe));
                match keys.iter().position(|k| *k == probe) {
                    Some(row) => prop_assert_eq!(found, Some(row as u32)),
                    None => prop_assert!(found.is_none_or(|row| keys[row as usize] != probe)),
                }
            }
        }
    }
}
