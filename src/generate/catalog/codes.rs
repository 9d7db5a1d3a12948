//! National insurance codes (医保编码) in their real shapes: 23-character drug
//! codes, 15-digit service codes and 20-character material codes.
//!
//! Background items use low item numbers; planted items use 900+ (drugs,
//! materials) and 90000+ (services); codes that must be absent from the
//! catalog use the top of those ranges, so the three never collide. Codes
//! only the knowledge base of exclusive items names (never in the catalog,
//! never billed) take the ranges between.

use rand::RngExt;

use super::super::rng::GenRng;

/// First item numbers of planted entries and of codes never in the catalog.
pub const PLANTED_DRUG: usize = 900;
pub const ABSENT_DRUG: usize = 990;
pub const PLANTED_SERVICE: usize = 90_000;
pub const ABSENT_SERVICE: usize = 99_000;
pub const PLANTED_MATERIAL: usize = 900;
pub const ABSENT_MATERIAL: usize = 990;
/// First item numbers of codes only the knowledge base names: items it
/// lists pairs for, and (services only) their partners, up to the planted.
pub const KNOWLEDGE_DRUG: usize = 500;
pub const KNOWLEDGE_MATERIAL: usize = 500;
pub const KNOWLEDGE_SERVICE: usize = 10_000;
pub const KNOWLEDGE_PARTNER_SERVICE: usize = 50_000;

/// e.g. `XA10BAE054A001010100000`: class and ATC group, form letter,
/// molecule, specification and maker.
pub fn drug_code(atc: &str, molecule: usize, form: usize, maker: u32, rng: &mut GenRng) -> String {
    let letter = char::from(b'A' + ((molecule + form) % 8) as u8);
    let maker = 10_100_000 + maker * 10_000 + rng.random_range(0..10_000);
    format!("{atc}{letter}{molecule:03}A{:03}{maker:09}", form + 1)
}

/// e.g. `001102000010000`: chapter, item and version.
pub fn service_code(chapter: &str, item: usize, version: usize) -> String {
    format!("{chapter}{item:05}{version:04}")
}

/// e.g. `C0101010010100012345`: class, item, size and maker.
pub fn material_code(
    class_code: &str,
    item: usize,
    size: usize,
    maker: usize,
    rng: &mut GenRng,
) -> String {
    let tail = (size * 100 + maker) * 100_000_000 + rng.random_range(0..100_000_000);
    format!("C{class_code}{item:03}{tail:012}")
}
