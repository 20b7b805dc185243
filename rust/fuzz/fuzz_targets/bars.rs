//! String codes against a hash map, and minute bars to daily and k-minute bars against grouping
//! by hand (a session of two segments, bars inside and outside it, fed in two parts).
#![no_main]

use std::collections::HashMap;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sectorflow_core::{
    Codes, MinuteAccumulator, MinuteBars, MinuteError, MinuteSpec, Outside, Session, pack,
};

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
    every: u8,
}

/// Segments of the session in minutes of a 400-minute "day" (times are minutes; a day is 1440).
const SEGMENTS: [(u32, u32); 2] = [(10, 130), (200, 320)];

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

    // Bars: symbols' clocks advance by `step` minutes from a start inside the first day.
    let mut clock: HashMap<u8, i64> = HashMap::new();
    let (mut time, mut symbol, mut close, mut volume) = (vec![], vec![], vec![], vec![]);
    let mut firsts: HashMap<u8, u32> = HashMap::new();
    let mut duplicate_at = None;
    for (row, bar) in input.bars.iter().enumerate() {
        // Four symbols with many bars, and up to 128 more that cross the core's blocks of 64.
        let s = if bar.symbol >= 128 {
            bar.symbol
        } else {
            bar.symbol % 4
        };
        let next = firsts.len() as u32;
        let code = *firsts.entry(s).or_insert(next);
        let t = clock.get(&s).map_or(0, |t| t + i64::from(bar.step) * 7);
        if bar.step == 0 && clock.contains_key(&s) && duplicate_at.is_none() {
            duplicate_at = Some(row);
        }
        clock.insert(s, t);
        time.push(t);
        symbol.push(code);
        close.push(bar.close.map_or(f64::NAN, |c| f64::from(c) / 8.0));
        volume.push(f64::from(bar.volume));
    }
    let n = time.len();
    let every = u32::from(input.every % 50) + 1;
    let spec = MinuteSpec {
        session: Session::new(&SEGMENTS).expect("a valid session"),
        unit_per_minute: 1,
        label_right: false,
        every: Some(every),
        outside: Outside::Drop,
    };
    let mut acc = MinuteAccumulator::new(spec).expect("a valid spec");
    let cut = if n == 0 {
        0
    } else {
        usize::from(input.parts) % (n + 1)
    };
    let mut refused = None;
    for (a, b) in [(0, cut), (cut, n)] {
        let part = MinuteBars {
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
            Some(MinuteError::OutOfOrder {
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
    let (bars, days) = acc.finish();
    // By hand: per (symbol, day) and per (symbol, day, bar), the session bars with a close.
    let slot = |m: i64| -> Option<(u32, u32)> {
        let mut first = 0;
        for &(lo, hi) in &SEGMENTS {
            if (i64::from(lo)..i64::from(hi)).contains(&m) {
                let s = first + (m as u32 - lo);
                return Some((s, first + (s - first) / every * every));
            }
            first += hi - lo;
        }
        None
    };
    let mut day_cells: HashMap<(u32, i64), (f64, f64, f64, u32)> = HashMap::new();
    let mut bar_cells: HashMap<(u32, i64, u32), (f64, f64, f64, u32)> = HashMap::new();
    for i in 0..n {
        let (day, minute) = (time[i].div_euclid(1440), time[i].rem_euclid(1440));
        let Some((_, bar)) = slot(minute) else {
            continue;
        };
        if !close[i].is_finite() {
            continue;
        }
        for e in [
            day_cells
                .entry((symbol[i], day))
                .or_insert((f64::NEG_INFINITY, 0.0, 0.0, 0)),
            bar_cells
                .entry((symbol[i], day, bar))
                .or_insert((f64::NEG_INFINITY, 0.0, 0.0, 0)),
        ] {
            e.0 = e.0.max(close[i]);
            e.1 = close[i];
            e.2 += volume[i];
            e.3 += 1;
        }
    }
    assert_eq!(days.day.len(), day_cells.len());
    for k in 0..days.day.len() {
        let cell = day_cells[&(days.symbol[k], i64::from(days.day[k]))];
        assert_eq!(
            (days.high[k], days.close[k], days.volume[k], days.minutes[k]),
            cell
        );
        let corr = days.volume_price_corr[k];
        assert!(corr.is_nan() || (-1.0..=1.0).contains(&corr));
        assert!(days.max_drawdown[k] >= 0.0 || days.max_drawdown[k].is_nan());
    }
    assert_eq!(bars.day.len(), bar_cells.len());
    let minute_of = Session::new(&SEGMENTS).expect("valid").minute_of_slot();
    for k in 0..bars.day.len() {
        let start = bars.minute[k];
        let bar = minute_of
            .iter()
            .position(|&m| m == start)
            .expect("a session minute") as u32;
        let cell = bar_cells[&(bars.symbol[k], i64::from(bars.day[k]), bar)];
        assert_eq!(
            (bars.high[k], bars.close[k], bars.volume[k], bars.minutes[k]),
            cell
        );
    }
});
