//! The text, date and number functions (`upper`, `substring`, `concat`,
//! `parse_date`, `add_months`, `round`, ...) over whole columns.
//!
//! Columns borrow their text from the data (`'a`); text a function makes
//! is kept in the run's [`TextStore`], one buffer per computed column, and
//! a function that leaves a text as it was (`trim` of a trimmed code,
//! `substring`) borrows it instead of copying.

use std::sync::{Mutex, PoisonError};

use chrono::format::{Item, Parsed, StrftimeItems};
use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::Decimal;

use super::col::{Col, Scalar, Tri};
use super::eval::Ctx;
use super::output::display_into;
use crate::ir::text::{date_to_days, days_to_date};
use crate::ir::{Func, TExpr, TExprKind, Type, Value};

/// Text computed while rules run, kept for as long as the data it sits
/// beside.
#[derive(Default)]
pub struct TextStore {
    buffers: Mutex<Vec<String>>,
}

impl TextStore {
    /// Keeps `text` until the store is dropped.
    pub fn keep(&self, text: String) -> &str {
        if text.is_empty() {
            return "";
        }
        let mut buffers = self.buffers.lock().unwrap_or_else(PoisonError::into_inner);
        buffers.push(text);
        let kept: *const str = buffers.last().expect("just pushed").as_str();
        // SAFETY: a String's bytes are on the heap and do not move when the
        // String does (as the Vec grows). No String is changed or removed
        // before the store is dropped, and the store outlives the returned
        // borrow of it.
        unsafe { &*kept }
    }
}

/// One row of a computed text column.
enum Part<'a> {
    Null,
    Borrowed(&'a str),
    /// A byte range of the column's buffer.
    Built(usize, usize),
}

/// A text column being built row by row.
struct TextColumn<'a> {
    buffer: String,
    parts: Vec<Part<'a>>,
}

impl<'a> TextColumn<'a> {
    fn with_rows(n: usize) -> TextColumn<'a> {
        TextColumn {
            buffer: String::new(),
            parts: Vec::with_capacity(n),
        }
    }

    fn null(&mut self) {
        self.parts.push(Part::Null);
    }

    fn borrowed(&mut self, text: &'a str) {
        self.parts.push(Part::Borrowed(text));
    }

    /// A row whose text `write` appends to the buffer.
    fn build(&mut self, write: impl FnOnce(&mut String)) {
        let start = self.buffer.len();
        write(&mut self.buffer);
        self.parts.push(Part::Built(start, self.buffer.len()));
    }

    /// `text` changed by `change` (which gives `None` for no change).
    fn changed(&mut self, text: &'a str, change: impl FnOnce(&'a str) -> Option<String>) {
        match change(text) {
            Some(new) if new != text => self.build(|b| b.push_str(&new)),
            _ => self.borrowed(text),
        }
    }

    fn finish(self, store: &'a TextStore) -> Col<'a> {
        let kept = store.keep(self.buffer);
        Col::Text(
            self.parts
                .into_iter()
                .map(|p| match p {
                    Part::Null => None,
                    Part::Borrowed(t) => Some(t),
                    Part::Built(start, end) => Some(&kept[start..end]),
                })
                .collect(),
        )
    }
}

/// The text of a column the checker typed as text (an empty column of
/// another kind stands for no rows, e.g. the elements of null lists).
fn texts<'c, 'a>(col: &'c Col<'a>) -> &'c [Option<&'a str>] {
    match col {
        Col::Text(v) => v,
        other if other.is_empty() => &[],
        _ => unreachable!("the checker makes this argument text"),
    }
}

fn int(value: Scalar<'_>) -> Option<i64> {
    match value {
        Scalar::Int(i) => Some(i),
        _ => None,
    }
}

fn decimal(value: Scalar<'_>) -> Option<Decimal> {
    match value {
        Scalar::Int(i) => Some(Decimal::from(i)),
        Scalar::Dec(d) => Some(d),
        _ => None,
    }
}

/// The day of a date or a time (times are UTC, as `year` reads them).
fn day_of(value: Scalar<'_>) -> Option<NaiveDate> {
    match value {
        Scalar::Date(d) => days_to_date(d),
        Scalar::Ts(t) => chrono::DateTime::from_timestamp_millis(t).map(|t| t.date_naive()),
        _ => None,
    }
}

