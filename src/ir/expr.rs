//! Typed expressions: what a rule computes, every name resolved.

use super::schema::{CompareOp, Schema};
use super::types::Type;
use super::value::Value;
use crate::syntax::Span;

/// Which row a column is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Var {
    /// The rule's own row (`for line in claim_items`).
    Row,
    /// The other row of a pair rule (`pair with stay in claims`).
    Partner,
    /// The row before this one in a sequence rule (`prev`).
    Prev,
    /// The entity of a population rule (`per provider = ...`).
    Entity,
    /// The row of a knowledge table a pair matched (`match x in ...`).
    Known,
}

/// One relation followed from a row: its name and the table it reaches.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Step {
    pub relation: String,
    pub table: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

impl ArithOp {
    pub fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Func {
    /// `age(birth_date, on_date)`: full years, birthdays on 29 February
    /// counting from 1 March in other years.
    Age,
    Year,
    Month,
    Day,
    /// `hour(time)`: the hour of a time, 0 to 23.
    Hour,
    /// `prefix(text, n)`: the first n characters (all of them if shorter).
    Prefix,
    /// `length(text or list)`: characters, or elements.
    Length,
    /// `coalesce(a, b, ...)`: the first that is not null.
    Coalesce,
    /// `upper(text)`, `lower(text)`: Unicode's case mappings.
    Upper,
    Lower,
    /// `trim(text)`: without white space at either end.
    Trim,
    /// `substring(text, start, length)`: the characters at 1-based
    /// positions `start` to `start + length - 1` that exist.
    Substring,
    /// `concat(a, b, ...)`: the values written as messages write them, one
    /// after the other; null when any is null.
    Concat,
    /// `contains(text, part)`.
    Contains,
    /// `replace(text, from, to)`: every `from` replaced by `to`.
    Replace,
    /// `parse_date(text, "format")`: the format is a constant string of
    /// chrono's strftime fields; text that does not parse gives null.
    ParseDate,
    /// `month_start(d)`, `year_start(d)`: the first day of the month, the year.
    MonthStart,
    YearStart,
    /// `add_days(d, n)`.
    AddDays,
    /// `add_months(d, n)`: the same day `n` months on, or the month's last
    /// day when it is shorter.
    AddMonths,
    /// `days_between(a, b)`: `b - a` in days, as a whole number.
    DaysBetween,
    Abs,
    /// `round(x)`, `round(x, digits)`: half away from zero.
    Round,
    Floor,
    Ceil,
    /// `float(x)`: a number as a floating-point measure.
    Float,
}

impl Func {
    pub fn name(self) -> &'static str {
        match self {
            Func::Age => "age",
            Func::Year => "year",
            Func::Month => "month",
            Func::Day => "day",
            Func::Hour => "hour",
            Func::Prefix => "prefix",
            Func::Length => "length",
            Func::Coalesce => "coalesce",
            Func::Upper => "upper",
            Func::Lower => "lower",
            Func::Trim => "trim",
            Func::Substring => "substring",
            Func::Concat => "concat",
            Func::Contains => "contains",
            Func::Replace => "replace",
            Func::ParseDate => "parse_date",
            Func::MonthStart => "month_start",
            Func::YearStart => "year_start",
            Func::AddDays => "add_days",
            Func::AddMonths => "add_months",
            Func::DaysBetween => "days_between",
            Func::Abs => "abs",
            Func::Round => "round",
            Func::Floor => "floor",
            Func::Ceil => "ceil",
            Func::Float => "float",
        }
    }

