//! Pair rules: a row is flagged when some partner row of the same key
//! satisfies the condition with it. Everything that runs them: selecting
//! the partners (the pair's `where`), bucketing both sides by the hash of
//! the first key, and in each bucket the candidate pairs and the flags.

use std::collections::HashMap;
use std::ops::Range;

use super::super::col::Col;
use super::super::env::Env;
use super::super::eval::Ctx;
use super::super::known::{KnownBand, Matcher, could_match};
use super::super::order::{compare_rows, row_hashes};
use super::super::output::{Flagged, Hits, MAX_OTHER_ROWS, render};
use super::super::par;
use super::super::partition::{chunks, partition_of, split};
use super::pair_band::{Band, Bands, BoundValues};
use crate::flags::FlagBatch;
use crate::ir::{Known, Rule, Ruleset, TExpr};
use crate::plan::PairRange;

/// A pair rule's form: the partner table, the partners' `where`, and the
/// keys (an expression on the row with one on the partner).
pub struct Pair<'a> {
    pub table: &'a str,
    pub filter: Option<&'a TExpr>,
    pub keys: &'a [(TExpr, TExpr)],
    /// `match x in table on ...`: the knowledge rows a pair must match.
    pub known: Option<&'a Known>,
    /// Bounds of the condition a row's partners are searched within (the
    /// plan's); none pairs a row with every partner of its key.
    pub range: Option<&'a PairRange>,
    /// Keys with fewer partners than this are not searched (all are paired).
    pub searched_from: usize,
}

/// Runs a pair rule for `rows` of the rule's table (passed `where`): picks
/// the partners that pass the pair's `where` (in batches of `batch_rows`;
/// of those `within` holds, when given), buckets both sides by the first
/// key into `partitions` (by `by_first_key`, the partition of every row
/// of the table, when the plan gives the rule a partitioning), and pairs
/// them bucket by bucket, in parallel.
#[allow(clippy::too_many_arguments)]
pub fn run<'a>(
    ruleset: &Ruleset,
    rule: &'a Rule,
    pair: &Pair<'a>,
    env: &'a Env<'a>,
    rows: &[u32],
    within: Option<&[bool]>,
    by_first_key: Option<&[u16]>,
    batch_rows: usize,
    partitions: usize,
) -> Vec<FlagBatch> {
    let table = rule.table.as_str();
    let partner_table = pair.table;
    let partner_rows = env.frame(partner_table).rows();
    let partners: Vec<u32> =
        par::flat_map(env.parallel, chunks(partner_rows, batch_rows), |range| {
            let ids: Vec<u32> = range
                .map(|r| r as u32)
                .filter(|r| within.is_none_or(|w| w[*r as usize]))
                .collect();
            let Some(filter) = pair.filter.filter(|_| !ids.is_empty()) else {
                return ids;
            };
            let some = ids.iter().map(|r| Some(*r)).collect();
            let keep = Ctx::for_partners(env, table, partner_table, some).eval(filter);
            ids.into_iter()
                .enumerate()
                .filter(|(i, _)| keep.bools()[*i].is_true())
                .map(|(_, r)| r)
                .collect()
        });
    let narrowed;
    let (rows, partners) = match pair.known {
        Some(known) => {
            narrowed = could_match(env, known, table, partner_table, rows, &partners);
            (narrowed.0.as_slice(), narrowed.1)
        }
        None => (rows, partners),
    };
    let (mine, theirs) = &pair.keys[0];
    let (row_parts, partner_parts) = match by_first_key {
        // Rows and partners of one table, by a first key read alike on
        // both (the plan's partitioning of the rule): the partitions the
        // scan's keyed rules share, where a key goes with its first row (a
        // partition reads one stretch of the table, not a row here and
        // there).
        Some(ids) => (
            split(rows.to_vec(), ids, partitions),
            split(partners.clone(), ids, partitions),
        ),
        _ => {
            let row_parts = bucket(env, table, None, rows, mine, batch_rows, partitions);
            let partner_parts = if rows == partners.as_slice()
                && keys_mirror(&pair.keys[..1], table, partner_table)
            {
                row_parts.clone()
            } else {
                bucket(
                    env,
                    table,
                    Some(partner_table),
                    &partners,
                    theirs,
                    batch_rows,
                    partitions,
                )
            };
            (row_parts, partner_parts)
        }
    };
    let buckets: Vec<(&Vec<u32>, &Vec<u32>)> = row_parts
        .iter()
        .zip(&partner_parts)
        .filter(|(r, _)| !r.is_empty())
        .collect();
    par::flat_map(env.parallel, buckets, |(r, p)| {
        run_bucket(ruleset, rule, pair, env, r, p, batch_rows)
    })
}

