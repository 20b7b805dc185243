//! Minute bars to session-aligned k-minute bars, daily bars and intraday features per symbol
//! and day, in one pass fed in parts (Arrow record batches of files larger than memory).
//!
//! A session is a list of segments of the day in local minutes, e.g. China A-shares
//! `[09:30, 11:30) + [13:00, 15:00)` (240 minutes) or US equities `[09:30, 16:00)` (390). A bar's
//! timestamp is its minute's start (`label_right = false`, US vendors) or end (A-share vendors:
//! 09:31 is the minute from 09:30). Each session minute has a slot `0..minutes`; k-minute bars
//! group the slots of one segment by `k`, so no bar spans the lunch break, and a bar is built
//! from the minutes present. Each symbol's rows must come in strict time order (symbols may
//! interleave); only the open day and the open k-minute bar of each symbol are kept, so memory
//! is bounded by the symbols, not the rows.
//!
//! The features of a day, over its minutes in order (``c`` the closes, ``v`` the volumes,
//! ``r_i = ln(c_i / c_{i-1})`` between consecutive minutes present that day, ``S`` the
//! session's minutes, ``C_prev`` the symbol's previous day's close)::
//!
//! ```text
//! realized_variance   sum r_i^2                 realized_skew  sqrt(N) sum r_i^3 / RV^(3/2)
//! intraday_return     close / open - 1          overnight      open / C_prev - 1
//! first_30_return     c(last minute in slots < 30) / open - 1
//! first_30_volume     sum v over slots < 30 / volume
//! last_30_return      c(last minute) / c(last minute before slot S - 30) - 1 (minutes in the window)
//! last_30_volume      sum v over slots >= S - 30 / volume
//! range_to_vwap       (high - low) / vwap,      vwap = amount / volume
//! amihud              |close / C_prev - 1| / amount
//! max_drawdown        max_t 1 - c_t / max(open, c_1..c_t)
//! volume_price_corr   Pearson correlation of c and v over the day's minutes
//! ```

use rayon::prelude::*;

use crate::error::KernelError;
use crate::threads::{current_num_threads, install, min_len};

const DAY_MINUTES: usize = 24 * 60;

/// The trading session of a market: segments `[start, end)` in minutes of the local day.
#[derive(Clone, Debug)]
pub struct Session {
    /// Per minute of the day, its slot (`u32::MAX` outside the session).
    slot_of: Vec<u32>,
    /// Per slot, the first slot of its segment.
    segment_start: Vec<u32>,
    minutes: u32,
}

impl Session {
    /// A session from ascending, non-overlapping segments within the day.
    pub fn new(segments: &[(u32, u32)]) -> Result<Self, KernelError> {
        if segments.is_empty() {
            return Err(KernelError::invalid("session", "a session needs a segment"));
        }
        let mut slot_of = vec![u32::MAX; DAY_MINUTES];
        let mut segment_start = Vec::new();
        let mut slot = 0u32;
        let mut after = 0u32;
        for &(start, end) in segments {
            if start < after || end <= start || end as usize > DAY_MINUTES {
                return Err(KernelError::invalid(
                    "session",
                    format!(
                        "session segments must be ascending, non-empty and within the day, got \
                         {start}..{end} (minutes)"
                    ),
                ));
            }
            let first = slot;
            for m in start..end {
                slot_of[m as usize] = slot;
                segment_start.push(first);
                slot += 1;
            }
            after = end;
        }
        Ok(Self {
            slot_of,
            segment_start,
            minutes: slot,
        })
    }

    /// The session's minutes (240 for China A-shares, 390 for US equities).
    pub fn minutes(&self) -> u32 {
        self.minutes
    }

    /// Per slot, the first slot of its k-minute bar: the segment's slots grouped by `k` from
    /// the segment's start.
    fn bar_starts(&self, k: u32) -> Vec<u32> {
        (0..self.minutes)
            .zip(&self.segment_start)
            .map(|(slot, &first)| first + (slot - first) / k * k)
            .collect()
    }

    /// The slot of each session minute's start, in minutes of the day (`slot -> minute`).
    pub fn minute_of_slot(&self) -> Vec<u32> {
        let mut out = vec![0; self.minutes as usize];
        for (m, &s) in self.slot_of.iter().enumerate() {
            if s != u32::MAX {
                out[s as usize] = m as u32;
            }
        }
        out
    }
}

/// What to do with a bar outside the session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outside {
    /// Skip it (pre- and post-market bars).
    Drop,
    /// Count it in the day's bar and features (not in k-minute bars or the 30-minute windows).
    Keep,
    /// Refuse the input at its row.
    Refuse,
}

