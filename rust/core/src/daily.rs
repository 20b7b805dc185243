//! Intraday bars to daily bars: open, high, low, close, volume, amount and the bar count per
//! (symbol, day), in one pass fed in parts.
//!
//! Each symbol's rows must come in strict time order (any interleaving of symbols; two bars of a
//! symbol at the same time are refused, never summed); a day ends for a symbol when its first row
//! of a later day arrives, so only one open bucket per symbol is kept.

use crate::error::KernelError;
use crate::sector::BarsError;

/// Intraday bars in long format; every slice has one value per row. Missing values are NaN.
#[derive(Clone, Copy, Debug)]
pub struct IntradayBars<'a> {
    /// The trading day of each bar (days since 1970-01-01).
    pub day: &'a [i32],
    /// The time of each bar in any increasing unit (e.g. microseconds since the epoch); it
    /// orders a symbol's bars and finds duplicates.
    pub time: &'a [i64],
    /// Symbol codes, dense in first-seen order (see [`crate::Codes`]).
    pub symbol: &'a [u32],
    pub open: &'a [f64],
    pub high: &'a [f64],
    pub low: &'a [f64],
    pub close: &'a [f64],
    pub volume: &'a [f64],
    /// Traded value of each bar; `None` takes `close * volume`.
    pub amount: Option<&'a [f64]>,
}

/// One row per (symbol, day) with at least one bar with a close, in the order the days ended.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DailyBars {
    pub day: Vec<i32>,
    pub symbol: Vec<u32>,
    pub open: Vec<f64>,
    pub high: Vec<f64>,
    pub low: Vec<f64>,
    pub close: Vec<f64>,
    pub volume: Vec<f64>,
    pub amount: Vec<f64>,
    /// Bars with a close that day.
    pub bars: Vec<u32>,
    /// The row (counted over all parts) of the day's last bar with a close, to take other
    /// columns from.
    pub last_row: Vec<u64>,
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    day: i32,
    open: f64,
    high: f64,
    low: f64,
    close: f64,
    volume: f64,
    amount: f64,
    bars: u32,
    last_row: u64,
}

/// A symbol's open day and its last row seen (with or without a close), for the order check.
#[derive(Clone, Copy, Debug)]
struct Symbol {
    bucket: Option<Bucket>,
    seen_time: i64,
    seen_row: u64,
}

/// Daily bars from intraday bars fed in parts, in order.
#[derive(Debug, Clone, Default)]
pub struct DailyAccumulator {
    open: Vec<Symbol>,
    out: DailyBars,
    rows: u64,
}

/// `x` if finite, else `fallback`.
#[inline]
fn or(x: f64, fallback: f64) -> f64 {
    if x.is_finite() { x } else { fallback }
}

impl DailyAccumulator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `bars`; its rows are numbered after those of the earlier parts. A row whose time
    /// is not after the same symbol's previous row is refused as [`BarsError::OutOfOrder`]
    /// (`duplicate` when the times are equal).
    pub fn feed(&mut self, bars: &IntradayBars<'_>) -> Result<(), BarsError> {
        let n = bars.day.len();
        KernelError::same_lengths(
            n,
            &[
                ("symbol", bars.symbol.len()),
                ("datetime", bars.time.len()),
                ("open", bars.open.len()),
                ("high", bars.high.len()),
                ("low", bars.low.len()),
                ("close", bars.close.len()),
                ("volume", bars.volume.len()),
                ("amount", bars.amount.map_or(n, <[f64]>::len)),
            ],
        )?;
        for i in 0..n {
            let row = self.rows + i as u64;
            let code = bars.symbol[i] as usize;
            if code > self.open.len() {
                return Err(KernelError::invalid(
                    "symbol",
                    format!("row {row}: symbol code {code} skips codes"),
                )
                .into());
            }
            if code == self.open.len() {
                self.open.push(Symbol {
                    bucket: None,
                    seen_time: i64::MIN,
                    seen_row: u64::MAX,
                });
            }
            let (day, time) = (bars.day[i], bars.time[i]);
            let symbol = &mut self.open[code];
            if symbol.seen_row != u64::MAX && time <= symbol.seen_time {
                return Err(BarsError::OutOfOrder {
                    row: usize::try_from(row).unwrap_or(usize::MAX),
                    previous: usize::try_from(symbol.seen_row).unwrap_or(usize::MAX),
                    duplicate: time == symbol.seen_time,
                });
            }
            symbol.seen_row = row;
            symbol.seen_time = time;
            let close = bars.close[i];
            if !close.is_finite() {
                continue;
            }
            let volume = or(bars.volume[i], 0.0);
            let amount = bars.amount.map_or(close * volume, |a| or(a[i], 0.0));
            let (open, high, low) = (
                or(bars.open[i], close),
                or(bars.high[i], close),
                or(bars.low[i], close),
            );
            match &mut symbol.bucket {
                Some(b) if b.day == day => {
                    b.high = b.high.max(high);
                    b.low = b.low.min(low);
                    b.close = close;
                    b.volume += volume;
                    b.amount += amount;
                    b.bars += 1;
                    b.last_row = row;
                }
                slot => {
                    if let Some(b) = slot.take() {
                        self.out.push(code as u32, &b);
                    }
                    *slot = Some(Bucket {
                        day,
                        open,
                        high,
                        low,
                        close,
                        volume,
                        amount,
                        bars: 1,
                        last_row: row,
                    });
                }
            }
        }
        self.rows += n as u64;
        Ok(())
    }

    /// The daily bars: days ended while feeding, then each symbol's last day in code order.
    pub fn finish(mut self) -> DailyBars {
        for (code, symbol) in self.open.iter().enumerate() {
            if let Some(b) = &symbol.bucket {
                self.out.push(code as u32, b);
            }
        }
        self.out
    }
}

