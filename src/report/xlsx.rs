//! The report as an Excel workbook: a summary sheet, then every flag on a
//! sheet per grain (明细 lines, 结算单 claims, 机构 providers), with Chinese
//! headers and amounts as numbers. Flag sheets are streamed row by row to
//! temporary files, so the workbook's size, not memory, grows with the
//! flags; a grain with more flags than a sheet holds continues on another.

use std::path::Path;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};
use serde_json::Value;

use super::model::{GroupRow, Report};
use super::words::{action_zh, grain_zh, severity_zh};
use crate::flags::{Flag, Grain, for_each_flag};

/// Rows a sheet holds after its header (Excel's limit is 1,048,576).
const SHEET_ROWS: u32 = 1_048_575;

const FLAG_HEADERS: [&str; 17] = [
    "规则编号",
    "规则名称",
    "类别",
    "严重程度",
    "处理方式",
    "结算ID",
    "明细行号",
    "人员编号",
    "机构编号",
    "机构名称",
    "统筹区",
    "就诊日期",
    "涉及金额(元)",
    "说明",
    "判定取值",
    "关联记录",
    "规则位置",
];

fn error(e: XlsxError) -> String {
    format!("could not write the workbook: {e}")
}

/// Writes the workbook for `report` to `out`, reading the flags of
/// `flags_file` again for the flag sheets; the sheets wait in `temp_dir`.
pub fn write_workbook(
    report: &Report,
    flags_file: &Path,
    temp_dir: &Path,
    out: &mut std::fs::File,
    progress: &dyn Fn(u64),
) -> Result<(), String> {
    // The writer panics when a sheet's temporary file cannot be written
    // (a full disk): that is an error to report, not a crash to print.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        write_sheets(report, flags_file, temp_dir, out, progress)
    }));
    std::panic::set_hook(hook);
    result.unwrap_or_else(|panic| {
        let reason = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("the writer stopped");
        Err(format!(
            "could not write the workbook: {reason} (temporary sheets go to {})",
            temp_dir.display()
        ))
    })
}

fn write_sheets(
    report: &Report,
    flags_file: &Path,
    temp_dir: &Path,
    out: &mut std::fs::File,
    progress: &dyn Fn(u64),
) -> Result<(), String> {
    let mut book = Workbook::new();
    book.set_tempdir(temp_dir).map_err(error)?;
    let bold = Format::new().set_bold();
    let amount = Format::new().set_num_format("#,##0.00");
    let summary = book.add_worksheet();
    summary.set_name("汇总").map_err(error)?;
    write_summary(summary, report, &bold, &amount).map_err(error)?;

    let mut sheets: Vec<FlagSheets> = [Grain::Line, Grain::Claim, Grain::Provider]
        .into_iter()
        .map(|grain| FlagSheets {
            grain,
            done: Vec::new(),
            current: None,
            rows: 0,
        })
        .collect();
    let mut failed: Option<XlsxError> = None;
    let mut written = 0u64;
    for_each_flag(flags_file, &mut |flag| {
        written += 1;
        if written.is_multiple_of(super::model::PROGRESS_EVERY) {
            progress(written);
        }
        let at = sheets
            .iter_mut()
            .find(|s| s.grain == flag.grain)
            .expect("a sheet per grain");
        if let Err(e) = at.write(&mut book, report, &flag, &bold, &amount) {
            failed = Some(e);
            return Err(String::new());
        }
        Ok(())
    })
    .map_err(|e| match failed.take() {
        Some(x) => error(x),
        None => e,
    })?;
    progress(written);
    for mut sheet in sheets {
        if sheet.rows == 0 && sheet.done.is_empty() {
            // A grain with no flags still gets its sheet, headers only.
            sheet.start(&mut book, &bold).map_err(error)?;
        }
        if let Some(current) = sheet.current.take() {
            sheet.done.push(current);
        }
        for done in sheet.done {
            book.push_worksheet(done);
        }
    }
    book.save_to_writer(out).map_err(error)
}

struct FlagSheets {
    grain: Grain,
    done: Vec<Worksheet>,
    current: Option<Worksheet>,
    rows: u32,
}

