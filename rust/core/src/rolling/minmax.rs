//! Minimum and maximum: merges are exact, so the block scheme gives O(1) worst case per row.

use crate::window::Mergeable;

/// Extremum of the observations; `MAX` chooses the maximum.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Extremum<const MAX: bool> {
    n: usize,
    value: f64,
}

impl<const MAX: bool> Extremum<MAX> {
    pub(crate) fn value(&self) -> f64 {
        self.value
    }

    #[inline]
    fn pick(a: f64, b: f64) -> f64 {
        if MAX { a.max(b) } else { a.min(b) }
    }
}

impl<const MAX: bool> Mergeable for Extremum<MAX> {
    type Item = f64;
    const EMPTY: Self = Self {
        n: 0,
        value: if MAX {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        },
    };

    #[inline]
    fn push(&mut self, x: f64) {
        self.n += 1;
        self.value = Self::pick(self.value, x);
    }

    #[inline]
    fn merge(a: &Self, b: &Self) -> Self {
        Self {
            n: a.n + b.n,
            value: Self::pick(a.value, b.value),
        }
    }

    #[inline]
    fn count(&self) -> usize {
        self.n
    }
}
