//! Rolling statistics over a trailing window of rows, with pandas' semantics.

mod cov;
mod minmax;
mod moments;

use crate::cpu::with_avx2;
use crate::error::{KernelError, same_length};
use crate::kernel::{Kernel, RollingSpec};
use crate::window::{
    LANES, Mergeable, Paired, PairedTile, Rows, Single, Tile, TileOut, TileView, select, sliding,
};
use cov::CoState;
use minmax::Extremum;
use moments::{HigherState, SumState, VarState};

/// Statistics of one series over a trailing window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryStat {
    Sum,
    Mean,
    Var,
    Std,
    Zscore,
    Skew,
    Kurt,
    Min,
    Max,
}

/// Statistics of two aligned series over a trailing window of pairwise-complete rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryStat {
    /// cov(x, y)
    Cov,
    /// corr(x, y)
    Corr,
    /// cov(y, x) / var(x), called with (y, x)
    Beta,
}

/// Runs one window statistic over rows laid out as `N` lanes (a series, or a tile of series).
trait Driver<const N: usize> {
    type Row;
    /// Writes `finish(current value, window aggregate, lane)` wherever the window holds at least
    /// `min_periods` observations, NaN elsewhere.
    fn run<S: Mergeable<N, Row = Self::Row>>(&mut self, finish: impl Fn(f64, &S, usize) -> f64);
}

/// Rows and where the results go.
struct On<'a, R, O> {
    rows: R,
    spec: &'a RollingSpec,
    out: O,
}

/// Where a row of `N` results is stored.
trait RowsOut<const N: usize> {
    fn put(&mut self, i: usize, values: &[f64; N]);
}

impl RowsOut<1> for &mut [f64] {
    #[inline(always)]
    fn put(&mut self, i: usize, values: &[f64; 1]) {
        if let Some(v) = self.get_mut(i) {
            *v = values[0];
        }
    }
}

impl RowsOut<LANES> for &mut TileOut<'_> {
    #[inline(always)]
    fn put(&mut self, i: usize, values: &[f64; LANES]) {
        TileOut::put(self, i, values);
    }
}

impl<const N: usize, R: Rows<N>, O: RowsOut<N>> Driver<N> for On<'_, R, O> {
    type Row = R::Row;
    #[inline(always)]
    fn run<S: Mergeable<N, Row = R::Row>>(&mut self, finish: impl Fn(f64, &S, usize) -> f64) {
        let (source, out) = (&self.rows, &mut self.out);
        let min_periods = self.spec.min_periods as f64;
        sliding::<N, S, R>(
            &self.rows,
            self.spec.window,
            #[inline(always)]
            |i, s| {
                let current = source.current(i);
                // Computed side by side and stored as one row: a contiguous fixed-size store is
                // what lets LLVM vectorise the finishing arithmetic (scattered, bounds-checked
                // stores kept it scalar, at twice the time).
                let mut values = [0.0; N];
                for (k, v) in values.iter_mut().enumerate() {
                    *v = select(
                        s.count(k) >= min_periods,
                        finish(current[k], s, k),
                        f64::NAN,
                    );
                }
                out.put(i, &values);
            },
        );
    }
}

#[inline(always)]
fn unary_on<const N: usize, D: Driver<N, Row = [f64; N]>>(stat: UnaryStat, ddof: f64, d: &mut D) {
    match stat {
        UnaryStat::Sum => d.run(
            #[inline(always)]
            |_, s: &SumState<N>, k| s.sum(k),
        ),
        UnaryStat::Mean => d.run(
            #[inline(always)]
            |_, s: &SumState<N>, k| s.mean(k),
        ),
        UnaryStat::Var => d.run(
            #[inline(always)]
            |_, s: &VarState<N>, k| s.var(k, ddof),
        ),
        UnaryStat::Std => d.run(
            #[inline(always)]
            |_, s: &VarState<N>, k| s.var(k, ddof).sqrt(),
        ),
        UnaryStat::Zscore => d.run(
            #[inline(always)]
            |current, s: &VarState<N>, k| {
                let z = s.deviation(k, current) / s.var(k, ddof).sqrt();
                select(current.is_finite() & (s.m2(k) > 0.0), z, f64::NAN)
            },
        ),
        UnaryStat::Skew => d.run(
            #[inline(always)]
            |_, s: &HigherState<N>, k| s.skew(k),
        ),
        UnaryStat::Kurt => d.run(
            #[inline(always)]
            |_, s: &HigherState<N>, k| s.kurt(k),
        ),
        UnaryStat::Min => d.run(
            #[inline(always)]
            |_, s: &Extremum<N, false>, k| s.value(k),
        ),
        UnaryStat::Max => d.run(
            #[inline(always)]
            |_, s: &Extremum<N, true>, k| s.value(k),
        ),
    }
}

