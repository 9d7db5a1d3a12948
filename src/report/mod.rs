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

/// Writes a file under a temporary name beside `out`, then renames it: a
/// report is never seen half written. It gets the mode any new file gets
/// (0666 less the umask), as the flags file does.
pub fn write_beside(
    out: &std::path::Path,
    write: impl FnOnce(&mut std::fs::File) -> Result<(), String>,
) -> Result<(), String> {
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    if !dir.is_dir() {
        return Err(format!("the folder {} does not exist", dir.display()));
    }
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut temp = builder
        .tempfile_in(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    write(temp.as_file_mut())?;
    temp.as_file()
        .sync_all()
        .and_then(|()| temp.persist(out).map(drop).map_err(|e| e.error))
        .map_err(|e| format!("{}: {e}", out.display()))
}
