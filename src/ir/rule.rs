//! A checked ruleset: its schema, parameters, sets and typed rules.

use super::expr::{Aggregate, TExpr};
use super::schema::{FlagField, Grain, Schema};
use super::types::Type;
use super::value::Value;
use crate::syntax::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    High,
    Medium,
    Low,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::High, Severity::Medium, Severity::Low];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }
}

/// What the real-time service does with a claim the rule flags; the
/// decision is the strictest action among the flags (reject > review > warn).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Warn,
    Review,
    Reject,
}

impl Action {
    pub const ALL: [Action; 3] = [Action::Reject, Action::Review, Action::Warn];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Reject => "reject",
            Action::Review => "review",
            Action::Warn => "warn",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    Scalar(Value),
    /// Keyed by text, e.g. the annual cap by insurance type.
    Map(Vec<(String, Value)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: String,
    pub value: ParamValue,
    /// The type of the value (of each value, for a map).
    pub ty: Type,
    pub doc: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CodeSet {
    pub name: String,
    pub ty: Type,
    pub values: Vec<Value>,
    pub doc: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum WindowRange {
    /// Rows of the key whose `over` date lies in the `days` days ending on
    /// this row's date (this row and same-day rows included).
    Last { over: TExpr, days: TExpr },
    /// Rows of the key up to and including this one, in `order`.
    Running { order: Vec<TExpr> },
    /// Rows of the key whose `over` date lies from the first day of the
    /// calendar month `months − 1` months before this row's, to this row's date.
    LastMonths { over: TExpr, months: TExpr },
    /// This row and the `rows − 1` rows of the key before it, in `order`.
    LastRows { order: Vec<TExpr>, rows: TExpr },
}

/// How a rule looks at rows besides the one it flags.
// One per rule: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Form {
    /// Each row on its own.
    Row,
    /// Rows with equal keys; aggregates over the group, every qualifying row flagged.
    Group { keys: Vec<TExpr> },
    /// For each row, aggregates over rows of the same key in a range around it.
    Window {
        keys: Vec<TExpr>,
        range: WindowRange,
    },
    /// Rows of a key in order; `prev` is the row before.
    Sequence { keys: Vec<TExpr>, order: Vec<TExpr> },
    /// A row is flagged when some partner row of the same key satisfies the
    /// condition with it. `keys` pairs an expression on the row with one on the partner.
    Pair {
        var: String,
        table: String,
        filter: Option<TExpr>,
        keys: Vec<(TExpr, TExpr)>,
        /// `match x in table on ...`: a pair is a candidate only with a
        /// row of that (knowledge) table matching both rows.
        known: Option<Known>,
    },
    /// Statistics per entity (a related row), compared with the entity's peers.
    Population {
        var: String,
        entity: TExpr,
        entity_table: String,
        eligible: Option<TExpr>,
        /// Entities with equal values of all of these are peers.
        peers_by: Vec<TExpr>,
        min_peers: Option<TExpr>,
    },
}

impl Form {
    pub fn name(&self) -> &'static str {
        match self {
            Form::Row => "row",
            Form::Group { .. } => "group",
            Form::Window { .. } => "window",
            Form::Sequence { .. } => "sequence",
            Form::Pair { .. } => "pair",
            Form::Population { .. } => "population",
        }
    }
}

/// A column of a knowledge table and the value of a row it must equal.
pub type KnownKey = (String, TExpr);

/// `match x in exclusive_items on x.item_a = line.item_code and x.item_b =
/// other.item_code in either order as of line.service_date`: the rows of a
/// table found by equal values from a pair's two rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Known {
    pub var: String,
    pub table: String,
    /// Each of the table's columns named in `on`, with the expression (on
    /// the rule's row or on its partner) it equals.
    pub keys: Vec<KnownKey>,
    /// The row and its partner may also stand the other way round.
    pub either_order: bool,
    /// Only rows in force on this date (the table's `in force` columns).
    pub as_of: Option<TExpr>,
}

impl Known {
    /// The name of the relation a rule that is not a pair rule follows to
    /// its matched row: `x.col` there is read as `line.<this>.col`, and the
    /// lookup is built like a relation's (one knowledge row for each row).
    pub fn relation_name(rule_id: &str, var: &str) -> String {
        format!("{var} (match of {rule_id})")
    }

    /// What a row's match depends on, whatever its variable's name or
    /// where it is written: the rule's `table`, the knowledge table, each
    /// column with the value it equals, and the `as of` date. Rules whose
    /// matches are alike share one lookup.
    pub fn fingerprint(&self, table: &str) -> String {
        let unplaced = |e: &TExpr| {
            let mut e = e.clone();
            e.walk_mut(&mut |x| x.span = Span::default());
            format!("{e:?}")
        };
        let keys: Vec<String> = self
            .keys
            .iter()
            .map(|(column, value)| format!("{column}={}", unplaced(value)))
            .collect();
        format!(
            "{table}|{}|{}|{:?}",
            self.table,
            keys.join("&"),
            self.as_of.as_ref().map(unplaced)
        )
    }

