//! `match x in table on ...`: a knowledge table (mutually exclusive items,
//! contraindicated pairs) indexed on the columns a pair rule matches, built
//! once per table and shared by every partition and real-time check; and
//! the probe of a candidate pair of rows against it. A pair's rows are
//! found first (a patient's lines of one day); each candidate pair is then
//! one hash probe, so memory follows the pairs that match, not the
//! knowledge rows each row could meet.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::Arc;

use rayon::prelude::*;

use super::col::{Col, Scalar};
use super::env::{Env, Frame};
use super::eval::Ctx;
use super::order::{compare_rows, encode, text_hash};
use super::par;
use super::partition::chunks;
use super::tables::{Lookups, NO_ROW};
use crate::ir::{Form, Known, KnownKey, Rule, TExpr};
use crate::plan::Plan;

/// Rows of a knowledge table read at a time while indexing it.
const INDEX_RUN: usize = 64 * 1024;

/// A knowledge table's rows by the hash of the values `match` compares:
/// the rule's row's columns, then the partner's. Rows of one hash are
/// contiguous, in the table's key order (evidence does not depend on the
/// order of the file).
pub struct KnownIndex {
    /// The low half of each hash to its group (the map's entries stay
    /// small: a knowledge base may have millions of rows).
    by_hash: HashMap<u64, u32, foldhash::fast::RandomState>,
    /// Groups whose hash's low half an earlier group took, by the whole hash.
    collided: HashMap<u128, u32, foldhash::fast::RandomState>,
    groups: Vec<Group>,
    rows: Vec<u32>,
    /// Each row's first and last day in force (`in force`; open: i32 bounds).
    in_force: Option<Vec<(i32, i32)>>,
    /// The low halves of the hashes of every row's two sides: a row or
    /// partner whose side is in neither cannot be in a matched pair.
    mine_sides: HashSet<u64, foldhash::fast::RandomState>,
    theirs_sides: HashSet<u64, foldhash::fast::RandomState>,
    /// Each row's two sides, sorted by one side and by the other: made
    /// when a key with many partners first needs them (see [`KnownBand`]).
    side_pairs: std::sync::OnceLock<SidePairs>,
}

/// Every knowledge row's (row side, partner side) hashes, sorted, and the
/// same turned round: the partner sides a row side pairs with, and the
/// row sides a partner side pairs with.
struct SidePairs {
    by_mine: Vec<(u128, u128)>,
    by_theirs: Vec<(u128, u128)>,
}

impl SidePairs {
    fn of(sided: &[(u128, u128, u32)]) -> SidePairs {
        let mut by_mine: Vec<(u128, u128)> = sided.iter().map(|(a, b, _)| (*a, *b)).collect();
        let mut by_theirs: Vec<(u128, u128)> = by_mine.iter().map(|(a, b)| (*b, *a)).collect();
        by_mine.par_sort_unstable();
        by_mine.dedup();
        by_theirs.par_sort_unstable();
        by_theirs.dedup();
        SidePairs { by_mine, by_theirs }
    }
}

/// What `side` comes with in `sorted` (pairs sorted by their first).
fn paired_with<T: Copy>(sorted: &[(u128, T)], side: u128) -> impl Iterator<Item = T> + '_ {
    let start = sorted.partition_point(|(a, _)| *a < side);
    sorted[start..]
        .iter()
        .take_while(move |(a, _)| *a == side)
        .map(|(_, b)| *b)
}

