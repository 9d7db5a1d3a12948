//! Typing expressions: resolving names, following relations, and checking
//! that every operator gets values it can work with.
//!
//! On an error the expression gets the type `Unknown`, which is accepted
//! everywhere, so one mistake gives one diagnostic rather than a cascade.

use crate::ir::{
    AggFunc, Aggregate, AggregatePer, ArithOp, CompareOp, Func, ParamValue, Step, TExpr, TExprKind,
    Type, Value, Var,
};
use crate::syntax::Diagnostic;
use crate::syntax::ast::{BinaryOp, Expr, ExprKind, Ident, InSet, UnaryOp};
use crate::syntax::diagnostic::did_you_mean;

use super::constants::number;
use super::scope::{Aggregates, Scope};

fn unknown(expr: &Expr) -> TExpr {
    TExpr::new(TExprKind::Const(Value::Null), Type::Unknown, expr.span)
}

fn boxed(e: TExpr) -> Box<TExpr> {
    Box::new(e)
}

/// E0205's help: what can be written instead of an aggregate of aggregates.
const AGGREGATE_OF_AGGREGATE_HELP: &str = "an aggregate reads one row's value at a time; compare aggregates with each other, e.g. `sum(line.quantity) > 3 * count()`, or aggregate each run of rows with `per`, e.g. `max(sum(line.amount) per line.service_date)`";

/// The aggregate a call of `name` takes (`count` by its arguments).
fn aggregate_func(name: &str, distinct: bool, no_args: bool) -> Option<AggFunc> {
    Some(match name {
        "count" if distinct => AggFunc::CountDistinct,
        "count" if no_args => AggFunc::Count,
        "count" => AggFunc::CountIf,
        "sum" => AggFunc::Sum,
        "min" => AggFunc::Min,
        "max" => AggFunc::Max,
        "any" => AggFunc::Any,
        "all" => AggFunc::All,
        _ => return None,
    })
}

