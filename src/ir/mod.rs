//! The types passed between pipeline stages, defined once.
//!
//! The checker produces them, the planner, the executor and the data layer
//! consume them. Nothing here knows about pest or Arrow.

pub mod schema;

pub use schema::{
    Column, ColumnType, CompareOp, Constraint, ConstraintOperand, Literal, Relation, Schema, Table,
};
