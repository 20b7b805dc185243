//! A long table (key, day, value) into a matrix of bars x keys, in one pass over the rows.
//!
//! The sector layer's RRG and other panel kernels take a price matrix; a long table of millions
//! of rows reaches it here instead of through group-bys, sorts and joins. Rows may come in any
//! order; a bar may span several days (a week), and holds the value of its latest day with a
//! value. Two rows of one key on one day are refused, naming both.

use crate::error::{KernelError, same_length};

/// Where each row of a long table goes.
#[derive(Clone, Copy, Debug)]
pub struct LongRows<'a> {
    /// Dense key code of each row (the matrix column), `< keys`; negative: skipped.
    pub key: &'a [i64],
    /// Day of each row (e.g. days since 1970-01-01).
    pub day: &'a [i32],
    /// The value; NaN (or ±inf) is missing: it never fills a cell, but still counts as the
    /// key's row on that day for the duplicate check.
    pub value: &'a [f64],
}

/// A second row of one key on one day: rows `row` and `previous` (indices into the table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Duplicate {
    pub row: usize,
    pub previous: usize,
}

/// The bar of each day: `bar_of_day[day - first_day]`, negative for a day outside every bar.
#[derive(Clone, Copy, Debug)]
pub struct Calendar<'a> {
    pub first_day: i32,
    pub bar_of_day: &'a [i64],
    pub bars: usize,
}

/// Scatters `rows` into a column-major `bars x keys` matrix (NaN where no row has a value).
///
/// Cell `(bar, key)` holds the value of the key's latest day within the bar that has a finite
/// value. Rows on days outside the calendar or with a negative key are skipped. `Ok(Err(..))`
/// names the first duplicate (key, day) found.
pub fn pivot_last(
    rows: &LongRows<'_>,
    calendar: &Calendar<'_>,
    keys: usize,
) -> Result<Result<Vec<f64>, Duplicate>, KernelError> {
    let n = rows.key.len();
    same_length("day", n, rows.day.len())?;
    same_length("value", n, rows.value.len())?;
    let days = calendar.bar_of_day.len();
    let cells = calendar
        .bars
        .checked_mul(keys)
        .ok_or_else(|| KernelError::invalid("keys", "bars x keys overflows"))?;
    let seen_bits = days
        .checked_mul(keys)
        .ok_or_else(|| KernelError::invalid("keys", "days x keys overflows"))?;
    let mut out = vec![f64::NAN; cells];
    // Which (key, day) pairs have a row: a bit each, and the first row of each for the message.
    let mut seen = vec![0u64; seen_bits.div_ceil(64)];
    // The day a cell's value came from; needed only when a bar spans several days.
    let one_day_bars = calendar.bars == days;
    let mut from_day = if one_day_bars {
        Vec::new()
    } else {
        vec![i32::MIN; cells]
    };
    for i in 0..n {
        let (key, day) = (rows.key[i], rows.day[i]);
        let Ok(key) = usize::try_from(key) else {
            continue;
        };
        if key >= keys {
            return Err(KernelError::invalid(
                "key",
                format!("key code {key} at row {i} is not < {keys}"),
            ));
        }
        let Some(offset) = day
            .checked_sub(calendar.first_day)
            .and_then(|d| usize::try_from(d).ok())
            .filter(|&d| d < days)
        else {
            continue;
        };
        let bit = key * days + offset;
        let (word, mask) = (bit / 64, 1u64 << (bit % 64));
        if seen[word] & mask != 0 {
            let previous = (0..i)
                .find(|&j| rows.key[j] == rows.key[i] && rows.day[j] == day)
                .unwrap_or(i);
            return Ok(Err(Duplicate { row: i, previous }));
        }
        seen[word] |= mask;
        let Ok(bar) = usize::try_from(calendar.bar_of_day[offset]) else {
            continue;
        };
        let value = rows.value[i];
        if !value.is_finite() || bar >= calendar.bars {
            continue;
        }
        let cell = key * calendar.bars + bar;
        if one_day_bars {
            out[cell] = value;
        } else if day > from_day[cell] {
            out[cell] = value;
            from_day[cell] = day;
        }
    }
    Ok(Ok(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pivot(key: &[i64], day: &[i32], value: &[f64], bars: &[i64]) -> Result<Vec<f64>, Duplicate> {
        let rows = LongRows { key, day, value };
        let n_bars = bars.iter().max().map_or(0, |&b| b + 1) as usize;
        let calendar = Calendar {
            first_day: 10,
            bar_of_day: bars,
            bars: n_bars,
        };
        pivot_last(&rows, &calendar, 2).unwrap()
    }

    #[test]
    fn rows_in_any_order_land_in_their_cells() {
        // days 10, 11, 12 are bars 0, 1, 2; key 1 lacks day 11; a NaN stays missing.
        let got = pivot(
            &[1, 0, 0, 1, 0, -1],
            &[12, 11, 10, 10, 12, 11],
            &[6.0, 2.0, 1.0, 4.0, f64::NAN, 9.0],
            &[0, 1, 2],
        )
        .unwrap();
        let want = [1.0, 2.0, f64::NAN, 4.0, f64::NAN, 6.0];
        assert!(
            got.iter()
                .zip(want)
                .all(|(g, w)| g == &w || (g.is_nan() && w.is_nan()))
        );
    }

    #[test]
    fn a_bar_of_several_days_holds_its_latest_value() {
        // Days 10..=13 in bars 0, 0, 1, 1: the latest finite value of each bar wins, whatever
        // the order of the rows; day 14 is outside the calendar.
        let got = pivot(
            &[0, 0, 0, 0, 0],
            &[11, 10, 13, 12, 14],
            &[2.0, 1.0, f64::NAN, 3.0, 7.0],
            &[0, 0, 1, 1],
        )
        .unwrap();
        assert_eq!(got[..2], [2.0, 3.0]);
        assert!(got[2..].iter().all(|v| v.is_nan()));
    }

    #[test]
    fn a_second_row_of_a_key_on_a_day_is_refused_naming_both() {
        let got = pivot(&[0, 1, 0], &[10, 10, 10], &[1.0, 2.0, f64::NAN], &[0]);
        assert_eq!(
            got,
            Err(Duplicate {
                row: 2,
                previous: 0
            })
        );
    }
}
