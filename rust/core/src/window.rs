//! The one rolling-window driver.
//!
//! The series is cut into blocks of `window` rows. For the block before the current one we keep the
//! aggregate of every suffix, and inside the current block one running prefix aggregate; the window
//! ending at row `i` is then exactly `suffix(i + 1 - window) ⊕ prefix(i)`. Aggregates only ever
//! absorb values and merge with each other: nothing is subtracted, so a value that has left the
//! window (a 1e9 spike, an inf) has no effect at all, sums cannot drift, and each window's result
//! depends only on the values inside it and the block boundaries. This is the van Herk / Gil-Werman
//! scheme generalised from min/max to any mergeable statistic; it costs two absorbs and one merge per
//! row and O(window) memory.

/// A statistic over a multiset of observations that can absorb one more and merge with another.
pub(crate) trait Mergeable: Copy {
    type Item: Copy;
    /// The aggregate of no observations.
    const EMPTY: Self;
    /// Absorbs one valid observation.
    fn push(&mut self, item: Self::Item);
    /// The aggregate of both multisets; `older` holds the earlier rows.
    fn merge(older: &Self, newer: &Self) -> Self;
    /// How many observations were absorbed.
    fn count(&self) -> usize;
}

/// Row access for the driver: `None` where the row is missing.
pub(crate) trait Rows {
    type Item: Copy;
    fn len(&self) -> usize;
    fn get(&self, i: usize) -> Option<Self::Item>;
}

/// One series; NaN and ±inf are missing (pandas' convention).
#[derive(Clone, Copy)]
pub(crate) struct Single<'a>(pub &'a [f64]);

impl Rows for Single<'_> {
    type Item = f64;
    #[inline]
    fn len(&self) -> usize {
        self.0.len()
    }
    #[inline]
    fn get(&self, i: usize) -> Option<f64> {
        let v = self.0[i];
        v.is_finite().then_some(v)
    }
}

/// Two aligned series; a row counts only when both values are present (pairwise complete).
#[derive(Clone, Copy)]
pub(crate) struct Paired<'a>(pub &'a [f64], pub &'a [f64]);

impl Rows for Paired<'_> {
    type Item = (f64, f64);
    #[inline]
    fn len(&self) -> usize {
        self.0.len().min(self.1.len())
    }
    #[inline]
    fn get(&self, i: usize) -> Option<(f64, f64)> {
        let (x, y) = (self.0[i], self.1[i]);
        (x.is_finite() && y.is_finite()).then_some((x, y))
    }
}

/// Calls `emit(i, aggregate of rows i+1-window ..= i)` for every row, in order.
pub(crate) fn sliding<S, R>(rows: &R, window: usize, mut emit: impl FnMut(usize, &S))
where
    S: Mergeable,
    R: Rows<Item = S::Item>,
{
    let n = rows.len();
    let window = window.max(1);
    let first_end = window.min(n);
    let mut prefix = S::EMPTY;
    for i in 0..first_end {
        if let Some(v) = rows.get(i) {
            prefix.push(v);
        }
        emit(i, &prefix);
    }
    if n <= window {
        return;
    }
    // suffix[j] aggregates rows block+j .. block+window of the previous block; suffix[window] is empty.
    let mut suffix = vec![S::EMPTY; window + 1];
    let mut block = 0;
    while block + window < n {
        let current = block + window;
        let end = (current + window).min(n);
        let mut acc = S::EMPTY;
        for j in (0..window).rev() {
            if let Some(v) = rows.get(block + j) {
                acc.push(v);
            }
            suffix[j] = acc;
        }
        let mut prefix = S::EMPTY;
        for (i, older) in (current..end).zip(&suffix[1..]) {
            if let Some(v) = rows.get(i) {
                prefix.push(v);
            }
            emit(i, &S::merge(older, &prefix));
        }
        block = current;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The multiset itself, to check that every window sees exactly its rows.
    #[derive(Clone, Copy)]
    struct Span {
        lo: usize,
        hi: usize,
        n: usize,
    }

    impl Mergeable for Span {
        type Item = f64;
        const EMPTY: Self = Self {
            lo: usize::MAX,
            hi: 0,
            n: 0,
        };
        fn push(&mut self, item: f64) {
            let i = item as usize;
            self.lo = self.lo.min(i);
            self.hi = self.hi.max(i);
            self.n += 1;
        }
        fn merge(a: &Self, b: &Self) -> Self {
            Self {
                lo: a.lo.min(b.lo),
                hi: a.hi.max(b.hi),
                n: a.n + b.n,
            }
        }
        fn count(&self) -> usize {
            self.n
        }
    }

    #[test]
    fn every_window_covers_exactly_its_rows() {
        for n in 0..40 {
            let xs: Vec<f64> = (0..n).map(|i| i as f64).collect();
            for w in 1..45 {
                let mut seen = 0;
                sliding::<Span, _>(&Single(&xs), w, |i, s| {
                    assert_eq!(i, seen);
                    seen += 1;
                    let lo = (i + 1).saturating_sub(w);
                    assert_eq!(
                        (s.lo, s.hi, s.count()),
                        (lo, i, i + 1 - lo),
                        "n={n} w={w} i={i}"
                    );
                });
                assert_eq!(seen, n);
            }
        }
    }
}
