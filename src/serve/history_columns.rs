//! A patient's history as checks read it: the stored claims decoded once,
//! their rows held as Arrow columns, and what the look-back reads of each
//! claim. A check copies the rows it keeps out of the columns instead of
//! building them from values again, and picks each rule's rows from the
//! claims' days without reading the claims. Kept in the store's cache
//! (`--history-cache`) until a write to the patient.
//!
//! A recording must cost what its claim costs, not what the history does,
//! so the columns are held in chunks: a recorded claim's rows are a chunk
//! of their own, merged with the chunk before when it has grown as large
//! (so a history of n rows has about log n chunks, and each row is copied
//! about log n times in its life); a pruned claim's rows stay where they
//! are, unread, until they outnumber the live rows and the columns are
//! rebuilt from the live ones.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::compute::{concat_batches, interleave_record_batch};

use super::lookback::{ClaimDays, LookBack};
use super::shape::{Claim, ClaimShape};

/// One claim of a decoded history: (claim id, claim).
pub type HistoryClaim = (String, Arc<Claim>);

/// A patient's stored claims, decoded, in claim id order.
pub type History = Vec<HistoryClaim>;

/// A decoded history with its rows as columns.
#[derive(Clone)]
pub struct PatientHistory {
    /// The stored claims, in claim id order (shared between a history and
    /// the one a recording makes of it).
    pub claims: Vec<Arc<HeldClaim>>,
    /// Each claim table's rows, and where each claim's rows lie in them.
    tables: Vec<ClaimRows>,
}

/// A claim of a decoded history: its id and what the look-back reads of
/// it. Its values live on only in the columns.
#[derive(Debug, PartialEq)]
pub struct HeldClaim {
    pub id: String,
    pub days: ClaimDays,
}

/// One claim table of a history: its rows in chunks, and each claim's (by
/// position in [`PatientHistory::claims`]) as a span of one chunk.
#[derive(Clone)]
struct ClaimRows {
    name: String,
    chunks: Vec<RecordBatch>,
    of_claim: Vec<Span>,
    /// Rows of the chunks that no claim holds any more (pruned claims').
    dead: usize,
}

/// Where a claim's rows lie: rows `start..start + len` of chunk `chunk`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    chunk: u32,
    start: u32,
    len: u32,
}

/// The rows a check runs on, and each row's claim (a position in the
/// check's claims: the kept history, then the claims given with it).
pub struct CheckRows {
    pub batches: HashMap<String, RecordBatch>,
    pub claim_of_row: foldhash::HashMap<String, Vec<u32>>,
}

impl PatientHistory {
    /// The columns of `claims`, built from their values.
    pub fn new(
        shape: &ClaimShape,
        lookback: &LookBack,
        claims: History,
    ) -> Result<PatientHistory, String> {
        let values: Vec<&Claim> = claims.iter().map(|(_, c)| c.as_ref()).collect();
        let mut tables = Vec::new();
        for (name, batch) in shape.batches(&values)? {
            let mut of_claim = Vec::with_capacity(claims.len());
            let mut start = 0;
            for claim in &values {
                let len = rows_in(shape, &name, claim);
                of_claim.push(Span {
                    chunk: 0,
                    start,
                    len,
                });
                start += len;
            }
            tables.push(ClaimRows {
                name,
                chunks: vec![batch],
                of_claim,
                dead: 0,
            });
        }
        tables.sort_by(|a, b| a.name.cmp(&b.name));
        let claims = claims
            .into_iter()
            .map(|(id, claim)| {
                let days = lookback.days_of(shape, &claim);
                Arc::new(HeldClaim { id, days })
            })
            .collect();
        Ok(PatientHistory { claims, tables })
    }

    /// This history after a recording: the claims at positions `gone`
    /// (ascending) dropped, and `recorded` (with its days) added in claim
    /// id order, replacing a claim of the same id. Costs what the new
    /// claim's rows cost, plus copying the vectors of positions.
    pub fn recorded(
        &self,
        shape: &ClaimShape,
        gone: &[usize],
        recorded: Option<(String, &Claim, ClaimDays)>,
    ) -> Result<PatientHistory, String> {
        let mut next = self.clone();
        let mut dropped = gone.to_vec();
        let place = recorded.as_ref().map(|(id, _, _)| {
            next.claims
                .binary_search_by(|other| other.id.as_str().cmp(id))
        });
        if let Some(Ok(same)) = place
            && !dropped.contains(&same)
        {
            dropped.push(same);
            dropped.sort_unstable();
        }
        next.drop_claims(&dropped);
        if let Some((id, claim, days)) = recorded {
            let at = next
                .claims
                .binary_search_by(|other| other.id.as_str().cmp(&id))
                .unwrap_or_else(|at| at);
            let batches = shape.batches(&[claim])?;
            for table in &mut next.tables {
                let batch = batches
                    .get(&table.name)
                    .ok_or_else(|| format!("no rows of table `{}`", table.name))?;
                table.insert(at, batch.clone())?;
            }
            next.claims.insert(at, Arc::new(HeldClaim { id, days }));
        }
        Ok(next)
    }