/// The characters of `text` at 1-based positions `start` to
/// `start + length - 1` that exist, as SQL's `substring`: positions before
/// the first character count, so `substring("abc", 0, 2)` is "a".
pub fn substring(text: &str, start: i64, length: i64) -> &str {
    let first = start.max(1);
    let end = start.saturating_add(length.max(0));
    if end <= first {
        return "";
    }
    let skip = usize::try_from(first - 1).unwrap_or(usize::MAX);
    let take = usize::try_from(end - first).unwrap_or(usize::MAX);
    let mut chars = text.char_indices().skip(skip);
    let Some((from, _)) = chars.next() else {
        return "";
    };
    let to = text[from..]
        .char_indices()
        .nth(take)
        .map_or(text.len(), |(i, _)| from + i);
    &text[from..to]
}

/// `text` with every `from` replaced by `to`; an empty `from` replaces
/// nothing (as SQL's `replace`). `None` when nothing changes.
fn replace(text: &str, from: &str, to: &str) -> Option<String> {
    (!from.is_empty() && text.contains(from)).then(|| text.replace(from, to))
}

/// Rounds to `digits` places after the point (before it when negative),
/// half away from zero, exactly. A decimal keeps `digits` places (12.5 to
/// two places is 12.50) when it has room for them. `None` when the result
/// is too large.
pub fn round_decimal(d: Decimal, digits: i64) -> Option<Decimal> {
    let scale = i64::from(d.scale());
    if digits >= scale {
        let mut kept = d;
        kept.rescale(digits.min(28) as u32);
        return Some(positive_zero(kept));
    }
    // Digits below 10^-digits go: |mantissa| < 2^96 < 10^29, so dropping
    // more than 38 digits leaves nothing (and 10^38 fits an i128).
    let drop = scale - digits.max(-40);
    if drop > 38 {
        return Some(Decimal::ZERO);
    }
    let unit = 10i128.pow(drop as u32);
    let m = d.mantissa();
    let (mut q, r) = (m / unit, m % unit);
    if r.abs() >= unit / 2 {
        q += m.signum();
    }
    let rounded = if digits >= 0 {
        Decimal::try_from_i128_with_scale(q, digits as u32).ok()?
    } else {
        let whole = q.checked_mul(10i128.checked_pow(digits.unsigned_abs() as u32)?)?;
        Decimal::try_from_i128_with_scale(whole, 0).ok()?
    };
    Some(positive_zero(rounded))
}

/// A whole number rounded to `digits` places: itself unless `digits` is
/// negative.
pub fn round_int(i: i64, digits: i64) -> Option<i64> {
    if digits >= 0 {
        return Some(i);
    }
    // |i| < 10^19: rounding to 10^20 or more leaves 0.
    if digits < -19 {
        return Some(0);
    }
    let unit = 10i128.pow(digits.unsigned_abs() as u32);
    let m = i128::from(i);
    let (mut q, r) = (m / unit, m % unit);
    if r.abs() >= unit / 2 {
        q += m.signum();
    }
    i64::try_from(q * unit).ok()
}

/// Zero without a sign: `ceil(-0.5)` is 0, not -0.
fn positive_zero(mut d: Decimal) -> Decimal {
    if d.is_zero() {
        d.set_sign_positive(true);
    }
    d
}

/// `date` moved by `days`; `None` past the calendar's range.
pub fn add_days(date: i32, days: i64) -> Option<i32> {
    let moved = i32::try_from(i64::from(date).checked_add(days)?).ok()?;
    days_to_date(moved).map(|_| moved)
}

/// The same day `months` months on, or the last day of that month when it
/// has fewer days (31 January + 1 month = 29 February 2024).
pub fn add_months(date: i32, months: i64) -> Option<i32> {
    let d = days_to_date(date)?;
    let n = Months::new(u32::try_from(months.unsigned_abs()).ok()?);
    let moved = if months >= 0 {
        d.checked_add_months(n)
    } else {
        d.checked_sub_months(n)
    }?;
    Some(date_to_days(moved))
}

