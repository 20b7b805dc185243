//! pandas' quantile interpolations over sorted values.

use std::str::FromStr;

use super::count;
use crate::error::KernelError;

/// How a quantile between two order statistics is read (pandas' names and results).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interpolation {
    Linear,
    Lower,
    Higher,
    /// The nearer order statistic; an exact half goes to the even index (pandas).
    Nearest,
    Midpoint,
}

impl FromStr for Interpolation {
    type Err = KernelError;
    fn from_str(s: &str) -> Result<Self, KernelError> {
        Ok(match s {
            "linear" => Self::Linear,
            "lower" => Self::Lower,
            "higher" => Self::Higher,
            "nearest" => Self::Nearest,
            "midpoint" => Self::Midpoint,
            other => {
                return Err(KernelError::invalid(
                    "interpolation",
                    format!(
                        "interpolation must be one of 'linear', 'lower', 'higher', 'nearest', \
                         'midpoint', got {other:?}"
                    ),
                ));
            }
        })
    }
}

/// Checks `0 <= q <= 1`.
pub(crate) fn check_q(q: f64) -> Result<(), KernelError> {
    if (0.0..=1.0).contains(&q) {
        Ok(())
    } else {
        Err(KernelError::invalid(
            "q",
            format!("q must be between 0 and 1 inclusive, got {q}"),
        ))
    }
}

impl Interpolation {
    /// The `q` quantile of `n >= 1` sorted values, reading the `k`-th smallest through `kth`
    /// and the `k`-th and `k + 1`-th together through `pair` (pandas `roll_quantile`: position
    /// `q * (n - 1)`).
    #[inline(always)]
    pub(crate) fn read(
        self,
        q: f64,
        n: usize,
        kth: impl Fn(usize) -> f64,
        pair: impl Fn(usize) -> (f64, f64),
    ) -> f64 {
        if n == 1 {
            return kth(0);
        }
        let pos = q * count(n - 1);
        // Through i64, as in `count`: 0 <= pos < n.
        let idx = pos as i64 as usize;
        let frac = pos - count(idx);
        if frac == 0.0 || idx + 1 >= n {
            return kth(idx.min(n - 1));
        }
        match self {
            Self::Linear => {
                let (lo, hi) = pair(idx);
                lo + (hi - lo) * frac
            }
            Self::Lower => kth(idx),
            Self::Higher => kth(idx + 1),
            Self::Nearest => {
                if frac == 0.5 {
                    if idx.is_multiple_of(2) {
                        kth(idx)
                    } else {
                        kth(idx + 1)
                    }
                } else if frac < 0.5 {
                    kth(idx)
                } else {
                    kth(idx + 1)
                }
            }
            Self::Midpoint => {
                let (lo, hi) = pair(idx);
                (lo + hi) / 2.0
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pandas_rules() {
        let v = [5.0, 6.0, 7.0, 8.0];
        let k = |i: usize| v[i];
        let k = (k, |i: usize| (v[i], v[i + 1]));
        assert_eq!(Interpolation::Linear.read(0.5, 4, k.0, k.1), 6.5);
        assert_eq!(Interpolation::Lower.read(0.5, 4, k.0, k.1), 6.0);
        assert_eq!(Interpolation::Higher.read(0.5, 4, k.0, k.1), 7.0);
        assert_eq!(Interpolation::Midpoint.read(0.5, 4, k.0, k.1), 6.5);
        // q = 1/6 on 4 values: position 0.5, half to even -> index 0 (pandas 5, polars 6)
        assert_eq!(Interpolation::Nearest.read(1.0 / 6.0, 4, k.0, k.1), 5.0);
        assert_eq!(Interpolation::Nearest.read(0.5, 4, k.0, k.1), 7.0);
        assert_eq!(Interpolation::Linear.read(1.0, 4, k.0, k.1), 8.0);
        assert!(check_q(1.5).is_err());
    }
}
