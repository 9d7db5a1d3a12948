//! Typing calls of the text, date and number functions (`upper`,
//! `substring`, `parse_date`, `add_months`, `round`, ...): each has a
//! signature, and a wrong call gets one E0202 naming the argument at fault.

use std::fmt::Write;

use chrono::format::{Item, StrftimeItems};
use chrono::{NaiveDate, TimeZone};

use crate::ir::{Func, TExpr, TExprKind, Type, Value};
use crate::syntax::{Diagnostic, Span};

use super::scope::Scope;

/// What one argument may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arg {
    Text,
    Whole,
    Number,
    NumberOrDays,
    Date,
    DateOrTime,
    WholeOrDays,
    /// A date format, written in the rule as a string.
    Format,
    /// Any value but a related row (`concat`).
    Value,
}

impl Arg {
    fn accepts(self, ty: &Type) -> bool {
        if *ty == Type::Unknown {
            return true;
        }
        match self {
            Arg::Text | Arg::Format => ty.is_textual(),
            Arg::Whole => *ty == Type::Int,
            Arg::Number => ty.is_numeric(),
            Arg::NumberOrDays => ty.is_numeric() || *ty == Type::Days,
            Arg::Date => *ty == Type::Date,
            Arg::DateOrTime => matches!(ty, Type::Date | Type::Timestamp),
            Arg::WholeOrDays => matches!(ty, Type::Int | Type::Days),
            Arg::Value => !matches!(ty, Type::Row(_)),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Arg::Text => "text",
            Arg::Whole => "a whole number",
            Arg::Number => "a number",
            Arg::NumberOrDays => "a number or a number of days",
            Arg::Date => "a date",
            Arg::DateOrTime => "a date or a time",
            Arg::WholeOrDays => "a whole number of days",
            Arg::Format => "a date format",
            Arg::Value => "a value",
        }
    }
}

/// The arguments a function takes and how it is written.
struct Signature {
    args: &'static [Arg],
    /// How many of `args` may be left out at the end.
    optional: usize,
    /// The last argument may be repeated (`concat`).
    repeats: bool,
    /// How to call it, for the help line.
    usage: &'static str,
}

fn signature(func: Func) -> Option<Signature> {
    use Arg::*;
    let (args, optional, repeats, usage): (&'static [Arg], usize, bool, &'static str) = match func {
        Func::Upper => (
            &[Text],
            0,
            false,
            "`upper(text)`, e.g. `upper(line.item_code)`",
        ),
        Func::Lower => (
            &[Text],
            0,
            false,
            "`lower(text)`, e.g. `lower(line.item_code)`",
        ),
        Func::Trim => (
            &[Text],
            0,
            false,
            "`trim(text)`, e.g. `trim(line.item_code)`",
        ),
        Func::Substring => (
            &[Text, Whole, Whole],
            0,
            false,
            "`substring(text, start, length)`, e.g. `substring(c.primary_dx, 1, 3)` (the first character is at 1)",
        ),
        Func::Concat => (
            &[Value],
            0,
            true,
            "`concat(a, b, ...)`, e.g. `concat(line.item_code, \"-\", line.line_no)`",
        ),
        Func::Contains => (
            &[Text, Text],
            0,
            false,
            "`contains(text, part)`, e.g. `contains(line.entry.item_name, \"注射\")`",
        ),
        Func::Replace => (
            &[Text, Text, Text],
            0,
            false,
            "`replace(text, from, to)`, e.g. `replace(c.primary_dx, \".\", \"\")`",
        ),
        Func::ParseDate => (
            &[Text, Format],
            0,
            false,
            "`parse_date(text, \"format\")`, e.g. `parse_date(invoice.printed_on, \"%Y%m%d\")`",
        ),
        Func::MonthStart => (
            &[DateOrTime],
            0,
            false,
            "`month_start(date)`, e.g. `month_start(line.service_date)`",
        ),
        Func::YearStart => (
            &[DateOrTime],
            0,
            false,
            "`year_start(date)`, e.g. `year_start(line.service_date)`",
        ),
        Func::AddDays => (
            &[Date, WholeOrDays],
            0,
            false,
            "`add_days(date, days)`, e.g. `add_days(line.service_date, line.days_supply)`",
        ),
        Func::AddMonths => (
            &[Date, Whole],
            0,
            false,
            "`add_months(date, months)`, e.g. `add_months(c.admit_date, 6)`",
        ),
        Func::DaysBetween => (
            &[Date, Date],
            0,
            false,
            "`days_between(from, to)`, e.g. `days_between(c.admit_date, c.discharge_date)`",
        ),
        Func::Abs => (
            &[NumberOrDays],
            0,
            false,
            "`abs(x)`, e.g. `abs(line.amount - line.quantity * line.unit_price)`",
        ),
        Func::Round => (
            &[Number, Whole],
            1,
            false,
            "`round(x, digits)`, e.g. `round(line.amount * 0.3, 2)`",
        ),
        Func::Floor => (
            &[Number],
            0,
            false,
            "`floor(x)`, e.g. `floor(line.quantity)`",
        ),
        Func::Ceil => (&[Number], 0, false, "`ceil(x)`, e.g. `ceil(line.quantity)`"),
        Func::Float => (
            &[Number],
            0,
            false,
            "`float(x)`, e.g. `float(line.quantity) / float(p.beds)`",
        ),
        Func::Age
        | Func::Year
        | Func::Month
        | Func::Day
        | Func::Hour
        | Func::Prefix
        | Func::Length
        | Func::Coalesce => return None,
    };
    Some(Signature {
        args,
        optional,
        repeats,
        usage,
    })
}