impl KnownIndex {
    /// Every row's two sides' hashes (rows with a null side match nothing).
    fn sided<'e>(env: &'e Env<'e>, known: &'e Known) -> Vec<(u128, u128, u32)> {
        let table = known.table.as_str();
        let n = env.frame(table).rows();
        let (mine, theirs) = known.sides();
        let side = |keys: &[&KnownKey]| -> Vec<&TExpr> {
            keys.iter()
                .map(|(c, _)| own_column(env, table, c))
                .collect()
        };
        let (mine, theirs) = (side(&mine), side(&theirs));
        // The table is read a run of rows at a time, in parallel: a large
        // knowledge base is never copied into columns whole.
        chunks(n, INDEX_RUN)
            .into_par_iter()
            .flat_map_iter(|range| {
                let ctx = Ctx::new(env, table, range.clone().map(|r| Some(r as u32)).collect());
                let (mine, theirs) = (side_hashes(&ctx, &mine), side_hashes(&ctx, &theirs));
                mine.into_iter()
                    .zip(theirs)
                    .enumerate()
                    .filter_map(|(i, (a, b))| Some((a?, b?, (range.start + i) as u32)))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    fn side_pairs<'e>(&self, env: &'e Env<'e>, known: &'e Known) -> &SidePairs {
        self.side_pairs
            .get_or_init(|| SidePairs::of(&KnownIndex::sided(env, known)))
    }

    fn build<'e>(env: &'e Env<'e>, known: &'e Known) -> KnownIndex {
        let table = known.table.as_str();
        let n = env.frame(table).rows();
        let in_force: Option<[&TExpr; 2]> = known.as_of.as_ref().and_then(|_| {
            let (from, to) = env.schema.table(table)?.in_force.clone()?;
            Some([own_column(env, table, &from), own_column(env, table, &to)])
        });
        let sided = KnownIndex::sided(env, known);
        let (mine_sides, theirs_sides) = rayon::join(
            || sided.iter().map(|(a, _, _)| *a as u64).collect(),
            || sided.iter().map(|(_, b, _)| *b as u64).collect(),
        );
        let mut hashed: Vec<(u128, u32)> = sided
            .into_iter()
            .map(|(a, b, row)| (pair_hash(a, b), row))
            .collect();
        let spans: Option<Vec<(i32, i32)>> = in_force.map(|[from, to]| {
            chunks(n, INDEX_RUN)
                .into_par_iter()
                .flat_map_iter(|range| {
                    let ctx = Ctx::new(env, table, range.clone().map(|r| Some(r as u32)).collect());
                    let (from, to) = (ctx.eval(from), ctx.eval(to));
                    let day = |c: &Col<'_>, i: usize, open: i32| match c.get(i) {
                        Scalar::Date(d) => d,
                        _ => open,
                    };
                    (0..range.len())
                        .map(|i| (day(&from, i, i32::MIN), day(&to, i, i32::MAX)))
                        .collect::<Vec<_>>()
                })
                .collect()
        });
        hashed.par_sort_unstable();
        let distinct = 1 + hashed.windows(2).filter(|w| w[0].0 != w[1].0).count();
        let mut by_hash = HashMap::with_capacity_and_hasher(distinct, Default::default());
        let mut groups = Vec::with_capacity(distinct);
        let mut collided = HashMap::default();
        let mut rows: Vec<u32> = hashed.iter().map(|(_, r)| *r).collect();
        // Rows of one hash (the versions of a pair) in the table's key
        // order, whatever the order of the file.
        let mut several = Vec::new();
        let mut start = 0;
        while start < hashed.len() {
            let hash = hashed[start].0;
            let end = start + hashed[start..].partition_point(|(h, _)| *h == hash);
            // Two hashes sharing their low half: the later one is kept whole.
            match by_hash.entry(hash as u64) {
                std::collections::hash_map::Entry::Occupied(_) => {
                    collided.insert(hash, groups.len() as u32);
                }
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(groups.len() as u32);
                }
            }
            groups.push(Group {
                high: (hash >> 64) as u64,
                start: start as u32,
                len: (end - start) as u32,
            });
            if end - start > 1 {
                several.push(start..end);
            }
            start = end;
        }
        drop(hashed);
        sort_by_key_columns(env, table, &mut rows, &several);
        KnownIndex {
            by_hash,
            collided,
            groups,
            rows,
            in_force: spans,
            mine_sides,
            theirs_sides,
            side_pairs: std::sync::OnceLock::new(),
        }
    }

    /// The rows whose compared values hash to `hash`.
    fn rows_of(&self, hash: u128) -> &[u32] {
        let Some(&first) = self.by_hash.get(&(hash as u64)) else {
            return &[];
        };
        let found = if self.groups[first as usize].high == (hash >> 64) as u64 {
            first
        } else {
            match self.collided.get(&hash) {
                Some(&g) => g,
                None => return &[],
            }
        };
        let group = &self.groups[found as usize];
        &self.rows[group.start as usize..(group.start + group.len) as usize]
    }

    fn in_force_on(&self, row: u32, day: Option<i32>) -> bool {
        match (&self.in_force, day) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(spans), Some(day)) => {
                let (from, to) = spans[row as usize];
                from <= day && day <= to
            }
        }
    }
}

