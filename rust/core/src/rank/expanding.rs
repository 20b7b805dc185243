//! Expanding ("since the start") rank of every value, by merge-sort counting in O(n log n).
//!
//! A bottom-up merge sort by value whose left run always holds the earlier rows: when a right
//! element is placed, the left elements already out are exactly its elders that are <= it. Ties
//! merge left first, so equal values end in time order and an element's equal elders are its
//! position in its run of equals; its smaller elders are the difference. Keys (order-preserving
//! integers) and payloads (time index and count) live in two arrays, so every pass streams
//! memory and the merge is branch-free; runs of a level, or pieces of one long merge split along
//! its merge path, run in parallel.

use std::hint::select_unpredictable;

use rayon::prelude::*;

use super::RankOptions;
use super::order_window::order_key;
use crate::error::{KernelError, same_length};
use crate::grouped::Kernel;
use crate::threads::{min_len, parallelism};

/// Runs this short are sorted by insertion, counting directly.
const RUN: usize = 16;

/// Blocks this long are sorted whole by one task, in cache.
const BLOCK: usize = 2048;

/// Merges shorter than this are not split.
const MIN_PIECE: usize = 1 << 16;

/// A payload: the time index in the high half, the count of elders <= the value in the low half.
fn payload(idx: usize) -> u64 {
    (idx as u64) << 32
}

/// Sorts one run by insertion. An element's final position is its number of elders <= it.
fn insertion_run(key: &mut [u64], pay: &mut [u64]) {
    for j in 1..key.len() {
        let (k, p) = (key[j], pay[j]);
        let mut m = j;
        while m > 0 && key[m - 1] > k {
            key[m] = key[m - 1];
            pay[m] = pay[m - 1];
            m -= 1;
        }
        key[m] = k;
        pay[m] = p + m as u64;
    }
}

/// The split of the first `k` merged items between `left` (ties first) and `right`: the number
/// taken from `left`.
fn merge_path(left: &[u64], right: &[u64], k: usize) -> usize {
    let (mut lo, mut hi) = (k.saturating_sub(right.len()), k.min(left.len()));
    while lo < hi {
        let i = lo + (hi - lo) / 2;
        // Too few from the left if left[i] is placed before right[k - i - 1].
        if left[i] <= right[k - i - 1] {
            lo = i + 1;
        } else {
            hi = i;
        }
    }
    lo
}

/// One input run of a merge: keys and payloads.
#[derive(Clone, Copy)]
struct Run<'a> {
    key: &'a [u64],
    pay: &'a [u64],
}

