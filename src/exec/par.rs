//! Pieces of a run side by side on the current pool, or one after the
//! other on the caller's thread. A scan spreads its work over the pool; a
//! real-time check runs on the thread that asked for it: its work is too
//! small to hand to other threads (waking one costs more than most rules),
//! and a service runs many checks at once, which is its parallelism.

use rayon::prelude::*;

/// `f` of each item, in order.
pub fn map<T: Send, R: Send>(
    parallel: bool,
    items: Vec<T>,
    f: impl Fn(T) -> R + Sync + Send,
) -> Vec<R> {
    if parallel {
        items.into_par_iter().map(f).collect()
    } else {
        items.into_iter().map(f).collect()
    }
}

/// What `f` yields for each item, in order.
pub fn flat_map<T: Send, R: Send, I: IntoIterator<Item = R>>(
    parallel: bool,
    items: Vec<T>,
    f: impl Fn(T) -> I + Sync + Send,
) -> Vec<R> {
    if parallel {
        items.into_par_iter().flat_map_iter(f).collect()
    } else {
        items.into_iter().flat_map(f).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_ways_give_the_same_items_in_order() {
        let items: Vec<u32> = (0..1000).collect();
        for parallel in [true, false] {
            assert_eq!(map(parallel, items.clone(), |i| i * 2)[999], 1998);
            let pairs = flat_map(parallel, items.clone(), |i| [i, i]);
            assert_eq!(pairs.len(), 2000);
            assert!(pairs.windows(2).all(|w| w[0] <= w[1]));
        }
    }
}
