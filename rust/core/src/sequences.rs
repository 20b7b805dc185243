//! Feature sequences for sequence models (a GRU): each entity's bars (daily, 60- or 30-minute)
//! as one `[days * bars_per_day, F]` float32 block of stationary features, so that the `[T, F]`
//! input of every (entity, date) sample is a window of consecutive rows of it (a strided view,
//! no copy per sample).
//!
//! The features of a bar, with `P` the entity's last close before the bar's day, `V` and `A` the
//! mean volume and amount per bar present over the previous `average_days` days of the
//! calendar (the bar's own day excluded):
//!
//! ```text
//! open, high, low, close, vwap    x / P - 1
//! log_volume, log_amount          ln(1 + volume / V), ln(1 + amount / A)
//! bar_return, bar_range           close / open - 1, (high - low) / open
//! extra columns                   as given
//! ```
//!
//! A missing bar, or a feature without the history it needs, is `fill`. Nothing of a bar reads
//! a later day.

use rayon::prelude::*;

use crate::error::KernelError;
use crate::pages;
use crate::threads::{install, min_len};

/// The features computed from prices and volumes, in order (the extra columns follow).
pub const SEQUENCE_FEATURES: [&str; 9] = [
    "open",
    "high",
    "low",
    "close",
    "vwap",
    "log_volume",
    "log_amount",
    "bar_return",
    "bar_range",
];

/// Bars in long format: one value per row in every slice; missing values are NaN.
#[derive(Clone, Copy, Debug)]
pub struct SequenceBars<'a> {
    /// Entity codes `0..entities`.
    pub entity: &'a [u32],
    /// Day of the calendar, `0..days`.
    pub day: &'a [u32],
    /// Bar of the day, `0..bars_per_day`.
    pub slot: &'a [u32],
    pub open: &'a [f64],
    pub high: &'a [f64],
    pub low: &'a [f64],
    pub close: &'a [f64],
    pub vwap: &'a [f64],
    pub volume: &'a [f64],
    pub amount: &'a [f64],
    /// Columns taken as they are (already normalised by the caller).
    pub extra: &'a [&'a [f64]],
}

/// The shape of the sequences.
#[derive(Clone, Copy, Debug)]
pub struct SequenceSpec {
    pub entities: usize,
    pub days: usize,
    pub bars_per_day: usize,
    /// Days of the volume and amount averages.
    pub average_days: usize,
    /// The value of a missing feature (0 for a network's input, NaN to see them).
    pub fill: f32,
}

/// The features, `[entities, days * bars_per_day, features]` row-major, and each entity's
/// close of each day (its last bar's), `[entities, days]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sequences {
    pub features: Vec<f32>,
    pub features_per_bar: usize,
    pub day_close: Vec<f64>,
}

/// Why bars were refused: a bad argument, or row `row` repeating row `previous`'s cell.
#[derive(Debug, Clone, PartialEq)]
pub enum SequenceError {
    Duplicate { row: usize, previous: usize },
    Invalid(KernelError),
}

impl From<KernelError> for SequenceError {
    fn from(e: KernelError) -> Self {
        Self::Invalid(e)
    }
}

