//! Cross-sectional statistics: each group (one timestamp, optionally one sector) is one "series"
//! for the grouped runner, and every value is scored against the others of its group.

use super::RankOptions;
use super::order_window::order_key;
use crate::error::{KernelError, same_length};
use crate::kernel::Kernel;

/// What a cross-section computes for each of its values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CsStat {
    /// pandas `groupby(...).rank(method, pct, ascending)`: NaN is missing, ±inf are ranked.
    Rank(RankOptions),
    /// `(x - mean) / std` over the group's finite values; NaN with zero variance or `n <= ddof`.
    Zscore { ddof: usize },
    /// `x - mean` over the group's finite values.
    Demean,
}

/// A cross-sectional statistic as a kernel: one call per group.
impl CsStat {
    /// The z-score with `ddof` delta degrees of freedom; checks `ddof >= 0`.
    pub fn zscore(ddof: i64) -> Result<Self, KernelError> {
        let ddof = usize::try_from(ddof)
            .map_err(|_| KernelError::invalid("ddof", format!("ddof must be >= 0, got {ddof}")))?;
        Ok(Self::Zscore { ddof })
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CrossSection(pub CsStat);

impl Kernel for CrossSection {
    fn series(&self, x: &[f64], _: Option<&[f64]>, out: &mut [f64]) -> Result<(), KernelError> {
        same_length("out", x.len(), out.len())?;
        match self.0 {
            CsStat::Rank(options) => rank(x, &options, out),
            CsStat::Zscore { ddof } => moments(x, out, Some(ddof as f64)),
            CsStat::Demean => moments(x, out, None),
        }
        Ok(())
    }
}

/// `cs_rank` of one cross-section (all of `x`): pandas `rank(method, pct, ascending)`, NaN
/// missing and ±inf ranked.
pub fn cs_rank(x: &[f64], options: &RankOptions, out: &mut [f64]) -> Result<(), KernelError> {
    CrossSection(CsStat::Rank(*options)).series(x, None, out)
}

/// `cs_zscore` of one cross-section: `(x - mean) / std` over the finite values.
pub fn cs_zscore(x: &[f64], ddof: i64, out: &mut [f64]) -> Result<(), KernelError> {
    CrossSection(CsStat::zscore(ddof)?).series(x, None, out)
}

/// `cs_demean` of one cross-section: `x - mean` over the finite values.
pub fn cs_demean(x: &[f64], out: &mut [f64]) -> Result<(), KernelError> {
    CrossSection(CsStat::Demean).series(x, None, out)
}

fn rank(x: &[f64], options: &RankOptions, out: &mut [f64]) {
    // NaN is missing; ±inf are ranked (pandas). Integer keys sort fast; -0.0 == 0.0 share one.
    let mut order: Vec<(u64, u32)> = x
        .iter()
        .enumerate()
        .filter(|(_, v)| !v.is_nan())
        .map(|(i, &v)| (order_key(v), i as u32))
        .collect();
    radsort::sort_by_key(&mut order, |&(key, _)| key);
    out.fill(f64::NAN);
    let n = order.len();
    let mut a = 0;
    while a < n {
        let k = order[a].0;
        let mut b = a + 1;
        while b < n && order[b].0 == k {
            b += 1;
        }
        let r = options.rank(a, b - a, n);
        for &(_, i) in &order[a..b] {
            out[i as usize] = r;
        }
        a = b;
    }
}

/// Demeans (`ddof = None`) or z-scores the finite values; two passes around a member of the group
/// so that price-level values keep their precision.
fn moments(x: &[f64], out: &mut [f64], ddof: Option<f64>) {
    let shift = x.iter().copied().find(|v| v.is_finite()).unwrap_or(0.0);
    let (mut n, mut s1) = (0.0, 0.0);
    for v in x.iter().filter(|v| v.is_finite()) {
        n += 1.0;
        s1 += v - shift;
    }
    let mean_dev = s1 / n;
    let scale = match ddof {
        None => 1.0,
        Some(ddof) => {
            let m2: f64 = x
                .iter()
                .filter(|v| v.is_finite())
                .map(|v| {
                    let d = (v - shift) - mean_dev;
                    d * d
                })
                .sum();
            if n > ddof && m2 > 0.0 {
                (m2 / (n - ddof)).sqrt()
            } else {
                f64::NAN
            }
        }
    };
    for (o, &v) in out.iter_mut().zip(x) {
        *o = if v.is_finite() {
            ((v - shift) - mean_dev) / scale
        } else {
            f64::NAN
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rank::RankMethod;

    #[test]
    fn ranks_zscores_and_demeans_a_group() {
        let x = [3.0, f64::NAN, 1.0, 3.0, f64::INFINITY];
        let mut out = [0.0; 5];
        let opts = RankOptions {
            method: RankMethod::Average,
            pct: false,
            ascending: true,
        };
        CrossSection(CsStat::Rank(opts))
            .series(&x, None, &mut out)
            .unwrap();
        assert_eq!([out[0], out[2], out[3], out[4]], [2.5, 1.0, 2.5, 4.0]);
        assert!(out[1].is_nan());
        let y = [1.0, 2.0, 3.0, f64::NAN];
        let mut z = [0.0; 4];
        CrossSection(CsStat::Zscore { ddof: 1 })
            .series(&y, None, &mut z)
            .unwrap();
        assert_eq!(&z[..3], &[-1.0, 0.0, 1.0]);
        CrossSection(CsStat::Demean)
            .series(&y, None, &mut z)
            .unwrap();
        assert_eq!(&z[..3], &[-1.0, 0.0, 1.0]);
    }
}