    pub const ALL: [Func; 26] = [
        Func::Age,
        Func::Year,
        Func::Month,
        Func::Day,
        Func::Hour,
        Func::Prefix,
        Func::Length,
        Func::Coalesce,
        Func::Upper,
        Func::Lower,
        Func::Trim,
        Func::Substring,
        Func::Concat,
        Func::Contains,
        Func::Replace,
        Func::ParseDate,
        Func::MonthStart,
        Func::YearStart,
        Func::AddDays,
        Func::AddMonths,
        Func::DaysBetween,
        Func::Abs,
        Func::Round,
        Func::Floor,
        Func::Ceil,
        Func::Float,
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggFunc {
    /// `count()`: rows.
    Count,
    /// `count(condition)`: rows where the condition is true.
    CountIf,
    /// `count(distinct x)`: distinct values, nulls not counted.
    CountDistinct,
    /// Sums, minima and maxima skip nulls; over no values they are null.
    Sum,
    Min,
    Max,
    /// `any(condition)` / `all(condition)` over the rows.
    Any,
    All,
}

impl AggFunc {
    pub fn name(self) -> &'static str {
        match self {
            AggFunc::Count | AggFunc::CountIf | AggFunc::CountDistinct => "count",
            AggFunc::Sum => "sum",
            AggFunc::Min => "min",
            AggFunc::Max => "max",
            AggFunc::Any => "any",
            AggFunc::All => "all",
        }
    }
}

/// An aggregate a rule computes over its group, window or entity.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    pub func: AggFunc,
    pub arg: Option<TExpr>,
    /// As written, e.g. `sum(line.quantity)`, for messages and evidence.
    pub text: String,
    /// `max(sum(line.amount) per month_start(line.service_date))`: `func`
    /// over the values of another aggregate taken for each run of rows
    /// with equal `key` (`arg` is then none).
    pub per: Option<AggregatePer>,
}