/// The rows of one hash: its high half, and where they are in `rows`.
struct Group {
    high: u64,
    start: u32,
    len: u32,
}

/// Orders each of the `ranges` of `rows` by the table's key.
fn sort_by_key_columns(env: &Env<'_>, table: &str, rows: &mut [u32], ranges: &[Range<usize>]) {
    if ranges.is_empty() {
        return;
    }
    let table = env.frame(table).name.as_str();
    let members: Vec<Option<u32>> = ranges
        .iter()
        .flat_map(|r| rows[r.clone()].iter().map(|row| Some(*row)))
        .collect();
    let ctx = Ctx::new(env, table, members);
    let key: Vec<Col<'_>> = env.consts.key_exprs[table]
        .iter()
        .map(|k| ctx.eval(k))
        .collect();
    let mut at = 0;
    for range in ranges {
        let len = range.len();
        let mut order: Vec<usize> = (at..at + len).collect();
        order.sort_by(|a, b| compare_rows(&key, *a, *b));
        let sorted: Vec<u32> = order
            .iter()
            .map(|&m| ctx.row.1[m].expect("members are rows"))
            .collect();
        rows[range.clone()].copy_from_slice(&sorted);
        at += len;
    }
}

/// The `match` of a rule, of either kind.
fn match_of(rule: &Rule) -> Option<&Known> {
    match &rule.form {
        Form::Pair { known, .. } => known.as_ref(),
        _ => rule.row_match.as_ref(),
    }
}

/// Builds the index of every `match` of `rules` whose table `env` holds,
/// now rather than at its first use (the real-time service's first check).
pub fn build_indexes<'e>(env: &'e Env<'e>, rules: impl Iterator<Item = &'e Rule>) {
    for known in rules.filter_map(match_of) {
        if env.frames.contains_key(&known.table) {
            index_for(env, known);
        }
    }
}

/// Adds to `env` the lookup of each rule's `match` that is not a pair's:
/// for each row of the rule's table, its knowledge row, followed as a
/// relation named [`Known::relation_name`] is. A rule the plan says matches
/// alike an earlier one shares that rule's lookup.
pub fn add_row_matches<'e>(env: &mut Env<'e>, plan: &'e Plan<'e>) {
    let built: Lookups = {
        let env: &Env<'_> = env;
        let rules = &plan.ruleset.rules;
        let name = |i: usize| {
            let rule = &rules[i];
            let known = rule.row_match.as_ref().expect("a rule with a row match");
            (
                rule.table.clone(),
                Known::relation_name(&rule.id, &known.var),
            )
        };
        let mut built = Lookups::default();
        for &(i, first) in &plan.row_matches {
            let rule = &rules[i];
            let known = rule.row_match.as_ref().expect("a rule with a row match");
            if !env.frames.contains_key(&rule.table) || !env.frames.contains_key(&known.table) {
                continue;
            }
            let lookup = match first.and_then(|f| built.get(&name(f))) {
                Some(lookup) => Arc::clone(lookup),
                None => Arc::new(row_match_lookup(env, known, &rule.table)),
            };
            built.insert(name(i), lookup);
        }
        built
    };
    env.lookups.extend(built);
}

/// For each row of `table`, the row of `known`'s table whose columns equal
/// its values ([`NO_ROW`] if none): of several (versions in force at
/// once), the last in the table's key order.
fn row_match_lookup<'e>(env: &'e Env<'e>, known: &'e Known, table: &str) -> Vec<u32> {
    let index = index_for(env, known);
    let exprs: Vec<&TExpr> = known.keys.iter().map(|(_, e)| e).collect();
    let table = env.frame(table).name.as_str();
    // The index hashes a row's values with those of a partner it has not.
    let no_partner = side_hashes(&Ctx::new(env, table, vec![None]), &[])[0]
        .expect("no values, none of them null");
    let runs = chunks(env.frame(table).rows(), INDEX_RUN);
    par::flat_map(env.parallel, runs, |range| {
        let ctx = Ctx::new(env, table, range.map(|r| Some(r as u32)).collect());
        let days = known.as_of.as_ref().map(|d| days_of(&ctx.eval(d), ctx.n));
        let index = &index;
        side_hashes(&ctx, &exprs)
            .into_iter()
            .enumerate()
            .map(move |(i, hash)| {
                let day = days.as_ref().and_then(|d| d[i]);
                hash.and_then(|h| {
                    index
                        .rows_of(pair_hash(h, no_partner))
                        .iter()
                        .rev()
                        .find(|&&k| index.in_force_on(k, day))
                        .copied()
                })
                .unwrap_or(NO_ROW)
            })
            .collect::<Vec<_>>()
    })
}

