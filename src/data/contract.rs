//! The CHS claims dataset contract (docs/contract.md).
//!
//! Its one definition is the schema file `rulesets/chs/schema.rules`, built
//! into the binary and checked by `crate::check::chs_schema` (data never
//! reads rule files itself); this module names its tables for the code
//! that needs them.

pub const CLAIMS: &str = "claims";
pub const CLAIM_ITEMS: &str = "claim_items";
pub const PATIENTS: &str = "patients";
pub const CATALOG: &str = "catalog";
pub const PROVIDERS: &str = "providers";
