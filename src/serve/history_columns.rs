//! A patient's history as checks read it: the stored claims decoded once,
//! their rows held as Arrow columns, and what the look-back reads of each
//! claim. A check copies the rows it keeps out of the columns instead of
//! building them from values again, and picks each rule's rows from the
//! claims' days without reading the claims. Kept in the store's cache
//! (`--history-cache`) until a write to the patient.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{RecordBatch, UInt32Array};
use arrow::compute::{concat_batches, take_record_batch};

use super::lookback::{ClaimDays, LookBack};
use super::shape::{Claim, ClaimShape};

/// One claim of a decoded history: (claim id, hash of its stored JSON, claim).
pub type HistoryClaim = (String, u64, Arc<Claim>);

/// A patient's stored claims, decoded, in claim id order.
pub type History = Vec<HistoryClaim>;

/// A decoded history with its rows as columns.
pub struct PatientHistory {
    /// The stored claims, in claim id order.
    pub claims: History,
    /// What the look-back reads of each claim.
    pub days: Vec<ClaimDays>,
    /// About how many bytes each decoded claim takes (kept, as walking
    /// every value of a long history on each recording is not cheap).
    claim_bytes: Vec<usize>,
    /// Each claim table's rows (all claims'), and where each claim's rows
    /// lie in it.
    tables: Vec<ClaimRows>,
}

/// One claim table of a history: its rows, and each claim's (by position
/// in [`PatientHistory::claims`]) as a range of them.
struct ClaimRows {
    name: String,
    batch: RecordBatch,
    of_claim: Vec<std::ops::Range<u32>>,
}

/// The rows a check runs on, and each row's claim (a position in the
/// check's claims: the kept history, then the claims given with it).
pub struct CheckRows {
    pub batches: HashMap<String, RecordBatch>,
    pub claim_of_row: foldhash::HashMap<String, Vec<u32>>,
}

impl PatientHistory {
    /// The columns of `claims`; rows of claims `previous` holds unchanged
    /// (the same decoded claim) are copied from its columns, the others
    /// built from their values.
    pub fn new(
        shape: &ClaimShape,
        lookback: &LookBack,
        claims: History,
        previous: Option<&PatientHistory>,
    ) -> Result<PatientHistory, String> {
        let known: HashMap<&str, usize> = previous
            .map(|p| {
                p.claims
                    .iter()
                    .enumerate()
                    .map(|(i, (id, _, _))| (id.as_str(), i))
                    .collect()
            })
            .unwrap_or_default();
        // Each claim either at a position of `previous` or among the fresh.
        let from_previous: Vec<Option<usize>> = claims
            .iter()
            .map(|(id, _, claim)| {
                let p = previous?;
                let at = *known.get(id.as_str())?;
                Arc::ptr_eq(&p.claims[at].2, claim).then_some(at)
            })
            .collect();
        let fresh: Vec<&Claim> = claims
            .iter()
            .zip(&from_previous)
            .filter(|(_, p)| p.is_none())
            .map(|(c, _)| c.2.as_ref())
            .collect();
        let fresh_batches = shape.batches(&fresh)?;
        let days = claims
            .iter()
            .zip(&from_previous)
            .map(|((_, _, c), p)| match (p, previous) {
                (Some(at), Some(previous)) => previous.days[*at].clone(),
                _ => lookback.days_of(shape, c),
            })
            .collect();
        let claim_bytes = claims
            .iter()
            .zip(&from_previous)
            .map(|((id, _, c), p)| match (p, previous) {
                (Some(at), Some(previous)) => previous.claim_bytes[*at],
                _ => id.len() + 8 + c.size_bytes(),
            })
            .collect();
        let mut tables = Vec::new();
        for (name, fresh_batch) in fresh_batches {
            let row_counts: Vec<u32> = fresh.iter().map(|c| rows_in(shape, &name, c)).collect();
            let old = previous.and_then(|p| p.tables.iter().find(|t| t.name == name));
            // Rows copied from `previous` first, then the fresh ones.
            let mut take: Vec<u32> = Vec::new();
            let mut of_claim = Vec::with_capacity(claims.len());
            let mut fresh_ranges = Vec::new();
            let mut fresh_start = 0u32;
            for count in &row_counts {
                fresh_ranges.push(fresh_start..fresh_start + count);
                fresh_start += count;
            }
            let mut next_fresh = fresh_ranges.into_iter();
            let copied: u32 = from_previous
                .iter()
                .flatten()
                .map(|at| old.map_or(0, |o| o.of_claim[*at].len() as u32))
                .sum();
            for p in &from_previous {
                match (p, old) {
                    (Some(at), Some(old)) => {
                        let start = take.len() as u32;
                        take.extend(old.of_claim[*at].clone());
                        of_claim.push(start..take.len() as u32);
                    }
                    _ => {
                        let range = next_fresh.next().expect("a range per fresh claim");
                        of_claim.push(copied + range.start..copied + range.end);
                    }
                }
            }
            let batch = match old {
                Some(old) if !take.is_empty() => {
                    // Every old row, in order (a recording that dropped no
                    // claim): the columns as they are.
                    let all = take.len() == old.batch.num_rows()
                        && take.iter().zip(0u32..).all(|(t, i)| *t == i);
                    let copied = if all {
                        old.batch.clone()
                    } else {
                        take_record_batch(&old.batch, &UInt32Array::from(take))
                            .map_err(|e| e.to_string())?
                    };
                    concat_batches(&fresh_batch.schema(), [&copied, &fresh_batch])
                        .map_err(|e| e.to_string())?
                }
                _ => fresh_batch,
            };
            tables.push(ClaimRows {
                name,
                batch,
                of_claim,
            });
        }
        Ok(PatientHistory {
            claims,
            days,
            claim_bytes,
            tables,
        })
    }