/// The format of `parse_date`, parsed once for every row.
struct DateFormat<'f> {
    items: Vec<Item<'f>>,
}

impl<'f> DateFormat<'f> {
    fn new(format: &'f str) -> DateFormat<'f> {
        DateFormat {
            items: StrftimeItems::new(format).collect(),
        }
    }

    /// The date `text` gives; `None` when it does not parse.
    fn read(&self, text: &str) -> Option<i32> {
        let mut parsed = Parsed::new();
        chrono::format::parse(&mut parsed, text, self.items.iter()).ok()?;
        parsed.to_naive_date().ok().map(date_to_days)
    }
}

impl<'a> Ctx<'a> {
    /// A call of one of this module's functions (`None` for the others),
    /// `ty` the call's type.
    pub(super) fn call_function(
        &self,
        func: Func,
        args: &'a [TExpr],
        ty: &Type,
    ) -> Option<Col<'a>> {
        let n = self.n;
        let store = &self.env.texts;
        let arg = |i: usize| self.eval(&args[i]);
        let dates = |col: &Col<'a>, f: &dyn Fn(NaiveDate) -> Option<NaiveDate>| {
            Col::Date(
                (0..n)
                    .map(|i| day_of(col.get(i)).and_then(f).map(date_to_days))
                    .collect(),
            )
        };
        Some(match func {
            Func::Upper | Func::Lower => {
                let values = arg(0);
                let mut out = TextColumn::with_rows(n);
                for t in texts(&values) {
                    match t {
                        None => out.null(),
                        Some(t) => out.changed(t, |t| {
                            // Most codes are ASCII, and already in the case asked for.
                            let upper = func == Func::Upper;
                            let done = t.is_ascii()
                                && !t.bytes().any(|b| {
                                    if upper {
                                        b.is_ascii_lowercase()
                                    } else {
                                        b.is_ascii_uppercase()
                                    }
                                });
                            match (done, upper) {
                                (true, _) => None,
                                (false, true) => Some(t.to_uppercase()),
                                (false, false) => Some(t.to_lowercase()),
                            }
                        }),
                    }
                }
                out.finish(store)
            }
            Func::Trim => {
                let values = arg(0);
                Col::Text(texts(&values).iter().map(|t| t.map(str::trim)).collect())
            }
            Func::Substring => {
                let (values, starts, lengths) = (arg(0), arg(1), arg(2));
                Col::Text(
                    texts(&values)
                        .iter()
                        .enumerate()
                        .map(|(i, t)| {
                            Some(substring((*t)?, int(starts.get(i))?, int(lengths.get(i))?))
                        })
                        .collect(),
                )
            }
            Func::Concat => {
                let parts: Vec<Col<'a>> = (0..args.len()).map(arg).collect();
                let mut out = TextColumn::with_rows(n);
                for i in 0..n {
                    if parts.iter().any(|p| p.is_null(i)) {
                        out.null();
                    } else if let [Col::Text(only)] = parts.as_slice() {
                        out.borrowed(only[i].unwrap_or_default());
                    } else {
                        out.build(|b| parts.iter().for_each(|p| display_into(b, p.get(i))));
                    }
                }
                out.finish(store)
            }
            Func::Contains => {
                let (values, parts) = (arg(0), arg(1));
                let parts = texts(&parts);
                Col::Bool(
                    texts(&values)
                        .iter()
                        .zip(parts)
                        .map(|(t, p)| Tri::from_option(t.zip(*p).map(|(t, p)| t.contains(p))))
                        .collect(),
                )
            }
            Func::Replace => {
                let (values, froms, tos) = (arg(0), arg(1), arg(2));
                let (froms, tos) = (texts(&froms), texts(&tos));
                let mut out = TextColumn::with_rows(n);
                for (i, t) in texts(&values).iter().enumerate() {
                    match (t, froms[i], tos[i]) {
                        (Some(t), Some(from), Some(to)) => out.changed(t, |t| replace(t, from, to)),
                        _ => out.null(),
                    }
                }
                out.finish(store)
            }
            Func::ParseDate => {
                let TExprKind::Const(Value::Text(format)) = &args[1].kind else {
                    unreachable!("the checker makes the format a string")
                };
                let format = DateFormat::new(format);
                let values = arg(0);
                Col::Date(texts(&values).iter().map(|t| format.read((*t)?)).collect())
            }
            Func::MonthStart => dates(&arg(0), &|d| d.with_day(1)),
            Func::YearStart => dates(&arg(0), &|d| d.with_ordinal(1)),
            Func::AddDays | Func::AddMonths => {
                let (days, counts) = (arg(0), arg(1));
                let shift = if func == Func::AddDays {
                    add_days
                } else {
                    add_months
                };
                Col::Date(
                    (0..n)
                        .map(|i| match (days.get(i), counts.get(i)) {
                            (Scalar::Date(d), Scalar::Int(k)) => shift(d, k),
                            _ => None,
                        })
                        .collect(),
                )
            }
            Func::DaysBetween => {
                let (from, to) = (arg(0), arg(1));
                Col::Int(
                    (0..n)
                        .map(|i| match (from.get(i), to.get(i)) {
                            (Scalar::Date(a), Scalar::Date(b)) => Some(i64::from(b) - i64::from(a)),
                            _ => None,
                        })
                        .collect(),
                )
            }
            Func::Abs | Func::Round | Func::Floor | Func::Ceil => {
                let values = arg(0);
                let digits = (func == Func::Round && args.len() > 1).then(|| arg(1));
                let digits_at = |i: usize| match &digits {
                    Some(d) => int(d.get(i)),
                    None => Some(0),
                };
                if *ty == Type::Float {
                    Col::Float(
                        (0..n)
                            .map(|i| {
                                let x = values.get(i).as_float()?;
                                let y = match func {
                                    Func::Abs => x.abs(),
                                    Func::Round => round_float(x, digits_at(i)?)?,
                                    Func::Floor => x.floor(),
                                    _ => x.ceil(),
                                };
                                finite(y)
                            })
                            .collect(),
                    )
                } else if matches!(ty, Type::Int | Type::Days) {
                    Col::Int(
                        (0..n)
                            .map(|i| {
                                let x = int(values.get(i))?;
                                match func {
                                    Func::Abs => x.checked_abs(),
                                    Func::Round => round_int(x, digits_at(i)?),
                                    _ => Some(x),
                                }
                            })
                            .collect(),
                    )
                } else {
                    Col::Dec(
                        (0..n)
                            .map(|i| {
                                let x = decimal(values.get(i))?;
                                match func {
                                    Func::Abs => Some(x.abs()),
                                    Func::Round => round_decimal(x, digits_at(i)?),
                                    Func::Floor => Some(positive_zero(x.floor())),
                                    _ => Some(positive_zero(x.ceil())),
                                }
                            })
                            .collect(),
                    )
                }
            }
            Func::Float => {
                let values = arg(0);
                Col::Float((0..n).map(|i| values.get(i).as_float()).collect())
            }
            Func::Age
            | Func::Year
            | Func::Month
            | Func::Day
            | Func::Hour
            | Func::Prefix
            | Func::Length
            | Func::Coalesce => return None,
        })
    }
}

