//! The sums whole-market (整体法) valuation is a ratio of, per (sector, day) cell, in one pass.
//!
//! PE = Σ cap / Σ earnings and PB = Σ cap / Σ book over a group's members; which members count
//! depends on the rule for losses, so the pass keeps the sums every rule needs. Each cell is
//! summed in row order by one thread (see [`crate::cell_sums`]): the same sums on any number
//! of threads.

use crate::cell_sums::{CellSums, Cells, cell_fold, same_length};
use crate::error::KernelError;

/// The sums of each cell, in order (`VALUATION_SUMS[c]` names `sums[cell * width + c]`).
pub const VALUATION_SUMS: [&str; 10] = [
    "mcap",
    "earnings_mcap",
    "earnings",
    "profit_mcap",
    "profit",
    "book_mcap",
    "book",
    "loss_makers",
    "amount",
    "float_mcap",
];

/// Stock rows: a sector code and a day per row, and the values; NaN and ±inf are missing.
#[derive(Clone, Copy, Debug)]
pub struct ValuationRows<'a> {
    /// Sector codes `< keys`; a negative code leaves the row out.
    pub key: &'a [i64],
    /// Days since 1970-01-01.
    pub day: &'a [i32],
    /// Total market cap; a row without one adds to no valuation sum.
    pub mcap: &'a [f64],
    /// Trailing twelve months' earnings.
    pub earnings: &'a [f64],
    /// Book equity.
    pub book: &'a [f64],
    pub amount: Option<&'a [f64]>,
    pub float_mcap: Option<&'a [f64]>,
}

/// Per (sector, day) cell, with `c` a member's cap, `e` its earnings, `b` its book::
///
/// ```text
/// mcap          Σ c                          members with a cap
/// earnings_mcap Σ c, earnings  Σ e           members with a cap and earnings
/// profit_mcap   Σ c, profit    Σ e           of those, e > 0
/// book_mcap     Σ c, book      Σ b           members with a cap and a book value
/// loss_makers   #(e <= 0)                    members with a cap and earnings
/// amount, float_mcap                         Σ over members with a value
/// ```
///
/// Cell-major: `sums[(key * days + d) * 10 + c]`, `rows[key * days + d]` (every row counts).
pub fn valuation_sums(
    rows: &ValuationRows<'_>,
    first_day: i32,
    days: usize,
    keys: usize,
) -> Result<CellSums, KernelError> {
    let n = rows.key.len();
    same_length("mcap", n, rows.mcap.len())?;
    same_length("earnings", n, rows.earnings.len())?;
    same_length("book", n, rows.book.len())?;
    same_length("amount", n, rows.amount.map_or(n, <[f64]>::len))?;
    same_length("float_mcap", n, rows.float_mcap.map_or(n, <[f64]>::len))?;
    let cells = Cells {
        key: rows.key,
        day: rows.day,
        first_day,
        days,
        keys,
    };
    cell_fold(&cells, VALUATION_SUMS.len(), |i, s| {
        for (slot, column) in [(8, rows.amount), (9, rows.float_mcap)] {
            if let Some(x) = column.map(|c| c[i]).filter(|x| x.is_finite()) {
                s[slot] += x;
            }
        }
        let cap = rows.mcap[i];
        if !cap.is_finite() {
            return;
        }
        s[0] += cap;
        let e = rows.earnings[i];
        if e.is_finite() {
            s[1] += cap;
            s[2] += e;
            if e > 0.0 {
                s[3] += cap;
                s[4] += e;
            } else {
                s[7] += 1.0;
            }
        }
        let b = rows.book[i];
        if b.is_finite() {
            s[5] += cap;
            s[6] += b;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rule_has_its_sums() {
        let nan = f64::NAN;
        let rows = ValuationRows {
            key: &[0, 0, 0, 0, 1],
            day: &[5, 5, 5, 5, 5],
            mcap: &[10.0, 20.0, 30.0, nan, 7.0],
            earnings: &[1.0, -2.0, nan, 5.0, 0.0],
            book: &[4.0, 5.0, 6.0, 1.0, nan],
            amount: Some(&[1.0, 1.0, 1.0, 1.0, nan]),
            float_mcap: None,
        };
        let out = valuation_sums(&rows, 5, 1, 2).unwrap();
        assert_eq!(out.rows, vec![4, 1]);
        let sector = |k: usize| &out.sums[k * 10..(k + 1) * 10];
        // cap, e_cap, e, p_cap, p, b_cap, b, losses, amount, float cap
        assert_eq!(
            sector(0),
            [60.0, 30.0, -1.0, 10.0, 1.0, 60.0, 15.0, 1.0, 4.0, 0.0]
        );
        assert_eq!(
            sector(1),
            [7.0, 7.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0]
        );
    }
}