/// Merges `left[i0..i1]` with `right[j0..j1]` (the items of one stretch of the merged order)
/// into `out`; a right item gains the number of left items before it. Two independent chains,
/// one from the front and one from the back, halve the latency of the branch-free steps.
fn merge_range(
    left: Run<'_>,
    right: Run<'_>,
    (i0, j0): (usize, usize),
    (i1, j1): (usize, usize),
    out_key: &mut [u64],
    out_pay: &mut [u64],
) {
    let (lk, lp, rk, rp) = (left.key, left.pay, right.key, right.pay);
    let len = out_key.len();
    debug_assert_eq!(len, (i1 - i0) + (j1 - j0));
    let front_len = len / 2;
    // Front: the next item goes to `out[f]`; back: the last unplaced item goes to `out[b - 1]`.
    let (mut i, mut j, mut f) = (i0, j0, 0);
    let (mut ib, mut jb, mut b) = (i1, j1, len);
    loop {
        // Steps that exhaust neither input from either end nor either half of the output.
        let steps = (front_len - f)
            .min(b - front_len)
            .min(i1 - i)
            .min(j1 - j)
            .min(ib - i0)
            .min(jb - j0);
        if steps == 0 {
            break;
        }
        for _ in 0..steps {
            let (x, y) = (lk[i], rk[j]);
            let take_right = y < x; // ties: left first
            out_key[f] = select_unpredictable(take_right, y, x);
            out_pay[f] = select_unpredictable(take_right, rp[j] + i as u64, lp[i]);
            i += usize::from(!take_right);
            j += usize::from(take_right);
            f += 1;
            let (x, y) = (lk[ib - 1], rk[jb - 1]);
            let take_left = x > y; // ties: the right item is later
            b -= 1;
            out_key[b] = select_unpredictable(take_left, x, y);
            out_pay[b] = select_unpredictable(take_left, lp[ib - 1], rp[jb - 1] + ib as u64);
            ib -= usize::from(take_left);
            jb -= usize::from(!take_left);
        }
    }
    // The rest, one checked step at a time from the front.
    while f < front_len {
        let take_right = i == i1 || (j < j1 && rk[j] < lk[i]);
        if take_right {
            out_key[f] = rk[j];
            out_pay[f] = rp[j] + i as u64;
            j += 1;
        } else {
            out_key[f] = lk[i];
            out_pay[f] = lp[i];
            i += 1;
        }
        f += 1;
    }
    while b > front_len {
        b -= 1;
        let take_left = jb == j0 || (ib > i0 && lk[ib - 1] > rk[jb - 1]);
        if take_left {
            ib -= 1;
            out_key[b] = lk[ib];
            out_pay[b] = lp[ib];
        } else {
            jb -= 1;
            out_key[b] = rk[jb];
            out_pay[b] = rp[jb] + ib as u64;
        }
    }
}

/// Merges one pair of sorted runs (`width` items on the left; a lone left run is copied), in
/// `pieces` parallel parts split along the merge path.
fn merge_pair(
    key: &[u64],
    pay: &[u64],
    width: usize,
    out_key: &mut [u64],
    out_pay: &mut [u64],
    pieces: usize,
) {
    if key.len() <= width {
        out_key.copy_from_slice(key);
        out_pay.copy_from_slice(pay);
        return;
    }
    let (lk, rk) = key.split_at(width);
    let (lp, rp) = pay.split_at(width);
    let (left, right) = (Run { key: lk, pay: lp }, Run { key: rk, pay: rp });
    if pieces <= 1 {
        merge_range(left, right, (0, 0), (lk.len(), rk.len()), out_key, out_pay);
        return;
    }
    let piece = key.len().div_ceil(pieces);
    out_key
        .par_chunks_mut(piece)
        .zip(out_pay.par_chunks_mut(piece))
        .enumerate()
        .with_min_len(min_len())
        .for_each(|(p, (ok, op))| {
            let (s, e) = (p * piece, p * piece + ok.len());
            let (i0, i1) = (merge_path(lk, rk, s), merge_path(lk, rk, e));
            merge_range(left, right, (i0, s - i0), (i1, e - i1), ok, op);
        });
}

/// Merges each pair of neighbouring `width`-long runs of `from` into `to`, one after another.
fn merge_level(from: Run<'_>, to: (&mut [u64], &mut [u64]), width: usize) {
    let pairs = from.key.chunks(2 * width).zip(from.pay.chunks(2 * width));
    for ((k, p), (ok, op)) in pairs.zip(to.0.chunks_mut(2 * width).zip(to.1.chunks_mut(2 * width)))
    {
        merge_pair(k, p, width, ok, op, 1);
    }
}

/// Sorts one block in place with counting: insertion runs, then merges through `scratch`.
fn sort_block(key: &mut [u64], pay: &mut [u64], scratch: (&mut [u64], &mut [u64])) {
    for (k, p) in key.chunks_mut(RUN).zip(pay.chunks_mut(RUN)) {
        insertion_run(k, p);
    }
    let (sk, sp) = scratch;
    let mut in_scratch = false;
    let mut width = RUN;
    while width < key.len() {
        if in_scratch {
            merge_level(Run { key: sk, pay: sp }, (&mut *key, &mut *pay), width);
        } else {
            merge_level(Run { key, pay }, (&mut *sk, &mut *sp), width);
        }
        in_scratch = !in_scratch;
        width *= 2;
    }
    if in_scratch {
        key.copy_from_slice(sk);
        pay.copy_from_slice(sp);
    }
}