    /// About how many bytes the history takes.
    pub fn size_bytes(&self) -> usize {
        let claims: usize = self.claim_bytes.iter().sum();
        let columns: usize = self
            .tables
            .iter()
            .map(|t| t.batch.get_array_memory_size() + t.of_claim.len() * 8)
            .sum();
        claims + columns + self.days.len() * std::mem::size_of::<ClaimDays>()
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
                    let mut take: Vec<u32> = Vec::new();
                    let wanted = |position: usize| read.get(&name).is_none_or(|r| r[position]);
                    for (position, &at) in kept.iter().enumerate().filter(|(p, _)| wanted(*p)) {
                        let rows = table.of_claim[at].clone();
                        owners.extend(std::iter::repeat_n(position as u32, rows.len()));
                        take.extend(rows);
                    }
                    let all = take.len() == table.batch.num_rows();
                    let ordered = take.iter().zip(0u32..).all(|(t, i)| *t == i);
                    let history = if all && ordered {
                        table.batch.clone()
                    } else {
                        take_record_batch(&table.batch, &UInt32Array::from(take))
                            .map_err(|e| e.to_string())?
                    };
                    concat_batches(&added_batch.schema(), [&history, &added_batch])
                        .map_err(|e| e.to_string())?
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

    #[test]
    fn columns_copied_from_a_previous_history_equal_columns_built_anew() {
        let checked = check_shipped();
        let ruleset = checked.ruleset.as_ref().unwrap();
        let shape = ClaimShape::of(ruleset).unwrap();
        let lookback = LookBack::derive(ruleset, &shape);
        let (a, b, c) = (
            claim(&shape, "C1", "2024-03-01", 2),
            claim(&shape, "C2", "2024-03-02", 3),
            claim(&shape, "C3", "2024-03-03", 1),
        );
        let history = |claims: &[&Arc<Claim>]| -> History {
            claims
                .iter()
                .map(|c| (c.claim_id(&shape).to_string(), 0, Arc::clone(c)))
                .collect()
        };
        let before = PatientHistory::new(&shape, &lookback, history(&[&a, &b]), None).unwrap();
        // C2 pruned, C3 recorded: C1's rows are copied, C3's built.
        let after =
            PatientHistory::new(&shape, &lookback, history(&[&a, &c]), Some(&before)).unwrap();
        let anew = PatientHistory::new(&shape, &lookback, history(&[&a, &c]), None).unwrap();
        assert_eq!(after.days, anew.days);
        assert_eq!(after.claim_bytes, anew.claim_bytes);
        let checked_claim = claim(&shape, "C9", "2024-03-04", 2);
        let all = foldhash::HashMap::default();
        let rows = |h: &PatientHistory, read: &foldhash::HashMap<String, Vec<bool>>| {
            h.rows(&shape, &[0, 1], read, &[checked_claim.as_ref()])
                .unwrap()
        };
        let (copied, built) = (rows(&after, &all), rows(&anew, &all));
        for table in ["claims", "claim_items"] {
            assert_eq!(copied.batches[table], built.batches[table], "{table}");
            assert_eq!(copied.claim_of_row[table], built.claim_of_row[table]);
        }
        assert_eq!(copied.claim_of_row["claim_items"], [0, 0, 1, 2, 2]);
        // Nothing dropped, C3 recorded: the old columns kept as they are.
        let grown =
            PatientHistory::new(&shape, &lookback, history(&[&a, &b, &c]), Some(&before)).unwrap();
        let grown_anew =
            PatientHistory::new(&shape, &lookback, history(&[&a, &b, &c]), None).unwrap();
        assert_eq!(grown.claim_bytes, grown_anew.claim_bytes);
        let rows3 = |h: &PatientHistory| {
            h.rows(&shape, &[0, 1, 2], &all, &[checked_claim.as_ref()])
                .unwrap()
        };
        let (copied, built) = (rows3(&grown), rows3(&grown_anew));
        for table in ["claims", "claim_items"] {
            assert_eq!(copied.batches[table], built.batches[table], "{table}");
            assert_eq!(copied.claim_of_row[table], built.claim_of_row[table]);
        }
        // Lines of C3 alone: C1's lines are left out, every claim stays.
        let read: foldhash::HashMap<_, _> = [("claim_items".to_string(), vec![false, true])]
            .into_iter()
            .collect();
        let some = rows(&after, &read);
        assert_eq!(some.claim_of_row["claim_items"], [1, 2, 2]);
        assert_eq!(some.claim_of_row["claims"], [0, 1, 2]);
        assert_eq!(some.batches["claim_items"].num_rows(), 3);
    }
}
