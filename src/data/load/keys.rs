//! Key uniqueness and required references, checked while streaming.
//!
//! Keys are remembered as 128-bit hashes of their values rather than the
//! values themselves, so checking a table of a hundred million lines needs
//! 16 bytes a key. Two different keys share a hash with probability about
//! n²/2¹²⁹: for 10⁹ keys, below 10⁻²⁰.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use arrow::array::{
    Array, ArrayRef, AsArray, Date32Array, Decimal128Array, Int32Array, Int64Array, StringArray,
    TimestampMillisecondArray,
};
use arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Int32Type, Int64Type, TimeUnit, TimestampMillisecondType,
};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use xxhash_rust::xxh3::{xxh3_64, xxh3_128};

use super::problem::{Problem, ProblemKind, ProblemLog};
use super::read::LoadedBatch;
use crate::data::scratch::{Extent, ScratchFile};

/// The hashes are already uniformly random: use their low bits as is.
#[derive(Default)]
pub struct PassThroughHasher(u64);

impl Hasher for PassThroughHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 ^= u64::from_le_bytes(word);
        }
    }
    fn write_u128(&mut self, value: u128) {
        self.0 = value as u64;
    }
}

type HashShard = HashSet<u128, BuildHasherDefault<PassThroughHasher>>;

/// Shards of a key set: each holds the hashes with the same top bits, so a
/// batch's keys are inserted by several threads at once, a shard each.
const SHARDS: usize = 16;

fn shard_of(hash: u128) -> usize {
    (hash >> 124) as usize % SHARDS
}

/// A set of key hashes, which also remembers the order they came in.
///
/// Referring rows usually come in the order of the rows they refer to
/// (lines in the order of their claims): a probe first tries the key after
/// the one the previous probe found, a read of the next 16 bytes, before
/// the set (whose every probe is a cache miss). Every `LANDMARK_EVERY`-th
/// key's position is kept too, so a run of probes finds its place.
pub struct KeyHashes {
    shards: Vec<HashShard>,
    order: Vec<u128>,
    landmarks: HashMap<u128, u32, BuildHasherDefault<PassThroughHasher>>,
}

const LANDMARK_EVERY: usize = 64;

impl Default for KeyHashes {
    fn default() -> KeyHashes {
        KeyHashes {
            shards: (0..SHARDS).map(|_| HashShard::default()).collect(),
            order: Vec::new(),
            landmarks: HashMap::default(),
        }
    }
}

/// Where a run of probes is in a [`KeyHashes`]' order: the position of the
/// key expected next.
#[derive(Default)]
pub struct Cursor(Option<usize>);

impl KeyHashes {
    pub fn contains(&self, hash: &u128) -> bool {
        self.shards[shard_of(*hash)].contains(hash)
    }

    /// Like `contains`, trying the key after the cursor's first.
    pub fn find(&self, hash: &u128, cursor: &mut Cursor) -> bool {
        if let Some(next) = cursor.0
            && self.order.get(next) == Some(hash)
        {
            cursor.0 = Some(next + 1);
            return true;
        }
        if let Some(&at) = self.landmarks.get(hash) {
            cursor.0 = Some(at as usize + 1);
            return true;
        }
        self.contains(hash)
    }

    /// Where a hash sits in the set, roughly: its shard and the slot its
    /// low bits choose. Probes sorted by it sweep the set's memory once.
    fn place(&self, hash: u128) -> (usize, u64) {
        let shard = shard_of(hash);
        let slots = (self.shards[shard].capacity() / 7 * 8 + 8).next_power_of_two() as u64;
        (shard, hash as u64 & (slots - 1))
    }

    pub fn reserve(&mut self, more: usize) {
        for shard in &mut self.shards {
            shard.reserve(more / SHARDS + 1);
        }
        self.order.reserve(more);
    }

    fn remember(&mut self, hash: u128) {
        if self.order.len().is_multiple_of(LANDMARK_EVERY) {
            self.landmarks.insert(hash, self.order.len() as u32);
        }
        self.order.push(hash);
    }

