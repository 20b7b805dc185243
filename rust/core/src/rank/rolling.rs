//! Rolling rank and quantile of the latest value over a trailing window (pandas semantics).

use rayon::prelude::*;

use super::RankOptions;
use super::bitset::SlotBitset;
use super::order_window::{CompressedCounts, OrderWindow};
use super::quantile::{Interpolation, check_q};
use crate::cpu::with_bit_counting;
use crate::error::{KernelError, same_length};
use crate::kernel::Kernel;
use crate::kernel::RollingSpec;
use crate::threads::min_len;

/// Windows up to this length run on a slot bitset ([`SlotBitset`]), longer ones on a Fenwick tree
/// over compressed values ([`CompressedCounts`]). Measured on a 5M-value random walk, 1 thread
/// (2026-11-21, ms, quantile / rank): the bitset over 4096-value chunks took 200 / 167 at w=10
/// (the sorted buffer used before for w <= 64: 312 / 345), 211 / 182 at w=250 (Fenwick over
/// 32768-value chunks: 531 / 273), 413 / 279 at w=10000 (Fenwick: 550 / 319). The bitset's select
/// scans one count per 512 slots of a chunk of ~4 windows, so past this length the tree's
/// O(log w) steps win.
const BITSET_MAX_WINDOW: usize = 1 << 14;

/// Series values per bitset chunk, at least four windows (plus one window of warm-up each).
const BITSET_CHUNK: usize = 1 << 12;

/// Series values per Fenwick chunk (plus one window of warm-up): keeps the tree cache-sized
/// (chunks grow to one window for longer windows).
const FENWICK_CHUNK: usize = 1 << 15;

/// Feeds the trailing window of rows `c0..c0 + out.len()` to `order`, restarted (after one
/// window of warm-up), and writes `value(t, count, window)` to `out[t - c0]`. Inlined into
/// [`run_chunks`]' POPCNT frame: the bitset's ranks and selections count bits on every row.
#[inline(always)]
fn run_chunk<W: OrderWindow>(
    order: &mut W,
    x: &[f64],
    window: usize,
    c0: usize,
    out: &mut [f64],
    value: impl Fn(usize, usize, usize, &W) -> f64,
) {
    let c1 = c0 + out.len();
    let s = c0.saturating_sub(window - 1);
    let stretch = &x[s..c1];
    order.start(stretch);
    let mut count = 0usize;
    for (j, &v) in stretch[..c0 - s].iter().enumerate() {
        if v.is_finite() {
            order.insert(j, v);
            count += 1;
        }
    }
    for (t, o) in (c0..c1).zip(out.iter_mut()) {
        let v = x[t];
        if v.is_finite() {
            order.insert(t - s, v);
            count += 1;
        }
        if t >= window && t - window >= s {
            let old = x[t - window];
            if old.is_finite() {
                order.remove(t - window - s, old);
                count -= 1;
            }
        }
        *o = value(t, t - s, count, order);
    }
}

/// What a kernel writes for a row, given the row's window.
trait RowValue: Sync {
    /// The output for row `t` (stretch position `j`) whose window holds `count` valid values.
    fn at<W: OrderWindow>(&self, t: usize, j: usize, count: usize, window: &W) -> f64;
}

/// Runs `value` over the whole series with the structure that suits `window`, chunk by chunk,
/// chunks in parallel.
fn run_windows(x: &[f64], window: usize, out: &mut [f64], value: &impl RowValue) {
    if window <= BITSET_MAX_WINDOW {
        run_chunks::<SlotBitset>(x, window, BITSET_CHUNK.max(4 * window), out, value);
    } else {
        run_chunks::<CompressedCounts>(x, window, FENWICK_CHUNK.max(window), out, value);
    }
}

/// [`run_chunk`] on every `chunk` rows. A chunk is at least a window long, so its warm-up never
/// exceeds its own length and the compression work stays O(n log n) however long the window.
fn run_chunks<W: OrderWindow + Default>(
    x: &[f64],
    window: usize,
    chunk: usize,
    out: &mut [f64],
    value: &impl RowValue,
) {
    // One structure per task, its buffers reused chunk after chunk (fresh ones would pay their
    // pages again for every chunk).
    out.par_chunks_mut(chunk)
        .enumerate()
        .with_min_len(min_len())
        .for_each_init(W::default, |order, (i, o)| {
            with_bit_counting(
                #[inline(always)]
                || {
                    run_chunk(
                        order,
                        x,
                        window,
                        i * chunk,
                        o,
                        #[inline(always)]
                        |t, j, count, w| value.at(t, j, count, w),
                    )
                },
            );
        });
}

struct RankValue<'a> {
    x: &'a [f64],
    min_periods: usize,
    options: RankOptions,
}

impl RowValue for RankValue<'_> {
    #[inline(always)]
    fn at<W: OrderWindow>(&self, t: usize, j: usize, count: usize, window: &W) -> f64 {
        let v = self.x[t];
        if count >= self.min_periods && v.is_finite() {
            let (less, eq) = window.rank_of(j, v);
            self.options.rank(less, eq, count)
        } else {
            f64::NAN
        }
    }
}

struct QuantileValue {
    min_periods: usize,
    q: f64,
    interpolation: Interpolation,
}