/// Each row's date (`None` when null).
fn days_of(days: &Col<'_>, n: usize) -> Vec<Option<i32>> {
    (0..n)
        .map(|i| match days.get(i) {
            Scalar::Date(d) => Some(d),
            _ => None,
        })
        .collect()
}

/// The index of `known`'s table for its columns, built the first time and
/// kept with the table (a broadcast table's frame is shared).
fn index_for<'e>(env: &'e Env<'e>, known: &'e Known) -> Arc<KnownIndex> {
    let frame: &Frame = env.frame(&known.table);
    let (mine, theirs) = known.sides();
    let columns = |side: &[&KnownKey]| {
        side.iter()
            .map(|(c, _)| c.as_str())
            .collect::<Vec<_>>()
            .join(",")
    };
    // The row's side and the partner's hash apart: (a | b) is not (a, b | ).
    let name = format!(
        "{}|{}|{}",
        columns(&mine),
        columns(&theirs),
        if known.as_of.is_some() { "as of" } else { "" }
    );
    frame.known_index(&name, || KnownIndex::build(env, known))
}

/// The expression reading `column` of a row of `table` itself.
fn own_column<'e>(env: &'e Env<'e>, table: &str, column: &str) -> &'e TExpr {
    env.consts.column_exprs[table]
        .iter()
        .find(|(name, _)| name == column)
        .map(|(_, e)| e)
        .expect("`match` reads columns of its table")
}

/// The hash of one row's values on one side of `on` (`None`: one is null).
type SideHash = Option<u128>;

/// For each row of `ctx`, a hash of the values of `exprs` (`None` when one
/// is null: a null matches nothing).
fn side_hashes<'c>(ctx: &Ctx<'c>, exprs: &[&'c TExpr]) -> Vec<SideHash> {
    let columns: Vec<Col<'_>> = exprs.iter().map(|e| ctx.eval(e)).collect();
    // One text value a side (an item code): hashed where it lies, not
    // copied into a buffer first. Both the index and its probes come here,
    // so the two hashings never meet.
    if let [Col::Text(values)] = columns.as_slice() {
        return values.iter().map(|v| v.map(text_hash)).collect();
    }
    let mut buffer = Vec::with_capacity(64);
    (0..ctx.n)
        .map(|r| {
            if columns.iter().any(|c| c.is_null(r)) {
                return None;
            }
            buffer.clear();
            for c in &columns {
                encode(c, r, &mut buffer);
            }
            Some(xxhash_rust::xxh3::xxh3_128(&buffer))
        })
        .collect()
}

/// The hash of a pair of sides. For a given second side, a bijection of
/// the first (an odd multiplier is invertible modulo 2^128): two pairs
/// meet only when both sides' hashes do, so a candidate costs one multiply
/// and one probe, and no bytes are copied.
fn pair_hash(mine: u128, theirs: u128) -> u128 {
    const ODD: u128 = 0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835;
    mine.wrapping_mul(ODD) ^ theirs
}

/// The expressions `on` compares on the rule's row's side, and on the
/// partner's.
fn side_exprs(known: &Known) -> (Vec<&TExpr>, Vec<&TExpr>) {
    let (mine, theirs) = known.sides();
    (
        mine.into_iter().map(|(_, e)| e).collect(),
        theirs.into_iter().map(|(_, e)| e).collect(),
    )
}

/// Whether each expression on the partner's side of `on` is the one on
/// the row's side, read on the partner (`x.item_a = line.item_code and
/// x.item_b = other.item_code` over one table): then a row's values on
/// either side are the same, and are read once.
fn sides_mirror(known: &Known, table: &str, partner_table: &str) -> bool {
    let (mine, theirs) = known.sides();
    table == partner_table
        && mine.len() == theirs.len()
        && mine
            .iter()
            .zip(&theirs)
            .all(|((_, m), (_, t))| m.mirrors(t))
}

