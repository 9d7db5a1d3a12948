//! A deliberately simple, row-at-a-time reference evaluator of the rule IR.
//!
//! This is the oracle the real (vectorized, parallel) executor is
//! property-tested against, so it is written for obviousness, not speed:
//! every lookup is a linear scan, every aggregate is recomputed for every
//! row that asks for it. It is written only from docs/language.md and the
//! IR's own documentation; where those leave room, the choice made is
//! marked with a `// reading:` comment.
//!
//! Data comes as plain rows (`Rows`): a column a row lacks, and a table the
//! data lacks, are null / empty.

#![allow(dead_code)]

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime};
use claimaudit::ir::text::days_to_date;
use claimaudit::ir::{
    AggFunc, Aggregate, ArithOp, CompareOp, FlagField, Form, Func, Grain, Known, MessagePart,
    ParamValue, Rule, RuleTest, Ruleset, Step, TExpr, TExprKind, Value, Var, WindowRange,
};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

// ======================================================================
// Input and output
// ======================================================================

/// One row: column name to value. A column the row lacks is null.
pub type Row = BTreeMap<String, Value>;

/// A dataset as plain rows, table by table (in the tables' row order).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rows {
    pub tables: BTreeMap<String, Vec<Row>>,
}

impl Rows {
    pub fn new() -> Rows {
        Rows::default()
    }

    /// The rows of `table` (none if the data lacks the table).
    pub fn table(&self, table: &str) -> &[Row] {
        self.tables.get(table).map_or(&[], |rows| rows.as_slice())
    }

    /// Appends a row given as (column, value) pairs.
    pub fn push(&mut self, table: &str, row: &[(&str, Value)]) {
        self.tables.entry(table.to_string()).or_default().push(
            row.iter()
                .map(|(column, value)| (column.to_string(), value.clone()))
                .collect(),
        );
    }
}

/// A flag the reference gives: the rule, the row's identity (from the
/// flagged table's `flags` binding) and the rendered message.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RefFlag {
    pub rule_id: String,
    pub claim_id: Option<String>,
    pub line_no: Option<i32>,
    pub provider_id: Option<String>,
    pub patient_id: Option<String>,
    pub message: String,
}

impl RefFlag {
    /// The value of one identifying field, as a `Value` (null when unknown).
    pub fn field(&self, field: FlagField) -> Value {
        let text = |s: &Option<String>| s.clone().map_or(Value::Null, Value::Text);
        match field {
            FlagField::ClaimId => text(&self.claim_id),
            FlagField::LineNo => self.line_no.map_or(Value::Null, |n| Value::Int(n as i64)),
            FlagField::PatientId => text(&self.patient_id),
            FlagField::ProviderId => text(&self.provider_id),
        }
    }
}

/// Evaluates every rule of `ruleset` over `data`. `params` override the
/// ruleset's parameters (as a rule test's `with` does). The flags are sorted
/// by (rule_id, claim_id, line_no, provider_id), nulls last.
pub fn evaluate(ruleset: &Ruleset, data: &Rows, params: &[(String, ParamValue)]) -> Vec<RefFlag> {
    let mut flags: Vec<RefFlag> = ruleset
        .rules
        .iter()
        .flat_map(|rule| evaluate_rule(ruleset, rule, data, params))
        .collect();
    sort_flags(&mut flags);
    flags
}

/// Evaluates one rule of `ruleset` (sorted like `evaluate`).
pub fn evaluate_rule(
    ruleset: &Ruleset,
    rule: &Rule,
    data: &Rows,
    params: &[(String, ParamValue)],
) -> Vec<RefFlag> {
    let mut merged: BTreeMap<&str, &ParamValue> = ruleset
        .params
        .iter()
        .map(|p| (p.name.as_str(), &p.value))
        .collect();
    for (name, value) in params {
        merged.insert(name.as_str(), value);
    }
    let engine = Engine {
        ruleset,
        rule,
        data,
        params: merged,
    };
    let mut flags = match &rule.form {
        Form::Row => engine.row_form(),
        Form::Group { keys } => engine.group_form(keys),
        Form::Window {
            keys,
            range: WindowRange::Last { over, days },
        } => engine.window_last_form(keys, over, days),
        Form::Window {
            keys,
            range: WindowRange::Running { order },
        } => engine.window_running_form(keys, order),
        Form::Window {
            keys,
            range: WindowRange::LastMonths { over, months },
        } => engine.window_months_form(keys, over, months),
        Form::Window {
            keys,
            range: WindowRange::LastRows { order, rows },
        } => engine.window_rows_form(keys, order, rows),
        Form::Sequence { keys, order } => engine.sequence_form(keys, order),
        Form::Pair {
            table,
            filter,
            keys,
            known,
            ..
        } => engine.pair_form(table, filter.as_ref(), keys, known.as_ref()),
        Form::Population {
            entity,
            entity_table,
            eligible,
            peers_by,
            min_peers,
            ..
        } => engine.population_form(
            entity,
            entity_table,
            eligible.as_ref(),
            peers_by,
            min_peers.as_ref(),
        ),
    };
    if let Some(grain) = rule.flag_as {
        flags = engine.merged_at(grain, flags);
    }
    sort_flags(&mut flags);
    flags
}

/// Sorts by (rule_id, claim_id, line_no, provider_id) with nulls last, then
/// by the remaining fields so that the order is total.
pub fn sort_flags(flags: &mut [RefFlag]) {
    fn nulls_last<T: Ord>(a: &Option<T>, b: &Option<T>) -> Ordering {
        match (a, b) {
            (Some(a), Some(b)) => a.cmp(b),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
    }
    flags.sort_by(|a, b| {
        a.rule_id
            .cmp(&b.rule_id)
            .then_with(|| nulls_last(&a.claim_id, &b.claim_id))
            .then_with(|| nulls_last(&a.line_no, &b.line_no))
            .then_with(|| nulls_last(&a.provider_id, &b.provider_id))
            .then_with(|| nulls_last(&a.patient_id, &b.patient_id))
            .then_with(|| a.message.cmp(&b.message))
    });
}

/// The rows of a rule test's `given` tables (columns not given are null).
pub fn rows_from_test(test: &RuleTest) -> Rows {
    let mut rows = Rows::new();
    for table in &test.tables {
        let target = rows.tables.entry(table.table.clone()).or_default();
        for values in &table.rows {
            target.push(
                table
                    .columns
                    .iter()
                    .cloned()
                    .zip(values.iter().cloned())
                    .collect(),
            );
        }
    }
    rows
}

/// The flags of a rule test as its `expect flags` table names them: each
/// flag reduced to the test's fields, sorted.
pub fn project_flags(flags: &[RefFlag], fields: &[FlagField]) -> Vec<Vec<String>> {
    let mut projected: Vec<Vec<String>> = flags
        .iter()
        .map(|f| {
            fields
                .iter()
                .map(|field| render(&f.field(*field)))
                .collect()
        })
        .collect();
    projected.sort();
    projected
}

// ======================================================================
// Rendering values in messages
// ======================================================================

/// A value as a message shows it: null `空`, dates `2024-03-01`, times
/// `2024-03-01 08:30:00`, decimals with their digits (more than 6 digits
/// after the point are rounded to 6), lists `[a, b]`.
pub fn render(value: &Value) -> String {
    match value {
        Value::Null => "空".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Decimal(d) => {
            // reading: `round_dp` rounds half to even (rust_decimal's default).
            if d.scale() > 6 {
                d.round_dp(6).to_string()
            } else {
                d.to_string()
            }
        }
        // reading: floats in the shortest text that reads back as the same float.
        Value::Float(x) => x.to_string(),
        Value::Text(s) => s.clone(),
        Value::Date(days) => date_of(*days).format("%Y-%m-%d").to_string(),
        Value::Timestamp(ms) => datetime_of(*ms).format("%Y-%m-%d %H:%M:%S").to_string(),
        Value::List(items) => {
            let parts: Vec<String> = items.iter().map(render).collect();
            format!("[{}]", parts.join(", "))
        }
    }
}

fn date_of(days: i32) -> NaiveDate {
    days_to_date(days).expect("a date in chrono's range")
}

fn datetime_of(ms: i64) -> NaiveDateTime {
    DateTime::from_timestamp_millis(ms)
        .expect("a time in chrono's range")
        .naive_utc()
}

// ======================================================================
// Three-valued logic and value comparisons
// ======================================================================

/// A condition's value: `Some(true)`, `Some(false)`, or `None` (unknown).
fn truth(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Null => None,
        other => panic!("a condition gave {other:?}: the checker should have refused it"),
    }
}

