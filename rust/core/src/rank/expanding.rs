//! Expanding ("since the start") rank of every value, by merge-sort counting in O(n log n).

use super::RankOptions;
use crate::error::{KernelError, same_length};
use crate::grouped::Kernel;

/// For every valid value (in time order): how many earlier valid values are smaller, and how many
/// are smaller or equal. A bottom-up merge sort by value where the left run always holds the
/// earlier rows: when a right element is placed, two monotone pointers into the left run count
/// its strictly smaller and its smaller-or-equal elders. Sequential memory access throughout.
fn earlier_counts(values: &[f64]) -> (Vec<u32>, Vec<u32>) {
    let n = values.len();
    let mut less = vec![0u32; n];
    let mut leq = vec![0u32; n];
    let mut cur: Vec<u32> = (0..n as u32).collect();
    let mut next = vec![0u32; n];
    let mut width = 1;
    while width < n {
        for start in (0..n).step_by(2 * width) {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            let (left, right) = (&cur[start..mid], &cur[mid..end]);
            let out = &mut next[start..end];
            let (mut i, mut j, mut k) = (0, 0, 0);
            let (mut lt, mut le) = (0, 0);
            while j < right.len() {
                let r = right[j] as usize;
                let rv = values[r];
                while lt < left.len() && values[left[lt] as usize] < rv {
                    lt += 1;
                }
                while le < left.len() && values[left[le] as usize] <= rv {
                    le += 1;
                }
                // Place the left elements <= rv first (ties keep time order), then rv itself.
                while i < le {
                    out[k] = left[i];
                    i += 1;
                    k += 1;
                }
                out[k] = right[j];
                k += 1;
                j += 1;
                less[r] += lt as u32;
                leq[r] += le as u32;
            }
            out[k..].copy_from_slice(&left[i..]);
        }
        std::mem::swap(&mut cur, &mut next);
        width *= 2;
    }
    (less, leq)
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
    let (less, leq) = earlier_counts(&valid);
    let mut k = 0;
    for (o, &v) in out.iter_mut().zip(x) {
        *o = if v.is_finite() {
            let n = k + 1;
            let r = if n >= min_periods.max(1) {
                let (lt, le) = (less[k] as usize, leq[k] as usize);
                options.rank(lt, le - lt + 1, n)
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
        let v: Vec<f64> = (0..200).map(|i| ((i * 37) % 23) as f64).collect();
        let (less, leq) = earlier_counts(&v);
        for i in 0..v.len() {
            let lt = v[..i].iter().filter(|&&a| a < v[i]).count();
            let le = v[..i].iter().filter(|&&a| a <= v[i]).count();
            assert_eq!((less[i] as usize, leq[i] as usize), (lt, le), "i={i}");
        }
    }
}
