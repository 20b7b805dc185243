//! Exponentially weighted moving average with pandas' `ewm(...).mean()` semantics (ignore_na=False).

use crate::error::{KernelError, same_length};
use crate::grouped::Kernel;

/// Decay and options of an exponentially weighted mean.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EwmSpec {
    pub alpha: f64,
    pub adjust: bool,
    pub min_periods: usize,
}

impl EwmSpec {
    /// Exactly one of `com`, `span`, `halflife`, `alpha` gives the decay, as in pandas:
    /// alpha = 1/(1+com) = 2/(span+1) = 1 - exp(-ln 2 / halflife).
    pub fn new(
        com: Option<f64>,
        span: Option<f64>,
        halflife: Option<f64>,
        alpha: Option<f64>,
        adjust: bool,
        min_periods: i64,
    ) -> Result<Self, KernelError> {
        let given = [com, span, halflife, alpha]
            .iter()
            .filter(|v| v.is_some())
            .count();
        if given > 1 {
            return Err(KernelError::invalid(
                "alpha",
                "com, span, halflife and alpha are mutually exclusive: pass exactly one",
            ));
        }
        let alpha = match (com, span, halflife, alpha) {
            (Some(c), ..) if c >= 0.0 => 1.0 / (1.0 + c),
            (Some(c), ..) => {
                return Err(KernelError::invalid(
                    "com",
                    format!("com must be >= 0, got {c}"),
                ));
            }
            (_, Some(s), ..) if s >= 1.0 => 2.0 / (s + 1.0),
            (_, Some(s), ..) => {
                return Err(KernelError::invalid(
                    "span",
                    format!("span must be >= 1, got {s}"),
                ));
            }
            (_, _, Some(h), _) if h > 0.0 => 1.0 - (-std::f64::consts::LN_2 / h).exp(),
            (_, _, Some(h), _) => {
                return Err(KernelError::invalid(
                    "halflife",
                    format!("halflife must be > 0, got {h}"),
                ));
            }
            (_, _, _, Some(a)) if a > 0.0 && a <= 1.0 => a,
            (_, _, _, Some(a)) => {
                return Err(KernelError::invalid(
                    "alpha",
                    format!("alpha must satisfy 0 < alpha <= 1, got {a}"),
                ));
            }
            (None, None, None, None) => {
                return Err(KernelError::invalid(
                    "alpha",
                    "one of com, span, halflife or alpha must be given",
                ));
            }
        };
        if min_periods < 0 {
            return Err(KernelError::invalid(
                "min_periods",
                format!("min_periods must be >= 0, got {min_periods}"),
            ));
        }
        Ok(Self {
            alpha,
            adjust,
            // pandas counts at least one observation before it emits a value.
            min_periods: usize::try_from(min_periods.max(1)).unwrap_or(usize::MAX),
        })
    }
}

/// pandas' `ewma` recurrence: missing values (NaN, ±inf) still decay the old weight.
pub fn ewm_mean(x: &[f64], spec: &EwmSpec, out: &mut [f64]) -> Result<(), KernelError> {
    same_length("out", x.len(), out.len())?;
    let old_factor = 1.0 - spec.alpha;
    let new_weight = if spec.adjust { 1.0 } else { spec.alpha };
    let mut weighted = f64::NAN;
    let mut old_weight = 1.0;
    let mut nobs = 0usize;
    for (i, (&raw, o)) in x.iter().zip(out.iter_mut()).enumerate() {
        let cur = if raw.is_finite() { raw } else { f64::NAN };
        let is_obs = !cur.is_nan();
        nobs += usize::from(is_obs);
        if i == 0 {
            weighted = cur;
        } else if !weighted.is_nan() {
            old_weight *= old_factor;
            if is_obs {
                if weighted != cur {
                    weighted =
                        (old_weight * weighted + new_weight * cur) / (old_weight + new_weight);
                }
                if spec.adjust {
                    old_weight += new_weight;
                } else {
                    old_weight = 1.0;
                }
            }
        } else if is_obs {
            weighted = cur;
        }
        *o = if nobs >= spec.min_periods {
            weighted
        } else {
            f64::NAN
        };
    }
    Ok(())
}

/// The exponentially weighted mean as a kernel for the 2-D and grouped runners.
#[derive(Clone, Copy, Debug)]
pub struct Ewm(pub EwmSpec);

impl Kernel for Ewm {
    fn series(&self, x: &[f64], _: Option<&[f64]>, out: &mut [f64]) -> Result<(), KernelError> {
        ewm_mean(x, &self.0, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_pandas_hand_case() {
        // pandas: Series([1, 2, 3, nan, 5]).ewm(alpha=0.5).mean()
        let spec = EwmSpec::new(None, None, None, Some(0.5), true, 0).unwrap();
        let mut out = [0.0; 5];
        ewm_mean(&[1.0, 2.0, 3.0, f64::NAN, 5.0], &spec, &mut out).unwrap();
        let want = [1.0, 5.0 / 3.0, 17.0 / 7.0, 17.0 / 7.0, 97.0 / 23.0];
        for (g, w) in out.iter().zip(want) {
            assert!((g - w).abs() < 1e-12, "{g} vs {w}");
        }
    }

    #[test]
    fn decay_arguments_are_exclusive_and_ranged() {
        assert!(EwmSpec::new(None, Some(3.0), None, Some(0.5), true, 0).is_err());
        assert_eq!(
            EwmSpec::new(None, Some(0.5), None, None, true, 0)
                .unwrap_err()
                .argument(),
            "span"
        );
        let s = EwmSpec::new(None, Some(3.0), None, None, true, 0).unwrap();
        assert_eq!(s.alpha, 0.5);
    }
}
