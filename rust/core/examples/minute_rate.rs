//! Rows/s of the minute accumulator on time-major synthetic bars (decoded columns, symbol
//! codes given): `cargo run --release --example minute_rate [symbols] [days]`.

use std::time::Instant;

use sectorflow_core::{MinuteAccumulator, MinuteBars, MinuteSpec, Outside, Session};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<usize>().unwrap_or(0));
    let symbols = args.next().unwrap_or(5_000);
    let days = args.next().unwrap_or(10);
    let session = Session::new(&[(570, 690), (780, 900)])?;
    let minute_of_slot = session.minute_of_slot();
    let per_minute = 60_000_000i64;
    let n = symbols * days * 240;
    let (mut time, mut symbol) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let mut close = Vec::with_capacity(n);
    let mut state = 1u64;
    let mut price: Vec<f64> = (0..symbols).map(|s| 5.0 + (s % 100) as f64).collect();
    for d in 0..days {
        for &m in &minute_of_slot {
            let t = (d as i64 * 1440 + i64::from(m) + 1) * per_minute;
            for (s, price) in price.iter_mut().enumerate() {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                // A random walk of 0.1% steps on a 0.01 tick.
                let noise = (state >> 40) as f64 / (1u64 << 24) as f64 - 0.5;
                *price *= 1.0 + 0.002 * noise;
                time.push(t);
                symbol.push(s as u32);
                close.push((*price * 100.0).round() / 100.0);
            }
        }
    }
    let volume: Vec<f64> = close.iter().map(|c| c * 100.0).collect();
    let amount: Vec<f64> = close.iter().zip(&volume).map(|(c, v)| c * v).collect();
    let bars = MinuteBars {
        time: &time,
        symbol: &symbol,
        open: &close,
        high: &close,
        low: &close,
        close: &close,
        volume: &volume,
        amount: Some(&amount),
    };
    let batch = 1 << 20;
    let mut best = f64::INFINITY;
    for _ in 0..15 {
        let spec = MinuteSpec {
            session: session.clone(),
            unit_per_minute: per_minute,
            label_right: true,
            every: Some(30),
            outside: Outside::Drop,
        };
        let mut acc = MinuteAccumulator::new(spec)?;
        let start = Instant::now();
        let mut from = 0;
        while from < n {
            let to = (from + batch).min(n);
            let part = bars.rows(from..to);
            acc.feed(&part).map_err(|e| format!("{e:?}"))?;
            from = to;
        }
        let (_, d) = acc.finish();
        assert_eq!(d.day.len(), symbols * days);
        best = best.min(start.elapsed().as_secs_f64());
    }
    println!("{n} rows: {:.1} M rows/s", n as f64 / best / 1e6);
    Ok(())
}
