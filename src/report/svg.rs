//! Charts drawn as inline SVG when the page is written: the page needs no
//! script library and no network to show them.

use std::fmt::Write;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::html::escape;
use super::model::GroupRow;
use super::words::{count, money};

const WIDTH: f64 = 900.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 16.0;
const BOTTOM: f64 = 40.0;
const TOP: f64 = 28.0;

/// A bar per month, its height the money at stake, labelled with the
/// month's flags; each bar's title gives the exact figures.
pub fn monthly_trend(months: &[GroupRow]) -> String {
    if months.is_empty() {
        return "<p class=\"muted\">没有可按月份统计的标记 (提供方级标记无就诊日期)。</p>".into();
    }
    let most = months
        .iter()
        .map(|m| m.tally.amount)
        .max()
        .unwrap_or(Decimal::ZERO)
        .to_f64()
        .unwrap_or(0.0)
        .max(0.01);
    let slot = (WIDTH - LEFT * 2.0) / months.len() as f64;
    let bar = (slot * 0.7).max(1.0);
    let plot = HEIGHT - BOTTOM - TOP;
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-label=\"月度趋势\">"
    );
    let label_every = months.len().div_ceil(18);
    for (i, m) in months.iter().enumerate() {
        let value = m.tally.amount.to_f64().unwrap_or(0.0).max(0.0);
        let h = (value / most * plot).max(1.0);
        let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
        let y = TOP + plot - h;
        let _ = write!(
            svg,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar:.1}\" height=\"{h:.1}\" class=\"bar\">\
             <title>{}: 标记 {} 条, 涉及金额 {} 元</title></rect>",
            escape(&m.key),
            count(m.tally.flags),
            money(m.tally.amount)
        );
        if i % label_every == 0 {
            let cx = x + bar / 2.0;
            let _ = write!(
                svg,
                "<text x=\"{cx:.1}\" y=\"{:.1}\" class=\"axis\">{}</text>\
                 <text x=\"{cx:.1}\" y=\"{:.1}\" class=\"value\">{}</text>",
                HEIGHT - BOTTOM + 16.0,
                escape(&m.key),
                (y - 6.0).max(12.0),
                count(m.tally.flags)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::Tally;

    #[test]
    fn a_bar_per_month_with_its_figures() {
        let months: Vec<GroupRow> = ["2024-01", "2024-02"]
            .iter()
            .zip([3u64, 5])
            .map(|(k, n)| GroupRow {
                key: (*k).into(),
                tally: Tally {
                    flags: n,
                    claims: n,
                    amount: Decimal::from(n * 100),
                },
            })
            .collect();
        let svg = monthly_trend(&months);
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(
            svg.contains("2024-02: 标记 5 条, 涉及金额 500.00 元"),
            "{svg}"
        );
    }
}
