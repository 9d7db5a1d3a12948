//! A proptest strategy for random rule texts over the CHS schema: a header
//! (`ruleset "r" version "1"`, a few parameters and sets) and one rule of a
//! random form (row, group, window last / running, sequence, pair,
//! population), built from templates with random, well-typed
//! sub-expressions. Constants are taken near the values of
//! `random_data`, so that rules fire on its datasets some of the time.
//!
//! Every text is meant to check without errors (`check_text`); the
//! self-test asserts it.

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Union};

use super::random_data::{DX_CODES, DX_PREFIXES, ITEM_CODES};

/// The header every generated text starts with (parameters and sets a rule
/// may use; unused ones are only warnings).
pub const HEADER: &str = r#"ruleset "r" version "1"
param lim = 2
param qlim = 1.5
param win = 7 days
param frac = 0.5
param cap = { "employee": 300.00, "resident": 150.00 }
set codes = ("X01", "D03", "S04")
set dxs = ("E11.900", "I10.x00")
"#;

/// The rule forms, to ask for one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormKind {
    Row,
    Group,
    WindowLast,
    WindowRunning,
    Sequence,
    Pair,
    Population,
}

impl FormKind {
    pub const ALL: [FormKind; 7] = [
        FormKind::Row,
        FormKind::Group,
        FormKind::WindowLast,
        FormKind::WindowRunning,
        FormKind::Sequence,
        FormKind::Pair,
        FormKind::Population,
    ];
}

/// A whole ruleset text with one rule of a random form.
pub fn rule_text() -> BoxedStrategy<String> {
    Union::new(FormKind::ALL.iter().map(|f| rule_text_of(*f))).boxed()
}

/// A whole ruleset text with one rule of the given form.
pub fn rule_text_of(form: FormKind) -> BoxedStrategy<String> {
    let body = match form {
        FormKind::Row => row_rule(),
        FormKind::Group => group_rule(),
        FormKind::WindowLast => window_last_rule(),
        FormKind::WindowRunning => window_running_rule(),
        FormKind::Sequence => sequence_rule(),
        FormKind::Pair => pair_rule(),
        FormKind::Population => population_rule(),
    };
    let body = match form {
        FormKind::Pair | FormKind::Population => body,
        _ => with_row_match(body),
    };
    let body = match form {
        FormKind::Population => body,
        _ => with_flag_grain(body),
    };
    body.prop_map(|body| {
        format!(
            "{HEADER}\nrule R1 \"随机规则 (random)\" {{\n  category test\n  severity low\n  action warn\n{body}}}\n"
        )
    })
    .boxed()
}

/// Some rules over lines also find each line's `exclusive_items` row
/// (`match` outside a pair rule) and read it in `flag when`.
fn with_row_match(body: S) -> S {
    let on = prop::sample::select(vec![
        "x.item_a = line.item_code",
        "x.item_b = line.item_code",
        "x.item_a = upper(line.item_code) and x.item_b = line.claim.claim_id",
        "line.item_code = x.item_b and x.item_a = prefix(line.item_code, 1)",
    ]);
    let reads = prop::sample::select(vec![
        "x is null or ",
        "x is not null and ",
        "x.valid_to is null or ",
        "x.basis is not null and ",
        "x.valid_from <= line.service_date and ",
    ]);
    (
        body,
        prop::option::weighted(0.4, (on, any::<bool>(), reads)),
    )
        .prop_map(|(body, matched)| match matched {
            Some((on, as_of, reads)) if body.starts_with("  for line in claim_items") => {
                let as_of = if as_of {
                    " as of line.service_date"
                } else {
                    ""
                };
                body.replacen(
                    "  flag when ",
                    &format!("  match x in exclusive_items on {on}{as_of}\n  flag when {reads}"),
                    1,
                )
            }
            _ => body,
        })
        .boxed()
}

/// Some rules over claims or lines flag what their rows belong to: a
/// line's claim, or the provider (`flag provider when`), whose flags merge.
fn with_flag_grain(body: S) -> S {
    (
        body,
        prop::sample::select(vec![None, None, None, Some("claim"), Some("provider")]),
    )
        .prop_map(|(body, grain)| {
            let lines = body.starts_with("  for line in claim_items");
            let claims = body.starts_with("  for c in claims");
            match grain {
                Some("claim") if lines => {}
                Some("provider") if lines || claims => {}
                _ => return body,
            }
            let grain = grain.unwrap_or_default();
            body.replacen("  flag when ", &format!("  flag {grain} when "), 1)
                .replacen(
                    "  flag once when ",
                    &format!("  flag {grain} once when "),
                    1,
                )
        })
        .boxed()
}

// ======================================================================
// Tables, columns and their constants
// ======================================================================

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tbl {
    Claims,
    Lines,
    Providers,
}

impl Tbl {
    fn name(self) -> &'static str {
        match self {
            Tbl::Claims => "claims",
            Tbl::Lines => "claim_items",
            Tbl::Providers => "providers",
        }
    }

    fn var(self) -> &'static str {
        match self {
            Tbl::Claims => "c",
            Tbl::Lines => "line",
            Tbl::Providers => "p",
        }
    }
}

/// The type of a value, as far as generation cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Num,
    /// Floating-point measures (`float(x)` and what is computed from it).
    Float,
    Text,
    Date,
    Time,
    List,
}

/// What a value means, to choose constants near it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dom {
    Money,
    Qty,
    Price,
    Supply,
    Level,
    Age,
    Tier,
    LineNo,
    Count,
    Year,
    Month,
    Day,
    Ratio,
    ClaimId,
    PatientId,
    ProviderId,
    Visit,
    Dx,
    Dx3,
    DxPrefix,
    Code,
    ItemType,
    Gender,
    Insurance,
    Region,
    PayClass,
    Family,
    Kind,
    Doctor,
    Name,
    Date,
    Birth,
    Time,
    /// A list of diagnoses (its elements are `Dx`).
    DxList,
    /// A list of diagnosis prefixes (its elements are `DxPrefix`).
    PrefixList,
}

type Col = (&'static str, Ty, Dom);

const CLAIM_COLUMNS: &[Col] = &[
    ("claim_id", Ty::Text, Dom::ClaimId),
    ("patient_id", Ty::Text, Dom::PatientId),
    ("provider_id", Ty::Text, Dom::ProviderId),
    ("visit_type", Ty::Text, Dom::Visit),
    ("admit_date", Ty::Date, Dom::Date),
    ("discharge_date", Ty::Date, Dom::Date),
    ("primary_dx", Ty::Text, Dom::Dx),
    ("secondary_dx", Ty::List, Dom::DxList),
    ("total_amount", Ty::Num, Dom::Money),
    ("fund_amount", Ty::Num, Dom::Money),
    ("settle_time", Ty::Time, Dom::Time),
    ("treat_region", Ty::Text, Dom::Region),
    ("patient.gender", Ty::Text, Dom::Gender),
    ("patient.birth_date", Ty::Date, Dom::Birth),
    ("patient.death_date", Ty::Date, Dom::Date),
    ("patient.insurance_type", Ty::Text, Dom::Insurance),
    ("patient.enroll_date", Ty::Date, Dom::Date),
    ("patient.benefit_start_date", Ty::Date, Dom::Date),
    ("patient.region", Ty::Text, Dom::Region),
    ("provider.level", Ty::Num, Dom::Level),
    ("provider.kind", Ty::Text, Dom::Kind),
    ("provider.region", Ty::Text, Dom::Region),
    ("provider.contract_from", Ty::Date, Dom::Date),
    ("provider.contract_to", Ty::Date, Dom::Date),
];

const LINE_COLUMNS: &[Col] = &[
    ("claim_id", Ty::Text, Dom::ClaimId),
    ("line_no", Ty::Num, Dom::LineNo),
    ("item_code", Ty::Text, Dom::Code),
    ("item_type", Ty::Text, Dom::ItemType),
    ("service_date", Ty::Date, Dom::Date),
    ("quantity", Ty::Num, Dom::Qty),
    ("unit_price", Ty::Num, Dom::Price),
    ("amount", Ty::Num, Dom::Money),
    ("days_supply", Ty::Num, Dom::Supply),
    ("doctor_id", Ty::Text, Dom::Doctor),
    ("entry.item_type", Ty::Text, Dom::ItemType),
    ("entry.pay_class", Ty::Text, Dom::PayClass),
    ("entry.valid_from", Ty::Date, Dom::Date),
    ("entry.valid_to", Ty::Date, Dom::Date),
    ("entry.price_cap", Ty::Num, Dom::Price),
    ("entry.gender_limit", Ty::Text, Dom::Gender),
    ("entry.min_age", Ty::Num, Dom::Age),
    ("entry.max_age", Ty::Num, Dom::Age),
    ("entry.dx_prefixes", Ty::List, Dom::PrefixList),
    ("entry.min_provider_level", Ty::Num, Dom::Level),
    ("entry.max_daily_qty", Ty::Num, Dom::Qty),
    ("entry.max_days_supply", Ty::Num, Dom::Supply),
    ("entry.family", Ty::Text, Dom::Family),
    ("entry.tier", Ty::Num, Dom::Tier),
];

const PROVIDER_COLUMNS: &[Col] = &[
    ("provider_id", Ty::Text, Dom::ProviderId),
    ("provider_name", Ty::Text, Dom::Name),
    ("level", Ty::Num, Dom::Level),
    ("kind", Ty::Text, Dom::Kind),
    ("region", Ty::Text, Dom::Region),
    ("contract_from", Ty::Date, Dom::Date),
    ("contract_to", Ty::Date, Dom::Date),
];

/// Every column a row of `table` reaches, as paths after the variable.
fn columns_of(table: Tbl) -> Vec<(String, Ty, Dom)> {
    let own = |cols: &[Col], prefix: &str| -> Vec<(String, Ty, Dom)> {
        cols.iter()
            .map(|(path, ty, dom)| (format!("{prefix}{path}"), *ty, *dom))
            .collect()
    };
    match table {
        Tbl::Claims => own(CLAIM_COLUMNS, ""),
        Tbl::Lines => {
            let mut cols = own(LINE_COLUMNS, "");
            cols.extend(own(CLAIM_COLUMNS, "claim."));
            cols
        }
        Tbl::Providers => own(PROVIDER_COLUMNS, ""),
    }
}

/// The related rows a row of `table` reaches (for `is null`).
fn relations_of(table: Tbl) -> &'static [&'static str] {
    match table {
        Tbl::Claims => &["patient", "provider"],
        Tbl::Lines => &["entry", "claim", "claim.patient", "claim.provider"],
        Tbl::Providers => &[],
    }
}

