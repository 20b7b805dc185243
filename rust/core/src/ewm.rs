//! Exponentially weighted moving average with pandas' `ewm(...).mean()` semantics (ignore_na=False).

// Lane loops index several arrays by the same k; that is what vectorises.
#![allow(clippy::needless_range_loop)]

use crate::cpu::with_avx2;
use crate::error::{KernelError, same_length};
use crate::kernel::Kernel;
use crate::window::{LANES, TileOut, TileView, select};

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

/// [`ewm_mean`] on a tile of [`LANES`] series side by side, bit-identical per lane: the same
/// arithmetic with every branch turned into a select, so that the lanes' recurrences (each
/// waiting on a division per row) run together instead of one column at a time.
#[inline(always)]
fn ewm_tile(x: &TileView<'_>, spec: &EwmSpec, out: &mut TileOut<'_>) {
    let old_factor = 1.0 - spec.alpha;
    let new_weight = if spec.adjust { 1.0 } else { spec.alpha };
    let min_periods = spec.min_periods as f64;
    let mut weighted = [f64::NAN; LANES];
    let mut old_weight = [1.0; LANES];
    let mut nobs = [0.0; LANES];
    for i in 0..x.rows().min(out.rows()) {
        let row = x.row(i);
        let mut values = [0.0; LANES];
        for k in 0..LANES {
            let cur = select(row[k].is_finite(), row[k], f64::NAN);
            let is_obs = !cur.is_nan();
            nobs[k] += select(is_obs, 1.0, 0.0);
            if i == 0 {
                weighted[k] = cur;
            } else {
                let has = !weighted[k].is_nan();
                let ow = old_weight[k] * old_factor;
                let blended = (ow * weighted[k] + new_weight * cur) / (ow + new_weight);
                let updated = select(is_obs & (weighted[k] != cur), blended, weighted[k]);
                let after = if spec.adjust { ow + new_weight } else { 1.0 };
                weighted[k] = select(has, updated, select(is_obs, cur, weighted[k]));
                old_weight[k] = select(has, select(is_obs, after, ow), old_weight[k]);
            }
            values[k] = select(nobs[k] >= min_periods, weighted[k], f64::NAN);
        }
        out.put(i, &values);
    }
}

/// The exponentially weighted mean as a kernel for the 2-D and grouped runners.
#[derive(Clone, Copy, Debug)]
pub struct Ewm(pub EwmSpec);

impl Kernel for Ewm {
    fn series(&self, x: &[f64], _: Option<&[f64]>, out: &mut [f64]) -> Result<(), KernelError> {
        ewm_mean(x, &self.0, out)
    }

    fn tile(
        &self,
        x: &TileView<'_>,
        _: Option<&TileView<'_>>,
        out: &mut TileOut<'_>,
    ) -> Result<(), KernelError> {
        same_length("out", x.rows(), out.rows())?;
        with_avx2(
            #[inline(always)]
            || ewm_tile(x, &self.0, out),
        );
        Ok(())
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
    fn tiles_are_bit_identical_to_series() {
        let rows = 200;
        let tile: Vec<f64> = (0..rows * LANES)
            .map(|i| match (i * 7919) % 23 {
                0 => f64::NAN,
                1 => f64::INFINITY,
                2 => 4.0, // runs of equal values take the `weighted == cur` path
                r => r as f64 * 0.37 - 3.0,
            })
            .collect();
        // Lane 3 starts with missing values (the first observation arrives late).
        let mut tile = tile;
        for i in 0..5 {
            tile[i * LANES + 3] = f64::NAN;
        }
        for (adjust, min_periods) in [(true, 0), (false, 3), (true, 7)] {
            let spec = EwmSpec::new(None, Some(5.0), None, None, adjust, min_periods).unwrap();
            let mut out = vec![0.0; tile.len()];
            Ewm(spec)
                .tile(
                    &TileView::contiguous(&tile).unwrap(),
                    None,
                    &mut TileOut::contiguous(&mut out),
                )
                .unwrap();
            for k in 0..LANES {
                let col: Vec<f64> = (0..rows).map(|i| tile[i * LANES + k]).collect();
                let mut want = vec![0.0; rows];
                ewm_mean(&col, &spec, &mut want).unwrap();
                for i in 0..rows {
                    let got = out[i * LANES + k];
                    assert!(
                        got.to_bits() == want[i].to_bits() || (got.is_nan() && want[i].is_nan()),
                        "adjust={adjust} lane={k} row={i}: {got} vs {}",
                        want[i]
                    );
                }
            }
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