impl DailyBars {
    fn push(&mut self, symbol: u32, b: &Bucket) {
        self.day.push(b.day);
        self.symbol.push(symbol);
        self.open.push(b.open);
        self.high.push(b.high);
        self.low.push(b.low);
        self.close.push(b.close);
        self.volume.push(b.volume);
        self.amount.push(b.amount);
        self.bars.push(b.bars);
        self.last_row.push(b.last_row);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_become_one_bar_per_symbol_and_day() {
        // Symbols 0 and 1 interleaved over two days; symbol 1's second bar has no prices.
        let day = [5, 5, 5, 5, 6, 6];
        let time = [50, 50, 51, 51, 60, 61];
        let symbol = [0, 1, 0, 1, 0, 0];
        let open = [10.0, 20.0, 11.0, f64::NAN, 12.0, 12.5];
        let high = [10.5, 21.0, 11.8, f64::NAN, 12.9, 13.0];
        let low = [9.5, 19.0, 10.9, f64::NAN, 11.9, 12.1];
        let close = [10.2, 20.5, 11.5, f64::NAN, 12.4, 12.8];
        let volume = [100.0, 5.0, 200.0, 7.0, 50.0, f64::NAN];
        let bars = IntradayBars {
            day: &day,
            time: &time,
            symbol: &symbol,
            open: &open,
            high: &high,
            low: &low,
            close: &close,
            volume: &volume,
            amount: None,
        };
        let mut acc = DailyAccumulator::new();
        acc.feed(&bars).unwrap();
        let out = acc.finish();
        assert_eq!(out.day, [5, 6, 5]);
        assert_eq!(out.symbol, [0, 0, 1]);
        assert_eq!(out.open, [10.0, 12.0, 20.0]);
        assert_eq!(out.high, [11.8, 13.0, 21.0]);
        assert_eq!(out.low, [9.5, 11.9, 19.0]);
        assert_eq!(out.close, [11.5, 12.8, 20.5]);
        assert_eq!(out.volume, [300.0, 50.0, 5.0]);
        assert_eq!(
            out.amount,
            [10.2 * 100.0 + 11.5 * 200.0, 12.4 * 50.0, 20.5 * 5.0]
        );
        assert_eq!(out.bars, [2, 2, 1]);
        assert_eq!(out.last_row, [2, 5, 1]);
    }

    fn refusal(day: [i32; 3], time: [i64; 3], close: [f64; 3]) -> BarsError {
        let ones = [1.0; 3];
        let bars = IntradayBars {
            day: &day,
            time: &time,
            symbol: &[0, 1, 0],
            open: &ones,
            high: &ones,
            low: &ones,
            close: &close,
            volume: &ones,
            amount: None,
        };
        DailyAccumulator::new().feed(&bars).unwrap_err()
    }

    #[test]
    fn an_earlier_bar_after_a_later_one_is_refused() {
        let err = refusal([6, 6, 5], [60, 60, 50], [1.0; 3]);
        let want = BarsError::OutOfOrder {
            row: 2,
            previous: 0,
            duplicate: false,
        };
        assert_eq!(err, want);
        // The same day, an earlier minute.
        assert_eq!(refusal([6, 6, 6], [61, 60, 60], [1.0; 3]), want);
    }

    /// issue 20: two bars of a symbol at the same time are refused, never summed, even when the
    /// first has no close.
    #[test]
    fn duplicate_bars_are_refused_20() {
        let want = BarsError::OutOfOrder {
            row: 2,
            previous: 0,
            duplicate: true,
        };
        assert_eq!(refusal([6, 6, 6], [60, 60, 60], [1.0; 3]), want);
        assert_eq!(refusal([6, 6, 6], [60, 60, 60], [f64::NAN, 1.0, 1.0]), want);
    }
}