/// The feature sequences of `bars`; see the module.
pub fn sequence_features(
    bars: &SequenceBars<'_>,
    spec: &SequenceSpec,
) -> Result<Sequences, SequenceError> {
    let n = bars.entity.len();
    let mut lengths = vec![
        ("day", bars.day.len()),
        ("slot", bars.slot.len()),
        ("open", bars.open.len()),
        ("high", bars.high.len()),
        ("low", bars.low.len()),
        ("close", bars.close.len()),
        ("vwap", bars.vwap.len()),
        ("volume", bars.volume.len()),
        ("amount", bars.amount.len()),
    ];
    lengths.extend(bars.extra.iter().map(|c| ("extra", c.len())));
    KernelError::same_lengths(n, &lengths)?;
    if spec.bars_per_day == 0 || spec.average_days == 0 {
        return Err(KernelError::invalid(
            "bars_per_day",
            "bars_per_day and average_days must be >= 1",
        )
        .into());
    }
    let bars_per_entity = spec
        .days
        .checked_mul(spec.bars_per_day)
        .ok_or_else(|| KernelError::invalid("days", "days * bars_per_day overflows"))?;
    let cells = spec
        .entities
        .checked_mul(bars_per_entity)
        .filter(|&c| c < u32::MAX as usize && n < u32::MAX as usize)
        .ok_or_else(|| {
            KernelError::invalid("entities", "entities * days * bars_per_day must be < 2^32")
        })?;
    // The row of each (entity, day, slot) cell.
    let mut row_of = vec![u32::MAX; cells];
    for i in 0..n {
        let (e, d, s) = (
            bars.entity[i] as usize,
            bars.day[i] as usize,
            bars.slot[i] as usize,
        );
        if e >= spec.entities || d >= spec.days || s >= spec.bars_per_day {
            let (name, value, bound) = if e >= spec.entities {
                ("entity", e, spec.entities)
            } else if d >= spec.days {
                ("day", d, spec.days)
            } else {
                ("slot", s, spec.bars_per_day)
            };
            return Err(KernelError::invalid(
                name,
                format!("row {i}: {name} {value} is not below {bound}"),
            )
            .into());
        }
        let cell = (e * spec.days + d) * spec.bars_per_day + s;
        if row_of[cell] != u32::MAX {
            return Err(SequenceError::Duplicate {
                row: i,
                previous: row_of[cell] as usize,
            });
        }
        row_of[cell] = i as u32;
    }
    let width = SEQUENCE_FEATURES.len() + bars.extra.len();
    let mut features = pages::filled(cells * width, spec.fill);
    let mut day_close = vec![f64::NAN; spec.entities * spec.days];
    if cells > 0 {
        install(|| {
            features
                .par_chunks_mut(bars_per_entity * width)
                .zip(day_close.par_chunks_mut(spec.days))
                .zip(row_of.par_chunks(bars_per_entity))
                .with_min_len(min_len())
                .for_each(|((out, close), rows)| entity(bars, spec, rows, out, close));
        })?;
    }
    Ok(Sequences {
        features,
        features_per_bar: width,
        day_close,
    })
}