/// How minute bars are read and grouped.
#[derive(Clone, Debug)]
pub struct MinuteSpec {
    pub session: Session,
    /// Timestamp units per minute (60e9 for nanoseconds, 60e6 for microseconds).
    pub unit_per_minute: i64,
    /// Whether a timestamp marks its minute's end (09:31 for the minute from 09:30).
    pub label_right: bool,
    /// k-minute bars to build, if any.
    pub every: Option<u32>,
    pub outside: Outside,
}

/// Minute bars in long format; every slice has one value per row. Missing values are NaN.
#[derive(Clone, Copy, Debug)]
pub struct MinuteBars<'a> {
    /// Local wall-clock time in the spec's unit since 1970-01-01 00:00.
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

impl<'a> MinuteBars<'a> {
    /// The bars of `rows`.
    pub fn rows(&self, rows: std::ops::Range<usize>) -> Self {
        let r = rows;
        Self {
            time: &self.time[r.clone()],
            symbol: &self.symbol[r.clone()],
            open: &self.open[r.clone()],
            high: &self.high[r.clone()],
            low: &self.low[r.clone()],
            close: &self.close[r.clone()],
            volume: &self.volume[r.clone()],
            amount: self.amount.map(|a| &a[r]),
        }
    }
}

/// The most rows [`MinuteAccumulator::feed`] takes in one pass (larger parts are cut).
const MAX_PART: usize = u32::MAX as usize;

/// Why minute bars were refused, at a row counted over all parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MinuteError {
    /// Row `row` has the same symbol as row `previous` and a time that is not later
    /// (`duplicate` when equal).
    OutOfOrder {
        row: usize,
        previous: usize,
        duplicate: bool,
    },
    /// Row `row` is outside the session (with [`Outside::Refuse`]).
    OutsideSession {
        row: usize,
    },
    Invalid(KernelError),
}

impl From<KernelError> for MinuteError {
    fn from(e: KernelError) -> Self {
        Self::Invalid(e)
    }
}

/// `append` (moves another's rows after these) and `shrink` (frees the room the columns grew
/// into beyond their rows) of a struct of columns, over its fields.
macro_rules! columns {
    ($name:ident: $($field:ident),+ $(,)?) => {
        impl $name {
            fn append(&mut self, mut other: Self) {
                $(self.$field.append(&mut other.$field);)+
            }

            fn shrink(&mut self) {
                $(self.$field.shrink_to_fit();)+
            }
        }
    };
}

/// k-minute bars: one row per symbol and bar with a minute, in the order the bars ended.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionBars {
    pub day: Vec<i32>,
    /// The minute of the day the bar starts at (its first slot's minute).
    pub minute: Vec<u32>,
    pub symbol: Vec<u32>,
    pub open: Vec<f64>,
    pub high: Vec<f64>,
    pub low: Vec<f64>,
    pub close: Vec<f64>,
    pub volume: Vec<f64>,
    pub amount: Vec<f64>,
    /// Minutes present in the bar.
    pub minutes: Vec<u32>,
}

/// One row per symbol and day with a minute: the daily bar and the features (see the module).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DayRows {
    pub day: Vec<i32>,
    pub symbol: Vec<u32>,
    pub open: Vec<f64>,
    pub high: Vec<f64>,
    pub low: Vec<f64>,
    pub close: Vec<f64>,
    pub volume: Vec<f64>,
    pub amount: Vec<f64>,
    pub minutes: Vec<u32>,
    pub realized_variance: Vec<f64>,
    pub realized_skew: Vec<f64>,
    pub intraday_return: Vec<f64>,
    pub overnight_return: Vec<f64>,
    pub first_30_return: Vec<f64>,
    pub first_30_volume: Vec<f64>,
    pub last_30_return: Vec<f64>,
    pub last_30_volume: Vec<f64>,
    pub range_to_vwap: Vec<f64>,
    pub amihud: Vec<f64>,
    pub max_drawdown: Vec<f64>,
    pub volume_price_corr: Vec<f64>,
    /// The row (counted over all parts) of the day's last minute, to take other columns from.
    pub last_row: Vec<u64>,
}

/// A bar being built: open, high, low, close, volume, amount and minutes.
#[derive(Clone, Copy, Debug)]
struct Ohlc {
    open: f64,
    high: f64,
    low: f64,
    close: f64,
    volume: f64,
    amount: f64,
    minutes: u32,
}

impl Ohlc {
    fn new(m: &Minute) -> Self {
        Self {
            open: m.open,
            high: m.high,
            low: m.low,
            close: m.close,
            volume: m.volume,
            amount: m.amount,
            minutes: 1,
        }
    }

    fn add(&mut self, m: &Minute) {
        self.high = self.high.max(m.high);
        self.low = self.low.min(m.low);
        self.close = m.close;
        self.volume += m.volume;
        self.amount += m.amount;
        self.minutes += 1;
    }
}

/// One minute's values, missing ones filled (open, high, low from the close; volume 0).
struct Minute {
    open: f64,
    high: f64,
    low: f64,
    close: f64,
    volume: f64,
    amount: f64,
}

