//! The history store: each patient's settled claims, in an embedded redb
//! database (`DIR/history.redb`), keyed by (patient id, claim id), with an
//! index from claim id to patient. Every recording, reversal and feedback
//! commits with `Durability::Immediate` (fsync) before it returns, so a
//! crash loses nothing acknowledged. Claims are stored in their binary form
//! (`claim_codec`), under the id of a schema recorded beside them; checks
//! read them decoded, from a bounded cache that every write keeps true
//! (`history_cache`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use redb::{
    Database, Durability, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition,
    WriteTransaction,
};

use super::claim_codec::StoredSchema;
use super::history_cache::{Cached, HistoryCache, Ticket};

const CLAIMS: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("claims");
const CLAIM_PATIENT: TableDefinition<&str, &str> = TableDefinition::new("claim_patient");
const FEEDBACK: TableDefinition<&str, &[u8]> = TableDefinition::new("feedback");
/// The schemas claims were written under, by id (`claim_codec`).
const SCHEMAS: TableDefinition<u64, &str> = TableDefinition::new("schemas");

/// Memory for redb's cache of the file's pages (its default is 1 GiB):
/// checks read decoded histories from `history_cache`, and an import
/// writes in key order, so neither needs more.
const PAGE_CACHE_BYTES: usize = 64 << 20;

/// The file inside the store folder.
pub const STORE_FILE: &str = "history.redb";

pub struct HistoryStore {
    db: Database,
    path: PathBuf,
    /// Patients' histories as checks decoded them (see `history_cache`).
    cache: HistoryCache,
    /// Held from a write's start until the cache has forgotten what it
    /// touched: a writer sees the cache true to the store.
    writing: Mutex<()>,
}

/// A committed write, holding the write lock until dropped: forget what it
/// touched through it.
struct Written<'s> {
    cache: &'s HistoryCache,
    _lock: MutexGuard<'s, ()>,
}

impl Written<'_> {
    fn forget(&self, patient: &str) -> Ticket {
        self.cache.forget(patient)
    }
}

/// A stored claim: its id and its stored bytes (`claim_codec`).
pub type Stored = (String, Vec<u8>);

/// What recording a claim did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// The claim was new and is recorded; `kept` is false when it falls
    /// outside the look-back the store keeps and was pruned at once. With
    /// `ticket` the writer may offer the patient's history as it now is.
    Created { kept: bool, ticket: Ticket },
    /// The same claim (byte for byte) was already stored: nothing changed.
    Unchanged,
    /// A different claim with this id is stored (returned): nothing changed.
    Conflict(Vec<u8>),
}

/// Decides which of a patient's stored claims fall outside the look-back.
pub type Pruner<'a> = &'a dyn Fn(&[Stored]) -> Vec<String>;

/// [`Pruner`] of a recording: names the claims to drop (the recorded one
/// among them when it falls outside the look-back), given a way to read
/// the patient's claims as stored before it. It runs under the store's
/// write lock, where the history kept decoded is what the store holds.
pub type RecordPruner<'a> =
    &'a dyn Fn(&dyn Fn() -> Result<Vec<Stored>, redb::Error>) -> Result<Vec<String>, redb::Error>;

#[derive(Debug, thiserror::Error)]
#[error("history store {path}: {message}")]
pub struct StoreError {
    pub path: String,
    pub message: String,
}

impl HistoryStore {
    /// Opens (creating when absent) the store in folder `dir`, keeping no
    /// decoded history.
    pub fn open(dir: &Path) -> Result<HistoryStore, StoreError> {
        HistoryStore::open_with_cache(dir, 0)
    }

    /// Opens the store, keeping up to `cache_bytes` of decoded histories.
    pub fn open_with_cache(dir: &Path, cache_bytes: usize) -> Result<HistoryStore, StoreError> {
        let path = dir.join(STORE_FILE);
        let fail = |message: String| StoreError {
            path: path.display().to_string(),
            message,
        };
        std::fs::create_dir_all(dir).map_err(|e| fail(format!("cannot create the folder: {e}")))?;
        let db = Database::builder()
            .set_cache_size(PAGE_CACHE_BYTES)
            .create(&path)
            .map_err(|e| match e {
                redb::DatabaseError::DatabaseAlreadyOpen => {
                    fail("already open in another process (is the service running?)".into())
                }
                e => fail(e.to_string()),
            })?;
        let store = HistoryStore {
            db,
            path,
            cache: HistoryCache::new(cache_bytes),
            writing: Mutex::new(()),
        };
        store.write(|txn| {
            txn.open_table(CLAIMS)?;
            txn.open_table(CLAIM_PATIENT)?;
            txn.open_table(FEEDBACK)?;
            txn.open_table(SCHEMAS)?;
            Ok(())
        })?;
        Ok(store)
    }

