//! Moment aggregates. Each keeps its observations relative to a shift: the first value it absorbed,
//! which is always one of its own observations. Deviations from a member of the window are small
//! (price levels of 1e4 with 0.01 moves subtract exactly), so sums and second moments keep full
//! precision; merges only add non-negative terms to `m2`, which therefore never goes negative and is
//! exactly 0 when all observations are equal.

use crate::window::Mergeable;

/// Count and sum, with a flag for "every value equal" so that a flat window returns its value
/// exactly (pandas' same-value rule, GH 42064). Blocks never subtract, so the plain sum of at most
/// two blocks has the accuracy of a direct sum over the window and cannot drift.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SumState {
    n: f64,
    sum: f64,
    first: f64,
    equal: bool,
}

impl SumState {
    /// Σ x; 0 for no observations.
    pub(crate) fn sum(&self) -> f64 {
        if self.equal {
            self.first * self.n
        } else {
            self.sum
        }
    }

    pub(crate) fn mean(&self) -> f64 {
        if self.equal {
            self.first
        } else {
            self.sum / self.n
        }
    }
}

impl Mergeable for SumState {
    type Item = f64;
    const EMPTY: Self = Self {
        n: 0.0,
        sum: 0.0,
        first: 0.0,
        equal: true,
    };

    #[inline]
    fn push(&mut self, x: f64) {
        if self.n == 0.0 {
            self.first = x;
        }
        self.equal &= x == self.first;
        self.sum += x;
        self.n += 1.0;
    }

    #[inline]
    fn merge(a: &Self, b: &Self) -> Self {
        if a.n == 0.0 {
            return *b;
        }
        if b.n == 0.0 {
            return *a;
        }
        Self {
            n: a.n + b.n,
            sum: a.sum + b.sum,
            first: a.first,
            equal: a.equal && b.equal && a.first == b.first,
        }
    }

    #[inline]
    fn count(&self) -> usize {
        self.n as usize
    }
}

/// Count, shifted sum and sum of squared deviations (Youngs-Cramer updates, Chan merges).
#[derive(Clone, Copy, Debug)]
pub(crate) struct VarState {
    n: f64,
    shift: f64,
    sum: f64,
    m2: f64,
}

impl VarState {
    /// Σ (x - mean)², never negative.
    pub(crate) fn m2(&self) -> f64 {
        self.m2
    }

    /// Sample variance with `ddof`; NaN when `n <= ddof`.
    pub(crate) fn var(&self, ddof: f64) -> f64 {
        if self.n > ddof {
            self.m2 / (self.n - ddof)
        } else {
            f64::NAN
        }
    }

    /// `x - mean`, computed relative to the shift so a price-level mean loses nothing.
    pub(crate) fn deviation(&self, x: f64) -> f64 {
        (x - self.shift) - self.sum / self.n
    }
}

impl Mergeable for VarState {
    type Item = f64;
    const EMPTY: Self = Self {
        n: 0.0,
        shift: 0.0,
        sum: 0.0,
        m2: 0.0,
    };

    #[inline]
    fn push(&mut self, x: f64) {
        if self.n == 0.0 {
            self.shift = x;
            self.n = 1.0;
            return;
        }
        let y = x - self.shift;
        self.n += 1.0;
        self.sum += y;
        let d = self.n.mul_add(y, -self.sum);
        self.m2 += d * d / (self.n * (self.n - 1.0));
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
        let dc = b.shift - a.shift;
        let delta = dc + (b.sum / b.n - a.sum / a.n);
        Self {
            n,
            shift: a.shift,
            sum: a.sum + b.n.mul_add(dc, b.sum),
            m2: a.m2 + b.m2 + delta * delta * (a.n * b.n / n),
        }
    }

    #[inline]
    fn count(&self) -> usize {
        self.n as usize
    }
}

/// Central moments up to the fourth (Terriberry updates, Pébay merges) for skew and kurtosis.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HigherState {
    n: f64,
    shift: f64,
    /// mean of (x - shift)
    mean: f64,
    m2: f64,
    m3: f64,
    m4: f64,
}

impl HigherState {
    /// pandas' bias-corrected sample skewness; NaN below 3 observations or with zero variance.
    pub(crate) fn skew(&self) -> f64 {
        let n = self.n;
        if n < 3.0 || self.m2 <= 0.0 {
            return f64::NAN;
        }
        let b = self.m2 / n;
        let c = self.m3 / n;
        (n * (n - 1.0)).sqrt() * c / ((n - 2.0) * b * b.sqrt())
    }