/// The running state of a symbol's day.
#[derive(Clone, Copy, Debug)]
struct Day {
    day: i32,
    bar: Ohlc,
    last_row: u64,
    returns: u32,
    sum_r2: f64,
    sum_r3: f64,
    /// The running peak (from the open), the lowest close since it, and the deepest fall of
    /// the peaks before it.
    peak: f64,
    low: f64,
    drawdown: f64,
    first_close: f64,
    first_volume: f64,
    /// The close of the last minute before the last 30, and the window's minutes and volume.
    before_last: f64,
    last_close: f64,
    last_volume: f64,
    /// Sums of close and volume shifted by the day's first ones (exactly 0 for a constant
    /// column), for their correlation.
    shift_c: f64,
    shift_v: f64,
    sx: f64,
    sy: f64,
    sxx: f64,
    syy: f64,
    sxy: f64,
}

impl Day {
    fn new(day: i32, m: &Minute, row: u64) -> Self {
        Self {
            day,
            bar: Ohlc {
                minutes: 0,
                volume: 0.0,
                amount: 0.0,
                ..Ohlc::new(m)
            },
            last_row: row,
            returns: 0,
            sum_r2: 0.0,
            sum_r3: 0.0,
            peak: m.open,
            low: f64::INFINITY,
            drawdown: 0.0,
            first_close: f64::NAN,
            first_volume: 0.0,
            before_last: f64::NAN,
            last_close: f64::NAN,
            last_volume: 0.0,
            shift_c: m.close,
            shift_v: m.volume,
            sx: 0.0,
            sy: 0.0,
            sxx: 0.0,
            syy: 0.0,
            sxy: 0.0,
        }
    }

    /// Adds a minute; `slot` is its session slot (None for a kept minute outside the session).
    fn add(&mut self, m: &Minute, slot: Option<u32>, minutes: u32, row: u64) {
        if self.bar.minutes > 0 {
            let r = log_ratio(m.close, self.bar.close);
            self.returns += 1;
            let r2 = r * r;
            self.sum_r2 += r2;
            self.sum_r3 += r2 * r;
            self.bar.add(m);
        } else {
            self.bar = Ohlc::new(m);
        }
        self.last_row = row;
        if m.close > self.peak {
            self.drawdown = self.deepest();
            self.peak = m.close;
            self.low = m.close;
        } else if m.close < self.low {
            self.low = m.close;
        }
        if let Some(slot) = slot {
            if slot < 30 {
                self.first_close = m.close;
                self.first_volume += m.volume;
            }
            if slot + 30 >= minutes {
                self.last_close = m.close;
                self.last_volume += m.volume;
            } else {
                self.before_last = m.close;
            }
        }
        let (x, y) = (m.close - self.shift_c, m.volume - self.shift_v);
        self.sx += x;
        self.sy += y;
        self.sxx += x * x;
        self.syy += y * y;
        self.sxy += x * y;
    }

    /// The deepest fall from a peak so far.
    fn deepest(&self) -> f64 {
        if self.low < self.peak {
            self.drawdown.max(1.0 - self.low / self.peak)
        } else {
            self.drawdown
        }
    }

    /// The Pearson correlation of the day's closes and volumes (NaN if either is constant).
    fn volume_price_corr(&self) -> f64 {
        let n = f64::from(self.bar.minutes);
        let cxx = self.sxx - self.sx * self.sx / n;
        let cyy = self.syy - self.sy * self.sy / n;
        let cxy = self.sxy - self.sx * self.sy / n;
        if self.sxx > 0.0 && self.syy > 0.0 && cxx > 0.0 && cyy > 0.0 {
            (cxy / (cxx * cyy).sqrt()).clamp(-1.0, 1.0)
        } else {
            f64::NAN
        }
    }
}

columns!(
    DayRows:
    day, symbol, open, high, low, close, volume, amount, minutes, realized_variance,
    realized_skew, intraday_return, overnight_return, first_30_return, first_30_volume,
    last_30_return, last_30_volume, range_to_vwap, amihud, max_drawdown, volume_price_corr,
    last_row
);

