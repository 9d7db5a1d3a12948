//! One chunk of background patients: drawn from its own random stream,
//! written to its own part files, so chunks run in parallel and the output
//! does not depend on the thread count.

use std::path::Path;

use arrow::record_batch::RecordBatch;

use super::background::Background;
use super::claim_tables::ClaimTables;
use super::options::GenError;
use super::patients::draw_patient;
use super::reference_tables::{PatientTable, Schemas};
use super::rng::{Stream, stream_rng};
use super::world::World;
use super::write::{arrow_error, part_path, write_parquet};
use crate::data::contract::{CLAIM_ITEMS, CLAIMS};

/// Patients per chunk (and per part file).
pub const CHUNK_PATIENTS: u64 = 10_000;

/// What a written part holds.
pub struct PartCounts {
    pub claims: u64,
    pub lines: u64,
}

pub struct ChunkOutput {
    pub patients: RecordBatch,
    pub counts: PartCounts,
}

/// Generates and writes chunk `index` of `total` background patients.
pub fn run_chunk(
    world: &World,
    schemas: &Schemas,
    out: &Path,
    seed: u64,
    index: u64,
    total: u64,
) -> Result<ChunkOutput, GenError> {
    let first = index * CHUNK_PATIENTS;
    let end = total.min(first + CHUNK_PATIENTS);
    let size = (end - first) as usize;
    let mut background = Background::new(world, stream_rng(seed, Stream::Chunk, index), size);
    let mut people = PatientTable::with_capacity(size);
    for patient_index in first..end {
        let patient = draw_patient(background.rng(), patient_index);
        people.push(&patient, background.rng());
        background.patient(&patient);
    }
    let counts = write_claims_part(out, index as usize, background.finish(), schemas)?;
    let patients = people
        .finish(&schemas.patients)
        .map_err(arrow_error(&out.join("patients.parquet")))?;
    Ok(ChunkOutput { patients, counts })
}

/// Writes part `index` of `claims` and `claim_items`.
pub fn write_claims_part(
    out: &Path,
    index: usize,
    tables: ClaimTables,
    schemas: &Schemas,
) -> Result<PartCounts, GenError> {
    let claims_path = part_path(out, CLAIMS, index);
    let items_path = part_path(out, CLAIM_ITEMS, index);
    let counts = PartCounts {
        claims: tables.claims() as u64,
        lines: tables.lines() as u64,
    };
    let (claims, items) = tables
        .finish(&schemas.claims, &schemas.claim_items)
        .map_err(arrow_error(&claims_path))?;
    write_parquet(&claims_path, &schemas.claims, &[claims])?;
    write_parquet(&items_path, &schemas.claim_items, &[items])?;
    Ok(counts)
}