/// Functions of other languages, and what this one writes instead.
const OTHER_NAMES: &[(&str, &str)] = &[
    ("substr", "substring"),
    ("left", "prefix"),
    ("len", "length"),
    ("char_length", "length"),
    ("ucase", "upper"),
    ("lcase", "lower"),
    ("ifnull", "coalesce"),
    ("nvl", "coalesce"),
    ("instr", "contains"),
    ("to_date", "parse_date"),
    ("str_to_date", "parse_date"),
    ("datediff", "days_between"),
    ("row_number", "rank"),
    ("date_add", "add_days"),
    ("dateadd", "add_days"),
    ("ceiling", "ceil"),
];

/// The function this language has for `name`, a function of SQL or a
/// spreadsheet (`substr`, `datediff`, `nvl`, ...).
pub fn other_name(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    OTHER_NAMES
        .iter()
        .find(|(other, _)| *other == lower)
        .map(|(_, ours)| *ours)
}

fn count_word(n: usize) -> String {
    match n {
        0 => "zero".into(),
        1 => "one".into(),
        2 => "two".into(),
        3 => "three".into(),
        n => n.to_string(),
    }
}

fn ordinal(i: usize) -> &'static str {
    ["first", "second", "third", "fourth"]
        .get(i)
        .copied()
        .unwrap_or("next")
}