impl DayRows {
    fn push(&mut self, symbol: u32, d: &Day, previous_close: f64) {
        let b = &d.bar;
        let share = |v: f64| {
            if b.volume > 0.0 {
                v / b.volume
            } else {
                f64::NAN
            }
        };
        let vwap = if b.volume > 0.0 {
            b.amount / b.volume
        } else {
            f64::NAN
        };
        let skew = if d.sum_r2 > 0.0 {
            f64::from(d.returns).sqrt() * d.sum_r3 / d.sum_r2.powf(1.5)
        } else {
            f64::NAN
        };
        self.day.push(d.day);
        self.symbol.push(symbol);
        self.open.push(b.open);
        self.high.push(b.high);
        self.low.push(b.low);
        self.close.push(b.close);
        self.volume.push(b.volume);
        self.amount.push(b.amount);
        self.minutes.push(b.minutes);
        self.realized_variance
            .push(if d.returns > 0 { d.sum_r2 } else { f64::NAN });
        self.realized_skew.push(skew);
        self.intraday_return.push(b.close / b.open - 1.0);
        self.overnight_return.push(b.open / previous_close - 1.0);
        self.first_30_return.push(d.first_close / b.open - 1.0);
        self.first_30_volume.push(share(d.first_volume));
        self.last_30_return.push(d.last_close / d.before_last - 1.0);
        self.last_30_volume.push(share(d.last_volume));
        self.range_to_vwap.push((b.high - b.low) / vwap);
        self.amihud.push(if b.amount > 0.0 {
            (b.close / previous_close - 1.0).abs() / b.amount
        } else {
            f64::NAN
        });
        self.max_drawdown.push(d.deepest());
        self.volume_price_corr.push(d.volume_price_corr());
        self.last_row.push(d.last_row);
    }
}

columns!(
    SessionBars:
    day, minute, symbol, open, high, low, close, volume, amount, minutes
);

impl SessionBars {
    fn push(&mut self, symbol: u32, day: i32, minute: u32, b: &Ohlc) {
        self.day.push(day);
        self.minute.push(minute);
        self.symbol.push(symbol);
        self.open.push(b.open);
        self.high.push(b.high);
        self.low.push(b.low);
        self.close.push(b.close);
        self.volume.push(b.volume);
        self.amount.push(b.amount);
        self.minutes.push(b.minutes);
    }
}

/// A symbol's open day and k-minute bar, its previous close and its last row for the order
/// check.
#[derive(Clone, Copy, Debug)]
struct Symbol {
    day: Option<Day>,
    /// The open k-minute bar: (day, first slot, bar).
    bar: Option<(i32, u32, Ohlc)>,
    previous_close: f64,
    seen_time: i64,
    seen_row: u64,
}

impl Symbol {
    /// A symbol before its first row.
    const NEW: Self = Self {
        day: None,
        bar: None,
        previous_close: f64::NAN,
        seen_time: i64::MIN,
        seen_row: u64::MAX,
    };
}

/// The symbols of one thread (see [`Shards`]) and what they finished.
#[derive(Debug, Clone, Default)]
struct Shard {
    open: Vec<Symbol>,
    days: DayRows,
    bars: SessionBars,
    /// Per local block, the runs of a part's rows in it (kept for their room).
    runs: Vec<Vec<(u32, u32)>>,
}

/// Session bars, daily bars and features from minute bars fed in parts, in order.
///
/// The symbols are split into one shard per thread of the pool (blocks of 64 codes dealt in
/// turn, see `Shards`); each thread finds the runs of its blocks' rows in a part and updates
/// them block by block.
#[derive(Debug, Clone)]
pub struct MinuteAccumulator {
    spec: MinuteSpec,
    minute_of_slot: Vec<u32>,
    /// Per slot, the first slot of its k-minute bar (empty without k-minute bars).
    bar_start: Vec<u32>,
    shards: Vec<Shard>,
    rows: u64,
}

/// `ln(c / p)` without rounding `c / p` first (which costs up to 1e-16 absolute, many ulp of a
/// small return): by `2 atanh(u)` with `u = (c - p) / (c + p)` for moves under about 6% (`c - p`
/// is exact there and the series `2 (u + u^3/3 + ... + u^9/9)` has converged to below a tenth of
/// an ulp, `u^2 < 1e-3`), else `ln_1p((c - p) / p)`. The series costs a fraction of a logarithm.
#[inline]
fn log_ratio(c: f64, p: f64) -> f64 {
    let u = (c - p) / (c + p);
    if u.abs() < 0.03 {
        let u2 = u * u;
        // Terms to u^9 (the next, u^11/11, is under 6e-17 of u); paired so the products
        // overlap, and plain multiply-adds (`mul_add` is a library call without `fma`).
        let u4 = u2 * u2;
        let series = (1.0 / 3.0 + u2 * (1.0 / 5.0)) + u4 * (1.0 / 7.0 + u2 * (1.0 / 9.0));
        2.0 * (u + series * u2 * u)
    } else {
        ((c - p) / p).ln_1p()
    }
}

/// `x` if finite, else `fallback`.
#[inline]
fn or(x: f64, fallback: f64) -> f64 {
    if x.is_finite() { x } else { fallback }
}

impl MinuteAccumulator {
    pub fn new(spec: MinuteSpec) -> Result<Self, KernelError> {
        if spec.unit_per_minute <= 0 {
            return Err(KernelError::invalid(
                "unit_per_minute",
                "unit_per_minute must be > 0",
            ));
        }
        if spec.every == Some(0) {
            return Err(KernelError::invalid("every", "every must be >= 1 minute"));
        }
        let threads = if min_len() == 1 {
            current_num_threads()
        } else {
            1
        };
        Ok(Self {
            minute_of_slot: spec.session.minute_of_slot(),
            bar_start: spec
                .every
                .map_or_else(Vec::new, |k| spec.session.bar_starts(k)),
            spec,
            shards: vec![Shard::default(); threads.max(1)],
            rows: 0,
        })
    }