/// `rows` split by the partition of `key` (evaluated for the rule's row, or
/// for the partner when `partner_table` is given, in batches of
/// `batch_rows`).
fn bucket(
    env: &Env<'_>,
    table: &str,
    partner_table: Option<&str>,
    rows: &[u32],
    key: &TExpr,
    batch_rows: usize,
    partitions: usize,
) -> Vec<Vec<u32>> {
    // One partition (a real-time check): nothing to hash.
    if partitions <= 1 {
        return vec![rows.to_vec()];
    }
    // Read and hashed a batch at a time, the batches in parallel.
    let ids: Vec<u16> = par::flat_map(env.parallel, chunks(rows.len(), batch_rows), |range| {
        let ids: Vec<Option<u32>> = rows[range].iter().map(|r| Some(*r)).collect();
        let n = ids.len();
        let ctx = match partner_table {
            None => Ctx::new(env, table, ids),
            Some(partner) => Ctx::for_partners(env, table, partner, ids),
        };
        let values = ctx.eval(key);
        let mut bytes = Vec::with_capacity(32);
        (0..n)
            .map(|i| partition_of(&values, i, partitions, &mut bytes))
            .collect::<Vec<_>>()
    });
    let mut out = vec![Vec::new(); partitions];
    for (row, id) in rows.iter().zip(ids) {
        out[id as usize].push(*row);
    }
    out
}

/// Candidate pairs enumerated at a time, at most, per row of a batch
/// (unless one row has more partners alone; 262,144 with the default
/// batch): a key with many rows on both sides (one patient's 29,000 visits
/// and 725 stays: 21 million pairs) pairs them all, and its pairs are
/// made, evaluated and flagged a run of rows at a time, in bounded memory.
const PAIRS_PER_BATCH_ROW: usize = 4;

/// Runs a pair rule for `rows` of the rule's table (passed `where`) and
/// `partners` of the partner table (passed the pair's `where`), both all
/// the rows of their keys in this partition.
fn run_bucket<'a>(
    ruleset: &Ruleset,
    rule: &'a Rule,
    pair: &Pair<'a>,
    env: &'a Env<'a>,
    rows: &[u32],
    partners: &[u32],
    batch_rows: usize,
) -> Vec<FlagBatch> {
    let mut candidates = Candidates::new(rule, pair, env, rows, partners);
    let mut flags = Vec::new();
    // A row's flag and evidence come from its own pairs alone: runs of
    // rows are flagged one after the other.
    for run in candidates.runs(batch_rows.saturating_mul(PAIRS_PER_BATCH_ROW)) {
        let (ctx, pair_owner) = candidates.context(run.clone());
        flags.extend(flag_run(ruleset, rule, pair, &ctx, &pair_owner, run.len()));
    }
    flags
}

