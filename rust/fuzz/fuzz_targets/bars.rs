//! String codes against a hash map, and intraday bars to daily bars against grouping by hand.
#![no_main]

use std::collections::HashMap;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sectorflow_core::{BarsError, Codes, DailyAccumulator, IntradayBars, pack};

#[derive(Arbitrary, Debug)]
struct Bar {
    symbol: u8,
    /// Minutes after the previous bar of the same symbol (0: a duplicate).
    step: u8,
    close: Option<i16>,
    volume: u8,
}

#[derive(Arbitrary, Debug)]
struct Input {
    keys: Vec<String>,
    bars: Vec<Bar>,
    parts: u8,
}

fuzz_target!(|input: Input| {
    // Codes: dense, first-seen, the same key always the same code, packed or not.
    let mut codes = Codes::new();
    let mut want: HashMap<&str, u32> = HashMap::new();
    for key in &input.keys {
        let next = want.len() as u32;
        let expected = *want.entry(key.as_str()).or_insert(next);
        let got = codes.code(key, "key").expect("few keys");
        assert_eq!(got, expected, "{key:?}");
        assert_eq!(pack(key).is_some(), key.len() <= sectorflow_core::INLINE);
    }
    assert_eq!(codes.names().len(), want.len());

    // Daily bars: symbols' clocks advance by `step` minutes; a day is 390 minutes.
    let mut clock: HashMap<u8, i64> = HashMap::new();
    let (mut day, mut time, mut symbol, mut close, mut volume) =
        (vec![], vec![], vec![], vec![], vec![]);
    let mut firsts: HashMap<u8, u32> = HashMap::new();
    let mut duplicate_at = None;
    for (row, bar) in input.bars.iter().enumerate() {
        let s = bar.symbol % 4;
        let next = firsts.len() as u32;
        let code = *firsts.entry(s).or_insert(next);
        let t = clock.get(&s).map_or(0, |t| t + i64::from(bar.step));
        if bar.step == 0 && clock.contains_key(&s) && duplicate_at.is_none() {
            duplicate_at = Some(row);
        }
        clock.insert(s, t);
        day.push(i32::try_from(t / 390).expect("small"));
        time.push(t);
        symbol.push(code);
        close.push(bar.close.map_or(f64::NAN, |c| f64::from(c) / 8.0));
        volume.push(f64::from(bar.volume));
    }
    let n = day.len();
    let mut acc = DailyAccumulator::new();
    let cut = if n == 0 {
        0
    } else {
        usize::from(input.parts) % (n + 1)
    };
    let mut refused = None;
    for (a, b) in [(0, cut), (cut, n)] {
        let part = IntradayBars {
            day: &day[a..b],
            time: &time[a..b],
            symbol: &symbol[a..b],
            open: &close[a..b],
            high: &close[a..b],
            low: &close[a..b],
            close: &close[a..b],
            volume: &volume[a..b],
            amount: None,
        };
        if let Err(e) = acc.feed(&part) {
            refused = Some(e);
            break;
        }
    }
    match (duplicate_at, refused) {
        (
            Some(row),
            Some(BarsError::OutOfOrder {
                row: r,
                duplicate: true,
                ..
            }),
        ) => {
            assert_eq!(r, row);
            return;
        }
        (None, None) => {}
        other => panic!("duplicate bar and refusal disagree: {other:?}"),
    }
    let out = acc.finish();
    // By hand: per (symbol, day), the bars with a close.
    let mut cells: HashMap<(u32, i32), (f64, f64, f64, u32)> = HashMap::new();
    for i in 0..n {
        if !close[i].is_finite() {
            continue;
        }
        let e = cells
            .entry((symbol[i], day[i]))
            .or_insert((f64::NEG_INFINITY, 0.0, 0.0, 0));
        e.0 = e.0.max(close[i]);
        e.1 = close[i];
        e.2 += volume[i];
        e.3 += 1;
    }
    assert_eq!(out.day.len(), cells.len());
    for k in 0..out.day.len() {
        let cell = cells[&(out.symbol[k], out.day[k])];
        assert_eq!(
            (out.high[k], out.close[k], out.volume[k], out.bars[k]),
            cell
        );
    }
});
