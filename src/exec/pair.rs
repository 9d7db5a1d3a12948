//! Pair rules: a row is flagged when some partner row of the same key
//! satisfies the condition with it.

use std::collections::HashMap;

use super::col::Col;
use super::env::Env;
use super::eval::Ctx;
use super::keyed::MAX_OTHER_ROWS;
use super::order::{row_hashes, sort_positions};
use super::output::{Flagged, Hits, render};
use crate::flags::Flag;
use crate::ir::{Form, Rule, Ruleset};

/// Runs a pair rule for `rows` of the rule's table (passed `where`) and
/// `partners` of the partner table (passed the pair's `where`), both all
/// the rows of their keys in this partition.
pub fn run_pair<'a>(
    ruleset: &Ruleset,
    rule: &'a Rule,
    env: &'a Env<'a>,
    rows: &[u32],
    partners: &[u32],
) -> Vec<Flag> {
    let Form::Pair {
        table: partner_table,
        ..
    } = &rule.form
    else {
        unreachable!("run_pair runs pair rules")
    };
    let (ctx, pair_owner) = pair_context(rule, env, rows, partners);
    let pair_partners = ctx
        .partner
        .as_ref()
        .map(|p| p.1.clone())
        .unwrap_or_default();

    let condition = ctx.eval(&rule.condition);
    let holds = condition.bools();
    // The first partner that satisfies the condition names the flag; all are evidence.
    let mut first: Vec<Option<usize>> = vec![None; rows.len()];
    let mut matched: Vec<Vec<u32>> = vec![Vec::new(); rows.len()];
    for (k, &owner) in pair_owner.iter().enumerate() {
        if holds[k].is_true() {
            first[owner].get_or_insert(k);
            if matched[owner].len() < MAX_OTHER_ROWS {
                matched[owner].push(pair_partners[k].expect("partners are rows"));
            }
        }
    }
    let mut positions = Vec::new();
    let mut others = Vec::new();
    for (owner, pick) in first.iter().enumerate() {
        if let Some(k) = pick {
            positions.push(*k);
            others.push(std::mem::take(&mut matched[owner]));
        }
    }
    let n = positions.len();
    let hits = Hits {
        positions,
        others_table: partner_table,
        others,
        peers: vec![None; n],
    };
    render(ruleset, rule, &ctx, hits, Flagged::Row)
}

/// Every candidate pair of `rows` with `partners` of equal keys, as a
/// context (rows in order, partners in key order), with the position in
/// `rows` of each pair's row.
pub fn pair_context<'a>(
    rule: &'a Rule,
    env: &'a Env<'a>,
    rows: &[u32],
    partners: &[u32],
) -> (Ctx<'a>, Vec<usize>) {
    let Form::Pair {
        table: partner_table,
        keys,
        ..
    } = &rule.form
    else {
        unreachable!("run_pair runs pair rules")
    };
    let table = rule.table.as_str();
    let own = Ctx::new(env, table, rows.iter().map(|r| Some(*r)).collect());
    let other = Ctx::for_partners(
        env,
        table,
        partner_table,
        partners.iter().map(|r| Some(*r)).collect(),
    );
    let own_keys: Vec<Col<'a>> = keys.iter().map(|(mine, _)| own.eval(mine)).collect();
    let partner_keys: Vec<Col<'a>> = keys.iter().map(|(_, theirs)| other.eval(theirs)).collect();

    // Partners in the partner table's key order, bucketed by their key values.
    let partner_sort: Vec<Col<'a>> = env.key_exprs[partner_table.as_str()]
        .iter()
        .map(|k| {
            let by_key = Ctx::new(
                env,
                partner_table,
                partners.iter().map(|r| Some(*r)).collect(),
            );
            by_key.eval(k)
        })
        .collect();
    let partner_order = sort_positions(&partner_sort, partners.len());
    let partner_hashes = row_hashes(&partner_keys, partners.len());
    let mut buckets: HashMap<u128, Vec<usize>, foldhash::fast::RandomState> = HashMap::default();
    for p in partner_order {
        let p = p as usize;
        if !any_null(&partner_keys, p) {
            buckets.entry(partner_hashes[p]).or_default().push(p);
        }
    }
    let own_hashes = row_hashes(&own_keys, rows.len());
    // Every candidate pair, rows in order, partners in key order.
    let mut pair_rows = Vec::new();
    let mut pair_partners = Vec::new();
    let mut pair_owner = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        if any_null(&own_keys, i) {
            continue;
        }
        for &p in buckets.get(&own_hashes[i]).into_iter().flatten() {
            // Buckets hold equal hashes; compare the values themselves too.
            if !keys_equal(&own_keys, i, &partner_keys, p) {
                continue;
            }
            pair_rows.push(Some(*row));
            pair_partners.push(Some(partners[p]));
            pair_owner.push(i);
        }
    }
    let mut ctx = Ctx::new(env, table, pair_rows);
    ctx.partner = Some((partner_table.as_str(), pair_partners.clone()));
    for l in &rule.lets {
        let value = ctx.eval(&l.expr);
        ctx.lets.push(value);
    }
    (ctx, pair_owner)
}

/// Whether any key value of row `i` is null (such rows have no partners).
fn any_null(columns: &[Col<'_>], i: usize) -> bool {
    columns.iter().any(|c| c.is_null(i))
}

fn keys_equal(a: &[Col<'_>], i: usize, b: &[Col<'_>], j: usize) -> bool {
    a.iter().zip(b).all(|(x, y)| x.get(i).same(&y.get(j)))
}
