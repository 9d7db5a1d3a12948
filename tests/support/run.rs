//! Running the real binary from the repository's root, as a user would
//! (`#[path = "support/run.rs"] mod run;`: the rest of `support` is not
//! compiled into every test).

use std::process::Command;

/// Runs `claimaudit ARGS` and returns its exit code, stdout and stderr.
pub fn claimaudit(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_claimaudit"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