    /// Inserts every hash; returns the positions in `hashes` of those the
    /// set already held (or that came earlier in `hashes`), in order.
    pub fn insert_all(&mut self, hashes: &[Option<u128>]) -> Vec<usize> {
        use rayon::prelude::*;
        let mut by_shard: Vec<Vec<u32>> = vec![Vec::new(); SHARDS];
        for (i, hash) in hashes.iter().enumerate() {
            if let Some(hash) = hash {
                by_shard[shard_of(*hash)].push(i as u32);
                self.remember(*hash);
            }
        }
        let mut repeated: Vec<usize> = self
            .shards
            .par_iter_mut()
            .zip(by_shard)
            .flat_map_iter(|(shard, positions)| {
                shard.reserve(positions.len());
                positions
                    .into_iter()
                    .filter(|&i| !shard.insert(hashes[i as usize].expect("only keys are sharded")))
                    .map(|i| i as usize)
                    .collect::<Vec<_>>()
            })
            .collect();
        repeated.sort_unstable();
        repeated
    }
}

impl Extend<u128> for KeyHashes {
    fn extend<I: IntoIterator<Item = u128>>(&mut self, hashes: I) {
        for hash in hashes {
            self.shards[shard_of(hash)].insert(hash);
            self.remember(hash);
        }
    }
}

/// The 128-bit hash of each row's values in `columns`, or `None` where any
/// of them is null (a null key is reported as a missing required value).
pub fn hash_rows(columns: &[&ArrayRef], rows: usize) -> Vec<Option<u128>> {
    let columns = resolve(columns);
    let mut buffer: Vec<u8> = Vec::with_capacity(64);
    (0..rows)
        .map(|row| hash_row(&columns, row, &mut buffer))
        .collect()
}

/// A 64-bit hash of each row's values in `columns` (see [`hash_rows`]):
/// cheaper, for a first pass whose matches are then told apart by the
/// 128-bit hashes.
pub fn hash_rows_64(columns: &[&ArrayRef], rows: usize) -> Vec<Option<u64>> {
    let columns = resolve(columns);
    let mut buffer: Vec<u8> = Vec::with_capacity(64);
    (0..rows)
        .map(|row| key_bytes(&columns, row, &mut buffer).then(|| xxh3_64(&buffer)))
        .collect()
}