impl FlagSheets {
    fn start(&mut self, book: &mut Workbook, bold: &Format) -> Result<(), XlsxError> {
        if let Some(full) = self.current.take() {
            self.done.push(full);
        }
        let mut sheet = book.new_worksheet_with_constant_memory()?;
        let number = self.done.len() + 1;
        let name = if number == 1 {
            format!("标记-{}", grain_zh(self.grain))
        } else {
            format!("标记-{} ({number})", grain_zh(self.grain))
        };
        sheet.set_name(name)?;
        for (col, header) in FLAG_HEADERS.iter().enumerate() {
            sheet.write_string_with_format(0, col as u16, *header, bold)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        for (col, width) in [
            (1u16, 28.0),
            (5, 16.0),
            (9, 24.0),
            (13, 50.0),
            (14, 40.0),
            (15, 40.0),
        ] {
            sheet.set_column_width(col, width)?;
        }
        self.current = Some(sheet);
        self.rows = 0;
        Ok(())
    }

    fn write(
        &mut self,
        book: &mut Workbook,
        report: &Report,
        flag: &Flag,
        bold: &Format,
        amount: &Format,
    ) -> Result<(), XlsxError> {
        if self.current.is_none() || self.rows == SHEET_ROWS {
            self.start(book, bold)?;
        }
        self.rows += 1;
        let row = self.rows;
        let sheet = self.current.as_mut().expect("started above");
        let provider = flag
            .provider_id
            .as_ref()
            .and_then(|p| report.context.providers.get(p));
        let visit = report.context.visit_date(flag.claim_id.as_deref());
        let (values, partners) = evidence_text(&flag.evidence);
        let texts: [(u16, Option<&str>); 16] = [
            (0, Some(&flag.rule_id)),
            (1, Some(&flag.rule_name)),
            (2, Some(&flag.category)),
            (3, Some(severity_zh(&flag.severity))),
            (4, Some(action_zh(&flag.action))),
            (5, flag.claim_id.as_deref()),
            (7, flag.patient_id.as_deref()),
            (8, flag.provider_id.as_deref()),
            (9, provider.and_then(|p| p.name.as_deref())),
            (10, provider.and_then(|p| p.region.as_deref())),
            (11, visit.as_deref()),
            (13, Some(&flag.message)),
            (14, Some(&values)),
            (15, Some(&partners)),
            (16, Some(&flag.source)),
            (6, None),
        ];
        for (col, text) in texts {
            if let Some(text) = text.filter(|t| !t.is_empty()) {
                sheet.write_string(row, col, text)?;
            }
        }
        if let Some(line) = flag.line_no {
            sheet.write_number(row, 6, line)?;
        }
        if let Some(a) = flag.amount_at_stake {
            sheet.write_number_with_format(row, 12, a.to_f64().unwrap_or(0.0), amount)?;
        }
        Ok(())
    }
}

/// The evidence as two readable cells: `expr = value; …` and the other
/// rows, one per line.
fn evidence_text(evidence: &str) -> (String, String) {
    let Ok(Value::Object(object)) = serde_json::from_str::<Value>(evidence) else {
        return (evidence.to_owned(), String::new());
    };
    let plain = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let values = object
        .get("values")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k} = {}", plain(v)))
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default();
    // The other rows, then the knowledge rows a `match` found, each list
    // cut at 20 with how many more.
    let listed = |list: &str, more: &str, heading: &str| -> Vec<String> {
        let mut lines: Vec<String> = object
            .get(list)
            .and_then(Value::as_array)
            .map(|rows| {
                rows.iter()
                    .map(|r| match r.as_object() {
                        Some(m) => m
                            .iter()
                            .map(|(k, v)| format!("{k}={}", plain(v)))
                            .collect::<Vec<_>>()
                            .join(", "),
                        None => plain(r),
                    })
                    .collect()
            })
            .unwrap_or_default();
        if let Some(more) = object.get(more).and_then(Value::as_u64).filter(|m| *m > 0) {
            lines.push(format!("另有 {more} 条"));
        }
        if !lines.is_empty() && !heading.is_empty() {
            lines.insert(0, heading.to_string());
        }
        lines
    };
    let mut rows = listed("rows", "more_rows", "");
    rows.extend(listed("known", "more_known", "知识库依据:"));
    (values, rows.join("\n"))
}

