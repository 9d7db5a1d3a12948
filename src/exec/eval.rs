//! Evaluating typed expressions over a run of rows, one operator at a time
//! over whole columns.

use std::cell::RefCell;
use std::rc::Rc;

use chrono::{Datelike, Timelike};
use rust_decimal::Decimal;

use super::col::{Col, Scalar, Tri};
use super::env::{Env, FastMap, column_values, scalar_of};
use super::tables::NO_ROW;
use crate::ir::text::days_to_date;
use crate::ir::{ArithOp, CompareOp, Func, ParamValue, Step, TExpr, TExprKind, Var};

/// Rows reached along a path, one per row of a context (`None`: no row).
type Reached = Rc<Vec<Option<u32>>>;

/// Which rows an expression is evaluated for: for each of `n` rows, the
/// row of each variable, and the values already computed for it.
pub struct Ctx<'a> {
    pub env: &'a Env<'a>,
    pub n: usize,
    /// Rows of the rule's table (`line`).
    pub row: (&'a str, Vec<Option<u32>>),
    pub partner: Option<(&'a str, Vec<Option<u32>>)>,
    /// Rows of a knowledge table a pair matched (`match x in ...`).
    pub known: Option<(&'a str, Vec<Option<u32>>)>,
    pub prev: Option<Vec<Option<u32>>>,
    /// A sequence rule's `lag(value, n)`: for each `n`, the row `n` before
    /// each row of its key.
    pub lags: Vec<(u32, Vec<Option<u32>>)>,
    /// A sequence rule's `rank()` of each row.
    pub ranks: Option<Vec<Option<i64>>>,
    pub entity: Option<(&'a str, Vec<Option<u32>>)>,
    /// Elements bound by enclosing `any`/`all`, innermost last.
    pub items: Vec<Col<'a>>,
    pub lets: Vec<Col<'a>>,
    /// Lets past `lets` (a row rule's), evaluated when first used, for the
    /// rows that need them: a rule's condition often decides most rows
    /// before a let is read.
    pub lazy_lets: Vec<&'a TExpr>,
    lazy_values: RefCell<Vec<Option<Col<'a>>>>,
    pub aggregates: Vec<Col<'a>>,
    /// (statistic, fraction) -> the quantile for each row.
    pub quantiles: Vec<(usize, Decimal, Col<'a>)>,
    /// Rows already reached through relations, by (variable, path): the
    /// columns of one related row (`line.entry.*`) share one navigation.
    cache: Rc<RefCell<FastMap<String, (&'a str, Reached)>>>,
}

impl<'a> Ctx<'a> {
    pub fn new(env: &'a Env<'a>, table: &'a str, rows: Vec<Option<u32>>) -> Ctx<'a> {
        Ctx {
            env,
            n: rows.len(),
            row: (table, rows),
            partner: None,
            known: None,
            prev: None,
            lags: Vec::new(),
            ranks: None,
            entity: None,
            items: Vec::new(),
            lets: Vec::new(),
            lazy_lets: Vec::new(),
            lazy_values: RefCell::new(Vec::new()),
            aggregates: Vec::new(),
            quantiles: Vec::new(),
            cache: Rc::new(RefCell::new(FastMap::default())),
        }
    }

    /// A context over rows of a pair rule's partner table only (its `where`).
    pub fn for_partners(
        env: &'a Env<'a>,
        table: &'a str,
        partner_table: &'a str,
        partners: Vec<Option<u32>>,
    ) -> Ctx<'a> {
        let mut ctx = Ctx::new(env, table, vec![None; partners.len()]);
        ctx.partner = Some((partner_table, partners));
        ctx
    }

    /// A fresh context for another rule over the same rows, sharing the
    /// columns already read (so a column several rules use is read once).
    pub fn sibling(&self) -> Ctx<'a> {
        Ctx {
            env: self.env,
            n: self.n,
            row: self.row.clone(),
            partner: None,
            known: None,
            prev: None,
            lags: Vec::new(),
            ranks: None,
            entity: None,
            items: Vec::new(),
            lets: Vec::new(),
            lazy_lets: Vec::new(),
            lazy_values: RefCell::new(Vec::new()),
            aggregates: Vec::new(),
            quantiles: Vec::new(),
            cache: Rc::clone(&self.cache),
        }
    }

    /// The same context for other rows: row `i` of the result is row
    /// `parents[i]` of this one.
    pub fn expand(&self, parents: &[u32]) -> Ctx<'a> {
        let pick = |v: &[Option<u32>]| parents.iter().map(|p| v[*p as usize]).collect::<Vec<_>>();
        let take = |c: &Col<'a>| c.take(&parents.iter().map(|p| Some(*p)).collect::<Vec<_>>());
        Ctx {
            env: self.env,
            n: parents.len(),
            row: (self.row.0, pick(&self.row.1)),
            partner: self.partner.as_ref().map(|(t, v)| (*t, pick(v))),
            known: self.known.as_ref().map(|(t, v)| (*t, pick(v))),
            prev: self.prev.as_ref().map(|v| pick(v)),
            lags: self.lags.iter().map(|(n, v)| (*n, pick(v))).collect(),
            ranks: self
                .ranks
                .as_ref()
                .map(|v| parents.iter().map(|p| v[*p as usize]).collect()),
            entity: self.entity.as_ref().map(|(t, v)| (*t, pick(v))),
            items: self.items.iter().map(take).collect(),
            lets: self.lets.iter().map(take).collect(),
            // Lazy lets are evaluated afresh for the new rows when used.
            lazy_lets: self.lazy_lets.clone(),
            lazy_values: RefCell::new(Vec::new()),
            aggregates: self.aggregates.iter().map(take).collect(),
            quantiles: self
                .quantiles
                .iter()
                .map(|(s, p, c)| (*s, *p, take(c)))
                .collect(),
            cache: Rc::new(RefCell::new(FastMap::default())),
        }
    }

    fn var_rows(&self, var: Var) -> (&'a str, &[Option<u32>]) {
        match var {
            Var::Row => (self.row.0, &self.row.1),
            Var::Partner => self
                .partner
                .as_ref()
                .map(|(t, v)| (*t, v.as_slice()))
                .expect("pair rules bind the partner"),
            Var::Known => self
                .known
                .as_ref()
                .map(|(t, v)| (*t, v.as_slice()))
                .expect("`match` binds the knowledge row"),
            Var::Prev => (
                self.row.0,
                self.prev.as_deref().expect("sequence rules bind prev"),
            ),
            Var::Entity => self
                .entity
                .as_ref()
                .map(|(t, v)| (*t, v.as_slice()))
                .expect("population rules bind the entity"),
        }
    }

    /// The rows reached from `var` through `path`, and the table they are in.
    pub fn navigate(&self, var: Var, path: &[Step]) -> (&'a str, Vec<Option<u32>>) {
        let (mut table, rows) = self.var_rows(var);
        let mut rows = rows.to_vec();
        for step in path {
            let lookup = self
                .env
                .lookups
                .get(&(table.to_string(), step.relation.clone()))
                .expect("the plan builds every lookup a rule follows");
            for r in rows.iter_mut() {
                *r = r.and_then(|i| Some(lookup[i as usize]).filter(|t| *t != NO_ROW));
            }
            table = self
                .env
                .schema
                .table(&step.table)
                .map(|t| t.name.as_str())
                .unwrap_or(table);
        }
        (table, rows)
    }

    /// The rows reached from `var` through `path` (navigated once per
    /// context and path), and their table.
    fn reached(&self, var: Var, path: &[Step]) -> (&'a str, Reached) {
        let key = format!(
            "{var:?}/{}",
            path.iter()
                .map(|s| s.relation.as_str())
                .collect::<Vec<_>>()
                .join(".")
        );
        if let Some((table, rows)) = self.cache.borrow().get(&key) {
            return (table, Rc::clone(rows));
        }
        let (table, rows) = self.navigate(var, path);
        let rows = Rc::new(rows);
        self.cache
            .borrow_mut()
            .insert(key, (table, Rc::clone(&rows)));
        (table, rows)
    }

    /// `read` applied to the array of `column` in the table `var` and
    /// `path` lead to, and the row of it for each row (`None`: no related
    /// row). The rule's own rows are not copied.
    pub(super) fn with_column_rows<R>(
        &self,
        var: Var,
        path: &[Step],
        column: &str,
        read: impl FnOnce(&'a arrow::array::ArrayRef, &[Option<u32>]) -> R,
    ) -> R {
        let env: &'a Env<'a> = self.env;
        let array = |table: &str| {
            env.frame(table)
                .column(column)
                .expect("the plan loads every column a rule reads")
        };
        if path.is_empty() {
            let (table, rows) = self.var_rows(var);
            read(array(table), rows)
        } else {
            let (table, rows) = self.reached(var, path);
            read(array(table), &rows)
        }
    }

    fn column(&self, var: Var, path: &[Step], column: &str) -> Col<'a> {
        self.with_column_rows(var, path, column, column_values)
    }

    fn constant(&self, value: Scalar<'a>, like: &Col<'a>) -> Col<'a> {
        Col::repeat(value, like, self.n)
    }

    /// The value of `e` when it is a constant or a scalar parameter: the
    /// same for every row.
    pub(super) fn constant_value(&self, e: &'a TExpr) -> Option<Scalar<'a>> {
        match &e.kind {
            TExprKind::Const(value) => Some(scalar_of(value)),
            TExprKind::Param(name) => match self.env.params.get(name.as_str()) {
                Some(ParamValue::Scalar(v)) => Some(scalar_of(v)),
                _ => None,
            },
            _ => None,
        }
    }

    pub fn eval(&self, e: &'a TExpr) -> Col<'a> {
        let n = self.n;
        match &e.kind {
            TExprKind::Const(value) => self.constant(scalar_of(value), &like_type(e)),
            TExprKind::Column { var, path, column } => self.column(*var, path, column),
            TExprKind::Related { var, path } => Col::Row(self.navigate(*var, path).1),
            TExprKind::Item(depth) => self.items[*depth as usize].clone(),
            TExprKind::Lag { value, rows } => {
                let (_, before) = self
                    .lags
                    .iter()
                    .find(|(n, _)| n == rows)
                    .expect("sequence rules find the rows each `lag` reads");
                Ctx::new(self.env, self.row.0, before.clone()).eval(value)
            }
            TExprKind::Rank => {
                Col::Int(self.ranks.clone().expect("sequence rules rank their rows"))
            }
            TExprKind::Param(name) => match self.env.params.get(name.as_str()) {
                Some(ParamValue::Scalar(v)) => self.constant(scalar_of(v), &like_type(e)),
                _ => like_type(e).nulls(n),
            },
            TExprKind::MapParam { param, key } => {
                let keys = self.eval(key);
                let Some(ParamValue::Map(entries)) = self.env.params.get(param.as_str()) else {
                    return like_type(e).nulls(n);
                };
                let values: Vec<Option<&'a crate::ir::Value>> = (0..n)
                    .map(|i| match keys.get(i) {
                        Scalar::Text(k) => entries.iter().find(|(ek, _)| ek == k).map(|(_, v)| v),
                        _ => None,
                    })
                    .collect();
                from_scalars(
                    &like_type(e),
                    values.iter().map(|v| v.map_or(Scalar::Null, scalar_of)),
                )
            }
            TExprKind::Let(i) => match self.lets.get(*i) {
                Some(value) => value.clone(),
                None => self.lazy_let(*i - self.lets.len()),
            },
            TExprKind::Aggregate(i) => self.aggregates[*i].clone(),
            TExprKind::Quantile { stat, p } => {
                if n == 0 {
                    return like_type(e);
                }
                let p = match self.eval(p).get(0) {
                    Scalar::Dec(d) => d,
                    Scalar::Int(i) => Decimal::from(i),
                    _ => return like_type(e).nulls(n),
                };
                self.quantiles
                    .iter()
                    .find(|(s, q, _)| s == stat && *q == p)
                    .map(|(_, _, c)| c.clone())
                    .unwrap_or_else(|| like_type(e).nulls(n))
            }
            TExprKind::Not(inner) => {
                Col::Bool(self.eval(inner).bools().iter().map(|t| t.not()).collect())
            }
            TExprKind::Neg(inner) => match self.eval(inner) {
                Col::Int(v) => Col::Int(
                    v.into_iter()
                        .map(|x| x.and_then(i64::checked_neg))
                        .collect(),
                ),
                Col::Dec(v) => Col::Dec(v.into_iter().map(|x| x.map(|d| -d)).collect()),
                Col::Float(v) => Col::Float(v.into_iter().map(|x| x.map(|f| -f + 0.0)).collect()),
                other => other,
            },
            TExprKind::And(a, b) => self.short_circuit(self.eval(a), b, Tri::False, Tri::and),
            TExprKind::Or(a, b) => self.short_circuit(self.eval(a), b, Tri::True, Tri::or),
            TExprKind::Compare { op, left, right } => {
                if let Some(tests) = self.on_dictionary(e) {
                    return tests;
                }
                // A constant side is one value, not a column of copies.
                if let Some(value) = self.constant_value(right) {
                    return compare_with(&self.eval(left), value, *op, Side::Right);
                }
                if let Some(value) = self.constant_value(left) {
                    return compare_with(&self.eval(right), value, *op, Side::Left);
                }
                let (l, r) = (self.eval(left), self.eval(right));
                compare(&l, &r, *op)
            }
            TExprKind::Arith { op, left, right } => {
                let (l, r) = (self.eval(left), self.eval(right));
                arithmetic(&l, &r, *op)
            }
            TExprKind::StartsWith(text, prefix) => {
                let (t, p) = (self.eval(text), self.eval(prefix));
                Col::Bool(
                    (0..n)
                        .map(|i| match (t.get(i), p.get(i)) {
                            (Scalar::Text(a), Scalar::Text(b)) => {
                                Tri::from_option(Some(a.starts_with(b)))
                            }
                            _ => Tri::Null,
                        })
                        .collect(),
                )
            }
            TExprKind::Matches { text, pattern } => {
                let t = self.eval(text);
                let re = &self.env.consts.patterns[pattern.as_str()];
                Col::Bool(
                    (0..n)
                        .map(|i| match t.get(i) {
                            Scalar::Text(a) => Tri::from_option(Some(re.is_match(a))),
                            _ => Tri::Null,
                        })
                        .collect(),
                )
            }
            TExprKind::Between { expr, low, high } => {
                let (x, lo, hi) = (self.eval(expr), self.eval(low), self.eval(high));
                let above = compare(&x, &lo, CompareOp::Ge);
                let below = compare(&x, &hi, CompareOp::Le);
                Col::Bool(
                    above
                        .bools()
                        .iter()
                        .zip(below.bools())
                        .map(|(a, b)| a.and(*b))
                        .collect(),
                )
            }
            TExprKind::InList { expr, items } => {
                if let Some(tests) = self.on_dictionary(e) {
                    return tests;
                }
                let x = self.eval(expr);
                let items: Vec<Col<'a>> = items.iter().map(|i| self.eval(i)).collect();
                in_list(&x, &items)
            }
            TExprKind::InSet { expr, set } => {
                if let Some(tests) = self.on_dictionary(e) {
                    return tests;
                }
                let x = self.eval(expr);
                in_set(&x, &self.env.consts.sets[set.as_str()])
            }
            TExprKind::InArray { expr, list } => {
                let (x, list) = (self.eval(expr), self.eval(list));
                let Col::List(list) = list else {
                    unreachable!("`in` a list column")
                };
                Col::Bool(
                    (0..n)
                        .map(|i| {
                            if !list.valid[i] {
                                return Tri::Null;
                            }
                            let range = list.range(i);
                            if range.is_empty() {
                                return Tri::False;
                            }
                            membership(x.get(i), range.map(|e| list.values.get(e)))
                        })
                        .collect(),
                )
            }
            // A column's nulls are its validity: no need to read its values.
            TExprKind::IsNull(inner)
                if let TExprKind::Column { var, path, column } = &inner.kind =>
            {
                self.with_column_rows(*var, path, column, |array, rows| {
                    let nulls = array.nulls();
                    Col::Bool(
                        rows.iter()
                            .map(|r| {
                                Tri::from_option(Some(
                                    r.is_none_or(|r| nulls.is_some_and(|n| n.is_null(r as usize))),
                                ))
                            })
                            .collect(),
                    )
                })
            }
            TExprKind::IsNull(inner) => {
                let v = self.eval(inner);
                Col::Bool(
                    (0..n)
                        .map(|i| Tri::from_option(Some(v.is_null(i))))
                        .collect(),
                )
            }
            TExprKind::Call { func, args } => self.call(*func, args, &e.ty),
            TExprKind::Quantifier {
                all, list, body, ..
            } => {
                let Col::List(list) = self.eval(list) else {
                    unreachable!("any/all over a list")
                };
                let mut parents = Vec::new();
                for row in 0..n {
                    parents.extend(list.range(row).map(|_| row as u32));
                }
                let mut inner = self.expand(&parents);
                inner.items.push(*list.values.clone());
                let results = inner.eval(body);
                let results = results.bools();
                Col::Bool(
                    (0..n)
                        .map(|row| {
                            let mut acc = if *all { Tri::True } else { Tri::False };
                            for e in list.range(row) {
                                acc = if *all {
                                    acc.and(results[e])
                                } else {
                                    acc.or(results[e])
                                };
                            }
                            acc
                        })
                        .collect(),
                )
            }
        }
    }

    /// The value of lazy let `i`, computed on first use.
    fn lazy_let(&self, i: usize) -> Col<'a> {
        if let Some(Some(value)) = self.lazy_values.borrow().get(i) {
            return value.clone();
        }
        // Evaluated with no borrow held: a let may read earlier lets.
        let value = self.eval(self.lazy_lets[i]);
        let mut values = self.lazy_values.borrow_mut();
        if values.len() <= i {
            values.resize(i + 1, None);
        }
        values[i] = Some(value.clone());
        value
    }

    /// `left op right`, where `left` equal to `decided` decides a row alone
    /// (false for `and`, true for `or`): `right` is evaluated only for the
    /// other rows. Restriction columns are mostly null, so most conditions
    /// are decided by their first test and the rest is never computed.
    fn short_circuit(
        &self,
        left: Col<'a>,
        right: &'a TExpr,
        decided: Tri,
        op: fn(Tri, Tri) -> Tri,
    ) -> Col<'a> {
        let left = left.bools();
        let open: Vec<u32> = (0..self.n as u32)
            .filter(|&i| left[i as usize] != decided)
            .collect();
        // Narrowing copies the rows: not worth it when few rows are decided.
        if open.len() * 4 >= self.n * 3 {
            let right = self.eval(right);
            return Col::Bool(
                left.iter()
                    .zip(right.bools())
                    .map(|(x, y)| op(*x, *y))
                    .collect(),
            );
        }
        let mut out = left.to_vec();
        if open.is_empty() {
            return Col::Bool(out);
        }
        let right = self.expand(&open).eval(right);
        for (&i, y) in open.iter().zip(right.bools()) {
            out[i as usize] = op(out[i as usize], *y);
        }
        Col::Bool(out)
    }

    fn call(&self, func: Func, args: &'a [TExpr], ty: &crate::ir::Type) -> Col<'a> {
        if let Some(values) = self.call_function(func, args, ty) {
            return values;
        }
        let n = self.n;
        let values: Vec<Col<'a>> = args.iter().map(|a| self.eval(a)).collect();
        match func {
            Func::Age => Col::Int(
                (0..n)
                    .map(|i| match (values[0].get(i), values[1].get(i)) {
                        (Scalar::Date(born), Scalar::Date(on)) => age(born, on),
                        _ => None,
                    })
                    .collect(),
            ),
            Func::Year | Func::Month | Func::Day => Col::Int(
                (0..n)
                    .map(|i| {
                        let date = match values[0].get(i) {
                            Scalar::Date(d) => days_to_date(d),
                            Scalar::Ts(t) => {
                                chrono::DateTime::from_timestamp_millis(t).map(|t| t.date_naive())
                            }
                            _ => None,
                        }?;
                        Some(match func {
                            Func::Year => date.year() as i64,
                            Func::Month => date.month() as i64,
                            _ => date.day() as i64,
                        })
                    })
                    .collect(),
            ),
            Func::Hour => Col::Int(
                (0..n)
                    .map(|i| match values[0].get(i) {
                        Scalar::Ts(t) => chrono::DateTime::from_timestamp_millis(t)
                            .map(|t| t.naive_utc().hour() as i64),
                        _ => None,
                    })
                    .collect(),
            ),
            Func::Prefix => {
                let (Col::Text(texts), Col::Int(lengths)) = (&values[0], &values[1]) else {
                    unreachable!("prefix(text, int)")
                };
                Col::Text(
                    texts
                        .iter()
                        .zip(lengths)
                        .map(|(t, k)| {
                            let (t, k) = ((*t)?, (*k)?.max(0) as usize);
                            let end = t.char_indices().nth(k).map_or(t.len(), |(b, _)| b);
                            Some(&t[..end])
                        })
                        .collect(),
                )
            }
            Func::Length => Col::Int(
                (0..n)
                    .map(|i| match values[0].get(i) {
                        Scalar::Text(t) => Some(t.chars().count() as i64),
                        Scalar::List(l, row) => Some(l.range(row).len() as i64),
                        _ => None,
                    })
                    .collect(),
            ),
            Func::Coalesce => {
                let mut out = values[0].clone();
                for next in &values[1..] {
                    out = coalesce(&out, next);
                }
                out
            }
            _ => unreachable!("`call_function` evaluates the other functions"),
        }
    }
}

/// `x in (items...)`, row by row.
pub(super) fn in_list<'a>(x: &Col<'a>, items: &[Col<'a>]) -> Col<'a> {
    Col::Bool(
        (0..x.len())
            .map(|i| membership(x.get(i), items.iter().map(|item| item.get(i))))
            .collect(),
    )
}

/// Whether `value` is one of `candidates`, in three-valued logic: null when
/// `value` is null, or when it is none of them but one of them is null.
fn membership<'a>(value: Scalar<'a>, candidates: impl Iterator<Item = Scalar<'a>>) -> Tri {
    if value.is_null() {
        return Tri::Null;
    }
    let mut result = Tri::False;
    for candidate in candidates {
        if candidate.is_null() {
            result = Tri::Null;
        } else if value.same(&candidate) {
            return Tri::True;
        }
    }
    result
}

/// `x in set`, row by row.
pub(super) fn in_set<'a>(x: &Col<'a>, set: &super::env::ValueSet<'_>) -> Col<'a> {
    Col::Bool(
        (0..x.len())
            .map(|i| match x.get(i) {
                Scalar::Null => Tri::Null,
                v => Tri::from_option(Some(set.contains(&v))),
            })
            .collect(),
    )
}

/// A column of the expression's type, for building nulls and constants.
pub(super) fn like_type<'a>(e: &TExpr) -> Col<'a> {
    use crate::ir::Type;
    match &e.ty {
        Type::Bool => Col::Bool(Vec::new()),
        Type::Int | Type::Days => Col::Int(Vec::new()),
        Type::Decimal => Col::Dec(Vec::new()),
        Type::Float => Col::Float(Vec::new()),
        Type::Text | Type::Enum(_) => Col::Text(Vec::new()),
        Type::Date => Col::Date(Vec::new()),
        Type::Timestamp => Col::Ts(Vec::new()),
        Type::Row(_) => Col::Row(Vec::new()),
        Type::List(_) | Type::Unknown => Col::List(super::col::ListCol {
            offsets: vec![0],
            valid: Vec::new(),
            values: Box::new(Col::Text(Vec::new())),
        }),
    }
}

fn from_scalars<'a>(like: &Col<'a>, values: impl Iterator<Item = Scalar<'a>>) -> Col<'a> {
    let values: Vec<Scalar<'a>> = values.collect();
    match like {
        Col::Int(_) => Col::Int(
            values
                .iter()
                .map(|v| {
                    if let Scalar::Int(i) = v {
                        Some(*i)
                    } else {
                        None
                    }
                })
                .collect(),
        ),
        Col::Dec(_) => Col::Dec(
            values
                .iter()
                .map(|v| match v {
                    Scalar::Dec(d) => Some(*d),
                    Scalar::Int(i) => Some(Decimal::from(*i)),
                    _ => None,
                })
                .collect(),
        ),
        Col::Float(_) => Col::Float(values.iter().map(Scalar::as_float).collect()),
        Col::Text(_) => Col::Text(
            values
                .iter()
                .map(|v| {
                    if let Scalar::Text(t) = v {
                        Some(*t)
                    } else {
                        None
                    }
                })
                .collect(),
        ),
        Col::Date(_) => Col::Date(
            values
                .iter()
                .map(|v| {
                    if let Scalar::Date(d) = v {
                        Some(*d)
                    } else {
                        None
                    }
                })
                .collect(),
        ),
        Col::Ts(_) => Col::Ts(
            values
                .iter()
                .map(|v| {
                    if let Scalar::Ts(t) = v {
                        Some(*t)
                    } else {
                        None
                    }
                })
                .collect(),
        ),
        Col::Bool(_) => Col::Bool(
            values
                .iter()
                .map(|v| {
                    if let Scalar::Bool(b) = v {
                        Tri::from_option(Some(*b))
                    } else {
                        Tri::Null
                    }
                })
                .collect(),
        ),
        _ => like.nulls(values.len()),
    }
}

/// Age in full years on `on` of someone born on `born` (days since 1970).
pub fn age(born: i32, on: i32) -> Option<i64> {
    let (b, o) = (days_to_date(born)?, days_to_date(on)?);
    let before_birthday = (o.month(), o.day()) < (b.month(), b.day());
    Some(o.year() as i64 - b.year() as i64 - i64::from(before_birthday))
}

pub fn compare<'a>(l: &Col<'a>, r: &Col<'a>, op: CompareOp) -> Col<'a> {
    let n = l.len();
    let holds = |ord: std::cmp::Ordering| Tri::from_option(Some(op.holds(ord)));
    let out = match (l, r) {
        (Col::Int(a), Col::Int(b)) => a
            .iter()
            .zip(b)
            .map(|(x, y)| match (x, y) {
                (Some(x), Some(y)) => holds(x.cmp(y)),
                _ => Tri::Null,
            })
            .collect(),
        (Col::Dec(a), Col::Dec(b)) => a
            .iter()
            .zip(b)
            .map(|(x, y)| match (x, y) {
                (Some(x), Some(y)) => holds(x.cmp(y)),
                _ => Tri::Null,
            })
            .collect(),
        (Col::Date(a), Col::Date(b)) => a
            .iter()
            .zip(b)
            .map(|(x, y)| match (x, y) {
                (Some(x), Some(y)) => holds(x.cmp(y)),
                _ => Tri::Null,
            })
            .collect(),
        // Floats are finite, so they have an order.
        (Col::Float(a), Col::Float(b)) => a
            .iter()
            .zip(b)
            .map(|(x, y)| match (x, y) {
                (Some(x), Some(y)) => holds(x.partial_cmp(y).unwrap_or(std::cmp::Ordering::Equal)),
                _ => Tri::Null,
            })
            .collect(),
        (Col::Text(a), Col::Text(b)) => a
            .iter()
            .zip(b)
            .map(|(x, y)| match (x, y) {
                (Some(x), Some(y)) => holds(x.cmp(y)),
                _ => Tri::Null,
            })
            .collect(),
        _ => (0..n)
            .map(|i| compare_values(l.get(i), r.get(i), holds))
            .collect(),
    };
    Col::Bool(out)
}

/// Two values of any kinds compared: null when either is null.
fn compare_values(x: Scalar<'_>, y: Scalar<'_>, holds: impl Fn(std::cmp::Ordering) -> Tri) -> Tri {
    if x.is_null() || y.is_null() {
        Tri::Null
    } else {
        holds(x.compare(&y))
    }
}

/// Which side of a comparison the constant is on.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    Left,
    Right,
}

/// `compare` of `column` with a column holding `value` on every row, without
/// building that column.
pub(super) fn compare_with<'a>(
    column: &Col<'a>,
    value: Scalar<'a>,
    op: CompareOp,
    side: Side,
) -> Col<'a> {
    let holds = |ord: std::cmp::Ordering| {
        let ord = if side == Side::Left {
            ord.reverse()
        } else {
            ord
        };
        Tri::from_option(Some(op.holds(ord)))
    };
    fn each<T: Copy>(values: &[Option<T>], test: impl Fn(T) -> Tri) -> Vec<Tri> {
        values.iter().map(|x| x.map_or(Tri::Null, &test)).collect()
    }
    let out = match (column, value) {
        (Col::Int(a), Scalar::Int(y)) => each(a, |x| holds(x.cmp(&y))),
        (Col::Dec(a), Scalar::Dec(y)) => each(a, |x| holds(x.cmp(&y))),
        (Col::Date(a), Scalar::Date(y)) => each(a, |x| holds(x.cmp(&y))),
        (Col::Text(a), Scalar::Text(y)) => each(a, |x| holds(x.cmp(y))),
        _ => (0..column.len())
            .map(|i| compare_values(column.get(i), value, holds))
            .collect(),
    };
    Col::Bool(out)
}

