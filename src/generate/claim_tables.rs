//! Arrow builders for one part of `claims` and `claim_items`: rows go
//! straight into columns, so a chunk never holds per-row objects.

use std::sync::Arc;

use arrow::array::{
    ArrayBuilder, ArrayRef, Date32Builder, Decimal128Builder, Int32Builder, ListBuilder,
    StringBuilder, TimestampMillisecondBuilder,
};
use arrow::datatypes::{DataType, SchemaRef};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;

use super::model::{ItemType, VisitType};
use super::money::line_amount;
use crate::data::arrow_types::list_item_field;

/// A claim (结算单) about to be written; its total is the sum of its lines.
pub struct ClaimRow<'a> {
    pub claim_id: &'a str,
    pub patient_id: &'a str,
    pub provider_id: &'a str,
    pub visit: VisitType,
    pub admit: i32,
    pub discharge: i32,
    pub primary_dx: &'a str,
    pub secondary_dx: Option<&'a [&'a str]>,
    /// Fen; at most the total.
    pub fund: i64,
    /// Milliseconds since 1970-01-01, local time.
    pub settle_ms: i64,
    pub treat_region: &'a str,
}

/// A billed line; `line_no` follows its position in the claim, from 1.
#[derive(Debug, Clone, Copy)]
pub struct LineRow<'a> {
    pub item_code: &'a str,
    pub item_type: ItemType,
    pub date: i32,
    /// Thousandths.
    pub quantity: i64,
    /// Ten-thousandths.
    pub unit_price: i64,
    pub days_supply: Option<i32>,
    pub doctor_id: &'a str,
}