    /// Adds `bars`; its rows are numbered after those of the earlier parts. Refused rows: the
    /// first in row order.
    pub fn feed(&mut self, bars: &MinuteBars<'_>) -> Result<(), MinuteError> {
        let n = bars.time.len();
        KernelError::same_lengths(
            n,
            &[
                ("symbol", bars.symbol.len()),
                ("open", bars.open.len()),
                ("high", bars.high.len()),
                ("low", bars.low.len()),
                ("close", bars.close.len()),
                ("volume", bars.volume.len()),
                ("amount", bars.amount.map_or(n, <[f64]>::len)),
            ],
        )?;
        if n > MAX_PART {
            // Row runs are counted in u32.
            return (0..n)
                .step_by(MAX_PART)
                .try_for_each(|from| self.feed(&bars.rows(from..n.min(from + MAX_PART))));
        }
        let shards = Shards::new(self.shards.len());
        let (spec, minute_of_slot, rows) = (&self.spec, &self.minute_of_slot, self.rows);
        let bar_start = &self.bar_start;
        let results = install(|| {
            self.shards
                .par_iter_mut()
                .enumerate()
                .map(|(index, shard)| {
                    let mut feeder = Feeder {
                        spec,
                        minute_of_slot,
                        bar_start,
                        shard,
                        shards,
                        index,
                        rows,
                    };
                    feeder.feed(bars)
                })
                .collect::<Vec<_>>()
        })?;
        let first = results
            .into_iter()
            .filter_map(Result::err)
            .min_by_key(refused_row);
        if let Some(e) = first {
            return Err(e);
        }
        self.rows += n as u64;
        Ok(())
    }

    /// The k-minute bars and the days: those ended while feeding, then the open ones.
    pub fn finish(self) -> (SessionBars, DayRows) {
        let shards = Shards::new(self.shards.len());
        let mut bars = SessionBars::default();
        let mut days = DayRows::default();
        for (index, mut shard) in self.shards.into_iter().enumerate() {
            for (local, symbol) in shard.open.iter().enumerate() {
                let code = shards.code(local, index);
                if let Some(d) = &symbol.day {
                    shard.days.push(code, d, symbol.previous_close);
                }
                if let Some((d, s, b)) = &symbol.bar {
                    shard
                        .bars
                        .push(code, *d, self.minute_of_slot[*s as usize], b);
                }
            }
            bars.append(shard.bars);
            days.append(shard.days);
        }
        bars.shrink();
        days.shrink();
        (bars, days)
    }
}

/// One thread's pass over a part: the rows of its shard's symbols.
struct Feeder<'a> {
    spec: &'a MinuteSpec,
    minute_of_slot: &'a [u32],
    bar_start: &'a [u32],
    shard: &'a mut Shard,
    shards: Shards,
    index: usize,
    rows: u64,
}

/// Symbols in blocks of [`Shards::BLOCK`] codes dealt to the shards in turn, so that in
/// time-major files (a minute's rows in symbol order) each thread reads its own cache lines.
#[derive(Clone, Copy, Debug)]
struct Shards {
    count: usize,
    /// `log2(count)` when `count` is a power of two (a mask and a shift, no division).
    pow2: Option<u32>,
}

impl Shards {
    const BLOCK: usize = 64;
    const BLOCK_BITS: u32 = Self::BLOCK.trailing_zeros();

    fn new(count: usize) -> Self {
        Self {
            count,
            pow2: count.is_power_of_two().then(|| count.trailing_zeros()),
        }
    }

    /// The index of `code` within shard `index`, if it is that shard's.
    #[inline]
    fn local(self, code: usize, index: usize) -> Option<usize> {
        let block = code >> Self::BLOCK_BITS;
        let local_block = match self.pow2 {
            Some(bits) if block & (self.count - 1) == index => block >> bits,
            None if block % self.count == index => block / self.count,
            _ => return None,
        };
        Some(local_block << Self::BLOCK_BITS | code & (Self::BLOCK - 1))
    }

    /// The code of shard `index`'s symbol `local`.
    fn code(self, local: usize, index: usize) -> u32 {
        let block = (local >> Self::BLOCK_BITS) * self.count + index;
        (block << Self::BLOCK_BITS | local & (Self::BLOCK - 1)) as u32
    }
}