fn number(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

fn write_summary(
    sheet: &mut Worksheet,
    report: &Report,
    bold: &Format,
    amount: &Format,
) -> Result<(), XlsxError> {
    let t = &report.totals;
    sheet.set_column_width(0, 36.0)?;
    sheet.set_column_width(1, 22.0)?;
    for col in 2..=6 {
        sheet.set_column_width(col, 16.0)?;
    }
    sheet.write_string_with_format(0, 0, "医保基金智能审核报告", bold)?;
    let facts: [(&str, &str); 4] = [
        ("规则库", &report.ruleset.0),
        ("规则库版本", &report.ruleset.1),
        ("数据集", &report.dataset),
        ("标记文件", &report.flags_file),
    ];
    let mut row = 2u32;
    for (label, value) in facts {
        sheet.write_string(row, 0, label)?;
        sheet.write_string(row, 1, value)?;
        row += 1;
    }
    sheet.write_string(row, 0, "标记 (条)")?;
    sheet.write_number(row, 1, t.flags as f64)?;
    sheet.write_string(row + 1, 0, "涉及结算单 (张)")?;
    sheet.write_number(row + 1, 1, t.claims as f64)?;
    sheet.write_string(row + 2, 0, "涉及金额 (元, 同一行只计一次)")?;
    sheet.write_number_with_format(row + 2, 1, number(t.amount), amount)?;
    row += 3;
    if let Some((claims, fund)) = report.context.claims_total {
        sheet.write_string(row, 0, "数据集结算单 (张)")?;
        sheet.write_number(row, 1, claims as f64)?;
        sheet.write_string(row + 1, 0, "数据集统筹基金支付 (元)")?;
        sheet.write_number_with_format(row + 1, 1, number(fund), amount)?;
        row += 2;
    }
    for note in &report.notes {
        sheet.write_string(row, 0, note)?;
        row += 1;
    }

    row += 1;
    let headers = [
        "规则编号",
        "规则名称",
        "严重程度",
        "处理方式",
        "对象",
        "标记 (条)",
        "结算单 (张)",
        "涉及金额(元)",
    ];
    sheet.write_string_with_format(row, 0, "按规则", bold)?;
    row += 1;
    for (col, h) in headers.iter().enumerate() {
        sheet.write_string_with_format(row, col as u16, *h, bold)?;
    }
    for r in &report.by_rule {
        row += 1;
        sheet.write_string(row, 0, &r.rule_id)?;
        sheet.write_string(row, 1, &r.rule_name)?;
        sheet.write_string(row, 2, severity_zh(&r.severity))?;
        sheet.write_string(row, 3, action_zh(&r.action))?;
        sheet.write_string(row, 4, grain_zh(r.grain))?;
        sheet.write_number(row, 5, r.tally.flags as f64)?;
        sheet.write_number(row, 6, r.tally.claims as f64)?;
        sheet.write_number_with_format(row, 7, number(r.tally.amount), amount)?;
    }
    row += 2;
    let named = |id: &str| {
        report
            .context
            .providers
            .get(id)
            .map(|p| {
                (
                    p.name.clone().unwrap_or_default(),
                    p.region.clone().unwrap_or_default(),
                )
            })
            .unwrap_or_default()
    };
    row = group_table(
        sheet,
        row,
        "按机构 (涉及金额从高到低)",
        &["机构编号", "机构名称", "统筹区"],
        &report.by_provider,
        &|g| {
            let (name, region) = named(&g.key);
            vec![g.key.clone(), name, region]
        },
        bold,
        amount,
    )?;
    row = group_table(
        sheet,
        row + 1,
        "按统筹区",
        &["统筹区"],
        &report.by_region,
        &|g| vec![g.key.clone()],
        bold,
        amount,
    )?;
    group_table(
        sheet,
        row + 1,
        "按月份 (就诊日期)",
        &["月份"],
        &report.by_month,
        &|g| vec![g.key.clone()],
        bold,
        amount,
    )?;
    Ok(())
}

/// A titled table of groups with their flags, claims and amount; returns
/// the row after it.
#[allow(clippy::too_many_arguments)]
fn group_table(
    sheet: &mut Worksheet,
    mut row: u32,
    title: &str,
    keys: &[&str],
    groups: &[GroupRow],
    key_cells: &dyn Fn(&GroupRow) -> Vec<String>,
    bold: &Format,
    amount: &Format,
) -> Result<u32, XlsxError> {
    sheet.write_string_with_format(row, 0, title, bold)?;
    row += 1;
    let width = keys.len() as u16;
    for (col, h) in keys
        .iter()
        .chain(["标记 (条)", "结算单 (张)", "涉及金额(元)"].iter())
        .enumerate()
    {
        sheet.write_string_with_format(row, col as u16, *h, bold)?;
    }
    for g in groups {
        row += 1;
        for (col, text) in key_cells(g).iter().enumerate() {
            sheet.write_string(row, col as u16, text)?;
        }
        sheet.write_number(row, width, g.tally.flags as f64)?;
        sheet.write_number(row, width + 1, g.tally.claims as f64)?;
        sheet.write_number_with_format(row, width + 2, number(g.tally.amount), amount)?;
    }
    Ok(row + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_reads_as_two_cells() {
        let (values, rows) = evidence_text(
            r#"{"values":{"count()":2,"c.admit_date":"2024-01-09"},"rows":[{"claim_id":"K1","line_no":2}]}"#,
        );
        assert_eq!(values, "count() = 2; c.admit_date = 2024-01-09");
        assert_eq!(rows, "claim_id=K1, line_no=2");
    }
}
