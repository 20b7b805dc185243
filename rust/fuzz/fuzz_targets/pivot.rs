//! A long table into a bars x keys matrix, against a map of (key, bar) -> (latest day, value);
//! with `changes`, each cell with a row against its change from the key's previous such bar.
#![no_main]

use std::collections::HashMap;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use reference::Value;
use sectorflow_core::{Calendar, Duplicate, LongRows, PivotOptions, pivot_last};

#[derive(Arbitrary, Debug)]
struct Input {
    rows: Vec<(i8, u8, Value)>,
    /// Days per bar (1: one bar a day), and days dropped from the calendar.
    width: u8,
    holes: Vec<u8>,
    keys: u8,
    changes: bool,
}

fuzz_target!(|input: Input| {
    let keys = usize::from(input.keys % 8).max(1);
    let width = usize::from(input.width % 7).max(1);
    let days = 64usize;
    let first_day = 1000i32;
    let bar_of_day: Vec<i64> = (0..days)
        .map(|d| {
            if input.holes.iter().any(|&h| usize::from(h) % days == d) {
                -1
            } else {
                (d / width) as i64
            }
        })
        .collect();
    let bars = days.div_ceil(width);
    let key: Vec<i64> = input
        .rows
        .iter()
        .map(|r| i64::from(r.0) % (keys as i64 + 1) - 1)
        .collect();
    let day: Vec<i32> = input
        .rows
        .iter()
        .map(|r| first_day - 2 + i32::from(r.1 % 70))
        .collect();
    let value: Vec<f64> = input.rows.iter().map(|r| r.2.get()).collect();
    let rows = LongRows {
        key: &key,
        day: &day,
        value: &value,
    };
    let calendar = Calendar {
        first_day,
        bar_of_day: &bar_of_day,
        bars,
    };
    let options = PivotOptions {
        present: true,
        changes: input.changes,
    };
    let got = pivot_last(&rows, &calendar, keys, options)
        .expect("valid arguments")
        .map(|p| (p.cells, p.present));

    // The reference: the first repeated (key, day) inside the calendar's days, else the cells.
    let mut seen: HashMap<(i64, i32), usize> = HashMap::new();
    let mut cells: HashMap<(usize, usize), (i32, f64)> = HashMap::new();
    let mut marked: HashMap<(usize, usize), bool> = HashMap::new();
    for i in 0..key.len() {
        let offset = i64::from(day[i]) - i64::from(first_day);
        if key[i] < 0 || !(0..days as i64).contains(&offset) {
            continue;
        }
        if let Some(&previous) = seen.get(&(key[i], day[i])) {
            assert_eq!(got, Err(Duplicate { row: i, previous }));
            return;
        }
        seen.insert((key[i], day[i]), i);
        let bar = bar_of_day[offset as usize];
        if bar < 0 {
            continue;
        }
        let cell = (key[i] as usize, bar as usize);
        marked.insert(cell, true);
        if !value[i].is_finite() {
            continue;
        }
        if cells.get(&cell).is_none_or(|&(d, _)| day[i] > d) {
            cells.insert(cell, (day[i], value[i]));
        }
    }
    let Ok((matrix, present)) = got else {
        panic!("refused a table without duplicates: {got:?}");
    };
    for k in 0..keys {
        let mut previous: Option<f64> = None;
        for b in 0..bars {
            let has_row = marked.contains_key(&(k, b));
            assert_eq!(present[k * bars + b], has_row, "present ({b}, {k})");
            let level = cells.get(&(k, b)).map_or(f64::NAN, |&(_, v)| v);
            let want = if !input.changes {
                level
            } else if has_row {
                let change = previous.map_or(f64::NAN, |p| level / p - 1.0);
                previous = Some(level);
                change
            } else {
                f64::NAN
            };
            let have = matrix[k * bars + b];
            assert!(
                have.to_bits() == want.to_bits() || (have.is_nan() && want.is_nan()),
                "cell ({b}, {k}): {have} != {want}"
            );
        }
    }
});
