//! Moment aggregates over `N` lanes.
//!
//! Second and higher moments keep each lane's observations relative to a shift: the first value
//! the lane absorbed, which is always one of its own observations. Deviations from a member of the
//! window are small (price levels of 1e4 with 0.01 moves subtract exactly), so second moments keep
//! full precision; merges only add non-negative terms to `m2`, which therefore never goes negative
//! and is exactly 0 when all observations are equal.

// Lane loops index several struct-of-arrays fields by the same k; that is what vectorises.
#![allow(clippy::needless_range_loop)]

use crate::window::{Mergeable, non_negative, select};

/// Count, sum, minimum and maximum. A window whose minimum equals its maximum is flat and returns
/// its value exactly (pandas' same-value rule, GH 42064). Blocks never subtract, so the plain sum of
/// at most two blocks has the accuracy of a direct sum over the window and cannot drift.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SumState<const N: usize> {
    n: [f64; N],
    sum: [f64; N],
    lo: [f64; N],
    hi: [f64; N],
}

impl<const N: usize> SumState<N> {
    /// Σ x of lane `k`; 0 for no observations.
    #[inline(always)]
    pub(crate) fn sum(&self, k: usize) -> f64 {
        select(
            self.lo[k] == self.hi[k],
            self.lo[k] * self.n[k],
            self.sum[k],
        )
    }

    /// Mean of lane `k`; NaN for no observations.
    #[inline(always)]
    pub(crate) fn mean(&self, k: usize) -> f64 {
        select(
            self.lo[k] == self.hi[k],
            self.lo[k],
            self.sum[k] / self.n[k],
        )
    }
}

impl<const N: usize> Mergeable<N> for SumState<N> {
    type Row = [f64; N];
    const EMPTY: Self = Self {
        n: [0.0; N],
        sum: [0.0; N],
        lo: [f64::INFINITY; N],
        hi: [f64::NEG_INFINITY; N],
    };

    #[inline(always)]
    fn push(&mut self, x: &[f64; N]) {
        for k in 0..N {
            let v = x[k].is_finite();
            self.n[k] += select(v, 1.0, 0.0);
            self.sum[k] += select(v, x[k], 0.0);
            self.lo[k] = self.lo[k].min(select(v, x[k], f64::INFINITY));
            self.hi[k] = self.hi[k].max(select(v, x[k], f64::NEG_INFINITY));
        }
    }

    #[inline(always)]
    fn merge(a: &Self, b: &Self) -> Self {
        let mut m = *a;
        for k in 0..N {
            m.n[k] = a.n[k] + b.n[k];
            m.sum[k] = a.sum[k] + b.sum[k];
            m.lo[k] = a.lo[k].min(b.lo[k]);
            m.hi[k] = a.hi[k].max(b.hi[k]);
        }
        m
    }

    #[inline(always)]
    fn count(&self, k: usize) -> f64 {
        self.n[k]
    }
}

/// Count and the first two power sums of `y = x - shift`, where the shift is the first value the
/// lane absorbed (so always a member of its window). Since a member lies within about sqrt(n)
/// standard deviations of the mean, `m2 = S2 - S1²/n` loses at most a factor ~n of precision even
/// at price level, absorbing needs no division (the lanes vectorise), and a flat window has
/// `S1 = S2 = 0`: variance exactly 0.
#[derive(Clone, Copy, Debug)]
pub(crate) struct VarState<const N: usize> {
    n: [f64; N],
    shift: [f64; N],
    s1: [f64; N],
    s2: [f64; N],
}

impl<const N: usize> VarState<N> {
    /// Σ (x - mean)² of lane `k`, never negative.
    #[inline(always)]
    pub(crate) fn m2(&self, k: usize) -> f64 {
        non_negative(self.s2[k] - self.s1[k] * self.s1[k] / self.n[k])
    }

    /// Sample variance of lane `k` with `ddof`; NaN when `n <= ddof`.
    #[inline(always)]
    pub(crate) fn var(&self, k: usize, ddof: f64) -> f64 {
        // n·m2 = n·S2 - S1², so one division serves both normalisations.
        let n = self.n[k];
        let nm2 = non_negative(n * self.s2[k] - self.s1[k] * self.s1[k]);
        select(n > ddof, nm2 / (n * (n - ddof)), f64::NAN)
    }

    /// `x - mean` of lane `k`, computed relative to the shift so a price-level mean loses nothing.
    #[inline(always)]
    pub(crate) fn deviation(&self, k: usize, x: f64) -> f64 {
        (x - self.shift[k]) - self.s1[k] / self.n[k]
    }
}

