//! The excess return of a series over its benchmark across a trailing window of `L` rows: the
//! one formula that the sector scores (`excess_return`) and Haitong's RRG (`rs_ratio`) share.

use crate::error::{KernelError, same_length};
use crate::kernel::Kernel;

/// How the two growth factors `g_p = P_t / P_{t-L}` and `g_b = B_t / B_{t-L}` compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExcessMode {
    /// `g_p / g_b - 1` (relative strength)
    Ratio,
    /// `g_p - g_b`
    Diff,
    /// `ln g_p - ln g_b`
    Log,
    /// `NAV_t / NAV_{t-L} - 1`, `NAV_t = prod_{s<=t} (1 + r_p,s - r_b,s)` over one-row returns
    /// (a missing return counts 0): the active portfolio's growth.
    ActiveNav,
}

option_names!(ExcessMode, "mode", {
    "ratio" => Self::Ratio, "diff" => Self::Diff, "log" => Self::Log, "active_nav" => Self::ActiveNav,
});

/// A finite value, or NaN.
#[inline]
pub(crate) fn finite(x: f64) -> f64 {
    if x.is_finite() { x } else { f64::NAN }
}

/// `x_t / x_{t-lag}`, NaN before `lag` rows, where either end is missing (NaN or ±inf, as
/// everywhere) or where the ratio is not finite.
fn growth(x: &[f64], lag: usize) -> impl Iterator<Item = f64> + '_ {
    (0..x.len()).map(move |t| match t.checked_sub(lag) {
        Some(s) if x[t].is_finite() && x[s].is_finite() => finite(x[t] / x[s]),
        _ => f64::NAN,
    })
}

/// The excess return of `p` over `b` across `lookback` rows into `out` (NaN where undefined).
pub fn rolling_excess_return(
    p: &[f64],
    b: &[f64],
    lookback: usize,
    mode: ExcessMode,
    out: &mut [f64],
) -> Result<(), KernelError> {
    same_length("benchmark", p.len(), b.len())?;
    same_length("out", p.len(), out.len())?;
    if lookback == 0 {
        return Err(KernelError::invalid("window", "window must be >= 1, got 0"));
    }
    if mode == ExcessMode::ActiveNav {
        let (rp, rb) = (growth(p, 1), growth(b, 1));
        let mut level = 1.0;
        let nav: Vec<f64> = rp
            .zip(rb)
            .map(|(gp, gb)| {
                let active = (gp - 1.0) - (gb - 1.0);
                level *= 1.0 + if active.is_finite() { active } else { 0.0 };
                level
            })
            .collect();
        for (o, g) in out.iter_mut().zip(growth(&nav, lookback)) {
            *o = finite(g - 1.0);
        }
        return Ok(());
    }
    for ((o, gp), gb) in out
        .iter_mut()
        .zip(growth(p, lookback))
        .zip(growth(b, lookback))
    {
        *o = finite(match mode {
            ExcessMode::Ratio => gp / gb - 1.0,
            ExcessMode::Diff => gp - gb,
            ExcessMode::Log => gp.ln() - gb.ln(),
            ExcessMode::ActiveNav => f64::NAN, // handled above
        });
    }
    Ok(())
}

/// The excess return as a two-input kernel (`x` the series, `y` its benchmark) for the runners.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExcessReturn {
    pub lookback: usize,
    pub mode: ExcessMode,
}

impl ExcessReturn {
    /// Checks `window >= 1`.
    pub fn new(window: i64, mode: ExcessMode) -> Result<Self, KernelError> {
        let lookback = usize::try_from(window)
            .ok()
            .filter(|&w| w >= 1)
            .ok_or_else(|| {
                KernelError::invalid("window", format!("window must be >= 1, got {window}"))
            })?;
        Ok(Self { lookback, mode })
    }
}

impl Kernel for ExcessReturn {
    fn series(&self, x: &[f64], y: Option<&[f64]>, out: &mut [f64]) -> Result<(), KernelError> {
        let b = y.ok_or_else(|| KernelError::invalid("benchmark", "the benchmark is missing"))?;
        rolling_excess_return(x, b, self.lookback, self.mode, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excess(p: &[f64], b: &[f64], lookback: usize, mode: ExcessMode) -> Vec<f64> {
        let mut out = vec![0.0; p.len()];
        rolling_excess_return(p, b, lookback, mode, &mut out).unwrap();
        out
    }

    #[test]
    fn each_mode_by_hand() {
        let p = [100.0, 110.0, 121.0];
        let b = [50.0, 50.0, 55.0];
        let r = excess(&p, &b, 2, ExcessMode::Ratio);
        assert!(r[0].is_nan() && r[1].is_nan());
        assert!((r[2] - (1.21 / 1.1 - 1.0)).abs() < 1e-15);
        assert!((excess(&p, &b, 2, ExcessMode::Diff)[2] - (1.21 - 1.1)).abs() < 1e-15);
        let log = excess(&p, &b, 2, ExcessMode::Log)[2];
        assert!((log - (1.21f64.ln() - 1.1f64.ln())).abs() < 1e-15);
        // Active returns 0.1 - 0 and 0.1 - 0.1: NAV 1, 1.1, 1.1; over 1 row: NaN, 0.1, 0.
        let nav = excess(&p, &b, 1, ExcessMode::ActiveNav);
        assert!(nav[0].is_nan());
        assert!((nav[1] - 0.1).abs() < 1e-15 && nav[2].abs() < 1e-15);
    }

    #[test]
    fn missing_rows_are_missing_and_a_missing_return_adds_nothing_to_the_nav() {
        let p = [100.0, f64::NAN, 120.0, 132.0];
        let b = [10.0, 10.0, 10.0, 10.0];
        let r = excess(&p, &b, 1, ExcessMode::Ratio);
        assert!(r[1].is_nan() && r[2].is_nan());
        assert!((r[3] - 0.1).abs() < 1e-15);
        let nav = excess(&p, &b, 1, ExcessMode::ActiveNav);
        assert!((nav[3] - 0.1).abs() < 1e-15); // rows 1 and 2 had no return: NAV stayed 1
    }
}
