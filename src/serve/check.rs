//! One real-time check: the claim against the patient's recorded history
//! (plus any earlier claims sent with it), within the look-back; and the
//! pruning of a patient's history to the look-back when a claim is recorded.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::claim_codec::{self, Schemas, Unreadable};
use super::history::{HistoryStore, Recorded, StoreError, Stored};
pub use super::history_columns::{History, HistoryClaim, PatientHistory};
use super::lookback::{ClaimDays, LookBack};
use super::shape::{Claim, ClaimShape};
use super::state::Engine;
use crate::exec::Reach;
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

/// Reads a stored claim (recorded schemas in `schemas`); `None` when it no
/// longer fits the schema or cannot be read.
pub fn stored_claim(shape: &ClaimShape, bytes: &[u8], schemas: Schemas) -> Option<Claim> {
    match claim_codec::decode(shape, bytes, schemas) {
        Ok(claim) => Some(claim),
        Err(Unreadable::Unfit(e)) => {
            // The field only: the message may quote an id.
            tracing::warn!(
                "a stored claim no longer fits the schema at `{}` and is left out",
                e.field
            );
            None
        }
        Err(Unreadable::Damaged(why)) => {
            tracing::error!("a stored claim cannot be read ({why}) and is left out");
            None
        }
    }
}

/// Checks `claim`. Its history is the patient's stored claims, replaced by
/// (or added to) `sent` where the ids agree, without the claim itself;
/// each rule reads only the part of it within its own look-back.
pub fn check_claim(
    engine: &Engine,
    store: &HistoryStore,
    claim: &Claim,
    sent: &[Claim],
) -> Result<Outcome, StoreError> {
    let (shape, lookback) = (&engine.shape, &engine.lookback);
    let failed = |message: String| StoreError {
        path: "history".into(),
        message,
    };
    let claim_id = claim.claim_id(shape);
    let decoded = patient_history(engine, store, claim.patient_id(shape))?;
    let stored = decoded.as_ref().as_ref().map_err(|e| failed(e.clone()))?;
    // A claim sent replaces the stored one of its id (the last sent wins).
    let mut by_id: BTreeMap<&str, &Claim> = BTreeMap::new();
    for c in sent {
        by_id.insert(c.claim_id(shape), c);
    }
    by_id.remove(claim_id);
    let from_store: Vec<usize> = (0..stored.claims.len())
        .filter(|&i| {
            let id = stored.claims[i].id.as_str();
            id != claim_id && !by_id.contains_key(id)
        })
        .collect();
    let sent: Vec<&Claim> = by_id.into_values().collect();
    let sent_days: Vec<ClaimDays> = sent.iter().map(|c| lookback.days_of(shape, c)).collect();
    let claim_days = lookback.days_of(shape, claim);
    let history_days: Vec<&ClaimDays> = from_store
        .iter()
        .map(|&i| &stored.claims[i].days)
        .chain(&sent_days)
        .collect();
    let first_day = claim.day_span(shape).map(|(first, _)| first);
    let every_order: Vec<usize> = (0..lookback.orders.len()).collect();
    let keep = LookBack::select_days(
        first_day.and_then(|d| lookback.cut(d)),
        &every_order,
        &history_days,
        &[&claim_days],
    );
    let (stored_keep, sent_keep) = keep.split_at(from_store.len());
    let kept_stored: Vec<usize> = kept(&from_store, stored_keep);
    let mut also: Vec<&Claim> = kept(&sent, sent_keep);
    let kept_days: Vec<&ClaimDays> = kept(&history_days, &keep);
    let judged = kept_days.len();
    also.push(claim);
    // Each rule's own look-back, within what the longest one keeps.
    let mut claims_of_rule = foldhash::HashMap::default();
    for need in &lookback.each {
        let cut = LookBack::cut_for(&need.need, first_day);
        let mut reads = LookBack::select_days(cut, &need.orders, &kept_days, &[&claim_days]);
        reads.push(true); // the checked claim
        if reads.contains(&false) {
            claims_of_rule.insert(need.rule_id.clone(), reads);
        }
    }
    let read = claims_read(shape, lookback, &claims_of_rule, kept_stored.len());
    let rows = stored
        .rows(shape, &kept_stored, &read, &also)
        .map_err(failed)?;
    let reach = Reach {
        claim_of_row: rows.claim_of_row,
        claims_of_rule,
        checked_claim: Some(judged as u32),
    };
    let checked = engine
        .checker()
        .check_within(rows.batches, claim_id, &reach);
    Ok(Outcome {
        flags: checked.flags,
        skipped: checked.skipped,
        history: judged,
    })
}