/// The flags of `rows` rows given their candidate pairs (`ctx`, each
/// pair's row by its position among them in `pair_owner`).
fn flag_run<'a>(
    ruleset: &Ruleset,
    rule: &'a Rule,
    pair: &Pair<'a>,
    ctx: &Ctx<'a>,
    pair_owner: &[usize],
    rows: usize,
) -> Vec<FlagBatch> {
    let partner_table = pair.table;
    let pair_partners = ctx
        .partner
        .as_ref()
        .map(|p| p.1.clone())
        .unwrap_or_default();

    let condition = ctx.eval(&rule.condition);
    let holds = condition.bools();
    // The first partner that satisfies the condition names the flag; all are evidence.
    let known_rows = ctx.known.as_ref().map(|k| k.1.clone());
    let mut first: Vec<Option<usize>> = vec![None; rows];
    let mut matched: Vec<Vec<u32>> = vec![Vec::new(); rows];
    let mut unlisted: Vec<usize> = vec![0; rows];
    let mut knowledge: Vec<Vec<u32>> = vec![Vec::new(); rows];
    let mut knowledge_unlisted: Vec<usize> = vec![0; rows];
    let mut last_listed: Vec<Option<u32>> = vec![None; rows];
    for (k, &owner) in pair_owner.iter().enumerate() {
        if holds[k].is_true() {
            first[owner].get_or_insert(k);
            // A partner matched by several knowledge rows comes once per
            // row in a run: it is named once.
            let partner = pair_partners[k].expect("partners are rows");
            if last_listed[owner] != Some(partner) {
                last_listed[owner] = Some(partner);
                if matched[owner].len() < MAX_OTHER_ROWS {
                    matched[owner].push(partner);
                } else {
                    unlisted[owner] += 1;
                }
            }
            if let Some(known) = &known_rows {
                let row = known[k].expect("matched pairs have a knowledge row");
                let found = &mut knowledge[owner];
                if found.contains(&row) {
                    continue;
                }
                if found.len() < MAX_OTHER_ROWS {
                    found.push(row);
                } else {
                    knowledge_unlisted[owner] += 1;
                }
            }
        }
    }
    let mut positions = Vec::new();
    let mut others = Vec::new();
    let mut more = Vec::new();
    let mut known = Vec::new();
    for (owner, pick) in first.iter().enumerate() {
        if let Some(k) = pick {
            positions.push(*k);
            others.push(std::mem::take(&mut matched[owner]));
            more.push(unlisted[owner]);
            known.push((
                std::mem::take(&mut knowledge[owner]),
                knowledge_unlisted[owner],
            ));
        }
    }
    let n = positions.len();
    let mut hits = Hits {
        positions,
        others_table: partner_table,
        others,
        more,
        peers: vec![None; n],
        known: None,
    };
    if let Some(k) = pair.known {
        hits.known = Some((k.table.as_str(), known));
    }
    render(ruleset, rule, ctx, hits, Flagged::Row)
}

/// Every candidate pair of `rows` with `partners` of equal keys, as a
/// context (rows in order, partners in key order), with the position in
/// `rows` of each pair's row.
pub fn context<'a>(
    rule: &'a Rule,
    pair: &Pair<'a>,
    env: &'a Env<'a>,
    rows: &[u32],
    partners: &[u32],
) -> (Ctx<'a>, Vec<usize>) {
    Candidates::new(rule, pair, env, rows, partners).context(0..rows.len())
}

