//! One real-time check: the claim against the patient's recorded history
//! (plus any earlier claims sent with it), within the look-back; and the
//! pruning of a patient's history to the look-back when a claim is recorded.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::api::claim_from_json;
use super::history::{HistoryStore, Recorded, StoreError, Stored};
use super::lookback::LookBack;
use super::shape::{Claim, ClaimShape};
use super::state::Engine;
use crate::flags::Flag;

/// What a check found.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub flags: Vec<Flag>,
    /// Rules left out (batch-only).
    pub skipped: Vec<String>,
    /// History claims the check was judged against.
    pub history: usize,
}

/// The strictest action among the flags: reject > review > warn > pass.
pub fn decision(flags: &[Flag]) -> &'static str {
    ["reject", "review", "warn"]
        .into_iter()
        .find(|a| flags.iter().any(|f| &*f.action == *a))
        .unwrap_or("pass")
}

/// Reads a stored claim; `None` when it no longer fits the schema.
pub fn stored_claim(shape: &ClaimShape, json: &[u8]) -> Option<Claim> {
    let value: serde_json::Value = serde_json::from_slice(json).ok()?;
    match claim_from_json(shape, &value) {
        Ok(claim) => Some(claim),
        Err(e) => {
            // The field only: the message may quote an id.
            tracing::warn!(
                "a stored claim no longer fits the schema at `{}` and is left out",
                e.field
            );
            None
        }
    }
}

/// Checks `claim`. Its history is the patient's stored claims, replaced by
/// (or added to) `sent` where the ids agree, without the claim itself.
pub fn check_claim(
    engine: &Engine,
    store: &HistoryStore,
    claim: &Claim,
    sent: &[Claim],
) -> Result<Outcome, StoreError> {
    let shape = &engine.shape;
    let claim_id = claim.claim_id(shape);
    let stored = patient_history(engine, store, claim.patient_id(shape))?;
    let mut history: BTreeMap<&str, &Claim> = stored
        .iter()
        .map(|(id, _, c)| (id.as_str(), c.as_ref()))
        .collect();
    for c in sent {
        history.insert(c.claim_id(shape), c);
    }
    history.remove(claim_id);
    let history: Vec<&Claim> = history.into_values().collect();
    let cut = claim
        .day_span(shape)
        .and_then(|(first, _)| engine.lookback.cut(first));
    let keep = engine.lookback.select(shape, cut, &history, &[claim]);
    let mut rows: Vec<&Claim> = history
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(c, _)| *c)
        .collect();
    let judged = rows.len();
    rows.push(claim);
    let batches = shape.batches(&rows).map_err(|message| StoreError {
        path: "history".into(),
        message,
    })?;
    let checked = engine.checker().check(batches, claim_id);
    Ok(Outcome {
        flags: checked.flags,
        skipped: checked.skipped,
        history: judged,
    })
}

/// Records a settled claim (its stored JSON `json`) and prunes the
/// patient's history to the look-back of `reference`. The prune reads the
/// history as checks decoded it, so only what is new in the store is
/// parsed, and the history as the recording leaves it stays decoded.
pub fn record_claim(
    engine: &Engine,
    store: &HistoryStore,
    claim: &Claim,
    json: &[u8],
    reference: i32,
) -> Result<Recorded, StoreError> {
    let shape = &engine.shape;
    let patient = claim.patient_id(shape);
    let known = patient_history(engine, store, patient)?;
    let after: std::cell::RefCell<Option<History>> = Default::default();
    let prune = |all: &[Stored]| {
        let history = decode_known(shape, all, &known);
        let out = outside_of(shape, &engine.lookback, reference, &history);
        let gone: std::collections::HashSet<&String> = out.iter().collect();
        let kept = history.into_iter().filter(|(id, _, _)| !gone.contains(id));
        *after.borrow_mut() = Some(kept.collect());
        out
    };
    let recorded = store.record(patient, claim.claim_id(shape), json, &prune)?;
    if let (Recorded::Created { ticket, .. }, Some(history)) = (&recorded, after.take()) {
        let size = history_bytes(&history);
        store.remember(
            patient,
            engine.generation,
            ticket.clone(),
            Arc::new(history),
            size,
        );
    }
    Ok(recorded)
}

/// A patient's stored claims, decoded: (claim id, hash of the stored
/// JSON, claim), in claim id order.
pub type History = Vec<HistoryClaim>;

/// One claim of a decoded history.
pub type HistoryClaim = (String, u64, Arc<Claim>);

/// The patient's stored claims as decoded by this engine (kept in the
/// store's cache until a write to the patient).
pub fn patient_history(
    engine: &Engine,
    store: &HistoryStore,
    patient: &str,
) -> Result<std::sync::Arc<History>, StoreError> {
    store.patient_decoded(patient, engine.generation, |stored| {
        decode_history(&engine.shape, stored)
    })
}

/// A patient's stored claims decoded (those that still fit the schema), in
/// claim id order, and about how many bytes they take.
fn decode_history(shape: &ClaimShape, stored: Vec<Stored>) -> (History, usize) {
    let history = decode_known(shape, &stored, &[]);
    let bytes = history_bytes(&history);
    (history, bytes)
}

/// About how many bytes a decoded history takes.
pub fn history_bytes(history: &[HistoryClaim]) -> usize {
    history
        .iter()
        .map(|(id, _, c)| id.len() + 8 + c.size_bytes())
        .sum()
}

/// The stored claims decoded, taking those `known` decoded already (when
/// their stored JSON is unchanged) instead of parsing them again.
pub fn decode_known(shape: &ClaimShape, stored: &[Stored], known: &[HistoryClaim]) -> History {
    let known: HashMap<&str, (u64, &Arc<Claim>)> = known
        .iter()
        .map(|(id, hash, claim)| (id.as_str(), (*hash, claim)))
        .collect();
    stored
        .iter()
        .filter_map(|(id, json)| {
            let hash = json_hash(json);
            let claim = match known.get(id.as_str()) {
                Some((h, claim)) if *h == hash => Arc::clone(claim),
                _ => Arc::new(stored_claim(shape, json)?),
            };
            Some((id.clone(), hash, claim))
        })
        .collect()
}

fn json_hash(json: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(json)
}

/// The claims of one patient's stored history that fall outside the
/// look-back of a claim dated `reference` (today minus the grace days: the
/// service's clock, never a claim's own dates, so one mistyped date cannot
/// push the others out).
pub fn outside_lookback(
    shape: &ClaimShape,
    lookback: &LookBack,
    reference: i32,
    stored: &[Stored],
) -> Vec<String> {
    outside_of(
        shape,
        lookback,
        reference,
        &decode_known(shape, stored, &[]),
    )
}

/// The claims of a decoded history outside the look-back (as
/// [`outside_lookback`]).
pub fn outside_of(
    shape: &ClaimShape,
    lookback: &LookBack,
    reference: i32,
    history: &[HistoryClaim],
) -> Vec<String> {
    let cut = lookback.cut(reference);
    let refs: Vec<&Claim> = history.iter().map(|(_, _, c)| c.as_ref()).collect();
    let keep = lookback.select(shape, cut, &refs, &[]);
    history
        .iter()
        .zip(keep)
        .filter(|(_, k)| !k)
        .map(|((id, _, _), _)| id.clone())
        .collect()
}
