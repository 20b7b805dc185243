//! Co-moments of two series over pairwise-complete rows: covariance, correlation and beta.

use crate::window::Mergeable;

/// Count, shifted sums and the three second co-moments (Youngs-Cramer updates, Chan merges).
#[derive(Clone, Copy, Debug)]
pub(crate) struct CoState {
    n: f64,
    shift_x: f64,
    shift_y: f64,
    sum_x: f64,
    sum_y: f64,
    cxx: f64,
    cyy: f64,
    cxy: f64,
}

impl CoState {
    /// Sample covariance with `ddof`; NaN when `n <= ddof`.
    pub(crate) fn cov(&self, ddof: f64) -> f64 {
        if self.n > ddof {
            self.cxy / (self.n - ddof)
        } else {
            f64::NAN
        }
    }

    /// Pearson correlation, clamped to [-1, 1]; NaN when either side has zero variance.
    pub(crate) fn corr(&self) -> f64 {
        if self.cxx > 0.0 && self.cyy > 0.0 {
            (self.cxy / (self.cxx.sqrt() * self.cyy.sqrt())).clamp(-1.0, 1.0)
        } else {
            f64::NAN
        }
    }

    /// Slope of y on x: cov(y, x) / var(x); NaN when x has zero variance. Items are (y, x).
    pub(crate) fn beta(&self) -> f64 {
        // Items arrive as (y, x): `cyy` holds the variance of x here.
        if self.cyy > 0.0 {
            self.cxy / self.cyy
        } else {
            f64::NAN
        }
    }

    pub(crate) fn n(&self) -> f64 {
        self.n
    }
}

impl Mergeable for CoState {
    type Item = (f64, f64);
    const EMPTY: Self = Self {
        n: 0.0,
        shift_x: 0.0,
        shift_y: 0.0,
        sum_x: 0.0,
        sum_y: 0.0,
        cxx: 0.0,
        cyy: 0.0,
        cxy: 0.0,
    };

    #[inline]
    fn push(&mut self, (x, y): (f64, f64)) {
        if self.n == 0.0 {
            *self = Self {
                n: 1.0,
                shift_x: x,
                shift_y: y,
                ..Self::EMPTY
            };
            return;
        }
        let dx = x - self.shift_x;
        let dy = y - self.shift_y;
        self.n += 1.0;
        self.sum_x += dx;
        self.sum_y += dy;
        let ex = self.n.mul_add(dx, -self.sum_x);
        let ey = self.n.mul_add(dy, -self.sum_y);
        let f = 1.0 / (self.n * (self.n - 1.0));
        self.cxx += ex * ex * f;
        self.cyy += ey * ey * f;
        self.cxy += ex * ey * f;
    }

    #[inline]
    fn merge(a: &Self, b: &Self) -> Self {
        if a.n == 0.0 {
            return *b;
        }
        if b.n == 0.0 {
            return *a;
        }
        let n = a.n + b.n;
        let dcx = b.shift_x - a.shift_x;
        let dcy = b.shift_y - a.shift_y;
        let delta_x = dcx + (b.sum_x / b.n - a.sum_x / a.n);
        let delta_y = dcy + (b.sum_y / b.n - a.sum_y / a.n);
        let w = a.n * b.n / n;
        Self {
            n,
            shift_x: a.shift_x,
            shift_y: a.shift_y,
            sum_x: a.sum_x + b.n.mul_add(dcx, b.sum_x),
            sum_y: a.sum_y + b.n.mul_add(dcy, b.sum_y),
            cxx: a.cxx + b.cxx + delta_x * delta_x * w,
            cyy: a.cyy + b.cyy + delta_y * delta_y * w,
            cxy: a.cxy + b.cxy + delta_x * delta_y * w,
        }
    }

    #[inline]
    fn count(&self) -> usize {
        self.n as usize
    }
}