/// What the candidate pairs of rows and partners are made from, once for
/// all runs of rows: the partners bucketed by the hash of their keys, each
/// row's hash, and the knowledge match.
struct Candidates<'a, 'p> {
    rule: &'a Rule,
    pair: &'p Pair<'a>,
    env: &'a Env<'a>,
    rows: &'p [u32],
    partners: &'p [u32],
    buckets: HashMap<u128, Vec<usize>, foldhash::fast::RandomState>,
    own_hashes: Vec<u128>,
    /// Whether each row's keys are all present (a null key pairs with nothing).
    keyed: Vec<bool>,
    matcher: Option<Matcher>,
    /// With a range: its values, and the band of each key with many partners.
    bands: Option<(Bands<'a>, HashMap<u128, Band, foldhash::fast::RandomState>)>,
    /// With a `match`: each key with many partners by their sides' hashes.
    known_bands: HashMap<u128, KnownBand, foldhash::fast::RandomState>,
}

impl<'a, 'p> Candidates<'a, 'p> {
    fn new(
        rule: &'a Rule,
        pair: &'p Pair<'a>,
        env: &'a Env<'a>,
        rows: &'p [u32],
        partners: &'p [u32],
    ) -> Candidates<'a, 'p> {
        let (partner_table, keys) = (pair.table, pair.keys);
        let table = rule.table.as_str();
        let own = Ctx::new(env, table, rows.iter().map(|r| Some(*r)).collect());
        let other = Ctx::for_partners(
            env,
            table,
            partner_table,
            partners.iter().map(|r| Some(*r)).collect(),
        );
        let own_keys: Vec<Col<'a>> = keys.iter().map(|(mine, _)| own.eval(mine)).collect();
        // A self-pair whose keys mirror (`other.service_date =
        // line.service_date`) reads the same keys on its partners as on its
        // rows when they are the same rows: read and hashed once.
        let same_keys = rows == partners && keys_mirror(keys, table, partner_table);
        let their_keys: Vec<Col<'a>> = if same_keys {
            Vec::new()
        } else {
            keys.iter().map(|(_, theirs)| other.eval(theirs)).collect()
        };
        let partner_keys: &[Col<'a>] = if same_keys { &own_keys } else { &their_keys };

        // Partners bucketed by their key values, each bucket in the partner
        // table's key order (without a knowledge match): buckets are small (a
        // patient's lines of a day), and sorting each is cheaper than sorting
        // every partner.
        let partner_hashes = row_hashes(partner_keys, partners.len());
        let mut buckets: HashMap<u128, Vec<usize>, foldhash::fast::RandomState> =
            HashMap::default();
        for (p, hash) in partner_hashes.iter().enumerate() {
            if !any_null(partner_keys, p) {
                buckets.entry(*hash).or_default().push(p);
            }
        }
        // With a knowledge match, few of a bucket's pairs are candidates: they
        // are put in the partners' key order once found (in `context`), not
        // every bucket beforehand.
        if pair.known.is_none() && buckets.values().any(|b| b.len() > 1) {
            let partner_sort = partners_in_order(
                env,
                partner_table,
                partners.iter().map(|r| Some(*r)).collect(),
            );
            for bucket in buckets.values_mut().filter(|b| b.len() > 1) {
                bucket.sort_by(|a, b| compare_rows(&partner_sort, *a, *b));
            }
        }
        let own_hashes = if same_keys {
            partner_hashes
        } else {
            row_hashes(&own_keys, rows.len())
        };
        let keyed = (0..rows.len()).map(|i| !any_null(&own_keys, i)).collect();
        let matcher = pair
            .known
            .map(|known| Matcher::new(env, known, table, partner_table, rows, partners));
        // A key with many partners (one patient's lines of a day) finds
        // those a row may match through the knowledge rows its side pairs
        // with, not by probing every pair.
        let known_bands = match (&matcher, pair.known) {
            (Some(matcher), Some(known)) => buckets
                .iter()
                .filter(|(_, b)| b.len() >= pair.searched_from)
                .map(|(hash, bucket)| (*hash, matcher.band(env, known, bucket)))
                .collect(),
            _ => HashMap::default(),
        };
        let bands = pair.range.and_then(|range| {
            let many: Vec<(&u128, &Vec<usize>)> = buckets
                .iter()
                .filter(|(_, b)| b.len() >= pair.searched_from)
                .collect();
            if many.is_empty() {
                return None;
            }
            let values = |bound| BoundValues {
                bound,
                partners: other.eval(&bound.partner),
                rows: own.eval(&bound.row),
            };
            let bands = Bands {
                search: values(&range.search),
                then: range.then.as_ref().map(values),
            };
            let by_key = many
                .into_iter()
                .map(|(hash, bucket)| (*hash, bands.band(bucket)))
                .collect();
            Some((bands, by_key))
        });
        Candidates {
            rule,
            pair,
            env,
            rows,
            partners,
            buckets,
            own_hashes,
            keyed,
            matcher,
            bands,
            known_bands,
        }
    }

