//! Sums per cell (a key and a day) of a long table, in row order.
//!
//! Keys are split into ranges, one per thread; every thread reads every row's key and adds the
//! rows of its own keys. Each cell is summed by one thread in the rows' order, so the sums are
//! the same to the bit whatever the number of threads (a hash group-by that adds per-thread
//! partial sums is not).

use rayon::prelude::*;

use crate::error::KernelError;
use crate::pages;
use crate::threads::{current_num_threads, install, min_len};

/// Sums and row counts per cell, cell-major: `sums[(key * days + d) * width + c]`,
/// `rows[key * days + d]`.
#[derive(Debug, Clone, Default)]
pub struct CellSums {
    pub sums: Vec<f64>,
    pub rows: Vec<u32>,
}

/// Where each row of a long table goes: a key code (negative: nowhere) and a day.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Cells<'a> {
    pub key: &'a [i64],
    pub day: &'a [i32],
    pub first_day: i32,
    pub days: usize,
    pub keys: usize,
}

pub(crate) fn same_length(name: &'static str, n: usize, m: usize) -> Result<(), KernelError> {
    KernelError::same_lengths(n, &[(name, m)])
}

/// Per (key, day) cell, `width` sums that `add(row, sums)` adds each of the cell's rows into,
/// in row order, and the number of rows.
pub(crate) fn cell_fold(
    cells: &Cells<'_>,
    width: usize,
    add: impl Fn(usize, &mut [f64]) + Sync,
) -> Result<CellSums, KernelError> {
    let Cells {
        key,
        day,
        first_day,
        days,
        keys,
    } = *cells;
    let n = key.len();
    same_length("day", n, day.len())?;
    let count = keys
        .checked_mul(days)
        .filter(|c| c.checked_mul(width.max(1)).is_some() && *c <= u32::MAX as usize)
        .ok_or_else(|| KernelError::invalid("keys", "keys x days overflows"))?;
    if let Some(i) = (0..n).find(|&i| key[i] >= keys as i64) {
        return Err(KernelError::invalid(
            "key",
            format!("key code {} at row {i} is not < {keys}", key[i]),
        ));
    }
    if let Some(i) = (0..n).find(|&i| {
        let d = i64::from(day[i]) - i64::from(first_day);
        key[i] >= 0 && !(0..days as i64).contains(&d)
    }) {
        return Err(KernelError::invalid(
            "day",
            format!("row {i}: day {} is outside the range given", day[i]),
        ));
    }
    let mut sums = pages::filled(count * width, 0.0);
    let mut rows = pages::filled(count, 0u32);
    let wanted = if min_len() == 1 {
        current_num_threads()
    } else {
        1
    };
    // Small tables in one range: a thread per range reads every row.
    let ranges = if n < (1 << 16) {
        1
    } else {
        wanted.clamp(1, keys.max(1))
    };
    let per = keys.div_ceil(ranges).max(1);
    let parts: Vec<(usize, &mut [f64], &mut [u32])> = sums
        .chunks_mut((per * days * width).max(1))
        .zip(rows.chunks_mut((per * days).max(1)))
        .enumerate()
        .map(|(i, (s, r))| (i * per, s, r))
        .collect();
    install(|| {
        parts
            .into_par_iter()
            .with_min_len(min_len())
            .for_each(|(lo, s, r)| {
                let hi = lo + r.len() / days.max(1);
                for i in 0..n {
                    let Ok(k) = usize::try_from(key[i]) else {
                        continue;
                    };
                    if !(lo..hi).contains(&k) {
                        continue;
                    }
                    // Checked above: every day of a kept row is in range.
                    let cell =
                        (k - lo) * days + (i64::from(day[i]) - i64::from(first_day)) as usize;
                    r[cell] += 1;
                    add(i, &mut s[cell * width..(cell + 1) * width]);
                }
            });
    })?;
    Ok(CellSums { sums, rows })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::threads::set_num_threads;

    /// Sums of `columns` per cell, skipping missing values.
    fn sums_of(cells: &Cells<'_>, columns: &[&[f64]]) -> CellSums {
        cell_fold(cells, columns.len(), |i, sums| {
            for (sum, column) in sums.iter_mut().zip(columns) {
                if column[i].is_finite() {
                    *sum += column[i];
                }
            }
        })
        .unwrap()
    }

    #[test]
    fn sums_each_cell_in_row_order() {
        let cells = Cells {
            key: &[0, 1, 0, -1, 1, 0],
            day: &[10, 10, 11, 11, 11, 10],
            first_day: 10,
            days: 2,
            keys: 2,
        };
        let a = [1.0, 2.0, 3.0, 100.0, f64::NAN, 0.5];
        let b = [1e16, 1.0, 0.0, 0.0, f64::INFINITY, -1e16];
        let out = sums_of(&cells, &[&a, &b]);
        // key 0: days 10, 11; key 1: days 10, 11; each cell (a, b).
        assert_eq!(out.rows, vec![2, 1, 1, 1]);
        assert_eq!(out.sums[..4], [1.5, 0.0, 3.0, 0.0]); // key 0
        assert_eq!(out.sums[4..], [2.0, 1.0, 0.0, 0.0]); // key 1
    }

    #[test]
    fn the_same_sums_on_any_number_of_threads() {
        let n = 200_000;
        let key: Vec<i64> = (0..n).map(|i| (i * 7 % 13) as i64).collect();
        let day: Vec<i32> = (0..n).map(|i| (i / 1000) as i32).collect();
        let x: Vec<f64> = (0..n)
            .map(|i| ((i * 2654435761usize) % 1000) as f64 * 0.1 + 1e-3)
            .collect();
        let cells = Cells {
            key: &key,
            day: &day,
            first_day: 0,
            days: 200,
            keys: 13,
        };
        let run = |threads: i64| {
            set_num_threads(threads).unwrap();
            sums_of(&cells, &[&x]).sums
        };
        let one = run(1);
        assert_eq!(one, run(2));
        assert_eq!(one, run(3));
        set_num_threads(2).unwrap();
        let mut plain = vec![0.0; 13 * 200];
        for i in 0..n {
            plain[key[i] as usize * 200 + day[i] as usize] += x[i];
        }
        assert_eq!(one, plain);
    }

    #[test]
    fn refuses_keys_and_days_out_of_range() {
        let cells = Cells {
            key: &[0, 3],
            day: &[0, 0],
            first_day: 0,
            days: 1,
            keys: 2,
        };
        assert!(cell_fold(&cells, 0, |_, _| {}).is_err());
        let cells = Cells {
            key: &[0, 1],
            day: &[0, 5],
            ..cells
        };
        let err = cell_fold(&cells, 0, |_, _| {}).unwrap_err();
        assert!(err.to_string().contains("row 1"));
    }
}