    /// The knowledge columns of `keys` compared with the rule's row's
    /// values, then those compared with the partner's, each with its side.
    pub fn sides(&self) -> (Vec<&KnownKey>, Vec<&KnownKey>) {
        self.keys
            .iter()
            .partition(|(_, e)| !e.uses_var(super::expr::Var::Partner))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Let {
    pub name: String,
    pub expr: TExpr,
}

#[derive(Debug, Clone, PartialEq)]
pub enum MessagePart {
    Text(String),
    Value { expr: TExpr, text: String },
}

/// A rule's own example: a few rows, and the flags the rule must give.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleTest {
    pub name: String,
    pub span: Span,
    pub params: Vec<(String, ParamValue)>,
    /// (table, columns given, rows); columns not given are null.
    pub tables: Vec<TestTable>,
    /// Which flag fields each expected flag names, and their values.
    pub expect_fields: Vec<FlagField>,
    pub expect: Vec<Vec<Value>>,
    /// The `amount_at_stake` of each expected flag, when the test names
    /// that column (null: a flag without an amount).
    pub expect_amounts: Option<Vec<Value>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TestTable {
    pub table: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub category: String,
    pub severity: Severity,
    pub action: Action,
    pub basis: Option<String>,
    pub national_code: Option<String>,
    pub batch_only: bool,
    /// `path:line` of the rule's first line.
    pub source: String,
    pub span: Span,
    /// The rule's row variable and the table it ranges over.
    pub var: String,
    pub table: String,
    pub filter: Option<TExpr>,
    pub form: Form,
    /// The `match` of a rule that is not a pair rule: each row's one
    /// knowledge row, reached like a related row (see
    /// [`Known::relation_name`]). A pair rule's match is in its form.
    pub row_match: Option<Known>,
    pub lets: Vec<Let>,
    pub aggregates: Vec<Aggregate>,
    pub condition: TExpr,
    /// `flag once when`: a group rule flags each group once, on its first
    /// row (in the table's key order) where the condition holds, with the
    /// other rows of the group in evidence.
    pub flag_once: bool,
    /// `flag provider when`: the flags are named by the table's `flags`
    /// declaration of this grain, not by its own rows', and the flags of
    /// one rule naming one provider (one claim, ...) merge into one.
    pub flag_as: Option<Grain>,
    pub message: Vec<MessagePart>,
    /// The money a flag puts in doubt, when the rule says (`amount`); else
    /// the flagged table's `flags` declaration says.
    pub amount: Option<TExpr>,
    /// The values the condition compares, labelled as written, for evidence.
    pub evidence: Vec<(String, TExpr)>,
    pub grain: Grain,
    pub tests: Vec<RuleTest>,
}

impl Rule {
    /// Every expression of the rule, each once.
    pub fn exprs(&self) -> Vec<&TExpr> {
        let mut out: Vec<&TExpr> = vec![&self.condition];
        out.extend(self.filter.iter());
        out.extend(self.lets.iter().map(|l| &l.expr));
        out.extend(self.aggregates.iter().filter_map(|a| a.arg.as_ref()));
        out.extend(
            self.aggregates
                .iter()
                .filter_map(|a| a.per.as_ref().map(|p| &p.key)),
        );
        out.extend(self.message.iter().filter_map(|m| match m {
            MessagePart::Value { expr, .. } => Some(expr),
            MessagePart::Text(_) => None,
        }));
        out.extend(self.evidence.iter().map(|(_, e)| e));
        out.extend(self.amount.iter());
        if let Some(known) = &self.row_match {
            out.extend(known.keys.iter().map(|(_, e)| e));
            out.extend(known.as_of.iter());
        }
        match &self.form {
            Form::Row => {}
            Form::Group { keys } => out.extend(keys),
            Form::Window { keys, range } => {
                out.extend(keys);
                match range {
                    WindowRange::Last { over, days } => out.extend([over, days]),
                    WindowRange::Running { order } => out.extend(order),
                    WindowRange::LastMonths { over, months } => out.extend([over, months]),
                    WindowRange::LastRows { order, rows } => {
                        out.extend(order);
                        out.push(rows);
                    }
                }
            }
            Form::Sequence { keys, order } => {
                out.extend(keys);
                out.extend(order);
            }
            Form::Pair {
                filter,
                keys,
                known,
                ..
            } => {
                out.extend(filter.iter());
                for (a, b) in keys {
                    out.extend([a, b]);
                }
                if let Some(known) = known {
                    out.extend(known.keys.iter().map(|(_, e)| e));
                    out.extend(known.as_of.iter());
                }
            }
            Form::Population {
                entity,
                eligible,
                peers_by,
                min_peers,
                ..
            } => {
                out.push(entity);
                out.extend(eligible.iter());
                out.extend(peers_by);
                out.extend(min_peers.iter());
            }
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ruleset {
    pub name: String,
    pub version: String,
    /// sha256 over the source files (docs/language.md, "The ruleset hash").
    pub hash: String,
    pub schema: Schema,
    pub params: Vec<Param>,
    pub sets: Vec<CodeSet>,
    pub rules: Vec<Rule>,
}

impl Ruleset {
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }

    pub fn set(&self, name: &str) -> Option<&CodeSet> {
        self.sets.iter().find(|s| s.name == name)
    }
}
