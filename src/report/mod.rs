//! Reports for supervisors, after a scan: its flags summed up by rule,
//! provider (机构), region and month, with every flag and why it fired, as
//! one self-contained HTML page or an Excel workbook.

mod context;
pub mod html;
pub mod model;
mod svg;
pub mod words;
pub mod xlsx;

use serde::Serialize;

pub use model::{Report, build_report};

use crate::check::catalog::rule_text;
use crate::ir::Ruleset;
use crate::syntax::Sources;

/// What the page says of a rule in a flag's explanation: its facts from
/// the flags, and its words and source from the ruleset when it has it.
#[derive(Debug, Clone, Serialize)]
pub struct RuleInfo {
    pub id: String,
    pub name: String,
    pub category: String,
    pub severity: String,
    pub action: String,
    pub grain: &'static str,
    pub basis: Option<String>,
    pub national_code: Option<String>,
    pub source: String,
    pub looks_at: Option<String>,
    pub form: Option<String>,
    pub fires_when: Option<String>,
    pub params: Vec<String>,
}

/// The rules that fired, in the report's order, with their definitions
/// from `ruleset` (a rule the ruleset lacks keeps only what its flags say).
pub fn rule_infos(report: &Report, ruleset: &Ruleset, sources: &Sources) -> Vec<RuleInfo> {
    report
        .by_rule
        .iter()
        .map(|row| {
            let rule = ruleset.rule(&row.rule_id);
            let text = rule.map(|r| rule_text(ruleset, r, sources));
            RuleInfo {
                id: row.rule_id.clone(),
                name: row.rule_name.clone(),
                category: row.category.clone(),
                severity: row.severity.clone(),
                action: row.action.clone(),
                grain: row.grain.as_str(),
                basis: rule.and_then(|r| r.basis.clone()),
                national_code: rule.and_then(|r| r.national_code.clone()),
                source: rule.map(|r| r.source.clone()).unwrap_or_default(),
                looks_at: text.as_ref().map(|t| t.looks_at.replace('`', "")),
                form: text.as_ref().map(|t| t.form.replace('`', "")),
                fires_when: text.as_ref().map(|t| t.fires_when.clone()),
                params: text
                    .map(|t| t.params.iter().map(|p| p.replace('`', "")).collect())
                    .unwrap_or_default(),
            }
        })
        .collect()
}
