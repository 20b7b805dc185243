//! Fractional change over `periods` rows: x[t] / x[t - periods] - 1 (pandas 3: no forward fill).

use crate::error::{KernelError, same_length};
use crate::kernel::Kernel;

/// NaN where either end is NaN or outside the series; ±inf and zero divisors follow IEEE like pandas.
pub fn pct_change(x: &[f64], periods: i64, out: &mut [f64]) -> Result<(), KernelError> {
    same_length("out", x.len(), out.len())?;
    let n = x.len();
    let lag = usize::try_from(periods.unsigned_abs()).unwrap_or(usize::MAX);
    for (i, o) in out.iter_mut().enumerate() {
        let base = if periods >= 0 {
            i.checked_sub(lag)
        } else {
            i.checked_add(lag).filter(|&j| j < n)
        };
        *o = match base {
            Some(j) => x[i] / x[j] - 1.0,
            None => f64::NAN,
        };
    }
    Ok(())
}

/// The fractional change as a kernel for the 2-D and grouped runners.
#[derive(Clone, Copy, Debug)]
pub struct PctChange(pub i64);

impl Kernel for PctChange {
    fn series(&self, x: &[f64], _: Option<&[f64]>, out: &mut [f64]) -> Result<(), KernelError> {
        pct_change(x, self.0, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_and_backward() {
        let x = [1.0, 2.0, f64::NAN, 4.0];
        let mut out = [0.0; 4];
        pct_change(&x, 1, &mut out).unwrap();
        assert!(out[0].is_nan() && out[2].is_nan() && out[3].is_nan());
        assert_eq!(out[1], 1.0);
        pct_change(&x, -2, &mut out).unwrap();
        assert!(out[0].is_nan());
        assert_eq!(out[1], -0.5);
        assert!(out[2].is_nan() && out[3].is_nan());
    }
}