fn from_truth(t: Option<bool>) -> Value {
    t.map_or(Value::Null, Value::Bool)
}

/// Kleene `and`: false wins, then unknown.
fn and3(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

/// Kleene `or`: true wins, then unknown.
fn or3(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}

fn not3(a: Option<bool>) -> Option<bool> {
    a.map(|b| !b)
}

fn as_decimal(value: &Value) -> Option<Decimal> {
    match value {
        Value::Int(i) => Some(Decimal::from(*i)),
        Value::Decimal(d) => Some(*d),
        _ => None,
    }
}

fn as_float(value: &Value) -> f64 {
    match value {
        Value::Int(i) => *i as f64,
        Value::Decimal(d) => d.to_f64().expect("a decimal is within a float's range"),
        Value::Float(x) => *x,
        other => panic!("{other:?} is not a number"),
    }
}

/// A float result: what is not finite (dividing by zero) is null.
fn float_or_null(x: f64) -> Value {
    if x.is_finite() {
        Value::Float(x + 0.0)
    } else {
        Value::Null
    }
}

/// How two non-null values of comparable types order. Numbers compare by
/// value across Int and Decimal (1.5 = 1.50 = 3/2); text by code point.
fn compare_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Int(_) | Value::Decimal(_), Value::Int(_) | Value::Decimal(_)) => {
            as_decimal(a).unwrap().cmp(&as_decimal(b).unwrap())
        }
        // reading: a float meets a whole number or a decimal constant as a
        // float; floats are finite, and -0 equals 0.
        (Value::Float(_), _) | (_, Value::Float(_)) => {
            let (x, y) = (as_float(a), as_float(b));
            x.partial_cmp(&y).expect("finite floats")
        }
        // reading: text orders by Unicode code point (Rust's `str` order,
        // the same as UTF-8 byte order).
        (Value::Text(x), Value::Text(y)) => x.cmp(y),
        (Value::Date(x), Value::Date(y)) => x.cmp(y),
        (Value::Timestamp(x), Value::Timestamp(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        // reading: lists (and related rows, represented by their key values)
        // compare element by element; the checker allows only `=`/`<>` on them.
        (Value::List(x), Value::List(y)) => {
            for (u, v) in x.iter().zip(y) {
                let o = order_with_nulls_last(u, v);
                if o != Ordering::Equal {
                    return o;
                }
            }
            x.len().cmp(&y.len())
        }
        (a, b) => panic!("cannot compare {a:?} with {b:?}: the checker should have refused it"),
    }
}

/// `a op b` in three-valued logic: unknown when either side is null.
fn compare3(op: CompareOp, a: &Value, b: &Value) -> Option<bool> {
    if a.is_null() || b.is_null() {
        return None;
    }
    Some(op.holds(compare_values(a, b)))
}

/// `a = b` in three-valued logic.
fn equal3(a: &Value, b: &Value) -> Option<bool> {
    compare3(CompareOp::Eq, a, b)
}

/// The order used to sort rows: ascending, nulls last.
fn order_with_nulls_last(a: &Value, b: &Value) -> Ordering {
    match (a.is_null(), b.is_null()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => compare_values(a, b),
    }
}

/// A value as a grouping key: equal keys group together. Nulls are one key;
/// numbers are keyed by value, so Int 2, Decimal 2.0 and 2.00 are one key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Null,
    Bool(bool),
    Number(Decimal),
    /// The bits of a float (-0 made 0).
    Float(u64),
    Text(String),
    Date(i32),
    Timestamp(i64),
    List(Vec<Key>),
}

fn key_of(value: &Value) -> Key {
    match value {
        Value::Null => Key::Null,
        Value::Bool(b) => Key::Bool(*b),
        // reading: an Int and a Decimal of the same value are one key (they
        // can meet only through `coalesce` of a whole number and a decimal).
        Value::Int(i) => Key::Number(Decimal::from(*i).normalize()),
        Value::Decimal(d) => Key::Number(d.normalize()),
        Value::Float(x) => Key::Float((x + 0.0).to_bits()),
        Value::Text(s) => Key::Text(s.clone()),
        Value::Date(d) => Key::Date(*d),
        Value::Timestamp(t) => Key::Timestamp(*t),
        Value::List(items) => Key::List(items.iter().map(key_of).collect()),
    }
}

// ======================================================================
// The evaluator
// ======================================================================

/// A row of a table: the table's name and the row's position in the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct RowRef<'a> {
    table: &'a str,
    index: usize,
}

/// An entity of a population rule and the rule's rows that reach it.
#[derive(Debug, Clone)]
struct EntityRows<'a> {
    entity: RowRef<'a>,
    rows: Rc<Vec<RowRef<'a>>>,
}

/// What an expression is evaluated against.
#[derive(Debug, Clone, Default)]
struct Ctx<'a> {
    /// `Var::Row`: the rule's own row (none at the entity level of a
    /// population rule, where the row variable appears only in aggregates).
    row: Option<RowRef<'a>>,
    /// `Var::Partner`: the other row of a pair rule.
    partner: Option<RowRef<'a>>,
    /// `Var::Prev`: the previous row of a sequence (none for the first row,
    /// so every column of `prev` is null there).
    prev: Option<RowRef<'a>>,
    /// A sequence rule's rows of this key in order, and this row's place
    /// among them (for `lag` and `rank`).
    sequence: Option<(Rc<Vec<RowRef<'a>>>, usize)>,
    /// `Var::Entity`: the entity of a population rule.
    entity: Option<RowRef<'a>>,
    /// `Var::Known`: the knowledge row a pair matched.
    known: Option<RowRef<'a>>,
    /// The elements bound by the enclosing `any`/`all`, outermost first.
    items: Vec<Value>,
    /// The rows aggregates are taken over: the group, the window, or the
    /// entity's rows.
    aggregate_rows: Option<Rc<Vec<RowRef<'a>>>>,
    /// The usable peer group of a population rule, for `quantile`.
    peers: Option<Rc<Vec<EntityRows<'a>>>>,
}

impl<'a> Ctx<'a> {
    fn of_row(row: RowRef<'a>) -> Ctx<'a> {
        Ctx {
            row: Some(row),
            ..Ctx::default()
        }
    }
}

struct Engine<'a> {
    ruleset: &'a Ruleset,
    rule: &'a Rule,
    data: &'a Rows,
    /// The ruleset's parameters with the overrides applied.
    params: BTreeMap<&'a str, &'a ParamValue>,
}

impl<'a> Engine<'a> {
    // ------------------------------------------------------------ data access

