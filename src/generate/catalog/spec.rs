//! The shape of the static catalog tables: what each drug, service and
//! material is, how the background uses it and which restrictions it carries.

use super::super::model::{Gender, PayClass};

/// How the background bills an item; decides quantity, days' supply and day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Usage {
    /// Taken long term: 30-day refills.
    Chronic,
    /// A short oral course of a few days.
    Acute,
    /// Given on the ward, billed per day; no days' supply.
    Ward,
    /// Creams and the like: no days' supply.
    Topical,
    /// An outpatient consultation fee (family `consult`).
    Consult,
    /// One unit per ward day: bed, nursing, ward rounds.
    Daily,
    /// A laboratory test or an imaging study.
    Test,
    /// A treatment or an operation.
    Procedure,
    /// Billed in hours (oxygen).
    Hourly,
    /// A consumable.
    Material,
}

/// Catalog restrictions (限定支付范围) shared by every entry made from a spec.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub dx: Option<&'static [&'static str]>,
    pub gender: Option<Gender>,
    pub min_age: Option<i32>,
    pub max_age: Option<i32>,
    pub level: Option<i32>,
    /// Most whole units a day.
    pub daily: Option<i64>,
    /// Most days' supply on one line.
    pub days: Option<i32>,
    /// A national volume-based procurement price: the cap is the price.
    pub capped: bool,
}

pub const FREE: Limit = Limit {
    dx: None,
    gender: None,
    min_age: None,
    max_age: None,
    level: None,
    daily: None,
    days: None,
    capped: false,
};

pub struct DrugSpec {
    /// The molecule or product name; the entry name adds the form.
    pub name: &'static str,
    /// `X` (western) or `Z` (Chinese patent medicine) and the ATC group: the
    /// head of the national drug code.
    pub atc: &'static str,
    pub forms: &'static [&'static str],
    /// Price range per billing unit (box, vial), in fen.
    pub fen: (i64, i64),
    pub class: PayClass,
    pub usage: Usage,
    pub limit: Limit,
}

pub struct ServiceSpec {
    pub name: &'static str,
    /// The first six digits of the 15-digit service code (its chapter).
    pub chapter: &'static str,
    /// Price at a level-3 hospital, in fen.
    pub fen: i64,
    pub class: PayClass,
    pub usage: Usage,
    /// (family, tier) for tiered items such as consultations.
    pub family: Option<(&'static str, i32)>,
    pub limit: Limit,
}

pub struct MaterialSpec {
    pub name: &'static str,
    /// Four digits after the leading `C` of the 20-character material code.
    pub class_code: &'static str,
    /// Sizes; each gives its own entries.
    pub sizes: &'static [&'static str],
    pub fen: i64,
    pub class: PayClass,
    pub limit: Limit,
}
