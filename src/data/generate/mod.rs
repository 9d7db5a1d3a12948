//! The synthetic dataset generator (`claimaudit gen`).

mod options;

pub use options::{GenError, GenOptions, GenSummary};

/// Writes a dataset into `options.out`; `progress` is called (from any thread)
/// with the number of background patients just finished.
pub fn generate(
    options: &GenOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<GenSummary, GenError> {
    let _ = progress;
    Err(GenError::NotEmpty {
        path: options.out.clone(),
    })
}
