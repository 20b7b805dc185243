//! Order statistics of a trailing window: the interface, the shared coordinate compression, and
//! a Fenwick tree over compressed values for windows too long for the slot bitset
//! ([`super::bitset`]).

use super::fenwick::Fenwick;

/// An order-statistics structure over the values of a trailing window. Positions index the
/// stretch given to `start`; only finite values are ever inserted.
pub(crate) trait OrderWindow {
    /// Prepares for a stretch of the series; the window starts empty.
    fn start(&mut self, stretch: &[f64]);
    fn insert(&mut self, i: usize, v: f64);
    fn remove(&mut self, i: usize, v: f64);
    /// (values < v, values == v) in the window.
    fn rank_of(&self, i: usize, v: f64) -> (usize, usize);
    /// The `k`-th smallest value (0-based), `k` below the window's count.
    fn kth(&self, k: usize) -> f64;
    /// The `k`-th and the `k + 1`-th smallest values, `k + 1` below the window's count.
    fn kth_pair(&self, k: usize) -> (f64, f64) {
        (self.kth(k), self.kth(k + 1))
    }
}

/// Counts per distinct value of the stretch in a Fenwick tree: O(log u) per change, rank and
/// selection, u = distinct values of the stretch (kept cache-sized by chunking the series).
#[derive(Default)]
pub(crate) struct CompressedCounts {
    tree: Fenwick,
    /// Count per code, so a tie count needs no second prefix query.
    counts: Vec<u32>,
    /// Distinct finite values of the stretch, ascending.
    values: Vec<f64>,
    /// Code of each position of the stretch (index into `values`).
    codes: Vec<u32>,
    scratch: Vec<(u64, u32)>,
}

/// An integer whose order is the order of the non-NaN f64 `v`, ±inf included (with -0.0 equal to
/// 0.0): sorting plain integer pairs is much faster than sorting floats through a comparator.
#[inline]
pub(crate) fn order_key(v: f64) -> u64 {
    let bits = (v + 0.0).to_bits(); // -0.0 + 0.0 == +0.0
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// The finite values of `stretch` as (order key, position), sorted by key; equal keys keep their
/// order of position (the radix sort is stable).
pub(crate) fn sort_finite(stretch: &[f64], scratch: &mut Vec<(u64, u32)>) {
    scratch.clear();
    scratch.extend(
        stretch
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .map(|(i, &v)| (order_key(v), i as u32)),
    );
    radsort::sort_by_key(scratch, |&(key, _)| key);
}

impl OrderWindow for CompressedCounts {
    fn start(&mut self, stretch: &[f64]) {
        sort_finite(stretch, &mut self.scratch);
        self.values.clear();
        self.codes.clear();
        self.codes.resize(stretch.len(), 0);
        let mut last = None;
        for &(key, i) in &self.scratch {
            // -0.0 and 0.0 share a key: one code, as pandas ranks them.
            if last != Some(key) {
                self.values.push(stretch[i as usize]);
                last = Some(key);
            }
            self.codes[i as usize] = (self.values.len() - 1) as u32;
        }
        self.tree.reset(self.values.len());
        self.counts.clear();
        self.counts.resize(self.values.len(), 0);
    }

    #[inline]
    fn insert(&mut self, i: usize, _: f64) {
        let c = self.codes[i] as usize;
        self.tree.add(c, 1);
        self.counts[c] += 1;
    }

    #[inline]
    fn remove(&mut self, i: usize, _: f64) {
        let c = self.codes[i] as usize;
        self.tree.add(c, 1u32.wrapping_neg());
        self.counts[c] -= 1;
    }

    #[inline]
    fn rank_of(&self, i: usize, _: f64) -> (usize, usize) {
        let c = self.codes[i] as usize;
        (self.tree.below(c), self.counts[c] as usize)
    }

    #[inline]
    fn kth(&self, k: usize) -> f64 {
        self.values
            .get(self.tree.kth(k))
            .copied()
            .unwrap_or(f64::NAN)
    }

    /// Both codes in one pass of two side-by-side descents.
    #[inline]
    fn kth_pair(&self, k: usize) -> (f64, f64) {
        let (a, b) = self.tree.select_two(k);
        let value = |c: usize| self.values.get(c).copied().unwrap_or(f64::NAN);
        (value(a), value(b))
    }
}

#[cfg(test)]
mod tests {
    use super::order_key;

    #[test]
    fn order_keys_sort_like_floats() {
        let v = [
            f64::NEG_INFINITY,
            -1e300,
            -2.5,
            -1e-300,
            -0.0,
            0.0,
            1e-300,
            3.0,
            f64::INFINITY,
        ];
        for w in v.windows(2) {
            assert!(order_key(w[0]) <= order_key(w[1]), "{w:?}");
            assert_eq!(order_key(w[0]) == order_key(w[1]), w[0] == w[1], "{w:?}");
        }
    }
}