    /// Drops the claims at `positions` (ascending); their rows stay in the
    /// chunks, counted dead, unless they now outnumber the live ones.
    fn drop_claims(&mut self, positions: &[usize]) {
        if positions.is_empty() {
            return;
        }
        remove_positions(&mut self.claims, positions);
        for table in &mut self.tables {
            for &p in positions {
                table.dead += table.of_claim[p].len as usize;
            }
            remove_positions(&mut table.of_claim, positions);
        }
    }

    /// About how many bytes the history takes.
    pub fn size_bytes(&self) -> usize {
        // A held claim, its shared counts and its days' few orders, about.
        let held = std::mem::size_of::<HeldClaim>() + 64;
        let claims: usize = self.claims.iter().map(|c| held + c.id.len()).sum();
        let columns: usize = self
            .tables
            .iter()
            .map(|t| {
                let chunks: usize = t.chunks.iter().map(|c| c.get_array_memory_size()).sum();
                chunks + t.of_claim.len() * std::mem::size_of::<Span>()
            })
            .sum();
        claims + columns
    }

    /// The rows of the claims at `kept` (positions in `claims`) that
    /// `read` names for each table (by position in `kept`), then those of
    /// `also`, table by table, with each row's claim (its position in
    /// `kept`, then in `also`).
    pub fn rows(
        &self,
        shape: &ClaimShape,
        kept: &[usize],
        read: &foldhash::HashMap<String, Vec<bool>>,
        also: &[&Claim],
    ) -> Result<CheckRows, String> {
        let added = shape.batches(also)?;
        let mut batches = HashMap::new();
        let mut claim_of_row = foldhash::HashMap::default();
        for (name, added_batch) in added {
            let mut owners: Vec<u32> = Vec::new();
            let batch = match self.tables.iter().find(|t| t.name == name) {
                Some(table) => {
                    let wanted = |position: usize| read.get(&name).is_none_or(|r| r[position]);
                    let spans = kept
                        .iter()
                        .enumerate()
                        .filter(|(p, _)| wanted(*p))
                        .map(|(position, &at)| (position as u32, table.of_claim[at]));
                    let mut rows: Vec<(usize, usize)> = Vec::new();
                    for (position, span) in spans {
                        owners.extend(std::iter::repeat_n(position, span.len as usize));
                        rows.extend(span.rows());
                    }
                    table.gather(&rows, &added_batch)?
                }
                None => added_batch,
            };
            for (i, claim) in also.iter().enumerate() {
                let position = (kept.len() + i) as u32;
                owners.extend(std::iter::repeat_n(
                    position,
                    rows_in(shape, &name, claim) as usize,
                ));
            }
            claim_of_row.insert(name.clone(), owners);
            batches.insert(name, batch);
        }
        Ok(CheckRows {
            batches,
            claim_of_row,
        })
    }
}

impl Span {
    /// The span's rows as (chunk, row) pairs.
    fn rows(self) -> impl Iterator<Item = (usize, usize)> {
        let chunk = self.chunk as usize;
        (self.start as usize..(self.start + self.len) as usize).map(move |row| (chunk, row))
    }
}

impl ClaimRows {
    /// `rows` (chunk, row) of the history, then every row of `added`.
    fn gather(&self, rows: &[(usize, usize)], added: &RecordBatch) -> Result<RecordBatch, String> {
        // The whole of a single chunk, in order: the columns as they are.
        if self.chunks.len() == 1 && rows.len() == self.chunks[0].num_rows() {
            let in_order = rows.iter().zip(0..).all(|(&(_, r), i)| r == i);
            if in_order {
                return concat_batches(&added.schema(), [&self.chunks[0], added])
                    .map_err(|e| e.to_string());
            }
        }
        let mut sources: Vec<&RecordBatch> = self.chunks.iter().collect();
        sources.push(added);
        let added_at = self.chunks.len();
        let mut indices = Vec::with_capacity(rows.len() + added.num_rows());
        indices.extend_from_slice(rows);
        indices.extend((0..added.num_rows()).map(|r| (added_at, r)));
        interleave_record_batch(&sources, &indices).map_err(|e| e.to_string())
    }