fn quoted(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| format!("\"{v}\"")).collect()
}

fn plain(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

/// Constants near the values of a domain, written as in rules.
fn constants(dom: Dom) -> Vec<String> {
    match dom {
        Dom::Money => plain(&["10.00", "100", "120.50", "300.00", "60"]),
        Dom::Qty => plain(&["1", "2", "0.5", "1.000", "3"]),
        Dom::Price => plain(&["10", "12.5", "30.2500", "50"]),
        Dom::Supply => plain(&["7", "15", "30", "60"]),
        Dom::Level => plain(&["1", "2", "3"]),
        Dom::Age => plain(&["0", "14", "18", "60"]),
        Dom::Tier => plain(&["1", "2", "3"]),
        Dom::LineNo => plain(&["1", "2"]),
        Dom::Count => plain(&["0", "1", "2", "3"]),
        Dom::Year => plain(&["2023", "2024", "2025"]),
        Dom::Month => plain(&["1", "2", "3", "12"]),
        Dom::Day => plain(&["1", "28", "29", "31"]),
        Dom::Ratio => plain(&["0", "0.5", "1", "0.25"]),
        Dom::ClaimId => quoted(&["C1", "C2", "C10"]),
        Dom::PatientId => quoted(&["P1", "P2", "P9"]),
        Dom::ProviderId => quoted(&["H1", "H2", "H9"]),
        Dom::Visit => quoted(&["outpatient", "inpatient", "pharmacy"]),
        Dom::Dx => quoted(&DX_CODES[..4]),
        Dom::Dx3 => quoted(&["E11", "I10", "J18"]),
        Dom::DxPrefix => quoted(&DX_PREFIXES),
        Dom::Code => quoted(&ITEM_CODES[..5]),
        Dom::ItemType => quoted(&["drug", "service", "material"]),
        Dom::Gender => quoted(&["M", "F"]),
        Dom::Insurance => quoted(&["employee", "resident"]),
        Dom::Region => quoted(&["110000", "310000"]),
        Dom::PayClass => quoted(&["A", "B", "C"]),
        Dom::Family => quoted(&["consult", "lab"]),
        Dom::Kind => quoted(&["hospital", "clinic", "pharmacy"]),
        Dom::Doctor => quoted(&["D1", "D2"]),
        Dom::Name => quoted(&["医院1", "医院2"]),
        Dom::Date | Dom::Birth | Dom::Time | Dom::DxList | Dom::PrefixList => plain(DATES),
    }
}

const DATES: &[&str] = &[
    "date(\"2023-12-31\")",
    "date(\"2024-01-01\")",
    "date(\"2024-01-15\")",
    "date(\"2024-02-29\")",
    "date(\"2024-03-01\")",
    "date(\"2025-02-28\")",
    "date(\"2025-03-01\")",
];

/// Prefixes for `starts with`, by domain.
fn prefixes(dom: Dom) -> Vec<String> {
    match dom {
        Dom::Dx | Dom::Dx3 => quoted(&["E11", "E1", "I", "J18.9"]),
        Dom::DxPrefix => quoted(&["E", "E1", "I1"]),
        Dom::Code => quoted(&["X", "D0", "Z"]),
        Dom::ClaimId => quoted(&["C1", "C"]),
        _ => quoted(&["1", "h", "医", "p", "c", "P", "H"]),
    }
}

/// Regular expressions for `matches`, by domain (as written in rules).
fn patterns(dom: Dom) -> Vec<String> {
    match dom {
        Dom::Dx | Dom::Dx3 => plain(&[r#""^E1[14]""#, r#""x00$""#, r#""\\.9""#]),
        Dom::Code => plain(&[r#""^X""#, r#""0[1-3]$""#]),
        _ => plain(&[r#""^[A-Z]""#, r#""0$""#, r#""a""#]),
    }
}

const DAYS: &[&str] = &["0 days", "1 day", "3 days", "15 days", "29 days", "30 days"];
const NUM_OPS: &[&str] = &["=", "<>", "<", "<=", ">", ">="];
const EQ_OPS: &[&str] = &["=", "<>"];

// ======================================================================
// What an expression may refer to
// ======================================================================

#[derive(Debug, Clone, Default)]
struct Scope {
    /// Variables whose columns may be read: (name, table).
    vars: Vec<(String, Tbl)>,
    /// `let` names: (name, type, domain).
    lets: Vec<(String, Ty, Dom)>,
    /// The row variable aggregates range over, when aggregates are allowed.
    aggregate: Option<(String, Tbl)>,
    /// Elements bound by an enclosing `any`/`all`: (name, element domain).
    items: Vec<(String, Dom)>,
    /// Statistics `quantile` may be taken of (population rules).
    statistics: Vec<(String, Dom)>,
    /// Whether aggregates may be taken per run of rows (`per`): group and
    /// window rules.
    runs: bool,
}

impl Scope {
    fn row(table: Tbl) -> Scope {
        Scope {
            vars: vec![(table.var().to_string(), table)],
            ..Scope::default()
        }
    }

    fn with_var(mut self, name: &str, table: Tbl) -> Scope {
        self.vars.push((name.to_string(), table));
        self
    }

    fn with_aggregates(mut self, table: Tbl) -> Scope {
        self.aggregate = Some((table.var().to_string(), table));
        self
    }

    /// Aggregates over runs too: `max(sum(x) per key)`.
    fn with_runs(mut self) -> Scope {
        self.runs = true;
        self
    }

    fn with_let(mut self, name: &str, ty: Ty, dom: Dom) -> Scope {
        self.lets.push((name.to_string(), ty, dom));
        self
    }

    /// Inside an aggregate: the row variable is readable, no aggregate nests.
    fn inside_aggregate(&self) -> Option<Scope> {
        let (var, table) = self.aggregate.clone()?;
        let mut inner = Scope {
            vars: self.vars.clone(),
            items: self.items.clone(),
            ..Scope::default()
        };
        if !inner.vars.iter().any(|(v, _)| *v == var) {
            inner.vars.push((var, table));
        }
        Some(inner)
    }

    /// Every column readable here: (expression, type, domain).
    fn columns(&self) -> Vec<(String, Ty, Dom)> {
        let mut out = Vec::new();
        for (var, table) in &self.vars {
            for (path, ty, dom) in columns_of(*table) {
                out.push((format!("{var}.{path}"), ty, dom));
            }
        }
        for (name, ty, dom) in &self.lets {
            out.push((name.clone(), *ty, *dom));
        }
        for (name, dom) in &self.items {
            out.push((name.clone(), Ty::Text, *dom));
        }
        out
    }

    fn columns_of_type(&self, ty: Ty) -> Vec<(String, Dom)> {
        self.columns()
            .into_iter()
            .filter(|(_, t, _)| *t == ty)
            .map(|(e, _, d)| (e, d))
            .collect()
    }

    fn related(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (var, table) in &self.vars {
            for rel in relations_of(*table) {
                out.push(format!("{var}.{rel}"));
            }
        }
        out
    }
}

// ======================================================================
// Expressions
// ======================================================================

type S = BoxedStrategy<String>;
type SD = BoxedStrategy<(String, Dom)>;

thread_local! {
    /// Strategies already built, by kind, depth and scope: templates build
    /// the same expression strategies for every case they generate.
    static MEMO: RefCell<HashMap<String, Rc<dyn Any>>> = RefCell::new(HashMap::new());
}

/// The strategy built by `build` for `key`, built once per thread.
fn memoized<T: 'static + Clone>(key: String, build: impl FnOnce() -> T) -> T {
    let found = MEMO.with(|m| m.borrow().get(&key).cloned());
    if let Some(found) = found {
        return found.downcast_ref::<T>().expect("one type per key").clone();
    }
    // Not borrowed while building: building recurses.
    let built = build();
    MEMO.with(|m| m.borrow_mut().insert(key, Rc::new(built.clone())));
    built
}

fn union<T: std::fmt::Debug + Clone + 'static>(
    arms: Vec<(u32, BoxedStrategy<T>)>,
) -> BoxedStrategy<T> {
    Union::new_weighted(arms).boxed()
}

fn select_str(options: Vec<String>) -> S {
    prop::sample::select(options).boxed()
}

fn select_dom(options: Vec<(String, Dom)>) -> SD {
    prop::sample::select(options).boxed()
}

/// A constant of the domain.
fn constant(dom: Dom) -> S {
    select_str(constants(dom))
}

/// A numeric value: a column, a let, a function, an aggregate, or
/// arithmetic on them.
fn num(scope: &Scope, depth: u32) -> SD {
    let key = format!("num/{}/{scope:?}", depth);
    memoized(key, || num_uncached(scope, depth))
}

fn num_uncached(scope: &Scope, depth: u32) -> SD {
    let mut arms: Vec<(u32, SD)> = Vec::new();
    let cols = scope.columns_of_type(Ty::Num);
    if !cols.is_empty() {
        arms.push((8, select_dom(cols)));
    }
    let dates = scope.columns_of_type(Ty::Date);
    let times = scope.columns_of_type(Ty::Time);
    if !times.is_empty() {
        // The hour of a time, compared with days' constants (1 to 31).
        arms.push((
            1,
            select_dom(times.clone())
                .prop_map(|(t, _)| (format!("hour({t})"), Dom::Day))
                .boxed(),
        ));
    }
    let mut dated = dates.clone();
    dated.extend(times);
    if !dated.is_empty() {
        let parts = [
            ("year", Dom::Year),
            ("month", Dom::Month),
            ("day", Dom::Day),
        ];
        arms.push((
            2,
            (
                prop::sample::select(parts.to_vec()),
                select_dom(dated.clone()),
            )
                .prop_map(|((f, dom), (d, _))| (format!("{f}({d})"), dom))
                .boxed(),
        ));
    }
    let births: Vec<(String, Dom)> = dates
        .iter()
        .filter(|(_, d)| *d == Dom::Birth)
        .cloned()
        .collect();
    if !births.is_empty() {
        arms.push((
            2,
            (select_dom(births), select_dom(dates.clone()))
                .prop_map(|((b, _), (d, _))| (format!("age({b}, {d})"), Dom::Age))
                .boxed(),
        ));
    }
    let lengthy: Vec<(String, Dom)> = scope
        .columns()
        .into_iter()
        .filter(|(_, t, _)| matches!(t, Ty::List | Ty::Text))
        .map(|(e, _, d)| (e, d))
        .collect();
    if !lengthy.is_empty() {
        arms.push((
            1,
            select_dom(lengthy)
                .prop_map(|(e, _)| (format!("length({e})"), Dom::Count))
                .boxed(),
        ));
    }
    let num_cols = scope.columns_of_type(Ty::Num);
    if !num_cols.is_empty() {
        arms.push((
            1,
            select_dom(num_cols.clone())
                .prop_flat_map(|(e, dom)| {
                    constant(dom).prop_map(move |k| (format!("coalesce({e}, {k})"), dom))
                })
                .boxed(),
        ));
    }
    let dated_names: Vec<String> = dates.iter().map(|(e, _)| e.clone()).collect();
    if !dated_names.is_empty() {
        arms.push((
            1,
            (select_str(dated_names.clone()), date(scope))
                .prop_map(|(a, b)| (format!("days_between({a}, {b})"), Dom::Supply))
                .boxed(),
        ));
    }
    if !num_cols.is_empty() {
        arms.push((2, number_function(select_dom(num_cols.clone()), scope)));
    }
    if let Some(aggregate) = aggregate_num(scope) {
        arms.push((9, aggregate));
    }
    // (A float statistic's quantile is a float: `flt` reads the statistic.)
    let floats = scope.columns_of_type(Ty::Float);
    for (name, dom) in &scope.statistics {
        if floats.iter().any(|(f, _)| f == name) {
            continue;
        }
        let name = name.clone();
        let dom = *dom;
        arms.push((
            3,
            constant(Dom::Ratio)
                .prop_map(move |p| (format!("quantile({name}, {p})"), dom))
                .boxed(),
        ));
    }
    let leaf = union(arms);
    if depth == 0 {
        return leaf;
    }
    let sub = num(scope, depth - 1);
    let operand = union(vec![
        (1, sub.clone().prop_map(|(e, _)| e).boxed()),
        (1, select_str(plain(&["1", "2", "0.5", "3", "10"]))),
    ]);
    union(vec![
        (6, leaf),
        (
            2,
            (
                sub.clone(),
                prop::sample::select(vec!["+", "-", "*", "/"]),
                operand,
            )
                .prop_map(|((a, dom), op, b)| (format!("({a} {op} {b})"), dom))
                .boxed(),
        ),
        (
            1,
            sub.clone()
                .prop_map(|(e, dom)| (format!("-({e})"), dom))
                .boxed(),
        ),
        (1, number_function(sub, scope)),
    ])
}

/// A floating-point measure: `float` of a number, a float `let`, a sum or
/// extreme of floats where aggregates are allowed, arithmetic with floats
/// or written constants (never with a decimal column: E0211), `abs`,
/// `round`, `floor` or `ceil`. Division by 3 and by 10 makes values no
/// float holds exactly, so that sums depend on their order unless exact.
fn flt(scope: &Scope, depth: u32) -> S {
    let key = format!("flt/{}/{scope:?}", depth);
    memoized(key, || flt_uncached(scope, depth))
}

fn flt_uncached(scope: &Scope, depth: u32) -> S {
    let mut arms: Vec<(u32, S)> = vec![(
        4,
        num(scope, 0)
            .prop_map(|(e, _)| format!("float({e})"))
            .boxed(),
    )];
    let lets = scope.columns_of_type(Ty::Float);
    if !lets.is_empty() {
        arms.push((3, select_dom(lets).prop_map(|(e, _)| e).boxed()));
    }
    if let Some(inner) = scope.inside_aggregate() {
        arms.push((
            4,
            (
                prop::sample::select(vec!["sum", "sum", "min", "max"]),
                flt(&inner, 1),
            )
                .prop_map(|(f, e)| format!("{f}({e})"))
                .boxed(),
        ));
    }
    let leaf = union(arms);
    if depth == 0 {
        return leaf;
    }
    let sub = flt(scope, depth - 1);
    let operand = union(vec![
        (2, sub.clone()),
        (2, select_str(plain(&["3", "10", "0.1", "0.5", "qlim"]))),
    ]);
    union(vec![
        (4, leaf),
        (
            3,
            (
                sub.clone(),
                prop::sample::select(vec!["+", "-", "*", "/"]),
                operand,
            )
                .prop_map(|(a, op, b)| format!("({a} {op} {b})"))
                .boxed(),
        ),
        (1, sub.clone().prop_map(|e| format!("-({e})")).boxed()),
        (
            1,
            (
                sub,
                prop::sample::select(vec!["abs", "round", "floor", "ceil"]),
                prop::option::of(select_str(plain(&["0", "1", "2", "-1"]))),
            )
                .prop_map(|(e, f, digits)| match (f, digits) {
                    ("round", Some(k)) => format!("round({e}, {k})"),
                    (f, _) => format!("{f}({e})"),
                })
                .boxed(),
        ),
    ])
}

/// `abs`, `round`, `floor` or `ceil` of a number.
fn number_function(x: SD, scope: &Scope) -> SD {
    (
        x,
        prop::sample::select(vec!["abs", "round", "round", "floor", "ceil"]),
        prop::option::of(whole(scope)),
    )
        .prop_map(|((e, dom), f, digits)| match (f, digits) {
            ("round", Some(k)) => (format!("round({e}, {k})"), dom),
            (f, _) => (format!("{f}({e})"), dom),
        })
        .boxed()
}

/// Columns of whole numbers (the generator's `Num` columns are whole
/// numbers and decimals).
const WHOLE_COLUMNS: &[&str] = &[
    ".line_no",
    ".days_supply",
    ".level",
    ".min_age",
    ".max_age",
    ".tier",
    ".max_days_supply",
];

/// A whole number: a small constant (negative ones too), a whole-number
/// column, or a part of a date.
fn whole(scope: &Scope) -> S {
    let key = format!("whole/{scope:?}");
    memoized(key, || {
        let mut arms: Vec<(u32, S)> = vec![(
            4,
            select_str(plain(&["-13", "-1", "0", "1", "2", "3", "12", "31"])),
        )];
        let columns: Vec<String> = scope
            .columns_of_type(Ty::Num)
            .into_iter()
            .map(|(e, _)| e)
            .filter(|e| WHOLE_COLUMNS.iter().any(|w| e.ends_with(w)))
            .collect();
        if !columns.is_empty() {
            arms.push((2, select_str(columns)));
        }
        let dates: Vec<String> = scope
            .columns_of_type(Ty::Date)
            .into_iter()
            .map(|(e, _)| e)
            .collect();
        if !dates.is_empty() {
            arms.push((
                1,
                (
                    prop::sample::select(vec!["month", "day"]),
                    select_str(dates),
                )
                    .prop_map(|(f, d)| format!("-{f}({d})"))
                    .boxed(),
            ));
        }
        union(arms)
    })
}

/// A numeric aggregate over the rows, where aggregates are allowed.
fn aggregate_num(scope: &Scope) -> Option<SD> {
    let inner = scope.inside_aggregate()?;
    let mut arms: Vec<(u32, SD)> = Vec::new();
    let inner_nums = inner.columns_of_type(Ty::Num);
    arms.push((3, Just(("count()".to_string(), Dom::Count)).boxed()));
    arms.push((
        2,
        cond(&inner, 0)
            .prop_map(|c| (format!("count({c})"), Dom::Count))
            .boxed(),
    ));
    let distinct: Vec<(String, Dom)> = inner
        .columns()
        .into_iter()
        .filter(|(_, t, _)| matches!(t, Ty::Text | Ty::Date | Ty::Num))
        .map(|(e, _, d)| (e, d))
        .collect();
    arms.push((
        1,
        select_dom(distinct)
            .prop_map(|(e, _)| (format!("count(distinct {e})"), Dom::Count))
            .boxed(),
    ));
    if !inner_nums.is_empty() {
        arms.push((
            3,
            (
                prop::sample::select(vec!["sum", "sum", "min", "max"]),
                num(&inner, 0),
            )
                .prop_map(|(f, (e, dom))| (format!("{f}({e})"), dom))
                .boxed(),
        ));
    }
    if scope.runs
        && let Some((_, table)) = &scope.aggregate
    {
        // An aggregate of each run of rows with one key, aggregated again.
        let inner_aggregate = if inner_nums.is_empty() {
            Just("count()".to_string()).boxed()
        } else {
            union(vec![
                (1, Just("count()".to_string()).boxed()),
                (
                    2,
                    (prop::sample::select(vec!["sum", "max"]), num(&inner, 0))
                        .prop_map(|(f, (e, _))| format!("{f}({e})"))
                        .boxed(),
                ),
            ])
        };
        // The run's value: the aggregate, or its change from the run
        // before (`lag`), as a difference or a ratio.
        let run_value = (
            inner_aggregate,
            prop::sample::select(vec!["", "", " - lag(#, 1)", " / lag(#, 1)", " - lag(#, 2)"]),
        )
            .prop_map(|(inner, change)| format!("{inner}{}", change.replace('#', &inner)))
            .boxed();
        arms.push((
            2,
            (
                prop::sample::select(vec!["sum", "min", "max"]),
                run_value,
                select_str(key_menu(*table)),
            )
                .prop_map(|(outer, inner, key)| (format!("{outer}({inner} per {key})"), Dom::Count))
                .boxed(),
        ));
    }
    Some(union(arms))
}

/// A date: a column, a column moved by some days, a constant, an aggregate.
fn date(scope: &Scope) -> S {
    let key = format!("date/{}/{scope:?}", 0);
    memoized(key, || date_uncached(scope))
}

fn date_uncached(scope: &Scope) -> S {
    let cols = scope.columns_of_type(Ty::Date);
    let mut arms: Vec<(u32, S)> = vec![(2, select_str(plain(DATES)))];
    if !cols.is_empty() {
        let names: Vec<String> = cols.into_iter().map(|(e, _)| e).collect();
        arms.push((6, select_str(names.clone())));
        arms.push((
            2,
            (
                select_str(names.clone()),
                prop::sample::select(vec!["+", "-"]),
                select_str(plain(DAYS)),
            )
                .prop_map(|(d, op, n)| format!("({d} {op} {n})"))
                .boxed(),
        ));
        arms.push((
            1,
            (select_str(names.clone()), select_str(plain(DATES)))
                .prop_map(|(d, k)| format!("coalesce({d}, {k})"))
                .boxed(),
        ));
        let mut dated = names.clone();
        dated.extend(scope.columns_of_type(Ty::Time).into_iter().map(|(e, _)| e));
        arms.push((
            1,
            (
                prop::sample::select(vec!["month_start", "year_start"]),
                select_str(dated),
            )
                .prop_map(|(f, d)| format!("{f}({d})"))
                .boxed(),
        ));
        arms.push((
            2,
            (
                prop::sample::select(vec!["add_days", "add_months"]),
                select_str(names.clone()),
                whole(scope),
            )
                .prop_map(|(f, d, k)| format!("{f}({d}, {k})"))
                .boxed(),
        ));
        // A date written as text and read back; text that is no date.
        let formats = vec![
            ("{y}-{m}-{d}", "%Y-%m-%d"),
            ("{d}/{m}/{y}", "%d/%m/%Y"),
            ("{y}年{m}月{d}日", "%Y年%m月%d日"),
        ];
        arms.push((
            1,
            (select_str(names), prop::sample::select(formats))
                .prop_map(|(d, (written, format))| {
                    let parts = written
                        .replace("{y}", &format!("\", year({d}), \""))
                        .replace("{m}", &format!("\", month({d}), \""))
                        .replace("{d}", &format!("\", day({d}), \""));
                    format!("parse_date(concat(\"{parts}\"), \"{format}\")")
                })
                .boxed(),
        ));
        arms.push((
            1,
            text(scope)
                .prop_map(|(t, _)| format!("parse_date({t}, \"%Y%m%d\")"))
                .boxed(),
        ));
    }
    if let Some(inner) = scope.inside_aggregate() {
        let inner_dates: Vec<String> = inner
            .columns_of_type(Ty::Date)
            .into_iter()
            .map(|(e, _)| e)
            .collect();
        if !inner_dates.is_empty() {
            arms.push((
                2,
                (
                    prop::sample::select(vec!["min", "max"]),
                    select_str(inner_dates),
                )
                    .prop_map(|(f, d)| format!("{f}({d})"))
                    .boxed(),
            ));
        }
    }
    union(arms)
}

/// A number of days: a difference of dates, a constant, a parameter.
fn days(scope: &Scope) -> S {
    let key = format!("days/{}/{scope:?}", 0);
    memoized(key, || days_uncached(scope))
}

fn days_uncached(scope: &Scope) -> S {
    let mut arms: Vec<(u32, S)> = vec![
        (2, select_str(plain(DAYS))),
        (1, Just("win".to_string()).boxed()),
    ];
    let names: Vec<String> = scope
        .columns_of_type(Ty::Date)
        .into_iter()
        .map(|(e, _)| e)
        .collect();
    if !names.is_empty() {
        arms.push((
            5,
            (select_str(names.clone()), date(scope))
                .prop_map(|(a, b)| format!("({a} - {b})"))
                .boxed(),
        ));
    }
    if let Some(inner) = scope.inside_aggregate() {
        let inner_dates: Vec<String> = inner
            .columns_of_type(Ty::Date)
            .into_iter()
            .map(|(e, _)| e)
            .collect();
        if !inner_dates.is_empty() {
            arms.push((
                1,
                (select_str(inner_dates.clone()), select_str(inner_dates))
                    .prop_map(|(a, b)| format!("sum({a} - {b})"))
                    .boxed(),
            ));
        }
    }
    union(arms)
}

/// A text value with its domain: a column, `prefix(dx, 3)`, an aggregate.
fn text(scope: &Scope) -> SD {
    let key = format!("text/{}/{scope:?}", 0);
    memoized(key, || text_uncached(scope))
}

fn text_uncached(scope: &Scope) -> SD {
    let cols = scope.columns_of_type(Ty::Text);
    let mut arms: Vec<(u32, SD)> = Vec::new();
    if !cols.is_empty() {
        arms.push((8, select_dom(cols.clone())));
        arms.push((
            1,
            select_dom(cols.clone())
                .prop_flat_map(|(e, dom)| {
                    constant(dom).prop_map(move |k| (format!("coalesce({e}, {k})"), dom))
                })
                .boxed(),
        ));
    }
    if !cols.is_empty() {
        arms.push((3, text_function(select_dom(cols.clone()), scope)));
    }
    let dx: Vec<(String, Dom)> = cols.into_iter().filter(|(_, d)| *d == Dom::Dx).collect();
    if !dx.is_empty() {
        arms.push((
            2,
            select_dom(dx)
                .prop_map(|(e, _)| (format!("prefix({e}, 3)"), Dom::Dx3))
                .boxed(),
        ));
    }
    if let Some(inner) = scope.inside_aggregate() {
        let inner_text = inner.columns_of_type(Ty::Text);
        if !inner_text.is_empty() {
            arms.push((
                1,
                (
                    prop::sample::select(vec!["min", "max"]),
                    select_dom(inner_text),
                )
                    .prop_map(|(f, (e, dom))| (format!("{f}({e})"), dom))
                    .boxed(),
            ));
        }
    }
    if arms.is_empty() {
        // No text here: a constant.
        return Just(("\"X01\"".to_string(), Dom::Code)).boxed();
    }
    union(arms)
}

/// A text function of text `t`: case, spaces, parts, replacements and
/// values written as text.
fn text_function(t: SD, scope: &Scope) -> SD {
    let values: Vec<String> = scope
        .columns()
        .into_iter()
        .filter(|(_, ty, _)| *ty != Ty::List)
        .map(|(e, _, _)| e)
        .collect();
    let other = select_str(values);
    (
        t,
        0..7usize,
        whole(scope),
        whole(scope),
        other,
        select_str(quoted(&["0", ".", "E", "医院", ""])),
    )
        .prop_map(|((e, dom), f, a, b, other, part)| match f {
            0 => (format!("upper({e})"), dom),
            1 => (format!("lower({e})"), dom),
            2 => (format!("trim(concat(\" \", {e}, \"\u{3000}\"))"), dom),
            3 if dom == Dom::Dx => (format!("substring({e}, 1, 3)"), Dom::Dx3),
            3 => (format!("substring({e}, {a}, {b})"), dom),
            4 => (format!("concat({e}, \"-\", {other})"), Dom::Name),
            5 => (format!("replace({e}, {part}, \"零\")"), dom),
            _ => (format!("concat({e})"), dom),
        })
        .boxed()
}

/// Text of the same domain as `dom` to compare with: a constant, or
/// another column of that domain.
fn same_domain(scope: &Scope, dom: Dom) -> S {
    let others: Vec<String> = scope
        .columns_of_type(Ty::Text)
        .into_iter()
        .filter(|(_, d)| *d == dom)
        .map(|(e, _)| e)
        .collect();
    if others.is_empty() {
        constant(dom)
    } else {
        union(vec![(3, constant(dom)), (1, select_str(others))])
    }
}

/// A condition.
fn cond(scope: &Scope, depth: u32) -> S {
    let key = format!("cond/{}/{scope:?}", depth);
    memoized(key, || cond_uncached(scope, depth))
}

fn cond_uncached(scope: &Scope, depth: u32) -> S {
    let mut arms: Vec<(u32, S)> = Vec::new();

    // Numbers compared with constants of their domain or other numbers.
    let n = num(scope, depth.min(1));
    let other = num(scope, 0);
    arms.push((
        6,
        (n.clone(), prop::sample::select(NUM_OPS.to_vec()), other)
            .prop_flat_map(|((a, dom), op, (b, _))| {
                union(vec![(3, constant(dom)), (1, Just(b).boxed())])
                    .prop_map(move |k| format!("{a} {op} {k}"))
            })
            .boxed(),
    ));
    arms.push((
        2,
        n.clone()
            .prop_flat_map(|(a, dom)| {
                (constant(dom), constant(dom), any::<bool>()).prop_map(move |(lo, hi, neg)| {
                    let not = if neg { "not " } else { "" };
                    format!("{a} {not}between {lo} and {hi}")
                })
            })
            .boxed(),
    ));
    arms.push((
        1,
        (
            n.clone(),
            prop::sample::select(NUM_OPS.to_vec()),
            prop::sample::select(vec!["lim", "qlim", "frac"]),
        )
            .prop_map(|((a, _), op, p)| format!("{a} {op} {p}"))
            .boxed(),
    ));
    // Floating-point measures, compared with written constants or each other.
    arms.push((
        2,
        (
            flt(scope, depth.min(1)),
            prop::sample::select(NUM_OPS.to_vec()),
            union(vec![
                (
                    2,
                    select_str(plain(&["0", "0.1", "0.5", "1.5", "3", "20", "100", "qlim"])),
                ),
                (1, flt(scope, 0)),
            ]),
        )
            .prop_map(|(a, op, b)| format!("{a} {op} {b}"))
            .boxed(),
    ));
    // Dates and days.
    arms.push((
        3,
        (
            date(scope),
            prop::sample::select(NUM_OPS.to_vec()),
            date(scope),
        )
            .prop_map(|(a, op, b)| format!("{a} {op} {b}"))
            .boxed(),
    ));
    arms.push((
        1,
        (
            date(scope),
            select_str(plain(DATES)),
            select_str(plain(DATES)),
        )
            .prop_map(|(a, lo, hi)| format!("{a} between {lo} and {hi}"))
            .boxed(),
    ));
    arms.push((
        3,
        (
            days(scope),
            prop::sample::select(NUM_OPS.to_vec()),
            days(scope),
        )
            .prop_map(|(a, op, b)| format!("{a} {op} {b}"))
            .boxed(),
    ));
    arms.push((
        1,
        (
            days(scope),
            select_str(plain(DAYS)),
            select_str(plain(DAYS)),
        )
            .prop_map(|(a, lo, hi)| format!("{a} between {lo} and {hi}"))
            .boxed(),
    ));
    // Text.
    let t = text(scope);
    {
        let scope = scope.clone();
        arms.push((
            5,
            (t.clone(), prop::sample::select(EQ_OPS.to_vec()))
                .prop_flat_map(move |((a, dom), op)| {
                    same_domain(&scope, dom).prop_map(move |b| format!("{a} {op} {b}"))
                })
                .boxed(),
        ));
    }
    arms.push((
        3,
        (t.clone(), any::<bool>())
            .prop_flat_map(|((a, dom), neg)| {
                let options = constants(dom);
                let most = options.len().min(3);
                prop::sample::subsequence(options, 1..=most).prop_map(move |items| {
                    let not = if neg { "not " } else { "" };
                    format!("{a} {not}in ({})", items.join(", "))
                })
            })
            .boxed(),
    ));
    let codes: Vec<String> = scope
        .columns_of_type(Ty::Text)
        .into_iter()
        .filter(|(_, d)| matches!(d, Dom::Code | Dom::Dx))
        .map(|(e, d)| {
            let set = if d == Dom::Code { "codes" } else { "dxs" };
            format!("{e} in {set}")
        })
        .collect();
    if !codes.is_empty() {
        arms.push((
            1,
            (select_str(codes), any::<bool>())
                .prop_map(|(c, neg)| if neg { format!("not {c}") } else { c })
                .boxed(),
        ));
    }
    arms.push((
        2,
        t.clone()
            .prop_flat_map(|(a, dom)| {
                select_str(prefixes(dom)).prop_map(move |p| format!("{a} starts with {p}"))
            })
            .boxed(),
    ));
    arms.push((
        1,
        t.clone()
            .prop_flat_map(|(a, dom)| {
                select_str(patterns(dom)).prop_map(move |p| format!("{a} matches {p}"))
            })
            .boxed(),
    ));
    arms.push((
        1,
        t.clone()
            .prop_flat_map(|(a, dom)| {
                let mut parts = prefixes(dom);
                parts.push("\"\"".into());
                select_str(parts).prop_map(move |p| format!("contains({a}, {p})"))
            })
            .boxed(),
    ));
    // Nulls.
    let mut nullable: Vec<String> = scope.columns().into_iter().map(|(e, _, _)| e).collect();
    nullable.extend(scope.related());
    arms.push((
        3,
        (select_str(nullable), any::<bool>())
            .prop_map(|(e, neg)| {
                if neg {
                    format!("{e} is not null")
                } else {
                    format!("{e} is null")
                }
            })
            .boxed(),
    ));
    // Lists.
    let lists: Vec<(String, Dom)> = scope.columns_of_type(Ty::List);
    if !lists.is_empty() {
        let depth_name = format!("x{}", scope.items.len() + 1);
        let mut scope_for_body = scope.clone();
        // Aggregates range over rows, not list elements: never inside `any`/`all`.
        scope_for_body.aggregate = None;
        arms.push((
            3,
            (select_dom(lists.clone()), any::<bool>())
                .prop_flat_map(move |((list, dom), all)| {
                    let element = if dom == Dom::DxList {
                        Dom::Dx
                    } else {
                        Dom::DxPrefix
                    };
                    let mut inner = scope_for_body.clone();
                    inner.items.push((depth_name.clone(), element));
                    let name = depth_name.clone();
                    let body = if depth > 0 && inner.items.len() < 3 {
                        cond(&inner, depth - 1)
                    } else {
                        // The element compared with a constant.
                        let name = name.clone();
                        union(vec![
                            (
                                1,
                                select_str(prefixes(element))
                                    .prop_map({
                                        let name = name.clone();
                                        move |p| format!("{name} starts with {p}")
                                    })
                                    .boxed(),
                            ),
                            (
                                1,
                                constant(element)
                                    .prop_map(move |k| format!("{name} = {k}"))
                                    .boxed(),
                            ),
                        ])
                    };
                    let quantifier = if all { "all" } else { "any" };
                    body.prop_map(move |b| format!("{quantifier}({name} in {list}: {b})"))
                })
                .boxed(),
        ));
        let scope_for_in = scope.clone();
        arms.push((
            2,
            (select_dom(lists), any::<bool>())
                .prop_flat_map(move |((list, dom), neg)| {
                    let element = if dom == Dom::DxList {
                        Dom::Dx
                    } else {
                        Dom::DxPrefix
                    };
                    let not = if neg { "not " } else { "" };
                    same_domain(&scope_for_in, element)
                        .prop_map(move |x| format!("{x} {not}in {list}"))
                })
                .boxed(),
        ));
    }
    // A map parameter.
    let insurance: Vec<String> = scope
        .columns_of_type(Ty::Text)
        .into_iter()
        .filter(|(_, d)| *d == Dom::Insurance)
        .map(|(e, _)| e)
        .collect();
    if !insurance.is_empty() {
        arms.push((
            2,
            (
                n.clone(),
                prop::sample::select(NUM_OPS.to_vec()),
                select_str(insurance),
            )
                .prop_map(|((a, _), op, key)| format!("{a} {op} cap[{key}]"))
                .boxed(),
        ));
    }
    // Aggregates compared with constants, and aggregated conditions.
    if let Some(aggregate) = aggregate_num(scope) {
        arms.push((
            6,
            (aggregate, prop::sample::select(NUM_OPS.to_vec()))
                .prop_flat_map(|((a, dom), op)| {
                    constant(dom).prop_map(move |k| format!("{a} {op} {k}"))
                })
                .boxed(),
        ));
    }
    if let Some(inner) = scope.inside_aggregate() {
        arms.push((
            2,
            (prop::sample::select(vec!["any", "all"]), cond(&inner, 0))
                .prop_map(|(f, c)| format!("{f}({c})"))
                .boxed(),
        ));
    }
    arms.push((1, select_str(plain(&["true", "false"]))));

    let leaf = union(arms);
    if depth == 0 {
        return leaf;
    }
    let sub = cond(scope, depth - 1);
    union(vec![
        (5, leaf),
        (
            2,
            (sub.clone(), sub.clone())
                .prop_map(|(a, b)| format!("({a} and {b})"))
                .boxed(),
        ),
        (
            2,
            (sub.clone(), sub.clone())
                .prop_map(|(a, b)| format!("({a} or {b})"))
                .boxed(),
        ),
        (1, sub.prop_map(|a| format!("not ({a})")).boxed()),
    ])
}

/// A value for a message placeholder: no string literals (the placeholder
/// sits inside the message's quotes).
fn message_value(scope: &Scope) -> S {
    let mut options: Vec<String> = scope.columns().into_iter().map(|(e, _, _)| e).collect();
    if let Some(inner) = scope.inside_aggregate() {
        options.push("count()".into());
        for (e, _) in inner.columns_of_type(Ty::Num) {
            options.push(format!("sum({e})"));
        }
    }
    for (name, _) in &scope.statistics {
        options.push(format!("quantile({name}, 0.5)"));
    }
    let dates: Vec<String> = scope
        .columns_of_type(Ty::Date)
        .into_iter()
        .map(|(e, _)| e)
        .collect();
    let mut arms: Vec<(u32, S)> = vec![(4, select_str(options))];
    if !dates.is_empty() {
        arms.push((
            1,
            (select_str(dates.clone()), select_str(dates))
                .prop_map(|(a, b)| format!("{a} - {b}"))
                .boxed(),
        ));
    }
    let nums = num(scope, 1).prop_map(|(e, _)| e);
    arms.push((
        1,
        nums.prop_filter("no string literals in a placeholder", |e| !e.contains('"'))
            .boxed(),
    ));
    union(arms)
}

/// An optional `message` line (an empty message renders as the rule's name).
fn message(scope: &Scope) -> S {
    let value = message_value(scope);
    union(vec![
        (1, Just(String::new()).boxed()),
        (1, Just("  message \"\"\n".to_string()).boxed()),
        (
            4,
            (value.clone(), value)
                .prop_map(|(a, b)| format!("  message \"值 {{{a}}} 与 {{{b}}}; \\{{字面\\}}\"\n"))
                .boxed(),
        ),
    ])
}

// ======================================================================
// Rule templates
// ======================================================================

fn tables() -> BoxedStrategy<Tbl> {
    prop::sample::select(vec![Tbl::Claims, Tbl::Lines, Tbl::Lines, Tbl::Providers]).boxed()
}

fn for_line(table: Tbl) -> String {
    format!("  for {} in {}\n", table.var(), table.name())
}

/// An optional `where` on the rule's rows.
fn where_clause(table: Tbl) -> S {
    prop::option::weighted(0.5, cond(&Scope::row(table), 1))
        .prop_map(|w| w.map_or(String::new(), |w| format!("  where {w}\n")))
        .boxed()
}

/// An optional numeric `let a = ...`, then the flag and message using it.
fn lets_flag_message(scope: Scope) -> S {
    (prop::option::weighted(0.4, num(&scope, 1)))
        .prop_flat_map(move |a| {
            let scope = match &a {
                Some((_, dom)) => scope.clone().with_let("a", Ty::Num, *dom),
                None => scope.clone(),
            };
            let let_line = a.map_or(String::new(), |(e, _)| format!("  let a = {e}\n"));
            (cond(&scope, 2), message(&scope))
                .prop_map(move |(flag, msg)| format!("{let_line}  flag when {flag}\n{msg}"))
        })
        .boxed()
}

fn key_menu(table: Tbl) -> Vec<String> {
    let v = table.var();
    let keys: &[&str] = match table {
        Tbl::Claims => &[
            "{v}.patient_id",
            "{v}.provider_id",
            "{v}.admit_date",
            "year({v}.admit_date)",
            "prefix({v}.primary_dx, 3)",
            "month_start({v}.admit_date)",
            "hour({v}.settle_time)",
            "upper({v}.primary_dx)",
            "{v}.visit_type",
            "{v}.patient.region",
            "{v}.provider.level",
        ],
        Tbl::Lines => &[
            "{v}.claim.patient_id",
            "{v}.item_code",
            "{v}.service_date",
            "{v}.claim_id",
            "{v}.days_supply",
            "{v}.entry.family",
            "{v}.item_type",
            "{v}.quantity",
            "year_start({v}.service_date)",
            "round({v}.quantity)",
            "hour({v}.claim.settle_time)",
        ],
        Tbl::Providers => &["{v}.level", "{v}.region", "{v}.kind", "{v}.contract_to"],
    };
    keys.iter().map(|k| k.replace("{v}", v)).collect()
}

fn order_menu(table: Tbl) -> Vec<String> {
    let v = table.var();
    let keys: &[&str] = match table {
        Tbl::Claims => &[
            "{v}.admit_date",
            "{v}.settle_time",
            "{v}.claim_id",
            "{v}.discharge_date",
            "{v}.fund_amount",
            "{v}.patient.death_date",
        ],
        Tbl::Lines => &[
            "{v}.service_date",
            "{v}.line_no",
            "{v}.quantity",
            "{v}.days_supply",
            "{v}.claim.settle_time",
            "{v}.entry.valid_to",
        ],
        Tbl::Providers => &["{v}.contract_from", "{v}.level", "{v}.contract_to"],
    };
    keys.iter().map(|k| k.replace("{v}", v)).collect()
}

fn over_menu(table: Tbl) -> Vec<String> {
    let v = table.var();
    let keys: &[&str] = match table {
        Tbl::Claims => &[
            "{v}.admit_date",
            "{v}.discharge_date",
            "{v}.patient.death_date",
        ],
        Tbl::Lines => &[
            "{v}.service_date",
            "{v}.service_date",
            "{v}.claim.admit_date",
            "{v}.entry.valid_to",
        ],
        Tbl::Providers => &["{v}.contract_from", "{v}.contract_to"],
    };
    keys.iter().map(|k| k.replace("{v}", v)).collect()
}

fn keys(table: Tbl) -> S {
    prop::sample::subsequence(key_menu(table), 1..=3)
        .prop_shuffle()
        .prop_map(|k| k.join(", "))
        .boxed()
}

fn order(table: Tbl) -> S {
    prop::sample::subsequence(order_menu(table), 1..=2)
        .prop_shuffle()
        .prop_map(|k| k.join(", "))
        .boxed()
}

fn row_rule() -> S {
    tables()
        .prop_flat_map(|t| {
            (where_clause(t), lets_flag_message(Scope::row(t)))
                .prop_map(move |(w, rest)| format!("{}{w}{rest}", for_line(t)))
        })
        .boxed()
}

fn group_rule() -> S {
    tables()
        .prop_flat_map(|t| {
            (
                where_clause(t),
                keys(t),
                lets_flag_message(Scope::row(t).with_aggregates(t).with_runs()),
            )
                .prop_flat_map(move |(w, k, rest)| {
                    // Some group rules flag each group once.
                    any::<bool>().prop_map(move |once| {
                        let rest = if once {
                            rest.replacen("  flag when ", "  flag once when ", 1)
                        } else {
                            rest.clone()
                        };
                        format!("{}{w}  group by {k}\n{rest}", for_line(t))
                    })
                })
        })
        .boxed()
}

fn window_last_rule() -> S {
    tables()
        .prop_flat_map(|t| {
            (
                where_clause(t),
                keys(t),
                select_str(over_menu(t)),
                select_str(plain(&[
                    "1 day",
                    "2 days",
                    "7 days",
                    "29 days",
                    "30 days",
                    "win",
                    "1 month",
                    "2 months",
                    "lim months",
                ])),
                lets_flag_message(Scope::row(t).with_aggregates(t).with_runs()),
            )
                .prop_map(move |(w, k, over, n, rest)| {
                    format!(
                        "{}{w}  window by {k} over {over} last {n}\n{rest}",
                        for_line(t)
                    )
                })
        })
        .boxed()
}

fn window_running_rule() -> S {
    tables()
        .prop_flat_map(|t| {
            (
                where_clause(t),
                keys(t),
                order(t),
                // Every row up to this one, or the last few.
                prop::sample::select(vec!["running", "last 1 row", "last 2 rows", "last 3 rows"]),
                lets_flag_message(Scope::row(t).with_aggregates(t).with_runs()),
            )
                .prop_map(move |(w, k, o, range, rest)| {
                    format!(
                        "{}{w}  window by {k} order by {o} {range}\n{rest}",
                        for_line(t)
                    )
                })
        })
        .boxed()
}

fn sequence_rule() -> S {
    tables()
        .prop_flat_map(|t| {
            (
                where_clause(t),
                keys(t),
                order(t),
                lets_flag_message(Scope::row(t).with_var("prev", t)),
            )
                .prop_flat_map(move |(w, k, o, rest)| {
                    // `prev.x` is `lag(<row>.x, 1)`: some rules look further
                    // back instead, and some read `rank()`.
                    (0..4u32, any::<bool>()).prop_map(move |(back, ranked)| {
                        let mut rest = rest.clone();
                        if back > 0 {
                            rest = lagged(&rest, t.var(), back);
                        }
                        if ranked {
                            rest = rest.replacen("  flag when ", "  flag when rank() > 1 and ", 1);
                        }
                        format!("{}{w}  sequence by {k} order by {o}\n{rest}", for_line(t))
                    })
                })
        })
        .boxed()
}

/// `text` with each `prev.path` read as `lag(var.path, back)`.
fn lagged(text: &str, var: &str, back: u32) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("prev.") {
        // Only a whole name: not the end of another word.
        let whole = rest[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '.'));
        out.push_str(&rest[..at]);
        let after = &rest[at + "prev.".len()..];
        let end = after
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(after.len());
        let path = &after[..end];
        if whole && !path.is_empty() {
            out.push_str(&format!("lag({var}.{path}, {back})"));
        } else {
            out.push_str("prev.");
            out.push_str(path);
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// A pair rule's tables and the equalities `on` may use:
/// (row table, partner table, [(partner path, row path)]).
type PairTemplate = (Tbl, Tbl, Vec<(&'static str, &'static str)>);

fn pair_menu() -> Vec<PairTemplate> {
    vec![
        (
            Tbl::Claims,
            Tbl::Claims,
            vec![
                ("patient_id", "patient_id"),
                ("provider_id", "provider_id"),
                ("admit_date", "admit_date"),
                ("primary_dx", "primary_dx"),
                ("patient.region", "treat_region"),
            ],
        ),
        (
            Tbl::Lines,
            Tbl::Lines,
            vec![
                ("item_code", "item_code"),
                ("service_date", "service_date"),
                ("claim.patient_id", "claim.patient_id"),
                ("claim_id", "claim_id"),
                ("days_supply", "days_supply"),
            ],
        ),
        (
            Tbl::Claims,
            Tbl::Lines,
            vec![
                ("claim_id", "claim_id"),
                ("service_date", "admit_date"),
                ("claim.patient_id", "patient_id"),
            ],
        ),
        (
            Tbl::Lines,
            Tbl::Claims,
            vec![
                ("claim_id", "claim_id"),
                ("patient_id", "claim.patient_id"),
                ("admit_date", "service_date"),
            ],
        ),
        (
            Tbl::Providers,
            Tbl::Claims,
            vec![("provider_id", "provider_id")],
        ),
        (
            Tbl::Claims,
            Tbl::Providers,
            vec![("provider_id", "provider_id"), ("region", "treat_region")],
        ),
    ]
}

fn pair_rule() -> S {
    prop::sample::select(pair_menu())
        .prop_flat_map(|(t, pt, on)| {
            let partner_scope = Scope {
                vars: vec![("o".to_string(), pt)],
                ..Scope::default()
            };
            let equalities = prop::sample::subsequence(on.clone(), 1..=on.len().min(3))
                .prop_flat_map(move |pairs| {
                    prop::collection::vec(any::<bool>(), pairs.len()).prop_map(move |swap| {
                        pairs
                            .iter()
                            .zip(swap)
                            .map(|((theirs, mine), s)| {
                                let (a, b) = (format!("o.{theirs}"), format!("{}.{mine}", t.var()));
                                if s {
                                    format!("{b} = {a}")
                                } else {
                                    format!("{a} = {b}")
                                }
                            })
                            .collect::<Vec<_>>()
                            .join(" and ")
                    })
                });
            let matched = if t == Tbl::Lines && pt == Tbl::Lines {
                prop::option::weighted(0.6, match_clause()).boxed()
            } else {
                Just(None).boxed()
            };
            (
                where_clause(t),
                prop::option::weighted(0.5, cond(&partner_scope, 1)),
                equalities,
                matched,
                lets_flag_message(Scope::row(t).with_var("o", pt)),
            )
                .prop_map(move |(w, filter, on, matched, rest)| {
                    let filter = filter.map_or(String::new(), |f| format!(" where {f}"));
                    let matched = matched.map_or(String::new(), |m| format!("  {m}\n"));
                    format!(
                        "{}{w}  pair with o in {}{filter} on {on}\n{matched}{rest}",
                        for_line(t),
                        pt.name()
                    )
                })
        })
        .boxed()
}

/// `match x in exclusive_items on ...` for a pair of lines: the pair's
/// codes one way or the other, or one code alone, in either order or not,
/// as of the line's day or of any version.
fn match_clause() -> impl Strategy<Value = String> {
    let on = prop::sample::select(vec![
        "x.item_a = line.item_code and x.item_b = o.item_code",
        "x.item_b = line.item_code and o.item_code = x.item_a",
        "x.item_a = line.item_code",
        "x.item_b = o.item_code",
    ]);
    (on, any::<bool>(), any::<bool>()).prop_map(|(on, either, as_of)| {
        let either = if either { " in either order" } else { "" };
        let as_of = if as_of {
            " as of line.service_date"
        } else {
            ""
        };
        format!("match x in exclusive_items on {on}{either}{as_of}")
    })
}

/// (row table, entity path after the row variable, entity variable, entity table).
fn population_menu() -> Vec<(Tbl, &'static str, &'static str, Tbl)> {
    vec![
        (Tbl::Lines, "claim.provider", "provider", Tbl::Providers),
        (Tbl::Claims, "provider", "provider", Tbl::Providers),
        (Tbl::Lines, "claim", "claim", Tbl::Claims),
    ]
}

fn population_rule() -> S {
    prop::sample::select(population_menu())
        .prop_flat_map(|(t, path, evar, et)| {
            let row = Scope::row(t);
            let peers: Vec<String> = match et {
                Tbl::Providers => vec!["level", "region", "kind", "contract_to", "level"],
                _ => vec!["visit_type", "patient_id", "treat_region", "patient.region"],
            }
            .into_iter()
            .map(|c| format!("{evar}.{c}"))
            .collect();
            // The statistics: n = count(), h = count(cond), share = h / n,
            // and maybe s = sum(x).
            let stats = (
                cond(&row, 0),
                prop::option::weighted(0.5, num(&row, 0)),
                prop::option::weighted(0.3, flt(&row, 1)),
            );
            // One peer key, or two.
            let peers = prop::sample::subsequence(peers, 1..=2).prop_map(|p| p.join(", "));
            (where_clause(t), stats, peers).prop_flat_map(
                move |(w, (h, s, f), peers_by)| {
                    let mut scope = Scope {
                        vars: vec![(evar.to_string(), et)],
                        ..Scope::default()
                    }
                    .with_aggregates(t)
                    .with_let("n", Ty::Num, Dom::Count)
                    .with_let("h", Ty::Num, Dom::Count)
                    .with_let("share", Ty::Num, Dom::Ratio);
                    let mut lets = format!(
                        "  let n = count()\n  let h = count({h})\n  let share = h / n\n"
                    );
                    scope.statistics = vec![
                        ("n".to_string(), Dom::Count),
                        ("share".to_string(), Dom::Ratio),
                    ];
                    if let Some((s, dom)) = &s {
                        lets.push_str(&format!("  let s = sum({s})\n"));
                        scope = scope.with_let("s", Ty::Num, *dom);
                        scope.statistics.push(("s".to_string(), *dom));
                    }
                    if let Some(f) = &f {
                        // A float statistic: summed exactly across partitions.
                        lets.push_str(&format!("  let f = sum({f} / 3)\n"));
                        scope = scope.with_let("f", Ty::Float, Dom::Ratio);
                        scope.statistics.push(("f".to_string(), Dom::Ratio));
                    }
                    let stat_names: Vec<String> =
                        scope.statistics.iter().map(|(n, _)| n.clone()).collect();
                    let header = format!(
                        "{}{w}  per {evar} = {}.{path}\n{lets}",
                        for_line(t),
                        t.var()
                    );
                    // `quantile` belongs to `flag when` (and the message) only.
                    let eligible_scope = Scope {
                        statistics: Vec::new(),
                        ..scope.clone()
                    };
                    let eligible = prop::option::weighted(
                        0.6,
                        union(vec![
                            (
                                3,
                                select_str(plain(&["1", "2", "3"]))
                                    .prop_map(|k| format!("n >= {k}"))
                                    .boxed(),
                            ),
                            (1, cond(&eligible_scope, 0)),
                        ]),
                    );
                    let minimum = prop::option::weighted(0.6, select_str(plain(&["1", "2", "3"])));
                    let flag = union(vec![
                        (
                            3,
                            (
                                select_str(stat_names.clone()),
                                prop::sample::select(NUM_OPS.to_vec()),
                                select_str(plain(&["0", "0.25", "0.5", "0.95", "1", "frac"])),
                            )
                                .prop_map(|(s, op, p)| format!("{s} {op} quantile({s}, {p})"))
                                .boxed(),
                        ),
                        (2, cond(&scope, 1)),
                    ]);
                    (eligible, minimum, flag, message(&scope)).prop_map(
                        move |(eligible, minimum, flag, msg)| {
                            let eligible =
                                eligible.map_or(String::new(), |e| format!("  eligible when {e}\n"));
                            let minimum = minimum.map_or(String::new(), |m| format!(" minimum {m}"));
                            format!(
                                "{header}{eligible}  peers by {peers_by}{minimum}\n  flag when {flag}\n{msg}"
                            )
                        },
                    )
                },
            )
        })
        .boxed()
}

/// A whole ruleset text with one group or window rule over lines that
/// flags every row and shows a two-stage aggregate in its message:
/// `outer(value per key)`, where the run's value may compare the run with
/// the runs before it (`lag`). Any difference in the runs, their order or
/// their lags shows in the messages.
pub fn per_rule_text() -> BoxedStrategy<String> {
    let inner = prop::sample::select(vec![
        "count()",
        "sum(line.amount)",
        "max(line.quantity)",
        "sum(float(line.quantity) / 3)",
        "count(line.quantity > 1)",
    ]);
    let change = prop::sample::select(vec![
        "",
        " - lag(#, 1)",
        " / lag(#, 1)",
        " - lag(#, 2)",
        " - lag(lag(#, 1), 1) * 2",
    ]);
    let form = prop::sample::select(vec![
        "  group by line.claim.patient_id".to_string(),
        "  group by line.claim.provider_id, year(line.service_date)".to_string(),
        "  window by line.claim.patient_id over line.service_date last 60 days".to_string(),
        "  window by line.claim.patient_id order by line.service_date, line.line_no last 3 rows"
            .to_string(),
    ]);
    (
        form,
        prop::sample::select(vec!["sum", "min", "max"]),
        inner,
        change,
        select_str(key_menu(Tbl::Lines)),
    )
        .prop_map(|(form, outer, inner, change, key)| {
            let value = format!("{outer}({inner}{} per {key})", change.replace('#', inner));
            format!(
                "{HEADER}\nrule R1 \"两段聚合 (two-stage)\" {{\n  category test\n  severity low\n  action warn\n  for line in claim_items\n{form}\n  flag when count() >= 1\n  message \"{{{value}}}\"\n}}\n"
            )
        })
        .boxed()
}

/// A pair rule whose condition bounds a value of the partner by one of the
/// row (`o.admit_date < c.admit_date`), once or from both sides, written
/// either way round, beside a random condition or alone: the plan searches
/// the partners within such bounds.
pub fn bounded_pair_rule_text() -> BoxedStrategy<String> {
    let (t, pt) = (Tbl::Claims, Tbl::Claims);
    let row = t.var();
    // Columns of one ordered type each: dates, decimals, timestamps.
    let groups: Vec<Vec<&'static str>> = vec![
        vec!["admit_date", "discharge_date"],
        vec!["total_amount", "fund_amount"],
        vec!["settle_time"],
    ];
    let bound = move |group: Vec<&'static str>| {
        (
            prop::sample::select(group.clone()),
            prop::sample::select(group),
            prop::sample::select(vec!["<", "<=", ">", ">="]),
            any::<bool>(),
        )
            .prop_map(move |(theirs, mine, op, swap)| {
                let (a, b) = (format!("o.{theirs}"), format!("{row}.{mine}"));
                if swap {
                    format!("{b} {op} {a}")
                } else {
                    format!("{a} {op} {b}")
                }
            })
    };
    let bounds = prop::sample::select(groups).prop_flat_map(move |group| {
        (
            bound(group.clone()),
            prop::option::weighted(0.7, bound(group)),
        )
    });
    let scope = Scope::row(t).with_var("o", pt);
    (
        bounds,
        prop::option::weighted(0.5, cond(&scope, 1)),
        prop::sample::select(vec![
            "o.patient_id = c.patient_id",
            "c.patient_id = o.patient_id and o.provider_id = c.provider_id",
        ]),
    )
        .prop_map(move |((first, second), extra, on)| {
            let parts: Vec<String> = extra
                .into_iter()
                .map(|e| format!("({e})"))
                .chain(Some(first))
                .chain(second)
                .collect();
            format!(
                "{HEADER}\nrule R1 \"有界配对 (bounded pair)\" {{\n  category test\n  severity low\n  action warn\n{}  pair with o in {} on {on}\n  flag when {}\n  message \"{{o.claim_id}} {{{row}.claim_id}}\"\n}}\n",
                for_line(t),
                pt.name(),
                parts.join(" and ")
            )
        })
        .boxed()
}

/// A pair of lines of one patient and day that must match the knowledge
/// table (`match x in exclusive_items on ...`), as MUTEX-01 does, with a
/// random condition: the partners a row may match are found through the
/// knowledge rows its side pairs with.
pub fn knowledge_pair_rule_text() -> BoxedStrategy<String> {
    let t = Tbl::Lines;
    let scope = Scope::row(t).with_var("o", t);
    (
        match_clause(),
        prop::sample::select(vec![
            "o.claim.patient_id = line.claim.patient_id and o.service_date = line.service_date",
            "o.claim.patient_id = line.claim.patient_id",
            "o.claim_id = line.claim_id",
        ]),
        prop::option::weighted(0.5, cond(&scope, 1)),
    )
        .prop_map(move |(matched, on, condition)| {
            let condition = condition.unwrap_or_else(|| "o.line_no <> line.line_no".to_string());
            format!(
                "{HEADER}\nrule R1 \"知识配对 (knowledge pair)\" {{\n  category test\n  severity low\n  action warn\n{}  pair with o in {} on {on}\n  {matched}\n  flag when {condition}\n  message \"{{o.claim_id}} {{o.line_no}} {{line.claim_id}} {{x.item_a}} {{x.item_b}}\"\n}}\n",
                for_line(t),
                t.name()
            )
        })
        .boxed()
}
