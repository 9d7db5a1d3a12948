//! Checking `table` declarations into a [`Schema`].

use std::collections::HashMap;

use crate::ir::{
    AMOUNT_AT_STAKE, Column, ColumnType, CompareOp, Constraint, ConstraintOperand, FlagField,
    FlagsBinding, Grain, Literal, Relation, Schema, Table,
};
use crate::syntax::ast::{self, ExprKind, TableItem, TypeExprKind};
use crate::syntax::diagnostic::did_you_mean;
use crate::syntax::{Diagnostic, Span};

/// Where each part of the schema was declared, for diagnostics.
#[derive(Debug, Default, Clone)]
pub struct SchemaSpans {
    pub tables: HashMap<String, Span>,
    pub columns: HashMap<(String, String), Span>,
}

pub fn check_tables(
    tables: &[&ast::TableDecl],
    diagnostics: &mut Vec<Diagnostic>,
) -> (Schema, SchemaSpans) {
    let mut schema = Schema::default();
    let mut spans = SchemaSpans::default();
    // First every table and its columns, so relations may point forward.
    for decl in tables {
        if let Some(first) = spans.tables.get(&decl.name.name) {
            diagnostics.push(
                Diagnostic::error(
                    "E0105",
                    decl.name.span,
                    format!("table `{}` is declared twice", decl.name.name),
                )
                .with_note(*first, "first declared here")
                .with_help("give the second table another name, or merge the two"),
            );
            continue;
        }
        spans.tables.insert(decl.name.name.clone(), decl.name.span);
        let mut columns: Vec<Column> = Vec::new();
        for item in &decl.items {
            let TableItem::Column(c) = item else { continue };
            let key = (decl.name.name.clone(), c.name.name.clone());
            if let Some(first) = spans.columns.get(&key) {
                diagnostics.push(
                    Diagnostic::error(
                        "E0105",
                        c.name.span,
                        format!(
                            "column `{}` is declared twice in `{}`",
                            c.name.name, decl.name.name
                        ),
                    )
                    .with_note(*first, "first declared here"),
                );
                continue;
            }
            spans.columns.insert(key, c.name.span);
            let Some(ty) = column_type(&c.ty, diagnostics) else {
                continue;
            };
            columns.push(Column {
                name: c.name.name.clone(),
                ty,
                nullable: c.nullable,
                doc: c.doc.as_ref().map(|d| d.value.clone()),
            });
        }
        schema.tables.push(Table {
            name: decl.name.name.clone(),
            columns,
            key: None,
            constraints: Vec::new(),
            flags: None,
            more_flags: Vec::new(),
            in_force: None,
            doc: decl.doc.as_ref().map(|d| d.value.clone()),
        });
    }
    // Then keys and checks, which need only the table itself.
    for decl in tables {
        let Some(index) = schema.tables.iter().position(|t| t.name == decl.name.name) else {
            continue;
        };
        for item in &decl.items {
            match item {
                TableItem::Key(key) => {
                    let table = &mut schema.tables[index];
                    if table.key.is_some() {
                        diagnostics.push(
                            Diagnostic::error(
                                "E0402",
                                key.span,
                                format!("table `{}` has two keys", table.name),
                            )
                            .with_help(
                                "write one `key`; for a key of several columns write `key (a, b)`",
                            ),
                        );
                        continue;
                    }
                    let names: Vec<String> = key.columns.iter().map(|c| c.name.clone()).collect();
                    let mut ok = true;
                    for column in &key.columns {
                        ok &= known_column(table, column, "E0402", diagnostics);
                        if let Some(c) = table.column(&column.name)
                            && (c.nullable || matches!(c.ty, ColumnType::List(_)))
                        {
                            diagnostics.push(
                                Diagnostic::error(
                                    "E0402",
                                    column.span,
                                    format!(
                                        "key column `{}` may be null or is a list",
                                        column.name
                                    ),
                                )
                                .with_help("a key is made of required, single-valued columns"),
                            );
                            ok = false;
                        }
                    }
                    if ok {
                        table.key = Some(names);
                    }
                }
                TableItem::Check(check) => {
                    if let Some(constraint) =
                        constraint(&schema.tables[index], &check.expr, diagnostics)
                    {
                        schema.tables[index].constraints.push(constraint);
                    }
                }
                TableItem::InForce(decl) => {
                    if let Some(columns) = in_force(&schema.tables[index], decl, diagnostics) {
                        schema.tables[index].in_force = Some(columns);
                    }
                }
                _ => {}
            }
        }
    }
    // Relations and flags need the other tables' keys.
    for decl in tables {
        for item in &decl.items {
            match item {
                TableItem::Relation(relation) => {
                    if let Some(r) = check_relation(&schema, &decl.name.name, relation, diagnostics)
                    {
                        schema.relations.push(r);
                    }
                }
                TableItem::Flags(flags) => {
                    let Some(index) = schema.tables.iter().position(|t| t.name == decl.name.name)
                    else {
                        continue;
                    };
                    let Some(binding) = check_flags(&schema, &decl.name.name, flags, diagnostics)
                    else {
                        continue;
                    };
                    let table = &mut schema.tables[index];
                    if table.flags_of(binding.grain).is_some() {
                        diagnostics.push(
                            Diagnostic::error(
                                "E0405",
                                flags.span,
                                format!(
                                    "table `{}` declares `flags {}` twice",
                                    decl.name.name,
                                    binding.grain.as_str()
                                ),
                            )
                            .with_help("a table has one `flags` declaration per grain: the first names its own rows, the others what a row belongs to"),
                        );
                    } else if table.flags.is_none() {
                        table.flags = Some(binding);
                    } else {
                        table.more_flags.push(binding);
                    }
                }
                _ => {}
            }
        }
    }
    (schema, spans)
}

