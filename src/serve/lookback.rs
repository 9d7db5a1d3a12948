//! How much of a patient's history a check needs, read off the ruleset.
//!
//! A history claim can change the flags of a checked claim `c` only through
//! a rule that looks at rows besides its own. For each such rule the ruleset
//! says how far back such a row can lie, measured from `c`'s earliest day:
//!
//! - row rules: no history;
//! - group keys, window keys, pair equalities and sequence keys that
//!   include a claim date (`line.service_date`): the same day, 0 days;
//!   a key `year(claim date)`, `year_start(claim date)` or
//!   `month_start(claim date)`: the calendar year of that date;
//! - windows `over date last N days`: N−1 days;
//! - pair and sequence rules: the comparisons of a partner's (or `prev`'s)
//!   date with the row's date that the condition requires
//!   (`c.admit_date - prev.discharge_date between 0 days and 15 days`,
//!   `c.admit_date < stay.discharge_date`): N days, 0 days;
//! - anything else (a running window or group with no date key, a
//!   population rule that is not batch-only): the whole history, the
//!   conservative default.
//!
//! A history claim is kept when its latest day (of all its dates and
//! times: admission, discharge, lines, settlement) is on or after the cut:
//! the earliest day of the checked claim minus the longest need, or 1
//! January of its year when a rule needs the calendar year.
//!
//! Sequence rules also need the row just before, which may be old when
//! stays overlap. When a sequence is ordered by a claim date, every history
//! claim with a row ordered at or after the earliest kept row is kept as
//! well, so no row between a kept one and the checked claim is ever left out.
//!
//! A grouped rule whose keys hold neither the patient nor the claim id sees
//! other patients' rows in a scan, which a per-patient history cannot give:
//! such rules are listed in `unscoped` (none in the CHS ruleset), as are
//! rules flagging a provider (`flag provider when`), whose flags merge the
//! rows of all the provider's patients.

use chrono::Datelike;
use serde_json::{Value as Json, json};

use super::shape::{Claim, ClaimShape, Part};
use crate::ir::text::{date_to_days, days_to_date};
use crate::ir::{
    ArithOp, ColumnType, CompareOp, FlagField, Form, Func, ParamValue, Rule, Ruleset, TExpr,
    TExprKind, Type, Value, Var, WindowRange,
};

/// What one rule needs of the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Need {
    Nothing,
    /// Rows up to this many days before the checked claim's earliest day.
    Days(i64),
    /// Rows of the calendar year of the checked claim's earliest day.
    Year,
    /// The whole history, and why.
    All(String),
}

/// A column of a claim's rows that orders a sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderColumn {
    pub part: Part,
    pub column: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LookBack {
    /// Each rule that needs history, with what it needs and why.
    pub rules: Vec<(String, Need, String)>,
    /// Sequence orders whose predecessors must stay reachable.
    pub orders: Vec<OrderColumn>,
    /// Rules whose groups are not within one patient.
    pub unscoped: Vec<String>,
    /// Every rule a check runs, with its own need and the positions in
    /// `orders` of its sequence order: a check gives each rule only the
    /// history it needs.
    pub each: Vec<RuleNeed>,
}

/// What one rule of a check needs of the history.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleNeed {
    pub rule_id: String,
    pub need: Need,
    /// Positions in [`LookBack::orders`] of the orders its predecessors follow.
    pub orders: Vec<usize>,
    /// The tables whose rows it reads as its own or as partners.
    pub tables: Vec<String>,
}

/// What the look-back reads of one claim: its first and last day, and the
/// least and greatest values of each sequence order in its rows.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimDays {
    span: Option<(i32, i32)>,
    orders: Vec<Option<(i64, i64)>>,
}

impl LookBack {
    pub fn derive(ruleset: &Ruleset, shape: &ClaimShape) -> LookBack {
        let mut out = LookBack {
            rules: Vec::new(),
            orders: Vec::new(),
            unscoped: Vec::new(),
            each: Vec::new(),
        };
        for rule in ruleset.rules.iter().filter(|r| !r.batch_only) {
            let r = RuleView {
                ruleset,
                shape,
                rule,
            };
            let mut own_orders = Vec::new();
            let (need, why, scoped) = r.need(&mut own_orders);
            let mut orders = Vec::new();
            for order in own_orders {
                let at = match out.orders.iter().position(|o| *o == order) {
                    Some(at) => at,
                    None => {
                        out.orders.push(order);
                        out.orders.len() - 1
                    }
                };
                orders.push(at);
            }
            if !scoped || !merges_within_patient(ruleset, rule) {
                out.unscoped.push(rule.id.clone());
            }
            let mut tables = vec![rule.table.clone()];
            if let Form::Pair { table, .. } = &rule.form {
                tables.push(table.clone());
            }
            out.each.push(RuleNeed {
                rule_id: rule.id.clone(),
                need: need.clone(),
                orders,
                tables,
            });
            if need != Need::Nothing {
                out.rules.push((rule.id.clone(), need, why));
            }
        }
        out
    }