    /// Adds a claim's rows (`batch`) at claim position `at`, as a chunk of
    /// their own merged with the chunks before while those are no larger;
    /// rebuilds the chunks from the live rows when the dead outnumber them.
    fn insert(&mut self, at: usize, batch: RecordBatch) -> Result<(), String> {
        let len = batch.num_rows() as u32;
        self.of_claim.insert(
            at,
            Span {
                chunk: self.chunks.len() as u32,
                start: 0,
                len,
            },
        );
        self.chunks.push(batch);
        while self.chunks.len() >= 2 {
            let n = self.chunks.len();
            if self.chunks[n - 1].num_rows() < self.chunks[n - 2].num_rows() {
                break;
            }
            self.merge_last_two()?;
        }
        let live: usize = self.of_claim.iter().map(|s| s.len as usize).sum();
        if self.dead > live {
            self.compact()?;
        }
        Ok(())
    }

    fn merge_last_two(&mut self) -> Result<(), String> {
        let last = self.chunks.pop().expect("two chunks");
        let before = self.chunks.pop().expect("two chunks");
        let (merged_at, offset) = (self.chunks.len() as u32, before.num_rows() as u32);
        let merged =
            concat_batches(&before.schema(), [&before, &last]).map_err(|e| e.to_string())?;
        self.chunks.push(merged);
        for span in &mut self.of_claim {
            if span.chunk == merged_at + 1 {
                span.chunk = merged_at;
                span.start += offset;
            }
        }
        Ok(())
    }

    /// One chunk of the live rows, in claim order.
    fn compact(&mut self) -> Result<(), String> {
        let rows: Vec<(usize, usize)> = self.of_claim.iter().flat_map(|s| s.rows()).collect();
        let sources: Vec<&RecordBatch> = self.chunks.iter().collect();
        let batch = interleave_record_batch(&sources, &rows).map_err(|e| e.to_string())?;
        let mut start = 0;
        for span in &mut self.of_claim {
            *span = Span {
                chunk: 0,
                start,
                len: span.len,
            };
            start += span.len;
        }
        self.chunks = vec![batch];
        self.dead = 0;
        Ok(())
    }
}

/// Removes the items at `positions` (ascending), keeping the others' order.
fn remove_positions<T>(items: &mut Vec<T>, positions: &[usize]) {
    let mut at = 0;
    items.retain(|_| {
        at += 1;
        positions.binary_search(&(at - 1)).is_err()
    });
}

