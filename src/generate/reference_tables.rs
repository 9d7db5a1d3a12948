//! Arrow batches of the reference tables: patients (built a chunk at a
//! time), catalog and providers, each in its contract schema (the
//! knowledge base of exclusive items has its own module, `exclusive`).

use std::sync::Arc;

use arrow::array::{
    ArrayRef, Date32Builder, Decimal128Builder, Int32Builder, ListBuilder, StringBuilder,
};
use arrow::datatypes::{DataType, Field, Schema as ArrowSchema, SchemaRef};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;

use super::catalog::Entry;
use super::exclusive::EXCLUSIVE_ITEMS;
use super::model::Gender;
use super::names::write_person_name;
use super::patients::{Patient, write_patient_id};
use super::providers::Provider;
use super::regions::REGIONS;
use super::rng::GenRng;
use crate::check::chs_schema;
use crate::data::arrow_types::{list_item_field, table_arrow_schema};
use crate::data::contract::{CATALOG, CLAIM_ITEMS, CLAIMS, PATIENTS, PROVIDERS};

/// The contract schemas of the six tables; `patients` carries the extra
/// `patient_name` column (extra columns are allowed and ignored by loaders).
pub struct Schemas {
    pub claims: SchemaRef,
    pub claim_items: SchemaRef,
    pub patients: SchemaRef,
    pub catalog: SchemaRef,
    pub providers: SchemaRef,
    pub exclusive_items: SchemaRef,
}

impl Schemas {
    pub fn contract() -> Schemas {
        let contract = chs_schema();
        let table = |name: &str| {
            table_arrow_schema(
                contract
                    .table(name)
                    .expect("the contract defines every table"),
            )
        };
        let mut patient_fields: Vec<Field> = table(PATIENTS)
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        patient_fields.push(Field::new("patient_name", DataType::Utf8, false));
        Schemas {
            claims: table(CLAIMS),
            claim_items: table(CLAIM_ITEMS),
            patients: Arc::new(ArrowSchema::new(patient_fields)),
            catalog: table(CATALOG),
            providers: table(PROVIDERS),
            exclusive_items: table(EXCLUSIVE_ITEMS),
        }
    }
}

/// Patients rows, appended as they are drawn.
pub struct PatientTable {
    id: StringBuilder,
    gender: StringBuilder,
    birth: Date32Builder,
    death: Date32Builder,
    insurance: StringBuilder,
    enroll: Date32Builder,
    benefit_start: Date32Builder,
    region: StringBuilder,
    name: StringBuilder,
    scratch: String,
}

impl PatientTable {
    pub fn with_capacity(rows: usize) -> PatientTable {
        let text = |bytes: usize| StringBuilder::with_capacity(rows, rows * bytes);
        PatientTable {
            id: text(16),
            gender: text(1),
            birth: Date32Builder::with_capacity(rows),
            death: Date32Builder::with_capacity(rows),
            insurance: text(8),
            enroll: Date32Builder::with_capacity(rows),
            benefit_start: Date32Builder::with_capacity(rows),
            region: text(6),
            name: text(9),
            scratch: String::new(),
        }
    }

    /// Appends a person; the name is drawn from `rng`.
    pub fn push(&mut self, patient: &Patient, rng: &mut GenRng) {
        self.scratch.clear();
        write_patient_id(&mut self.scratch, patient.region, patient.index);
        self.id.append_value(&self.scratch);
        self.gender.append_value(patient.gender.as_str());
        self.birth.append_value(patient.birth);
        self.death.append_option(patient.death);
        self.insurance.append_value(patient.insurance.as_str());
        self.enroll.append_value(patient.enroll);
        self.benefit_start.append_value(patient.benefit_start);
        self.region.append_value(REGIONS[patient.region].code);
        self.scratch.clear();
        // Writing to a String cannot fail.
        let _ = write_person_name(&mut self.scratch, rng, patient.gender == Gender::M);
        self.name.append_value(&self.scratch);
    }