    /// The partners row `i` is paired with (positions in the partners, in
    /// its bucket's order), into `out`: its bucket's, or those of them
    /// inside the range's bounds when its key has a band.
    /// (`matcher` is the rule's, taken out while pairs are probed.)
    fn partners_into(&self, i: usize, matcher: Option<&Matcher>, out: &mut Vec<usize>) {
        out.clear();
        let bucket = self.bucket_of(i);
        if bucket.is_empty() {
            return;
        }
        let in_range = self
            .bands
            .as_ref()
            .and_then(|(bands, by_key)| Some((bands, by_key.get(&self.own_hashes[i])?)));
        let matching = matcher.zip(self.known_bands.get(&self.own_hashes[i]));
        match (in_range, matching) {
            (None, None) => return out.extend_from_slice(bucket),
            (Some((bands, band)), None) => bands.partners_of(band, bucket, i, out),
            (None, Some((matcher, band))) => matcher.candidates(band, i, out),
            (Some((bands, band)), Some((matcher, known))) => {
                let mut within = Vec::new();
                bands.partners_of(band, bucket, i, &mut within);
                matcher.candidates(known, i, out);
                out.retain(|k| within.binary_search(k).is_ok());
            }
        }
        for k in out.iter_mut() {
            *k = bucket[*k];
        }
    }

    /// The partners whose keys hash as row `i`'s do: as a group rule's
    /// groups are, by a 128-bit hash of the keys (equal values, nulls
    /// aside, hash equal; distinct ones collide with a probability below
    /// one in 10²⁰), not compared value by value.
    fn bucket_of(&self, i: usize) -> &[usize] {
        match self.keyed[i] {
            true => self
                .buckets
                .get(&self.own_hashes[i])
                .map_or(&[], Vec::as_slice),
            false => &[],
        }
    }

    /// The rows in runs of at most `most` candidate pairs (a row with more
    /// alone); one run when all are fewer.
    fn runs(&self, most: usize) -> Vec<Range<usize>> {
        let mut found = Vec::new();
        let pairs: Vec<usize> = (0..self.rows.len())
            .map(|i| match (&self.bands, self.known_bands.is_empty()) {
                (None, true) => self.bucket_of(i).len(),
                _ => {
                    self.partners_into(i, self.matcher.as_ref(), &mut found);
                    found.len()
                }
            })
            .collect();
        runs_within(&pairs, most)
    }

    /// The candidate pairs of rows `run`, as a context (rows in order,
    /// partners in key order, each pair once per knowledge row it matches,
    /// in the table's key order), with the position in `run` of each
    /// pair's row.
    fn context(&mut self, run: Range<usize>) -> (Ctx<'a>, Vec<usize>) {
        let (rule, env, partner_table) = (self.rule, self.env, self.pair.table);
        let table = rule.table.as_str();
        let mut pair_rows = Vec::new();
        let mut pair_partners = Vec::new();
        let mut pair_known = Vec::new();
        let mut pair_owner = Vec::new();
        let mut found = Vec::new();
        let mut partners_of_row = Vec::new();
        // Taken while the buckets are read, put back after.
        let mut matcher = self.matcher.take();
        for i in run.clone() {
            let row = self.rows[i];
            self.partners_into(i, matcher.as_ref(), &mut partners_of_row);
            for &p in &partners_of_row {
                match &mut matcher {
                    None => {
                        pair_rows.push(Some(row));
                        pair_partners.push(Some(self.partners[p]));
                        pair_owner.push(i - run.start);
                    }
                    Some(matcher) => {
                        matcher.matches(i, p, &mut found);
                        for &k in &found {
                            pair_rows.push(Some(row));
                            pair_partners.push(Some(self.partners[p]));
                            pair_known.push(Some(k));
                            pair_owner.push(i - run.start);
                        }
                    }
                }
            }
        }
        self.matcher = matcher;
        if self.pair.known.is_some() && pair_rows.len() > 1 {
            // Each row's candidates in its partners' key order; a partner's
            // knowledge rows stay in the order found (a stable sort).
            let partner_sort = partners_in_order(env, partner_table, pair_partners.clone());
            let mut order: Vec<usize> = (0..pair_rows.len()).collect();
            order.sort_by(|&a, &b| {
                pair_owner[a]
                    .cmp(&pair_owner[b])
                    .then_with(|| compare_rows(&partner_sort, a, b))
            });
            let reorder = |v: &mut Vec<Option<u32>>| *v = order.iter().map(|&k| v[k]).collect();
            reorder(&mut pair_rows);
            reorder(&mut pair_partners);
            reorder(&mut pair_known);
            pair_owner = order.iter().map(|&k| pair_owner[k]).collect();
        }
        let mut ctx = Ctx::new(env, table, pair_rows);
        ctx.partner = Some((partner_table, pair_partners));
        if let Some(known) = self.pair.known {
            ctx.known = Some((known.table.as_str(), pair_known));
        }
        for l in &rule.lets {
            let value = ctx.eval(&l.expr);
            ctx.lets.push(value);
        }
        (ctx, pair_owner)
    }
}

/// Consecutive runs of the positions of `counts`, each summing to at most
/// `most` (a position over it alone), covering them all in order; one
/// (empty) run when there are none.
fn runs_within(counts: &[usize], most: usize) -> Vec<Range<usize>> {
    let mut runs = Vec::new();
    let (mut start, mut sum) = (0, 0);
    for (i, &here) in counts.iter().enumerate() {
        if i > start && sum + here > most {
            runs.push(start..i);
            (start, sum) = (i, 0);
        }
        sum += here;
    }
    runs.push(start..counts.len());
    runs
}

/// The key columns of the partner table at `rows`, to order partners by.
fn partners_in_order<'a>(
    env: &'a Env<'a>,
    partner_table: &'a str,
    rows: Vec<Option<u32>>,
) -> Vec<Col<'a>> {
    let by_key = Ctx::new(env, partner_table, rows);
    env.consts.key_exprs[partner_table]
        .iter()
        .map(|k| by_key.eval(k))
        .collect()
}

