//! How each logical column type is stored in Arrow, defined once.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema as ArrowSchema, SchemaRef, TimeUnit};

use crate::ir::{ColumnType, Table};

/// The Arrow type a column of `ty` has once loaded.
pub fn arrow_type(ty: &ColumnType) -> DataType {
    match ty {
        ColumnType::Text | ColumnType::Enum(_) => DataType::Utf8,
        ColumnType::Int32 => DataType::Int32,
        ColumnType::Int64 => DataType::Int64,
        ColumnType::Bool => DataType::Boolean,
        ColumnType::Decimal { precision, scale } => DataType::Decimal128(*precision, *scale),
        ColumnType::Float64 => DataType::Float64,
        ColumnType::Date => DataType::Date32,
        ColumnType::Timestamp => DataType::Timestamp(TimeUnit::Millisecond, None),
        ColumnType::List(inner) => DataType::List(list_item_field(arrow_type(inner))),
    }
}

/// The element field of every list column: named `item`, nullable.
pub fn list_item_field(element: DataType) -> Arc<Field> {
    Arc::new(Field::new("item", element, true))
}

/// The Arrow schema of a table, columns in declaration order.
pub fn table_arrow_schema(table: &Table) -> SchemaRef {
    let fields: Vec<Field> = table
        .columns
        .iter()
        .map(|c| Field::new(&c.name, arrow_type(&c.ty), c.nullable))
        .collect();
    Arc::new(ArrowSchema::new(fields))
}

#[cfg(test)]
mod tests {
    use super::*;
    // The shipped contract, as the checker builds it, is the test fixture.
    use crate::check::chs_schema;
    use crate::data::contract::CLAIMS;

    #[test]
    fn claims_schema_matches_the_contract() {
        let schema = chs_schema();
        let claims = table_arrow_schema(schema.table(CLAIMS).unwrap());
        let field = |name: &str| claims.field_with_name(name).unwrap().clone();
        assert_eq!(
            field("total_amount").data_type(),
            &DataType::Decimal128(18, 2)
        );
        assert_eq!(
            field("settle_time").data_type(),
            &DataType::Timestamp(TimeUnit::Millisecond, None)
        );
        assert!(field("secondary_dx").is_nullable());
        assert!(!field("claim_id").is_nullable());
    }
}
