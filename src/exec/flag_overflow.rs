//! Where a partition's flags go before it ends, once they outgrow a share
//! of the memory limit. One patient with a long history gives hundreds of
//! thousands of flags, each naming up to twenty other rows: held to the
//! end of its rule, one rule's flags passed the limit on their own.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

use super::merge::merge_flags_as;
use crate::flags::FlagBatch;
use crate::ir::{Rule, Ruleset};

pub struct FlagOverflow<'s> {
    /// Bytes of flags held past which they are handed over.
    bytes: usize,
    /// The rules whose flags may go in pieces while the rule is still
    /// making them (the plan's `flags_in_pieces`): no two of their flags
    /// are equal in the output order, so the pieces sort alike whatever
    /// order they arrive in.
    in_pieces: HashSet<&'s str>,
    /// Takes flags not yet ordered, from any task; `true` when called
    /// between rules (no task of the pool running), `false` from inside one.
    sink: &'s (dyn Fn(Vec<FlagBatch>, bool) + Sync),
    /// Such flags handed over by the tasks of the rule running, and their
    /// bytes: gathered here, the many small renders of a rule count
    /// together.
    made: Mutex<(Vec<FlagBatch>, usize)>,
}

impl<'s> FlagOverflow<'s> {
    pub fn new(
        bytes: usize,
        in_pieces: HashSet<&'s str>,
        sink: &'s (dyn Fn(Vec<FlagBatch>, bool) + Sync),
    ) -> FlagOverflow<'s> {
        FlagOverflow {
            bytes,
            in_pieces,
            sink,
            made: Mutex::default(),
        }
    }

    /// Hands `flags` (of whole rules) to the sink, with those gathered
    /// from the rules that ran, if they hold more than the bytes allowed.
    /// Each rule's flags that may not go in pieces go whole, merged as
    /// the partition's would be, so the output is the same.
    pub fn offer(&self, ruleset: &Ruleset, flags: &mut Vec<Vec<FlagBatch>>) {
        flags.push(self.gathered());
        let held: usize = flags.iter().flatten().map(FlagBatch::memory_bytes).sum();
        if held > self.bytes {
            tracing::debug!(
                held_mib = held >> 20,
                "flags of the rules done so far pushed"
            );
            let batches: Vec<FlagBatch> = std::mem::take(flags).into_iter().flatten().collect();
            (self.sink)(merge_flags_as(ruleset, batches), true);
        }
    }

    /// The flags gathered and not yet pushed.
    pub fn gathered(&self) -> Vec<FlagBatch> {
        let mut gathered = self.lock();
        gathered.1 = 0;
        std::mem::take(&mut gathered.0)
    }

    /// Whether `rule`'s flags may be handed over while it runs.
    pub fn takes_pieces_of(&self, rule: &Rule) -> bool {
        self.in_pieces.contains(rule.id.as_str())
    }

    /// Takes `made` (flags of a rule [`FlagOverflow::takes_pieces_of`]
    /// accepts), and pushes what was gathered once it holds more than the
    /// bytes allowed.
    pub fn take_pieces(&self, made: Vec<FlagBatch>) {
        let bytes: usize = made.iter().map(FlagBatch::memory_bytes).sum();
        let full = {
            let mut gathered = self.lock();
            gathered.0.extend(made);
            gathered.1 += bytes;
            if gathered.1 <= self.bytes {
                return;
            }
            gathered.1 = 0;
            std::mem::take(&mut gathered.0)
        };
        tracing::debug!(flags = full.len(), "flags of a rule pushed as made");
        (self.sink)(full, false);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (Vec<FlagBatch>, usize)> {
        self.made.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::Flag;

    fn flags(n: usize) -> Vec<Flag> {
        use proptest::strategy::{Strategy, ValueTree};
        let strategy = proptest::collection::vec(crate::flags::record::arbitrary_flag(), n);
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        strategy.new_tree(&mut runner).unwrap().current()
    }

    #[test]
    fn pieces_are_pushed_once_they_pass_the_bytes_and_the_rest_is_gathered() {
        let checked = crate::check::check_shipped();
        let ruleset = checked.ruleset.as_ref().unwrap();
        let batch = |flags: &[Flag]| vec![FlagBatch::from_flags(flags)];
        // Batches of the same ten flags, alike in bytes.
        let ten = flags(10);
        let one = FlagBatch::from_flags(&ten).memory_bytes();
        let pushed: Mutex<Vec<(usize, bool)>> = Mutex::default();
        let sink = |flags: Vec<FlagBatch>, between_rules: bool| {
            let n = flags.iter().map(FlagBatch::len).sum();
            pushed.lock().unwrap().push((n, between_rules));
        };
        let overflow = FlagOverflow::new(one * 3 / 2, HashSet::from(["DUP-01"]), &sink);
        let dup = ruleset.rules.iter().find(|r| r.id == "DUP-01").unwrap();
        let upc = ruleset.rules.iter().find(|r| r.id == "UPC-01").unwrap();
        assert!(overflow.takes_pieces_of(dup) && !overflow.takes_pieces_of(upc));
        // Ten flags stay gathered; twenty pass the bytes and go together.
        overflow.take_pieces(batch(&ten));
        assert!(pushed.lock().unwrap().is_empty());
        overflow.take_pieces(batch(&ten));
        assert_eq!(*pushed.lock().unwrap(), vec![(20, false)]);
        // What is gathered joins the flags offered between rules, and
        // stays with them while they hold less than the bytes allowed.
        overflow.take_pieces(batch(&ten));
        let mut held = Vec::new();
        overflow.offer(ruleset, &mut held);
        assert_eq!(held.iter().flatten().map(FlagBatch::len).sum::<usize>(), 10);
        overflow.take_pieces(batch(&ten));
        overflow.offer(ruleset, &mut held);
        assert!(held.is_empty());
        assert_eq!(*pushed.lock().unwrap(), vec![(20, false), (20, true)]);
        assert!(overflow.gathered().is_empty());
    }
}
