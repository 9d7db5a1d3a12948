//! The report as one self-contained HTML page: styles, script, charts and
//! data inline, so it opens from a file or a mail attachment with no
//! network. The summary is written as HTML; the flag list is drawn by the
//! page's script from the JSON data block.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::{Value, json};

use super::RuleInfo;
use super::model::{GroupRow, Report};
use super::svg::monthly_trend;
use super::words::{action_zh, count, grain_zh, money, severity_zh, share};

const STYLE: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");
/// Providers shown in the "most at stake" table.
const TOP_PROVIDERS: usize = 15;

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The whole page.
pub fn render(report: &Report, rules: &[RuleInfo]) -> String {
    let mut page = String::new();
    let title = format!("医保基金智能审核报告 — {}", report.ruleset.0);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <link rel=\"icon\" href=\"data:,\">\n<title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n",
        escape(&title)
    );
    let _ = write!(
        page,
        "<header><h1>医保基金智能审核报告</h1><p>规则库: {} (版本 {}) · 数据集: {} · 标记文件: {}</p></header>\n<main>\n",
        escape(&report.ruleset.0),
        escape(&report.ruleset.1),
        escape(&report.dataset),
        escape(&report.flags_file)
    );
    if !report.notes.is_empty() {
        page.push_str("<section><h2>说明</h2><ul class=\"notes\">");
        for note in &report.notes {
            let _ = write!(page, "<li>{}</li>", escape(note));
        }
        page.push_str("</ul></section>\n");
    }
    totals(&mut page, report);
    let _ = writeln!(
        page,
        "<section id=\"trend\"><h2>月度趋势 (按就诊日期, 柱高为涉及金额, 数字为标记条数)</h2>{}</section>",
        monthly_trend(&report.by_month)
    );
    by_rule(&mut page, report, rules);
    page.push_str("<div class=\"two\">");
    providers(&mut page, report);
    regions(&mut page, &report.by_region);
    page.push_str("</div>\n");
    flag_list(&mut page, report);
    let _ = write!(
        page,
        "<footer>规则库哈希 {} · 由 claimaudit report 生成; 页面不联网, 所有数据都在本文件内。</footer>\n</main>\n",
        escape(&report.ruleset.2)
    );
    page.push_str(
        "<dialog id=\"explain\"><div class=\"dialog-bar\"><button id=\"close-explain\" type=\"button\">关闭</button></div>\
         <div id=\"explain-body\"></div></dialog>\n",
    );
    let _ = write!(
        page,
        "<script type=\"application/json\" id=\"report-data\">{}</script>\n<script>\n{SCRIPT}</script>\n</body>\n</html>\n",
        script_safe(&data(report, rules).to_string())
    );
    page
}

/// JSON inside a script element must not close it.
fn script_safe(json: &str) -> String {
    json.replace("</", "<\\/")
}

fn totals(page: &mut String, report: &Report) {
    let t = &report.totals;
    let (claims_sub, amount_sub) = match report.context.claims_total {
        Some((claims, fund)) => (
            format!(
                "占全部 {} 张结算单的 {}",
                count(claims),
                share(t.claims.into(), claims.into()).unwrap_or_else(|| "—".into())
            ),
            format!(
                "统筹基金支付共 {} 元, 占 {}",
                money(fund),
                share(t.amount, fund).unwrap_or_else(|| "—".into())
            ),
        ),
        None => (String::new(), String::new()),
    };
    let providers = report.by_provider.len() as u64;
    let _ = writeln!(
        page,
        "<section id=\"totals\"><h2>总览</h2><div class=\"cards\">\
         <div class=\"card\"><div class=\"label\">标记</div><div class=\"figure\" id=\"total-flags\" data-value=\"{}\">{}</div><div class=\"sub\">{} 条规则触发</div></div>\
         <div class=\"card\"><div class=\"label\">涉及结算单</div><div class=\"figure\" id=\"total-claims\" data-value=\"{}\">{}</div><div class=\"sub\">{}</div></div>\
         <div class=\"card\"><div class=\"label\">涉及金额 (元)</div><div class=\"figure\" id=\"total-amount\" data-value=\"{}\">{}</div><div class=\"sub\">{}; 同一行被多条规则标记只计一次</div></div>\
         <div class=\"card\"><div class=\"label\">涉及机构</div><div class=\"figure\" id=\"total-providers\" data-value=\"{providers}\">{}</div><div class=\"sub\">{} 个统筹区</div></div>\
         </div></section>",
        t.flags,
        count(t.flags),
        report.by_rule.len(),
        t.claims,
        count(t.claims),
        escape(&claims_sub),
        t.amount,
        money(t.amount),
        escape(&amount_sub),
        count(providers),
        report.by_region.len()
    );
}