/// A key column with its type resolved once, so reading a row of it needs
/// no dynamic dispatch (that was most of the cost of hashing a key).
enum KeyColumn<'a> {
    Text(&'a StringArray),
    Int32(&'a Int32Array),
    Int64(&'a Int64Array),
    Date(&'a Date32Array),
    Decimal(&'a Decimal128Array),
    Timestamp(&'a TimestampMillisecondArray),
    /// Other types do not make sensible keys; their text form is hashed.
    Other(&'a ArrayRef),
}

fn resolve<'a>(columns: &[&'a ArrayRef]) -> Vec<KeyColumn<'a>> {
    columns
        .iter()
        .map(|array| match array.data_type() {
            DataType::Utf8 => KeyColumn::Text(array.as_string::<i32>()),
            DataType::Int32 => KeyColumn::Int32(array.as_primitive::<Int32Type>()),
            DataType::Int64 => KeyColumn::Int64(array.as_primitive::<Int64Type>()),
            DataType::Date32 => KeyColumn::Date(array.as_primitive::<Date32Type>()),
            DataType::Decimal128(..) => KeyColumn::Decimal(array.as_primitive::<Decimal128Type>()),
            DataType::Timestamp(TimeUnit::Millisecond, _) => {
                KeyColumn::Timestamp(array.as_primitive::<TimestampMillisecondType>())
            }
            _ => KeyColumn::Other(array),
        })
        .collect()
}

impl KeyColumn<'_> {
    fn is_null(&self, row: usize) -> bool {
        match self {
            KeyColumn::Text(a) => a.is_null(row),
            KeyColumn::Int32(a) => a.is_null(row),
            KeyColumn::Int64(a) => a.is_null(row),
            KeyColumn::Date(a) => a.is_null(row),
            KeyColumn::Decimal(a) => a.is_null(row),
            KeyColumn::Timestamp(a) => a.is_null(row),
            KeyColumn::Other(a) => a.is_null(row),
        }
    }

    fn feed(&self, buffer: &mut Vec<u8>, row: usize) {
        match self {
            KeyColumn::Text(a) => {
                let value = a.value(row);
                buffer.extend_from_slice(&(value.len() as u64).to_le_bytes());
                buffer.extend_from_slice(value.as_bytes());
            }
            KeyColumn::Int32(a) => buffer.extend_from_slice(&a.value(row).to_le_bytes()),
            KeyColumn::Int64(a) => buffer.extend_from_slice(&a.value(row).to_le_bytes()),
            KeyColumn::Date(a) => buffer.extend_from_slice(&a.value(row).to_le_bytes()),
            KeyColumn::Decimal(a) => buffer.extend_from_slice(&a.value(row).to_le_bytes()),
            KeyColumn::Timestamp(a) => buffer.extend_from_slice(&a.value(row).to_le_bytes()),
            KeyColumn::Other(a) => {
                let text = describe(a, row);
                buffer.extend_from_slice(&(text.len() as u64).to_le_bytes());
                buffer.extend_from_slice(text.as_bytes());
            }
        }
    }

    /// Whether rows `a` and `b` hold the same value, neither null (false
    /// for other types: they are hashed instead).
    fn equal(&self, a: usize, b: usize) -> bool {
        fn same<A: Array, T: PartialEq>(
            v: &A,
            a: usize,
            b: usize,
            value: impl Fn(usize) -> T,
        ) -> bool {
            v.is_valid(a) && v.is_valid(b) && value(a) == value(b)
        }
        match self {
            KeyColumn::Text(v) => same(*v, a, b, |i| v.value(i)),
            KeyColumn::Int32(v) => same(*v, a, b, |i| v.value(i)),
            KeyColumn::Int64(v) => same(*v, a, b, |i| v.value(i)),
            _ => false,
        }
    }
}

/// One row's hash (see [`hash_rows`]); `buffer` is scratch space.
fn hash_row(columns: &[KeyColumn<'_>], row: usize, buffer: &mut Vec<u8>) -> Option<u128> {
    key_bytes(columns, row, buffer).then(|| xxh3_128(buffer))
}

/// Writes the row's key into `buffer` (to be hashed in one call); false
/// when a key column is null.
fn key_bytes(columns: &[KeyColumn<'_>], row: usize, buffer: &mut Vec<u8>) -> bool {
    buffer.clear();
    for column in columns {
        if column.is_null(row) {
            return false;
        }
        column.feed(buffer, row);
    }
    true
}

/// Whether rows `a` and `b` hold the same values in `columns`, none null.
fn rows_equal(columns: &[KeyColumn<'_>], a: usize, b: usize) -> bool {
    columns.iter().all(|column| column.equal(a, b))
}

fn describe(array: &ArrayRef, row: usize) -> String {
    ArrayFormatter::try_new(array.as_ref(), &FormatOptions::default())
        .map(|f| f.value(row).to_string())
        .unwrap_or_default()
}

/// `name = value` pairs for a message.
pub fn describe_key(names: &[String], columns: &[&ArrayRef], row: usize) -> String {
    names
        .iter()
        .zip(columns)
        .map(|(name, array)| format!("{name} = {}", describe(array, row)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The columns of `names` in the batch, if all were read.
pub fn key_columns<'b>(batch: &'b LoadedBatch, names: &[String]) -> Option<Vec<&'b ArrayRef>> {
    names.iter().map(|n| batch.column(n)).collect()
}

/// Remembers a table's keys and reports those seen twice.
#[derive(Default)]
pub struct UniqueKeys {
    seen: KeyHashes,
}

impl UniqueKeys {
    /// Remembers the keys of `batch`, given their hashes (computed in
    /// parallel), and reports the rows whose key was seen before.
    pub fn check_hashes(
        &mut self,
        batch: &LoadedBatch,
        hashes: &[Option<u128>],
        key: &[String],
        table: &str,
        log: &mut ProblemLog,
    ) {
        let Some(columns) = key_columns(batch, key) else {
            return;
        };
        for row in self.seen.insert_all(hashes) {
            if !batch.is_damaged(row) {
                log.push(duplicate_key(batch, key, &columns, row, table));
            }
        }
    }

    pub fn reserve(&mut self, rows: usize) {
        self.seen.reserve(rows);
    }

    pub fn into_hashes(self) -> KeyHashes {
        self.seen
    }
}

/// The key hashes of a table no reference is checked against, gathered
/// and sorted once at the end instead of inserted into a set one by one:
/// every insert into a set of tens of millions is a cache miss, while
/// sorting shards of a few thousand stays in cache, and the hashes take
/// half the memory of a set. Which rows repeat a key is found by reading
/// the key columns again, only when some key does repeat.
pub struct GatheredKeys {
    shards: Vec<Vec<u128>>,
    /// Shards written out, when gathering may not hold them all.
    spill: Option<GatherSpill>,
}

/// Gathered hashes written to disk, so gathering the keys of a hundred
/// million lines holds a few megabytes, not 1.6 GB. One file holds every
/// shard's pieces.
struct GatherSpill {
    file: ScratchFile,
    /// Where each shard's pieces were written whole.
    pieces: Vec<Vec<Extent>>,
    held: usize,
}

/// Hashes held in memory before they are written out (16 MiB).
const GATHER_HELD: usize = 1 << 20;

/// Shards by the top bits of the hash, each sorted on its own.
const GATHERED_SHARDS: usize = 256;

impl GatheredKeys {
    /// Room for about `rows` keys, so gathering never grows a shard.
    pub fn with_capacity(rows: usize) -> GatheredKeys {
        let each = rows / GATHERED_SHARDS + rows / GATHERED_SHARDS / 16 + 16;
        GatheredKeys {
            shards: (0..GATHERED_SHARDS)
                .map(|_| Vec::with_capacity(each))
                .collect(),
            spill: None,
        }
    }

    /// Gathering that writes its hashes to a nameless file inside `dir`
    /// past a few megabytes; in memory, as [`GatheredKeys::with_capacity`],
    /// when the file cannot be made.
    pub fn spilling(rows: usize, dir: &std::path::Path) -> GatheredKeys {
        let Ok(file) = ScratchFile::create_in(dir) else {
            return GatheredKeys::with_capacity(rows);
        };
        let mut keys = GatheredKeys::with_capacity(GATHER_HELD.min(rows));
        keys.spill = Some(GatherSpill {
            file,
            pieces: vec![Vec::new(); GATHERED_SHARDS],
            held: 0,
        });
        keys
    }

    /// Writes the shards out when they hold too much. A folder that stops
    /// taking writes ends spilling: the keys then stay in memory.
    fn spill_if_full(&mut self) {
        let Some(spill) = self.spill.as_mut() else {
            return;
        };
        if spill.held < GATHER_HELD {
            return;
        }
        if spill.write(&mut self.shards).is_err() {
            let spill = self.spill.take().expect("spilling");
            // What was written whole comes back into memory; the shard
            // whose write failed was not emptied.
            for (shard, pieces) in self.shards.iter_mut().zip(&spill.pieces) {
                if let Ok(bytes) = spill.file.read_all(pieces) {
                    shard.extend(decode_hashes(&bytes));
                }
            }
        }
    }

    #[cfg(test)]
    fn add(&mut self, hashes: &[Option<u128>]) {
        for hash in hashes.iter().flatten() {
            self.push(*hash);
        }
    }

    fn push(&mut self, hash: u128) {
        self.shards[(hash >> 120) as usize % GATHERED_SHARDS].push(hash);
        if let Some(spill) = self.spill.as_mut() {
            spill.held += 1;
        }
    }

    /// Adds the key of each row of `columns` (rows with a null key have none).
    pub fn add_rows(&mut self, columns: &[&ArrayRef], rows: usize) {
        let columns = resolve(columns);
        let mut buffer = Vec::with_capacity(64);
        for row in 0..rows {
            if let Some(hash) = hash_row(&columns, row, &mut buffer) {
                self.push(hash);
            }
        }
        self.spill_if_full();
    }

    /// Adds the keys another gathering holds.
    pub fn absorb(&mut self, other: GatheredKeys) {
        let mut added = 0;
        for (mine, theirs) in self.shards.iter_mut().zip(other.shards) {
            added += theirs.len();
            mine.extend(theirs);
        }
        if let Some(spill) = self.spill.as_mut() {
            spill.held += added;
        }
        self.spill_if_full();
    }

    /// The hashes gathered more than once; an error when what was
    /// written out cannot be read back.
    pub fn repeated(mut self) -> std::io::Result<HashSet<u128>> {
        use rayon::prelude::*;
        // Each spilled shard is read back whole, one per thread at a time.
        let spill = self.spill.take();
        self.shards
            .par_iter_mut()
            .enumerate()
            .map(|(i, shard)| {
                if let Some(spill) = &spill {
                    shard.extend(decode_hashes(&spill.file.read_all(&spill.pieces[i])?));
                }
                shard.sort_unstable();
                let mut repeated: Vec<u128> = shard
                    .windows(2)
                    .filter(|w| w[0] == w[1])
                    .map(|w| w[0])
                    .collect();
                repeated.dedup();
                std::mem::take(shard);
                Ok(repeated)
            })
            .collect::<std::io::Result<Vec<Vec<u128>>>>()
            .map(|shards| shards.into_iter().flatten().collect())
    }
}

impl GatherSpill {
    /// Appends each shard's hashes to the file and empties the shards.
    fn write(&mut self, shards: &mut [Vec<u128>]) -> std::io::Result<()> {
        for (shard, pieces) in shards.iter_mut().zip(&mut self.pieces) {
            if shard.is_empty() {
                continue;
            }
            let bytes: Vec<u8> = shard.iter().flat_map(|h| h.to_le_bytes()).collect();
            pieces.push(self.file.append(&bytes)?);
            shard.clear();
        }
        self.held = 0;
        Ok(())
    }
}

fn decode_hashes(bytes: &[u8]) -> impl Iterator<Item = u128> + '_ {
    bytes
        .chunks_exact(16)
        .map(|c| u128::from_le_bytes(c.try_into().expect("16 bytes")))
}

/// Reports, in reading order, each row whose key hash is in `repeated`
/// after an earlier row had the same key.
pub struct RepeatedKeys<'r> {
    repeated: &'r HashSet<u128>,
    met: HashSet<u128>,
}

impl<'r> RepeatedKeys<'r> {
    pub fn new(repeated: &'r HashSet<u128>) -> RepeatedKeys<'r> {
        RepeatedKeys {
            repeated,
            met: HashSet::new(),
        }
    }

    pub fn check(
        &mut self,
        batch: &LoadedBatch,
        key: &[String],
        table: &str,
        log: &mut ProblemLog,
    ) {
        let Some(columns) = key_columns(batch, key) else {
            return;
        };
        let typed = resolve(&columns);
        let mut buffer = Vec::with_capacity(64);
        for row in 0..batch.batch.num_rows() {
            let Some(hash) = hash_row(&typed, row, &mut buffer) else {
                continue;
            };
            if !self.repeated.contains(&hash) || self.met.insert(hash) {
                continue;
            }
            if !batch.is_damaged(row) {
                log.push(duplicate_key(batch, key, &columns, row, table));
            }
        }
    }
}

fn duplicate_key(
    batch: &LoadedBatch,
    key: &[String],
    columns: &[&ArrayRef],
    row: usize,
    table: &str,
) -> Problem {
    Problem::new(
        ProblemKind::DuplicateKey,
        batch.file,
        format!(
            "the key ({}) appears more than once in `{table}`; an earlier row has it too",
            describe_key(key, columns, row)
        ),
    )
    .in_column(&key[0])
    .at(batch.row_ref(row))
}

/// Reports rows whose `columns` name no key of the `target` table.
pub fn check_references(
    batch: &LoadedBatch,
    columns: &[String],
    target_table: &str,
    target_keys: &KeyHashes,
    log: &mut ProblemLog,
) {
    let Some(arrays) = key_columns(batch, columns) else {
        return;
    };
    // Lines of one claim come together: a row with the same values as the
    // row before needs neither a hash nor a probe; it shares that row's
    // answer.
    let typed = resolve(&arrays);
    let mut buffer = Vec::with_capacity(64);
    let rows = batch.batch.num_rows();
    // (hash, first row of its run), and for each row the probe it shares.
    let mut probes: Vec<(u128, u32)> = Vec::new();
    let mut probe_of: Vec<Option<u32>> = vec![None; rows];
    for row in 0..rows {
        if row > 0 && probe_of[row - 1].is_some() && rows_equal(&typed, row - 1, row) {
            probe_of[row] = probe_of[row - 1];
            continue;
        }
        if let Some(hash) = hash_row(&typed, row, &mut buffer) {
            probe_of[row] = Some(probes.len() as u32);
            probes.push((hash, row as u32));
        }
    }
    let found = find_all(target_keys, &probes);
    for (row, probe) in probe_of.iter().enumerate() {
        let Some(p) = probe else { continue };
        if found[*p as usize] || batch.is_damaged(row) {
            continue;
        }
        log.push(
            Problem::new(
                ProblemKind::MissingReference,
                batch.file,
                format!(
                    "no row of `{target_table}` has {}",
                    describe_key(columns, &arrays, row)
                ),
            )
            .in_column(&columns[0])
            .at(batch.row_ref(row)),
        );
    }
}

/// Whether each probe's hash is in `keys`. Probes in the order of the
/// target's rows (lines exported claim by claim) follow a cursor through
/// that order; others are looked up in the order of their place in the
/// set, so a batch's lookups sweep memory once instead of missing the
/// cache at every probe (rows in no order: a fifth of reading's time).
fn find_all(keys: &KeyHashes, probes: &[(u128, u32)]) -> Vec<bool> {
    let mut found = vec![false; probes.len()];
    let mut cursor = Cursor::default();
    let trial = probes.len().min(64);
    let mut followed = 0;
    for (i, (hash, _)) in probes[..trial].iter().enumerate() {
        let before = cursor.0;
        found[i] = keys.find(hash, &mut cursor);
        if found[i] && before.is_some() && cursor.0 == before.map(|b| b + 1) {
            followed += 1;
        }
    }
    if followed * 2 >= trial {
        for (i, (hash, _)) in probes.iter().enumerate().skip(trial) {
            found[i] = keys.find(hash, &mut cursor);
        }
        return found;
    }
    let mut order: Vec<u32> = (trial as u32..probes.len() as u32).collect();
    order.sort_unstable_by_key(|&i| keys.place(probes[i as usize].0));
    for i in order {
        found[i as usize] = keys.contains(&probes[i as usize].0);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int32Array, StringArray};
    use std::sync::Arc;

    #[test]
    fn equal_keys_hash_equal_and_nulls_have_no_hash() {
        let a: ArrayRef = Arc::new(StringArray::from(vec![
            Some("C1"),
            Some("C1"),
            None,
            Some("C1"),
        ]));
        let b: ArrayRef = Arc::new(Int32Array::from(vec![1, 1, 1, 2]));
        let hashes = hash_rows(&[&a, &b], 4);
        assert_eq!(hashes[0], hashes[1]);
        assert_eq!(hashes[2], None);
        assert_ne!(hashes[0], hashes[3]);
    }

    #[test]
    fn probes_in_any_order_find_exactly_the_keys_held() {
        let mut keys = KeyHashes::default();
        let held: Vec<u128> = (0..5000u128)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        keys.extend(held.iter().copied());
        // In the set's order (the cursor is followed), then scattered with
        // keys it lacks among them (the probes are sorted by place).
        let in_order: Vec<(u128, u32)> = held.iter().map(|h| (*h, 0)).collect();
        assert!(find_all(&keys, &in_order).iter().all(|f| *f));
        let scattered: Vec<(u128, u32)> = (0..4000u128)
            .map(|i| ((i * 7919) % 10_000).wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .map(|h| (h, 0))
            .collect();
        let expected: Vec<bool> = scattered.iter().map(|(h, _)| keys.contains(h)).collect();
        assert!(expected.iter().any(|f| !f) && expected.iter().any(|f| *f));
        assert_eq!(find_all(&keys, &scattered), expected);
    }

    #[test]
    fn spilled_gathering_finds_the_same_repeated_hashes() {
        let dir = tempfile::tempdir().unwrap();
        let mut spilled = GatheredKeys::spilling(10, dir.path());
        let mut held = GatheredKeys::with_capacity(10);
        // More than GATHER_HELD hashes, so some are written out; an odd
        // multiplier spreads them over the shards, and every 700,000th repeats.
        let hashes: Vec<Option<u128>> = (0..(GATHER_HELD as u128 + 5000))
            .map(|i| Some((i % 700_000).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835)))
            .collect();
        for chunk in hashes.chunks(4096) {
            let mut part = GatheredKeys::with_capacity(0);
            part.add(chunk);
            spilled.absorb(part);
            held.add(chunk);
        }
        assert!(spilled.spill.as_ref().is_some_and(|s| !s.file.is_empty()));
        // The file has no name: nothing is left behind, however the run ends.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let expected = held.repeated().unwrap();
        assert!(!expected.is_empty());
        assert_eq!(spilled.repeated().unwrap(), expected);
    }

    #[test]
    fn gathered_keys_find_exactly_the_repeated_hashes() {
        let top = 1u128 << 127;
        let mut gathered = GatheredKeys::with_capacity(4);
        gathered.add(&[Some(1), Some(2), None, Some(top)]);
        gathered.add(&[Some(2), Some(3), Some(top), Some(2), None]);
        assert_eq!(gathered.repeated().unwrap(), HashSet::from([2, top]));
        assert!(
            GatheredKeys::with_capacity(0)
                .repeated()
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn repeated_keys_report_every_row_after_the_first() {
        let ids: ArrayRef = Arc::new(StringArray::from(vec!["A", "B", "A", "C", "A"]));
        let batch = arrow::array::RecordBatch::try_from_iter([("id", ids.clone())]).unwrap();
        let loaded = LoadedBatch {
            file: std::path::Path::new("t.parquet"),
            rows: super::super::read::RowNumbers::Offset(0),
            batch,
            damaged: vec![false, false, false, false, true],
        };
        let hashes = hash_rows(&[&ids], 5);
        let repeated = HashSet::from([hashes[0].unwrap()]);
        let mut log = ProblemLog::default();
        RepeatedKeys::new(&repeated).check(&loaded, &["id".to_string()], "t", &mut log);
        // Row 3 repeats row 1; row 5 does too but was already reported as damaged.
        assert_eq!(log.total(), 1);
        assert_eq!(log.problems()[0].row, Some(super::super::RowRef::Row(3)));
    }

    #[test]
    fn concatenation_does_not_collide() {
        let a: ArrayRef = Arc::new(StringArray::from(vec!["ab", "a"]));
        let b: ArrayRef = Arc::new(StringArray::from(vec!["c", "bc"]));
        let hashes = hash_rows(&[&a, &b], 2);
        assert_ne!(hashes[0], hashes[1]);
    }
}