    fn error(&self, e: impl std::fmt::Display) -> StoreError {
        StoreError {
            path: self.path.display().to_string(),
            message: e.to_string(),
        }
    }

    /// Runs `f` in a write transaction committed durably, under the write
    /// lock (held by what it returns with `f`'s result).
    fn write<T>(
        &self,
        f: impl FnOnce(&WriteTransaction) -> Result<T, redb::Error>,
    ) -> Result<(T, Written<'_>), StoreError> {
        let lock = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        let mut txn = self.db.begin_write().map_err(|e| self.error(e))?;
        txn.set_durability(Durability::Immediate)
            .map_err(|e| self.error(e))?;
        let out = f(&txn).map_err(|e| self.error(e))?;
        txn.commit().map_err(|e| self.error(e))?;
        let written = Written {
            cache: &self.cache,
            _lock: lock,
        };
        Ok((out, written))
    }

    /// A patient's stored claims, in claim id order.
    pub fn patient_claims(&self, patient: &str) -> Result<Vec<Stored>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.error(e))?;
        let table = txn.open_table(CLAIMS).map_err(|e| self.error(e))?;
        read_patient(&table, patient).map_err(|e| self.error(e))
    }

    /// The stored claims of each of `patients`, read in one transaction.
    pub fn patients_claims(&self, patients: &[&str]) -> Result<Vec<Vec<Stored>>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.error(e))?;
        let table = txn.open_table(CLAIMS).map_err(|e| self.error(e))?;
        patients
            .iter()
            .map(|p| read_patient(&table, p).map_err(|e| self.error(e)))
            .collect()
    }

    /// A patient's stored claims as `decode` makes them (with their size in
    /// bytes), for engine `generation`: kept after the first read, until a
    /// write to the patient or the engine changes.
    pub fn patient_decoded<T: Send + Sync + 'static>(
        &self,
        patient: &str,
        generation: u64,
        decode: impl FnOnce(Vec<Stored>) -> (T, usize),
    ) -> Result<Arc<T>, StoreError> {
        let ticket = match self.cache.get::<T>(patient, generation) {
            Cached::Hit(value) => return Ok(value),
            Cached::Miss(ticket) => ticket,
        };
        let (value, bytes) = decode(self.patient_claims(patient)?);
        let value = Arc::new(value);
        self.cache
            .offer(patient, generation, ticket, value.clone(), bytes);
        Ok(value)
    }

    /// The patient's history as engine `generation` decoded it, if the
    /// cache keeps it (nothing is read from the store).
    pub fn decoded<T: Send + Sync + 'static>(
        &self,
        patient: &str,
        generation: u64,
    ) -> Option<Arc<T>> {
        match self.cache.get::<T>(patient, generation) {
            Cached::Hit(value) => Some(value),
            Cached::Miss(_) => None,
        }
    }

    /// Bytes of decoded histories kept.
    pub fn cached_bytes(&self) -> usize {
        self.cache.bytes()
    }

    /// The recorded schema with this id (`claim_codec`); `None` when it
    /// is not recorded or cannot be read (logged).
    pub fn schema(&self, id: u64) -> Option<String> {
        let read = || -> Result<Option<String>, redb::Error> {
            let txn = self.db.begin_read()?;
            let table = txn.open_table(SCHEMAS)?;
            Ok(table.get(id)?.map(|t| t.value().to_string()))
        };
        read().unwrap_or_else(|e| {
            tracing::error!(
                "history store {}: reading schema {id:016x}: {e}",
                self.path.display()
            );
            None
        })
    }

    /// The stored claim with this id.
    pub fn get(&self, claim_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.error(e))?;
        let index = txn.open_table(CLAIM_PATIENT).map_err(|e| self.error(e))?;
        let Some(patient) = index.get(claim_id).map_err(|e| self.error(e))? else {
            return Ok(None);
        };
        let claims = txn.open_table(CLAIMS).map_err(|e| self.error(e))?;
        let found = claims
            .get((patient.value(), claim_id))
            .map_err(|e| self.error(e))?
            .map(|v| v.value().to_vec());
        Ok(found)
    }

    /// Records a settled claim of `patient` (its stored form in `json`,
    /// written under `schema`), dropping the patient's claims `prune`
    /// names, this one too when it is already outside the look-back (as
    /// `history import` would). Durable when it returns.
    pub fn record(
        &self,
        patient: &str,
        claim_id: &str,
        json: &[u8],
        schema: &StoredSchema,
        prune: RecordPruner,
    ) -> Result<Recorded, StoreError> {
        // Ok(kept) when recorded; else what stood in the way.
        let (written, done) = self.write(|txn| {
            record_schema(txn, schema)?;
            let mut index = txn.open_table(CLAIM_PATIENT)?;
            let mut claims = txn.open_table(CLAIMS)?;
            let owner = index.get(claim_id)?.map(|p| p.value().to_string());
            if let Some(owner) = owner {
                let stored = claims
                    .get((owner.as_str(), claim_id))?
                    .map(|v| v.value().to_vec())
                    .unwrap_or_default();
                return Ok(Err(if owner == patient && stored == json {
                    Recorded::Unchanged
                } else {
                    Recorded::Conflict(stored)
                }));
            }
            let gone = prune(&|| read_patient(&claims, patient))?;
            let mut kept = true;
            for old in gone {
                if old == claim_id {
                    kept = false;
                    continue;
                }
                claims.remove((patient, old.as_str()))?;
                index.remove(old.as_str())?;
            }
            if kept {
                claims.insert((patient, claim_id), json)?;
                index.insert(claim_id, patient)?;
            }
            Ok(Ok(kept))
        })?;
        Ok(match written {
            Ok(kept) => Recorded::Created {
                kept,
                ticket: done.forget(patient),
            },
            Err(unchanged) => unchanged,
        })
    }

    /// Keeps the patient's history as a write left it (decoded by engine
    /// `generation`), unless another write to the patient came since.
    pub fn remember<T: Send + Sync + 'static>(
        &self,
        patient: &str,
        generation: u64,
        ticket: Ticket,
        value: Arc<T>,
        bytes: usize,
    ) {
        self.cache.offer(patient, generation, ticket, value, bytes);
    }

    /// Reverses (冲正) a claim: removes it. Returns what was stored.
    pub fn reverse(&self, claim_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let ((removed, patient), done) = self.write(|txn| {
            let mut index = txn.open_table(CLAIM_PATIENT)?;
            let Some(patient) = index.remove(claim_id)?.map(|p| p.value().to_string()) else {
                return Ok((None, None));
            };
            let mut claims = txn.open_table(CLAIMS)?;
            let removed = claims
                .remove((patient.as_str(), claim_id))?
                .map(|v| v.value().to_vec());
            Ok((removed, Some(patient)))
        })?;
        if let Some(patient) = patient {
            done.forget(&patient);
        }
        Ok(removed)
    }

    /// Stores claims in bulk (`history import`), in one transaction:
    /// first removes `dropped` (patient, claim id), then stores `claims`
    /// (patient, claim id, stored form under `schema`), replacing any
    /// stored claim with the same id. Returns the patients a claim was
    /// moved from.
    pub fn import(
        &self,
        claims: &[(String, String, Vec<u8>)],
        dropped: &[(String, String)],
        schema: &StoredSchema,
    ) -> Result<Vec<String>, StoreError> {
        let (moved, done) = self.write(|txn| {
            record_schema(txn, schema)?;
            let mut index = txn.open_table(CLAIM_PATIENT)?;
            let mut table = txn.open_table(CLAIMS)?;
            for (patient, claim_id) in dropped {
                table.remove((patient.as_str(), claim_id.as_str()))?;
                let owner = index.get(claim_id.as_str())?.map(|p| p.value() == patient);
                if owner == Some(true) {
                    index.remove(claim_id.as_str())?;
                }
            }
            let mut moved = Vec::new();
            for (patient, claim_id, json) in claims {
                let owner = index.get(claim_id.as_str())?.map(|p| p.value().to_string());
                if let Some(owner) = owner.filter(|o| o != patient) {
                    table.remove((owner.as_str(), claim_id.as_str()))?;
                    moved.push(owner);
                }
                table.insert((patient.as_str(), claim_id.as_str()), json.as_slice())?;
                index.insert(claim_id.as_str(), patient.as_str())?;
            }
            Ok(moved)
        })?;
        let touched = claims.iter().map(|(p, _, _)| p);
        for patient in touched.chain(dropped.iter().map(|(p, _)| p)).chain(&moved) {
            done.forget(patient);
        }
        Ok(moved)
    }

    /// Applies `prune` to each of `patients`; returns how many claims it dropped.
    pub fn prune(&self, patients: &[String], prune: Pruner) -> Result<u64, StoreError> {
        let (dropped, done) = self.write(|txn| {
            let mut index = txn.open_table(CLAIM_PATIENT)?;
            let mut claims = txn.open_table(CLAIMS)?;
            let mut dropped = 0;
            for patient in patients {
                let all = read_patient(&claims, patient)?;
                for old in prune(&all) {
                    claims.remove((patient.as_str(), old.as_str()))?;
                    index.remove(old.as_str())?;
                    dropped += 1;
                }
            }
            Ok(dropped)
        })?;
        for patient in patients {
            done.forget(patient);
        }
        Ok(dropped)
    }

    /// How many claims are stored.
    pub fn len(&self) -> Result<u64, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.error(e))?;
        let index = txn.open_table(CLAIM_PATIENT).map_err(|e| self.error(e))?;
        index.len().map_err(|e| self.error(e))
    }

    pub fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.len()? == 0)
    }

    /// Records feedback entries (key, JSON), durably.
    pub fn record_feedback(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        self.write(|txn| {
            let mut table = txn.open_table(FEEDBACK)?;
            for (key, json) in entries {
                table.insert(key.as_str(), json.as_slice())?;
            }
            Ok(())
        })
        .map(|_| ())
    }

    /// Every feedback entry, in key order.
    pub fn feedback(&self) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.error(e))?;
        let table = txn.open_table(FEEDBACK).map_err(|e| self.error(e))?;
        let mut out = Vec::new();
        for entry in table.iter().map_err(|e| self.error(e))? {
            let (k, v) = entry.map_err(|e| self.error(e))?;
            out.push((k.value().to_string(), v.value().to_vec()));
        }
        Ok(out)
    }
}

