//! A Fenwick (binary indexed) tree of counts over coordinate-compressed values.

use std::hint::select_unpredictable;

/// Counts per code `0..len`; prefix sums and k-th selection in O(log len).
#[derive(Clone, Debug, Default)]
pub(crate) struct Fenwick {
    tree: Vec<u32>,
    /// The highest power of two <= len, for selection by binary lifting.
    top: usize,
}

impl Fenwick {
    /// Empties the tree and sizes it for codes `0..len`.
    pub(crate) fn reset(&mut self, len: usize) {
        self.tree.clear();
        self.tree.resize(len + 1, 0);
        self.top = if len == 0 {
            0
        } else {
            1 << (usize::BITS - 1 - len.leading_zeros())
        };
    }

    /// Adds `delta` (+1 or -1 as wrapping u32) to the count of `code`.
    #[inline]
    pub(crate) fn add(&mut self, code: usize, delta: u32) {
        let mut i = code + 1;
        while i < self.tree.len() {
            self.tree[i] = self.tree[i].wrapping_add(delta);
            i += i & i.wrapping_neg();
        }
    }

    /// How many values have a code `< code`.
    #[inline]
    pub(crate) fn below(&self, code: usize) -> usize {
        let mut i = code;
        let mut s = 0u32;
        while i > 0 {
            s = s.wrapping_add(self.tree[i]);
            i &= i - 1;
        }
        s as usize
    }

    /// The code of the `k`-th smallest value (0-based); `k` must be below the total count.
    #[inline]
    pub(crate) fn kth(&self, k: usize) -> usize {
        let mut pos = 0usize;
        let mut rest = k as u32;
        let mut step = self.top;
        // Branch-free descent: which way it goes depends on the data, so branches mispredict.
        while step > 0 {
            let next = pos + step;
            let here = self.tree.get(next).copied().unwrap_or(u32::MAX);
            let take = here <= rest;
            pos = select_unpredictable(take, next, pos);
            rest = select_unpredictable(take, rest.wrapping_sub(here), rest);
            step >>= 1;
        }
        pos
    }

    /// The codes of the `k`-th and the `k + 1`-th smallest values (`k + 1` below the total
    /// count): two descents taken side by side, sharing their path's cache lines.
    #[inline]
    pub(crate) fn select_two(&self, k: usize) -> (usize, usize) {
        let (mut a, mut b) = (0usize, 0usize);
        let (mut ra, mut rb) = (k as u32, (k + 1) as u32);
        let mut step = self.top;
        while step > 0 {
            let (na, nb) = (a + step, b + step);
            let ha = self.tree.get(na).copied().unwrap_or(u32::MAX);
            let hb = self.tree.get(nb).copied().unwrap_or(u32::MAX);
            let (ta, tb) = (ha <= ra, hb <= rb);
            a = select_unpredictable(ta, na, a);
            ra = select_unpredictable(ta, ra.wrapping_sub(ha), ra);
            b = select_unpredictable(tb, nb, b);
            rb = select_unpredictable(tb, rb.wrapping_sub(hb), rb);
            step >>= 1;
        }
        (a, b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_selects() {
        let mut f = Fenwick::default();
        f.reset(10);
        for c in [3, 3, 7, 0, 9] {
            f.add(c, 1);
        }
        assert_eq!(f.below(3), 1);
        assert_eq!(f.below(4), 3);
        assert_eq!(f.below(10), 5);
        assert_eq!([0, 1, 2, 3, 4].map(|k| f.kth(k)), [0, 3, 3, 7, 9]);
        f.add(3, 1u32.wrapping_neg());
        assert_eq!(f.below(4), 2);
        assert_eq!(f.kth(2), 7);
        assert_eq!([0, 1, 2].map(|k| f.select_two(k)), [(0, 3), (3, 7), (7, 9)]);
    }
}
