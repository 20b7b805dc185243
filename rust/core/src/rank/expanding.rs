//! Expanding ("since the start") rank of every value, by merge-sort counting in O(n log n).

use rayon::prelude::*;

use super::RankOptions;
use crate::error::{KernelError, same_length};
use crate::grouped::Kernel;

/// A value in the merge sort, carrying its time index and its count of earlier smaller values.
#[derive(Clone, Copy, Debug)]
struct Item {
    v: f64,
    idx: u32,
    less: u32,
}

/// Runs this short are sorted by insertion, counting directly.
const RUN: usize = 32;

/// For every valid value (in time order): how many earlier values are smaller, and how many
/// earlier values are equal. A bottom-up merge sort by value whose left run always holds the
/// earlier rows: when a right element is placed, a monotone pointer into the left run has passed
/// exactly its strictly smaller elders. Ties merge left first, so equal values end in time order
/// and an element's equal elders are its position in its run of equals. Items carry their counts,
/// so every pass reads and writes memory sequentially; passes run in parallel.
fn earlier_counts(values: &[f64]) -> (Vec<u32>, Vec<u32>) {
    let n = values.len();
    let mut cur: Vec<Item> = values
        .iter()
        .enumerate()
        .map(|(i, &v)| Item {
            v,
            idx: i as u32,
            less: 0,
        })
        .collect();
    cur.par_chunks_mut(RUN).for_each(|run| {
        for j in 1..run.len() {
            let item = run[j];
            let less = run[..j].iter().filter(|a| a.v < item.v).count();
            // Stable insertion: after every earlier value <= item.
            let mut k = j;
            while k > 0 && run[k - 1].v > item.v {
                run[k] = run[k - 1];
                k -= 1;
            }
            run[k] = Item {
                less: item.less + less as u32,
                ..item
            };
        }
    });
    let mut next = cur.clone();
    let mut width = RUN;
    while width < n {
        next.par_chunks_mut(2 * width)
            .zip(cur.par_chunks(2 * width))
            .for_each(|(out, pair)| merge(pair, width.min(pair.len()), out));
        std::mem::swap(&mut cur, &mut next);
        width *= 2;
    }
    let mut less = vec![0u32; n];
    let mut equal = vec![0u32; n];
    let mut run_start = 0;
    for (p, item) in cur.iter().enumerate() {
        if p > 0 && cur[p - 1].v != item.v {
            run_start = p;
        }
        less[item.idx as usize] = item.less;
        equal[item.idx as usize] = (p - run_start) as u32;
    }
    (less, equal)
}

/// Merges `pair[..mid]` (earlier rows) and `pair[mid..]` (later rows), both sorted by value, into
/// `out`, adding to each later item the number of earlier items strictly below it.
///
/// Branch-free: the next item is the smaller head (ties from the left, so equal values stay in
/// time order). When a right item is placed, `i` left items are already out, of which `eq_left`
/// (the left part of the current run of equal values) are not strictly below it.
fn merge(pair: &[Item], mid: usize, out: &mut [Item]) {
    let (left, right) = pair.split_at(mid);
    let (nl, nr) = (left.len(), right.len());
    let (mut i, mut j) = (0usize, 0usize);
    let mut last = f64::NAN;
    let mut eq_left = 0u32;
    for slot in out.iter_mut().take(nl + nr) {
        let take_left = j >= nr || (i < nl && left[i].v <= right[j].v);
        let item = if take_left {
            left[i.min(nl - 1)]
        } else {
            right[j]
        };
        let same = item.v == last;
        eq_left = match (take_left, same) {
            (true, true) => eq_left + 1,
            (true, false) => 1,
            (false, true) => eq_left,
            (false, false) => 0,
        };
        let add = if take_left { 0 } else { i as u32 - eq_left };
        *slot = Item {
            less: item.less + add,
            ..item
        };
        last = item.v;
        i += usize::from(take_left);
        j += usize::from(!take_left);
    }
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
    let valid: Vec<f64> = x.iter().copied().filter(|v| v.is_finite()).collect();
    let (less, equal) = earlier_counts(&valid);
    let mut k = 0;
    for (o, &v) in out.iter_mut().zip(x) {
        *o = if v.is_finite() {
            let n = k + 1;
            let r = if n >= min_periods.max(1) {
                options.rank(less[k] as usize, equal[k] as usize + 1, n)
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
        for n in [0, 1, 5, 31, 32, 33, 200, 1000] {
            let v: Vec<f64> = (0..n).map(|i| ((i * 37) % 23) as f64).collect();
            let (less, equal) = earlier_counts(&v);
            for i in 0..v.len() {
                let lt = v[..i].iter().filter(|&&a| a < v[i]).count();
                let eq = v[..i].iter().filter(|&&a| a == v[i]).count();
                assert_eq!(
                    (less[i] as usize, equal[i] as usize),
                    (lt, eq),
                    "n={n} i={i}"
                );
            }
        }
    }
}
