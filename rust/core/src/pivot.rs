//! A long table (key, day, value) into a matrix of bars x keys, in one pass over the rows.
//!
//! The sector layer's RRG and other panel kernels take a price matrix; a long table of millions
//! of rows reaches it here instead of through group-bys, sorts and joins. Rows may come in any
//! order; a bar may span several days (a week), and holds the value of its latest day with a
//! value. Two rows of one key on one day are refused, naming both. On request the pivot also
//! says which cells have a row, and turns levels into changes from the key's previous bar with
//! a row (a keyed `pct_change` of the long table, without sorting it).

use rayon::prelude::*;

use crate::error::{KernelError, same_length};
use crate::pages;
use crate::threads::{current_num_threads, install, min_len};

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

/// What a pivot returns besides the cells.
#[derive(Clone, Copy, Debug, Default)]
pub struct PivotOptions {
    /// Also return which cells have a row (whatever its value).
    pub present: bool,
    /// Each cell with a row holds `v / v_prev - 1`, `v_prev` the value of the key's previous bar
    /// with a row (NaN on its first such bar, or where either value is missing), like
    /// `pct_change(1)` over the key's rows in time order.
    pub changes: bool,
}

/// A pivoted table: `bars x keys` cells in column order and, if asked, which have a row.
#[derive(Clone, Debug, Default)]
pub struct Pivot {
    pub cells: Vec<f64>,
    /// Empty unless [`PivotOptions::present`].
    pub present: Vec<bool>,
}

/// Why a scan stopped early, at a row.
enum Stop {
    BadKey(usize),
    Duplicate(usize),
}

/// Scatters `rows` into a column-major `bars x keys` matrix (NaN where no row has a value).
///
/// Cell `(bar, key)` holds the value of the key's latest day within the bar that has a finite
/// value, or its change (see [`PivotOptions`]). Rows on days outside the calendar or with a
/// negative key are skipped; every day of the calendar's span is checked for duplicates, also
/// those in no bar. `Ok(Err(..))` names the first duplicate (key, day) found. The keys are
/// split into one range per thread; each thread reads every row and writes the columns of its
/// range.
pub fn pivot_last(
    rows: &LongRows<'_>,
    calendar: &Calendar<'_>,
    keys: usize,
    options: PivotOptions,
) -> Result<Result<Pivot, Duplicate>, KernelError> {
    let n = rows.key.len();
    same_length("day", n, rows.day.len())?;
    same_length("value", n, rows.value.len())?;
    let days = calendar.bar_of_day.len();
    let bars = calendar.bars;
    let cells = bars
        .checked_mul(keys)
        .ok_or_else(|| KernelError::invalid("keys", "bars x keys overflows"))?;
    days.checked_mul(keys)
        .ok_or_else(|| KernelError::invalid("keys", "days x keys overflows"))?;
    let mut out = pages::filled(cells, f64::NAN);
    let marks = options.present || options.changes;
    let mut present = if marks {
        pages::filled(cells, false)
    } else {
        Vec::new()
    };
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
    let chunk = per.saturating_mul(bars).max(1);
    let mut marked = present.chunks_mut(chunk);
    let parts: Vec<(usize, &mut [f64], &mut [bool])> = out
        .chunks_mut(chunk)
        .enumerate()
        .map(|(i, cells)| (i * per, cells, marked.next().unwrap_or_default()))
        .collect();
    let stops = install(|| {
        parts
            .into_par_iter()
            .with_min_len(min_len())
            .map(|(lo, cells, present)| {
                let stop = scan(rows, calendar, keys, lo, cells, present);
                if stop.is_none() && options.changes {
                    to_changes(cells, present, bars);
                }
                stop
            })
            .collect::<Vec<_>>()
    })?;
    let stop = if keys == 0 || bars == 0 {
        // No columns to scan into: still check every key.
        scan(rows, calendar, keys, 0, &mut [], &mut [])
    } else {
        stops.into_iter().flatten().min_by_key(|s| match s {
            Stop::BadKey(i) | Stop::Duplicate(i) => *i,
        })
    };
    if !options.present {
        present = Vec::new();
    }
    match stop {
        None => Ok(Ok(Pivot {
            cells: out,
            present,
        })),
        Some(Stop::BadKey(i)) => Err(KernelError::invalid(
            "key",
            format!("key code {} at row {i} is not < {keys}", rows.key[i]),
        )),
        Some(Stop::Duplicate(i)) => {
            let previous = (0..i)
                .find(|&j| rows.key[j] == rows.key[i] && rows.day[j] == rows.day[i])
                .unwrap_or(i);
            Ok(Err(Duplicate { row: i, previous }))
        }
    }
}