    /// What the look-back reads of `claim`.
    pub fn days_of(&self, shape: &ClaimShape, claim: &Claim) -> ClaimDays {
        ClaimDays {
            span: claim.day_span(shape),
            orders: self
                .orders
                .iter()
                .map(|o| {
                    order_values(claim, *o).fold(None, |range, v| match range {
                        None => Some((v, v)),
                        Some((lo, hi)) => Some((v.min(lo), v.max(hi))),
                    })
                })
                .collect(),
        }
    }

    /// The first day a history claim must reach for one rule's need, for
    /// a claim whose earliest day is `day` (`None`: the whole history;
    /// `Some(i64::MAX)`: none of it).
    pub fn cut_for(need: &Need, day: Option<i32>) -> Option<i64> {
        match (need, day) {
            (Need::Nothing, _) => Some(i64::MAX),
            (Need::All(_), _) | (_, None) => None,
            (Need::Days(days), Some(day)) => Some(day as i64 - days),
            (Need::Year, Some(day)) => {
                let first = days_to_date(day).map(|d| d.with_ordinal(1).expect("day 1 exists"));
                first.map(|f| date_to_days(f) as i64)
            }
        }
    }

    /// The longest day count any rule needs.
    pub fn days(&self) -> Option<i64> {
        self.rules
            .iter()
            .filter_map(|(_, n, _)| match n {
                Need::Days(d) => Some(*d),
                _ => None,
            })
            .max()
    }

    pub fn calendar_year(&self) -> bool {
        self.rules.iter().any(|(_, n, _)| *n == Need::Year)
    }

    pub fn unbounded(&self) -> bool {
        self.rules.iter().any(|(_, n, _)| matches!(n, Need::All(_)))
    }

    /// The first day a history claim must reach to be kept, for a claim
    /// whose earliest day is `day`: `None` keeps everything.
    pub fn cut(&self, day: i32) -> Option<i64> {
        if self.unbounded() {
            return None;
        }
        let mut cut = i64::MAX;
        if let Some(days) = self.days() {
            cut = cut.min(day as i64 - days);
        }
        if self.calendar_year()
            && let Some(date) = days_to_date(day)
        {
            let first = date.with_ordinal(1).expect("day 1 exists");
            cut = cut.min(date_to_days(first) as i64);
        }
        Some(cut)
    }

    /// Which of `history` a check of claims reaching back to `cut` needs:
    /// those whose latest day is on or after the cut, and, for sequences,
    /// every claim ordered at or after the earliest of those (and of `also`,
    /// the checked claims).
    pub fn select(
        &self,
        shape: &ClaimShape,
        cut: Option<i64>,
        history: &[&Claim],
        also: &[&Claim],
    ) -> Vec<bool> {
        if cut.is_none() {
            return vec![true; history.len()];
        }
        let days = |claims: &[&Claim]| -> Vec<ClaimDays> {
            claims.iter().map(|c| self.days_of(shape, c)).collect()
        };
        let (history, also) = (days(history), days(also));
        let history: Vec<&ClaimDays> = history.iter().collect();
        let also: Vec<&ClaimDays> = also.iter().collect();
        let orders: Vec<usize> = (0..self.orders.len()).collect();
        Self::select_days(cut, &orders, &history, &also)
    }

    /// [`LookBack::select`] of claims read as [`LookBack::days_of`], the
    /// predecessors following the sequence orders at `orders`.
    pub fn select_days(
        cut: Option<i64>,
        orders: &[usize],
        history: &[&ClaimDays],
        also: &[&ClaimDays],
    ) -> Vec<bool> {
        let Some(cut) = cut else {
            return vec![true; history.len()];
        };
        let mut keep: Vec<bool> = history
            .iter()
            .map(|c| c.span.is_none_or(|(_, last)| last as i64 >= cut))
            .collect();
        // Extend until no sequence order brings in another claim.
        loop {
            let mut changed = false;
            for &order in orders {
                let kept = history
                    .iter()
                    .zip(&keep)
                    .filter(|(_, k)| **k)
                    .map(|(c, _)| *c)
                    .chain(also.iter().copied());
                let Some(first) = kept.filter_map(|c| c.orders[order].map(|(lo, _)| lo)).min()
                else {
                    continue;
                };
                for (claim, k) in history.iter().zip(keep.iter_mut()) {
                    if !*k && claim.orders[order].is_some_and(|(_, hi)| hi >= first) {
                        *k = true;
                        changed = true;
                    }
                }
            }
            if !changed {
                return keep;
            }
        }
    }