/// Each item's slot in the result, written from many threads.
#[derive(Clone, Copy)]
struct Scatter(*mut u64);

// SAFETY: the pointer is only written through `Scatter::write`, whose callers write each slot once.
unsafe impl Send for Scatter {}
unsafe impl Sync for Scatter {}

impl Scatter {
    /// # Safety
    /// `slot` is in bounds of the buffer and no other thread reads or writes it meanwhile.
    unsafe fn write(self, slot: usize, value: u64) {
        // SAFETY: upheld by the caller.
        unsafe { self.0.add(slot).write(value) }
    }
}

/// For every finite value of `x` (in time order, non-finite values skipped): how many earlier
/// finite values are smaller and how many are equal, packed as `less << 32 | equal`.
fn earlier_counts(x: &[f64]) -> Result<Vec<u64>, KernelError> {
    let mut key: Vec<u64> = x
        .par_iter()
        .with_min_len(min_len())
        .filter(|v| v.is_finite())
        .map(|&v| order_key(v))
        .collect();
    let n = key.len();
    if u32::try_from(n).is_err() {
        return Err(KernelError::invalid(
            "x",
            format!(
                "expanding_rank supports up to {} values per series, got {n}",
                u32::MAX
            ),
        ));
    }
    let mut pay = vec![0u64; n];
    key.par_chunks_mut(BLOCK)
        .zip(pay.par_chunks_mut(BLOCK))
        .enumerate()
        .with_min_len(min_len())
        .for_each_init(
            || (vec![0u64; BLOCK], vec![0u64; BLOCK]),
            |(sk, sp), (b, (k, p))| {
                for (q, slot) in p.iter_mut().enumerate() {
                    *slot = payload(b * BLOCK + q);
                }
                sort_block(k, p, (&mut sk[..k.len()], &mut sp[..k.len()]));
            },
        );
    let mut next_key = vec![0u64; n];
    let mut next_pay = vec![0u64; n];
    let threads = parallelism();
    let mut width = BLOCK;
    while width < n {
        // Enough parts for every thread twice over, none shorter than MIN_PIECE.
        let pieces = (2 * threads)
            .div_ceil(n.div_ceil(2 * width))
            .min((2 * width) / MIN_PIECE);
        next_key
            .par_chunks_mut(2 * width)
            .zip(next_pay.par_chunks_mut(2 * width))
            .zip(key.par_chunks(2 * width).zip(pay.par_chunks(2 * width)))
            .with_min_len(min_len())
            .for_each(|((ok, op), (k, p))| merge_pair(k, p, width, ok, op, pieces));
        std::mem::swap(&mut key, &mut next_key);
        std::mem::swap(&mut pay, &mut next_pay);
        width *= 2;
    }
    drop(next_pay);
    let mut counts = next_key; // free now: reused for the result
    let slots = Scatter(counts.as_mut_ptr());
    let piece = n.div_ceil(4 * threads).max(RUN);
    key.par_chunks(piece)
        .zip(pay.par_chunks(piece))
        .enumerate()
        .with_min_len(min_len())
        .for_each(|(c, (ks, ps))| {
            // The start of the run of equal keys holding this chunk's first item.
            let first = c * piece;
            let mut run_start = first;
            while run_start > 0 && key[run_start - 1] == ks[0] {
                run_start -= 1;
            }
            for (q, (&k, &p)) in ks.iter().zip(ps).enumerate() {
                let pos = first + q;
                if pos > run_start && key[pos - 1] != k {
                    run_start = pos;
                }
                let equal = (pos - run_start) as u64;
                let leq = p & u64::from(u32::MAX);
                let slot = (p >> 32) as usize;
                assert!(slot < n, "expanding rank: item index out of range");
                // SAFETY: `slot < n = counts.len()`; the payloads' indices are a permutation of
                // 0..n (set once above, merges only move items), so each slot is written once.
                unsafe { slots.write(slot, (leq - equal) << 32 | equal) };
            }
        });
    Ok(counts)
}