/// What `outer(value per key)` takes for each run of rows, and the key
/// of its runs.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregatePer {
    /// The run's value: the rule's aggregates (`Aggregate(i)`) taken over
    /// the run, `lag(aggregate, n)` (the same of the run `n` before, in
    /// key order), numbers, and arithmetic on them.
    pub value: TExpr,
    pub key: TExpr,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TExprKind {
    Const(Value),
    /// A column of a row, reached through `path` relations from `var`.
    Column {
        var: Var,
        path: Vec<Step>,
        column: String,
    },
    /// A related row itself (null when there is none): `line.entry is null`.
    Related {
        var: Var,
        path: Vec<Step>,
    },
    /// The element bound by the `any`/`all` at this nesting depth.
    Item(u32),
    Param(String),
    /// `map_parameter[key]`; a key the map lacks gives null.
    MapParam {
        param: String,
        key: Box<TExpr>,
    },
    Let(usize),
    Aggregate(usize),
    /// `quantile(statistic, p)` over the peer group of a population rule.
    Quantile {
        stat: usize,
        p: Box<TExpr>,
    },
    Not(Box<TExpr>),
    Neg(Box<TExpr>),
    And(Box<TExpr>, Box<TExpr>),
    Or(Box<TExpr>, Box<TExpr>),
    Compare {
        op: CompareOp,
        left: Box<TExpr>,
        right: Box<TExpr>,
    },
    Arith {
        op: ArithOp,
        left: Box<TExpr>,
        right: Box<TExpr>,
    },
    StartsWith(Box<TExpr>, Box<TExpr>),
    /// `text matches "pattern"`: the regular expression is found in the text.
    Matches {
        text: Box<TExpr>,
        pattern: String,
    },
    Between {
        expr: Box<TExpr>,
        low: Box<TExpr>,
        high: Box<TExpr>,
    },
    InList {
        expr: Box<TExpr>,
        items: Vec<TExpr>,
    },
    InSet {
        expr: Box<TExpr>,
        set: String,
    },
    /// Membership in a list column: `"E11" in c.secondary_dx`.
    InArray {
        expr: Box<TExpr>,
        list: Box<TExpr>,
    },
    IsNull(Box<TExpr>),
    Call {
        func: Func,
        args: Vec<TExpr>,
    },
    /// `lag(value, n)` in a sequence rule: `value` (read from the rule's
    /// row) on the row `n` before this one of its key; null when there is none.
    Lag {
        value: Box<TExpr>,
        rows: u32,
    },
    /// `rank()` in a sequence rule: this row's place in its key, from 1.
    Rank,
    /// `any(x in list: body)`; a null list has no elements.
    Quantifier {
        all: bool,
        depth: u32,
        list: Box<TExpr>,
        body: Box<TExpr>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct TExpr {
    pub kind: TExprKind,
    pub ty: Type,
    pub span: Span,
}

impl TExpr {
    pub fn new(kind: TExprKind, ty: Type, span: Span) -> TExpr {
        TExpr { kind, ty, span }
    }

    /// The direct sub-expressions.
    pub fn children(&self) -> Vec<&TExpr> {
        use TExprKind::*;
        match &self.kind {
            Const(_)
            | Column { .. }
            | Related { .. }
            | Item(_)
            | Param(_)
            | Let(_)
            | Aggregate(_)
            | Rank => {
                vec![]
            }
            InSet { expr, .. } => vec![expr],
            MapParam { key, .. } => vec![key],
            Quantile { p, .. } => vec![p],
            Not(e) | Neg(e) | IsNull(e) | Lag { value: e, .. } => vec![e],
            And(a, b) | Or(a, b) | StartsWith(a, b) => vec![a, b],
            Compare { left, right, .. } | Arith { left, right, .. } => vec![left, right],
            Matches { text, .. } => vec![text],
            Between { expr, low, high } => vec![expr, low, high],
            InList { expr, items } => std::iter::once(&**expr).chain(items.iter()).collect(),
            InArray { expr, list } => vec![expr, list],
            Call { args, .. } => args.iter().collect(),
            Quantifier { list, body, .. } => vec![list, body],
        }
    }

    /// The direct sub-expressions, to change them.
    pub fn children_mut(&mut self) -> Vec<&mut TExpr> {
        use TExprKind::*;
        match &mut self.kind {
            Const(_)
            | Column { .. }
            | Related { .. }
            | Item(_)
            | Param(_)
            | Let(_)
            | Aggregate(_)
            | Rank => {
                vec![]
            }
            InSet { expr, .. } => vec![expr],
            MapParam { key, .. } => vec![key],
            Quantile { p, .. } => vec![p],
            Not(e) | Neg(e) | IsNull(e) | Lag { value: e, .. } => vec![e],
            And(a, b) | Or(a, b) | StartsWith(a, b) => vec![a, b],
            Compare { left, right, .. } | Arith { left, right, .. } => vec![left, right],
            Matches { text, .. } => vec![text],
            Between { expr, low, high } => vec![expr, low, high],
            InList { expr, items } => std::iter::once(&mut **expr)
                .chain(items.iter_mut())
                .collect(),
            InArray { expr, list } => vec![expr, list],
            Call { args, .. } => args.iter_mut().collect(),
            Quantifier { list, body, .. } => vec![list, body],
        }
    }

    /// Calls `visit` on this expression and every expression inside it,
    /// each before its children.
    pub fn walk_mut(&mut self, visit: &mut dyn FnMut(&mut TExpr)) {
        visit(self);
        for child in self.children_mut() {
            child.walk_mut(visit);
        }
    }

    /// Calls `visit` on this expression and every expression inside it.
    pub fn walk<'s>(&'s self, visit: &mut dyn FnMut(&'s TExpr)) {
        visit(self);
        for child in self.children() {
            child.walk(visit);
        }
    }

    /// `column` of the row `relations` lead to from a row of `table`
    /// (`line.claim.fund_amount`), typed as the column is; `None` when the
    /// path or the column does not exist.
    pub fn row_column(
        schema: &Schema,
        table: &str,
        relations: &[String],
        column: &str,
    ) -> Option<TExpr> {
        let mut current = table.to_string();
        let mut path = Vec::new();
        for relation in relations {
            let target = schema.relation(&current, relation)?.to_table.clone();
            path.push(Step {
                relation: relation.clone(),
                table: target.clone(),
            });
            current = target;
        }
        let ty = Type::of_column(&schema.table(&current)?.column(column)?.ty);
        let kind = TExprKind::Column {
            var: Var::Row,
            path,
            column: column.to_string(),
        };
        Some(TExpr::new(kind, ty, Span::default()))
    }

    /// Whether `theirs`, read on a pair's partner, is this expression read
    /// on the rule's row: the same but for the partner's variable where
    /// this one has the row's (`other.item_code` and `line.item_code`).
    /// Read on the same rows of one table, the two give the same values.
    pub fn mirrors(&self, theirs: &TExpr) -> bool {
        if self.uses_var(Var::Partner) || theirs.uses_var(Var::Row) {
            return false;
        }
        let unplaced = |e: &TExpr, swap: bool| {
            let mut e = e.clone();
            e.walk_mut(&mut |x| {
                x.span = Span::default();
                if let TExprKind::Column { var, .. } | TExprKind::Related { var, .. } = &mut x.kind
                    && swap
                    && *var == Var::Partner
                {
                    *var = Var::Row;
                }
            });
            e
        };
        unplaced(self, false) == unplaced(theirs, true)
    }

    /// Whether any part reads from `var`.
    pub fn uses_var(&self, var: Var) -> bool {
        let mut found = false;
        self.walk(&mut |e| {
            if let TExprKind::Column { var: v, .. } | TExprKind::Related { var: v, .. } = &e.kind
                && *v == var
            {
                found = true;
            }
        });
        found
    }
}