impl RowValue for QuantileValue {
    #[inline(always)]
    fn at<W: OrderWindow>(&self, _: usize, _: usize, count: usize, window: &W) -> f64 {
        if count >= self.min_periods {
            self.interpolation
                .read(self.q, count, |k| window.kth(k), |k| window.kth_pair(k))
        } else {
            f64::NAN
        }
    }
}

/// The rank of each row's value within its trailing window (pandas `rolling(...).rank(...)`).
pub fn rolling_rank(
    x: &[f64],
    spec: &RollingSpec,
    options: &RankOptions,
    out: &mut [f64],
) -> Result<(), KernelError> {
    same_length("out", x.len(), out.len())?;
    let value = RankValue {
        x,
        min_periods: spec.min_periods.max(1),
        options: *options,
    };
    run_windows(x, spec.window, out, &value);
    Ok(())
}

/// The `q` quantile of each row's trailing window (pandas `rolling(...).quantile(q, ...)`).
pub fn rolling_quantile(
    x: &[f64],
    spec: &RollingSpec,
    q: f64,
    interpolation: Interpolation,
    out: &mut [f64],
) -> Result<(), KernelError> {
    same_length("out", x.len(), out.len())?;
    check_q(q)?;
    let value = QuantileValue {
        min_periods: spec.min_periods.max(1),
        q,
        interpolation,
    };
    run_windows(x, spec.window, out, &value);
    Ok(())
}

/// Rolling rank as a kernel for the 2-D and grouped runners.
#[derive(Clone, Copy, Debug)]
pub struct RollingRank {
    pub spec: RollingSpec,
    pub options: RankOptions,
}

impl Kernel for RollingRank {
    fn series(&self, x: &[f64], _: Option<&[f64]>, out: &mut [f64]) -> Result<(), KernelError> {
        rolling_rank(x, &self.spec, &self.options, out)
    }
}

/// Rolling quantile as a kernel for the 2-D and grouped runners.
#[derive(Clone, Copy, Debug)]
pub struct RollingQuantile {
    pub spec: RollingSpec,
    pub q: f64,
    pub interpolation: Interpolation,
}

impl RollingQuantile {
    /// Checks `0 <= q <= 1`.
    pub fn new(
        spec: RollingSpec,
        q: f64,
        interpolation: Interpolation,
    ) -> Result<Self, KernelError> {
        check_q(q)?;
        Ok(Self {
            spec,
            q,
            interpolation,
        })
    }
}

impl Kernel for RollingQuantile {
    fn series(&self, x: &[f64], _: Option<&[f64]>, out: &mut [f64]) -> Result<(), KernelError> {
        rolling_quantile(x, &self.spec, self.q, self.interpolation, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rank::RankMethod;

    fn data(n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| match (i * 7919) % 41 {
                0 => f64::NAN,
                1 => f64::INFINITY,
                r => (r % 13) as f64 * 0.5,
            })
            .collect()
    }

    fn window_of(x: &[f64], w: usize, t: usize) -> Vec<f64> {
        let mut v: Vec<f64> = x[(t + 1).saturating_sub(w)..=t]
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .collect();
        v.sort_by(f64::total_cmp);
        v
    }

    #[test]
    fn rank_and_quantile_match_brute_force_for_both_structures() {
        // Long enough for several chunks of either structure.
        let x = data(FENWICK_CHUNK + BITSET_MAX_WINDOW + 500);
        for w in [1, 5, 300, 2 * BITSET_CHUNK, BITSET_MAX_WINDOW + 1] {
            let spec = RollingSpec::new(w as i64, Some(1), 0).unwrap();
            for method in [RankMethod::Average, RankMethod::Min, RankMethod::Max] {
                let options = RankOptions {
                    method,
                    pct: true,
                    ascending: method != RankMethod::Max,
                };
                let mut out = vec![0.0; x.len()];
                rolling_rank(&x, &spec, &options, &mut out).unwrap();
                let edges = [BITSET_CHUNK, FENWICK_CHUNK].map(|c| c - 3..c + 3);
                for t in (0..x.len()).step_by(97).chain(edges.into_iter().flatten()) {
                    let v = window_of(&x, w, t);
                    let want = if x[t].is_finite() {
                        let less = v.iter().filter(|&&a| a < x[t]).count();
                        let eq = v.iter().filter(|&&a| a == x[t]).count();
                        options.rank(less, eq, v.len())
                    } else {
                        f64::NAN
                    };
                    assert!(
                        out[t] == want || (out[t].is_nan() && want.is_nan()),
                        "w={w} t={t}"
                    );
                }
            }
            for interp in [
                Interpolation::Linear,
                Interpolation::Nearest,
                Interpolation::Midpoint,
            ] {
                let mut out = vec![0.0; x.len()];
                rolling_quantile(&x, &spec, 0.3, interp, &mut out).unwrap();
                for t in (0..x.len()).step_by(89) {
                    let v = window_of(&x, w, t);
                    let want = if v.is_empty() {
                        f64::NAN
                    } else {
                        interp.read(0.3, v.len(), |k| v[k], |k| (v[k], v[k + 1]))
                    };
                    assert!(
                        out[t] == want || (out[t].is_nan() && want.is_nan()),
                        "w={w} t={t}"
                    );
                }
            }
        }
    }
}
