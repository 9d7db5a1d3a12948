//! Random streams: every part of the dataset draws from its own generator
//! seeded from (seed, stream, index), so output never depends on how many
//! threads ran or in which order chunks finished.

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;

pub type GenRng = Pcg64Mcg;

/// What a random stream is for; part of its seed.
#[derive(Debug, Clone, Copy)]
pub enum Stream {
    /// Regions, providers and the catalog.
    World = 1,
    /// The planted cases and their reference rows.
    Planted = 2,
    /// One chunk of background patients (index = chunk number).
    Chunk = 3,
    /// The copies of a ruleset's tests planted with `--plant`.
    RuleTests = 4,
    /// The background rows of the knowledge base of exclusive items.
    Knowledge = 5,
}

/// SplitMix64's finaliser: spreads nearby seeds over the whole state space.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

pub fn stream_rng(seed: u64, stream: Stream, index: u64) -> GenRng {
    GenRng::seed_from_u64(mix(mix(mix(seed) ^ stream as u64) ^ index))
}

/// A uniformly chosen element of a non-empty slice.
pub fn pick<'a, T>(rng: &mut GenRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// An index chosen with probability proportional to `weights` (not all zero).
pub fn weighted(rng: &mut GenRng, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut roll = rng.random_range(0..total);
    for (i, &w) in weights.iter().enumerate() {
        if roll < w {
            return i;
        }
        roll -= w;
    }
    weights.len() - 1
}