fn by_rule(page: &mut String, report: &Report, rules: &[RuleInfo]) {
    let most = report
        .by_rule
        .iter()
        .map(|r| r.tally.flags)
        .max()
        .unwrap_or(1)
        .max(1);
    page.push_str(
        "<section id=\"by-rule\"><h2>按规则</h2><table><thead><tr><th>规则</th><th>类别</th><th>严重程度</th>\
         <th>处理方式</th><th>对象</th><th class=\"num\">标记</th><th></th><th class=\"num\">结算单</th>\
         <th class=\"num\">涉及金额 (元)</th></tr></thead><tbody>",
    );
    for row in &report.by_rule {
        let width = (row.tally.flags as f64 / most as f64 * 120.0).max(1.0);
        let basis = rules
            .iter()
            .find(|r| r.id == row.rule_id)
            .and_then(|r| r.basis.clone())
            .unwrap_or_default();
        let _ = write!(
            page,
            "<tr class=\"rule-row\" data-rule=\"{id}\" data-flags=\"{}\"><td><a href=\"#rule={id}\" data-filter-rule=\"{id}\" title=\"{}\"><b>{id}</b> {}</a></td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td>\
             <td><span class=\"meter\" style=\"width:{width:.0}px\"></span></td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            row.tally.flags,
            escape(&basis),
            escape(&row.rule_name),
            escape(&row.category),
            severity_zh(&row.severity),
            action_zh(&row.action),
            grain_zh(row.grain),
            count(row.tally.flags),
            count(row.tally.claims),
            money(row.tally.amount),
            id = escape(&row.rule_id),
        );
    }
    page.push_str("</tbody></table></section>\n");
}

fn providers(page: &mut String, report: &Report) {
    page.push_str(
        "<section id=\"top-providers\"><h2>涉及金额最高的机构</h2><table><thead><tr><th>机构</th><th>统筹区</th>\
         <th class=\"num\">标记</th><th class=\"num\">结算单</th><th class=\"num\">涉及金额 (元)</th></tr></thead><tbody>",
    );
    for row in report.by_provider.iter().take(TOP_PROVIDERS) {
        let info = report.context.providers.get(&row.key);
        let name = info.and_then(|p| p.name.clone()).unwrap_or_default();
        let region = info
            .and_then(|p| p.region.clone())
            .unwrap_or_else(|| "未知".into());
        let level = info
            .and_then(|p| p.level)
            .map(|l| format!(" ({l}级)"))
            .unwrap_or_default();
        let _ = write!(
            page,
            "<tr><td><a href=\"#provider={id}\" data-filter-provider=\"{id}\">{id}</a> {}{}</td><td>{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(&name),
            escape(&level),
            escape(&region),
            count(row.tally.flags),
            count(row.tally.claims),
            money(row.tally.amount),
            id = escape(&row.key),
        );
    }
    let _ = writeln!(
        page,
        "</tbody></table><p class=\"muted\">共 {} 家机构有标记。</p></section>",
        count(report.by_provider.len() as u64)
    );
}

