//! Patients' histories as a check reads them, decoded once and kept.
//!
//! A check needs the patient's stored claims as claims and columns, not in
//! the form the store keeps: decoding them was most of a check's cost, and
//! all of a long history's. The decoded history of each patient checked is kept here, up
//! to a byte budget (least recently used first out), for the engine that
//! decoded it (a reload decodes anew). Every write of the store forgets the
//! patients it touched, and a history read while a write to its patient
//! commits is not kept, so what is kept is always what the store holds.

use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex};

/// Write counters, by a hash of the patient: a history read is kept only
/// when its patient's counter did not move while it was read.
const STRIPES: usize = 4096;

type Decoded = Arc<dyn Any + Send + Sync>;

struct Entry {
    /// The engine that decoded it.
    generation: u64,
    value: Decoded,
    bytes: usize,
    last_used: u64,
}

struct Inner {
    entries: HashMap<String, Entry>,
    /// The kept patients by when they were last used, oldest first.
    by_use: BTreeMap<u64, String>,
    bytes: usize,
    clock: u64,
    writes: Vec<u64>,
}

impl Inner {
    fn remove(&mut self, patient: &str) {
        if let Some(old) = self.entries.remove(patient) {
            self.bytes -= old.bytes;
            self.by_use.remove(&old.last_used);
        }
    }
}

pub struct HistoryCache {
    budget: usize,
    hasher: std::collections::hash_map::RandomState,
    inner: Mutex<Inner>,
}

/// What a cached read found.
pub enum Cached<T> {
    Hit(Arc<T>),
    /// Not kept: read it, then offer it with this ticket.
    Miss(Ticket),
}

/// The patient's write counter when a read began (or a write ended).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    stripe: usize,
    writes: u64,
}

impl HistoryCache {
    /// A cache of at most `budget` bytes of decoded histories (0: none kept).
    pub fn new(budget: usize) -> HistoryCache {
        HistoryCache {
            budget,
            hasher: Default::default(),
            inner: Mutex::new(Inner {
                entries: HashMap::new(),
                by_use: BTreeMap::new(),
                bytes: 0,
                clock: 0,
                writes: vec![0; STRIPES],
            }),
        }
    }

    fn stripe(&self, patient: &str) -> usize {
        (self.hasher.hash_one(patient) as usize) % STRIPES
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The patient's history decoded by engine `generation`, if kept.
    pub fn get<T: Send + Sync + 'static>(&self, patient: &str, generation: u64) -> Cached<T> {
        let stripe = self.stripe(patient);
        let mut guard = self.lock();
        let inner = &mut *guard;
        inner.clock += 1;
        let now = inner.clock;
        if let Some(entry) = inner.entries.get_mut(patient)
            && entry.generation == generation
            && let Ok(value) = entry.value.clone().downcast::<T>()
        {
            inner.by_use.remove(&entry.last_used);
            inner.by_use.insert(now, patient.to_string());
            entry.last_used = now;
            return Cached::Hit(value);
        }
        Cached::Miss(Ticket {
            stripe,
            writes: inner.writes[stripe],
        })
    }

    /// Keeps a history read since `ticket`, unless a write to its patient
    /// came in between or it alone exceeds the budget; the least recently
    /// used histories make room.
    pub fn offer<T: Send + Sync + 'static>(
        &self,
        patient: &str,
        generation: u64,
        ticket: Ticket,
        value: Arc<T>,
        bytes: usize,
    ) {
        if bytes > self.budget {
            return;
        }
        let mut inner = self.lock();
        if inner.writes[ticket.stripe] != ticket.writes {
            return;
        }
        inner.remove(patient);
        while inner.bytes + bytes > self.budget {
            let Some((_, oldest)) = inner.by_use.pop_first() else {
                break;
            };
            inner.remove(&oldest);
        }
        inner.clock += 1;
        let last_used = inner.clock;
        inner.bytes += bytes;
        inner.by_use.insert(last_used, patient.to_string());
        inner.entries.insert(
            patient.to_string(),
            Entry {
                generation,
                value,
                bytes,
                last_used,
            },
        );
    }

    /// A write to the patient's history committed: its decoded history is
    /// stale, and so is any read of it still under way. The ticket lets the
    /// writer offer the history as it left it, unless another write follows.
    pub fn forget(&self, patient: &str) -> Ticket {
        let stripe = self.stripe(patient);
        let mut inner = self.lock();
        inner.writes[stripe] += 1;
        inner.remove(patient);
        Ticket {
            stripe,
            writes: inner.writes[stripe],
        }
    }

    /// Bytes of decoded histories kept.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(cache: &HistoryCache, patient: &str, generation: u64) -> Option<u32> {
        match cache.get::<u32>(patient, generation) {
            Cached::Hit(v) => Some(*v),
            Cached::Miss(_) => None,
        }
    }

    fn load(cache: &HistoryCache, patient: &str, value: u32, bytes: usize) {
        let Cached::Miss(ticket) = cache.get::<u32>(patient, 1) else {
            panic!("{patient} was kept already");
        };
        cache.offer(patient, 1, ticket, Arc::new(value), bytes);
    }

    #[test]
    fn a_history_is_kept_for_its_engine_until_its_patient_is_written() {
        let cache = HistoryCache::new(1000);
        load(&cache, "P1", 7, 100);
        assert_eq!(read(&cache, "P1", 1), Some(7));
        // Another engine (after a reload) decodes anew.
        assert_eq!(read(&cache, "P1", 2), None);
        cache.forget("P1");
        assert_eq!(read(&cache, "P1", 1), None);
        assert_eq!(cache.bytes(), 0);
    }

    #[test]
    fn a_read_overtaken_by_a_write_is_not_kept() {
        let cache = HistoryCache::new(1000);
        let Cached::Miss(ticket) = cache.get::<u32>("P1", 1) else {
            panic!()
        };
        // A claim of P1 is recorded while its old history is being read.
        cache.forget("P1");
        cache.offer("P1", 1, ticket, Arc::new(7u32), 100);
        assert_eq!(read(&cache, "P1", 1), None);
    }

    #[test]
    fn the_least_recently_used_make_room_within_the_budget() {
        let cache = HistoryCache::new(250);
        load(&cache, "P1", 1, 100);
        load(&cache, "P2", 2, 100);
        assert_eq!(read(&cache, "P1", 1), Some(1));
        load(&cache, "P3", 3, 100);
        // P2 was used least recently.
        assert_eq!(read(&cache, "P2", 1), None);
        assert_eq!(read(&cache, "P1", 1), Some(1));
        assert_eq!(read(&cache, "P3", 1), Some(3));
        assert_eq!(cache.bytes(), 200);
        // Larger than the whole budget: never kept.
        let Cached::Miss(ticket) = cache.get::<u32>("P4", 1) else {
            panic!()
        };
        cache.offer("P4", 1, ticket, Arc::new(4u32), 300);
        assert_eq!(read(&cache, "P4", 1), None);
        assert_eq!(cache.bytes(), 200);
    }
}