fn column_type(ty: &ast::TypeExpr, diagnostics: &mut Vec<Diagnostic>) -> Option<ColumnType> {
    Some(match &ty.kind {
        TypeExprKind::Simple(simple) => match simple {
            ast::SimpleType::Text => ColumnType::Text,
            ast::SimpleType::Int32 => ColumnType::Int32,
            ast::SimpleType::Int64 => ColumnType::Int64,
            ast::SimpleType::Float64 => ColumnType::Float64,
            ast::SimpleType::Bool => ColumnType::Bool,
            ast::SimpleType::Date => ColumnType::Date,
            ast::SimpleType::Timestamp => ColumnType::Timestamp,
        },
        TypeExprKind::Decimal { precision, scale } => {
            if *precision == 0 || *precision > 38 || scale > precision {
                diagnostics.push(
                    Diagnostic::error("E0401", ty.span, format!("decimal({precision}, {scale}) is not a decimal type claimaudit can hold"))
                        .with_help("precision (all digits) is 1 to 38, and scale (digits after the point) at most the precision, e.g. `decimal(18, 2)` for money"),
                );
                return None;
            }
            ColumnType::Decimal {
                precision: *precision as u8,
                scale: *scale as i8,
            }
        }
        TypeExprKind::Enum(values) => {
            let mut seen: Vec<&str> = Vec::new();
            for v in values {
                if seen.contains(&v.value.as_str()) {
                    diagnostics.push(Diagnostic::error(
                        "E0401",
                        v.span,
                        format!("value \"{}\" is listed twice", v.value),
                    ));
                    return None;
                }
                seen.push(&v.value);
            }
            ColumnType::Enum(values.iter().map(|v| v.value.clone()).collect())
        }
        TypeExprKind::List(inner) => {
            let inner_type = column_type(inner, diagnostics)?;
            if matches!(inner_type, ColumnType::List(_)) {
                diagnostics.push(
                    Diagnostic::error("E0401", ty.span, "lists of lists are not supported")
                        .with_help("use `list<text>` or another list of single values"),
                );
                return None;
            }
            ColumnType::List(Box::new(inner_type))
        }
    })
}

fn known_column(
    table: &Table,
    column: &ast::Ident,
    code: &'static str,
    diagnostics: &mut Vec<Diagnostic>,
) -> bool {
    if table.column(&column.name).is_some() {
        return true;
    }
    let mut d = Diagnostic::error(
        code,
        column.span,
        format!("table `{}` has no column `{}`", table.name, column.name),
    );
    if let Some(near) = did_you_mean(&column.name, table.columns.iter().map(|c| c.name.as_str())) {
        d = d.with_help(format!("did you mean `{near}`?"));
    }
    diagnostics.push(d);
    false
}

