//! Sums of value columns per cell (a key and a day) of a long table, in row order.
//!
//! Keys are split into ranges, one per thread; every thread reads every row's key and adds the
//! rows of its own keys. Each cell is summed by one thread in the rows' order, so the sums are
//! the same to the bit whatever the number of threads (a hash group-by that adds per-thread
//! partial sums is not).

use rayon::prelude::*;

use crate::error::KernelError;
use crate::pages;
use crate::threads::{current_num_threads, install, min_len};

/// The rows of a long table: a key code and a day per row, and value columns.
#[derive(Clone, Copy, Debug)]
pub struct CellRows<'a> {
    /// Key codes `< keys`; a negative code leaves the row out.
    pub key: &'a [i64],
    /// Days since 1970-01-01, in `first_day..first_day + days`.
    pub day: &'a [i32],
    /// Value columns, one value per row; NaN and ±inf are missing and not added.
    pub columns: &'a [&'a [f64]],
}

/// Sums and row counts per cell, key-major: `sums[(key * columns + c) * days + d]`,
/// `rows[key * days + d]`.
#[derive(Debug, Clone, Default)]
pub struct CellSums {
    pub sums: Vec<f64>,
    pub rows: Vec<u32>,
}

/// The sums of every column and the number of rows of each (key, day) cell of `rows`.
pub fn cell_sums(
    rows: &CellRows<'_>,
    first_day: i32,
    days: usize,
    keys: usize,
) -> Result<CellSums, KernelError> {
    let n = rows.key.len();
    KernelError::same_lengths(
        n,
        &[("day", rows.day.len())]
            .into_iter()
            .chain(rows.columns.iter().map(|c| ("columns", c.len())))
            .collect::<Vec<_>>(),
    )?;
    let width = rows.columns.len();
    let cells = keys
        .checked_mul(days)
        .filter(|c| c.checked_mul(width.max(1)).is_some() && *c <= u32::MAX as usize)
        .ok_or_else(|| KernelError::invalid("keys", "keys x days overflows"))?;
    if let Some(i) = (0..n).find(|&i| rows.key[i] >= keys as i64) {
        return Err(KernelError::invalid(
            "key",
            format!("key code {} at row {i} is not < {keys}", rows.key[i]),
        ));
    }
    if let Some(i) = (0..n).find(|&i| {
        let d = i64::from(rows.day[i]) - i64::from(first_day);
        rows.key[i] >= 0 && !(0..days as i64).contains(&d)
    }) {
        return Err(KernelError::invalid(
            "day",
            format!("row {i}: day {} is outside the range given", rows.day[i]),
        ));
    }
    let mut sums = pages::filled(cells * width, 0.0);
    let mut counts = pages::filled(cells, 0u32);
    let wanted = if min_len() == 1 {
        current_num_threads()
    } else {
        1
    };
    let ranges = if n < (1 << 16) {
        1
    } else {
        wanted.clamp(1, keys.max(1))
    };
    let per = keys.div_ceil(ranges).max(1);
    let parts: Vec<(usize, &mut [f64], &mut [u32])> = sums
        .chunks_mut((per * width * days).max(1))
        .zip(counts.chunks_mut((per * days).max(1)))
        .enumerate()
        .map(|(i, (s, c))| (i * per, s, c))
        .collect();
    install(|| {
        parts
            .into_par_iter()
            .with_min_len(min_len())
            .for_each(|(lo, s, c)| add_rows(rows, first_day, days, lo, s, c));
    })?;
    Ok(CellSums { sums, rows: counts })
}

/// Adds the rows whose key is in `lo..lo + counts.len() / days` into that range's cells.
fn add_rows(
    rows: &CellRows<'_>,
    first_day: i32,
    days: usize,
    lo: usize,
    sums: &mut [f64],
    counts: &mut [u32],
) {
    let width = rows.columns.len();
    let hi = lo + counts.len() / days.max(1);
    for i in 0..rows.key.len() {
        let Ok(key) = usize::try_from(rows.key[i]) else {
            continue;
        };
        if !(lo..hi).contains(&key) {
            continue;
        }
        let k = key - lo;
        // Checked by the caller: every day of a kept row is in range.
        let d = (i64::from(rows.day[i]) - i64::from(first_day)) as usize;
        counts[k * days + d] += 1;
        for (c, column) in rows.columns.iter().enumerate() {
            let x = column[i];
            if x.is_finite() {
                sums[(k * width + c) * days + d] += x;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::threads::set_num_threads;

    #[test]
    fn sums_each_cell_in_row_order_and_skips_missing() {
        let key = [0, 1, 0, -1, 1, 0];
        let day = [10, 10, 11, 11, 11, 10];
        let a = [1.0, 2.0, 3.0, 100.0, f64::NAN, 0.5];
        let b = [1e16, 1.0, 0.0, 0.0, f64::INFINITY, -1e16];
        let columns: [&[f64]; 2] = [&a, &b];
        let rows = CellRows {
            key: &key,
            day: &day,
            columns: &columns,
        };
        let out = cell_sums(&rows, 10, 2, 2).unwrap();
        // key 0: days 10, 11; key 1: days 10, 11.
        assert_eq!(out.rows, vec![2, 1, 1, 1]);
        assert_eq!(out.sums[..4], [1.5, 3.0, 0.0, 0.0]); // key 0: a then b
        assert_eq!(out.sums[4..], [2.0, 0.0, 1.0, 0.0]); // key 1
    }

    #[test]
    fn the_same_sums_on_any_number_of_threads() {
        let n = 200_000;
        let key: Vec<i64> = (0..n).map(|i| (i * 7 % 13) as i64).collect();
        let day: Vec<i32> = (0..n).map(|i| (i / 1000) as i32).collect();
        let x: Vec<f64> = (0..n)
            .map(|i| ((i * 2654435761usize) % 1000) as f64 * 0.1 + 1e-3)
            .collect();
        let columns: [&[f64]; 1] = [&x];
        let rows = CellRows {
            key: &key,
            day: &day,
            columns: &columns,
        };
        let run = |threads: i64| {
            set_num_threads(threads).unwrap();
            cell_sums(&rows, 0, 200, 13).unwrap().sums
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
        let columns: [&[f64]; 0] = [];
        let rows = CellRows {
            key: &[0, 3],
            day: &[0, 0],
            columns: &columns,
        };
        assert!(cell_sums(&rows, 0, 1, 2).is_err());
        let rows = CellRows {
            key: &[0, 1],
            day: &[0, 5],
            columns: &columns,
        };
        assert!(
            cell_sums(&rows, 0, 1, 2)
                .unwrap_err()
                .to_string()
                .contains("row 1")
        );
    }
}
