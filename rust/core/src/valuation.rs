//! The sums whole-market (整体法) valuation is a ratio of, per (sector, day) cell, in one pass.
//!
//! PE = Σ cap / Σ earnings and PB = Σ cap / Σ book over a group's members; which members count
//! depends on the rule for losses, so the pass keeps the sums every rule needs.
//!
//! The pass codes the sector strings and adds the values in the same read of each row. Rows are
//! cut into pieces of a fixed size ([`PIECE`] rows, whatever the number of threads); each piece
//! is summed in row order into its own cells, and the pieces' cells are added in piece order.
//! So the sums are the same to the bit on any number of threads.

use rayon::prelude::*;

use crate::codes::{Codes, KeyColumn};
use crate::error::KernelError;
use crate::threads::{install, min_len};

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
const WIDTH: usize = VALUATION_SUMS.len();

/// Rows per piece: the unit of work, and of the order sums are added in.
pub const PIECE: usize = 1 << 20;

/// Stock rows: a sector and a day per row, and the values; NaN and ±inf are missing.
#[derive(Clone, Copy)]
pub struct ValuationRows<'a, C: KeyColumn> {
    /// Sector names; a null leaves the row out.
    pub sector: &'a C,
    /// Days since 1970-01-01, in `first_day..first_day + days`.
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

/// Sums and row counts per (sector, day) cell, and the sectors in first-seen order.
#[derive(Debug, Clone, Default)]
pub struct ValuationSums {
    /// Cell-major: `sums[(sector * days + d) * VALUATION_SUMS.len() + c]`.
    pub sums: Vec<f64>,
    /// `rows[sector * days + d]`: every row with the sector that day.
    pub rows: Vec<u32>,
    pub sectors: Vec<String>,
}