impl Scope<'_> {
    /// Checks an expression that must be a condition.
    pub fn condition(&mut self, expr: &Expr, what: &str) -> TExpr {
        let typed = self.expr(expr);
        if !matches!(typed.ty, Type::Bool | Type::Unknown) {
            self.error(
                Diagnostic::error(
                    "E0203",
                    expr.span,
                    format!("{what} must be true or false, but this is {}", typed.ty),
                )
                .with_label(format!("this is {}", typed.ty))
                .with_help("compare it with something, e.g. `... > 0` or `... is not null`"),
            );
        }
        typed
    }

    pub fn expr(&mut self, expr: &Expr) -> TExpr {
        let span = expr.span;
        match &expr.kind {
            ExprKind::Number(text) => match number(text) {
                Some((value, ty)) => TExpr::new(TExprKind::Const(value), ty, span),
                None => {
                    self.error(
                        Diagnostic::error("E0002", span, "this number is too large")
                            .with_help("numbers in rules have at most 28 significant digits"),
                    );
                    unknown(expr)
                }
            },
            ExprKind::Str(s) => {
                TExpr::new(TExprKind::Const(Value::Text(s.clone())), Type::Text, span)
            }
            ExprKind::Bool(b) => TExpr::new(TExprKind::Const(Value::Bool(*b)), Type::Bool, span),
            ExprKind::Days(d) => match i64::try_from(*d) {
                Ok(d) => TExpr::new(TExprKind::Const(Value::Int(d)), Type::Days, span),
                Err(_) => {
                    self.error(Diagnostic::error(
                        "E0002",
                        span,
                        "this number of days is too large",
                    ));
                    unknown(expr)
                }
            },
            ExprKind::Path(parts) => self.path(parts, expr),
            ExprKind::Call {
                name,
                distinct,
                args,
                per: None,
            } => self.call(name, *distinct, args, expr),
            ExprKind::Call {
                name,
                distinct,
                args,
                per: Some(per),
            } => self.aggregate_per(name, *distinct, args, per, expr),
            ExprKind::Quantifier {
                all,
                var,
                list,
                body,
            } => {
                let list_typed = self.expr(list);
                let element = match &list_typed.ty {
                    Type::List(inner) => (**inner).clone(),
                    Type::Unknown => Type::Unknown,
                    other => {
                        self.error(
                            Diagnostic::error(
                                "E0201",
                                list.span,
                                format!(
                                    "`{}` goes over a list, but this is {other}",
                                    if *all { "all" } else { "any" }
                                ),
                            )
                            .with_help("use a list column such as `c.secondary_dx`"),
                        );
                        Type::Unknown
                    }
                };
                let depth = self.items.len() as u32;
                self.items.push((var.name.clone(), element));
                let outer = self.aggregates_here;
                self.aggregates_here = Aggregates::Forbidden(
                    "inside `any`/`all` the condition looks at one list element at a time",
                );
                let body_typed = self.condition(body, "the condition of `any`/`all`");
                self.aggregates_here = outer;
                self.items.pop();
                TExpr::new(
                    TExprKind::Quantifier {
                        all: *all,
                        depth,
                        list: boxed(list_typed),
                        body: boxed(body_typed),
                    },
                    Type::Bool,
                    span,
                )
            }
            ExprKind::Index { base, index } => self.index(base, index, expr),
            ExprKind::Unary { op, expr: inner } => {
                let typed = self.expr(inner);
                match op {
                    UnaryOp::Not => {
                        self.expect_bool(&typed, "`not`");
                        TExpr::new(TExprKind::Not(boxed(typed)), Type::Bool, span)
                    }
                    UnaryOp::Neg => {
                        if !(typed.ty.is_numeric() || typed.ty == Type::Days) {
                            self.error(Diagnostic::error(
                                "E0201",
                                inner.span,
                                format!("only numbers can be negated, but this is {}", typed.ty),
                            ));
                        }
                        let ty = typed.ty.clone();
                        TExpr::new(TExprKind::Neg(boxed(typed)), ty, span)
                    }
                }
            }
            ExprKind::Binary { op, left, right } => self.binary(*op, left, right, expr),
            ExprKind::Between {
                negated,
                expr: subject,
                low,
                high,
            } => {
                let s = self.expr(subject);
                let l = self.expr(low);
                let h = self.expr(high);
                for bound in [&l, &h] {
                    self.expect_comparable(&s, bound, BinaryOp::Le);
                }
                let typed = TExpr::new(
                    TExprKind::Between {
                        expr: boxed(s),
                        low: boxed(l),
                        high: boxed(h),
                    },
                    Type::Bool,
                    span,
                );
                negate_if(*negated, typed)
            }
            ExprKind::In {
                negated,
                expr: subject,
                set,
            } => {
                let typed = self.membership(subject, set, expr);
                negate_if(*negated, typed)
            }
            ExprKind::IsNull {
                negated,
                expr: subject,
            } => {
                let typed = self.expr(subject);
                negate_if(
                    *negated,
                    TExpr::new(TExprKind::IsNull(boxed(typed)), Type::Bool, span),
                )
            }
        }
    }

    fn expect_bool(&mut self, typed: &TExpr, what: &str) {
        if !matches!(typed.ty, Type::Bool | Type::Unknown) {
            self.error(
                Diagnostic::error(
                    "E0203",
                    typed.span,
                    format!(
                        "{what} needs a true/false condition, but this is {}",
                        typed.ty
                    ),
                )
                .with_help("compare it with something, e.g. `... > 0` or `... is not null`"),
            );
        }
    }

    fn expect_comparable(&mut self, left: &TExpr, right: &TExpr, op: BinaryOp) -> bool {
        if !left.ty.comparable_with(&right.ty) {
            let mut d = Diagnostic::error(
                "E0201",
                left.span.to(right.span),
                format!("cannot compare {} with {}", left.ty, right.ty),
            );
            d = match (&left.ty, &right.ty) {
                (Type::Days, Type::Int) | (Type::Int, Type::Days) => {
                    d.with_help("a difference of dates is a number of days: write the number with its unit, e.g. `15 days`")
                }
                (Type::Date, Type::Text) | (Type::Text, Type::Date) => {
                    d.with_help("write a date as `date(\"2024-03-01\")`")
                }
                (a, b) if a.is_numeric() && b.is_textual() || a.is_textual() && b.is_numeric() => {
                    d.with_help("codes are text: write them in double quotes, e.g. \"3\"")
                }
                _ => d,
            };
            self.error(d);
            return false;
        }
        let ordering = !matches!(op, BinaryOp::Eq | BinaryOp::Ne);
        if ordering && (!left.ty.is_orderable() || !right.ty.is_orderable()) {
            self.error(Diagnostic::error(
                "E0201",
                left.span.to(right.span),
                format!(
                    "{} has no order, so `{}` does not apply",
                    left.ty,
                    op.symbol()
                ),
            ));
            return false;
        }
        true
    }

    /// Floats are measures and decimals are money: they meet only where
    /// the decimal is a constant written in the rule (`ratio > 0.35`).
    fn float_meets(&mut self, l: &TExpr, r: &TExpr, doing: &str) {
        let (float, other) = match (&l.ty, &r.ty) {
            (Type::Float, Type::Decimal) => (l, r),
            (Type::Decimal, Type::Float) => (r, l),
            _ => return,
        };
        if is_constant(other) {
            return;
        }
        self.error(
            Diagnostic::error(
                "E0211",
                l.span.to(r.span),
                format!(
                    "cannot {doing} {} {} {}",
                    l.ty,
                    if doing == "compare" { "with" } else { "and" },
                    r.ty
                ),
            )
            .with_label(format!("this is {}", float.ty))
            .with_help(
                "floats are measures, never money: convert one side on purpose, e.g. `float(line.amount)`",
            ),
        );
    }

    fn binary(&mut self, op: BinaryOp, left: &Expr, right: &Expr, whole: &Expr) -> TExpr {
        let span = whole.span;
        let l = self.expr(left);
        let r = self.expr(right);
        match op {
            BinaryOp::And | BinaryOp::Or => {
                self.expect_bool(&l, &format!("`{}`", op.symbol()));
                self.expect_bool(&r, &format!("`{}`", op.symbol()));
                let kind = if op == BinaryOp::And {
                    TExprKind::And(boxed(l), boxed(r))
                } else {
                    TExprKind::Or(boxed(l), boxed(r))
                };
                TExpr::new(kind, Type::Bool, span)
            }
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => {
                if self.expect_comparable(&l, &r, op) {
                    self.float_meets(&l, &r, "compare");
                }
                let op = match op {
                    BinaryOp::Eq => CompareOp::Eq,
                    BinaryOp::Ne => CompareOp::Ne,
                    BinaryOp::Lt => CompareOp::Lt,
                    BinaryOp::Le => CompareOp::Le,
                    BinaryOp::Gt => CompareOp::Gt,
                    _ => CompareOp::Ge,
                };
                TExpr::new(
                    TExprKind::Compare {
                        op,
                        left: boxed(l),
                        right: boxed(r),
                    },
                    Type::Bool,
                    span,
                )
            }
            BinaryOp::StartsWith => {
                for side in [&l, &r] {
                    if !side.ty.is_textual() {
                        self.error(Diagnostic::error(
                            "E0201",
                            side.span,
                            format!("`starts with` works on text, but this is {}", side.ty),
                        ));
                    }
                }
                TExpr::new(TExprKind::StartsWith(boxed(l), boxed(r)), Type::Bool, span)
            }
            BinaryOp::Matches => {
                if !l.ty.is_textual() {
                    self.error(Diagnostic::error(
                        "E0201",
                        l.span,
                        format!("`matches` works on text, but this is {}", l.ty),
                    ));
                }
                let pattern = match &r.kind {
                    TExprKind::Const(Value::Text(p)) => p.clone(),
                    _ => {
                        self.error(
                            Diagnostic::error(
                                "E0201",
                                r.span,
                                "the pattern of `matches` must be written as a string",
                            )
                            .with_help("e.g. `line.item_code matches \"^X[A-Z]\"`"),
                        );
                        return unknown(whole);
                    }
                };
                if let Err(e) = regex::Regex::new(&pattern) {
                    let first_line = e
                        .to_string()
                        .lines()
                        .last()
                        .unwrap_or_default()
                        .trim()
                        .to_string();
                    self.error(
                        Diagnostic::error(
                            "E0206",
                            r.span,
                            "this is not a valid regular expression",
                        )
                        .with_label(first_line)
                        .with_help("see docs/language.md, \"Text\", for the pattern syntax"),
                    );
                }
                TExpr::new(
                    TExprKind::Matches {
                        text: boxed(l),
                        pattern,
                    },
                    Type::Bool,
                    span,
                )
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div => {
                self.arithmetic(op, l, r, span)
            }
        }
    }

    fn arithmetic(&mut self, op: BinaryOp, l: TExpr, r: TExpr, span: crate::syntax::Span) -> TExpr {
        use Type::*;
        let arith = match op {
            BinaryOp::Add => ArithOp::Add,
            BinaryOp::Sub => ArithOp::Sub,
            BinaryOp::Mul => ArithOp::Mul,
            _ => ArithOp::Div,
        };
        if l.ty.is_numeric() && r.ty.is_numeric() {
            self.float_meets(&l, &r, verb(arith));
        }
        let ty = match (&l.ty, arith, &r.ty) {
            (Unknown, _, _) | (_, _, Unknown) => Unknown,
            (Float, _, b) | (b, _, Float) if b.is_numeric() => Float,
            (Int, ArithOp::Div, Int) => Decimal,
            (Int, _, Int) => Int,
            (a, _, b) if a.is_numeric() && b.is_numeric() => Decimal,
            (Date, ArithOp::Sub, Date) => Days,
            (Date, ArithOp::Add | ArithOp::Sub, Days) | (Days, ArithOp::Add, Date) => Date,
            (Days, ArithOp::Add | ArithOp::Sub, Days) => Days,
            (a, _, b) => {
                let mut d =
                    Diagnostic::error("E0201", span, format!("cannot {} {a} and {b}", verb(arith)));
                if matches!((a, b), (Date, Int) | (Int, Date)) {
                    d = d
                        .with_help("add days to a date with a unit: `line.service_date + 30 days`");
                }
                self.error(d);
                Unknown
            }
        };
        TExpr::new(
            TExprKind::Arith {
                op: arith,
                left: boxed(l),
                right: boxed(r),
            },
            ty,
            span,
        )
    }

    fn membership(&mut self, subject: &Expr, set: &InSet, whole: &Expr) -> TExpr {
        let s = self.expr(subject);
        let span = whole.span;
        match set {
            InSet::List(items) => {
                let typed: Vec<TExpr> = items.iter().map(|i| self.expr(i)).collect();
                for item in &typed {
                    self.expect_comparable(&s, item, BinaryOp::Eq);
                }
                TExpr::new(
                    TExprKind::InList {
                        expr: boxed(s),
                        items: typed,
                    },
                    Type::Bool,
                    span,
                )
            }
            InSet::Expr(target) => {
                if let ExprKind::Path(parts) = &target.kind
                    && let [name] = parts.as_slice()
                    && let Some(set) = self.sets.iter().find(|c| c.name == name.name)
                    && !self.shadowed(&name.name)
                {
                    let element =
                        TExpr::new(TExprKind::Const(Value::Null), set.ty.clone(), target.span);
                    self.expect_comparable(&s, &element, BinaryOp::Eq);
                    self.used_names.insert(name.name.clone());
                    return TExpr::new(
                        TExprKind::InSet {
                            expr: boxed(s),
                            set: name.name.clone(),
                        },
                        Type::Bool,
                        span,
                    );
                }
                let list = self.expr(target);
                match &list.ty {
                    Type::List(inner) => {
                        let element = TExpr::new(
                            TExprKind::Const(Value::Null),
                            (**inner).clone(),
                            target.span,
                        );
                        self.expect_comparable(&s, &element, BinaryOp::Eq);
                    }
                    Type::Unknown => {}
                    other => self.error(
                        Diagnostic::error(
                            "E0201",
                            target.span,
                            format!("`in` needs a list or a set, but this is {other}"),
                        )
                        .with_help(
                            "write `x in (\"a\", \"b\")`, the name of a `set`, or a list column",
                        ),
                    ),
                }
                TExpr::new(
                    TExprKind::InArray {
                        expr: boxed(s),
                        list: boxed(list),
                    },
                    Type::Bool,
                    span,
                )
            }
        }
    }

    fn shadowed(&self, name: &str) -> bool {
        self.row.0 == name
            || self.partner.as_ref().is_some_and(|p| p.0 == name)
            || self.known.as_ref().is_some_and(|p| p.0 == name)
            || self.entity.as_ref().is_some_and(|p| p.0 == name)
            || self.items.iter().any(|i| i.0 == name)
            || self.lets.iter().any(|l| l.0 == name)
    }

    fn index(&mut self, base: &Expr, index: &Expr, whole: &Expr) -> TExpr {
        let key = self.expr(index);
        let param = match &base.kind {
            ExprKind::Path(parts) => match parts.as_slice() {
                [name] => self
                    .params
                    .iter()
                    .find(|p| p.name == name.name && matches!(p.value, ParamValue::Map(_))),
                _ => None,
            },
            _ => None,
        };
        let Some(param) = param else {
            self.error(Diagnostic::error("E0201", base.span, "only a map parameter can be looked up with `[...]`").with_help("declare one like `param cap = { \"employee\": 700000.00, \"resident\": 300000.00 }`"));
            return unknown(whole);
        };
        if !key.ty.is_textual() {
            self.error(Diagnostic::error(
                "E0201",
                index.span,
                format!(
                    "the keys of `{}` are text, but this is {}",
                    param.name, key.ty
                ),
            ));
        }
        self.used_names.insert(param.name.clone());
        TExpr::new(
            TExprKind::MapParam {
                param: param.name.clone(),
                key: boxed(key),
            },
            param.ty.clone(),
            whole.span,
        )
    }

    fn path(&mut self, parts: &[Ident], whole: &Expr) -> TExpr {
        let first = &parts[0];
        let rest = &parts[1..];
        // Innermost binding wins: `any` variables, then lets, then rows, then constants.
        if let Some(depth) = self.items.iter().rposition(|(n, _)| *n == first.name) {
            if let Some(extra) = rest.first() {
                self.error(Diagnostic::error(
                    "E0106",
                    extra.span,
                    format!(
                        "`{}` is a single value; it has no `{}`",
                        first.name, extra.name
                    ),
                ));
                return unknown(whole);
            }
            let ty = self.items[depth].1.clone();
            return TExpr::new(TExprKind::Item(depth as u32), ty, whole.span);
        }
        if let Some(index) = self.lets.iter().position(|(n, _)| *n == first.name) {
            if let Some(extra) = rest.first() {
                self.error(Diagnostic::error(
                    "E0106",
                    extra.span,
                    format!("`{}` is a value; it has no `{}`", first.name, extra.name),
                ));
                return unknown(whole);
            }
            let aggregated = self.aggregated_lets.get(index).copied().unwrap_or(false);
            if aggregated && self.in_aggregate {
                self.error(
                    Diagnostic::error(
                        "E0205",
                        first.span,
                        format!(
                            "`{}` holds an aggregate, read here inside another aggregate",
                            first.name
                        ),
                    )
                    .with_help(AGGREGATE_OF_AGGREGATE_HELP),
                );
                return unknown(whole);
            }
            self.read_aggregate |= aggregated;
            return TExpr::new(
                TExprKind::Let(index),
                self.lets[index].1.clone(),
                whole.span,
            );
        }
        let row_var = if first.name == self.row.0 {
            if self.row_only_in_aggregates && !self.in_aggregate {
                let entity = self
                    .entity
                    .as_ref()
                    .map_or("entity".to_string(), |e| e.0.clone());
                self.error(
                    Diagnostic::error("E0209", first.span, format!("`{}` has many rows per `{entity}` here", first.name))
                        .with_help(format!("use it inside an aggregate such as `count(...)` or `sum(...)`, or use `{entity}`'s own columns")),
                );
                return unknown(whole);
            }
            Some((Var::Row, self.row.1.clone()))
        } else if let Some((name, table)) = &self.partner
            && *name == first.name
        {
            Some((Var::Partner, table.clone()))
        } else if let Some((name, table)) = &self.known
            && *name == first.name
        {
            Some((Var::Known, table.clone()))
        } else if let Some((name, table)) = &self.entity
            && *name == first.name
        {
            Some((Var::Entity, table.clone()))
        } else if first.name == "prev" {
            if !self.prev {
                self.error(
                    Diagnostic::error(
                        "E0208",
                        first.span,
                        "`prev` is the row before this one, which only sequence rules have",
                    )
                    .with_help("order the rows first: `sequence by ... order by ...`"),
                );
                return unknown(whole);
            }
            Some((Var::Prev, self.row.1.clone()))
        } else {
            None
        };
        if let Some((var, table)) = row_var {
            return self.navigate(var, &table, first, rest, whole);
        }
        if let Some(param) = self.params.iter().find(|p| p.name == first.name) {
            self.used_names.insert(param.name.clone());
            if matches!(param.value, ParamValue::Map(_)) {
                self.error(
                    Diagnostic::error(
                        "E0210",
                        first.span,
                        format!("`{}` is a map; say which entry", first.name),
                    )
                    .with_help(format!(
                        "write `{}[key]`, e.g. `{}[c.patient.insurance_type]`",
                        first.name, first.name
                    )),
                );
                return unknown(whole);
            }
            if let Some(extra) = rest.first() {
                self.error(Diagnostic::error(
                    "E0106",
                    extra.span,
                    format!(
                        "`{}` is a parameter; it has no `{}`",
                        first.name, extra.name
                    ),
                ));
                return unknown(whole);
            }
            return TExpr::new(
                TExprKind::Param(param.name.clone()),
                param.ty.clone(),
                whole.span,
            );
        }
        if self.sets.iter().any(|s| s.name == first.name) {
            self.used_names.insert(first.name.clone());
            self.error(
                Diagnostic::error(
                    "E0201",
                    first.span,
                    format!(
                        "`{}` is a set of codes; it can only follow `in`",
                        first.name
                    ),
                )
                .with_help(format!("write `... in {}`", first.name)),
            );
            return unknown(whole);
        }
        let names = self.visible_names();
        let mut d = Diagnostic::error(
            "E0103",
            first.span,
            format!("nothing is called `{}` here", first.name),
        );
        if let Some(near) = did_you_mean(&first.name, names.iter().map(String::as_str)) {
            d = d.with_help(format!("did you mean `{near}`?"));
        } else if self
            .schema
            .table(&self.row.1)
            .is_some_and(|t| t.column(&first.name).is_some())
        {
            d = d.with_help(format!(
                "columns are read through the row: `{}.{}`",
                self.row.0, first.name
            ));
        }
        self.error(d);
        unknown(whole)
    }

    /// `var.relation.relation.column`, or `var.relation` for the row itself.
    fn navigate(
        &mut self,
        var: Var,
        table: &str,
        first: &Ident,
        rest: &[Ident],
        whole: &Expr,
    ) -> TExpr {
        let mut current = table.to_string();
        let mut path = Vec::new();
        for (i, part) in rest.iter().enumerate() {
            let Some(table_def) = self.schema.table(&current) else {
                return unknown(whole);
            };
            if let Some(column) = table_def.column(&part.name) {
                if let Some(extra) = rest.get(i + 1) {
                    self.error(
                        Diagnostic::error(
                            "E0106",
                            extra.span,
                            format!(
                                "`{}` is a column, not a relation, so it has no `{}`",
                                part.name, extra.name
                            ),
                        )
                        .with_help(format!(
                            "the relations of `{current}` are: {}",
                            self.relation_names(&current)
                        )),
                    );
                    return unknown(whole);
                }
                return TExpr::new(
                    TExprKind::Column {
                        var,
                        path,
                        column: part.name.clone(),
                    },
                    Type::of_column(&column.ty),
                    whole.span,
                );
            }
            if let Some(relation) = self.schema.relation(&current, &part.name) {
                path.push(Step {
                    relation: relation.name.clone(),
                    table: relation.to_table.clone(),
                });
                current = relation.to_table.clone();
                continue;
            }
            let candidates: Vec<&str> = table_def
                .columns
                .iter()
                .map(|c| c.name.as_str())
                .chain(
                    self.schema
                        .relations_from(&current)
                        .map(|r| r.name.as_str()),
                )
                .collect();
            let mut d = Diagnostic::error(
                "E0102",
                part.span,
                format!("`{current}` has no column or relation `{}`", part.name),
            );
            if let Some(near) = did_you_mean(&part.name, candidates.iter().copied()) {
                d = d.with_help(format!("did you mean `{near}`?"));
            } else if let Some(via) = self.schema.relations_from(&current).find(|r| {
                self.schema.table(&r.to_table).is_some_and(|t| {
                    t.column(&part.name).is_some()
                        || self.schema.relation(&t.name, &part.name).is_some()
                })
            }) {
                // One relation further (`line.patient` for `line.claim.patient`).
                let before: Vec<&str> = std::iter::once(first.name.as_str())
                    .chain(rest[..i].iter().map(|p| p.name.as_str()))
                    .collect();
                d = d.with_help(format!(
                    "`{}` has `{}`: write `{}.{}.{}`",
                    via.to_table,
                    part.name,
                    before.join("."),
                    via.name,
                    part.name
                ));
            }
            self.error(d);
            return unknown(whole);
        }
        let _ = first;
        TExpr::new(
            TExprKind::Related { var, path },
            Type::Row(current),
            whole.span,
        )
    }

    fn relation_names(&self, table: &str) -> String {
        let names: Vec<String> = self
            .schema
            .relations_from(table)
            .map(|r| format!("`{}`", r.name))
            .collect();
        if names.is_empty() {
            "none".into()
        } else {
            names.join(", ")
        }
    }

    fn call(&mut self, name: &Ident, distinct: bool, args: &[Expr], whole: &Expr) -> TExpr {
        let span = whole.span;
        let aggregate = aggregate_func(&name.name, distinct, args.is_empty());
        if distinct && name.name != "count" {
            self.error(Diagnostic::error(
                "E0202",
                name.span,
                format!("`distinct` goes only with `count`, not `{}`", name.name),
            ));
            return unknown(whole);
        }
        if let Some(func) = aggregate {
            return self.aggregate(func, name, args, whole);
        }
        if name.name == "date" {
            return match args {
                // A date written in the rule: `date(column)` is no constant,
                // and a parameter's error would mislead.
                [arg] if !matches!(arg.kind, ExprKind::Str(_)) => {
                    self.error(
                        Diagnostic::error(
                            "E0202",
                            arg.span,
                            "`date` takes a date written in quotes, like `date(\"2024-01-01\")`",
                        )
                        .with_help(
                            "a date column is a date already: compare it directly, e.g. `line.service_date > date(\"2024-01-01\")`",
                        ),
                    );
                    unknown(whole)
                }
                [arg] => match super::constants::constant(whole) {
                    Ok((value, ty)) => TExpr::new(TExprKind::Const(value), ty, span),
                    Err(d) => {
                        let _ = arg;
                        self.error(d);
                        unknown(whole)
                    }
                },
                _ => {
                    self.error(Diagnostic::error(
                        "E0202",
                        span,
                        "`date` takes one string like \"2024-03-01\"",
                    ));
                    unknown(whole)
                }
            };
        }
        if name.name == "quantile" {
            return self.quantile(args, whole);
        }
        if name.name == "lag" {
            return self.lag(name, args, whole);
        }
        if name.name == "rank" {
            return self.rank(name, args, whole);
        }
        let Some(func) = Func::ALL.into_iter().find(|f| f.name() == name.name) else {
            let known: Vec<&str> = Func::ALL
                .iter()
                .map(|f| f.name())
                .chain([
                    "count", "sum", "min", "max", "any", "all", "date", "quantile",
                ])
                .chain(super::sequence::SEQUENCE_FUNCTIONS)
                .collect();
            let mut d = Diagnostic::error(
                "E0104",
                name.span,
                format!("there is no function `{}`", name.name),
            );
            d = d.with_help(
                match (
                    super::functions::other_name(&name.name),
                    did_you_mean(&name.name, known.iter().copied()),
                ) {
                    (Some(ours), _) => format!("this language writes it `{ours}`"),
                    (None, Some(near)) => format!("did you mean `{near}`?"),
                    (None, None) => format!("the functions are {}", known.join(", ")),
                },
            );
            self.error(d);
            return unknown(whole);
        };
        let typed: Vec<TExpr> = args.iter().map(|a| self.expr(a)).collect();
        let wrong = |scope: &mut Scope, expected: &str| {
            scope.error(Diagnostic::error(
                "E0202",
                span,
                format!("`{}` takes {expected}", func.name()),
            ));
        };
        if let Some(ty) = self.function_type(func, &typed, span) {
            return TExpr::new(TExprKind::Call { func, args: typed }, ty, span);
        }
        let ty = match func {
            Func::Age => {
                if typed.len() != 2
                    || typed
                        .iter()
                        .any(|t| !matches!(t.ty, Type::Date | Type::Unknown))
                {
                    wrong(self, "two dates: `age(birth_date, on_date)`");
                }
                Type::Int
            }
            Func::Year | Func::Month | Func::Day => {
                if typed.len() != 1
                    || !matches!(typed[0].ty, Type::Date | Type::Timestamp | Type::Unknown)
                {
                    wrong(self, "one date or time");
                }
                Type::Int
            }
            Func::Hour => {
                if typed.len() != 1 || !matches!(typed[0].ty, Type::Timestamp | Type::Unknown) {
                    wrong(self, "one time: `hour(c.settle_time)`");
                }
                Type::Int
            }
            Func::Prefix => {
                if typed.len() != 2
                    || !typed[0].ty.is_textual()
                    || !matches!(typed[1].ty, Type::Int | Type::Unknown)
                {
                    wrong(self, "text and a whole number: `prefix(c.primary_dx, 3)`");
                }
                Type::Text
            }
            Func::Length => {
                if typed.len() != 1
                    || !(typed[0].ty.is_textual() || matches!(typed[0].ty, Type::List(_)))
                {
                    wrong(self, "one text or list");
                }
                Type::Int
            }
            Func::Coalesce => {
                let mut common = Type::Unknown;
                for t in &typed {
                    match common.unify(&t.ty) {
                        Some(c) => common = c,
                        None => {
                            self.error(Diagnostic::error("E0202", t.span, format!("`coalesce` needs values of one type, but this is {} and the others {common}", t.ty)));
                        }
                    }
                }
                if typed.len() < 2 {
                    wrong(self, "two or more values");
                }
                for (a, b) in typed.iter().zip(typed.iter().skip(1)) {
                    self.float_meets(a, b, "choose between");
                }
                common
            }
            _ => unreachable!("`function_type` types the other functions"),
        };
        TExpr::new(TExprKind::Call { func, args: typed }, ty, span)
    }

    fn aggregate(&mut self, func: AggFunc, name: &Ident, args: &[Expr], whole: &Expr) -> TExpr {
        if let Aggregates::Forbidden(why) = self.aggregates_here {
            self.error(
                Diagnostic::error("E0204", name.span, format!("`{}` aggregates over rows, but {why}", name.name))
                    .with_help("aggregates go in a rule with `group by`, `window by` or `per`, in `let` or `flag when`"),
            );
            return unknown(whole);
        }
        if self.in_aggregate {
            self.error(
                Diagnostic::error(
                    "E0205",
                    name.span,
                    format!("`{}` is inside another aggregate", name.name),
                )
                .with_help(AGGREGATE_OF_AGGREGATE_HELP),
            );
            return unknown(whole);
        }
        self.read_aggregate = true;
        let expected_args = if func == AggFunc::Count { 0 } else { 1 };
        if args.len() != expected_args {
            self.error(Diagnostic::error("E0202", whole.span, match func {
                AggFunc::Count => "`count()` takes no argument; `count(condition)` counts the rows where it holds".to_string(),
                _ => format!("`{}` takes one argument", name.name),
            }));
            return unknown(whole);
        }
        self.in_aggregate = true;
        let arg = args.first().map(|a| self.expr(a));
        self.in_aggregate = false;
        let arg_ty = arg.as_ref().map_or(Type::Unknown, |a| a.ty.clone());
        let ty = self.aggregate_type(func, name, arg_ty, whole);
        let aggregate = Aggregate {
            func,
            arg,
            text: self.text(whole.span),
            per: None,
        };
        self.register(aggregate, ty, whole.span)
    }

    /// The rule's aggregate `aggregate` (the one already there when an
    /// equal one was written before).
    fn register(&mut self, aggregate: Aggregate, ty: Type, span: crate::syntax::Span) -> TExpr {
        let index = match self.aggregates.iter().position(|a| {
            a.func == aggregate.func && a.arg == aggregate.arg && a.per == aggregate.per
        }) {
            Some(i) => i,
            None => {
                self.aggregates.push(aggregate);
                self.aggregates.len() - 1
            }
        };
        TExpr::new(TExprKind::Aggregate(index), ty, span)
    }

    /// The type of aggregate `func` over values of `arg_ty` (E0202 when
    /// it cannot take them).
    fn aggregate_type(&mut self, func: AggFunc, name: &Ident, arg_ty: Type, whole: &Expr) -> Type {
        match func {
            AggFunc::Count | AggFunc::CountDistinct => Type::Int,
            AggFunc::CountIf | AggFunc::Any | AggFunc::All => {
                if !matches!(arg_ty, Type::Bool | Type::Unknown) {
                    let help = if func == AggFunc::CountIf {
                        "`count(condition)` counts rows where the condition holds; to count values that are present write `count(x is not null)`"
                    } else {
                        "give a condition, e.g. `any(line.item_type = \"drug\")`"
                    };
                    self.error(
                        Diagnostic::error(
                            "E0202",
                            whole.span,
                            format!(
                                "`{}` needs a condition here, but this is {arg_ty}",
                                name.name
                            ),
                        )
                        .with_help(help),
                    );
                }
                if func == AggFunc::CountIf {
                    Type::Int
                } else {
                    Type::Bool
                }
            }
            AggFunc::Sum => {
                if !(arg_ty.is_numeric() || arg_ty == Type::Days) {
                    self.error(Diagnostic::error(
                        "E0202",
                        whole.span,
                        format!("`sum` adds numbers, but this is {arg_ty}"),
                    ));
                }
                arg_ty.clone()
            }
            AggFunc::Min | AggFunc::Max => {
                if !arg_ty.is_orderable() {
                    self.error(Diagnostic::error(
                        "E0202",
                        whole.span,
                        format!(
                            "`{}` needs values with an order, but this is {arg_ty}",
                            name.name
                        ),
                    ));
                }
                arg_ty.clone()
            }
        }
    }

    /// `outer(inner(...) per key)`: the outer aggregate over the inner's
    /// value for each run of rows with equal `key`, in a group or window.
    fn aggregate_per(
        &mut self,
        name: &Ident,
        distinct: bool,
        args: &[Expr],
        key: &Expr,
        whole: &Expr,
    ) -> TExpr {
        let outer = aggregate_func(&name.name, distinct, false);
        let inner_call = match args {
            [arg] if reads_aggregates(arg) => Some(arg),
            _ => None,
        };
        let (Some(outer), Some(inner_call)) = (outer, inner_call) else {
            self.error(
                Diagnostic::error(
                    "E0202",
                    whole.span,
                    "`per` takes an aggregate for each run of rows, inside another aggregate",
                )
                .with_help("write e.g. `max(sum(line.amount) per month_start(line.service_date))`"),
            );
            return unknown(whole);
        };
        if !self.runs_here {
            self.error(
                Diagnostic::error(
                    "E0205",
                    whole.span,
                    "an aggregate of aggregates (`per`) is taken over the rows of a group or a window",
                )
                .with_help("use it in a rule with `group by` or `window by`"),
            );
            return unknown(whole);
        }
        // The inner aggregates are checked as the rule's own; the outer
        // one reads the run's value, computed from them, for each run.
        let Some(inner) = self.run_value(inner_call) else {
            return unknown(whole);
        };
        self.in_aggregate = true;
        let key = self.expr(key);
        self.in_aggregate = false;
        if matches!(key.ty, Type::List(_) | Type::Row(_)) {
            self.error(Diagnostic::error(
                "E0201",
                key.span,
                format!("rows cannot be told apart by {}", key.ty),
            ));
            return unknown(whole);
        }
        let ty = self.aggregate_type(outer, name, inner.ty.clone(), whole);
        let aggregate = Aggregate {
            func: outer,
            arg: None,
            text: self.text(whole.span),
            per: Some(AggregatePer { value: inner, key }),
        };
        self.register(aggregate, ty, whole.span)
    }

    /// The value of a run inside `per`: aggregates over the run, `lag(
    /// aggregate, n)` of the run `n` before, numbers, and `+ - * /` on
    /// them (`sum(c.amount) / lag(sum(c.amount), 1)`: a month's growth).
    fn run_value(&mut self, e: &Expr) -> Option<TExpr> {
        let refuse = |scope: &mut Scope, span| {
            scope.error(
                Diagnostic::error(
                    "E0202",
                    span,
                    "a run's value inside `per` is made of aggregates, `lag(aggregate, n)`, numbers and `+ - * /`",
                )
                .with_help("e.g. `max(sum(c.amount) / lag(sum(c.amount), 1) per month_start(c.service_date))`"),
            );
            None
        };
        match &e.kind {
            ExprKind::Call {
                name, per: None, ..
            } if aggregate_func(&name.name, false, true).is_some() => {
                let typed = self.expr(e);
                match typed.kind {
                    TExprKind::Aggregate(_) => Some(typed),
                    _ => None,
                }
            }
            ExprKind::Call {
                name,
                args,
                per: None,
                distinct: false,
            } if name.name == "lag" => {
                let [value, back] = args.as_slice() else {
                    return refuse(self, e.span);
                };
                let rows = self.lag_back(
                    back,
                    "runs",
                    "write the number itself, e.g. `1`: the run before",
                )?;
                let value = self.run_value(value)?;
                let ty = value.ty.clone();
                Some(TExpr::new(
                    TExprKind::Lag {
                        value: boxed(value),
                        rows,
                    },
                    ty,
                    e.span,
                ))
            }
            ExprKind::Number(_) => Some(self.expr(e)),
            ExprKind::Unary {
                op: UnaryOp::Neg,
                expr,
            } => {
                let inner = self.run_value(expr)?;
                let ty = inner.ty.clone();
                Some(TExpr::new(TExprKind::Neg(boxed(inner)), ty, e.span))
            }
            ExprKind::Binary {
                op: op @ (BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div),
                left,
                right,
            } => {
                let (l, r) = (self.run_value(left)?, self.run_value(right)?);
                Some(self.arithmetic(*op, l, r, e.span))
            }
            _ => refuse(self, e.span),
        }
    }

    fn quantile(&mut self, args: &[Expr], whole: &Expr) -> TExpr {
        if !self.quantile_here {
            self.error(
                Diagnostic::error("E0207", whole.span, "`quantile` compares with the peers of a population rule, and is used in its `flag when`")
                    .with_help("declare the entity with `per`, the statistic with `let`, and the peers with `peers by`"),
            );
            return unknown(whole);
        }
        let [stat, p] = args else {
            self.error(Diagnostic::error(
                "E0202",
                whole.span,
                "`quantile` takes a statistic and a fraction: `quantile(share, 0.95)`",
            ));
            return unknown(whole);
        };
        let stat_index = match &stat.kind {
            ExprKind::Path(parts) if parts.len() == 1 => {
                self.lets.iter().position(|(n, _)| *n == parts[0].name)
            }
            _ => None,
        };
        let Some(stat_index) = stat_index else {
            self.error(Diagnostic::error(
                "E0202",
                stat.span,
                "the first argument of `quantile` must be a `let` statistic of this rule",
            ));
            return unknown(whole);
        };
        let ty = self.lets[stat_index].1.clone();
        if !ty.is_numeric() {
            self.error(Diagnostic::error(
                "E0202",
                stat.span,
                format!("a quantile is taken of numbers, but this is {ty}"),
            ));
        }
        let p_typed = self.expr(p);
        if !p_typed.ty.is_numeric() {
            self.error(Diagnostic::error(
                "E0202",
                p.span,
                "the fraction must be a number between 0 and 1, e.g. 0.95",
            ));
        }
        // A quantile of floats is a float; of whole numbers or decimals, a decimal.
        let quantile_ty = if ty == Type::Float {
            Type::Float
        } else {
            Type::Decimal
        };
        TExpr::new(
            TExprKind::Quantile {
                stat: stat_index,
                p: boxed(p_typed),
            },
            quantile_ty,
            whole.span,
        )
    }
}

/// A value written in the rule or declared as a parameter.
fn is_constant(e: &TExpr) -> bool {
    match &e.kind {
        TExprKind::Const(_) | TExprKind::Param(_) => true,
        TExprKind::Neg(inner) => is_constant(inner),
        _ => false,
    }
}

/// Whether an expression reads an aggregate: what `per` runs over.
fn reads_aggregates(e: &Expr) -> bool {
    let mut found = matches!(
        &e.kind,
        ExprKind::Call { name, per: None, .. } if aggregate_func(&name.name, false, true).is_some()
    );
    e.kind
        .for_each_child(|child| found |= reads_aggregates(child));
    found
}

fn negate_if(negated: bool, expr: TExpr) -> TExpr {
    if negated {
        let span = expr.span;
        TExpr::new(TExprKind::Not(boxed(expr)), Type::Bool, span)
    } else {
        expr
    }
}

fn verb(op: ArithOp) -> &'static str {
    match op {
        ArithOp::Add => "add",
        ArithOp::Sub => "subtract",
        ArithOp::Mul => "multiply",
        ArithOp::Div => "divide",
    }
}
