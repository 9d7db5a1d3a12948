//! Files and folders to remove if the process is interrupted (Ctrl-C or
//! SIGTERM): spill folders and half-written outputs. A normal exit removes
//! them by their owners' drops; an interrupt skips drops.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};

static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static HANDLER: Once = Once::new();

/// Removes `path` (a file or a folder) if the process is interrupted
/// before [`forget`] is called for it.
pub fn remove_on_interrupt(path: &Path) {
    HANDLER.call_once(|| {
        // Refused only when another handler is set (none is today): then
        // that handler's own cleanup applies.
        let _ = ctrlc::set_handler(|| {
            if let Ok(live) = LIVE.lock() {
                for path in live.iter() {
                    // The scan may still be writing into a folder: try again
                    // until it is gone (a file can no longer be made in it).
                    for _ in 0..100 {
                        let _ =
                            std::fs::remove_dir_all(path).or_else(|_| std::fs::remove_file(path));
                        if !path.exists() {
                            break;
                        }
                        std::thread::sleep(std::time::Duration::from_millis(10));
                    }
                }
            }
            eprintln!("interrupted; temporary files removed, nothing written");
            std::process::exit(130);
        });
    });
    if let Ok(mut live) = LIVE.lock() {
        live.push(path.to_path_buf());
    }
}

/// `path` is now its owner's to remove (or is the finished output).
pub fn forget(path: &Path) {
    if let Ok(mut live) = LIVE.lock() {
        live.retain(|p| p != path);
    }
}