/// For each claim table, which of the first `stored` claims of a check
/// any rule reads there: only their rows are copied into the check. The
/// header keeps every claim another table's rows belong to (a line's
/// claim is found through it).
fn claims_read(
    shape: &ClaimShape,
    lookback: &LookBack,
    claims_of_rule: &foldhash::HashMap<String, Vec<bool>>,
    stored: usize,
) -> foldhash::HashMap<String, Vec<bool>> {
    let header = shape.header.name.as_str();
    let lines = shape.lines.as_ref().map(|l| l.table.name.as_str());
    let mut read: foldhash::HashMap<String, Vec<bool>> = std::iter::once(header)
        .chain(lines)
        .map(|t| (t.to_string(), vec![false; stored]))
        .collect();
    for need in &lookback.each {
        let reads = claims_of_rule.get(&need.rule_id);
        for table in &need.tables {
            if let Some(wanted) = read.get_mut(table) {
                for (i, w) in wanted.iter_mut().enumerate() {
                    *w |= reads.is_none_or(|r| r[i]);
                }
            }
        }
    }
    if let Some(lines) = lines.and_then(|l| read.get(l)).cloned()
        && let Some(claims) = read.get_mut(header)
    {
        for (c, l) in claims.iter_mut().zip(lines) {
            *c |= l;
        }
    }
    read
}

/// The items whose `keep` is true.
fn kept<T: Copy>(items: &[T], keep: &[bool]) -> Vec<T> {
    items
        .iter()
        .zip(keep)
        .filter(|(_, k)| **k)
        .map(|(item, _)| *item)
        .collect()
}