impl Feeder<'_> {
    /// The rows of the shard's symbols, block by block: a block's state (64 symbols) stays in
    /// the core's first-level cache while its rows are read, in row order within the block.
    fn feed(&mut self, bars: &MinuteBars<'_>) -> Result<(), MinuteError> {
        let mut runs = std::mem::take(&mut self.shard.runs);
        self.runs(bars.symbol, &mut runs);
        // Rows of one minute come together (time-major files): the last time's day and minute.
        let mut last = None;
        let mut first: Option<MinuteError> = None;
        for (local_block, block) in runs.iter().enumerate() {
            let first_local = local_block << Shards::BLOCK_BITS;
            'block: for &(start, end) in block {
                for i in start as usize..end as usize {
                    let local = first_local | bars.symbol[i] as usize & (Shards::BLOCK - 1);
                    if let Err(e) = self.row(bars, i, local, &mut last) {
                        if first
                            .as_ref()
                            .is_none_or(|f| refused_row(&e) < refused_row(f))
                        {
                            first = Some(e);
                        }
                        break 'block;
                    }
                }
            }
        }
        self.shard.runs = runs;
        first.map_or(Ok(()), Err)
    }

    /// The runs `start..end` of consecutive rows in one block of this shard, per local block.
    fn runs(&self, symbol: &[u32], runs: &mut Vec<Vec<(u32, u32)>>) {
        for block in runs.iter_mut() {
            block.clear();
        }
        let mut start = 0;
        while start < symbol.len() {
            let block = symbol[start] as usize >> Shards::BLOCK_BITS;
            let end = symbol[start..]
                .iter()
                .position(|&c| c as usize >> Shards::BLOCK_BITS != block)
                .map_or(symbol.len(), |len| start + len);
            if let Some(local) = self.shards.local(block << Shards::BLOCK_BITS, self.index) {
                let local = local >> Shards::BLOCK_BITS;
                if runs.len() <= local {
                    runs.resize_with(local + 1, Vec::new);
                }
                // Parts are under 2^32 rows (see `MinuteAccumulator::feed`).
                runs[local].push((start as u32, end as u32));
            }
            start = end;
        }
    }

    /// Adds row `i`, of the shard's symbol `local`.
    #[inline(always)]
    fn row(
        &mut self,
        bars: &MinuteBars<'_>,
        i: usize,
        local: usize,
        last: &mut Option<(i64, i32, usize)>,
    ) -> Result<(), MinuteError> {
        let code = bars.symbol[i] as usize;
        let row = self.rows + i as u64;
        let shard = &mut *self.shard;
        if local >= shard.open.len() {
            shard.open.resize(local + 1, Symbol::NEW);
        }
        let time = bars.time[i];
        let symbol = &mut shard.open[local];
        if symbol.seen_row != u64::MAX && time <= symbol.seen_time {
            return Err(MinuteError::OutOfOrder {
                row: usize::try_from(row).unwrap_or(usize::MAX),
                previous: usize::try_from(symbol.seen_row).unwrap_or(usize::MAX),
                duplicate: time == symbol.seen_time,
            });
        }
        symbol.seen_row = row;
        symbol.seen_time = time;
        let (day, minute) = match *last {
            Some((t, day, minute)) if t == time => (day, minute),
            _ => {
                let per_minute = self.spec.unit_per_minute;
                let per_day = per_minute.saturating_mul(DAY_MINUTES as i64);
                let shift = if self.spec.label_right { per_minute } else { 0 };
                let start = time.saturating_sub(shift);
                let day = i32::try_from(start.div_euclid(per_day)).map_err(|_| {
                    KernelError::invalid("datetime", format!("row {row}: time out of range"))
                })?;
                let minute = (start.rem_euclid(per_day) / per_minute) as usize;
                *last = Some((time, day, minute));
                (day, minute)
            }
        };
        let session = &self.spec.session;
        let slot = session.slot_of[minute];
        let in_session = slot != u32::MAX;
        if !in_session {
            match self.spec.outside {
                Outside::Drop => return Ok(()),
                Outside::Refuse => {
                    return Err(MinuteError::OutsideSession {
                        row: usize::try_from(row).unwrap_or(usize::MAX),
                    });
                }
                Outside::Keep => {}
            }
        }
        let close = bars.close[i];
        if !close.is_finite() {
            return Ok(());
        }
        let volume = or(bars.volume[i], 0.0);
        let m = Minute {
            open: or(bars.open[i], close),
            high: or(bars.high[i], close),
            low: or(bars.low[i], close),
            close,
            volume,
            amount: bars.amount.map_or(close * volume, |a| or(a[i], 0.0)),
        };
        match &mut symbol.day {
            Some(d) if d.day == day => {}
            slot_day => {
                if let Some(d) = slot_day.take() {
                    shard.days.push(code as u32, &d, symbol.previous_close);
                    symbol.previous_close = d.bar.close;
                }
                *slot_day = Some(Day::new(day, &m, row));
            }
        }
        if let Some(d) = &mut symbol.day {
            d.add(&m, in_session.then_some(slot), session.minutes, row);
        }
        if let (Some(&bar_slot), true) = (self.bar_start.get(slot as usize), in_session) {
            match &mut symbol.bar {
                Some((d, s, b)) if *d == day && *s == bar_slot => b.add(&m),
                open => {
                    if let Some((d, s, b)) = open.take() {
                        shard
                            .bars
                            .push(code as u32, d, self.minute_of_slot[s as usize], &b);
                    }
                    *open = Some((day, bar_slot, Ohlc::new(&m)));
                }
            }
        }
        Ok(())
    }
}