/// Of a pair rule's `rows` and `partners`, those that can be in a pair
/// matching some knowledge row: a row's values on its side of `on` (or,
/// `in either order`, its values on the partner's side) must be some
/// knowledge row's. The rest cannot flag or be named, so they are not
/// bucketed or paired: most lines bill codes no knowledge row mentions.
pub fn could_match<'a>(
    env: &'a Env<'a>,
    known: &'a Known,
    table: &'a str,
    partner_table: &'a str,
    rows: &[u32],
    partners: &[u32],
) -> (Vec<u32>, Vec<u32>) {
    let index = index_for(env, known);
    let (mine, theirs) = side_exprs(known);
    let mirrored = sides_mirror(known, table, partner_table);
    let listed = |hash: SideHash, sides: &HashSet<u64, foldhash::fast::RandomState>| {
        hash.is_some_and(|h| sides.contains(&(h as u64)))
    };
    // Each side read on `ids` as the rule's row (`Ctx::new`) or as the
    // partner (`for_partners`), kept when either reading is listed.
    let keep = |ids: &[u32], as_row: bool| -> Vec<u32> {
        par::flat_map(env.parallel, chunks(ids.len(), INDEX_RUN), |range| {
            let part = &ids[range];
            let ctx_of = |row: bool| {
                let ids = part.iter().map(|r| Some(*r)).collect();
                if row {
                    Ctx::new(env, table, ids)
                } else {
                    Ctx::for_partners(env, table, partner_table, ids)
                }
            };
            let (first, first_sides, second, second_sides) = if as_row {
                (&mine, &index.mine_sides, &theirs, &index.theirs_sides)
            } else {
                (&theirs, &index.theirs_sides, &mine, &index.mine_sides)
            };
            let direct = side_hashes(&ctx_of(as_row), first);
            let swapped = known.either_order.then(|| {
                if mirrored {
                    direct.clone()
                } else {
                    side_hashes(&ctx_of(!as_row), second)
                }
            });
            part.iter()
                .enumerate()
                .filter(|(i, _)| {
                    listed(direct[*i], first_sides)
                        || swapped
                            .as_ref()
                            .is_some_and(|s| listed(s[*i], second_sides))
                })
                .map(|(_, r)| *r)
                .collect::<Vec<_>>()
        })
    };
    (keep(rows, true), keep(partners, false))
}

/// One key's partners by the hashes of their sides (see [`Matcher::band`]).
pub struct KnownBand {
    partner: Vec<(u128, u32)>,
    partner_first: Option<Vec<(u128, u32)>>,
}

/// Probes candidate pairs (a row, a partner) against a knowledge index.
pub struct Matcher {
    index: Arc<KnownIndex>,
    /// The hashes of the rule's rows' values, and of the partners'.
    own: Vec<SideHash>,
    partner: Vec<SideHash>,
    /// The same with the two rows swapped (`in either order`): the values
    /// of the rule's row's side read on each partner, and of the partner's
    /// side read on each row.
    swapped: Option<(Vec<SideHash>, Vec<SideHash>)>,
    /// Each row's `as of` day.
    as_of: Option<Vec<Option<i32>>>,
}