/// `in force from a to b`: two date columns of the table, given once; the
/// first may not be null (a version starts somewhere), the second may (open).
fn in_force(
    table: &Table,
    decl: &ast::InForceDecl,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<(String, String)> {
    if table.in_force.is_some() {
        diagnostics.push(
            Diagnostic::error(
                "E0406",
                decl.span,
                format!(
                    "table `{}` says twice when its rows are in force",
                    table.name
                ),
            )
            .with_help("keep one `in force from ... to ...`"),
        );
        return None;
    }
    let mut ok = true;
    for column in [&decl.from, &decl.to] {
        if !known_column(table, column, "E0406", diagnostics) {
            ok = false;
            continue;
        }
        let c = table.column(&column.name).expect("known");
        if c.ty != ColumnType::Date {
            diagnostics.push(
                Diagnostic::error(
                    "E0406",
                    column.span,
                    format!("`{}` is not a date column", column.name),
                )
                .with_help("a row is in force between two `date` columns, e.g. `in force from valid_from to valid_to`"),
            );
            ok = false;
        }
    }
    ok.then(|| (decl.from.name.clone(), decl.to.name.clone()))
}

/// `check column op column` or `check column op literal`.
fn constraint(
    table: &Table,
    expr: &ast::Expr,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Constraint> {
    let unsupported = |d: &mut Vec<Diagnostic>| {
        d.push(
            Diagnostic::error(
                "E0404",
                expr.span,
                "a `check` compares a column with another column or a constant",
            )
            .with_help("for example `check discharge_date >= admit_date` or `check quantity > 0`"),
        );
    };
    let ExprKind::Binary { op, left, right } = &expr.kind else {
        unsupported(diagnostics);
        return None;
    };
    let op = match op {
        ast::BinaryOp::Eq => CompareOp::Eq,
        ast::BinaryOp::Ne => CompareOp::Ne,
        ast::BinaryOp::Lt => CompareOp::Lt,
        ast::BinaryOp::Le => CompareOp::Le,
        ast::BinaryOp::Gt => CompareOp::Gt,
        ast::BinaryOp::Ge => CompareOp::Ge,
        _ => {
            unsupported(diagnostics);
            return None;
        }
    };
    let ExprKind::Path(left_path) = &left.kind else {
        unsupported(diagnostics);
        return None;
    };
    let [column] = left_path.as_slice() else {
        unsupported(diagnostics);
        return None;
    };
    if !known_column(table, column, "E0102", diagnostics) {
        return None;
    }
    let operand = match &right.kind {
        ExprKind::Path(p) if p.len() == 1 => {
            if !known_column(table, &p[0], "E0102", diagnostics) {
                return None;
            }
            ConstraintOperand::Column(p[0].name.clone())
        }
        ExprKind::Number(n) if n.contains('.') => {
            ConstraintOperand::Literal(Literal::Decimal(n.clone()))
        }
        ExprKind::Number(n) => match n.parse() {
            Ok(i) => ConstraintOperand::Literal(Literal::Int(i)),
            Err(_) => ConstraintOperand::Literal(Literal::Decimal(n.clone())),
        },
        ExprKind::Str(s) => ConstraintOperand::Literal(Literal::Text(s.clone())),
        _ => {
            unsupported(diagnostics);
            return None;
        }
    };
    Some(Constraint {
        column: column.name.clone(),
        op,
        operand,
    })
}

fn check_relation(
    schema: &Schema,
    from: &str,
    decl: &ast::RelationDecl,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Relation> {
    let source = schema.table(from)?;
    if source.column(&decl.name.name).is_some() {
        diagnostics.push(
            Diagnostic::error("E0105", decl.name.span, format!("relation `{}` has the name of a column of `{from}`", decl.name.name))
                .with_help("name the relation after the row it reaches, e.g. `relation claim: claim_id -> claims(claim_id)`"),
        );
        return None;
    }
    if schema.relation(from, &decl.name.name).is_some() {
        diagnostics.push(Diagnostic::error(
            "E0105",
            decl.name.span,
            format!(
                "relation `{}` is declared twice in `{from}`",
                decl.name.name
            ),
        ));
        return None;
    }
    let mut ok = decl
        .columns
        .iter()
        .all(|c| known_column(source, c, "E0403", diagnostics));
    let Some(target) = schema.table(&decl.target.name) else {
        let mut d = Diagnostic::error(
            "E0403",
            decl.target.span,
            format!("no table is called `{}`", decl.target.name),
        );
        if let Some(near) = did_you_mean(
            &decl.target.name,
            schema.tables.iter().map(|t| t.name.as_str()),
        ) {
            d = d.with_help(format!("did you mean `{near}`?"));
        }
        diagnostics.push(d);
        return None;
    };
    ok &= decl
        .target_columns
        .iter()
        .all(|c| known_column(target, c, "E0403", diagnostics));
    if !ok {
        return None;
    }
    let target_names: Vec<String> = decl.target_columns.iter().map(|c| c.name.clone()).collect();
    if target.key.as_ref() != Some(&target_names) {
        let key = target
            .key
            .as_ref()
            .map_or("no key".to_string(), |k| format!("key ({})", k.join(", ")));
        diagnostics.push(
            Diagnostic::error(
                "E0403",
                decl.span,
                format!(
                    "a relation must lead to the key of `{}`, which has {key}",
                    target.name
                ),
            )
            .with_help(
                "a relation reaches at most one row: point it at the target's `key` columns",
            ),
        );
        return None;
    }
    if decl.columns.len() != decl.target_columns.len() {
        diagnostics.push(Diagnostic::error(
            "E0403",
            decl.span,
            "the relation pairs a different number of columns on each side",
        ));
        return None;
    }
    for (a, b) in decl.columns.iter().zip(&decl.target_columns) {
        let ta = crate::ir::Type::of_column(&source.column(&a.name)?.ty);
        let tb = crate::ir::Type::of_column(&target.column(&b.name)?.ty);
        if !ta.comparable_with(&tb) {
            diagnostics.push(Diagnostic::error(
                "E0403",
                a.span,
                format!(
                    "`{}` is {ta} but `{}.{}` is {tb}",
                    a.name, target.name, b.name
                ),
            ));
            return None;
        }
    }
    Some(Relation {
        name: decl.name.name.clone(),
        from_table: from.to_string(),
        from_columns: decl.columns.iter().map(|c| c.name.clone()).collect(),
        to_table: target.name.clone(),
        to_columns: target_names,
        required: decl.required,
    })
}

fn check_flags(
    schema: &Schema,
    table: &str,
    decl: &ast::FlagsDecl,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<FlagsBinding> {
    let Some(grain) = Grain::from_name(&decl.grain.name) else {
        diagnostics.push(
            Diagnostic::error(
                "E0405",
                decl.grain.span,
                format!("`{}` is not a grain of flags", decl.grain.name),
            )
            .with_help("a flag is about a `line`, a `claim` or a `provider`"),
        );
        return None;
    };
    let mut fields = Vec::new();
    let mut amount = None;
    for (field, path) in &decl.bindings {
        let is_amount = field.name == AMOUNT_AT_STAKE;
        let flag_field = FlagField::from_name(&field.name);
        if flag_field.is_none() && !is_amount {
            let mut names = FlagField::ALL.map(FlagField::as_str).to_vec();
            names.push(AMOUNT_AT_STAKE);
            let mut d = Diagnostic::error(
                "E0405",
                field.span,
                format!("flags have no field `{}`", field.name),
            );
            d = d.with_help(match did_you_mean(&field.name, names.iter().copied()) {
                Some(near) => format!("did you mean `{near}`?"),
                None => format!("the fields are {}", names.join(", ")),
            });
            diagnostics.push(d);
            return None;
        }
        let (column, relations) = path.split_last()?;
        let mut current = schema.table(table)?;
        let mut steps = Vec::new();
        for relation in relations {
            let Some(r) = schema.relation(&current.name, &relation.name) else {
                diagnostics.push(Diagnostic::error(
                    "E0106",
                    relation.span,
                    format!(
                        "`{}` is not a relation of `{}`",
                        relation.name, current.name
                    ),
                ));
                return None;
            };
            steps.push(r.name.clone());
            current = schema.table(&r.to_table)?;
        }
        if !known_column(current, column, "E0405", diagnostics) {
            return None;
        }
        let ty = crate::ir::Type::of_column(&current.column(&column.name)?.ty);
        let fits = match flag_field {
            Some(FlagField::LineNo) => ty == crate::ir::Type::Int,
            Some(_) => ty.is_textual(),
            // The amount at stake is money: exact, never a float.
            None => ty.is_numeric() && ty != crate::ir::Type::Float,
        };
        if !fits {
            diagnostics.push(Diagnostic::error(
                "E0405",
                column.span,
                format!("flag field `{}` cannot hold {ty}", field.name),
            ));
            return None;
        }
        match flag_field {
            Some(flag_field) => fields.push((flag_field, steps, column.name.clone())),
            None => amount = Some((steps, column.name.clone())),
        }
    }
    let required: &[FlagField] = match grain {
        Grain::Line => &[FlagField::ClaimId, FlagField::LineNo],
        Grain::Claim => &[FlagField::ClaimId],
        Grain::Provider => &[FlagField::ProviderId],
    };
    for needed in required {
        if !fields.iter().any(|(f, _, _)| f == needed) {
            diagnostics.push(
                Diagnostic::error(
                    "E0405",
                    decl.span,
                    format!(
                        "a flag on a {} must say its `{}`",
                        grain.as_str(),
                        needed.as_str()
                    ),
                )
                .with_help(format!("add `{} = ...` to the list", needed.as_str())),
            );
            return None;
        }
    }
    Some(FlagsBinding {
        grain,
        fields,
        amount,
    })
}
