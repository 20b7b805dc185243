//! Rolling statistics over a trailing window of rows, with pandas' semantics.

mod cov;
mod minmax;
mod moments;

use std::str::FromStr;

use crate::error::{KernelError, same_length};
use crate::window::{Mergeable, Paired, Rows, Single, sliding};
use cov::CoState;
use minmax::Extremum;
use moments::{HigherState, SumState, VarState};

/// Window length, minimum number of valid observations and delta degrees of freedom.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RollingSpec {
    pub window: usize,
    pub min_periods: usize,
    pub ddof: usize,
}

impl RollingSpec {
    /// Validates the arguments as pandas does; `min_periods` defaults to `window`.
    pub fn new(window: i64, min_periods: Option<i64>, ddof: i64) -> Result<Self, KernelError> {
        if window < 1 {
            return Err(KernelError::invalid(
                "window",
                format!("window must be >= 1, got {window}"),
            ));
        }
        let min_periods = min_periods.unwrap_or(window);
        if min_periods < 0 {
            return Err(KernelError::invalid(
                "min_periods",
                format!("min_periods must be >= 0, got {min_periods}"),
            ));
        }
        if min_periods > window {
            return Err(KernelError::invalid(
                "min_periods",
                format!("min_periods must be <= window ({window}), got {min_periods}"),
            ));
        }
        if ddof < 0 {
            return Err(KernelError::invalid(
                "ddof",
                format!("ddof must be >= 0, got {ddof}"),
            ));
        }
        let to_usize = |v: i64, name: &'static str| {
            usize::try_from(v)
                .map_err(|_| KernelError::invalid(name, format!("{name} is too large, got {v}")))
        };
        Ok(Self {
            window: to_usize(window, "window")?,
            min_periods: to_usize(min_periods, "min_periods")?,
            ddof: to_usize(ddof, "ddof")?,
        })
    }

    fn check_ddof(&self) -> Result<(), KernelError> {
        if self.ddof >= self.window {
            return Err(KernelError::invalid(
                "ddof",
                format!("ddof must be < window ({}), got {}", self.window, self.ddof),
            ));
        }
        Ok(())
    }
}

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

impl UnaryStat {
    fn uses_ddof(self) -> bool {
        matches!(self, Self::Var | Self::Std | Self::Zscore)
    }
}

impl FromStr for UnaryStat {
    type Err = KernelError;
    fn from_str(s: &str) -> Result<Self, KernelError> {
        Ok(match s {
            "sum" => Self::Sum,
            "mean" => Self::Mean,
            "var" => Self::Var,
            "std" => Self::Std,
            "zscore" => Self::Zscore,
            "skew" => Self::Skew,
            "kurt" => Self::Kurt,
            "min" => Self::Min,
            "max" => Self::Max,
            other => {
                return Err(KernelError::invalid(
                    "stat",
                    format!("unknown rolling statistic {other:?}"),
                ));
            }
        })
    }
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

impl FromStr for BinaryStat {
    type Err = KernelError;
    fn from_str(s: &str) -> Result<Self, KernelError> {
        Ok(match s {
            "cov" => Self::Cov,
            "corr" => Self::Corr,
            "beta" => Self::Beta,
            other => {
                return Err(KernelError::invalid(
                    "stat",
                    format!("unknown rolling statistic {other:?}"),
                ));
            }
        })
    }
}

/// Runs `finish` on every window that holds at least `min_periods` observations; NaN elsewhere.
fn drive<S, R>(rows: &R, spec: &RollingSpec, out: &mut [f64], finish: impl Fn(usize, &S) -> f64)
where
    S: Mergeable,
    R: Rows<Item = S::Item>,
{
    let min_periods = spec.min_periods;
    sliding::<S, R>(rows, spec.window, |i, s| {
        out[i] = if s.count() >= min_periods {
            finish(i, s)
        } else {
            f64::NAN
        };
    });
}

/// Rolling `stat` of `x` into `out` (same length).
pub fn rolling_unary(
    stat: UnaryStat,
    x: &[f64],
    spec: &RollingSpec,
    out: &mut [f64],
) -> Result<(), KernelError> {
    same_length("out", x.len(), out.len())?;
    if stat.uses_ddof() {
        spec.check_ddof()?;
    }
    let rows = Single(x);
    let ddof = spec.ddof as f64;
    let nonempty = |v: f64, n: usize| if n > 0 { v } else { f64::NAN };
    match stat {
        UnaryStat::Sum => drive(&rows, spec, out, |_, s: &SumState| s.sum()),
        UnaryStat::Mean => drive(&rows, spec, out, |_, s: &SumState| {
            nonempty(s.mean(), s.count())
        }),
        UnaryStat::Var => drive(&rows, spec, out, |_, s: &VarState| s.var(ddof)),
        UnaryStat::Std => drive(&rows, spec, out, |_, s: &VarState| s.var(ddof).sqrt()),
        UnaryStat::Zscore => drive(&rows, spec, out, |i, s: &VarState| {
            let current = x[i];
            if !current.is_finite() || s.m2() <= 0.0 {
                return f64::NAN;
            }
            s.deviation(current) / s.var(ddof).sqrt()
        }),
        UnaryStat::Skew => drive(&rows, spec, out, |_, s: &HigherState| s.skew()),
        UnaryStat::Kurt => drive(&rows, spec, out, |_, s: &HigherState| s.kurt()),
        UnaryStat::Min => drive(&rows, spec, out, |_, s: &Extremum<false>| {
            nonempty(s.value(), s.count())
        }),
        UnaryStat::Max => drive(&rows, spec, out, |_, s: &Extremum<true>| {
            nonempty(s.value(), s.count())
        }),
    }
    Ok(())
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
    spec.check_ddof()?;
    let rows = Paired(a, b);
    let ddof = spec.ddof as f64;
    match stat {
        BinaryStat::Cov => drive(&rows, spec, out, |_, s: &CoState| s.cov(ddof)),
        BinaryStat::Corr => drive(&rows, spec, out, |_, s: &CoState| {
            if s.n() > ddof { s.corr() } else { f64::NAN }
        }),
        BinaryStat::Beta => drive(&rows, spec, out, |_, s: &CoState| {
            if s.n() > ddof { s.beta() } else { f64::NAN }
        }),
    }
    Ok(())
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
    fn arguments_are_checked_by_name() {
        assert_eq!(
            RollingSpec::new(0, None, 1).unwrap_err().to_string(),
            "window must be >= 1, got 0"
        );
        assert_eq!(
            RollingSpec::new(3, Some(5), 1).unwrap_err().to_string(),
            "min_periods must be <= window (3), got 5"
        );
        let spec = RollingSpec::new(3, None, 3).unwrap();
        let err = rolling_unary(UnaryStat::Var, &[1.0; 4], &spec, &mut [0.0; 4]).unwrap_err();
        assert_eq!(err.argument(), "ddof");
    }
}