/// The row a refusal names (an invalid input: before every row).
fn refused_row(e: &MinuteError) -> usize {
    match e {
        MinuteError::OutOfOrder { row, .. } | MinuteError::OutsideSession { row } => *row,
        MinuteError::Invalid(_) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60;

    fn cn() -> Session {
        Session::new(&[(570, 690), (780, 900)]).unwrap()
    }

    fn spec(every: Option<u32>, label_right: bool, outside: Outside) -> MinuteSpec {
        MinuteSpec {
            session: cn(),
            unit_per_minute: MIN,
            label_right,
            every,
            outside,
        }
    }

    /// Seconds since the epoch of day `d`, `hh:mm`.
    fn at(d: i64, hh: i64, mm: i64) -> i64 {
        d * 86_400 + (hh * 60 + mm) * MIN
    }

    #[test]
    fn log_ratio_is_ln_to_an_ulp() {
        let mut worst = 0.0f64;
        for i in 0..200_000 {
            let p = 10.0 + f64::from(i % 997) * 0.37;
            let c = p * (1.0 + (f64::from(i) / 200_000.0 - 0.5) * 0.14);
            // ln_1p of the exact c - p over p is within about 1.5 ulp of the truth.
            let reference = ((c - p) / p).ln_1p();
            let ulp = f64::EPSILON * reference.abs().max(f64::MIN_POSITIVE);
            worst = worst.max((log_ratio(c, p) - reference).abs() / ulp);
        }
        assert!(worst <= 3.0, "{worst} ulp");
        assert_eq!(log_ratio(7.0, 7.0), 0.0);
        assert_eq!(log_ratio(2.0, 1.0), 2f64.ln());
    }

    #[test]
    fn the_cn_session_has_240_slots_and_no_bar_spans_lunch() {
        let s = cn();
        assert_eq!(s.minutes(), 240);
        let minute = s.minute_of_slot();
        assert_eq!(
            (minute[0], minute[119], minute[120], minute[239]),
            (570, 689, 780, 899)
        );
        // 45-minute bars: the morning's 120 minutes make 45 + 45 + 30, then the afternoon.
        let times: Vec<i64> = (0..240)
            .map(|s| at(1, 0, i64::from(minute[s]) + 1))
            .collect();
        let n = times.len();
        let ones = vec![1.0; n];
        let symbol = vec![0u32; n];
        let mut acc = MinuteAccumulator::new(spec(Some(45), true, Outside::Refuse)).unwrap();
        acc.feed(&MinuteBars {
            time: &times,
            symbol: &symbol,
            open: &ones,
            high: &ones,
            low: &ones,
            close: &ones,
            volume: &ones,
            amount: None,
        })
        .unwrap();
        let (bars, days) = acc.finish();
        assert_eq!(bars.minute, [570, 615, 660, 780, 825, 870]);
        assert_eq!(bars.minutes, [45, 45, 30, 45, 45, 30]);
        assert_eq!(days.minutes, [240]);
        assert_eq!(days.day, [1]);
    }

    #[test]
    fn outside_minutes_are_dropped_kept_or_refused() {
        // 09:25 (call auction, right-labelled 09:26 start 09:25) is outside; 09:31 is slot 0.
        let times = [at(2, 9, 26), at(2, 9, 31), at(2, 9, 32)];
        let close = [10.0, 11.0, 12.0];
        let v = [5.0, 1.0, 2.0];
        let bars = MinuteBars {
            time: &times,
            symbol: &[0, 0, 0],
            open: &close,
            high: &close,
            low: &close,
            close: &close,
            volume: &v,
            amount: None,
        };
        let run = |outside| {
            let mut acc = MinuteAccumulator::new(spec(None, true, outside)).unwrap();
            acc.feed(&bars).map(|()| acc.finish().1)
        };
        let dropped = run(Outside::Drop).unwrap();
        assert_eq!(
            (dropped.open[0], dropped.volume[0], dropped.minutes[0]),
            (11.0, 3.0, 2)
        );
        let kept = run(Outside::Keep).unwrap();
        assert_eq!(
            (kept.open[0], kept.volume[0], kept.minutes[0]),
            (10.0, 8.0, 3)
        );
        // The first 30 minutes' volume counts session minutes only.
        assert_eq!(kept.first_30_volume[0], 3.0 / 8.0);
        assert_eq!(
            run(Outside::Refuse),
            Err(MinuteError::OutsideSession { row: 0 })
        );
    }

    #[test]
    fn features_of_a_day_follow_their_definitions() {
        // Day 5: closes 10, 11, 9.9, 10.89 at 09:30..09:33 (left labels); the previous day
        // closed at 8 at 14:59.
        let times = [
            at(4, 14, 59),
            at(5, 9, 30),
            at(5, 9, 31),
            at(5, 9, 32),
            at(5, 9, 33),
        ];
        let close = [8.0, 10.0, 11.0, 9.9, 10.89];
        let open = [8.0, 9.5, 10.0, 11.0, 9.9];
        let volume = [1.0, 100.0, 50.0, 80.0, 20.0];
        let mut acc = MinuteAccumulator::new(spec(Some(30), false, Outside::Refuse)).unwrap();
        acc.feed(&MinuteBars {
            time: &times,
            symbol: &[0; 5],
            open: &open,
            high: &close,
            low: &close,
            close: &close,
            volume: &volume,
            amount: None,
        })
        .unwrap();
        let (bars, days) = acc.finish();
        assert_eq!(days.day, [4, 5]);
        let r = [
            (11.0f64 / 10.0).ln(),
            (9.9f64 / 11.0).ln(),
            (10.89f64 / 9.9).ln(),
        ];
        let rv: f64 = r.iter().map(|x| x * x).sum();
        let close_ = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1.0);
        assert!(close_(days.realized_variance[1], rv));
        let skew = 3f64.sqrt() * r.iter().map(|x| x.powi(3)).sum::<f64>() / rv.powf(1.5);
        assert!(close_(days.realized_skew[1], skew));
        assert!(days.realized_variance[0].is_nan());
        assert_eq!(days.open[1], 9.5);
        assert!(close_(days.intraday_return[1], 10.89 / 9.5 - 1.0));
        assert!(close_(days.overnight_return[1], 9.5 / 8.0 - 1.0));
        assert!(days.overnight_return[0].is_nan());
        assert!(close_(days.first_30_return[1], 10.89 / 9.5 - 1.0));
        assert_eq!(days.first_30_volume[1], 1.0);
        assert!(days.last_30_return[1].is_nan());
        assert_eq!(days.last_30_volume[1], 0.0);
        // Yesterday's 14:59 minute is in the last 30 (slot 239), with no minute before them.
        assert_eq!(days.last_30_volume[0], 1.0);
        // Peak 11 at 09:31, trough 9.9: 10%.
        assert!(close_(days.max_drawdown[1], 1.0 - 9.9 / 11.0));
        let amount: f64 = close[1..]
            .iter()
            .zip(&volume[1..])
            .map(|(c, v)| c * v)
            .sum();
        assert!(close_(days.amount[1], amount));
        let vwap = amount / 250.0;
        assert!(close_(days.range_to_vwap[1], (11.0 - 9.9) / vwap));
        assert!(close_(
            days.amihud[1],
            (10.89f64 / 8.0 - 1.0).abs() / amount
        ));
        let (c, v) = (&close[1..], &volume[1..]);
        let (mc, mv) = (c.iter().sum::<f64>() / 4.0, v.iter().sum::<f64>() / 4.0);
        let cov: f64 = c.iter().zip(v).map(|(a, b)| (a - mc) * (b - mv)).sum();
        let sc: f64 = c.iter().map(|a| (a - mc).powi(2)).sum();
        let sv: f64 = v.iter().map(|b| (b - mv).powi(2)).sum();
        assert!(close_(days.volume_price_corr[1], cov / (sc * sv).sqrt()));
        // 30-minute bars: yesterday's 14:30 bar, today's 09:30 bar.
        assert_eq!(bars.minute, [870, 570]);
        assert_eq!(bars.minutes, [1, 4]);
        assert_eq!(
            (bars.open[1], bars.close[1], bars.volume[1]),
            (9.5, 10.89, 250.0)
        );
    }

    #[test]
    fn a_symbols_rows_out_of_order_or_repeated_are_refused() {
        let close = [1.0; 3];
        let feed = |times: [i64; 3]| {
            let mut acc = MinuteAccumulator::new(spec(None, false, Outside::Drop)).unwrap();
            acc.feed(&MinuteBars {
                time: &times,
                symbol: &[0, 1, 0],
                open: &close,
                high: &close,
                low: &close,
                close: &close,
                volume: &close,
                amount: None,
            })
        };
        assert_eq!(
            feed([at(1, 10, 0), at(1, 9, 0), at(1, 10, 0)]),
            Err(MinuteError::OutOfOrder {
                row: 2,
                previous: 0,
                duplicate: true
            })
        );
        assert!(feed([at(1, 10, 0), at(1, 9, 0), at(1, 10, 1)]).is_ok());
    }
}