impl<const N: usize> Mergeable<N> for VarState<N> {
    type Row = [f64; N];
    const EMPTY: Self = Self {
        n: [0.0; N],
        shift: [0.0; N],
        s1: [0.0; N],
        s2: [0.0; N],
    };

    #[inline(always)]
    fn push(&mut self, x: &[f64; N]) {
        for k in 0..N {
            let v = x[k].is_finite();
            self.shift[k] = select(v & (self.n[k] == 0.0), x[k], self.shift[k]);
            let y = select(v, x[k] - self.shift[k], 0.0);
            self.n[k] += select(v, 1.0, 0.0);
            self.s1[k] += y;
            self.s2[k] += y * y;
        }
    }

    #[inline(always)]
    fn merge(a: &Self, b: &Self) -> Self {
        // b's sums re-expressed around a's shift: y' = y + dc. Each field built whole, lane by
        // lane: written as a copy of `a` updated field by field, LLVM split this merge into
        // scalar adds and shuffles (panel rolling_std took 19 ms a thread, now 11). The same
        // rewrite of the other states' merges measured even or slower, so they stay loops.
        let dc: [f64; N] =
            std::array::from_fn(|k| select(a.n[k] == 0.0, 0.0, b.shift[k] - a.shift[k]));
        Self {
            n: std::array::from_fn(|k| a.n[k] + b.n[k]),
            shift: std::array::from_fn(|k| select(a.n[k] == 0.0, b.shift[k], a.shift[k])),
            s1: std::array::from_fn(|k| a.s1[k] + (b.s1[k] + b.n[k] * dc[k])),
            s2: std::array::from_fn(|k| {
                a.s2[k] + (b.s2[k] + dc[k] * (2.0 * b.s1[k] + b.n[k] * dc[k]))
            }),
        }
    }

    #[inline(always)]
    fn count(&self, k: usize) -> f64 {
        self.n[k]
    }
}

/// Central moments up to the fourth (Terriberry updates, Pébay merges) for skew and kurtosis.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HigherState<const N: usize> {
    n: [f64; N],
    shift: [f64; N],
    /// mean of (x - shift)
    mean: [f64; N],
    m2: [f64; N],
    m3: [f64; N],
    m4: [f64; N],
}

impl<const N: usize> HigherState<N> {
    /// pandas' bias-corrected sample skewness; NaN below 3 observations or with zero variance.
    #[inline(always)]
    pub(crate) fn skew(&self, k: usize) -> f64 {
        let n = self.n[k];
        let b = self.m2[k] / n;
        let c = self.m3[k] / n;
        let skew = (n * (n - 1.0)).sqrt() * c / ((n - 2.0) * b * b.sqrt());
        select((n >= 3.0) & (self.m2[k] > 0.0), skew, f64::NAN)
    }

    /// pandas' bias-corrected excess kurtosis; NaN below 4 observations or with zero variance.
    #[inline(always)]
    pub(crate) fn kurt(&self, k: usize) -> f64 {
        let n = self.n[k];
        let b = self.m2[k] / n;
        let d = self.m4[k] / n;
        let kurt =
            ((n * n - 1.0) * d / (b * b) - 3.0 * (n - 1.0) * (n - 1.0)) / ((n - 2.0) * (n - 3.0));
        select((n >= 4.0) & (self.m2[k] > 0.0), kurt, f64::NAN)
    }
}

impl<const N: usize> Mergeable<N> for HigherState<N> {
    type Row = [f64; N];
    const EMPTY: Self = Self {
        n: [0.0; N],
        shift: [0.0; N],
        mean: [0.0; N],
        m2: [0.0; N],
        m3: [0.0; N],
        m4: [0.0; N],
    };

    #[inline(always)]
    fn push(&mut self, x: &[f64; N]) {
        for k in 0..N {
            let v = x[k].is_finite();
            let first = self.n[k] == 0.0;
            let n1 = self.n[k];
            let n = n1 + 1.0;
            let delta = (x[k] - self.shift[k]) - self.mean[k];
            let dn = delta / n;
            let dn2 = dn * dn;
            let term1 = delta * dn * n1;
            let (m2, m3) = (self.m2[k], self.m3[k]);
            let mean = self.mean[k] + dn;
            let m4 =
                self.m4[k] + term1 * dn2 * (n * n - 3.0 * n + 3.0) + 6.0 * dn2 * m2 - 4.0 * dn * m3;
            let m3n = m3 + term1 * dn * (n - 2.0) - 3.0 * dn * m2;
            let m2n = m2 + term1;
            let grow = v & !first;
            self.shift[k] = select(v & first, x[k], self.shift[k]);
            self.mean[k] = select(grow, mean, self.mean[k]);
            self.m2[k] = select(grow, m2n, m2);
            self.m3[k] = select(grow, m3n, m3);
            self.m4[k] = select(grow, m4, self.m4[k]);
            self.n[k] = select(v, n, n1);
        }
    }

