//! What a report needs of the dataset beside the flags: each provider's
//! name, region and level, each flagged claim's visit date, and the
//! dataset's totals (claims, fund paid) to set the flags against.
//!
//! Only the CHS contract's `claims` and `providers` columns named here are
//! read; a dataset without them gives a report without those sections.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::path::Path;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{Date32Type, Decimal128Type, Int32Type};
use rust_decimal::Decimal;

use crate::data::load::{LoadOptions, ProblemLog, locate_all, read_table};
use crate::ir::Schema;

#[derive(Debug, Clone, Default)]
pub struct ProviderInfo {
    pub name: Option<String>,
    pub region: Option<String>,
    pub level: Option<i32>,
}

#[derive(Debug, Default)]
pub struct Context {
    pub providers: HashMap<String, ProviderInfo>,
    /// Visit date (days since 1970-01-01) of each flagged claim.
    pub visit_days: HashMap<String, i32>,
    /// Rows of the claims table, and the fund paid over them.
    pub claims_total: Option<(u64, Decimal)>,
    /// What could not be read, said on the report.
    pub notes: Vec<String>,
}

impl Context {
    /// The visit date of a flagged claim, as `2024-03-01`.
    pub fn visit_date(&self, claim: Option<&str>) -> Option<String> {
        let days = *self.visit_days.get(claim?)?;
        crate::ir::text::days_to_date(days).map(|d| d.to_string())
    }
}

const CLAIMS: &str = "claims";
const PROVIDERS: &str = "providers";

/// Reads the providers and, of the claims, those in `flagged`.
pub fn read_context<V>(
    data: &Path,
    schema: &Schema,
    flagged: &HashMap<String, V>,
    options: &LoadOptions,
) -> Context {
    let mut context = Context::default();
    let located = locate_all(data, schema, options, &|t| t == CLAIMS || t == PROVIDERS);
    for problem in &located.problems {
        context.notes.push(format!("未能读取: {problem}"));
    }
    let mut log = ProblemLog::default();
    for source in &located.sources {
        let Some(table) = schema.table(&source.table) else {
            continue;
        };
        if source.table == PROVIDERS {
            let columns = ["provider_id", "provider_name", "region", "level"];
            let _ = read_table(source, table, Some(&columns), &mut log, &mut |b, _| {
                let (Some(id), name, region, level) = (
                    b.column("provider_id")
                        .and_then(|c| c.as_string_opt::<i32>()),
                    b.column("provider_name")
                        .and_then(|c| c.as_string_opt::<i32>()),
                    b.column("region").and_then(|c| c.as_string_opt::<i32>()),
                    b.column("level")
                        .and_then(|c| c.as_primitive_opt::<Int32Type>()),
                ) else {
                    return ControlFlow::Break(());
                };
                for row in 0..b.batch.num_rows() {
                    if id.is_null(row) {
                        continue;
                    }
                    let text = |a: Option<&arrow::array::StringArray>| {
                        a.filter(|a| a.is_valid(row))
                            .map(|a| a.value(row).to_owned())
                    };
                    context.providers.insert(
                        id.value(row).to_owned(),
                        ProviderInfo {
                            name: text(name),
                            region: text(region),
                            level: level.filter(|a| a.is_valid(row)).map(|a| a.value(row)),
                        },
                    );
                }
                ControlFlow::Continue(())
            });
        } else {
            let columns = ["claim_id", "admit_date", "fund_amount"];
            let mut rows = 0u64;
            let mut fund = Decimal::ZERO;
            let mut complete = true;
            let _ = read_table(source, table, Some(&columns), &mut log, &mut |b, _| {
                let (Some(id), Some(date), fund_column) = (
                    b.column("claim_id").and_then(|c| c.as_string_opt::<i32>()),
                    b.column("admit_date")
                        .and_then(|c| c.as_primitive_opt::<Date32Type>()),
                    b.column("fund_amount")
                        .and_then(|c| c.as_primitive_opt::<Decimal128Type>()),
                ) else {
                    complete = false;
                    return ControlFlow::Break(());
                };
                rows += b.batch.num_rows() as u64;
                if let Some(f) = fund_column {
                    let scale = match f.data_type() {
                        arrow::datatypes::DataType::Decimal128(_, s) => *s as u32,
                        _ => 2,
                    };
                    for v in f.iter().flatten() {
                        fund += Decimal::from_i128_with_scale(v, scale);
                    }
                }
                for row in 0..b.batch.num_rows() {
                    if id.is_valid(row) && date.is_valid(row) && flagged.contains_key(id.value(row))
                    {
                        context
                            .visit_days
                            .insert(id.value(row).to_owned(), date.value(row));
                    }
                }
                ControlFlow::Continue(())
            });
            if complete {
                context.claims_total = Some((rows, fund));
            }
        }
    }
    if let Some(first) = log.problems().first() {
        context.notes.push(format!(
            "数据集有 {} 个问题 (claimaudit validate 可列出全部), 第一个: {first}",
            log.total()
        ));
    }
    context
}