/// The rank of every value among all valid values up to and including it (pandas
/// `expanding(min_periods).rank(...)`); NaN for a missing value or fewer than `min_periods`.
pub fn expanding_rank(
    x: &[f64],
    min_periods: usize,
    options: &RankOptions,
    out: &mut [f64],
) -> Result<(), KernelError> {
    same_length("out", x.len(), out.len())?;
    let counts = earlier_counts(x)?;
    let mut k = 0;
    for (o, &v) in out.iter_mut().zip(x) {
        *o = if v.is_finite() {
            let n = k + 1;
            let r = if n >= min_periods.max(1) {
                let c = counts[k];
                options.rank(
                    (c >> 32) as usize,
                    (c & u64::from(u32::MAX)) as usize + 1,
                    n,
                )
            } else {
                f64::NAN
            };
            k += 1;
            r
        } else {
            f64::NAN
        };
    }
    Ok(())
}

/// Expanding rank as a kernel for the 2-D and grouped runners.
#[derive(Clone, Copy, Debug)]
pub struct ExpandingRank {
    pub min_periods: usize,
    pub options: RankOptions,
}

impl ExpandingRank {
    /// Checks `min_periods >= 0`.
    pub fn new(min_periods: i64, options: RankOptions) -> Result<Self, KernelError> {
        let min_periods = usize::try_from(min_periods).map_err(|_| {
            KernelError::invalid(
                "min_periods",
                format!("min_periods must be >= 0, got {min_periods}"),
            )
        })?;
        Ok(Self {
            min_periods,
            options,
        })
    }
}

impl Kernel for ExpandingRank {
    fn series(&self, x: &[f64], _: Option<&[f64]>, out: &mut [f64]) -> Result<(), KernelError> {
        expanding_rank(x, self.min_periods, &self.options, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_brute_force() {
        for n in [0, 1, 5, 15, 16, 17, 31, 32, 33, 200, 1000] {
            let v: Vec<f64> = (0..n).map(|i| ((i * 37) % 23) as f64).collect();
            let counts = earlier_counts(&v).unwrap();
            for i in 0..v.len() {
                let c = counts[i];
                let (less, equal) = (c >> 32, c & u64::from(u32::MAX));
                let lt = v[..i].iter().filter(|&&a| a < v[i]).count();
                let eq = v[..i].iter().filter(|&&a| a == v[i]).count();
                assert_eq!((less as usize, equal as usize), (lt, eq), "n={n} i={i}");
            }
        }
    }

    /// Long series take the split-merge path; compare with a Fenwick tree over the codes.
    #[test]
    fn split_merges_match_fenwick() {
        let n = 5 * MIN_PIECE + 123;
        let mut s = 7u64;
        let v: Vec<f64> = (0..n)
            .map(|_| {
                s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                ((s >> 40) % 5000) as f64 - 2500.0
            })
            .collect();
        let counts = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .unwrap()
            .install(|| earlier_counts(&v).unwrap());
        let mut tree = super::super::fenwick::Fenwick::default();
        tree.reset(5000);
        for (i, &x) in v.iter().enumerate() {
            let code = (x + 2500.0) as usize;
            let below = tree.below(code);
            let equal = tree.below(code + 1) - below;
            let c = counts[i];
            assert_eq!(
                (c >> 32, c & u64::from(u32::MAX)),
                (below as u64, equal as u64),
                "i={i}"
            );
            tree.add(code, 1);
        }
    }
}
