//! Exact sums of floating-point measures.
//!
//! Floating-point addition is not associative: added in another order (one
//! partition or four, a window grown or rebuilt) a sum can change in its
//! last bits, and a flag can come and go with the thread count. So a sum
//! is kept exactly, as Shewchuk's non-overlapping partials (the algorithm
//! of Python's `math.fsum`), and rounded once when read: the same value,
//! correctly rounded, whatever the order of the additions and merges.

/// An exact running sum of finite floats.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FloatSum {
    /// Non-overlapping, increasing in magnitude; their exact sum is the
    /// sum of every value added.
    #[serde(with = "f64_bits::many")]
    partials: Vec<f64>,
    /// An intermediate passed the largest finite float.
    overflowed: bool,
}

impl FloatSum {
    pub fn new() -> FloatSum {
        FloatSum::default()
    }

    pub fn add(&mut self, value: f64) {
        let mut x = value;
        let mut kept = 0;
        for j in 0..self.partials.len() {
            let mut y = self.partials[j];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let high = x + y;
            let low = y - (high - x);
            if low != 0.0 {
                self.partials[kept] = low;
                kept += 1;
            }
            x = high;
        }
        if !x.is_finite() {
            self.overflowed = true;
        }
        self.partials.truncate(kept);
        self.partials.push(x);
    }

    /// Whether no value was added (a sum over no values is null).
    pub fn is_empty(&self) -> bool {
        self.partials.is_empty()
    }

    /// Adds another sum's values (a partition's partial sum).
    pub fn merge(&mut self, other: &FloatSum) {
        for &p in &other.partials {
            self.add(p);
        }
        self.overflowed |= other.overflowed;
    }

    /// The exact sum rounded to the nearest float (ties to even), or none
    /// when it does not fit a finite float.
    pub fn value(&self) -> Option<f64> {
        if self.overflowed {
            return None;
        }
        let p = &self.partials;
        let Some(mut n) = p.len().checked_sub(1) else {
            return Some(0.0);
        };
        let mut high = p[n];
        let mut low = 0.0;
        while n > 0 {
            let x = high;
            n -= 1;
            let y = p[n];
            high = x + y;
            low = y - (high - x);
            if low != 0.0 {
                break;
            }
        }
        // Halfway between two floats: the partials below say which way.
        if n > 0 && ((low < 0.0 && p[n - 1] < 0.0) || (low > 0.0 && p[n - 1] > 0.0)) {
            let y = low * 2.0;
            let x = high + y;
            if y == x - high {
                high = x;
            }
        }
        // One zero, whatever the signs of the values.
        Some(high + 0.0)
    }
}

/// The exact sum of `values`, rounded once.
pub fn exact_sum(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    let mut sum = FloatSum::new();
    values.into_iter().for_each(|v| sum.add(v));
    sum.value()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Floats `m * 2^e` with small exponents: their exact sum fits an
    /// i128 at scale 2^-64, whose conversion `as f64` rounds correctly.
    fn scaled() -> impl Strategy<Value = i128> {
        (-(1i64 << 53)..(1i64 << 53), -64i32..=0)
            .prop_map(|(m, e)| i128::from(m) << (e + 64) as u32)
    }

    fn float_of(scaled: i128) -> f64 {
        scaled as f64 / 2f64.powi(64)
    }

    proptest! {
        #[test]
        fn sums_are_the_exact_sum_rounded_once(values in prop::collection::vec(scaled(), 0..40)) {
            let exact: i128 = values.iter().sum();
            let got = exact_sum(values.iter().map(|&v| float_of(v)));
            prop_assert_eq!(got, Some(float_of(exact)));
        }

        #[test]
        fn merged_parts_give_the_whole(values in prop::collection::vec(scaled(), 0..40), cut in 0usize..40) {
            let floats: Vec<f64> = values.iter().map(|&v| float_of(v)).collect();
            let cut = cut.min(floats.len());
            let mut left = FloatSum::new();
            floats[..cut].iter().rev().for_each(|&v| left.add(v));
            let mut right = FloatSum::new();
            floats[cut..].iter().for_each(|&v| right.add(v));
            right.merge(&left);
            prop_assert_eq!(right.value(), exact_sum(floats.iter().copied()));
        }

        #[test]
        fn taking_a_value_out_undoes_adding_it(values in prop::collection::vec(scaled(), 1..40)) {
            let floats: Vec<f64> = values.iter().map(|&v| float_of(v)).collect();
            let mut sum = FloatSum::new();
            floats.iter().for_each(|&v| sum.add(v));
            sum.add(-floats[0]);
            prop_assert_eq!(sum.value(), exact_sum(floats[1..].iter().copied()));
        }
    }

    #[test]
    fn naive_addition_would_lose_what_exact_sums_keep() {
        let values = [1e16, 1.0, -1e16, 1.0];
        assert_eq!(values.iter().sum::<f64>(), 1.0);
        assert_eq!(exact_sum(values), Some(2.0));
        assert_eq!(exact_sum([0.1, 0.2, 0.3]), Some(0.6));
        assert_eq!(exact_sum([0.3, 0.2, 0.1]), Some(0.6));
    }

    #[test]
    fn halfway_cases_round_to_even() {
        // 1 + 2^-53 is halfway between 1 and the next float: ties to 1;
        // a further 2^-106 pushes it up.
        let half_ulp = 2f64.powi(-53);
        assert_eq!(exact_sum([1.0, half_ulp]), Some(1.0));
        assert_eq!(
            exact_sum([1.0, half_ulp, 2f64.powi(-106)]),
            Some(1.0 + 2.0 * half_ulp)
        );
    }

    #[test]
    fn empty_and_cancelled_sums_are_zero_and_overflow_is_none() {
        assert_eq!(exact_sum([]), Some(0.0));
        assert!(exact_sum([-0.0]).unwrap().is_sign_positive());
        assert_eq!(exact_sum([f64::MAX, f64::MAX]), None);
    }
}

/// Floats written as their bits, so a partial sum sent between processes
/// comes back exactly (text would round, and could not hold infinities).
pub mod f64_bits {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(value.to_bits())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        u64::deserialize(d).map(f64::from_bits)
    }

    pub mod many {
        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<S: Serializer>(values: &[f64], s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(values.iter().map(|v| v.to_bits()))
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
            Vec::<u64>::deserialize(d).map(|bits| bits.into_iter().map(f64::from_bits).collect())
        }
    }
}