    #[inline(always)]
    fn merge(a: &Self, b: &Self) -> Self {
        let mut m = *a;
        for k in 0..N {
            let (ae, be) = (a.n[k] == 0.0, b.n[k] == 0.0);
            let (na, nb) = (a.n[k], b.n[k]);
            let n = na + nb;
            let delta = (b.shift[k] - a.shift[k]) + (b.mean[k] - a.mean[k]);
            let d2 = delta * delta;
            let m2 = a.m2[k] + b.m2[k] + d2 * na * nb / n;
            let m3 = a.m3[k]
                + b.m3[k]
                + d2 * delta * na * nb * (na - nb) / (n * n)
                + 3.0 * delta * (na * b.m2[k] - nb * a.m2[k]) / n;
            let m4 = a.m4[k]
                + b.m4[k]
                + d2 * d2 * na * nb * (na * na - na * nb + nb * nb) / (n * n * n)
                + 6.0 * d2 * (na * na * b.m2[k] + nb * nb * a.m2[k]) / (n * n)
                + 4.0 * delta * (na * b.m3[k] - nb * a.m3[k]) / n;
            let pick = |merged: f64, av: f64, bv: f64| select(ae, bv, select(be, av, merged));
            m.n[k] = n;
            m.shift[k] = select(ae, b.shift[k], a.shift[k]);
            m.mean[k] = pick(a.mean[k] + delta * nb / n, a.mean[k], b.mean[k]);
            m.m2[k] = pick(m2, a.m2[k], b.m2[k]);
            m.m3[k] = pick(m3, a.m3[k], b.m3[k]);
            m.m4[k] = pick(m4, a.m4[k], b.m4[k]);
        }
        m
    }

    #[inline(always)]
    fn count(&self, k: usize) -> f64 {
        self.n[k]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fold<S: Mergeable<1, Row = [f64; 1]>>(xs: &[f64]) -> S {
        let mut s = S::EMPTY;
        for &x in xs {
            s.push(&[x]);
        }
        s
    }

    #[test]
    fn merge_equals_push_all() {
        let xs = [
            1e4 + 0.01,
            1e4 - 0.03,
            1e4 + 0.02,
            1e4,
            1e4 + 0.05,
            1e4 - 0.01,
            1e4 + 0.04,
        ];
        let all: VarState<1> = fold(&xs);
        let hall: HigherState<1> = fold(&xs);
        for k in 0..=xs.len() {
            let m = VarState::merge(&fold(&xs[..k]), &fold(&xs[k..]));
            assert!((m.var(0, 1.0) - all.var(0, 1.0)).abs() <= 1e-15 * all.var(0, 1.0));
            let h = HigherState::merge(&fold(&xs[..k]), &fold(&xs[k..]));
            assert!((h.skew(0) - hall.skew(0)).abs() < 1e-9);
            assert!((h.kurt(0) - hall.kurt(0)).abs() < 1e-9);
        }
    }

    #[test]
    fn flat_values_give_exact_zero_variance_and_exact_mean() {
        let xs = [0.1; 7];
        let s: VarState<1> = fold(&xs);
        assert_eq!(s.m2(0), 0.0);
        let m: SumState<1> = SumState::merge(&fold(&xs[..3]), &fold(&xs[3..]));
        assert_eq!(m.mean(0), 0.1);
        let h: HigherState<1> = HigherState::merge(&fold(&xs[..3]), &fold(&xs[3..]));
        assert!(h.skew(0).is_nan());
    }

    #[test]
    fn variance_of_small_hand_case() {
        let s: VarState<1> = fold(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(s.var(0, 1.0), 5.0 / 3.0);
        assert_eq!(s.var(0, 0.0), 1.25);
        assert!(s.var(0, 4.0).is_nan());
    }

    #[test]
    fn invalid_rows_are_skipped() {
        let mut s = VarState::<1>::EMPTY;
        for x in [f64::NAN, 2.0, f64::INFINITY, 4.0] {
            s.push(&[x]);
        }
        assert_eq!(s.count(0), 2.0);
        assert_eq!(s.var(0, 1.0), 2.0);
    }
}