#[inline(always)]
fn binary_on<const N: usize, D: Driver<N, Row = ([f64; N], [f64; N])>>(
    stat: BinaryStat,
    ddof: f64,
    d: &mut D,
) {
    match stat {
        BinaryStat::Cov => d.run(
            #[inline(always)]
            |_, s: &CoState<N>, k| s.cov(k, ddof),
        ),
        BinaryStat::Corr => d.run(
            #[inline(always)]
            |_, s: &CoState<N>, k| s.corr(k, ddof),
        ),
        BinaryStat::Beta => d.run(
            #[inline(always)]
            |_, s: &CoState<N>, k| s.slope(k, ddof),
        ),
    }
}

/// Rolling `stat` of `x` into `out` (same length).
pub fn rolling_unary(
    stat: UnaryStat,
    x: &[f64],
    spec: &RollingSpec,
    out: &mut [f64],
) -> Result<(), KernelError> {
    same_length("out", x.len(), out.len())?;
    with_avx2(
        #[inline(always)]
        || unary_series(stat, x, spec, out),
    );
    Ok(())
}

#[inline(always)]
fn unary_series(stat: UnaryStat, x: &[f64], spec: &RollingSpec, out: &mut [f64]) {
    let mut d = On {
        rows: Single(x),
        spec,
        out,
    };
    unary_on::<1, _>(stat, spec.ddof as f64, &mut d);
}

/// [`rolling_unary`] on a row-major tile of [`LANES`] series (`x[i * LANES + k]`), writing row by
/// row into a tile of the same shape; bit-identical per lane.
pub fn rolling_unary_tile(
    stat: UnaryStat,
    x: &TileView<'_>,
    spec: &RollingSpec,
    out: &mut TileOut<'_>,
) -> Result<(), KernelError> {
    same_length("out", x.rows(), out.rows())?;
    with_avx2(
        #[inline(always)]
        || unary_tile(stat, x, spec, out),
    );
    Ok(())
}

#[inline(always)]
fn unary_tile(stat: UnaryStat, x: &TileView<'_>, spec: &RollingSpec, out: &mut TileOut<'_>) {
    let mut d = On {
        rows: Tile(*x),
        spec,
        out,
    };
    unary_on::<LANES, _>(stat, spec.ddof as f64, &mut d);
}

#[inline(always)]
fn binary_tile(
    stat: BinaryStat,
    a: &TileView<'_>,
    b: &TileView<'_>,
    spec: &RollingSpec,
    out: &mut TileOut<'_>,
) {
    let mut d = On {
        rows: PairedTile(*a, *b),
        spec,
        out,
    };
    binary_on::<LANES, _>(stat, spec.ddof as f64, &mut d);
}

/// Rolling `stat` of the pair (`a`, `b`) into `out`: cov(a, b), corr(a, b) or beta of a on b.
pub fn rolling_binary(
    stat: BinaryStat,
    a: &[f64],
    b: &[f64],
    spec: &RollingSpec,
    out: &mut [f64],
) -> Result<(), KernelError> {
    same_length("y", a.len(), b.len())?;
    same_length("out", a.len(), out.len())?;
    with_avx2(
        #[inline(always)]
        || binary_series(stat, a, b, spec, out),
    );
    Ok(())
}