/// Whether each key read on the partner is the row's key read on it, the
/// two rows of one table.
fn keys_mirror(keys: &[(TExpr, TExpr)], table: &str, partner_table: &str) -> bool {
    table == partner_table && keys.iter().all(|(mine, theirs)| mine.mirrors(theirs))
}

/// Whether any key value of row `i` is null (such rows have no partners).
fn any_null(columns: &[Col<'_>], i: usize) -> bool {
    columns.iter().any(|c| c.is_null(i))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys of a one-rule ruleset's pair rule over claims, `on` them.
    fn pair_keys(on: &str) -> Vec<(TExpr, TExpr)> {
        let text = format!(
            "ruleset \"p\" version \"1\"\nrule P \"p\" {{\n  category c\n  severity low\n  action warn\n  for c in claims\n  pair with other in claims on {on}\n  flag when true\n}}\n"
        );
        let checked = crate::check::check_text(std::path::Path::new("p.rules"), &text);
        let ruleset = checked
            .ruleset
            .unwrap_or_else(|| panic!("{on}: {:?}", checked.diagnostics));
        match &ruleset.rules[0].form {
            crate::ir::Form::Pair { keys, .. } => keys.clone(),
            _ => unreachable!("a pair rule"),
        }
    }

    #[test]
    fn runs_of_rows_hold_at_most_so_many_pairs_and_cover_every_row() {
        assert_eq!(runs_within(&[], 10), vec![0..0]);
        assert_eq!(runs_within(&[3, 4, 3], 10), vec![0..3]);
        assert_eq!(runs_within(&[3, 4, 4, 0, 9], 10), vec![0..2, 2..4, 4..5]);
        // A row with more pairs than a run holds is a run alone.
        assert_eq!(runs_within(&[2, 25, 1], 10), vec![0..1, 1..2, 2..3]);
    }

    #[test]
    fn keys_read_alike_on_both_rows_mirror() {
        let mirror = |on: &str| keys_mirror(&pair_keys(on), "claims", "claims");
        assert!(mirror("other.patient_id = c.patient_id"));
        assert!(mirror("c.patient_id = other.patient_id"));
        assert!(mirror(
            "other.patient.region = c.patient.region and other.admit_date = c.admit_date"
        ));
        assert!(!mirror("other.admit_date = c.discharge_date"));
        assert!(!mirror(
            "other.admit_date = c.admit_date and other.patient_id = c.provider_id"
        ));
        let keys = pair_keys("other.patient_id = c.patient_id");
        assert!(!keys_mirror(&keys, "claims", "claim_items"));
    }
}