/// One entity's features (`out`) and day closes from its rows by cell (`rows`).
fn entity(
    bars: &SequenceBars<'_>,
    spec: &SequenceSpec,
    rows: &[u32],
    out: &mut [f32],
    day_close: &mut [f64],
) {
    let width = SEQUENCE_FEATURES.len() + bars.extra.len();
    let b = spec.bars_per_day;
    // Per day: summed volume, amount and bars present, for the trailing averages.
    let mut volume = vec![0.0; spec.days];
    let mut amount = vec![0.0; spec.days];
    let mut present = vec![0u32; spec.days];
    let (mut sum_v, mut sum_a, mut sum_n) = (0.0, 0.0, 0u64);
    let mut previous_close = f64::NAN;
    let finite = |x: f64| x.is_finite();
    for d in 0..spec.days {
        // The trailing window is days d - average_days ..= d - 1.
        if d > spec.average_days {
            let old = d - spec.average_days - 1;
            sum_v -= volume[old];
            sum_a -= amount[old];
            sum_n -= u64::from(present[old]);
        }
        if d > 0 {
            sum_v += volume[d - 1];
            sum_a += amount[d - 1];
            sum_n += u64::from(present[d - 1]);
        }
        let (mean_v, mean_a) = if sum_n > 0 {
            (sum_v / sum_n as f64, sum_a / sum_n as f64)
        } else {
            (f64::NAN, f64::NAN)
        };
        let mut close_today = f64::NAN;
        for s in 0..b {
            let row = rows[d * b + s];
            if row == u32::MAX {
                continue;
            }
            let i = row as usize;
            let close = bars.close[i];
            if !finite(close) {
                continue;
            }
            let or_close = |x: f64| if finite(x) { x } else { close };
            let (open, high, low) = (
                or_close(bars.open[i]),
                or_close(bars.high[i]),
                or_close(bars.low[i]),
            );
            let vwap = or_close(bars.vwap[i]);
            let v = if finite(bars.volume[i]) {
                bars.volume[i]
            } else {
                0.0
            };
            let a = if finite(bars.amount[i]) {
                bars.amount[i]
            } else {
                0.0
            };
            volume[d] += v;
            amount[d] += a;
            present[d] += 1;
            close_today = close;
            let p = previous_close;
            let values = [
                open / p - 1.0,
                high / p - 1.0,
                low / p - 1.0,
                close / p - 1.0,
                vwap / p - 1.0,
                (v / mean_v).ln_1p(),
                (a / mean_a).ln_1p(),
                close / open - 1.0,
                (high - low) / open,
            ];
            let cell = &mut out[(d * b + s) * width..(d * b + s + 1) * width];
            let extra = bars.extra.iter().map(|c| c[i]);
            for (o, x) in cell.iter_mut().zip(values.into_iter().chain(extra)) {
                if x.is_finite() {
                    *o = x as f32;
                }
            }
        }
        day_close[d] = close_today;
        if finite(close_today) {
            previous_close = close_today;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_is_normalised_by_the_previous_days_close_and_trailing_volume() {
        // One entity, 3 days of 2 bars; day 1 misses its second bar.
        let entity = [0u32; 5];
        let day = [0, 0, 1, 2, 2];
        let slot = [0, 1, 0, 0, 1];
        let close = [10.0, 11.0, 12.1, 11.0, 13.2];
        let open = [9.0, 10.0, 11.0, 12.0, 11.0];
        let volume = [100.0, 300.0, 200.0, 0.0, 600.0];
        let amount: Vec<f64> = close.iter().zip(&volume).map(|(c, v)| c * v).collect();
        let bars = SequenceBars {
            entity: &entity,
            day: &day,
            slot: &slot,
            open: &open,
            high: &close,
            low: &open,
            close: &close,
            vwap: &close,
            volume: &volume,
            amount: &amount,
            extra: &[],
        };
        let spec = SequenceSpec {
            entities: 1,
            days: 3,
            bars_per_day: 2,
            average_days: 2,
            fill: f32::NAN,
        };
        let seq = sequence_features(&bars, &spec).unwrap();
        let f = |bar: usize, k: usize| seq.features[bar * 9 + k];
        // Day 0 has no previous close and no trailing volume.
        assert!(f(0, 3).is_nan() && f(0, 5).is_nan());
        assert_eq!(f(0, 7), (10.0f64 / 9.0 - 1.0) as f32);
        // Day 1: P = 11, V = 400 / 2 bars.
        assert_eq!(f(2, 3), (12.1f64 / 11.0 - 1.0) as f32);
        assert_eq!(f(2, 5), (1.0f64 + 200.0 / 200.0).ln() as f32);
        assert!(f(3, 0).is_nan());
        // Day 2: P = 12.1, V = (400 + 200) / 3 bars.
        assert_eq!(f(5, 3), (13.2f64 / 12.1 - 1.0) as f32);
        assert_eq!(f(5, 5), (1.0f64 + 600.0 / 200.0).ln() as f32);
        assert_eq!(f(4, 5), 0.0);
        assert_eq!(seq.day_close, [11.0, 12.1, 13.2]);
    }

    #[test]
    fn a_repeated_cell_is_refused() {
        let x = [1.0; 2];
        let bars = SequenceBars {
            entity: &[0, 0],
            day: &[0, 0],
            slot: &[1, 1],
            open: &x,
            high: &x,
            low: &x,
            close: &x,
            vwap: &x,
            volume: &x,
            amount: &x,
            extra: &[],
        };
        let spec = SequenceSpec {
            entities: 1,
            days: 1,
            bars_per_day: 2,
            average_days: 20,
            fill: 0.0,
        };
        assert_eq!(
            sequence_features(&bars, &spec),
            Err(SequenceError::Duplicate {
                row: 1,
                previous: 0
            })
        );
    }
}