    fn row_data(&self, row: RowRef<'a>) -> &'a Row {
        &self.data.table(row.table)[row.index]
    }

    /// A column of a row; null when the row lacks it.
    fn column(&self, row: RowRef<'a>, column: &str) -> Value {
        self.row_data(row)
            .get(column)
            .cloned()
            .unwrap_or(Value::Null)
    }

    /// Every row of `table`, in data order.
    fn all_rows(&self, table: &'a str) -> Vec<RowRef<'a>> {
        (0..self.data.table(table).len())
            .map(|index| RowRef { table, index })
            .collect()
    }

    /// Follows the relation named `relation` from `row`: the row of the
    /// target table whose key equals the row's referring columns. None when
    /// a referring value is null or no row matches.
    fn follow(&self, row: RowRef<'a>, relation: &str) -> Option<RowRef<'a>> {
        if let Some(k) = &self.rule.row_match
            && relation == Known::relation_name(&self.rule.id, &k.var)
        {
            return self.row_match(k, row);
        }
        let rel = self
            .ruleset
            .schema
            .relation(row.table, relation)
            .unwrap_or_else(|| panic!("no relation `{relation}` from `{}`", row.table));
        let wanted: Vec<Value> = rel
            .from_columns
            .iter()
            .map(|c| self.column(row, c))
            .collect();
        if wanted.iter().any(Value::is_null) {
            return None;
        }
        let target = self
            .ruleset
            .schema
            .table(&rel.to_table)
            .expect("the relation's target table")
            .name
            .as_str();
        self.all_rows(target).into_iter().find(|candidate| {
            rel.to_columns
                .iter()
                .zip(&wanted)
                .all(|(c, w)| equal3(&self.column(*candidate, c), w) == Some(true))
        })
    }

    fn follow_path(&self, row: Option<RowRef<'a>>, path: &[Step]) -> Option<RowRef<'a>> {
        path.iter()
            .try_fold(row?, |current, step| self.follow(current, &step.relation))
    }

    fn var_row(&self, var: Var, ctx: &Ctx<'a>) -> Option<RowRef<'a>> {
        match var {
            Var::Row => ctx.row,
            Var::Partner => ctx.partner,
            Var::Prev => ctx.prev,
            Var::Entity => ctx.entity,
            Var::Known => ctx.known,
        }
    }

    /// The row a `Related` expression reaches (the entity of `per`).
    fn related(&self, expr: &TExpr, ctx: &Ctx<'a>) -> Option<RowRef<'a>> {
        match &expr.kind {
            TExprKind::Related { var, path } => self.follow_path(self.var_row(*var, ctx), path),
            other => panic!("expected a related row, found {other:?}"),
        }
    }

    /// The key columns of a table (empty when it has no key).
    fn key_columns(&self, table: &str) -> Vec<String> {
        self.ruleset
            .schema
            .table(table)
            .and_then(|t| t.key.clone())
            .unwrap_or_default()
    }

    fn param(&self, name: &str) -> &'a ParamValue {
        self.params
            .get(name)
            .copied()
            .unwrap_or_else(|| panic!("no parameter `{name}`"))
    }

    // ------------------------------------------------------------ expressions

    fn eval(&self, expr: &TExpr, ctx: &Ctx<'a>) -> Value {
        use TExprKind as K;
        match &expr.kind {
            K::Const(value) => value.clone(),
            K::Column { var, path, column } => {
                match self.follow_path(self.var_row(*var, ctx), path) {
                    Some(row) => self.column(row, column),
                    None => Value::Null,
                }
            }
            K::Related { var, path } => match self.follow_path(self.var_row(*var, ctx), path) {
                // reading: a related row used as a value (only `is null` is
                // meant for it) is represented by its key values, so two
                // references to one row are equal.
                Some(row) => Value::List(
                    self.key_columns(row.table)
                        .iter()
                        .map(|c| self.column(row, c))
                        .collect(),
                ),
                None => Value::Null,
            },
            K::Item(depth) => ctx.items[*depth as usize].clone(),
            // reading: `lag(v, n)` is v read on the row n places before this
            // one in the key's order, null before the key's n-th row;
            // `rank()` is the place, from 1.
            K::Lag { value, rows } => {
                let (rows_of_key, place) = ctx.sequence.as_ref().expect("a sequence rule");
                match place.checked_sub(*rows as usize) {
                    Some(earlier) => self.eval(value, &Ctx::of_row(rows_of_key[earlier])),
                    None => Value::Null,
                }
            }
            K::Rank => {
                let (_, place) = ctx.sequence.as_ref().expect("a sequence rule");
                Value::Int(*place as i64 + 1)
            }
            K::Param(name) => match self.param(name) {
                ParamValue::Scalar(value) => value.clone(),
                ParamValue::Map(_) => panic!("map parameter `{name}` used without a key"),
            },
            K::MapParam { param, key } => {
                let key = self.eval(key, ctx);
                match (self.param(param), key) {
                    (ParamValue::Map(entries), Value::Text(key)) => entries
                        .iter()
                        .find(|(k, _)| *k == key)
                        .map_or(Value::Null, |(_, v)| v.clone()),
                    // A null key finds nothing.
                    (ParamValue::Map(_), Value::Null) => Value::Null,
                    (other, key) => panic!("cannot look up {key:?} in {other:?}"),
                }
            }
            K::Let(index) => {
                // A let is written at the top of the rule, outside any
                // `any`/`all`: it sees no bound elements.
                let inner = Ctx {
                    items: Vec::new(),
                    ..ctx.clone()
                };
                self.eval(&self.rule.lets[*index].expr, &inner)
            }
            K::Aggregate(index) => self.aggregate(&self.rule.aggregates[*index], ctx),
            K::Quantile { stat, p } => self.quantile(*stat, p, ctx),
            K::Not(inner) => from_truth(not3(truth(&self.eval(inner, ctx)))),
            K::Neg(inner) => match self.eval(inner, ctx) {
                Value::Null => Value::Null,
                Value::Int(i) => Value::Int(i.checked_neg().expect("no overflow")),
                Value::Decimal(d) => Value::Decimal(-d),
                Value::Float(x) => Value::Float(-x + 0.0),
                other => panic!("cannot negate {other:?}"),
            },
            K::And(a, b) => from_truth(and3(truth(&self.eval(a, ctx)), truth(&self.eval(b, ctx)))),
            K::Or(a, b) => from_truth(or3(truth(&self.eval(a, ctx)), truth(&self.eval(b, ctx)))),
            K::Compare { op, left, right } => {
                from_truth(compare3(*op, &self.eval(left, ctx), &self.eval(right, ctx)))
            }
            K::Arith { op, left, right } => {
                arithmetic(*op, self.eval(left, ctx), self.eval(right, ctx))
            }
            K::StartsWith(text, prefix) => match (self.eval(text, ctx), self.eval(prefix, ctx)) {
                (Value::Text(t), Value::Text(p)) => Value::Bool(t.starts_with(&p)),
                (Value::Null, _) | (_, Value::Null) => Value::Null,
                (t, p) => panic!("`starts with` on {t:?} and {p:?}"),
            },
            K::Matches { text, pattern } => match self.eval(text, ctx) {
                Value::Text(t) => {
                    let regex = regex::Regex::new(pattern).expect("the checker compiled it");
                    Value::Bool(regex.is_match(&t))
                }
                Value::Null => Value::Null,
                other => panic!("`matches` on {other:?}"),
            },
            K::Between { expr, low, high } => {
                // `x between a and b` is `a <= x and x <= b`.
                let x = self.eval(expr, ctx);
                let low = self.eval(low, ctx);
                let high = self.eval(high, ctx);
                from_truth(and3(
                    compare3(CompareOp::Le, &low, &x),
                    compare3(CompareOp::Le, &x, &high),
                ))
            }
            K::InList { expr, items } => {
                let x = self.eval(expr, ctx);
                let values: Vec<Value> = items.iter().map(|i| self.eval(i, ctx)).collect();
                from_truth(membership(&x, &values))
            }
            K::InSet { expr, set } => {
                let x = self.eval(expr, ctx);
                let set = self
                    .ruleset
                    .set(set)
                    .unwrap_or_else(|| panic!("no set `{set}`"));
                from_truth(membership(&x, &set.values))
            }
            K::InArray { expr, list } => {
                let x = self.eval(expr, ctx);
                match self.eval(list, ctx) {
                    // reading: `x in list_column` is SQL's `x = ANY(list)`:
                    // a null list gives unknown (unlike `any(...)`, where a
                    // null list has no elements); an empty list gives false,
                    // even for a null x.
                    Value::Null => Value::Null,
                    Value::List(elements) if elements.is_empty() => Value::Bool(false),
                    Value::List(elements) => from_truth(membership(&x, &elements)),
                    other => panic!("`in` over {other:?}"),
                }
            }
            K::IsNull(inner) => Value::Bool(match &inner.kind {
                K::Related { .. } => self.related(inner, ctx).is_none(),
                _ => self.eval(inner, ctx).is_null(),
            }),
            K::Call { func, args } => {
                let args: Vec<Value> = args.iter().map(|a| self.eval(a, ctx)).collect();
                call(*func, &args)
            }
            K::Quantifier {
                all,
                depth,
                list,
                body,
            } => {
                // A null list has no elements.
                let elements = match self.eval(list, ctx) {
                    Value::Null => Vec::new(),
                    Value::List(elements) => elements,
                    other => panic!("`any`/`all` over {other:?}"),
                };
                let mut result = Some(*all);
                for element in elements {
                    let mut inner = ctx.clone();
                    inner.items.truncate(*depth as usize);
                    inner.items.push(element);
                    let t = truth(&self.eval(body, &inner));
                    result = if *all {
                        and3(result, t)
                    } else {
                        or3(result, t)
                    };
                }
                from_truth(result)
            }
        }
    }

    // ------------------------------------------------------------ aggregates

    /// An aggregate over the context's rows; its argument is evaluated with
    /// each of them as the rule's row.
    fn aggregate(&self, aggregate: &Aggregate, ctx: &Ctx<'a>) -> Value {
        let rows = ctx
            .aggregate_rows
            .clone()
            .expect("aggregates appear only where rows are brought together");
        let values: Vec<Value> = match &aggregate.per {
            // reading: `outer(value per key)`: the rows split by their key
            // (null keys together), in the order of the keys; the value of
            // each part (its aggregates, `lag(aggregate, n)` the same of
            // the part n before, or null); the outer over those values.
            Some(per) => {
                let mut runs: Vec<(Value, Vec<RowRef<'a>>)> = Vec::new();
                for row in rows.iter() {
                    let of_row = Ctx {
                        row: Some(*row),
                        ..ctx.clone()
                    };
                    let key = self.eval(&per.key, &of_row);
                    match runs.iter_mut().find(|(k, _)| key_of(k) == key_of(&key)) {
                        Some((_, members)) => members.push(*row),
                        None => runs.push((key, vec![*row])),
                    }
                }
                runs.sort_by(|a, b| order_with_nulls_last(&a.0, &b.0));
                let parts: Vec<Vec<RowRef<'a>>> = runs.into_iter().map(|(_, m)| m).collect();
                (0..parts.len())
                    .map(|i| self.run_value(&per.value, &parts, i as i64, ctx))
                    .collect()
            }
            None => rows
                .iter()
                .map(|row| match &aggregate.arg {
                    Some(arg) => {
                        let inner = Ctx {
                            row: Some(*row),
                            ..ctx.clone()
                        };
                        self.eval(arg, &inner)
                    }
                    None => Value::Null,
                })
                .collect(),
        };
        let present: Vec<&Value> = values.iter().filter(|v| !v.is_null()).collect();
        match aggregate.func {
            AggFunc::Count => Value::Int(rows.len() as i64),
            AggFunc::CountIf => {
                Value::Int(values.iter().filter(|v| truth(v) == Some(true)).count() as i64)
            }
            AggFunc::CountDistinct => {
                let distinct: BTreeSet<Key> = present.iter().map(|v| key_of(v)).collect();
                Value::Int(distinct.len() as i64)
            }
            AggFunc::Sum => {
                if present.is_empty() {
                    return Value::Null;
                }
                // reading: floats sum exactly and are rounded once, so the
                // order of the rows does not matter (the exact sum is
                // tested against whole-number arithmetic on its own).
                if let Value::Float(_) = present[0] {
                    let floats = present.iter().map(|v| as_float(v));
                    return claimaudit::exec::float_sum::exact_sum(floats)
                        .map_or(Value::Null, Value::Float);
                }
                // Whole numbers (and days) sum to a whole number.
                present
                    .iter()
                    .skip(1)
                    .fold((*present[0]).clone(), |acc, v| {
                        arithmetic(ArithOp::Add, acc, (*v).clone())
                    })
            }
            AggFunc::Min | AggFunc::Max => {
                // reading: among equal values (1.5 and 1.50) the first in the
                // rows' order is kept.
                let mut best: Option<&Value> = None;
                for v in present {
                    let better = match best {
                        None => true,
                        Some(b) if aggregate.func == AggFunc::Min => {
                            compare_values(v, b) == Ordering::Less
                        }
                        Some(b) => compare_values(v, b) == Ordering::Greater,
                    };
                    if better {
                        best = Some(v);
                    }
                }
                best.cloned().unwrap_or(Value::Null)
            }
            // reading: SQL's bool_or / bool_and: unknown values are skipped,
            // and over no known values the result is null.
            AggFunc::Any => {
                if present.is_empty() {
                    Value::Null
                } else {
                    Value::Bool(present.iter().any(|v| truth(v) == Some(true)))
                }
            }
            AggFunc::All => {
                if present.is_empty() {
                    Value::Null
                } else {
                    Value::Bool(present.iter().all(|v| truth(v) == Some(true)))
                }
            }
        }
    }

    /// The value of part `i` of `outer(value per key)` (null before the
    /// first part).
    fn run_value(&self, e: &TExpr, parts: &[Vec<RowRef<'a>>], i: i64, ctx: &Ctx<'a>) -> Value {
        use TExprKind as K;
        match &e.kind {
            K::Aggregate(j) => match usize::try_from(i) {
                Ok(i) => {
                    let of_part = Ctx {
                        aggregate_rows: Some(Rc::new(parts[i].clone())),
                        ..ctx.clone()
                    };
                    self.aggregate(&self.rule.aggregates[*j], &of_part)
                }
                Err(_) => Value::Null,
            },
            K::Lag { value, rows } => self.run_value(value, parts, i - *rows as i64, ctx),
            K::Arith { op, left, right } => arithmetic(
                *op,
                self.run_value(left, parts, i, ctx),
                self.run_value(right, parts, i, ctx),
            ),
            K::Neg(inner) => match self.run_value(inner, parts, i, ctx) {
                Value::Int(n) => Value::Int(-n),
                Value::Decimal(d) => Value::Decimal(-d),
                Value::Float(x) => Value::Float(-x + 0.0),
                other => other,
            },
            K::Const(v) => v.clone(),
            other => panic!("{other:?} in a run's value: the checker should have refused it"),
        }
    }

    /// `quantile(stat, p)` over the peer group: the non-null values of the
    /// statistic, sorted ascending, at position (k − 1)·p, interpolating
    /// linearly between the two closest ranks.
    fn quantile(&self, stat: usize, p: &TExpr, ctx: &Ctx<'a>) -> Value {
        let peers = ctx
            .peers
            .clone()
            .expect("quantile appears only in population rules");
        let stats: Vec<Value> = peers
            .iter()
            .map(|peer| {
                let peer_ctx = Ctx {
                    entity: Some(peer.entity),
                    aggregate_rows: Some(peer.rows.clone()),
                    ..Ctx::default()
                };
                self.eval(&self.rule.lets[stat].expr, &peer_ctx)
            })
            .collect();
        let Some(p) = as_decimal(&self.eval(p, ctx)) else {
            return Value::Null;
        };
        // reading: a fraction outside [0, 1] has no quantile: null.
        if stats.iter().all(Value::is_null) || p < Decimal::ZERO || p > Decimal::ONE {
            return Value::Null;
        }
        let present = stats.iter().filter(|v| !v.is_null()).count();
        let position = Decimal::from(present - 1) * p;
        let lower = position.floor();
        let upper = position.ceil();
        // reading: a statistic of floats has a float quantile: the same
        // position, interpolated in floating point.
        if self.rule.lets[stat].expr.ty == claimaudit::ir::Type::Float {
            let mut floats: Vec<f64> = stats
                .iter()
                .filter_map(|v| match v {
                    Value::Float(x) => Some(*x),
                    _ => None,
                })
                .collect();
            floats.sort_by(f64::total_cmp);
            let at = |d: Decimal| floats[d.to_usize().expect("a rank")];
            let (low, high) = (at(lower), at(upper));
            let fraction = (position - lower).to_f64().expect("a fraction");
            return float_or_null(low + (high - low) * fraction);
        }
        let mut values: Vec<Decimal> = stats.iter().filter_map(as_decimal).collect();
        values.sort();
        let at = |d: Decimal| -> Decimal { values[d.to_usize().expect("a rank")] };
        let (low, high) = (at(lower), at(upper));
        Value::Decimal(low + (high - low) * (position - lower))
    }

    // ------------------------------------------------------------ forms

    /// The rows of the rule's table where `where` is true, in data order.
    fn rows_after_where(&self) -> Vec<RowRef<'a>> {
        self.all_rows(&self.rule.table)
            .into_iter()
            .filter(|row| match &self.rule.filter {
                Some(filter) => truth(&self.eval(filter, &Ctx::of_row(*row))) == Some(true),
                None => true,
            })
            .collect()
    }

    fn holds(&self, condition: &TExpr, ctx: &Ctx<'a>) -> bool {
        truth(&self.eval(condition, ctx)) == Some(true)
    }

    /// The rows grouped by their values of `keys` (null keys group
    /// together), each group in data order.
    fn partition(&self, rows: &[RowRef<'a>], keys: &[TExpr]) -> Vec<Vec<RowRef<'a>>> {
        let mut groups: BTreeMap<Vec<Key>, Vec<RowRef<'a>>> = BTreeMap::new();
        for row in rows {
            let ctx = Ctx::of_row(*row);
            let key: Vec<Key> = keys.iter().map(|k| key_of(&self.eval(k, &ctx))).collect();
            groups.entry(key).or_default().push(*row);
        }
        groups.into_values().collect()
    }

    /// Sorts rows by the `order` expressions (ascending, nulls last), ties
    /// broken by the table's key columns (ascending).
    fn sort_rows(&self, rows: &mut [RowRef<'a>], order: &[TExpr]) {
        let keys = self.key_columns(&self.rule.table);
        let sort_values = |row: RowRef<'a>| -> Vec<Value> {
            let ctx = Ctx::of_row(row);
            order
                .iter()
                .map(|o| self.eval(o, &ctx))
                .chain(keys.iter().map(|k| self.column(row, k)))
                .collect()
        };
        rows.sort_by(|a, b| {
            let (va, vb) = (sort_values(*a), sort_values(*b));
            va.iter()
                .zip(&vb)
                .map(|(x, y)| order_with_nulls_last(x, y))
                .find(|o| *o != Ordering::Equal)
                .unwrap_or(Ordering::Equal)
        });
    }

    /// The flag on `row` of `table`, named by the table's `flags` binding.
    fn flag(&self, row: RowRef<'a>, ctx: &Ctx<'a>) -> RefFlag {
        let binding = self
            .ruleset
            .schema
            .table(row.table)
            .and_then(|t| t.flags.as_ref())
            .unwrap_or_else(|| panic!("`{}` declares no flags", row.table));
        self.identify(row, binding, self.message(ctx))
    }

    /// `flag provider when`: each flag (named by its row's own fields)
    /// named instead by the table's `flags` of `grain`, and one flag per
    /// rule and name: the first row's by its own fields.
    fn merged_at(&self, grain: Grain, flags: Vec<RefFlag>) -> Vec<RefFlag> {
        let table = self
            .ruleset
            .schema
            .table(&self.rule.table)
            .expect("the rule's table");
        let own = table.flags.as_ref().expect("the table's own flags");
        let other = table.flags_of(grain).expect("the checker found the grain");
        let rows = self.all_rows(&self.rule.table);
        // Flags by their name alone (the message left out).
        let unnamed = |f: &RefFlag| RefFlag {
            message: String::new(),
            ..f.clone()
        };
        let mut named: BTreeMap<RefFlag, RefFlag> = BTreeMap::new();
        let mut flags = flags;
        // reading: "first" is by the row's own fields, nulls last.
        sort_flags(&mut flags);
        for flag in flags {
            let row = rows
                .iter()
                .copied()
                .find(|r| self.identify(*r, own, String::new()) == unnamed(&flag))
                .expect("a flag names one of the rule's rows");
            let at = self.identify(row, other, flag.message);
            named.entry(unnamed(&at)).or_insert(at);
        }
        named.into_values().collect()
    }

    /// A flag on `row` named by `binding`'s fields.
    fn identify(
        &self,
        row: RowRef<'a>,
        binding: &claimaudit::ir::FlagsBinding,
        message: String,
    ) -> RefFlag {
        let mut flag = RefFlag {
            rule_id: self.rule.id.clone(),
            claim_id: None,
            line_no: None,
            provider_id: None,
            patient_id: None,
            message,
        };
        for (field, relations, column) in &binding.fields {
            let reached = relations
                .iter()
                .try_fold(row, |current, relation| self.follow(current, relation));
            let value = reached.map_or(Value::Null, |r| self.column(r, column));
            let text = match &value {
                Value::Text(s) => Some(s.clone()),
                Value::Null => None,
                other => Some(render(other)),
            };
            match field {
                FlagField::ClaimId => flag.claim_id = text,
                FlagField::PatientId => flag.patient_id = text,
                FlagField::ProviderId => flag.provider_id = text,
                FlagField::LineNo => {
                    flag.line_no = match value {
                        Value::Int(n) => Some(i32::try_from(n).expect("line_no fits int32")),
                        Value::Null => None,
                        other => panic!("line_no is {other:?}"),
                    }
                }
            }
        }
        flag
    }

    /// The rule's message for the flagged row (the rule's name without one).
    fn message(&self, ctx: &Ctx<'a>) -> String {
        if self.rule.message.is_empty() {
            return self.rule.name.clone();
        }
        self.rule
            .message
            .iter()
            .map(|part| match part {
                MessagePart::Text(text) => text.clone(),
                MessagePart::Value { expr, .. } => render(&self.eval(expr, ctx)),
            })
            .collect()
    }

    /// Row rules: each row on its own.
    fn row_form(&self) -> Vec<RefFlag> {
        let mut flags = Vec::new();
        for row in self.rows_after_where() {
            let ctx = Ctx::of_row(row);
            if self.holds(&self.rule.condition, &ctx) {
                flags.push(self.flag(row, &ctx));
            }
        }
        flags
    }

    /// Group rules: aggregates over the group, the condition for each row.
    fn group_form(&self, keys: &[TExpr]) -> Vec<RefFlag> {
        let mut flags = Vec::new();
        for mut group in self.partition(&self.rows_after_where(), keys) {
            // `flag once`: the first row in the table's key order that
            // satisfies the condition stands for the group.
            if self.rule.flag_once {
                let key = self.key_columns(&self.rule.table);
                group.sort_by(|a, b| {
                    key.iter()
                        .map(|c| order_with_nulls_last(&self.column(*a, c), &self.column(*b, c)))
                        .find(|o| *o != Ordering::Equal)
                        .unwrap_or(Ordering::Equal)
                });
            }
            let group = Rc::new(group);
            for row in group.iter() {
                let ctx = Ctx {
                    row: Some(*row),
                    aggregate_rows: Some(group.clone()),
                    ..Ctx::default()
                };
                if self.holds(&self.rule.condition, &ctx) {
                    flags.push(self.flag(*row, &ctx));
                    if self.rule.flag_once {
                        break;
                    }
                }
            }
        }
        flags
    }

    /// `window by keys over date last N days`: for each row, the rows of its
    /// key whose date lies in [date − (N − 1), date].
    fn window_last_form(&self, keys: &[TExpr], over: &TExpr, days: &TExpr) -> Vec<RefFlag> {
        // reading: the length is a constant (a number of days or a
        // parameter); a null length makes every window empty, and so does a
        // length below 1 (the range [d − (N − 1), d] is then empty).
        let length = match self.eval(days, &Ctx::default()) {
            Value::Int(n) => Some(n),
            Value::Null => None,
            other => panic!("a window length of {other:?}"),
        };
        let date = |row: RowRef<'a>| match self.eval(over, &Ctx::of_row(row)) {
            Value::Date(d) => Some(d as i64),
            Value::Null => None,
            other => panic!("a window over {other:?}"),
        };
        let mut flags = Vec::new();
        for group in self.partition(&self.rows_after_where(), keys) {
            for row in &group {
                // reading: a row whose own date is null has an empty window
                // (count() = 0, sum null); its condition is still evaluated.
                // Rows whose date is null belong to no window.
                let window: Vec<RowRef<'a>> = match (date(*row), length) {
                    (Some(d), Some(n)) => group
                        .iter()
                        .copied()
                        .filter(|other| date(*other).is_some_and(|d2| d - (n - 1) <= d2 && d2 <= d))
                        .collect(),
                    _ => Vec::new(),
                };
                self.flag_over(*row, window, &mut flags);
            }
        }
        flags
    }

    /// `window by keys over date last N months`: for each row, the rows of
    /// its key whose date lies from the first day of the calendar month
    /// N − 1 months before its own to its date.
    fn window_months_form(&self, keys: &[TExpr], over: &TExpr, months: &TExpr) -> Vec<RefFlag> {
        // reading: as `last N days`, with a constant N; N below 1 or null
        // makes every window empty.
        let length = match self.eval(months, &Ctx::default()) {
            Value::Int(n) if n >= 1 => Some(n),
            Value::Int(_) | Value::Null => None,
            other => panic!("a window length of {other:?}"),
        };
        let date = |row: RowRef<'a>| match self.eval(over, &Ctx::of_row(row)) {
            Value::Date(d) => chrono::NaiveDate::from_num_days_from_ce_opt(d + 719_163),
            Value::Null => None,
            other => panic!("a window over {other:?}"),
        };
        // The first day of the month n − 1 months before d's, counted by
        // hand: months since year 0.
        let first_day = |d: chrono::NaiveDate, n: i64| {
            use chrono::Datelike;
            let month = d.year() as i64 * 12 + d.month0() as i64 - (n - 1);
            chrono::NaiveDate::from_ymd_opt(
                month.div_euclid(12) as i32,
                month.rem_euclid(12) as u32 + 1,
                1,
            )
        };
        let mut flags = Vec::new();
        for group in self.partition(&self.rows_after_where(), keys) {
            for row in &group {
                let window: Vec<RowRef<'a>> = match (date(*row), length) {
                    (Some(d), Some(n)) => {
                        let first = first_day(d, n).expect("a date in range");
                        group
                            .iter()
                            .copied()
                            .filter(|other| date(*other).is_some_and(|d2| first <= d2 && d2 <= d))
                            .collect()
                    }
                    _ => Vec::new(),
                };
                self.flag_over(*row, window, &mut flags);
            }
        }
        flags
    }

    /// `window by keys order by ... last N rows`: for each row, it and the
    /// N − 1 rows of its key before it in that order.
    fn window_rows_form(&self, keys: &[TExpr], order: &[TExpr], rows: &TExpr) -> Vec<RefFlag> {
        let length = match self.eval(rows, &Ctx::default()) {
            Value::Int(n) if n >= 1 => Some(n as usize),
            Value::Int(_) | Value::Null => None,
            other => panic!("a window length of {other:?}"),
        };
        let mut flags = Vec::new();
        for mut group in self.partition(&self.rows_after_where(), keys) {
            self.sort_rows(&mut group, order);
            for (i, row) in group.iter().enumerate() {
                let window = match length {
                    Some(n) => group[(i + 1).saturating_sub(n)..=i].to_vec(),
                    None => Vec::new(),
                };
                self.flag_over(*row, window, &mut flags);
            }
        }
        flags
    }

    /// Flags `row` when the condition holds with aggregates over `window`.
    fn flag_over(&self, row: RowRef<'a>, window: Vec<RowRef<'a>>, flags: &mut Vec<RefFlag>) {
        let ctx = Ctx {
            row: Some(row),
            aggregate_rows: Some(Rc::new(window)),
            ..Ctx::default()
        };
        if self.holds(&self.rule.condition, &ctx) {
            flags.push(self.flag(row, &ctx));
        }
    }

    /// `window by keys order by ... running`: for each row, the rows of its
    /// key up to and including it in that order.
    fn window_running_form(&self, keys: &[TExpr], order: &[TExpr]) -> Vec<RefFlag> {
        let mut flags = Vec::new();
        for mut group in self.partition(&self.rows_after_where(), keys) {
            self.sort_rows(&mut group, order);
            for (i, row) in group.iter().enumerate() {
                self.flag_over(*row, group[..=i].to_vec(), &mut flags);
            }
        }
        flags
    }

    /// Sequence rules: rows of a key in order; `prev` is the row before.
    fn sequence_form(&self, keys: &[TExpr], order: &[TExpr]) -> Vec<RefFlag> {
        let mut flags = Vec::new();
        for mut group in self.partition(&self.rows_after_where(), keys) {
            self.sort_rows(&mut group, order);
            let group = Rc::new(group);
            for (i, row) in group.iter().enumerate() {
                let ctx = Ctx {
                    row: Some(*row),
                    prev: i.checked_sub(1).map(|p| group[p]),
                    sequence: Some((group.clone(), i)),
                    ..Ctx::default()
                };
                if self.holds(&self.rule.condition, &ctx) {
                    flags.push(self.flag(*row, &ctx));
                }
            }
        }
        flags
    }

    /// Pair rules: a row is flagged when the condition holds with some
    /// partner; the message is rendered with the first such partner in the
    /// partner table's key order.
    fn pair_form(
        &self,
        table: &str,
        filter: Option<&TExpr>,
        keys: &[(TExpr, TExpr)],
        known: Option<&Known>,
    ) -> Vec<RefFlag> {
        let table: &'a str = self
            .ruleset
            .schema
            .table(table)
            .expect("the partner table")
            .name
            .as_str();
        let partner_keys = self.key_columns(table);
        let mut partners: Vec<RowRef<'a>> = self
            .all_rows(table)
            .into_iter()
            .filter(|p| match filter {
                Some(f) => {
                    let ctx = Ctx {
                        partner: Some(*p),
                        ..Ctx::default()
                    };
                    self.holds(f, &ctx)
                }
                None => true,
            })
            .collect();
        partners.sort_by(|a, b| {
            partner_keys
                .iter()
                .map(|k| order_with_nulls_last(&self.column(*a, k), &self.column(*b, k)))
                .find(|o| *o != Ordering::Equal)
                .unwrap_or(Ordering::Equal)
        });
        // The knowledge rows of a `match`, in their table's key order.
        let knowledge: Vec<RowRef<'a>> = match known {
            None => Vec::new(),
            Some(k) => self.knowledge_rows(k),
        };
        let mut flags = Vec::new();
        'rows: for row in self.rows_after_where() {
            for partner in &partners {
                let ctx = Ctx {
                    row: Some(row),
                    partner: Some(*partner),
                    ..Ctx::default()
                };
                let same_key = keys.iter().all(|(mine, theirs)| {
                    equal3(&self.eval(mine, &ctx), &self.eval(theirs, &ctx)) == Some(true)
                });
                if !same_key {
                    continue;
                }
                let Some(k) = known else {
                    if self.holds(&self.rule.condition, &ctx) {
                        flags.push(self.flag(row, &ctx));
                        continue 'rows;
                    }
                    continue;
                };
                // The rows matching the pair as written come first, then
                // (`in either order`) those matching it the other way round.
                for other_way in [false, true] {
                    for x in &knowledge {
                        let ctx = Ctx {
                            known: Some(*x),
                            ..ctx.clone()
                        };
                        let (this, other) = self.matches(k, *x, &ctx);
                        let found = if other_way { other && !this } else { this };
                        if found && self.holds(&self.rule.condition, &ctx) {
                            flags.push(self.flag(row, &ctx));
                            continue 'rows;
                        }
                    }
                }
            }
        }
        flags
    }

    /// Every row of a `match`'s table, in the table's key order.
    fn knowledge_rows(&self, k: &Known) -> Vec<RowRef<'a>> {
        let table: &'a str = self
            .ruleset
            .schema
            .table(&k.table)
            .expect("the knowledge table")
            .name
            .as_str();
        let mut rows = self.all_rows(table);
        let key = self.key_columns(table);
        rows.sort_by(|a, b| {
            key.iter()
                .map(|c| order_with_nulls_last(&self.column(*a, c), &self.column(*b, c)))
                .find(|o| *o != Ordering::Equal)
                .unwrap_or(Ordering::Equal)
        });
        rows
    }

    /// The knowledge row of `row` in a rule that is not a pair rule: the
    /// last in key order of those matching its values and in force.
    fn row_match(&self, k: &Known, row: RowRef<'a>) -> Option<RowRef<'a>> {
        let ctx = Ctx::of_row(row);
        self.knowledge_rows(k)
            .into_iter()
            .rev()
            .find(|x| self.matches(k, *x, &ctx).0)
    }

    /// Whether knowledge row `x` matches the pair of `ctx` as written
    /// (every column of `on` equal to its value), and whether it matches it
    /// the other way round (`in either order`: every column equal to the
    /// value the other row gives); neither unless in force on the `as of` day.
    fn matches(&self, known: &Known, x: RowRef<'a>, ctx: &Ctx<'a>) -> (bool, bool) {
        let this_way = known.keys.iter().all(|(column, value)| {
            equal3(&self.column(x, column), &self.eval(value, ctx)) == Some(true)
        });
        let other_way = known.either_order && {
            let swapped = Ctx {
                row: ctx.partner,
                partner: ctx.row,
                ..ctx.clone()
            };
            known.keys.iter().all(|(column, value)| {
                equal3(&self.column(x, column), &self.eval(value, &swapped)) == Some(true)
            })
        };
        if !(this_way || other_way) {
            return (false, false);
        }
        let Some(date) = &known.as_of else {
            return (this_way, other_way);
        };
        let (from, to) = self
            .ruleset
            .schema
            .table(&known.table)
            .and_then(|t| t.in_force.clone())
            .expect("`as of` needs `in force`");
        let day = self.eval(date, ctx);
        let after_start = match self.column(x, &from) {
            Value::Null => true,
            start => order_with_nulls_last(&start, &day) != Ordering::Greater,
        };
        let before_end = match self.column(x, &to) {
            Value::Null => true,
            end => order_with_nulls_last(&day, &end) != Ordering::Greater,
        };
        let in_force = !day.is_null() && after_start && before_end;
        (this_way && in_force, other_way && in_force)
    }

    /// Population rules: statistics per entity, compared with the peers.
    fn population_form(
        &self,
        entity: &TExpr,
        entity_table: &str,
        eligible: Option<&TExpr>,
        peers_by: &[TExpr],
        min_peers: Option<&TExpr>,
    ) -> Vec<RefFlag> {
        // 1. Gather the rows (after `where`) by entity; rows without one are left out.
        let mut by_entity: BTreeMap<RowRef<'a>, Vec<RowRef<'a>>> = BTreeMap::new();
        for row in self.rows_after_where() {
            if let Some(e) = self.related(entity, &Ctx::of_row(row)) {
                assert_eq!(e.table, entity_table);
                by_entity.entry(e).or_default().push(row);
            }
        }
        let entity_ctx = |e: &EntityRows<'a>| Ctx {
            entity: Some(e.entity),
            aggregate_rows: Some(e.rows.clone()),
            ..Ctx::default()
        };
        // 2–4. The eligible entities, grouped by their (non-null) peer value.
        let mut groups: BTreeMap<Vec<Key>, Vec<EntityRows<'a>>> = BTreeMap::new();
        for (e, rows) in by_entity {
            let er = EntityRows {
                entity: e,
                rows: Rc::new(rows),
            };
            let ctx = entity_ctx(&er);
            if eligible.is_some_and(|cond| !self.holds(cond, &ctx)) {
                continue;
            }
            // reading: peers have equal values of every key, none of them null.
            let values: Vec<Value> = peers_by.iter().map(|p| self.eval(p, &ctx)).collect();
            if values.iter().any(Value::is_null) {
                continue;
            }
            groups
                .entry(values.iter().map(key_of).collect())
                .or_default()
                .push(er);
        }
        // reading: `minimum` is a constant, evaluated with no row; a group is
        // usable when its size >= minimum is true (a null minimum: never).
        let minimum = min_peers.map(|m| self.eval(m, &Ctx::default()));
        // 5. The condition for each eligible entity of a usable group.
        let mut flags = Vec::new();
        for group in groups.into_values() {
            if let Some(m) = &minimum
                && compare3(CompareOp::Ge, &Value::Int(group.len() as i64), m) != Some(true)
            {
                continue;
            }
            let group = Rc::new(group);
            for er in group.iter() {
                let ctx = Ctx {
                    peers: Some(group.clone()),
                    ..entity_ctx(er)
                };
                if self.holds(&self.rule.condition, &ctx) {
                    flags.push(self.flag(er.entity, &ctx));
                }
            }
        }
        flags
    }
}

// ======================================================================
// Operators and functions on values
// ======================================================================

/// `x in (a, b, ...)` as SQL: true if x equals some item; otherwise unknown
/// if x or some item is null; otherwise false.
fn membership(x: &Value, items: &[Value]) -> Option<bool> {
    let mut result = Some(false);
    for item in items {
        result = or3(result, equal3(x, item));
    }
    result
}

/// `+ - * /` on numbers, dates and days; null in, null out; dividing by
/// zero gives null.
fn arithmetic(op: ArithOp, a: Value, b: Value) -> Value {
    use Value::*;
    if a.is_null() || b.is_null() {
        return Null;
    }
    match (op, &a, &b) {
        // Dates work in days.
        (ArithOp::Sub, Date(x), Date(y)) => Int(*x as i64 - *y as i64),
        (ArithOp::Add, Date(d), Int(n)) | (ArithOp::Add, Int(n), Date(d)) => {
            Date(i32::try_from(*d as i64 + n).expect("a date in range"))
        }
        (ArithOp::Sub, Date(d), Int(n)) => {
            Date(i32::try_from(*d as i64 - n).expect("a date in range"))
        }
        // Whole numbers stay whole, except under `/`.
        (ArithOp::Add, Int(x), Int(y)) => Int(x.checked_add(*y).expect("no overflow")),
        (ArithOp::Sub, Int(x), Int(y)) => Int(x.checked_sub(*y).expect("no overflow")),
        (ArithOp::Mul, Int(x), Int(y)) => Int(x.checked_mul(*y).expect("no overflow")),
        (_, Float(_), _) | (_, _, Float(_)) => {
            let (x, y) = (as_float(&a), as_float(&b));
            float_or_null(match op {
                ArithOp::Add => x + y,
                ArithOp::Sub => x - y,
                ArithOp::Mul => x * y,
                ArithOp::Div => x / y,
            })
        }
        _ => {
            let (Some(x), Some(y)) = (as_decimal(&a), as_decimal(&b)) else {
                panic!("cannot {op:?} {a:?} and {b:?}: the checker should have refused it");
            };
            let result = match op {
                ArithOp::Add => x.checked_add(y),
                ArithOp::Sub => x.checked_sub(y),
                ArithOp::Mul => x.checked_mul(y),
                ArithOp::Div => {
                    if y.is_zero() {
                        return Null;
                    }
                    // reading: the quotient is rust_decimal's (exact where it
                    // can be, else rounded to 28 significant digits).
                    x.checked_div(y)
                }
            };
            Decimal(result.expect("no decimal overflow"))
        }
    }
}

fn call(func: Func, args: &[Value]) -> Value {
    use Value::*;
    let date = |v: &Value| -> Option<NaiveDate> {
        match v {
            Date(d) => Some(date_of(*d)),
            Timestamp(ms) => Some(datetime_of(*ms).date()),
            Null => None,
            other => panic!("{func:?} of {other:?}"),
        }
    };
    match func {
        Func::Age => {
            let (Some(birth), Some(on)) = (date(&args[0]), date(&args[1])) else {
                return Null;
            };
            // One year older on each birthday; a 29 February birthday counts
            // from 1 March in other years.
            let before_birthday = (on.month(), on.day()) < (birth.month(), birth.day());
            Int((on.year() - birth.year() - i32::from(before_birthday)) as i64)
        }
        Func::Year => date(&args[0]).map_or(Null, |d| Int(d.year() as i64)),
        Func::Month => date(&args[0]).map_or(Null, |d| Int(d.month() as i64)),
        Func::Day => date(&args[0]).map_or(Null, |d| Int(d.day() as i64)),
        // reading: times are wall-clock milliseconds; the hour of the day.
        Func::Hour => match &args[0] {
            Timestamp(t) => Int(t.div_euclid(3_600_000).rem_euclid(24)),
            Null => Null,
            other => panic!("hour({other:?})"),
        },
        Func::Prefix => match (&args[0], &args[1]) {
            // reading: a negative length gives the empty text.
            (Text(t), Int(n)) => Text(t.chars().take((*n).max(0) as usize).collect()),
            (Null, _) | (_, Null) => Null,
            (t, n) => panic!("prefix({t:?}, {n:?})"),
        },
        Func::Length => match &args[0] {
            Text(t) => Int(t.chars().count() as i64),
            List(items) => Int(items.len() as i64),
            Null => Null,
            other => panic!("length({other:?})"),
        },
        Func::Coalesce => {
            let first = args.iter().find(|v| !v.is_null()).cloned().unwrap_or(Null);
            // reading: with a float among the values, the value is a float.
            match first {
                Int(_) | Decimal(_) if args.iter().any(|v| matches!(v, Float(_))) => {
                    Float(as_float(&first))
                }
                other => other,
            }
        }
        Func::Float => match &args[0] {
            Null => Null,
            number => Float(as_float(number)),
        },
        _ => more_functions(func, args),
    }
}

/// The text of a text argument; `None` for null.
fn text_arg(func: Func, value: &Value) -> Option<&str> {
    match value {
        Value::Text(t) => Some(t),
        Value::Null => None,
        other => panic!("{func:?} of {other:?}"),
    }
}

fn whole_arg(func: Func, value: &Value) -> Option<i64> {
    match value {
        Value::Int(i) => Some(*i),
        Value::Null => None,
        other => panic!("{func:?} of {other:?}"),
    }
}

fn days_since_1970(date: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    (date - epoch).num_days() as i32
}

/// The text, date and number functions.
fn more_functions(func: Func, args: &[Value]) -> Value {
    use Value::*;
    let text = |i: usize| text_arg(func, &args[i]);
    let whole = |i: usize| whole_arg(func, &args[i]);
    let day = |i: usize| -> Option<NaiveDate> {
        match &args[i] {
            Date(d) => Some(date_of(*d)),
            // reading: a time's day is its UTC day, as `year` reads it.
            Timestamp(ms) => Some(datetime_of(*ms).date()),
            Null => None,
            other => panic!("{func:?} of {other:?}"),
        }
    };
    let date = |d: Option<NaiveDate>| d.map_or(Null, |d| Date(days_since_1970(d)));
    match func {
        Func::Upper => text(0).map_or(Null, |t| Text(t.to_uppercase())),
        Func::Lower => text(0).map_or(Null, |t| Text(t.to_lowercase())),
        Func::Trim => text(0).map_or(Null, |t| Text(t.trim_matches(char::is_whitespace).into())),
        Func::Substring => {
            let (Some(t), Some(start), Some(length)) = (text(0), whole(1), whole(2)) else {
                return Null;
            };
            // reading: as SQL, the characters at positions start ..
            // start + length - 1 (the first is 1) that exist; a negative
            // length gives the empty text.
            let (start, end) = (start as i128, start as i128 + length.max(0) as i128);
            Text(
                t.chars()
                    .zip(1i128..)
                    .filter(|(_, p)| start <= *p && *p < end)
                    .map(|(c, _)| c)
                    .collect(),
            )
        }
        Func::Concat => {
            // Null parts make the whole null, as SQL's `||`.
            if args.iter().any(Value::is_null) {
                return Null;
            }
            Text(args.iter().map(render).collect())
        }
        Func::Contains => match (text(0), text(1)) {
            (Some(t), Some(part)) => Bool(t.find(part).is_some()),
            _ => Null,
        },
        Func::Replace => match (text(0), text(1), text(2)) {
            // reading: an empty `from` replaces nothing (SQL's `replace`).
            (Some(t), Some(""), Some(_)) => Text(t.to_string()),
            (Some(t), Some(from), Some(to)) => Text(t.split(from).collect::<Vec<_>>().join(to)),
            _ => Null,
        },
        Func::ParseDate => {
            let format = text(1).expect("the checker makes the format a string");
            date(text(0).and_then(|t| NaiveDate::parse_from_str(t, format).ok()))
        }
        Func::MonthStart => {
            date(day(0).and_then(|d| NaiveDate::from_ymd_opt(d.year(), d.month(), 1)))
        }
        Func::YearStart => date(day(0).and_then(|d| NaiveDate::from_ymd_opt(d.year(), 1, 1))),
        Func::AddDays => match (day(0), whole(1)) {
            (Some(d), Some(n)) => {
                date(chrono::TimeDelta::try_days(n).and_then(|delta| d.checked_add_signed(delta)))
            }
            _ => Null,
        },
        Func::AddMonths => match (day(0), whole(1)) {
            (Some(d), Some(n)) => date(add_months(d, n)),
            _ => Null,
        },
        Func::DaysBetween => match (day(0), day(1)) {
            (Some(a), Some(b)) => Int((b - a).num_days()),
            _ => Null,
        },
        Func::Abs => match &args[0] {
            Int(i) => i.checked_abs().map_or(Null, Int),
            Decimal(d) => Decimal(d.abs()),
            Float(x) => Float(x.abs()),
            Null => Null,
            other => panic!("abs({other:?})"),
        },
        Func::Round => {
            let digits = if args.len() > 1 { whole(1) } else { Some(0) };
            match (&args[0], digits) {
                (Null, _) | (_, None) => Null,
                (Int(i), Some(k)) => round_whole(*i, k),
                (Decimal(d), Some(k)) => round_decimal(*d, k),
                // reading: to `k` decimal digits, half away from zero, in
                // floating point (scaled by 10^k, rounded, scaled back).
                (Float(x), Some(k)) => {
                    if k > 15 {
                        Float(*x)
                    } else if k >= 0 {
                        let scale = 10f64.powi(k as i32);
                        float_or_null((x * scale).round() / scale)
                    } else if k >= -308 {
                        let scale = 10f64.powi(-k as i32);
                        float_or_null((x / scale).round() * scale)
                    } else {
                        Float(0.0)
                    }
                }
                (other, _) => panic!("round({other:?})"),
            }
        }
        Func::Floor | Func::Ceil => match &args[0] {
            Int(i) => Int(*i),
            Float(x) if func == Func::Floor => float_or_null(x.floor()),
            Float(x) => float_or_null(x.ceil()),
            Decimal(d) => {
                let whole = d.trunc();
                let cut = whole != *d;
                let r = if func == Func::Floor && cut && d.is_sign_negative() {
                    whole - rust_decimal::Decimal::ONE
                } else if func == Func::Ceil && cut && d.is_sign_positive() {
                    whole + rust_decimal::Decimal::ONE
                } else {
                    whole
                };
                Decimal(unsigned_zero(r))
            }
            Null => Null,
            other => panic!("{func:?}({other:?})"),
        },
        _ => unreachable!("{func:?} is evaluated by `call`"),
    }
}

/// The same day `n` months on, or the month's last day when it is shorter;
/// `None` past the calendar.
fn add_months(d: NaiveDate, n: i64) -> Option<NaiveDate> {
    let months = (d.year() as i64)
        .checked_mul(12)?
        .checked_add(d.month0() as i64)?
        .checked_add(n)?;
    let year = i32::try_from(months.div_euclid(12)).ok()?;
    let month = months.rem_euclid(12) as u32 + 1;
    (d.day().min(28)..=d.day())
        .rev()
        .find_map(|day| NaiveDate::from_ymd_opt(year, month, day))
}

/// Zero is written without a sign.
fn unsigned_zero(mut d: Decimal) -> Decimal {
    if d.is_zero() {
        d.set_sign_positive(true);
    }
    d
}

/// A whole number rounded to `k` places, half away from zero: itself for
/// `k >= 0`, else to a multiple of 10^-k.
fn round_whole(i: i64, k: i64) -> Value {
    if k >= 0 {
        return Value::Int(i);
    }
    if k < -19 {
        // |i| < 10^19 is less than half of 10^20.
        return Value::Int(0);
    }
    let unit = 10i128.pow((-k) as u32);
    let rest = i as i128 % unit;
    let mut r = i as i128 - rest;
    if rest.abs() * 2 >= unit {
        r += unit * (i as i128).signum();
    }
    i64::try_from(r).map_or(Value::Null, Value::Int)
}

/// A decimal rounded to `k` places, half away from zero, keeping `k`
/// places (up to 28) when it has room for them; `k < 0` rounds to a
/// multiple of 10^-k.
fn round_decimal(d: Decimal, k: i64) -> Value {
    use rust_decimal::RoundingStrategy;
    if k >= 0 {
        let places = k.min(28) as u32;
        let mut r = d.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
        r.rescale(places);
        return Value::Decimal(unsigned_zero(r));
    }
    let k = k.unsigned_abs();
    let half_of_10_29 = Decimal::from_i128_with_scale(5 * 10i128.pow(28), 0);
    if k > 29 || (k == 29 && d.abs() < half_of_10_29) {
        // Less than half of 10^k: every decimal is.
        return Value::Decimal(Decimal::ZERO);
    }
    if k == 29 {
        // 10^29 is larger than any decimal.
        return Value::Null;
    }
    let unit = Decimal::from_i128_with_scale(10i128.pow(k as u32), 0);
    let rest = d % unit;
    let mut r = Some(d - rest);
    // (Half of the unit is exact; twice the rest might round.)
    if rest.abs() >= unit / Decimal::TWO {
        r = r.and_then(|r| {
            if d.is_sign_negative() {
                r.checked_sub(unit)
            } else {
                r.checked_add(unit)
            }
        });
    }
    r.map_or(Value::Null, |r| Value::Decimal(unsigned_zero(r.trunc())))
}