impl Matcher {
    /// A matcher for `rows` of the rule's `table` with `partners` (rows of
    /// the partner's table).
    pub fn new<'a>(
        env: &'a Env<'a>,
        known: &'a Known,
        table: &'a str,
        partner_table: &'a str,
        rows: &[u32],
        partners: &[u32],
    ) -> Matcher {
        let ids = |rows: &[u32]| rows.iter().map(|r| Some(*r)).collect::<Vec<_>>();
        let own = Ctx::new(env, table, ids(rows));
        let other = Ctx::for_partners(env, table, partner_table, ids(partners));
        let (mine, theirs) = side_exprs(known);
        // `in either order` pairs rows of one table: the rule's row's values
        // read on the partner are its expressions evaluated with the
        // partner as the row, and the other way round.
        let own_sides = side_hashes(&own, &mine);
        // Mirrored sides read the same on a row either way round, and the
        // same rows as partners (a self-pair's) read as the rows do.
        let mirrored = sides_mirror(known, table, partner_table);
        let partner_sides = if mirrored && rows == partners {
            own_sides.clone()
        } else {
            side_hashes(&other, &theirs)
        };
        let swapped = known.either_order.then(|| {
            if mirrored {
                return (partner_sides.clone(), own_sides.clone());
            }
            let partner_as_row = Ctx::new(env, table, ids(partners));
            let row_as_partner = Ctx::for_partners(env, table, partner_table, ids(rows));
            (
                side_hashes(&partner_as_row, &mine),
                side_hashes(&row_as_partner, &theirs),
            )
        });
        let as_of = known
            .as_of
            .as_ref()
            .map(|d| days_of(&own.eval(d), rows.len()));
        Matcher {
            index: index_for(env, known),
            own: own_sides,
            partner: partner_sides,
            swapped,
            as_of,
        }
    }

    /// What finds, among one key's partners (`bucket`, positions in the
    /// partners), those a row could match without trying each: their
    /// sides' hashes, sorted.
    pub fn band<'e>(&self, env: &'e Env<'e>, known: &'e Known, bucket: &[usize]) -> KnownBand {
        // Made once, for the first key that needs it.
        self.index.side_pairs(env, known);
        let sorted = |sides: &[SideHash]| {
            let mut found: Vec<(u128, u32)> = bucket
                .iter()
                .enumerate()
                .filter_map(|(k, &p)| Some((sides[p]?, k as u32)))
                .collect();
            found.sort_unstable();
            found
        };
        KnownBand {
            partner: sorted(&self.partner),
            partner_first: self.swapped.as_ref().map(|(first, _)| sorted(first)),
        }
    }

    /// The positions in the key's bucket (ascending) of the partners row
    /// `i` may match: those whose side a knowledge row pairs with the
    /// row's side (either way round when the rule says so). The others
    /// would match nothing; these are probed as before.
    pub fn candidates(&self, band: &KnownBand, i: usize, out: &mut Vec<usize>) {
        out.clear();
        let pairs = self
            .index
            .side_pairs
            .get()
            .expect("a band is made before its candidates");
        let find = |sorted: &[(u128, u32)], side: u128, out: &mut Vec<usize>| {
            out.extend(paired_with(sorted, side).map(|k| k as usize));
        };
        if let Some(mine) = self.own[i] {
            for theirs in paired_with(&pairs.by_mine, mine) {
                find(&band.partner, theirs, out);
            }
        }
        if let (Some((_, own_second)), Some(partner_first)) = (&self.swapped, &band.partner_first)
            && let Some(theirs) = own_second[i]
        {
            for mine in paired_with(&pairs.by_theirs, theirs) {
                find(partner_first, mine, out);
            }
        }
        out.sort_unstable();
        out.dedup();
    }

    /// The knowledge rows in force that match row `i` with partner `p`
    /// (either way round when the rule says so), each once, into `out`.
    pub fn matches(&mut self, i: usize, p: usize, out: &mut Vec<u32>) {
        out.clear();
        let day = self.as_of.as_ref().and_then(|d| d[i]);
        let index = &self.index;
        let checks_dates = self.as_of.is_some();
        let probe = |mine: Option<u128>, theirs: Option<u128>, out: &mut Vec<u32>| {
            let (Some(mine), Some(theirs)) = (mine, theirs) else {
                return;
            };
            for &k in index.rows_of(pair_hash(mine, theirs)) {
                if (!checks_dates || index.in_force_on(k, day)) && !out.contains(&k) {
                    out.push(k);
                }
            }
        };
        probe(self.own[i], self.partner[p], out);
        if let Some((partner_first, own_second)) = &self.swapped {
            probe(partner_first[p], own_second[i], out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::check_shipped;

    #[test]
    fn the_two_codes_of_an_exclusive_pair_mirror() {
        let checked = check_shipped();
        let ruleset = checked.ruleset.as_ref().unwrap();
        let rule = ruleset.rules.iter().find(|r| r.id == "MUTEX-01").unwrap();
        let known = match_of(rule).unwrap();
        assert!(sides_mirror(known, "claim_items", "claim_items"));
        assert!(!sides_mirror(known, "claim_items", "claims"));
        // One code alone has nothing on the partner's side to mirror it.
        let one_sided = Known {
            keys: known.keys[..1].to_vec(),
            ..known.clone()
        };
        assert!(!sides_mirror(&one_sided, "claim_items", "claim_items"));
    }
}