    /// pandas' bias-corrected excess kurtosis; NaN below 4 observations or with zero variance.
    pub(crate) fn kurt(&self) -> f64 {
        let n = self.n;
        if n < 4.0 || self.m2 <= 0.0 {
            return f64::NAN;
        }
        let b = self.m2 / n;
        let d = self.m4 / n;
        ((n * n - 1.0) * d / (b * b) - 3.0 * (n - 1.0) * (n - 1.0)) / ((n - 2.0) * (n - 3.0))
    }
}

impl Mergeable for HigherState {
    type Item = f64;
    const EMPTY: Self = Self {
        n: 0.0,
        shift: 0.0,
        mean: 0.0,
        m2: 0.0,
        m3: 0.0,
        m4: 0.0,
    };

    #[inline]
    fn push(&mut self, x: f64) {
        if self.n == 0.0 {
            *self = Self {
                n: 1.0,
                shift: x,
                ..Self::EMPTY
            };
            return;
        }
        let n1 = self.n;
        let n = n1 + 1.0;
        let delta = (x - self.shift) - self.mean;
        let dn = delta / n;
        let dn2 = dn * dn;
        let term1 = delta * dn * n1;
        self.mean += dn;
        self.m4 += term1 * dn2 * (n * n - 3.0 * n + 3.0) + 6.0 * dn2 * self.m2 - 4.0 * dn * self.m3;
        self.m3 += term1 * dn * (n - 2.0) - 3.0 * dn * self.m2;
        self.m2 += term1;
        self.n = n;
    }

    #[inline]
    fn merge(a: &Self, b: &Self) -> Self {
        if a.n == 0.0 {
            return *b;
        }
        if b.n == 0.0 {
            return *a;
        }
        let (na, nb) = (a.n, b.n);
        let n = na + nb;
        let delta = (b.shift - a.shift) + (b.mean - a.mean);
        let d2 = delta * delta;
        let m2 = a.m2 + b.m2 + d2 * na * nb / n;
        let m3 = a.m3
            + b.m3
            + d2 * delta * na * nb * (na - nb) / (n * n)
            + 3.0 * delta * (na * b.m2 - nb * a.m2) / n;
        let m4 = a.m4
            + b.m4
            + d2 * d2 * na * nb * (na * na - na * nb + nb * nb) / (n * n * n)
            + 6.0 * d2 * (na * na * b.m2 + nb * nb * a.m2) / (n * n)
            + 4.0 * delta * (na * b.m3 - nb * a.m3) / n;
        Self {
            n,
            shift: a.shift,
            mean: a.mean + delta * nb / n,
            m2,
            m3,
            m4,
        }
    }

    #[inline]
    fn count(&self) -> usize {
        self.n as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fold<S: Mergeable<Item = f64>>(xs: &[f64]) -> S {
        let mut s = S::EMPTY;
        for &x in xs {
            s.push(x);
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
        let all: VarState = fold(&xs);
        for k in 0..=xs.len() {
            let m = VarState::merge(&fold(&xs[..k]), &fold(&xs[k..]));
            assert!((m.var(1.0) - all.var(1.0)).abs() <= 1e-15 * all.var(1.0));
            let h = HigherState::merge(&fold(&xs[..k]), &fold(&xs[k..]));
            let hall: HigherState = fold(&xs);
            assert!((h.skew() - hall.skew()).abs() < 1e-9);
            assert!((h.kurt() - hall.kurt()).abs() < 1e-9);
        }
    }

    #[test]
    fn flat_values_give_exact_zero_variance_and_exact_mean() {
        let xs = [0.1; 7];
        let s: VarState = fold(&xs);
        assert_eq!(s.m2(), 0.0);
        let m = SumState::merge(&fold(&xs[..3]), &fold(&xs[3..]));
        assert_eq!(m.mean(), 0.1);
        assert!(
            HigherState::merge(&fold(&xs[..3]), &fold(&xs[3..]))
                .skew()
                .is_nan()
        );
    }

    #[test]
    fn variance_of_small_hand_case() {
        let s: VarState = fold(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(s.var(1.0), 5.0 / 3.0);
        assert_eq!(s.var(0.0), 1.25);
        assert!(s.var(4.0).is_nan());
    }
}
