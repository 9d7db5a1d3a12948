//! Checking a rule's own tests: the tables and columns they give exist, and
//! every cell reads as a value of its column's type.

use crate::ir::text::parse_cell;
use crate::ir::{ColumnType, FlagField, RuleTest, TestTable, Value};
use crate::syntax::Diagnostic;
use crate::syntax::ast::{self, Cell, DataTable, Expect};
use crate::syntax::diagnostic::did_you_mean;

use super::constants::param_value;
use super::scope::Scope;

pub fn check_test(
    test: &ast::TestDecl,
    scope: &mut Scope,
    flagged_table: &str,
) -> Option<RuleTest> {
    let mut ok = true;
    let mut params = Vec::new();
    for (name, value) in &test.with {
        let Some(param) = scope.params.iter().find(|p| p.name == name.name) else {
            let mut d = Diagnostic::error(
                "E0605",
                name.span,
                format!("there is no parameter `{}`", name.name),
            );
            d = d.with_help(
                match did_you_mean(&name.name, scope.params.iter().map(|p| p.name.as_str())) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => format!(
                        "declare it in the ruleset (`param {} = ...`), or remove it from the test",
                        name.name
                    ),
                },
            );
            scope.error(d);
            ok = false;
            continue;
        };
        match param_value(value, &mut scope.diagnostics) {
            Some((v, ty))
                if param.ty.unify(&ty).is_some()
                    && std::mem::discriminant(&v) == std::mem::discriminant(&param.value) =>
            {
                params.push((name.name.clone(), v))
            }
            Some((_, ty)) => {
                scope.error(Diagnostic::error(
                    "E0605",
                    value.span(),
                    format!("`{}` is {}, but this is {ty}", name.name, param.ty),
                ));
                ok = false;
            }
            None => ok = false,
        }
    }
    let mut tables = Vec::new();
    for given in &test.given {
        let Some(table) = scope.schema.table(&given.table.name) else {
            let mut d = Diagnostic::error(
                "E0601",
                given.table.span,
                format!("no table is called `{}`", given.table.name),
            );
            if let Some(near) = did_you_mean(
                &given.table.name,
                scope.schema.tables.iter().map(|t| t.name.as_str()),
            ) {
                d = d.with_help(format!("did you mean `{near}`?"));
            }
            scope.error(d);
            ok = false;
            continue;
        };
        let mut types = Vec::new();
        for cell in &given.data.header {
            match table.column(&cell.text) {
                Some(column) => types.push(column.ty.clone()),
                None => {
                    let mut d = Diagnostic::error(
                        "E0602",
                        cell.span,
                        format!("`{}` has no column `{}`", table.name, cell.text),
                    );
                    if let Some(near) =
                        did_you_mean(&cell.text, table.columns.iter().map(|c| c.name.as_str()))
                    {
                        d = d.with_help(format!("did you mean `{near}`?"));
                    }
                    scope.error(d);
                    ok = false;
                }
            }
        }
        if types.len() != given.data.header.len() {
            continue;
        }
        match rows(&given.data, &types, scope) {
            Some(rows) => tables.push(TestTable {
                table: table.name.clone(),
                columns: given.data.header.iter().map(|c| c.text.clone()).collect(),
                rows,
            }),
            None => ok = false,
        }
    }
    let mut amount_column = None;
    let (expect_fields, mut expect) = match &test.expect {
        Expect::NoFlags(_) => (Vec::new(), Vec::new()),
        Expect::Flags(data) => {
            let binding = scope
                .schema
                .table(flagged_table)
                .and_then(|t| t.flags.clone());
            let mut fields = Vec::new();
            let mut types = Vec::new();
            for (i, cell) in data.header.iter().enumerate() {
                // The money a flag puts in doubt, to the cent.
                if cell.text == crate::ir::AMOUNT_AT_STAKE && amount_column.is_none() {
                    amount_column = Some(i);
                    types.push(ColumnType::Decimal {
                        precision: 38,
                        scale: 10,
                    });
                    continue;
                }
                let field = FlagField::from_name(&cell.text).filter(|f| {
                    binding
                        .as_ref()
                        .is_some_and(|b| b.fields.iter().any(|(bf, _, _)| bf == f))
                });
                match field {
                    Some(f) => {
                        fields.push(f);
                        types.push(match f {
                            FlagField::LineNo => ColumnType::Int32,
                            _ => ColumnType::Text,
                        });
                    }
                    None => {
                        let names: Vec<&str> = binding
                            .iter()
                            .flat_map(|b| b.fields.iter().map(|(f, _, _)| f.as_str()))
                            .collect();
                        scope.error(
                            Diagnostic::error(
                                "E0604",
                                cell.span,
                                format!("flags of this rule have no field `{}`", cell.text),
                            )
                            .with_help(format!(
                                "name the flagged rows by {}, and their money by {}",
                                names.join(", "),
                                crate::ir::AMOUNT_AT_STAKE
                            )),
                        );
                        ok = false;
                    }
                }
            }
            if fields.len() + usize::from(amount_column.is_some()) != data.header.len() {
                return None;
            }
            match rows(data, &types, scope) {
                Some(rows) => (fields, rows),
                None => return None,
            }
        }
    };
    let expect_amounts =
        amount_column.map(|i| expect.iter_mut().map(|row| row.remove(i)).collect());
    ok.then(|| RuleTest {
        name: test.name.value.clone(),
        span: test.span,
        params,
        tables,
        expect_fields,
        expect,
        expect_amounts,
    })
}

fn rows(data: &DataTable, types: &[ColumnType], scope: &mut Scope) -> Option<Vec<Vec<Value>>> {
    let mut out = Vec::new();
    let mut ok = true;
    for row in &data.rows {
        if row.len() != types.len() {
            let span = row.first().map(|c| c.span).unwrap_or(data.span);
            scope.error(
                Diagnostic::error(
                    "E0606",
                    span,
                    format!(
                        "this row has {} but the header names {}",
                        count(row.len(), "cell"),
                        count(types.len(), "column")
                    ),
                )
                .with_help("leave a cell empty for null, but keep its `|`"),
            );
            ok = false;
            continue;
        }
        let mut values = Vec::new();
        for (cell, ty) in row.iter().zip(types) {
            match cell_value(cell, ty) {
                Ok(v) => values.push(v),
                Err(d) => {
                    scope.error(d);
                    ok = false;
                }
            }
        }
        out.push(values);
    }
    ok.then_some(out)
}

fn cell_value(cell: &Cell, ty: &ColumnType) -> Result<Value, Diagnostic> {
    parse_cell(&cell.text, ty).map_err(|why| {
        Diagnostic::error(
            "E0603",
            cell.span,
            format!(
                "this cell should be {}: {why}",
                crate::ir::Type::of_column(ty)
            ),
        )
        .with_help("dates are written 2024-03-01, lists as A;B, and an empty cell is null")
    })
}

fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}