/// Records a settled claim (its stored form `json`) and prunes the
/// patient's history to the look-back of `reference`. Under the store's
/// write lock the history kept decoded is what the store holds, so the
/// prune reads it instead of the store, and the history as the recording
/// leaves it is the kept one with the new claim's rows added: a recording
/// costs what its claim does, however long the history.
pub fn record_claim(
    engine: &Engine,
    store: &HistoryStore,
    claim: &Claim,
    json: &[u8],
    reference: i32,
) -> Result<Recorded, StoreError> {
    let (shape, lookback) = (&engine.shape, &engine.lookback);
    let patient = claim.patient_id(shape);
    let claim_id = claim.claim_id(shape);
    let after: std::cell::RefCell<Option<PatientHistory>> = Default::default();
    let prune = |read_stored: &dyn Fn() -> Result<Vec<Stored>, redb::Error>| {
        let before = match store.decoded::<Decoded>(patient, engine.generation) {
            Some(kept) => kept,
            None => Arc::new(decode_history(engine, store, &read_stored()?)),
        };
        let Ok(before) = before.as_ref() else {
            // No columns to carry over: decide from the claims themselves.
            let mut claims = decode(shape, &read_stored()?, &|id| store.schema(id));
            claims.push((claim_id.to_string(), Arc::new(claim.clone())));
            return Ok(outside_of(shape, lookback, reference, &claims));
        };
        let new_days = lookback.days_of(shape, claim);
        let mut days: Vec<&ClaimDays> = before.claims.iter().map(|c| &c.days).collect();
        days.push(&new_days);
        let orders: Vec<usize> = (0..lookback.orders.len()).collect();
        let keep = LookBack::select_days(lookback.cut(reference), &orders, &days, &[]);
        let (keep_old, keep_new) = keep.split_at(before.claims.len());
        let gone: Vec<usize> = (0..keep_old.len()).filter(|&i| !keep_old[i]).collect();
        let recorded = keep_new[0].then(|| (claim_id.to_string(), claim, new_days));
        // Columns that cannot be built leave the history to be read anew.
        *after.borrow_mut() = before.recorded(shape, &gone, recorded).ok();
        let mut gone_ids: Vec<String> = gone.iter().map(|&i| before.claims[i].id.clone()).collect();
        if !keep_new[0] {
            gone_ids.push(claim_id.to_string());
        }
        Ok(gone_ids)
    };
    let recorded = match store.record(patient, claim_id, json, &shape.stored, &prune)? {
        // The same claim stored under another schema (the rules changed).
        Recorded::Conflict(stored)
            if stored_claim(shape, &stored, &|id| store.schema(id)).as_ref() == Some(claim) =>
        {
            Recorded::Unchanged
        }
        recorded => recorded,
    };
    if let (Recorded::Created { ticket, .. }, Some(history)) = (&recorded, after.take()) {
        let size = history.size_bytes();
        let history: Decoded = Ok(history);
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

/// A patient's history as this engine decoded it (or why it could not
/// make its columns), kept in the store's cache until a write to the
/// patient.
pub type Decoded = Result<PatientHistory, String>;

/// The patient's stored claims as decoded by this engine.
pub fn patient_history(
    engine: &Engine,
    store: &HistoryStore,
    patient: &str,
) -> Result<Arc<Decoded>, StoreError> {
    store.patient_decoded(patient, engine.generation, |stored| {
        let history = decode_history(engine, store, &stored);
        let size = history.as_ref().map_or(0, PatientHistory::size_bytes);
        (history, size)
    })
}

/// Stored claims decoded, with their columns.
fn decode_history(engine: &Engine, store: &HistoryStore, stored: &[Stored]) -> Decoded {
    let claims = decode(&engine.shape, stored, &|id| store.schema(id));
    PatientHistory::new(&engine.shape, &engine.lookback, claims)
}

/// The stored claims decoded (those that no longer fit the schema left out).
pub fn decode(shape: &ClaimShape, stored: &[Stored], schemas: Schemas) -> History {
    let schemas = claim_codec::remembered(schemas);
    stored
        .iter()
        .filter_map(|(id, bytes)| {
            let claim = stored_claim(shape, bytes, &schemas)?;
            Some((id.clone(), Arc::new(claim)))
        })
        .collect()
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
    schemas: Schemas,
) -> Vec<String> {
    outside_of(shape, lookback, reference, &decode(shape, stored, schemas))
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
    let refs: Vec<&Claim> = history.iter().map(|(_, c)| c.as_ref()).collect();
    let keep = lookback.select(shape, cut, &refs, &[]);
    history
        .iter()
        .zip(keep)
        .filter(|(_, k)| !k)
        .map(|((id, _), _)| id.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::check_shipped;

    #[test]
    fn a_check_copies_the_claims_some_rule_reads_and_every_lines_claim() {
        let checked = check_shipped();
        let ruleset = checked.ruleset.as_ref().unwrap();
        let shape = ClaimShape::of(ruleset).unwrap();
        let lookback = LookBack::derive(ruleset, &shape);
        // Three stored claims, then the checked one: line rules read the
        // second, claim rules the first.
        let claims_of_rule: foldhash::HashMap<String, Vec<bool>> = lookback
            .each
            .iter()
            .map(|need| {
                let reads = if need.tables.iter().any(|t| t == "claim_items") {
                    vec![false, true, false, true]
                } else {
                    vec![true, false, false, true]
                };
                (need.rule_id.clone(), reads)
            })
            .collect();
        let read = claims_read(&shape, &lookback, &claims_of_rule, 3);
        assert_eq!(read["claim_items"], [false, true, false]);
        assert_eq!(read["claims"], [true, true, false]);
        // A rule reading every claim (no entry) reads them all.
        let mut all = claims_of_rule.clone();
        all.remove("QTY-02");
        let read = claims_read(&shape, &lookback, &all, 3);
        assert_eq!(read["claim_items"], [true, true, true]);
    }
}
