//! Money and quantities as scaled integers, exactly as the contract's
//! decimals store them, so sums and roundings are exact.

/// `unit_price` and `price_cap`: Decimal128(14,4), in ten-thousandths of a yuan.
pub const PRICE_SCALE: i64 = 10_000;
/// `quantity` and `max_daily_qty`: Decimal128(12,3), in thousandths.
pub const QTY_SCALE: i64 = 1_000;
/// Amounts: Decimal128(18,2), in fen (cents).
pub const YUAN: i64 = 100;

/// `quantity × unit_price` rounded half-up to cents (both are positive).
pub fn line_amount(quantity: i64, unit_price: i64) -> i64 {
    // thousandths × ten-thousandths = scale 7; cents are scale 2. The
    // product fits in 64 bits for any real line; 128 only when it does not.
    match quantity
        .checked_mul(unit_price)
        .and_then(|x| x.checked_add(50_000))
    {
        Some(exact) => exact / 100_000,
        None => ((i128::from(quantity) * i128::from(unit_price) + 50_000) / 100_000) as i64,
    }
}

/// A price given in fen as a unit price (ten-thousandths).
pub const fn fen(fen: i64) -> i64 {
    fen * (PRICE_SCALE / YUAN)
}

/// Whole units as a quantity.
pub const fn units(n: i64) -> i64 {
    n * QTY_SCALE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_amounts_round_half_up_to_cents() {
        assert_eq!(line_amount(units(3), fen(1_250)), 3_750);
        // 1.5 × 0.0333 = 0.04995 -> 0.05
        assert_eq!(line_amount(1_500, 333), 5);
        // 1 × 0.0049 = 0.0049 -> 0.00
        assert_eq!(line_amount(units(1), 49), 0);
        // 1 × 798.0001 -> 798.00
        assert_eq!(line_amount(units(1), 7_980_001), 79_800);
        assert_eq!(
            line_amount(units(1_000_000), 1_000_000_000_000),
            10_000_000_000_000_000
        );
    }
}