/// Records `schema` unless it is recorded already.
fn record_schema(txn: &WriteTransaction, schema: &StoredSchema) -> Result<(), redb::Error> {
    let mut table = txn.open_table(SCHEMAS)?;
    if table.get(schema.id)?.is_none() {
        table.insert(schema.id, schema.text.as_str())?;
    }
    Ok(())
}

/// The patient's stored claims, in claim id order.
fn read_patient(
    table: &impl ReadableTable<(&'static str, &'static str), &'static [u8]>,
    patient: &str,
) -> Result<Vec<Stored>, redb::Error> {
    let mut out = Vec::new();
    for entry in table.range((patient, "")..)? {
        let (key, value) = entry?;
        let (p, claim_id) = key.value();
        if p != patient {
            break;
        }
        out.push((claim_id.to_string(), value.value().to_vec()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recording_prunes_what_its_pruner_names_from_the_claims_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = HistoryStore::open(dir.path()).unwrap();
        let none: RecordPruner = &|_| Ok(Vec::new());
        let schema = StoredSchema {
            id: 7,
            text: "{}".into(),
        };
        for id in ["C1", "C2"] {
            let json = format!("{{\"claim_id\":\"{id}\"}}");
            store
                .record("P1", id, json.as_bytes(), &schema, none)
                .unwrap();
        }
        let seen = std::cell::RefCell::new(Vec::new());
        let prune = |read: &dyn Fn() -> Result<Vec<Stored>, redb::Error>| {
            for (_, stored) in read()? {
                seen.borrow_mut().push(String::from_utf8(stored).unwrap());
            }
            Ok(vec!["C1".to_string()])
        };
        let recorded = store
            .record("P1", "C3", b"{\"claim_id\":\"C3\"}", &schema, &prune)
            .unwrap();
        assert!(matches!(recorded, Recorded::Created { kept: true, .. }));
        assert_eq!(
            *seen.borrow(),
            ["{\"claim_id\":\"C1\"}", "{\"claim_id\":\"C2\"}"]
        );
        let left: Vec<String> = store
            .patient_claims("P1")
            .unwrap()
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(left, ["C2", "C3"]);
        assert!(store.get("C1").unwrap().is_none());
        // A claim its pruner names is not stored at all.
        let itself: RecordPruner = &|_| Ok(vec!["C4".to_string()]);
        let recorded = store.record("P1", "C4", b"{}", &schema, itself).unwrap();
        assert!(matches!(recorded, Recorded::Created { kept: false, .. }));
        assert!(store.get("C4").unwrap().is_none());
        assert_eq!(store.schema(7).as_deref(), Some("{}"));
        assert_eq!(store.schema(8), None);
    }
}
