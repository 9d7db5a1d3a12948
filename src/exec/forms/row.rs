//! Row rules: each row on its own, run batch by batch in the table's pass.

use super::super::eval::Ctx;
use super::super::output::{Flagged, Hits, render};
use crate::flags::FlagBatch;
use crate::ir::{Rule, Ruleset};

/// Runs a row rule over the rows of one batch (`shared`).
pub fn run<'a>(ruleset: &Ruleset, rule: &'a Rule, shared: &Ctx<'a>) -> Vec<FlagBatch> {
    let all = shared.sibling();
    // The rule's own work (lets, condition) only for the rows its `where` keeps.
    let mut ctx = match &rule.filter {
        None => all,
        Some(filter) => {
            let keep = all.eval(filter);
            let kept: Vec<u32> = (0..all.n as u32)
                .filter(|&i| keep.bools()[i as usize].is_true())
                .collect();
            if kept.len() == all.n {
                all
            } else if kept.is_empty() {
                return Vec::new();
            } else {
                all.expand(&kept)
            }
        }
    };
    ctx.lazy_lets = rule.lets.iter().map(|l| &l.expr).collect();
    let condition = ctx.eval(&rule.condition);
    let positions: Vec<usize> = (0..ctx.n)
        .filter(|&i| condition.bools()[i].is_true())
        .collect();
    render(
        ruleset,
        rule,
        &ctx,
        Hits::alone(positions, ctx.row.0),
        Flagged::Row,
    )
}