/// The sum of the lines' amounts, in fen.
pub fn lines_total(lines: &[LineRow<'_>]) -> i64 {
    lines
        .iter()
        .map(|l| line_amount(l.quantity, l.unit_price))
        .sum()
}

pub struct ClaimTables {
    claim_id: StringBuilder,
    patient_id: StringBuilder,
    provider_id: StringBuilder,
    visit_type: StringBuilder,
    admit_date: Date32Builder,
    discharge_date: Date32Builder,
    primary_dx: StringBuilder,
    secondary_dx: ListBuilder<StringBuilder>,
    total_amount: Decimal128Builder,
    fund_amount: Decimal128Builder,
    settle_time: TimestampMillisecondBuilder,
    treat_region: StringBuilder,

    line_claim_id: StringBuilder,
    line_no: Int32Builder,
    item_code: StringBuilder,
    item_type: StringBuilder,
    service_date: Date32Builder,
    quantity: Decimal128Builder,
    unit_price: Decimal128Builder,
    amount: Decimal128Builder,
    days_supply: Int32Builder,
    doctor_id: StringBuilder,
}

impl ClaimTables {
    /// Builders sized for about `claims` claims and `lines` lines.
    pub fn with_capacity(claims: usize, lines: usize) -> ClaimTables {
        let text = |rows: usize, bytes: usize| StringBuilder::with_capacity(rows, rows * bytes);
        ClaimTables {
            claim_id: text(claims, 16),
            patient_id: text(claims, 16),
            provider_id: text(claims, 12),
            visit_type: text(claims, 10),
            admit_date: Date32Builder::with_capacity(claims),
            discharge_date: Date32Builder::with_capacity(claims),
            primary_dx: text(claims, 7),
            secondary_dx: ListBuilder::new(StringBuilder::new())
                .with_field(list_item_field(DataType::Utf8)),
            total_amount: Decimal128Builder::with_capacity(claims),
            fund_amount: Decimal128Builder::with_capacity(claims),
            settle_time: TimestampMillisecondBuilder::with_capacity(claims),
            treat_region: text(claims, 6),
            line_claim_id: text(lines, 16),
            line_no: Int32Builder::with_capacity(lines),
            item_code: text(lines, 23),
            item_type: text(lines, 6),
            service_date: Date32Builder::with_capacity(lines),
            quantity: Decimal128Builder::with_capacity(lines),
            unit_price: Decimal128Builder::with_capacity(lines),
            amount: Decimal128Builder::with_capacity(lines),
            days_supply: Int32Builder::with_capacity(lines),
            doctor_id: text(lines, 15),
        }
    }

    /// Builders for the planted cases' claims.
    pub fn planted() -> ClaimTables {
        ClaimTables::with_capacity(20_000, 60_000)
    }

    pub fn claims(&self) -> usize {
        self.claim_id.len()
    }

    pub fn lines(&self) -> usize {
        self.line_claim_id.len()
    }

    /// Appends a claim and its lines; returns the claim's total in fen.
    pub fn push(&mut self, claim: &ClaimRow<'_>, lines: &[LineRow<'_>]) -> i64 {
        let mut total = 0;
        for (i, line) in lines.iter().enumerate() {
            let amount = line_amount(line.quantity, line.unit_price);
            total += amount;
            self.line_claim_id.append_value(claim.claim_id);
            self.line_no.append_value(i as i32 + 1);
            self.item_code.append_value(line.item_code);
            self.item_type.append_value(line.item_type.as_str());
            self.service_date.append_value(line.date);
            self.quantity.append_value(i128::from(line.quantity));
            self.unit_price.append_value(i128::from(line.unit_price));
            self.amount.append_value(i128::from(amount));
            self.days_supply.append_option(line.days_supply);
            self.doctor_id.append_value(line.doctor_id);
        }
        debug_assert!(
            0 <= claim.fund && claim.fund <= total,
            "fund within the total"
        );
        self.claim_id.append_value(claim.claim_id);
        self.patient_id.append_value(claim.patient_id);
        self.provider_id.append_value(claim.provider_id);
        self.visit_type.append_value(claim.visit.as_str());
        self.admit_date.append_value(claim.admit);
        self.discharge_date.append_value(claim.discharge);
        self.primary_dx.append_value(claim.primary_dx);
        match claim.secondary_dx {
            Some(codes) => {
                for code in codes {
                    self.secondary_dx.values().append_value(code);
                }
                self.secondary_dx.append(true);
            }
            None => self.secondary_dx.append(false),
        }
        self.total_amount.append_value(i128::from(total));
        self.fund_amount.append_value(i128::from(claim.fund));
        self.settle_time.append_value(claim.settle_ms);
        self.treat_region.append_value(claim.treat_region);
        total
    }

    /// The two batches (claims, claim_items) in the contract's schemas.
    pub fn finish(
        mut self,
        claims_schema: &SchemaRef,
        items_schema: &SchemaRef,
    ) -> Result<(RecordBatch, RecordBatch), ArrowError> {
        let claims: Vec<ArrayRef> = vec![
            Arc::new(self.claim_id.finish()),
            Arc::new(self.patient_id.finish()),
            Arc::new(self.provider_id.finish()),
            Arc::new(self.visit_type.finish()),
            Arc::new(self.admit_date.finish()),
            Arc::new(self.discharge_date.finish()),
            Arc::new(self.primary_dx.finish()),
            Arc::new(self.secondary_dx.finish()),
            Arc::new(self.total_amount.finish().with_precision_and_scale(18, 2)?),
            Arc::new(self.fund_amount.finish().with_precision_and_scale(18, 2)?),
            Arc::new(self.settle_time.finish()),
            Arc::new(self.treat_region.finish()),
        ];
        let items: Vec<ArrayRef> = vec![
            Arc::new(self.line_claim_id.finish()),
            Arc::new(self.line_no.finish()),
            Arc::new(self.item_code.finish()),
            Arc::new(self.item_type.finish()),
            Arc::new(self.service_date.finish()),
            Arc::new(self.quantity.finish().with_precision_and_scale(12, 3)?),
            Arc::new(self.unit_price.finish().with_precision_and_scale(14, 4)?),
            Arc::new(self.amount.finish().with_precision_and_scale(18, 2)?),
            Arc::new(self.days_supply.finish()),
            Arc::new(self.doctor_id.finish()),
        ];
        Ok((
            RecordBatch::try_new(claims_schema.clone(), claims)?,
            RecordBatch::try_new(items_schema.clone(), items)?,
        ))
    }
}