fn as_decimal(s: Scalar<'_>) -> Option<Decimal> {
    match s {
        Scalar::Int(i) => Some(Decimal::from(i)),
        Scalar::Dec(d) => Some(d),
        _ => None,
    }
}

pub fn arithmetic<'a>(l: &Col<'a>, r: &Col<'a>, op: ArithOp) -> Col<'a> {
    let n = l.len();
    match (l, r, op) {
        (Col::Int(a), Col::Int(b), ArithOp::Add | ArithOp::Sub | ArithOp::Mul) => Col::Int(
            a.iter()
                .zip(b)
                .map(|(x, y)| {
                    let (x, y) = ((*x)?, (*y)?);
                    match op {
                        ArithOp::Add => x.checked_add(y),
                        ArithOp::Sub => x.checked_sub(y),
                        _ => x.checked_mul(y),
                    }
                })
                .collect(),
        ),
        (Col::Date(a), Col::Date(b), ArithOp::Sub) => Col::Int(
            a.iter()
                .zip(b)
                .map(|(x, y)| Some((*x)? as i64 - (*y)? as i64))
                .collect(),
        ),
        (Col::Date(a), Col::Int(b), ArithOp::Add | ArithOp::Sub) => Col::Date(
            a.iter()
                .zip(b)
                .map(|(x, y)| {
                    let days = if op == ArithOp::Add { (*y)? } else { -(*y)? };
                    i32::try_from((*x)? as i64 + days).ok()
                })
                .collect(),
        ),
        (Col::Int(_), Col::Date(_), ArithOp::Add) => arithmetic(r, l, op),
        (Col::Float(_), _, _) | (_, Col::Float(_), _) => Col::Float(
            (0..n)
                .map(|i| {
                    let (x, y) = (l.get(i).as_float()?, r.get(i).as_float()?);
                    super::functions::finite(match op {
                        ArithOp::Add => x + y,
                        ArithOp::Sub => x - y,
                        ArithOp::Mul => x * y,
                        ArithOp::Div => x / y,
                    })
                })
                .collect(),
        ),
        _ => Col::Dec(
            (0..n)
                .map(|i| {
                    let (x, y) = (as_decimal(l.get(i))?, as_decimal(r.get(i))?);
                    match op {
                        ArithOp::Add => x.checked_add(y),
                        ArithOp::Sub => x.checked_sub(y),
                        ArithOp::Mul => x.checked_mul(y),
                        ArithOp::Div => x.checked_div(y),
                    }
                })
                .collect(),
        ),
    }
}