#[inline(always)]
fn binary_series(stat: BinaryStat, a: &[f64], b: &[f64], spec: &RollingSpec, out: &mut [f64]) {
    let mut d = On {
        rows: Paired(a, b),
        spec,
        out,
    };
    binary_on::<1, _>(stat, spec.ddof as f64, &mut d);
}

/// [`rolling_binary`] on row-major tiles of [`LANES`] series, with [`rolling_unary_tile`]'s layout.
pub fn rolling_binary_tile(
    stat: BinaryStat,
    a: &TileView<'_>,
    b: &TileView<'_>,
    spec: &RollingSpec,
    out: &mut TileOut<'_>,
) -> Result<(), KernelError> {
    same_length("y", a.rows(), b.rows())?;
    same_length("out", a.rows(), out.rows())?;
    with_avx2(
        #[inline(always)]
        || binary_tile(stat, a, b, spec, out),
    );
    Ok(())
}

/// The entry point of each face's name (`sectorflow.rolling_var`, `pl.col(..).sf.rolling_var`,
/// the plugin symbol): the one window driver with that statistic.
macro_rules! named_unary {
    ($($name:ident => $stat:ident),+ $(,)?) => {$(
        #[doc = concat!("`", stringify!($name), "` of every trailing window of `x` into `out`.")]
        pub fn $name(x: &[f64], spec: &RollingSpec, out: &mut [f64]) -> Result<(), KernelError> {
            rolling_unary(UnaryStat::$stat, x, spec, out)
        }
    )+};
}

named_unary!(
    rolling_sum => Sum, rolling_mean => Mean, rolling_var => Var, rolling_std => Std,
    rolling_zscore => Zscore, rolling_skew => Skew, rolling_kurt => Kurt,
    rolling_min => Min, rolling_max => Max,
);

/// The two-series entry points (`rolling_beta(y, x)` regresses its first argument on its second).
macro_rules! named_binary {
    ($($name:ident => $stat:ident),+ $(,)?) => {$(
        #[doc = concat!("`", stringify!($name), "` of every trailing window of `a` and `b`.")]
        pub fn $name(
            a: &[f64],
            b: &[f64],
            spec: &RollingSpec,
            out: &mut [f64],
        ) -> Result<(), KernelError> {
            rolling_binary(BinaryStat::$stat, a, b, spec, out)
        }
    )+};
}

named_binary!(rolling_cov => Cov, rolling_corr => Corr, rolling_beta => Beta);

/// A rolling statistic of one series, as a kernel for the 2-D and grouped runners.
#[derive(Clone, Copy, Debug)]
pub struct Rolling {
    pub stat: UnaryStat,
    pub spec: RollingSpec,
}

impl Kernel for Rolling {
    fn block(&self) -> Option<usize> {
        Some(self.spec.window)
    }
    fn series(&self, x: &[f64], _: Option<&[f64]>, out: &mut [f64]) -> Result<(), KernelError> {
        rolling_unary(self.stat, x, &self.spec, out)
    }
    fn tile(
        &self,
        x: &TileView<'_>,
        _: Option<&TileView<'_>>,
        out: &mut TileOut<'_>,
    ) -> Result<(), KernelError> {
        rolling_unary_tile(self.stat, x, &self.spec, out)
    }
}

/// A rolling statistic of two series, as a kernel for the 2-D and grouped runners.
#[derive(Clone, Copy, Debug)]
pub struct RollingPair {
    pub stat: BinaryStat,
    pub spec: RollingSpec,
}

impl Kernel for RollingPair {
    fn block(&self) -> Option<usize> {
        Some(self.spec.window)
    }
    fn series(&self, a: &[f64], b: Option<&[f64]>, out: &mut [f64]) -> Result<(), KernelError> {
        rolling_binary(self.stat, a, b.ok_or_else(missing_y)?, &self.spec, out)
    }
    fn tile(
        &self,
        a: &TileView<'_>,
        b: Option<&TileView<'_>>,
        out: &mut TileOut<'_>,
    ) -> Result<(), KernelError> {
        rolling_binary_tile(self.stat, a, b.ok_or_else(missing_y)?, &self.spec, out)
    }
}

fn missing_y() -> KernelError {
    KernelError::invalid("y", "this statistic needs a second series y")
}

