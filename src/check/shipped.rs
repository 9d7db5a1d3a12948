//! The shipped rulesets, built into the binary so `scan` and `serve` work
//! from any folder. A test keeps this list equal to the files in
//! rulesets/chs/ (rulesets/examples/ holds examples, not shipped).

/// (path, text) of every file of the shipped CHS ruleset, in path order.
pub const SHIPPED: &[(&str, &str)] = &[
    (
        "rulesets/chs/billing.rules",
        include_str!("../../rulesets/chs/billing.rules"),
    ),
    (
        "rulesets/chs/catalog.rules",
        include_str!("../../rulesets/chs/catalog.rules"),
    ),
    (
        "rulesets/chs/knowledge.rules",
        include_str!("../../rulesets/chs/knowledge.rules"),
    ),
    (
        "rulesets/chs/parameters.rules",
        include_str!("../../rulesets/chs/parameters.rules"),
    ),
    (
        "rulesets/chs/patients.rules",
        include_str!("../../rulesets/chs/patients.rules"),
    ),
    (
        "rulesets/chs/ruleset.rules",
        include_str!("../../rulesets/chs/ruleset.rules"),
    ),
    (
        "rulesets/chs/schema.rules",
        include_str!("../../rulesets/chs/schema.rules"),
    ),
    (
        "rulesets/chs/stays.rules",
        include_str!("../../rulesets/chs/stays.rules"),
    ),
    (
        "rulesets/chs/upcoding.rules",
        include_str!("../../rulesets/chs/upcoding.rules"),
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_matches_the_rulesets_folder() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/");
        let found =
            crate::syntax::find_rule_files(&[format!("{root}rulesets/chs").into()]).unwrap();
        let found: Vec<String> = found
            .iter()
            .map(|p| p.to_string_lossy().trim_start_matches(root).to_string())
            .collect();
        let listed: Vec<&str> = SHIPPED.iter().map(|(p, _)| *p).collect();
        assert_eq!(found, listed);
        for (path, text) in SHIPPED {
            assert_eq!(
                std::fs::read_to_string(format!("{root}{path}")).unwrap(),
                *text
            );
        }
    }
}
