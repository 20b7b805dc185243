//! Co-moments of two series over pairwise-complete rows, over `N` lanes: covariance, correlation
//! and beta.

// Lane loops index several struct-of-arrays fields by the same k; that is what vectorises.
#![allow(clippy::needless_range_loop)]

use crate::window::{Mergeable, select};

/// Count and shifted power sums of both series (shifts: the lane's first pair, a member of its
/// window), as [`VarState`](super::moments::VarState) does for one series.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CoState<const N: usize> {
    n: [f64; N],
    shift_x: [f64; N],
    shift_y: [f64; N],
    sx: [f64; N],
    sy: [f64; N],
    sxx: [f64; N],
    syy: [f64; N],
    sxy: [f64; N],
}

impl<const N: usize> CoState<N> {
    // `max(0.0)` turns an overflowed (NaN) co-moment into 0, which is harmless here, unlike in
    // a variance: `corr` and `slope` read `cxx`/`cyy` only through `> 0.0`, so both give NaN.
    // (`window::non_negative` measured ~20% slower on the 2-thread panel corr and cov.)
    #[inline(always)]
    fn cxx(&self, k: usize) -> f64 {
        (self.sxx[k] - self.sx[k] * self.sx[k] / self.n[k]).max(0.0)
    }

    #[inline(always)]
    fn cyy(&self, k: usize) -> f64 {
        (self.syy[k] - self.sy[k] * self.sy[k] / self.n[k]).max(0.0)
    }

    #[inline(always)]
    fn cxy(&self, k: usize) -> f64 {
        self.sxy[k] - self.sx[k] * self.sy[k] / self.n[k]
    }

    /// Sample covariance of lane `k` with `ddof`; NaN when `n <= ddof`.
    #[inline(always)]
    pub(crate) fn cov(&self, k: usize, ddof: f64) -> f64 {
        select(self.n[k] > ddof, self.cxy(k) / (self.n[k] - ddof), f64::NAN)
    }

    /// Pearson correlation of lane `k`, clamped to [-1, 1]; NaN when either side has zero variance
    /// or `n <= ddof`.
    #[inline(always)]
    pub(crate) fn corr(&self, k: usize, ddof: f64) -> f64 {
        let (cxx, cyy) = (self.cxx(k), self.cyy(k));
        let r = (self.cxy(k) / (cxx.sqrt() * cyy.sqrt())).clamp(-1.0, 1.0);
        select((cxx > 0.0) & (cyy > 0.0) & (self.n[k] > ddof), r, f64::NAN)
    }

    /// Slope of the first series on the second: cov(a, b) / var(b); NaN when b has zero variance
    /// or `n <= ddof`.
    #[inline(always)]
    pub(crate) fn slope(&self, k: usize, ddof: f64) -> f64 {
        let cyy = self.cyy(k);
        select(
            (cyy > 0.0) & (self.n[k] > ddof),
            self.cxy(k) / cyy,
            f64::NAN,
        )
    }
}

impl<const N: usize> Mergeable<N> for CoState<N> {
    type Row = ([f64; N], [f64; N]);
    const EMPTY: Self = Self {
        n: [0.0; N],
        shift_x: [0.0; N],
        shift_y: [0.0; N],
        sx: [0.0; N],
        sy: [0.0; N],
        sxx: [0.0; N],
        syy: [0.0; N],
        sxy: [0.0; N],
    };

    #[inline(always)]
    fn push(&mut self, (xs, ys): &([f64; N], [f64; N])) {
        for k in 0..N {
            let v = xs[k].is_finite() & ys[k].is_finite();
            let start = v & (self.n[k] == 0.0);
            self.shift_x[k] = select(start, xs[k], self.shift_x[k]);
            self.shift_y[k] = select(start, ys[k], self.shift_y[k]);
            let dx = select(v, xs[k] - self.shift_x[k], 0.0);
            let dy = select(v, ys[k] - self.shift_y[k], 0.0);
            self.n[k] += select(v, 1.0, 0.0);
            self.sx[k] += dx;
            self.sy[k] += dy;
            self.sxx[k] += dx * dx;
            self.syy[k] += dy * dy;
            self.sxy[k] += dx * dy;
        }
    }

    #[inline(always)]
    fn merge(a: &Self, b: &Self) -> Self {
        let mut m = *a;
        for k in 0..N {
            let empty = a.n[k] == 0.0;
            let cx = select(empty, 0.0, b.shift_x[k] - a.shift_x[k]);
            let cy = select(empty, 0.0, b.shift_y[k] - a.shift_y[k]);
            let nb = b.n[k];
            m.n[k] = a.n[k] + nb;
            m.shift_x[k] = select(empty, b.shift_x[k], a.shift_x[k]);
            m.shift_y[k] = select(empty, b.shift_y[k], a.shift_y[k]);
            m.sx[k] = a.sx[k] + (b.sx[k] + nb * cx);
            m.sy[k] = a.sy[k] + (b.sy[k] + nb * cy);
            m.sxx[k] = a.sxx[k] + (b.sxx[k] + cx * (2.0 * b.sx[k] + nb * cx));
            m.syy[k] = a.syy[k] + (b.syy[k] + cy * (2.0 * b.sy[k] + nb * cy));
            m.sxy[k] = a.sxy[k] + (b.sxy[k] + cx * b.sy[k] + cy * b.sx[k] + nb * cx * cy);
        }
        m
    }

    #[inline(always)]
    fn count(&self, k: usize) -> f64 {
        self.n[k]
    }
}