impl Scope<'_> {
    /// The type of a call of one of the functions with a [`Signature`]
    /// (`None` for the others), reporting arguments that do not fit.
    pub(super) fn function_type(
        &mut self,
        func: Func,
        typed: &[TExpr],
        span: Span,
    ) -> Option<Type> {
        let sig = signature(func)?;
        let name = func.name();
        let most = sig.args.len();
        let least = most - sig.optional;
        let count_ok = typed.len() >= least && (sig.repeats || typed.len() <= most);
        if !count_ok {
            let takes = if sig.repeats {
                format!("{} or more arguments", count_word(least))
            } else if least == most {
                let noun = if most == 1 { "argument" } else { "arguments" };
                format!("{} {noun}", count_word(most))
            } else {
                format!("{} or {} arguments", count_word(least), count_word(most))
            };
            self.error(
                Diagnostic::error(
                    "E0202",
                    span,
                    format!("`{name}` takes {takes}, not {}", count_word(typed.len())),
                )
                .with_help(format!("write {}", sig.usage)),
            );
        } else {
            for (i, arg) in typed.iter().enumerate() {
                let expected = sig.args[i.min(most - 1)];
                if expected.accepts(&arg.ty) {
                    if expected == Arg::Format {
                        self.date_format(arg);
                    }
                    continue;
                }
                let position = if most == 1 && !sig.repeats {
                    String::new()
                } else {
                    format!(" as its {} argument", ordinal(i))
                };
                let d = Diagnostic::error(
                    "E0202",
                    arg.span,
                    format!(
                        "`{name}` needs {}{position}, but this is {}",
                        expected.describe(),
                        arg.ty
                    ),
                )
                .with_label(format!("this is {}", arg.ty))
                .with_help(argument_help(expected, arg, sig.usage));
                self.error(d);
            }
        }
        let first = typed.first().map_or(Type::Unknown, |t| t.ty.clone());
        Some(match func {
            Func::Upper
            | Func::Lower
            | Func::Trim
            | Func::Substring
            | Func::Concat
            | Func::Replace => Type::Text,
            Func::Contains => Type::Bool,
            Func::ParseDate
            | Func::MonthStart
            | Func::YearStart
            | Func::AddDays
            | Func::AddMonths => Type::Date,
            Func::DaysBetween => Type::Int,
            Func::Float => Type::Float,
            // Numbers keep their type: a whole number stays whole.
            Func::Abs | Func::Round | Func::Floor | Func::Ceil => match first {
                Type::Int | Type::Decimal | Type::Float | Type::Days => first,
                _ => Type::Unknown,
            },
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

    /// The format of `parse_date`: a string, in chrono's strftime fields,
    /// that reads a whole date.
    fn date_format(&mut self, arg: &TExpr) {
        let TExprKind::Const(Value::Text(format)) = &arg.kind else {
            self.error(
                Diagnostic::error(
                    "E0202",
                    arg.span,
                    "the format of `parse_date` must be written as a string",
                )
                .with_help("e.g. `parse_date(invoice.printed_on, \"%Y%m%d\")`"),
            );
            return;
        };
        if let Err((label, help)) = date_format_problem(format) {
            self.error(
                Diagnostic::error(
                    "E0202",
                    arg.span,
                    "`parse_date` cannot read dates with this format",
                )
                .with_label(label)
                .with_help(help),
            );
        }
    }
}

/// The help for an argument of the wrong type.
fn argument_help(expected: Arg, arg: &TExpr, usage: &str) -> String {
    let constant_text = matches!(arg.kind, TExprKind::Const(Value::Text(_)));
    match (expected, &arg.ty) {
        (Arg::Date | Arg::DateOrTime, t) if t.is_textual() && constant_text => {
            "write a date as `date(\"2024-03-01\")`".into()
        }
        (Arg::Date | Arg::DateOrTime, t) if t.is_textual() => {
            "read a date from text with `parse_date`, e.g. `parse_date(invoice.printed_on, \"%Y-%m-%d\")`"
                .into()
        }
        (Arg::Text | Arg::Format, t) if t.is_numeric() || *t == Type::Date => {
            "write a value as text with `concat`, e.g. `concat(line.line_no)`".into()
        }
        (Arg::Whole | Arg::WholeOrDays, Type::Days) => {
            "a difference of dates is a number of days; `days_between(a, b)` gives it as a whole number".into()
        }
        _ => format!("write {usage}"),
    }
}

/// Why chrono cannot read a whole date with `format`: (label, help).
pub fn date_format_problem(format: &str) -> Result<(), (String, String)> {
    const FIELDS: &str = "the fields are chrono's strftime ones: `%Y` year, `%m` month, `%d` day, `%j` day of the year, e.g. \"%Y%m%d\" or \"%d/%m/%Y\"";
    let items: Vec<Item> = StrftimeItems::new(format).collect();
    if items.iter().any(|i| matches!(i, Item::Error)) {
        let label = match unknown_field(format) {
            Some(field) => format!("`{field}` is not a field"),
            None => "a `%` must be followed by a field, such as `%Y`".into(),
        };
        return Err((label, FIELDS.into()));
    }
    // A sample date written with the format must read back as itself: the
    // format has a year, a month and a day, and nothing chrono cannot read.
    let sample = NaiveDate::from_ymd_opt(2024, 11, 23).expect("a valid date");
    let zone = chrono::FixedOffset::east_opt(8 * 3600).expect("a valid offset");
    let moment = zone
        .with_ymd_and_hms(2024, 11, 23, 13, 45, 56)
        .single()
        .expect("a fixed offset has one local time");
    let mut written = String::new();
    let read = write!(written, "{}", moment.format_with_items(items.iter()))
        .ok()
        .and_then(|_| NaiveDate::parse_from_str(&written, format).ok());
    if read == Some(sample) {
        Ok(())
    } else {
        Err((
            "a whole date cannot be read with it".into(),
            "a format needs a year, a month and a day (`%Y`, `%m`, `%d`), or a year and a day of the year (`%Y`, `%j`), e.g. \"%Y%m%d\" or \"%d/%m/%Y\"".into(),
        ))
    }
}

/// The first `%` field of `format` chrono does not know, as written.
fn unknown_field(format: &str) -> Option<&str> {
    let mut rest = format;
    while let Some(at) = rest.find('%') {
        let after = &rest[at + 1..];
        // Modifiers (`%-d`, `%.3f`, `%:z`) come before the field's letter.
        let end = after
            .char_indices()
            .find(|(_, c)| c.is_alphabetic() || *c == '%')
            .map(|(i, c)| i + c.len_utf8())?;
        let field = &rest[at..at + 1 + end];
        if StrftimeItems::new(field).any(|i| matches!(i, Item::Error)) {
            return Some(field);
        }
        rest = &after[end..];
    }
    None
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::check::check_text;
    use crate::ir::TExprKind;

    /// The diagnostics of a row rule over claims flagging `condition`:
    /// (code, message, label, help) of each error.
    fn errors(condition: &str) -> Vec<(String, String, String, String)> {
        let text = format!(
            "ruleset \"r\" version \"1\"\nrule R \"r\" {{\n  category c\n  severity low\n  action warn\n  for c in claims\n  flag when {condition}\n}}\n"
        );
        check_text(Path::new("t.rules"), &text)
            .diagnostics
            .into_iter()
            .filter(|d| d.is_error())
            .map(|d| {
                (
                    d.code.to_string(),
                    d.message,
                    d.label.unwrap_or_default(),
                    d.help.unwrap_or_default(),
                )
            })
            .collect()
    }

    /// The type the checker gives `expr` in a rule over claims.
    fn type_of(expr: &str) -> Type {
        let text = format!(
            "ruleset \"r\" version \"1\"\nrule R \"r\" {{\n  category c\n  severity low\n  action warn\n  for c in claims\n  let v = {expr}\n  flag when v is null\n}}\n"
        );
        let checked = check_text(Path::new("t.rules"), &text);
        let ruleset = checked.ruleset.unwrap_or_else(|| {
            panic!("{expr} does not check: {:?}", checked.diagnostics);
        });
        ruleset.rules[0].lets[0].expr.ty.clone()
    }

    #[test]
    fn functions_have_the_types_of_their_results() {
        assert_eq!(type_of("upper(c.primary_dx)"), Type::Text);
        assert_eq!(type_of("trim(c.visit_type)"), Type::Text);
        assert_eq!(type_of("substring(c.primary_dx, 1, 3)"), Type::Text);
        assert_eq!(type_of("concat(c.claim_id, 1, c.admit_date)"), Type::Text);
        assert_eq!(type_of("concat(c.fund_amount)"), Type::Text);
        assert_eq!(type_of("contains(c.primary_dx, \".\")"), Type::Bool);
        assert_eq!(type_of("replace(c.primary_dx, \".\", \"\")"), Type::Text);
        assert_eq!(type_of("parse_date(c.claim_id, \"%Y%m%d\")"), Type::Date);
        assert_eq!(type_of("month_start(c.settle_time)"), Type::Date);
        assert_eq!(type_of("year_start(c.admit_date)"), Type::Date);
        assert_eq!(type_of("add_days(c.admit_date, 3)"), Type::Date);
        assert_eq!(type_of("add_days(c.admit_date, 3 days)"), Type::Date);
        assert_eq!(type_of("add_months(c.admit_date, -1)"), Type::Date);
        assert_eq!(
            type_of("days_between(c.admit_date, c.discharge_date)"),
            Type::Int
        );
        assert_eq!(type_of("abs(-3)"), Type::Int);
        assert_eq!(type_of("abs(c.discharge_date - c.admit_date)"), Type::Days);
        assert_eq!(type_of("round(c.fund_amount, 1)"), Type::Decimal);
        assert_eq!(type_of("round(c.fund_amount)"), Type::Decimal);
        assert_eq!(type_of("round(1234, -2)"), Type::Int);
        assert_eq!(type_of("floor(c.fund_amount / 3)"), Type::Decimal);
        assert_eq!(type_of("ceil(c.provider.level)"), Type::Int);
    }

    #[test]
    fn a_wrong_number_of_arguments_says_how_many() {
        let e = errors("upper(c.claim_id, c.primary_dx) = \"X\"");
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].0, "E0202");
        assert_eq!(e[0].1, "`upper` takes one argument, not two");
        assert_eq!(e[0].3, "write `upper(text)`, e.g. `upper(line.item_code)`");
        let e = errors("round(c.fund_amount, 1, 2) > 3");
        assert_eq!(e[0].1, "`round` takes one or two arguments, not three");
        let e = errors("concat() = \"\"");
        assert_eq!(e[0].1, "`concat` takes one or more arguments, not zero");
        let e = errors("substring(c.primary_dx, 1) = \"E\"");
        assert_eq!(e[0].1, "`substring` takes three arguments, not two");
    }

    #[test]
    fn a_wrong_argument_is_named_with_its_type() {
        let e = errors("substring(c.primary_dx, 1, 1.5) = \"E\"");
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(
            e[0].1,
            "`substring` needs a whole number as its third argument, but this is a decimal number"
        );
        assert_eq!(e[0].2, "this is a decimal number");
        assert!(e[0].3.starts_with("write `substring(text, start, length)`"));

        let e = errors("upper(c.fund_amount) = \"X\"");
        assert_eq!(e[0].1, "`upper` needs text, but this is a decimal number");
        assert!(e[0].3.contains("`concat(line.line_no)`"), "{e:?}");

        let e = errors("month_start(\"2024-03-01\") = c.admit_date");
        assert_eq!(
            e[0].1,
            "`month_start` needs a date or a time, but this is text"
        );
        assert_eq!(e[0].3, "write a date as `date(\"2024-03-01\")`");

        let e = errors("add_days(c.claim_id, 1) = c.admit_date");
        assert!(e[0].3.contains("parse_date"), "{e:?}");

        let e = errors("add_months(c.admit_date, c.discharge_date - c.admit_date) = c.admit_date");
        assert!(e[0].3.contains("days_between"), "{e:?}");

        let e = errors("concat(c.patient) = \"\"");
        assert_eq!(
            e[0].1,
            "`concat` needs a value as its first argument, but this is a row of `patients`"
        );
        let e = errors("abs(c.admit_date) > 1");
        assert_eq!(e[0].0, "E0202");
    }

    #[test]
    fn a_bad_date_format_is_a_check_error() {
        let e = errors("parse_date(c.claim_id, \"%Y-%Q-%d\") = c.admit_date");
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].0, "E0202");
        assert_eq!(e[0].1, "`parse_date` cannot read dates with this format");
        assert_eq!(e[0].2, "`%Q` is not a field");
        assert!(e[0].3.contains("%Y%m%d"));

        let e = errors("parse_date(c.claim_id, \"%Y-%m\") = c.admit_date");
        assert_eq!(e[0].2, "a whole date cannot be read with it");
        let e = errors("parse_date(c.claim_id, \"%Y-%m-\") = c.admit_date");
        assert_eq!(e[0].2, "a whole date cannot be read with it");
        let e = errors("parse_date(c.claim_id, \"%Y%m%d%\") = c.admit_date");
        assert_eq!(e[0].2, "a `%` must be followed by a field, such as `%Y`");

        let e = errors("parse_date(c.claim_id, c.claim_id) = c.admit_date");
        assert_eq!(
            e[0].1,
            "the format of `parse_date` must be written as a string"
        );
    }

    #[test]
    fn formats_that_read_whole_dates_are_accepted() {
        for format in [
            "%Y%m%d",
            "%Y-%m-%d",
            "%d/%m/%Y",
            "%y%m%d",
            "%Y年%m月%d日",
            "%Y-%j",
            "%b %e, %Y",
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%dT%H:%M:%S%z",
            "%-d.%-m.%Y",
        ] {
            assert_eq!(date_format_problem(format), Ok(()), "{format}");
        }
        for format in ["", "%Y", "%m/%d", "%H:%M", "%Y-%m-%d %"] {
            assert!(date_format_problem(format).is_err(), "{format}");
        }
    }

    #[test]
    fn the_format_stays_a_constant_argument() {
        let text = "ruleset \"r\" version \"1\"\nrule R \"r\" {\n  category c\n  severity low\n  action warn\n  for c in claims\n  flag when parse_date(c.claim_id, \"%Y%m%d\") = c.admit_date\n}\n";
        let checked = check_text(Path::new("t.rules"), text);
        let ruleset = checked.ruleset.expect("checks");
        let mut format = None;
        ruleset.rules[0].condition.walk(&mut |e| {
            if let TExprKind::Call {
                func: Func::ParseDate,
                args,
            } = &e.kind
            {
                format = Some(args[1].kind.clone());
            }
        });
        assert_eq!(format, Some(TExprKind::Const(Value::Text("%Y%m%d".into()))));
    }

    #[test]
    fn names_from_other_languages_are_translated() {
        assert_eq!(other_name("SUBSTR"), Some("substring"));
        assert_eq!(other_name("datediff"), Some("days_between"));
        assert_eq!(other_name("nvl"), Some("coalesce"));
        assert_eq!(other_name("upper"), None);
        let e = errors("datediff(c.admit_date, c.discharge_date) > 3");
        assert_eq!(e[0].0, "E0104");
        assert_eq!(e[0].3, "this language writes it `days_between`");
    }

    #[test]
    fn every_function_is_documented() {
        let language = include_str!("../../docs/language.md");
        let section = |text: &'static str, from: &str, to: &str| {
            &text[text.find(from).expect(from)..text.find(to).expect(to)]
        };
        let table_rows: Vec<&str> = section(language, "### Functions", "### Aggregates")
            .lines()
            .filter(|l| l.starts_with("| `"))
            .collect();
        let unknown_function =
            section(include_str!("../../docs/errors.md"), "## E0104", "## E0105");
        for f in Func::ALL {
            let call = format!("`{}(", f.name());
            assert!(
                table_rows.iter().any(|row| row.contains(&call)),
                "docs/language.md's Functions tables lack `{}`",
                f.name()
            );
            assert!(
                unknown_function.contains(&format!("`{}`", f.name())),
                "docs/errors.md's E0104 lacks `{}`",
                f.name()
            );
        }
    }

    #[test]
    fn every_function_has_a_distinct_name() {
        let mut names: Vec<&str> = Func::ALL.iter().map(|f| f.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Func::ALL.len());
        for (_, ours) in OTHER_NAMES {
            let sequence = crate::check::sequence::SEQUENCE_FUNCTIONS.contains(ours);
            assert!(names.contains(ours) || sequence, "{ours}");
        }
    }
}
