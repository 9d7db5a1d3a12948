//! The report's words for the flags' codes, and its number formats.

use rust_decimal::Decimal;

use crate::data::load::summary::thousands;
use crate::flags::Grain;

pub fn severity_zh(severity: &str) -> &str {
    match severity {
        "high" => "高",
        "medium" => "中",
        "low" => "低",
        other => other,
    }
}

pub fn action_zh(action: &str) -> &str {
    match action {
        "reject" => "拒付",
        "review" => "人工复核",
        "warn" => "提醒",
        other => other,
    }
}

pub fn grain_zh(grain: Grain) -> &'static str {
    match grain {
        Grain::Line => "明细",
        Grain::Claim => "结算单",
        Grain::Provider => "机构",
    }
}

/// `1234567.8` as `1,234,567.80`: money to the cent with grouped thousands.
pub fn money(amount: Decimal) -> String {
    let mut cents = amount.round_dp(2);
    cents.rescale(2);
    let text = cents.abs().to_string();
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, "00"));
    let sign = if cents.is_sign_negative() && !cents.is_zero() {
        "-"
    } else {
        ""
    };
    // Amounts are Decimal128(18, 2): the whole part fits a u64.
    let whole = whole
        .parse::<u64>()
        .map_or_else(|_| whole.to_owned(), thousands);
    format!("{sign}{whole}.{fraction}")
}

/// `1234567` as `1,234,567`.
pub fn count(n: u64) -> String {
    thousands(n)
}

/// `part` as a percentage of `whole`, one decimal: `12.5%`.
pub fn share(part: Decimal, whole: Decimal) -> Option<String> {
    if whole.is_zero() {
        return None;
    }
    let percent = (part * Decimal::from(100) / whole).round_dp(1);
    Some(format!("{percent}%"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_groups_thousands_and_keeps_cents() {
        assert_eq!(money("1234567.8".parse().unwrap()), "1,234,567.80");
        assert_eq!(money("0.01".parse().unwrap()), "0.01");
        assert_eq!(money("-1000".parse().unwrap()), "-1,000.00");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(999), "999");
        assert_eq!(
            share(Decimal::from(1), Decimal::from(8)).as_deref(),
            Some("12.5%")
        );
    }
}