/// A float result, or null for what is not a finite number (a division by
/// zero, an overflow); -0 becomes 0.
pub(super) fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x + 0.0)
}

/// `round(x, digits)` of a float: half away from zero at that decimal
/// digit (past 15 digits a float has none left to round).
fn round_float(x: f64, digits: i64) -> Option<f64> {
    match digits {
        16.. => Some(x),
        0..=15 => {
            let scale = 10f64.powi(digits as i32);
            finite((x * scale).round() / scale)
        }
        -308..0 => {
            let scale = 10f64.powi(-digits as i32);
            finite((x / scale).round() * scale)
        }
        _ => Some(0.0),
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;
    use crate::ir::text::parse_date;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn day(s: &str) -> i32 {
        parse_date(s).unwrap()
    }

    fn rounded(x: &str, digits: i64) -> String {
        round_decimal(dec(x), digits).map_or("null".into(), |d| d.to_string())
    }

    #[test]
    fn substring_counts_characters_from_one() {
        assert_eq!(substring("E11.900", 1, 3), "E11");
        assert_eq!(substring("E11.900", 5, 3), "900");
        assert_eq!(substring("医疗保障基金", 3, 2), "保障");
        assert_eq!(substring("医疗保障基金", 5, 10), "基金");
        // Positions before the first character count, as in SQL.
        assert_eq!(substring("abc", 0, 2), "a");
        assert_eq!(substring("abc", -5, 2), "");
        assert_eq!(substring("abc", 4, 1), "");
        assert_eq!(substring("abc", 2, 0), "");
        assert_eq!(substring("abc", 2, -1), "");
        assert_eq!(substring("", 1, 1), "");
        assert_eq!(substring("abc", i64::MAX, i64::MAX), "");
        assert_eq!(substring("abc", i64::MIN, i64::MAX), "");
        assert_eq!(substring("abc", 1, i64::MAX), "abc");
    }

    #[test]
    fn replace_leaves_text_without_the_part_alone() {
        assert_eq!(replace("E11.900", ".", ""), Some("E11900".into()));
        assert_eq!(replace("住院住院", "住院", "门诊"), Some("门诊门诊".into()));
        assert_eq!(replace("E11", ".", ""), None);
        assert_eq!(replace("E11", "", "x"), None);
    }

    #[test]
    fn rounding_is_half_away_from_zero_and_exact() {
        assert_eq!(rounded("2.5", 0), "3");
        assert_eq!(rounded("-2.5", 0), "-3");
        assert_eq!(rounded("2.45", 1), "2.5");
        assert_eq!(rounded("-2.45", 1), "-2.5");
        assert_eq!(rounded("2.449999", 1), "2.4");
        assert_eq!(rounded("0.125", 2), "0.13");
        // Digits that are not there are written.
        assert_eq!(rounded("12.5", 2), "12.50");
        assert_eq!(rounded("7", 1), "7.0");
        assert_eq!(rounded("1234.5", -2), "1200");
        assert_eq!(rounded("1250", -2), "1300");
        assert_eq!(rounded("-1250", -2), "-1300");
        assert_eq!(rounded("-0.001", 2), "0.00");
        assert_eq!(rounded("4.9999999999999999999999999999", -1), "0");
        assert_eq!(rounded("5", -1), "10");
        assert_eq!(rounded("79228162514264337593543950335", -1), "null");
        assert_eq!(rounded("79228162514264337593543950335", -29), "null");
        assert_eq!(rounded("79228162514264337593543950335", -30), "0");
        assert_eq!(rounded("1.5", i64::MIN), "0");
        assert_eq!(rounded("1.5", i64::MAX), "1.5000000000000000000000000000");
    }

    #[test]
    fn whole_numbers_round_to_tens_and_more() {
        assert_eq!(round_int(1234, 2), Some(1234));
        assert_eq!(round_int(1250, -2), Some(1300));
        assert_eq!(round_int(-1250, -2), Some(-1300));
        assert_eq!(round_int(-1249, -2), Some(-1200));
        assert_eq!(round_int(i64::MAX, -1), None);
        assert_eq!(round_int(i64::MAX, -19), None);
        assert_eq!(round_int(i64::MAX, -20), Some(0));
        assert_eq!(round_int(5, i64::MIN), Some(0));
    }

    #[test]
    fn floor_and_ceil_of_negative_numbers() {
        assert_eq!(dec("-2.5").floor(), dec("-3"));
        assert_eq!(positive_zero(dec("-0.5").ceil()).to_string(), "0");
        assert_eq!(positive_zero(-dec("0.00")).to_string(), "0.00");
        assert_eq!(positive_zero(dec("2.50").floor()).to_string(), "2");
    }

    #[test]
    fn months_end_on_their_last_day() {
        let moved = |d: &str, k: i64| add_months(day(d), k).map(days_to_date);
        let date = |s: &str| Some(NaiveDate::from_str(s).ok());
        assert_eq!(moved("2024-01-31", 1), date("2024-02-29"));
        assert_eq!(moved("2023-01-31", 1), date("2023-02-28"));
        assert_eq!(moved("2024-02-29", 12), date("2025-02-28"));
        assert_eq!(moved("2024-03-31", -1), date("2024-02-29"));
        assert_eq!(moved("2024-05-15", -17), date("2022-12-15"));
        assert_eq!(moved("2024-05-15", 0), date("2024-05-15"));
        assert_eq!(add_months(day("2024-05-15"), i64::MIN), None);
        assert_eq!(add_months(day("2024-05-15"), 4_000_000), None);
    }

    #[test]
    fn days_move_across_leap_days_and_stop_at_the_calendar_s_end() {
        assert_eq!(add_days(day("2024-02-28"), 1), Some(day("2024-02-29")));
        assert_eq!(add_days(day("2024-03-01"), -1), Some(day("2024-02-29")));
        assert_eq!(add_days(day("2023-03-01"), -1), Some(day("2023-02-28")));
        assert_eq!(add_days(day("2024-03-01"), i64::MAX), None);
        assert_eq!(add_days(day("2024-03-01"), 200_000_000), None);
    }

    #[test]
    fn dates_are_read_with_their_format() {
        let format = DateFormat::new("%Y%m%d");
        assert_eq!(format.read("20240229"), Some(day("2024-02-29")));
        assert_eq!(format.read("20230229"), None);
        assert_eq!(format.read("2024-02-29"), None);
        assert_eq!(format.read(""), None);
        let format = DateFormat::new("%Y年%m月%d日");
        assert_eq!(format.read("2024年3月1日"), Some(day("2024-03-01")));
    }

    /// Claims with lower case, Chinese, negative amounts, month ends, a
    /// leap day; C3 has nulls only.
    const CLAIMS: &str = "    given claims
      | claim_id | primary_dx | admit_date | discharge_date | fund_amount | total_amount | settle_time         |
      | C1       | i10.x00    | 2024-01-31 | 2024-02-29     | -2.50       | 12.35        | 2024-02-29 08:30:00 |
      | C2       | 高血压Ab   | 2023-01-31 | 2023-03-01     | 2.45        | 0.00         |                     |
      | C3       |            |            |                |             |              |                     |
";

    /// The value of `expr` on each claim of `CLAIMS`, as the engine
    /// writes it in a message.
    fn values(expr: &str) -> Vec<String> {
        let text = format!(
            "ruleset \"f\" version \"1\"\nrule F \"f\" {{\n  category c\n  severity low\n  action warn\n  for c in claims\n  let v = {expr}\n  flag when true\n  message \"{{v}}\"\n  test \"t\" {{\n{CLAIMS}    expect no flags\n  }}\n}}\n"
        );
        let checked = crate::check::check_text(std::path::Path::new("f.rules"), &text);
        let ruleset = checked
            .ruleset
            .unwrap_or_else(|| panic!("{expr}: {:?}", checked.diagnostics));
        let rule = &ruleset.rules[0];
        let mut flags =
            crate::exec::rule_flags(&ruleset, &checked.sources, rule, &rule.tests[0].tables, &[])
                .unwrap();
        flags.sort_by(|a, b| a.claim_id.cmp(&b.claim_id));
        flags.into_iter().map(|f| f.message).collect()
    }

    include!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/function_values.rs"
    ));

    /// Text (full-width spaces trimmed too; empty text is not null), date
    /// (clamped to a month's last day, leap days) and number functions
    /// (half away from zero) over columns: the table the reference
    /// evaluator is held to as well.
    #[test]
    fn functions_over_columns() {
        for (expr, expected) in FUNCTION_VALUES {
            assert_eq!(values(expr), *expected, "{expr}");
        }
    }

    #[test]
    fn computed_text_outlives_its_builder() {
        let store = TextStore::default();
        let mut column = TextColumn::with_rows(4);
        column.build(|b| b.push_str("门诊"));
        column.null();
        column.borrowed("X01");
        column.build(|b| b.push_str("ABC"));
        let Col::Text(values) = column.finish(&store) else {
            panic!("a text column")
        };
        assert_eq!(values, [Some("门诊"), None, Some("X01"), Some("ABC")]);
        assert_eq!(store.keep(String::new()), "");
    }
}
