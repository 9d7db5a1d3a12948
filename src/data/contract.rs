//! The CHS claims dataset contract (data-contract.md) as a [`Schema`].
//!
//! Until the rule language can declare schemas, this is the one definition
//! of the contract that the loader, the generator and the tests share.

use crate::ir::{
    Column, ColumnType, CompareOp, Constraint, ConstraintOperand, Literal, Relation, Schema, Table,
};

pub const CLAIMS: &str = "claims";
pub const CLAIM_ITEMS: &str = "claim_items";
pub const PATIENTS: &str = "patients";
pub const CATALOG: &str = "catalog";
pub const PROVIDERS: &str = "providers";

fn enumeration(values: &[&str]) -> ColumnType {
    ColumnType::Enum(values.iter().map(|v| v.to_string()).collect())
}

fn decimal(precision: u8, scale: i8) -> ColumnType {
    ColumnType::Decimal { precision, scale }
}

fn required(name: &str, ty: ColumnType, doc: &str) -> Column {
    Column {
        name: name.to_string(),
        ty,
        nullable: false,
        doc: (!doc.is_empty()).then(|| doc.to_string()),
    }
}

fn nullable(name: &str, ty: ColumnType, doc: &str) -> Column {
    Column {
        nullable: true,
        ..required(name, ty, doc)
    }
}

fn table(name: &str, doc: &str, key: &[&str], columns: Vec<Column>) -> Table {
    Table {
        name: name.to_string(),
        columns,
        key: (!key.is_empty()).then(|| key.iter().map(|k| k.to_string()).collect()),
        constraints: Vec::new(),
        flags: None,
        doc: Some(doc.to_string()),
    }
}

fn compare_columns(column: &str, op: CompareOp, other: &str) -> Constraint {
    Constraint {
        column: column.to_string(),
        op,
        operand: ConstraintOperand::Column(other.to_string()),
    }
}

fn relation(name: &str, from: (&str, &str), to: (&str, &str), required: bool) -> Relation {
    Relation {
        name: name.to_string(),
        from_table: from.0.to_string(),
        from_columns: vec![from.1.to_string()],
        to_table: to.0.to_string(),
        to_columns: vec![to.1.to_string()],
        required,
    }
}

pub fn visit_types() -> ColumnType {
    enumeration(&["outpatient", "inpatient", "pharmacy"])
}

pub fn item_types() -> ColumnType {
    enumeration(&["drug", "service", "material"])
}