    /// A summary for the reload reply and the logs.
    pub fn to_json(&self) -> Json {
        let days = self.days();
        json!({
            "whole_history": self.unbounded(),
            "days": days,
            "calendar_year": self.calendar_year(),
            "rules": self.rules.iter().map(|(id, need, why)| json!({
                "rule_id": id,
                "needs": match need {
                    Need::Nothing => "nothing".to_string(),
                    Need::Days(d) => format!("{d} days"),
                    Need::Year => "calendar year".to_string(),
                    Need::All(_) => "whole history".to_string(),
                },
                "because": why,
            })).collect::<Vec<_>>(),
            "not_by_patient": self.unscoped,
        })
    }
}

/// The values of an order column in a claim's rows, comparable within the column.
fn order_values(claim: &Claim, order: OrderColumn) -> impl Iterator<Item = i64> + '_ {
    claim
        .column(order.part, order.column)
        .filter_map(|v| match v {
            Value::Date(d) => Some(*d as i64),
            Value::Timestamp(ms) => Some(*ms),
            _ => None,
        })
}

/// Whether a rule's flags stay a claim's or a patient's: `flag provider
/// when` merges the rows of every patient of a provider, which a check
/// sees only of one patient.
fn merges_within_patient(ruleset: &Ruleset, rule: &Rule) -> bool {
    let Some(grain) = rule.flag_as else {
        return true;
    };
    ruleset
        .schema
        .table(&rule.table)
        .and_then(|t| t.flags_of(grain))
        .is_some_and(|b| {
            b.fields
                .iter()
                .any(|(f, _, _)| matches!(f, FlagField::ClaimId | FlagField::PatientId))
        })
}

struct RuleView<'a> {
    ruleset: &'a Ruleset,
    shape: &'a ClaimShape,
    rule: &'a Rule,
}