/// How many rows of table `name` a claim has: one header row, its lines.
fn rows_in(shape: &ClaimShape, name: &str, claim: &Claim) -> u32 {
    if name == shape.header.name {
        1
    } else {
        claim.lines.len() as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::check_shipped;
    use crate::serve::api::claim_from_json;

    fn claim(shape: &ClaimShape, id: &str, day: &str, lines: usize) -> Arc<Claim> {
        let lines: Vec<_> = (1..=lines)
            .map(|n| {
                serde_json::json!({"line_no": n, "item_code": format!("11020000{n}"),
                    "item_type": "service", "service_date": day, "quantity": "1",
                    "unit_price": "20.0000", "amount": "20.00", "doctor_id": "DR001"})
            })
            .collect();
        let json = serde_json::json!({
            "claim_id": id, "patient_id": "P01", "provider_id": "H3",
            "visit_type": "outpatient", "admit_date": day, "discharge_date": day,
            "primary_dx": "J06.900", "total_amount": "40.00", "fund_amount": "28.00",
            "settle_time": format!("{day} 10:00:00"), "treat_region": "330100",
            "lines": lines,
        });
        Arc::new(claim_from_json(shape, &json).unwrap())
    }

    fn shipped() -> (ClaimShape, LookBack) {
        let checked = check_shipped();
        let ruleset = checked.ruleset.as_ref().unwrap();
        let shape = ClaimShape::of(ruleset).unwrap();
        let lookback = LookBack::derive(ruleset, &shape);
        (shape, lookback)
    }

    fn history_of(shape: &ClaimShape, claims: &[&Arc<Claim>]) -> History {
        claims
            .iter()
            .map(|c| (c.claim_id(shape).to_string(), Arc::clone(c)))
            .collect()
    }

    /// The rows a check of `checked` against every claim would read.
    fn all_rows(shape: &ClaimShape, h: &PatientHistory, checked: &Claim) -> CheckRows {
        let kept: Vec<usize> = (0..h.claims.len()).collect();
        h.rows(shape, &kept, &Default::default(), &[checked])
            .unwrap()
    }

    fn assert_same_rows(shape: &ClaimShape, a: &PatientHistory, b: &PatientHistory) {
        let checked = claim(shape, "C999", "2024-03-09", 2);
        let (x, y) = (all_rows(shape, a, &checked), all_rows(shape, b, &checked));
        for table in ["claims", "claim_items"] {
            assert_eq!(x.batches[table], y.batches[table], "{table}");
            assert_eq!(x.claim_of_row[table], y.claim_of_row[table], "{table}");
        }
        assert_eq!(a.claims, b.claims);
    }

    #[test]
    fn a_recorded_history_reads_as_the_same_history_built_anew() {
        let (shape, lookback) = shipped();
        let (a, b, c) = (
            claim(&shape, "C1", "2024-03-01", 2),
            claim(&shape, "C2", "2024-03-02", 3),
            claim(&shape, "C3", "2024-03-03", 1),
        );
        let before = PatientHistory::new(&shape, &lookback, history_of(&shape, &[&a, &b])).unwrap();
        let days = |c: &Arc<Claim>| lookback.days_of(&shape, c);
        // C2 pruned, C3 recorded.
        let recorded = Some(("C3".to_string(), c.as_ref(), days(&c)));
        let after = before.recorded(&shape, &[1], recorded.clone()).unwrap();
        let anew = PatientHistory::new(&shape, &lookback, history_of(&shape, &[&a, &c])).unwrap();
        assert_same_rows(&shape, &after, &anew);
        let checked = claim(&shape, "C9", "2024-03-04", 2);
        let rows = all_rows(&shape, &after, &checked);
        assert_eq!(rows.claim_of_row["claim_items"], [0, 0, 1, 2, 2]);
        // Nothing dropped.
        let grown = before.recorded(&shape, &[], recorded).unwrap();
        let grown_anew =
            PatientHistory::new(&shape, &lookback, history_of(&shape, &[&a, &b, &c])).unwrap();
        assert_same_rows(&shape, &grown, &grown_anew);
        // Lines of C3 alone: C1's lines are left out, every claim stays.
        let read: foldhash::HashMap<_, _> = [("claim_items".to_string(), vec![false, true])]
            .into_iter()
            .collect();
        let some = after.rows(&shape, &[0, 1], &read, &[&checked]).unwrap();
        assert_eq!(some.claim_of_row["claim_items"], [1, 2, 2]);
        assert_eq!(some.claim_of_row["claims"], [0, 1, 2]);
        assert_eq!(some.batches["claim_items"].num_rows(), 3);
    }

    #[test]
    fn long_runs_of_recordings_keep_few_chunks_and_the_same_rows() {
        let (shape, lookback) = shipped();
        let mut history = PatientHistory::new(&shape, &lookback, Vec::new()).unwrap();
        let mut held: Vec<Arc<Claim>> = Vec::new();
        // A fixed pseudo-random walk: ids out of order, every few
        // recordings a few claims pruned, sometimes a claim replaced.
        let mut seed = 7u64;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        // Whether the dead rows of some table were ever cleared out.
        let (mut dead_before, mut compacted) = (vec![0; 2], false);
        for step in 0..600 {
            let id = format!("C{:04}", next(900));
            let day = format!("2024-{:02}-{:02}", 1 + next(12), 1 + next(28));
            let new = claim(&shape, &id, &day, next(4) as usize);
            let mut gone: Vec<usize> = Vec::new();
            if step % 7 == 6 {
                for _ in 0..next(8) {
                    if !held.is_empty() {
                        gone.push(next(held.len() as u64) as usize);
                    }
                }
                gone.sort_unstable();
                gone.dedup();
            }
            let days = lookback.days_of(&shape, &new);
            history = history
                .recorded(&shape, &gone, Some((id.clone(), new.as_ref(), days)))
                .unwrap();
            for &g in gone.iter().rev() {
                held.remove(g);
            }
            match held.binary_search_by(|c| c.claim_id(&shape).cmp(&id)) {
                Ok(same) => held[same] = new,
                Err(at) => held.insert(at, new),
            }
            let refs: Vec<&Arc<Claim>> = held.iter().collect();
            if step % 50 == 49 {
                let anew = PatientHistory::new(&shape, &lookback, history_of(&shape, &refs));
                assert_same_rows(&shape, &history, &anew.unwrap());
            }
            for (table, before) in history.tables.iter().zip(&mut dead_before) {
                compacted |= table.dead < *before;
                *before = table.dead;
                let live: usize = table.of_claim.iter().map(|s| s.len as usize).sum();
                assert!(table.dead <= live, "{}: {} dead", table.name, table.dead);
                assert!(table.chunks.len() <= 24, "{} chunks", table.chunks.len());
            }
        }
        assert!(history.claims.len() > 50, "{}", history.claims.len());
        assert!(compacted);
    }
}