/// One piece's sums: its sectors (local codes), its days `lo..lo + span`, its cells.
struct Piece {
    codes: Codes,
    lo: i64,
    span: usize,
    sums: Vec<f64>,
    rows: Vec<u32>,
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
pub fn valuation_sums<C: KeyColumn>(
    rows: &ValuationRows<'_, C>,
    first_day: i32,
    days: usize,
) -> Result<ValuationSums, KernelError> {
    let column = rows.sector;
    let n: usize = (0..column.parts()).map(|p| column.part_len(p)).sum();
    KernelError::same_lengths(
        n,
        &[
            ("day", rows.day.len()),
            ("mcap", rows.mcap.len()),
            ("earnings", rows.earnings.len()),
            ("book", rows.book.len()),
            ("amount", rows.amount.map_or(n, <[f64]>::len)),
            ("float_mcap", rows.float_mcap.map_or(n, <[f64]>::len)),
        ],
    )?;
    // (part, start, end, first row of the piece in the column)
    let mut pieces = Vec::new();
    let mut offset = 0;
    for p in 0..column.parts() {
        let len = column.part_len(p);
        for start in (0..len).step_by(PIECE) {
            pieces.push((p, start, len.min(start + PIECE), offset));
        }
        offset += len;
    }
    let done = install(|| {
        pieces
            .par_iter()
            .with_min_len(min_len())
            .map(|&(p, start, stop, at)| sum_piece(rows, p, start..stop, at, (first_day, days)))
            .collect::<Vec<_>>()
    })?;
    // Pieces are in row order: the first refused piece holds the first refused row.
    let done = done.into_iter().collect::<Result<Vec<_>, KernelError>>()?;
    let mut codes = Codes::new();
    let global: Vec<Vec<usize>> = done
        .iter()
        .map(|piece| {
            piece
                .codes
                .names()
                .iter()
                .map(|name| codes.code(name, "sector").map(|c| c as usize))
                .collect()
        })
        .collect::<Result<_, _>>()?;
    let keys = codes.len();
    let cells = keys
        .checked_mul(days)
        .filter(|c| c.checked_mul(WIDTH).is_some())
        .ok_or_else(|| KernelError::invalid("day", "sectors x days overflows"))?;
    let mut out = ValuationSums {
        sums: vec![0.0; cells * WIDTH],
        rows: vec![0; cells],
        sectors: codes.names().iter().map(|s| s.to_string()).collect(),
    };
    for (piece, map) in done.iter().zip(&global) {
        let shift = (piece.lo - i64::from(first_day)) as usize;
        for (local, &key) in map.iter().enumerate() {
            for d in 0..piece.span {
                let (from, to) = (local * piece.span + d, key * days + shift + d);
                out.rows[to] += piece.rows[from];
                let (src, dst) = (&piece.sums[from * WIDTH..], &mut out.sums[to * WIDTH..]);
                for c in 0..WIDTH {
                    dst[c] += src[c];
                }
            }
        }
    }
    Ok(out)
}

/// The sums of rows `range` of part `p` (rows `at + range` of the value columns), in row order;
/// a day outside `first_day..first_day + days` is refused with its row.
fn sum_piece<C: KeyColumn>(
    rows: &ValuationRows<'_, C>,
    p: usize,
    range: std::ops::Range<usize>,
    at: usize,
    (first_day, days): (i32, usize),
) -> Result<Piece, KernelError> {
    let day = &rows.day[at + range.start..at + range.end];
    let lo = day.iter().copied().min().map_or(0, i64::from);
    let hi = day.iter().copied().max().map_or(-1, i64::from);
    let allowed = i64::from(first_day)..i64::from(first_day) + days as i64;
    let inside = day.is_empty() || (allowed.contains(&lo) && allowed.contains(&hi));
    if !inside {
        let j = day
            .iter()
            .position(|&d| !allowed.contains(&i64::from(d)))
            .unwrap_or(0);
        return Err(KernelError::invalid(
            "day",
            format!(
                "row {}: day {} is outside the range given",
                at + range.start + j,
                day[j]
            ),
        ));
    }
    let span = usize::try_from(hi - lo + 1).unwrap_or(0);
    let mut piece = Piece {
        codes: Codes::new(),
        lo,
        span,
        sums: Vec::new(),
        rows: Vec::new(),
    };
    for i in range {
        let Some((name, packed)) = rows.sector.key(p, i) else {
            continue;
        };
        let key = piece.codes.code_packed(packed, name, "sector")? as usize;
        if key * span >= piece.rows.len() {
            piece.rows.resize((key + 1) * span, 0);
            piece.sums.resize((key + 1) * span * WIDTH, 0.0);
        }
        let row = at + i;
        let cell = key * span + (i64::from(rows.day[row]) - lo) as usize;
        piece.rows[cell] += 1;
        add_row(rows, row, &mut piece.sums[cell * WIDTH..(cell + 1) * WIDTH]);
    }
    Ok(piece)
}

#[inline]
fn add_row<C: KeyColumn>(rows: &ValuationRows<'_, C>, i: usize, s: &mut [f64]) {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::threads::set_num_threads;

    /// Sector names in parts, as Arrow chunks arrive.
    struct Names(Vec<Vec<Option<String>>>);

    impl KeyColumn for Names {
        fn parts(&self) -> usize {
            self.0.len()
        }
        fn part_len(&self, p: usize) -> usize {
            self.0[p].len()
        }
        fn key(&self, p: usize, i: usize) -> Option<(&str, Option<u128>)> {
            self.0[p][i].as_deref().map(|s| (s, crate::codes::pack(s)))
        }
    }

    #[test]
    fn each_rule_has_its_sums() {
        let nan = f64::NAN;
        let names = Names(vec![
            vec![Some("Banks".into()), Some("Banks".into()), None],
            vec![
                Some("Banks".into()),
                Some("Banks".into()),
                Some("Oil and gas".into()),
            ],
        ]);
        let rows = ValuationRows {
            sector: &names,
            day: &[5, 5, 5, 5, 5, 5],
            mcap: &[10.0, 20.0, 99.0, 30.0, nan, 7.0],
            earnings: &[1.0, -2.0, 9.0, nan, 5.0, 0.0],
            book: &[4.0, 5.0, 9.0, 6.0, 1.0, nan],
            amount: Some(&[1.0, 1.0, 9.0, 1.0, 1.0, nan]),
            float_mcap: None,
        };
        let out = valuation_sums(&rows, 5, 1).unwrap();
        assert_eq!(out.sectors, ["Banks", "Oil and gas"]);
        assert_eq!(out.rows, vec![4, 1]);
        let sector = |k: usize| &out.sums[k * WIDTH..(k + 1) * WIDTH];
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

    #[test]
    fn the_same_sums_on_any_number_of_threads_and_a_plain_loop() {
        let n = 3 * PIECE + 12_345;
        let sectors = ["A", "Bb", "a long sector name", "D"];
        let names = Names(vec![
            (0..n)
                .map(|i| Some(sectors[(i * 7 + i / 3) % 4].to_string()))
                .collect(),
        ]);
        let day: Vec<i32> = (0..n).map(|i| (i / 4000) as i32).collect();
        let x: Vec<f64> = (0..n)
            .map(|i| ((i * 2654435761usize) % 1000) as f64 * 0.1 + 1e-3)
            .collect();
        let rows = ValuationRows {
            sector: &names,
            day: &day,
            mcap: &x,
            earnings: &x,
            book: &x,
            amount: None,
            float_mcap: None,
        };
        let days = n / 4000 + 1;
        let run = |threads: i64| {
            set_num_threads(threads).unwrap();
            valuation_sums(&rows, 0, days).unwrap()
        };
        let one = run(1);
        assert_eq!(one.sums, run(2).sums);
        assert_eq!(one.sums, run(3).sums);
        set_num_threads(2).unwrap();
        let order: Vec<usize> = one
            .sectors
            .iter()
            .map(|s| sectors.iter().position(|t| t == s).unwrap())
            .collect();
        let mut plain = vec![0.0; 4 * days];
        for i in 0..n {
            let k = order
                .iter()
                .position(|&o| o == (i * 7 + i / 3) % 4)
                .unwrap();
            plain[k * days + day[i] as usize] += x[i];
        }
        let mcap: Vec<f64> = one.sums.iter().step_by(WIDTH).copied().collect();
        for (a, b) in mcap.iter().zip(&plain) {
            assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} {b}");
        }
    }

    #[test]
    fn refuses_days_out_of_range() {
        let names = Names(vec![vec![Some("A".into()), Some("A".into())]]);
        let rows = ValuationRows {
            sector: &names,
            day: &[0, 5],
            mcap: &[1.0, 1.0],
            earnings: &[1.0, 1.0],
            book: &[1.0, 1.0],
            amount: None,
            float_mcap: None,
        };
        let err = valuation_sums(&rows, 0, 1).unwrap_err();
        assert!(err.to_string().contains("row 1"));
    }
}
