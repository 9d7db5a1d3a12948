use super::format::format_file;
use super::parse::parse_file;
use super::span::FileId;

#[test]
fn dump() {
    for p in ["rulesets/chs/schema.rules", "tests/data/sample.rules"] {
        let text = std::fs::read_to_string(format!("{}/{p}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let f = parse_file(FileId(0), &text).unwrap();
        let out = format_file(&f);
        println!("{out}=====");
        let again = parse_file(FileId(0), &out).unwrap();
        assert_eq!(again, f);
        assert_eq!(format_file(&again), out);
    }
}
