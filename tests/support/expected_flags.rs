//! A fixture's `expected_flags.csv`, read as the scan tests compare it
//! (`#[path = "support/expected_flags.rs"] mod expected_flags;`).

use std::collections::BTreeSet;
use std::path::Path;

/// (rule_id, claim_id, line_no, provider_id, amount_at_stake), as text.
pub type Identity = (String, String, String, String, String);

/// The flags `dir/expected_flags.csv` lists (its first five columns).
pub fn expected(dir: &Path) -> BTreeSet<Identity> {
    let mut reader = csv::Reader::from_path(dir.join("expected_flags.csv")).unwrap();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[0].to_string(),
                r[1].to_string(),
                r[2].to_string(),
                r[3].to_string(),
                r[4].to_string(),
            )
        })
        .collect()
}