    pub fn finish(mut self, schema: &SchemaRef) -> Result<RecordBatch, ArrowError> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.id.finish()),
            Arc::new(self.gender.finish()),
            Arc::new(self.birth.finish()),
            Arc::new(self.death.finish()),
            Arc::new(self.insurance.finish()),
            Arc::new(self.enroll.finish()),
            Arc::new(self.benefit_start.finish()),
            Arc::new(self.region.finish()),
            Arc::new(self.name.finish()),
        ];
        RecordBatch::try_new(schema.clone(), columns)
    }
}

pub fn catalog_batch<'a>(
    entries: impl Iterator<Item = &'a Entry>,
    schema: &SchemaRef,
) -> Result<RecordBatch, ArrowError> {
    let mut code = StringBuilder::new();
    let mut name = StringBuilder::new();
    let mut item_type = StringBuilder::new();
    let mut pay_class = StringBuilder::new();
    let mut valid_from = Date32Builder::new();
    let mut valid_to = Date32Builder::new();
    let mut price_cap = Decimal128Builder::new();
    let mut gender = StringBuilder::new();
    let mut min_age = Int32Builder::new();
    let mut max_age = Int32Builder::new();
    let mut dx = ListBuilder::new(StringBuilder::new()).with_field(list_item_field(DataType::Utf8));
    let mut min_level = Int32Builder::new();
    let mut max_daily = Decimal128Builder::new();
    let mut max_days = Int32Builder::new();
    let mut family = StringBuilder::new();
    let mut tier = Int32Builder::new();
    for e in entries {
        code.append_value(&e.code);
        name.append_value(&e.name);
        item_type.append_value(e.item_type.as_str());
        pay_class.append_value(e.pay_class.as_str());
        valid_from.append_value(e.valid_from);
        valid_to.append_option(e.valid_to);
        price_cap.append_option(e.price_cap.map(i128::from));
        gender.append_option(e.gender.map(Gender::as_str));
        min_age.append_option(e.min_age);
        max_age.append_option(e.max_age);
        match e.dx_prefixes {
            Some(prefixes) => {
                for p in prefixes {
                    dx.values().append_value(p);
                }
                dx.append(true);
            }
            None => dx.append(false),
        }
        min_level.append_option(e.min_level);
        max_daily.append_option(e.max_daily_qty.map(i128::from));
        max_days.append_option(e.max_days_supply);
        family.append_option(e.family);
        tier.append_option(e.tier);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(code.finish()),
        Arc::new(name.finish()),
        Arc::new(item_type.finish()),
        Arc::new(pay_class.finish()),
        Arc::new(valid_from.finish()),
        Arc::new(valid_to.finish()),
        Arc::new(price_cap.finish().with_precision_and_scale(14, 4)?),
        Arc::new(gender.finish()),
        Arc::new(min_age.finish()),
        Arc::new(max_age.finish()),
        Arc::new(dx.finish()),
        Arc::new(min_level.finish()),
        Arc::new(max_daily.finish().with_precision_and_scale(12, 3)?),
        Arc::new(max_days.finish()),
        Arc::new(family.finish()),
        Arc::new(tier.finish()),
    ];
    RecordBatch::try_new(schema.clone(), columns)
}

pub fn providers_batch<'a>(
    providers: impl Iterator<Item = &'a Provider>,
    schema: &SchemaRef,
) -> Result<RecordBatch, ArrowError> {
    let mut id = StringBuilder::new();
    let mut name = StringBuilder::new();
    let mut level = Int32Builder::new();
    let mut kind = StringBuilder::new();
    let mut region = StringBuilder::new();
    let mut from = Date32Builder::new();
    let mut to = Date32Builder::new();
    for p in providers {
        id.append_value(&p.id);
        name.append_value(&p.name);
        level.append_value(p.level);
        kind.append_value(p.kind.as_str());
        region.append_value(REGIONS[p.region].code);
        from.append_value(p.contract_from);
        to.append_option(p.contract_to);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(name.finish()),
        Arc::new(level.finish()),
        Arc::new(kind.finish()),
        Arc::new(region.finish()),
        Arc::new(from.finish()),
        Arc::new(to.finish()),
    ];
    RecordBatch::try_new(schema.clone(), columns)
}
