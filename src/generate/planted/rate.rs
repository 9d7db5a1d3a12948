//! How often the planted cases are repeated: the difference between the
//! clean and the dense profile.

use super::super::options::Profile;

/// A repetition opens a new site and new catalog entries and plays every
/// round of cases; a round played again (see `Kit::replay_from`) adds the
/// same cases for new patients, so the flag rate rises without new
/// providers or entries.
pub struct Rate {
    /// One repetition per this many background patients, and one more.
    patients_per_repeat: u64,
    /// Planted provider ids have five digits: at most this many repetitions.
    max_repeats: u64,
    /// Plays of the catalog, quantity and person cases per repetition.
    pub plays: u32,
    /// Plays of the stay cases: a stay bills a line a day and flags once,
    /// so stays are played less to keep the share of flagged lines up.
    pub stay_plays: u32,
    /// Plays of MUTEX-01's cases: a round of them flags about 19 lines, so
    /// they are played less to keep them one rule among the others.
    pub exclusive_plays: u32,
    /// Planted claims are written out whenever they reach this many lines.
    pub part_lines: usize,
}

impl Rate {
    pub fn of(profile: Profile) -> Rate {
        match profile {
            Profile::Clean => Rate {
                patients_per_repeat: 20_000,
                max_repeats: u64::MAX,
                plays: 1,
                stay_plays: 1,
                exclusive_plays: 1,
                part_lines: usize::MAX,
            },
            // About 0.18 rounds per background patient: each round bills
            // about 130 lines and flags about 46, MUTEX-01's quarter of a
            // round about 8 and 5, the background bills about 17.7 lines a
            // patient and flags none; the stays and UPC-01 add little.
            // Together about a fifth of lines flag.
            Profile::Dense => Rate {
                patients_per_repeat: 500,
                max_repeats: 1_800,
                plays: 100,
                stay_plays: 4,
                exclusive_plays: 25,
                part_lines: 200_000,
            },
        }
    }

    pub fn repeats(&self, patients: u64) -> u64 {
        (1 + patients / self.patients_per_repeat).min(self.max_repeats)
    }
}