fn regions(page: &mut String, regions: &[GroupRow]) {
    page.push_str(
        "<section id=\"by-region\"><h2>按统筹区 (机构所在地)</h2><table><thead><tr><th>统筹区</th>\
         <th class=\"num\">标记</th><th class=\"num\">结算单</th><th class=\"num\">涉及金额 (元)</th></tr></thead><tbody>",
    );
    for row in regions {
        let _ = write!(
            page,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(&row.key),
            count(row.tally.flags),
            count(row.tally.claims),
            money(row.tally.amount)
        );
    }
    page.push_str("</tbody></table></section>\n");
}

fn flag_list(page: &mut String, report: &Report) {
    let _ = writeln!(
        page,
        "<section id=\"flags\"><h2>标记明细</h2>\
         <div class=\"filters\">\
         <select id=\"f-rule\" aria-label=\"规则\"><option value=\"\">全部规则</option></select>\
         <select id=\"f-region\" aria-label=\"统筹区\"><option value=\"\">全部统筹区</option></select>\
         <input id=\"f-provider\" type=\"search\" placeholder=\"机构编号或名称\" aria-label=\"机构\">\
         <input id=\"f-min\" type=\"number\" min=\"0\" step=\"0.01\" placeholder=\"涉及金额不低于\" aria-label=\"涉及金额不低于\">\
         <input id=\"f-q\" type=\"search\" placeholder=\"搜索: 结算单、人员、说明…\" aria-label=\"搜索\">\
         <button id=\"sort-amount\" type=\"button\">按金额排序</button><button id=\"clear\" type=\"button\">清除筛选</button>\
         </div>\
         <p>显示 <b id=\"shown-count\" data-value=\"0\">0</b> 条 / 列表共 <b id=\"listed-count\" data-value=\"{}\">{}</b> 条 (全部标记 {} 条); 点击一行查看判定依据。</p>\
         <table><thead><tr><th>规则</th><th>结算单 / 行</th><th>人员</th><th>机构</th><th>统筹区</th><th>就诊日期</th>\
         <th class=\"num\">涉及金额 (元)</th><th>说明</th></tr></thead><tbody id=\"flag-rows\"></tbody></table>\
         <div class=\"pager\"><button id=\"prev\" type=\"button\">上一页</button><span id=\"page-of\"></span>\
         <button id=\"next\" type=\"button\">下一页</button></div></section>",
        report.listed.len(),
        count(report.listed.len() as u64),
        count(report.totals.flags)
    );
}

/// The page's data block: rules, the providers the list names, and the
/// listed flags as arrays (a page of a hundred thousand flags stays small).
fn data(report: &Report, rules: &[RuleInfo]) -> Value {
    let index: BTreeMap<&str, usize> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let mut providers = serde_json::Map::new();
    let mut flags = Vec::with_capacity(report.listed.len());
    for listed in &report.listed {
        let f = &listed.flag;
        if let Some(p) = &f.provider_id
            && !providers.contains_key(p)
        {
            let info = report.context.providers.get(p);
            providers.insert(
                p.clone(),
                json!([
                    info.and_then(|i| i.name.clone()),
                    info.and_then(|i| i.region.clone()),
                    info.and_then(|i| i.level)
                ]),
            );
        }
        let visit = report.context.visit_date(f.claim_id.as_deref());
        let evidence: Value = serde_json::from_str(&f.evidence).unwrap_or(Value::Null);
        flags.push(json!([
            index.get(&*f.rule_id).copied().unwrap_or(0),
            f.claim_id,
            f.line_no,
            f.patient_id,
            f.provider_id,
            f.message,
            f.amount_at_stake.map(|a| a.to_string()),
            evidence,
            visit,
            listed.seq
        ]));
    }
    json!({
        "dataset": report.dataset,
        "rules": rules,
        "providers": providers,
        "flags": flags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_json_cannot_close_its_script() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(script_safe(r#"{"m":"</script>"}"#), r#"{"m":"<\/script>"}"#);
    }
}