/// Each column's values with a row into changes from the previous value with a row.
fn to_changes(cells: &mut [f64], present: &[bool], bars: usize) {
    for (column, marks) in cells.chunks_mut(bars).zip(present.chunks(bars)) {
        let mut previous = None;
        for (cell, &has_row) in column.iter_mut().zip(marks) {
            if has_row {
                let value = *cell;
                *cell = previous.map_or(f64::NAN, |p| value / p - 1.0);
                previous = Some(value);
            }
        }
    }
}

/// One thread's pass: the rows of keys `lo..lo + cells.len() / bars` into `cells` (their
/// columns) and `present` (if not empty), stopping at the first bad key or duplicate (key,
/// day) among them.
fn scan(
    rows: &LongRows<'_>,
    calendar: &Calendar<'_>,
    keys: usize,
    lo: usize,
    cells: &mut [f64],
    present: &mut [bool],
) -> Option<Stop> {
    let days = calendar.bar_of_day.len();
    let bars = calendar.bars;
    let hi = lo + cells.len().checked_div(bars).unwrap_or(0);
    // Which (key, day) pairs have a row: a bit each.
    let mut seen = vec![0u64; ((hi - lo) * days).div_ceil(64)];
    // The day a cell's value came from; needed only when a bar spans several days.
    let one_day_bars = bars == days;
    let mut from_day = if one_day_bars {
        Vec::new()
    } else {
        vec![i32::MIN; cells.len()]
    };
    for (i, (&key, &day)) in rows.key.iter().zip(rows.day).enumerate() {
        let Ok(key) = usize::try_from(key) else {
            continue;
        };
        if key >= keys {
            return Some(Stop::BadKey(i));
        }
        if key < lo || key >= hi {
            continue;
        }
        let Some(offset) = day
            .checked_sub(calendar.first_day)
            .and_then(|d| usize::try_from(d).ok())
            .filter(|&d| d < days)
        else {
            continue;
        };
        let bit = (key - lo) * days + offset;
        let (word, mask) = (bit / 64, 1u64 << (bit % 64));
        if seen[word] & mask != 0 {
            return Some(Stop::Duplicate(i));
        }
        seen[word] |= mask;
        let Ok(bar) = usize::try_from(calendar.bar_of_day[offset]) else {
            continue;
        };
        if bar >= bars {
            continue;
        }
        let cell = (key - lo) * bars + bar;
        if let Some(mark) = present.get_mut(cell) {
            *mark = true;
        }
        let value = rows.value[i];
        if !value.is_finite() {
            continue;
        }
        if one_day_bars {
            cells[cell] = value;
        } else if day > from_day[cell] {
            cells[cell] = value;
            from_day[cell] = day;
        }
    }
    None
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
        pivot_last(&rows, &calendar, 2, PivotOptions::default())
            .unwrap()
            .map(|p| p.cells)
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

    #[test]
    fn changes_run_from_each_keys_previous_row_and_present_marks_rows() {
        // Key 0 has rows on days 10, 12, 13 (no row on 11); its day-12 value is NaN. Key 1
        // has rows on 11 and 13. Changes: from the previous row, NaN on the first one and
        // around the missing value, like pct_change over each key's rows.
        let rows = LongRows {
            key: &[0, 1, 0, 0, 1],
            day: &[13, 11, 10, 12, 13],
            value: &[4.0, 5.0, 2.0, f64::NAN, 6.0],
        };
        let calendar = Calendar {
            first_day: 10,
            bar_of_day: &[0, 1, 2, 3],
            bars: 4,
        };
        let options = PivotOptions {
            present: true,
            changes: true,
        };
        let got = pivot_last(&rows, &calendar, 2, options).unwrap().unwrap();
        let nan = f64::NAN;
        let want = [nan, nan, nan, nan, nan, nan, nan, 6.0 / 5.0 - 1.0];
        let same = |a: &[f64], b: &[f64]| {
            a.iter()
                .zip(b)
                .all(|(x, y)| x == y || (x.is_nan() && y.is_nan()))
        };
        assert!(same(&got.cells, &want), "{:?}", got.cells);
        let marks = [true, false, true, true, false, true, false, true];
        assert_eq!(got.present, marks);
        // Without the NaN, key 0's change on day 13 is from day 12; day 12's from day 10.
        let rows = LongRows {
            value: &[4.0, 5.0, 2.0, 3.0, 6.0],
            ..rows
        };
        let got = pivot_last(&rows, &calendar, 2, options).unwrap().unwrap();
        let want = [
            nan,
            nan,
            3.0 / 2.0 - 1.0,
            4.0 / 3.0 - 1.0,
            nan,
            nan,
            nan,
            6.0 / 5.0 - 1.0,
        ];
        assert!(same(&got.cells, &want), "{:?}", got.cells);
        let plain = pivot_last(&rows, &calendar, 2, PivotOptions::default())
            .unwrap()
            .unwrap();
        assert!(plain.present.is_empty());
    }

    /// Rows of `keys` keys on days 10.. in a scrambled order, some days missing, weekly bars.
    fn scrambled(keys: usize, days: usize) -> (Vec<i64>, Vec<i32>, Vec<f64>) {
        let (mut k, mut d, mut v) = (Vec::new(), Vec::new(), Vec::new());
        for r in 0..keys * days {
            let r = (r * 7919) % (keys * days); // a permutation: 7919 is prime to keys * days
            if r % 13 == 5 {
                continue;
            }
            k.push((r % keys) as i64);
            d.push(10 + (r / keys) as i32);
            v.push(if r % 17 == 3 { f64::NAN } else { r as f64 });
        }
        (k, d, v)
    }

    #[test]
    fn key_ranges_on_threads_equal_one_pass() {
        let (keys, days) = (301, 400);
        let (k, d, v) = scrambled(keys, days);
        let bar_of_day: Vec<i64> = (0..days as i64).map(|x| x / 5).collect();
        let bars = days.div_ceil(5);
        let calendar = Calendar {
            first_day: 10,
            bar_of_day: &bar_of_day,
            bars,
        };
        // The reference: each cell the value of its latest finite day.
        let mut want = vec![f64::NAN; bars * keys];
        let mut latest = vec![i32::MIN; bars * keys];
        for i in 0..k.len() {
            let cell = k[i] as usize * bars + bar_of_day[(d[i] - 10) as usize] as usize;
            if v[i].is_finite() && d[i] > latest[cell] {
                want[cell] = v[i];
                latest[cell] = d[i];
            }
        }
        for threads in [1, 2, 5] {
            crate::set_num_threads(threads).unwrap();
            let rows = LongRows {
                key: &k,
                day: &d,
                value: &v,
            };
            let got = pivot_last(&rows, &calendar, keys, PivotOptions::default())
                .unwrap()
                .unwrap()
                .cells;
            assert!(
                got.iter()
                    .zip(&want)
                    .all(|(g, w)| g == w || (g.is_nan() && w.is_nan()))
            );
            // Two duplicates in different key ranges: the earlier row is named.
            let (mut k2, mut d2, mut v2) = (k.clone(), d.clone(), v.clone());
            for (at, row) in [(k2.len() - 10, 7), (k2.len() - 20, k2.len() - 30)] {
                let (key, day) = (k2[row], d2[row]);
                k2.push(key);
                d2.push(day);
                v2.push(1.0);
                let last = k2.len() - 1;
                k2.swap(at, last);
                d2.swap(at, last);
                v2.swap(at, last);
            }
            let rows = LongRows {
                key: &k2,
                day: &d2,
                value: &v2,
            };
            let dup = pivot_last(&rows, &calendar, keys, PivotOptions::default())
                .unwrap()
                .unwrap_err();
            assert_eq!(
                (k2[dup.row], d2[dup.row]),
                (k2[dup.previous], d2[dup.previous])
            );
            assert!(dup.previous < dup.row);
            let mut seen = std::collections::HashSet::new();
            let first = (0..k2.len())
                .find(|&i| !seen.insert((k2[i], d2[i])))
                .unwrap();
            assert_eq!(dup.row, first);
        }
    }
}