#[cfg(test)]
#[allow(clippy::needless_range_loop)]
mod tests {
    use super::*;

    fn run(stat: UnaryStat, x: &[f64], w: i64, minp: Option<i64>) -> Vec<f64> {
        let spec = RollingSpec::new(w, minp, 1).unwrap();
        let mut out = vec![0.0; x.len()];
        rolling_unary(stat, x, &spec, &mut out).unwrap();
        out
    }

    fn naive(x: &[f64], w: usize, i: usize) -> Vec<f64> {
        x[(i + 1).saturating_sub(w)..=i]
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .collect()
    }

    #[test]
    fn mean_matches_naive_with_missing_and_inf() {
        let x = [
            1.0,
            f64::NAN,
            3.0,
            f64::INFINITY,
            5.0,
            6.0,
            -2.0,
            0.5,
            f64::NEG_INFINITY,
            4.0,
        ];
        for w in 1..12 {
            let got = run(UnaryStat::Mean, &x, w, Some(1));
            for i in 0..x.len() {
                let vals = naive(&x, w as usize, i);
                let want = if vals.is_empty() {
                    f64::NAN
                } else {
                    vals.iter().sum::<f64>() / vals.len() as f64
                };
                assert!(
                    (got[i] - want).abs() < 1e-12 || (got[i].is_nan() && want.is_nan()),
                    "w={w} i={i} got={} want={want}",
                    got[i]
                );
            }
        }
    }

    #[test]
    fn min_max_match_naive() {
        let x = [3.0, 1.0, f64::NAN, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0];
        for w in 1..10 {
            let lo = run(UnaryStat::Min, &x, w, Some(1));
            let hi = run(UnaryStat::Max, &x, w, Some(1));
            for i in 0..x.len() {
                let vals = naive(&x, w as usize, i);
                let want_lo = vals.iter().copied().fold(f64::INFINITY, f64::min);
                let want_hi = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                if vals.is_empty() {
                    assert!(lo[i].is_nan() && hi[i].is_nan());
                } else {
                    assert_eq!((lo[i], hi[i]), (want_lo, want_hi));
                }
            }
        }
    }

    #[test]
    fn spike_leaving_the_window_leaves_no_residue() {
        let mut x: Vec<f64> = (0..200)
            .map(|i| 1e-3 * ((i * 7919 % 13) as f64 - 6.0))
            .collect();
        x[50] = 1e9;
        let var = run(UnaryStat::Var, &x, 20, None);
        for i in 70..200 {
            let v = naive(&x, 20, i);
            let m = v.iter().sum::<f64>() / 20.0;
            let want = v.iter().map(|a| (a - m) * (a - m)).sum::<f64>() / 19.0;
            assert!((var[i] - want).abs() <= 1e-13 * want, "i={i}");
        }
    }

    #[test]
    fn flat_run_gives_exact_zero_and_nan_zscore() {
        let mut x = vec![0.3; 50];
        x[3] = 7.0;
        let var = run(UnaryStat::Var, &x, 10, None);
        let z = run(UnaryStat::Zscore, &x, 10, None);
        for i in 13..50 {
            assert_eq!(var[i], 0.0);
            assert!(z[i].is_nan());
        }
    }

    #[test]
    fn sum_with_min_periods_zero_is_zero_on_empty_window() {
        let x = [f64::NAN, f64::NAN, 1.0];
        assert_eq!(run(UnaryStat::Sum, &x, 2, Some(0))[..2], [0.0, 0.0]);
        assert!(run(UnaryStat::Mean, &x, 2, Some(0))[0].is_nan());
    }

    #[test]
    fn corr_stays_in_bounds_and_beta_is_slope() {
        let x: Vec<f64> = (0..100).map(|i| (i as f64 * 0.37).sin()).collect();
        let y: Vec<f64> = x.iter().map(|v| 3.0 * v + 1e4).collect();
        let spec = RollingSpec::new(15, None, 1).unwrap();
        let mut corr = vec![0.0; 100];
        let mut beta = vec![0.0; 100];
        rolling_binary(BinaryStat::Corr, &x, &y, &spec, &mut corr).unwrap();
        rolling_binary(BinaryStat::Beta, &y, &x, &spec, &mut beta).unwrap();
        for i in 14..100 {
            assert!((-1.0..=1.0).contains(&corr[i]));
            assert!((corr[i] - 1.0).abs() < 1e-12);
            assert!((beta[i] - 3.0).abs() < 1e-9, "{}", beta[i]);
        }
    }

