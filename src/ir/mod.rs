//! The types passed between pipeline stages, defined once.
//!
//! The checker produces them, the planner, the executor and the data layer
//! consume them. Nothing here knows about pest or Arrow.

pub mod schema;
pub mod text;
pub mod types;
pub mod value;

pub use schema::{
    AMOUNT_AT_STAKE, Column, ColumnType, CompareOp, Constraint, ConstraintOperand, FlagField,
    FlagsBinding, Grain, Literal, Relation, Schema, Table,
};
pub use types::Type;
pub use value::{Value, decimal_mantissa};

pub mod expr;
pub mod rule;

pub use expr::{AggFunc, Aggregate, AggregatePer, ArithOp, Func, Step, TExpr, TExprKind, Var};
pub use rule::{
    Action, CodeSet, Form, Known, KnownKey, Let, MessagePart, Param, ParamValue, Rule, RuleTest,
    Ruleset, Severity, TestTable, WindowRange,
};
