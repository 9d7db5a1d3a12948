//! `claimaudit fmt`: rewrite rule files in the one canonical layout.

use std::path::PathBuf;

use crate::syntax::format::format_source;
use crate::syntax::{Decoded, Sources, decode_source, find_rule_files, not_utf8, with_large_stack};

#[derive(clap::Args)]
#[command(
    about = "Rewrite rule files in the canonical layout (or, with --check, list those that differ).",
    long_about = "Rewrite `.rules` files in the canonical layout: clauses in their standard order,\n\
    columns aligned, two-space indentation, comments kept. Without PATHS, formats `rulesets/`.\n\n\
    With --check nothing is written: the files that would change are listed.\n\n\
    Exit codes: 0 all formatted, 1 (with --check) some files would change, 2 could not run\n\
    (a file with a syntax error is left as it is)."
)]
pub struct FmtArgs {
    /// Rule files or folders of them.
    paths: Vec<PathBuf>,
    /// Only report files that are not formatted.
    #[arg(long)]
    check: bool,
}

pub fn run(args: &FmtArgs) -> Result<u8, String> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("rulesets")]
    } else {
        args.paths.clone()
    };
    let files = find_rule_files(&paths).map_err(|e| e.to_string())?;
    if files.is_empty() {
        return Err("no `.rules` files found".into());
    }
    let mut unformatted = 0;
    let mut failed = 0;
    for path in &files {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut sources = Sources::default();
        let formatted = match decode_source(bytes.clone()) {
            Decoded::Text(text) => {
                let id = sources.add(path, text.clone());
                with_large_stack(|| format_source(id, &text))
            }
            Decoded::NotUtf8 { lossy, at, byte } => {
                let id = sources.add(path, lossy);
                Err(not_utf8(id, at, byte))
            }
        };
        match formatted {
            Err(diagnostic) => {
                eprint!("{}", diagnostic.render(&sources));
                failed += 1;
            }
            // The canonical layout is UTF-8 without a byte-order mark.
            Ok(formatted) if formatted.as_bytes() == bytes => {}
            Ok(formatted) => {
                unformatted += 1;
                if args.check {
                    println!("would reformat {}", path.display());
                } else {
                    std::fs::write(path, formatted)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    println!("formatted {}", path.display());
                }
            }
        }
    }
    if failed > 0 {
        eprintln!("{failed} file(s) not formatted because of syntax errors");
        return Ok(super::EXIT_FAILURE);
    }
    Ok(if args.check && unformatted > 0 {
        super::EXIT_FINDINGS
    } else {
        0
    })
}