    #[test]
    fn tiles_are_bit_identical_to_series() {
        let rows = 300;
        let mut tile = vec![0.0; rows * LANES];
        for (i, v) in tile.iter_mut().enumerate() {
            *v = ((i * 7919) % 101) as f64 * 0.37 - 10.0;
            if i % 37 == 0 {
                *v = f64::NAN;
            }
        }
        let spec = RollingSpec::new(25, Some(3), 1).unwrap();
        for stat in [
            UnaryStat::Mean,
            UnaryStat::Var,
            UnaryStat::Zscore,
            UnaryStat::Kurt,
            UnaryStat::Max,
        ] {
            let mut out = vec![0.0; tile.len()];
            rolling_unary_tile(
                stat,
                &TileView::contiguous(&tile).unwrap(),
                &spec,
                &mut TileOut::contiguous(&mut out),
            )
            .unwrap();
            for k in 0..LANES {
                let col: Vec<f64> = (0..rows).map(|i| tile[i * LANES + k]).collect();
                let mut want = vec![0.0; rows];
                rolling_unary(stat, &col, &spec, &mut want).unwrap();
                for i in 0..rows {
                    let got = out[i * LANES + k];
                    assert!(
                        got.to_bits() == want[i].to_bits() || (got.is_nan() && want[i].is_nan())
                    );
                }
            }
        }
    }

    #[test]
    fn arguments_are_checked_by_name() {
        assert_eq!(
            RollingSpec::new(0, None, 1).unwrap_err().to_string(),
            "window must be >= 1, got 0"
        );
        assert_eq!(
            RollingSpec::new(3, Some(5), 1).unwrap_err().to_string(),
            "min_periods must be <= window (3), got 5"
        );
    }

    /// issue 20: a window with no more than `ddof` observations is NaN, as in pandas, not an error.
    #[test]
    fn window_not_above_ddof_is_nan_20() {
        for (window, ddof) in [(1, 1), (3, 3), (2, 5)] {
            let spec = RollingSpec::new(window, Some(1), ddof).unwrap();
            for stat in [UnaryStat::Var, UnaryStat::Std, UnaryStat::Zscore] {
                let mut out = [0.0; 4];
                rolling_unary(stat, &[1.0, 2.0, 4.0, 8.0], &spec, &mut out).unwrap();
                assert!(out.iter().all(|v| v.is_nan()), "{stat:?} {out:?}");
            }
            for stat in [BinaryStat::Cov, BinaryStat::Corr, BinaryStat::Beta] {
                let mut out = [0.0; 4];
                let (a, b) = ([1.0, 2.0, 4.0, 8.0], [1.0, 3.0, 2.0, 5.0]);
                rolling_binary(stat, &a, &b, &spec, &mut out).unwrap();
                assert!(out.iter().all(|v| v.is_nan()), "{stat:?} {out:?}");
            }
        }
    }

    /// issue 20: squares that overflow give inf or NaN, never a variance of 0.
    #[test]
    fn overflowing_squares_are_not_zero_variance_20() {
        let spec = RollingSpec::new(2, None, 1).unwrap();
        let x = [1e154, -1e154, 1e300, -1e300];
        for stat in [UnaryStat::Var, UnaryStat::Std] {
            let mut out = [0.0; 4];
            rolling_unary(stat, &x, &spec, &mut out).unwrap();
            assert!(out[1..].iter().all(|v| !v.is_finite()), "{stat:?} {out:?}");
        }
        let mut out = [0.0; 4];
        rolling_binary(BinaryStat::Cov, &x, &x, &spec, &mut out).unwrap();
        assert!(out[1..].iter().all(|v| !v.is_finite()), "{out:?}");
    }
}
