//! Files and folders to remove if the process is interrupted (Ctrl-C or
//! SIGTERM): spill folders and half-written outputs. A normal exit removes
//! them by their owners' drops; an interrupt skips drops.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};

static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static HANDLER: Once = Once::new();

/// Makes a file or folder with `make` and removes it (at `path_of`) if the
/// process is interrupted before [`forget`] is called for it.
///
/// Making and registering happen under the lock the interrupt handler
/// holds until the process exits: a path made while the handler runs would
/// otherwise be left behind, unregistered.
pub fn make_removed_on_interrupt<T, E>(
    make: impl FnOnce() -> Result<T, E>,
    path_of: impl FnOnce(&T) -> PathBuf,
) -> Result<T, E> {
    install_handler();
    let mut live = LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let made = make()?;
    live.push(path_of(&made));
    Ok(made)
}

fn install_handler() {
    HANDLER.call_once(|| {
        // Refused only when another handler is set (none is today): then
        // that handler's own cleanup applies.
        let _ = ctrlc::set_handler(|| {
            let live = LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            for path in live.iter() {
                // The scan may still be writing into a folder: try again
                // until it is gone (a file can no longer be made in it).
                for _ in 0..100 {
                    let _ = std::fs::remove_dir_all(path).or_else(|_| std::fs::remove_file(path));
                    if !path.exists() {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
            }
            // The lock is still held: nothing new is made before the exit.
            eprintln!("interrupted; temporary files removed, nothing written");
            std::process::exit(130);
        });
    });
}

/// Removes the folder at `path` now and forgets it. Under the lock, so an
/// interrupt meanwhile waits and cannot exit half-way through the removal.
pub fn remove_now(path: &Path) {
    let mut live = LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let _ = std::fs::remove_dir_all(path);
    live.retain(|p| p != path);
}

/// `path` is now its owner's to remove (or is the finished output).
pub fn forget(path: &Path) {
    if let Ok(mut live) = LIVE.lock() {
        live.retain(|p| p != path);
    }
}
