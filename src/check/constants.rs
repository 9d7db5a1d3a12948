//! Parameters and named sets: constants declared once and used by name.

use std::str::FromStr;

use rust_decimal::Decimal;

use crate::ir::text::parse_date;
use crate::ir::{CodeSet, Param, ParamValue, Type, Value};
use crate::syntax::Diagnostic;
use crate::syntax::ast::{self, ExprKind, UnaryOp};

/// The value and type of a constant expression: a number, a string,
/// `true`/`false`, `30 days` or `date("2024-01-01")`, possibly negated.
pub fn constant(expr: &ast::Expr) -> Result<(Value, Type), Diagnostic> {
    let not_constant = || {
        Diagnostic::error("E0701", expr.span, "a parameter's value must be a constant")
            .with_help("write a number, a string, `30 days` or `date(\"2024-01-01\")`")
    };
    Ok(match &expr.kind {
        ExprKind::Number(text) => number(text).ok_or_else(not_constant)?,
        ExprKind::Str(s) => (Value::Text(s.clone()), Type::Text),
        ExprKind::Bool(b) => (Value::Bool(*b), Type::Bool),
        ExprKind::Days(d) => (
            Value::Int(i64::try_from(*d).map_err(|_| not_constant())?),
            Type::Days,
        ),
        ExprKind::Unary {
            op: UnaryOp::Neg,
            expr: inner,
        } => match constant(inner)? {
            (Value::Int(i), ty) => (Value::Int(-i), ty),
            (Value::Decimal(d), ty) => (Value::Decimal(-d), ty),
            _ => return Err(not_constant()),
        },
        ExprKind::Call {
            name,
            args,
            distinct: false,
            per: None,
        } if name.name == "date" => {
            let [arg] = args.as_slice() else {
                return Err(not_constant());
            };
            let ExprKind::Str(text) = &arg.kind else {
                return Err(not_constant());
            };
            let days = parse_date(text).map_err(|why| {
                Diagnostic::error("E0701", arg.span, why)
                    .with_help("dates are written `date(\"2024-03-01\")`")
            })?;
            (Value::Date(days), Type::Date)
        }
        _ => return Err(not_constant()),
    })
}

/// A numeric literal: whole numbers that fit are `Int`, others exact decimals.
pub fn number(text: &str) -> Option<(Value, Type)> {
    if !text.contains('.')
        && let Ok(i) = text.parse::<i64>()
    {
        return Some((Value::Int(i), Type::Int));
    }
    Decimal::from_str(text)
        .ok()
        .map(|d| (Value::Decimal(d), Type::Decimal))
}

pub fn check_param(decl: &ast::ParamDecl, diagnostics: &mut Vec<Diagnostic>) -> Option<Param> {
    let (value, ty) = param_value(&decl.value, diagnostics)?;
    Some(Param {
        name: decl.name.name.clone(),
        value,
        ty,
        doc: decl.doc.as_ref().map(|d| d.value.clone()),
        span: decl.name.span,
    })
}

pub fn param_value(
    value: &ast::ParamValue,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<(ParamValue, Type)> {
    match value {
        ast::ParamValue::Expr(expr) => match constant(expr) {
            Ok((v, ty)) => Some((ParamValue::Scalar(v), ty)),
            Err(d) => {
                diagnostics.push(d);
                None
            }
        },
        ast::ParamValue::Map(entries, _) => {
            let mut out = Vec::new();
            let mut ty = Type::Unknown;
            for (key, expr) in entries {
                if out.iter().any(|(k, _)| k == &key.value) {
                    diagnostics.push(Diagnostic::error(
                        "E0105",
                        key.span,
                        format!("key \"{}\" is given twice", key.value),
                    ));
                    return None;
                }
                match constant(expr) {
                    Ok((v, t)) => match ty.unify(&t) {
                        Some(common) => {
                            ty = common;
                            out.push((key.value.clone(), v));
                        }
                        None => {
                            diagnostics.push(Diagnostic::error(
                                "E0201",
                                expr.span,
                                format!("this value is {t}, but the others are {ty}"),
                            ));
                            return None;
                        }
                    },
                    Err(d) => {
                        diagnostics.push(d);
                        return None;
                    }
                }
            }
            Some((ParamValue::Map(out), ty))
        }
    }
}

pub fn check_set(decl: &ast::SetDecl, diagnostics: &mut Vec<Diagnostic>) -> Option<CodeSet> {
    let mut values = Vec::new();
    let mut ty = Type::Unknown;
    for expr in &decl.values {
        match constant(expr) {
            Ok((v, t)) => match ty.unify(&t) {
                Some(common) => {
                    ty = common;
                    values.push(v);
                }
                None => {
                    diagnostics.push(
                        Diagnostic::error(
                            "E0201",
                            expr.span,
                            format!("this value is {t}, but the others are {ty}"),
                        )
                        .with_help("a set holds values of one type, e.g. codes as strings"),
                    );
                    return None;
                }
            },
            Err(mut d) => {
                d.message = "a set holds constants".into();
                d.help = Some("write the codes as strings: `set 名称 = (\"A01\", \"A02\")`".into());
                diagnostics.push(d);
                return None;
            }
        }
    }
    Some(CodeSet {
        name: decl.name.name.clone(),
        ty,
        values,
        doc: decl.doc.as_ref().map(|d| d.value.clone()),
        span: decl.name.span,
    })
}