/// The first value that is not null, row by row.
fn coalesce<'a>(a: &Col<'a>, b: &Col<'a>) -> Col<'a> {
    let to_decimal = |c: &Col<'a>| match c {
        Col::Int(v) => Col::Dec(v.iter().map(|x| x.map(Decimal::from)).collect()),
        other => other.clone(),
    };
    let to_float = |c: &Col<'a>| Col::Float((0..c.len()).map(|i| c.get(i).as_float()).collect());
    let (a, b) = match (a, b) {
        (Col::Int(_), Col::Dec(_)) | (Col::Dec(_), Col::Int(_)) => (to_decimal(a), to_decimal(b)),
        (Col::Float(_), Col::Int(_) | Col::Dec(_)) | (Col::Int(_) | Col::Dec(_), Col::Float(_)) => {
            (to_float(a), to_float(b))
        }
        _ => (a.clone(), b.clone()),
    };
    let n = a.len();
    let both = a.concat(&b);
    let picks: Vec<Option<u32>> = (0..n)
        .map(|i| {
            Some(if a.is_null(i) {
                (n + i) as u32
            } else {
                i as u32
            })
        })
        .collect();
    both.take(&picks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::text::parse_date;

    #[test]
    fn age_counts_full_years_and_29_february() {
        let d = |s| parse_date(s).unwrap();
        assert_eq!(age(d("2008-02-29"), d("2023-02-28")), Some(14));
        assert_eq!(age(d("2008-02-29"), d("2023-03-01")), Some(15));
        assert_eq!(age(d("1964-06-01"), d("2024-05-31")), Some(59));
        assert_eq!(age(d("1964-06-01"), d("2024-06-01")), Some(60));
    }

    #[test]
    fn kleene_logic() {
        assert_eq!(Tri::False.and(Tri::Null), Tri::False);
        assert_eq!(Tri::True.or(Tri::Null), Tri::True);
        assert_eq!(Tri::True.and(Tri::Null), Tri::Null);
        assert_eq!(Tri::Null.not(), Tri::Null);
    }
}
