//! Minimum and maximum over `N` lanes: merges are exact, so the block scheme gives O(1) worst case
//! per row.

// Lane loops index several struct-of-arrays fields by the same k; that is what vectorises.
#![allow(clippy::needless_range_loop)]

use crate::window::{Mergeable, select};

/// Extremum of the observations; `MAX` chooses the maximum.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Extremum<const N: usize, const MAX: bool> {
    n: [f64; N],
    value: [f64; N],
}

impl<const N: usize, const MAX: bool> Extremum<N, MAX> {
    /// The extremum of lane `k`; NaN for no observations.
    #[inline(always)]
    pub(crate) fn value(&self, k: usize) -> f64 {
        select(self.n[k] > 0.0, self.value[k], f64::NAN)
    }

    #[inline(always)]
    fn pick(a: f64, b: f64) -> f64 {
        if MAX { a.max(b) } else { a.min(b) }
    }
}

impl<const N: usize, const MAX: bool> Mergeable<N> for Extremum<N, MAX> {
    type Row = [f64; N];
    const EMPTY: Self = Self {
        n: [0.0; N],
        value: [if MAX {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }; N],
    };

    #[inline(always)]
    fn push(&mut self, x: &[f64; N]) {
        for k in 0..N {
            let v = x[k].is_finite();
            self.n[k] += select(v, 1.0, 0.0);
            self.value[k] = select(v, Self::pick(self.value[k], x[k]), self.value[k]);
        }
    }

    #[inline(always)]
    fn merge(a: &Self, b: &Self) -> Self {
        let mut m = *a;
        for k in 0..N {
            m.n[k] = a.n[k] + b.n[k];
            m.value[k] = Self::pick(a.value[k], b.value[k]);
        }
        m
    }

    #[inline(always)]
    fn count(&self, k: usize) -> f64 {
        self.n[k]
    }
}