impl RuleView<'_> {
    /// The rule's need, why, and whether its groups stay within one patient.
    fn need(&self, orders: &mut Vec<OrderColumn>) -> (Need, String, bool) {
        let rule = self.rule;
        let own = self.shape.part_of(&rule.table).is_some();
        match &rule.form {
            _ if !own => (Need::Nothing, "its rows are not a claim's".into(), true),
            Form::Row => (Need::Nothing, "a row rule".into(), true),
            Form::Group { keys } => self.by_keys(keys, Var::Row, "group"),
            Form::Window { keys, range } => {
                let (keyed, why, scoped) = self.by_keys(keys, Var::Row, "window");
                if keyed == Need::Nothing {
                    return (keyed, why, scoped);
                }
                match range {
                    WindowRange::Last { over, days } => {
                        match (self.claim_date(over, Var::Row), self.days(days)) {
                            (Some(_), Some(n)) => (
                                Need::Days((n - 1).max(0)),
                                format!("a window over the last {n} days"),
                                scoped,
                            ),
                            _ => (
                                Need::All("a window over something not a claim date".into()),
                                "a window over something not a claim date".into(),
                                scoped,
                            ),
                        }
                    }
                    // At most N calendar months before the claim's day: 31 days each.
                    WindowRange::LastMonths { over, months } => {
                        match (self.claim_date(over, Var::Row), self.days(months)) {
                            (Some(_), Some(n)) => (
                                Need::Days(31 * n.max(1)),
                                format!("a window over the last {n} calendar months"),
                                scoped,
                            ),
                            _ => (
                                Need::All("a window over something not a claim date".into()),
                                "a window over something not a claim date".into(),
                                scoped,
                            ),
                        }
                    }
                    WindowRange::Running { .. } | WindowRange::LastRows { .. } => {
                        (keyed, why, scoped)
                    }
                }
            }
            Form::Sequence { keys, order } => {
                let (keyed, why, scoped) = self.by_keys(keys, Var::Row, "sequence");
                if keyed == Need::Nothing {
                    return (keyed, why, scoped);
                }
                let Some(first) = order.first().and_then(|o| self.order_column(o)) else {
                    let why = "a sequence not ordered by a required claim date".to_string();
                    return (Need::All(why.clone()), why, scoped);
                };
                if !orders.contains(&first) {
                    orders.push(first);
                }
                // `lag` and `rank` read further back than `prev`'s dates bound.
                let reads_back = rule.exprs().iter().any(|e| {
                    let mut found = false;
                    e.walk(&mut |x| {
                        found |= matches!(x.kind, TExprKind::Lag { .. } | TExprKind::Rank);
                    });
                    found
                });
                if reads_back {
                    return (keyed, why, scoped);
                }
                match (&keyed, self.bound(&rule.condition, Var::Prev)) {
                    (Need::Days(0), _) => (keyed, why, scoped),
                    (_, Some(n)) => (
                        Need::Days(n),
                        format!("the condition needs `prev` at most {n} days before"),
                        scoped,
                    ),
                    _ => (keyed, why, scoped),
                }
            }
            Form::Pair { table, keys, .. } => {
                if self.shape.part_of(table).is_none() {
                    return (
                        Need::Nothing,
                        "its partners are not a claim's rows".into(),
                        true,
                    );
                }
                let same = |f: &dyn Fn(&TExpr, Var) -> bool| {
                    keys.iter()
                        .any(|(a, b)| f(a, Var::Row) && f(b, Var::Partner))
                };
                if same(&|e, v| self.is_claim_id(e, v)) {
                    return (Need::Nothing, "pairs within the claim".into(), true);
                }
                let scoped = same(&|e, v| self.is_patient(e, v));
                if keys.iter().any(|(a, b)| {
                    self.claim_date(a, Var::Row).is_some()
                        && self.claim_date(b, Var::Partner).is_some()
                }) {
                    return (Need::Days(0), "pairs on the same day".into(), scoped);
                }
                match self.bound(&rule.condition, Var::Partner) {
                    Some(n) => (
                        Need::Days(n),
                        format!("the condition needs the partner's date at most {n} days before"),
                        scoped,
                    ),
                    None => {
                        let why = "a pair whose condition bounds no partner date".to_string();
                        (Need::All(why.clone()), why, scoped)
                    }
                }
            }
            Form::Population { .. } => {
                let why = "a population rule that is not batch-only".to_string();
                (Need::All(why.clone()), why, false)
            }
        }
    }

    /// The need of rows sharing `keys` with the checked claim's rows.
    fn by_keys(&self, keys: &[TExpr], var: Var, form: &str) -> (Need, String, bool) {
        if keys.iter().any(|k| self.is_claim_id(k, var)) {
            return (Need::Nothing, format!("a {form} within the claim"), true);
        }
        let scoped = keys.iter().any(|k| self.is_patient(k, var));
        if keys.iter().any(|k| self.claim_date(k, var).is_some()) {
            return (
                Need::Days(0),
                format!("a {form} keyed by a claim date"),
                scoped,
            );
        }
        let year = keys.iter().any(|k| {
            // A month lies within its year: the year's rows hold the month's.
            matches!(&k.kind, TExprKind::Call { func: Func::Year | Func::YearStart | Func::MonthStart, args }
                if args.len() == 1 && self.claim_date(&args[0], var).is_some())
        });
        if year {
            return (
                Need::Year,
                format!("a {form} keyed by the year of a claim date"),
                scoped,
            );
        }
        let why = format!("a {form} with no date among its keys");
        (Need::All(why.clone()), why, scoped)
    }

    /// The column `expr` reads, when it is a column of a claim's row reached
    /// from `var` through the claim's tables only: (part, column index).
    fn claim_column(&self, expr: &TExpr, var: Var) -> Option<(Part, usize)> {
        let TExprKind::Column {
            var: v,
            path,
            column,
        } = &expr.kind
        else {
            return None;
        };
        if *v != var {
            return None;
        }
        let start = match var {
            Var::Partner => match &self.rule.form {
                Form::Pair { table, .. } => table.as_str(),
                Form::Row
                | Form::Group { .. }
                | Form::Window { .. }
                | Form::Sequence { .. }
                | Form::Population { .. } => return None,
            },
            _ => self.rule.table.as_str(),
        };
        self.shape.part_of(start)?;
        let mut part = None;
        for step in path {
            part = Some(self.shape.part_of(&step.table)?);
        }
        let part = part.unwrap_or(self.shape.part_of(start)?);
        let table = self.shape.table(part)?;
        Some((part, table.column_index(column)?))
    }

    fn claim_date(&self, expr: &TExpr, var: Var) -> Option<(Part, usize)> {
        let (part, column) = self.claim_column(expr, var)?;
        let ty = &self.shape.table(part)?.columns[column].ty;
        matches!(ty, ColumnType::Date | ColumnType::Timestamp).then_some((part, column))
    }

    fn order_column(&self, expr: &TExpr) -> Option<OrderColumn> {
        let (part, column) = self.claim_date(expr, Var::Row)?;
        let nullable = self.shape.table(part)?.columns[column].nullable;
        (!nullable).then_some(OrderColumn { part, column })
    }

    fn is_patient(&self, expr: &TExpr, var: Var) -> bool {
        self.claim_column(expr, var) == Some((Part::Header, self.shape.patient_id))
    }

    fn is_claim_id(&self, expr: &TExpr, var: Var) -> bool {
        let found = self.claim_column(expr, var);
        found == Some((Part::Header, self.shape.claim_id))
            || (found.is_some()
                && found == self.shape.lines.as_ref().map(|l| (Part::Lines, l.claim_fk)))
    }

    /// A number of days written as a constant or a parameter.
    fn days(&self, expr: &TExpr) -> Option<i64> {
        match &expr.kind {
            TExprKind::Const(Value::Int(n)) => Some(*n),
            TExprKind::Param(name) => match &self.ruleset.param(name)?.value {
                ParamValue::Scalar(Value::Int(n)) => Some(*n),
                _ => None,
            },
            TExprKind::Neg(inner) => self.days(inner).map(|n| -n),
            _ => None,
        }
    }

    /// `n` such that, when `cond` holds, the `other` row's claim date is at
    /// least the row's claim date minus `n` days; `None` when no such bound
    /// can be read.
    fn bound(&self, cond: &TExpr, other: Var) -> Option<i64> {
        match &cond.kind {
            TExprKind::And(a, b) => match (self.bound(a, other), self.bound(b, other)) {
                (Some(x), Some(y)) => Some(x.min(y)),
                (x, y) => x.or(y),
            },
            TExprKind::Or(a, b) => Some(self.bound(a, other)?.max(self.bound(b, other)?)),
            TExprKind::Let(i) => self.bound(&self.rule.lets.get(*i)?.expr, other),
            TExprKind::Compare { op, left, right } => {
                let diff = self.linear(left, other)?.minus(self.linear(right, other)?);
                diff.bound(*op)
            }
            TExprKind::Between { expr, low, high } => {
                let e = self.linear(expr, other)?;
                let lo = e.minus(self.linear(low, other)?).bound(CompareOp::Ge);
                let hi = e.minus(self.linear(high, other)?).bound(CompareOp::Le);
                match (lo, hi) {
                    (Some(x), Some(y)) => Some(x.min(y)),
                    (x, y) => x.or(y),
                }
            }
            _ => None,
        }
    }

    /// `expr` as `row·R + other·O + days`, R and O claim dates of the row
    /// and of the other row.
    fn linear(&self, expr: &TExpr, other: Var) -> Option<Linear> {
        if let TExprKind::Let(i) = &expr.kind {
            return self.linear(&self.rule.lets.get(*i)?.expr, other);
        }
        let is_date = |var| self.claim_date(expr, var).is_some() && expr.ty == Type::Date;
        if is_date(Var::Row) {
            return Some(Linear {
                row: 1,
                other: 0,
                days: 0,
            });
        }
        if is_date(other) {
            return Some(Linear {
                row: 0,
                other: 1,
                days: 0,
            });
        }
        match &expr.kind {
            TExprKind::Arith {
                op: ArithOp::Add,
                left,
                right,
            } => Some(self.linear(left, other)?.plus(self.linear(right, other)?)),
            TExprKind::Arith {
                op: ArithOp::Sub,
                left,
                right,
            } => Some(self.linear(left, other)?.minus(self.linear(right, other)?)),
            _ => Some(Linear {
                row: 0,
                other: 0,
                days: self.days(expr)?,
            }),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Linear {
    row: i64,
    other: i64,
    days: i64,
}

impl Linear {
    fn plus(self, o: Linear) -> Linear {
        Linear {
            row: self.row + o.row,
            other: self.other + o.other,
            days: self.days + o.days,
        }
    }

    fn minus(self, o: Linear) -> Linear {
        Linear {
            row: self.row - o.row,
            other: self.other - o.other,
            days: self.days - o.days,
        }
    }

    /// From `self op 0`, the `n` with O >= R - n, if it follows.
    fn bound(self, op: CompareOp) -> Option<i64> {
        let n = match (self.other, self.row, op) {
            // O - R + k >= 0  =>  O >= R - k
            (1, -1, CompareOp::Ge | CompareOp::Gt | CompareOp::Eq) => self.days,
            // R - O + k <= 0  =>  O >= R + k
            (-1, 1, CompareOp::Le | CompareOp::Lt | CompareOp::Eq) => -self.days,
            _ => return None,
        };
        Some(n.max(0))
    }
}