/// The CHS contract: five tables and the relations rules navigate.
pub fn chs_schema() -> Schema {
    use ColumnType::*;
    let mut claims = table(
        CLAIMS,
        "结算单, one row per settlement",
        &["claim_id"],
        vec![
            required("claim_id", Text, "结算ID"),
            required("patient_id", Text, "人员编号"),
            required("provider_id", Text, "定点医药机构编号"),
            required("visit_type", visit_types(), "门诊 / 住院 / 定点药店购药"),
            required(
                "admit_date",
                Date,
                "visit date, or admission date for inpatient",
            ),
            required(
                "discharge_date",
                Date,
                "discharge date; equals admit_date unless inpatient",
            ),
            required("primary_dx", Text, "main diagnosis, ICD-10 (医保版)"),
            nullable("secondary_dx", List(Box::new(Text)), "other diagnoses"),
            required("total_amount", decimal(18, 2), "医疗费总额"),
            required("fund_amount", decimal(18, 2), "统筹基金支付"),
            required("settle_time", Timestamp, "when the settlement was made"),
            required("treat_region", Text, "就医地 region code"),
        ],
    );
    claims.constraints.push(compare_columns(
        "discharge_date",
        CompareOp::Ge,
        "admit_date",
    ));

    let mut claim_items = table(
        CLAIM_ITEMS,
        "费用明细, one row per billed line",
        &["claim_id", "line_no"],
        vec![
            required("claim_id", Text, "the claim this line belongs to"),
            required("line_no", Int32, "line number, unique within a claim"),
            required("item_code", Text, "医保编码"),
            required("item_type", item_types(), "药品 / 诊疗项目 / 医用耗材"),
            required("service_date", Date, "day the item was given"),
            required("quantity", decimal(12, 3), "quantity billed"),
            required("unit_price", decimal(14, 4), "price per unit"),
            required("amount", decimal(18, 2), "line amount"),
            nullable("days_supply", Int32, "days of medication dispensed"),
            required("doctor_id", Text, "医保医师代码"),
        ],
    );
    claim_items.constraints.push(Constraint {
        column: "quantity".to_string(),
        op: CompareOp::Gt,
        operand: ConstraintOperand::Literal(Literal::Int(0)),
    });

    let patients = table(
        PATIENTS,
        "参保人员登记",
        &["patient_id"],
        vec![
            required("patient_id", Text, ""),
            required("gender", enumeration(&["M", "F"]), ""),
            required("birth_date", Date, ""),
            nullable("death_date", Date, "from the civil death registry"),
            required(
                "insurance_type",
                enumeration(&["employee", "resident"]),
                "职工医保 / 城乡居民医保",
            ),
            required("enroll_date", Date, "date of (re-)enrolment"),
            required("benefit_start_date", Date, "first day benefits may be paid"),
            required("region", Text, "参保地"),
        ],
    );

    let catalog = table(
        CATALOG,
        "医保目录: drugs, services and materials",
        &["item_code"],
        vec![
            required("item_code", Text, ""),
            required("item_name", Text, ""),
            required("item_type", item_types(), ""),
            required(
                "pay_class",
                enumeration(&["A", "B", "C"]),
                "甲类 / 乙类 / 丙类",
            ),
            required("valid_from", Date, "first day the entry is in force"),
            nullable("valid_to", Date, "last day in force; null = open"),
            nullable("price_cap", decimal(14, 4), "最高限价"),
            nullable("gender_limit", enumeration(&["M", "F"]), "限性别"),
            nullable("min_age", Int32, "限年龄: youngest age in full years"),
            nullable("max_age", Int32, "限年龄: oldest age in full years"),
            nullable("dx_prefixes", List(Box::new(Text)), "限诊断"),
            nullable("min_provider_level", Int32, "限医疗机构等级"),
            nullable("max_daily_qty", decimal(12, 3), "频次: most units a day"),
            nullable(
                "max_days_supply",
                Int32,
                "限量: most days' supply on one line",
            ),
            nullable("family", Text, "a group of related items"),
            nullable("tier", Int32, "level within a family"),
        ],
    );

    let providers = table(
        PROVIDERS,
        "定点医药机构",
        &["provider_id"],
        vec![
            required("provider_id", Text, ""),
            required("provider_name", Text, ""),
            required("level", Int32, "1, 2 or 3; pharmacies are 0"),
            required("kind", enumeration(&["hospital", "clinic", "pharmacy"]), ""),
            required("region", Text, "pooling area code"),
            required(
                "contract_from",
                Date,
                "first day of the designation agreement",
            ),
            nullable("contract_to", Date, "last day; null = open"),
        ],
    );

    Schema {
        tables: vec![claims, claim_items, patients, catalog, providers],
        relations: vec![
            relation(
                "claim",
                (CLAIM_ITEMS, "claim_id"),
                (CLAIMS, "claim_id"),
                true,
            ),
            relation(
                "patient",
                (CLAIMS, "patient_id"),
                (PATIENTS, "patient_id"),
                false,
            ),
            relation(
                "provider",
                (CLAIMS, "provider_id"),
                (PROVIDERS, "provider_id"),
                false,
            ),
            relation(
                "entry",
                (CLAIM_ITEMS, "item_code"),
                (CATALOG, "item_code"),
                false,
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_come_before_their_lines_when_validating() {
        let schema = chs_schema();
        let order: Vec<&str> = schema
            .tables_in_reference_order()
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        let claims = order.iter().position(|t| *t == CLAIMS).unwrap();
        let lines = order.iter().position(|t| *t == CLAIM_ITEMS).unwrap();
        assert!(claims < lines, "{order:?}");
        assert_eq!(order.len(), 5);
    }

    #[test]
    fn every_relation_targets_a_key() {
        let schema = chs_schema();
        for relation in &schema.relations {
            let target = schema.table(&relation.to_table).unwrap();
            assert_eq!(target.key.as_ref(), Some(&relation.to_columns));
            let source = schema.table(&relation.from_table).unwrap();
            for column in &relation.from_columns {
                assert!(source.column(column).is_some(), "{column}");
            }
        }
    }
}
