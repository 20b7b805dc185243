//! Expanding ("since the start") rank of every value: sort once, then sweep through time.
//!
//! Every finite value gets a slot: its place in the whole series sorted by value, ties in time
//! order ([`sorted_slots`]). A value's equal elders then sit just below its slot, in one run
//! from its run's first slot, and its smaller elders are the slots seen below that run. The
//! sweep marks each slot seen in turn and counts below in constant time ([`SeenSlots`]), so the
//! cost does not depend on how far a value lands from the last one. The sweep splits into one
//! stretch per thread; each first marks the slots before its stretch all at once.

use rayon::prelude::*;

use super::RankOptions;
use super::seen::SeenSlots;
use super::slots::{equal_elders, slot, sorted_slots};
use crate::cpu::with_avx2_bit_counting;
use crate::error::{KernelError, same_length};
use crate::grouped::Kernel;
use crate::threads::{min_len, parallelism};

/// Series shorter than this sweep on one thread.
const PARALLEL_MIN: usize = 1 << 16;

/// The rank of every value among all valid values up to and including it (pandas
/// `expanding(min_periods).rank(...)`); NaN for a missing value or fewer than `min_periods`.
pub fn expanding_rank(
    x: &[f64],
    min_periods: usize,
    options: &RankOptions,
    out: &mut [f64],
) -> Result<(), KernelError> {
    same_length("out", x.len(), out.len())?;
    if u32::try_from(x.len()).is_err() {
        return Err(KernelError::invalid(
            "x",
            format!(
                "expanding_rank supports up to {} values per series, got {}",
                u32::MAX,
                x.len()
            ),
        ));
    }
    // `out` holds the sort's buckets until the sweep writes the ranks.
    let (packed, n) = sorted_slots(x, out);
    let stretches = if x.len() >= PARALLEL_MIN {
        parallelism()
    } else {
        1
    };
    let piece = x.len().div_ceil(stretches).max(1);
    let min_periods = min_periods.max(1);
    out.par_chunks_mut(piece)
        .enumerate()
        .with_min_len(min_len())
        .for_each(|(c, out)| {
            let start = c * piece;
            let mut seen = SeenSlots::new(n);
            let count = seen.extend(
                x[..start]
                    .iter()
                    .zip(&packed)
                    .filter(|(v, _)| v.is_finite())
                    .map(|(_, &p)| slot(p)),
            );
            let (xs, ps) = (
                &x[start..start + out.len()],
                &packed[start..start + out.len()],
            );
            with_avx2_bit_counting(
                #[inline(always)]
                || sweep(xs, ps, &mut seen, count, min_periods, options, out),
            );
        });
    Ok(())
}

/// Ranks one stretch: `count` finite values came before it, and `seen` holds their slots.
#[inline(always)]
fn sweep(
    x: &[f64],
    packed: &[u64],
    seen: &mut SeenSlots,
    mut count: usize,
    min_periods: usize,
    options: &RankOptions,
    out: &mut [f64],
) {
    for ((o, &v), &p) in out.iter_mut().zip(x).zip(packed) {
        *o = if v.is_finite() {
            let (s, equal) = (slot(p), equal_elders(p));
            let less = seen.below(s - equal);
            seen.insert(s);
            count += 1;
            if count >= min_periods {
                options.rank(less, equal + 1, count)
            } else {
                f64::NAN
            }
        } else {
            f64::NAN
        };
    }
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
    use crate::rank::RankMethod;

    /// Ranks as `min` and `max` without pct, on `threads` threads: less + 1 and less + equal +
    /// 1, so both counts show; against a sorted list of the finite values so far.
    fn check(v: &[f64], threads: usize) {
        let opts = RankOptions {
            method: RankMethod::Min,
            pct: false,
            ascending: true,
        };
        let max = RankOptions {
            method: RankMethod::Max,
            ..opts
        };
        let (mut lo, mut hi) = (vec![0.0; v.len()], vec![0.0; v.len()]);
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                expanding_rank(v, 1, &opts, &mut lo).unwrap();
                expanding_rank(v, 1, &max, &mut hi).unwrap();
            });
        let mut sorted: Vec<f64> = Vec::new();
        for (i, &x) in v.iter().enumerate() {
            if !x.is_finite() {
                assert!(lo[i].is_nan() && hi[i].is_nan(), "i={i}");
                continue;
            }
            // -0.0 and 0.0 compare equal here, as pandas ranks them.
            let lt = sorted.partition_point(|&a| a < x);
            let le = sorted.partition_point(|&a| a <= x);
            assert_eq!(
                (lo[i], hi[i]),
                ((lt + 1) as f64, (le + 1) as f64),
                "i={i} v={x}"
            );
            sorted.insert(le, x);
        }
    }

    #[test]
    fn short_series_match_a_sorted_list() {
        for n in [0, 1, 2, 5, 17, 200, 1000] {
            let v: Vec<f64> = (0..n).map(|i| ((i * 37) % 23) as f64).collect();
            check(&v, 1);
        }
        check(
            &[
                f64::NAN,
                1.0,
                f64::INFINITY,
                -0.0,
                0.0,
                1.0,
                f64::NEG_INFINITY,
                -2.0,
            ],
            1,
        );
        check(&[3.0; 50], 1);
    }

    /// Long series: radix-sorted buckets, runs of equal codes, parallel stretches; a random walk
    /// with repeated levels, a series squashed by outliers (order-key codes), near-equal values,
    /// and small values that share linear codes.
    #[test]
    fn long_series_match_a_sorted_list() {
        let n = 3 * PARALLEL_MIN + 123;
        let mut s = 7u64;
        let mut next = move || {
            s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            s >> 11
        };
        let mut level = 0.0;
        let walk: Vec<f64> = (0..n)
            .map(|_| {
                level += (next() % 5) as f64 - 2.0;
                if next() % 50 == 0 { f64::NAN } else { level }
            })
            .collect();
        let outliers: Vec<f64> = (0..n)
            .map(|i| match i % 10_007 {
                0 => 1e300,
                1 => -1e300,
                _ => (next() % 1000) as f64 * 1e-3,
            })
            .collect();
        let close: Vec<f64> = (0..n)
            .map(|_| 1.0 + (next() % 3000) as f64 * f64::EPSILON)
            .collect();
        // A few values spread the linear codes: the rest share a handful of codes.
        let collide: Vec<f64> = (0..n)
            .map(|i| match i % 32 {
                0 => (next() % 1000) as f64 * 1e-6,
                _ => (next() % 1_000_000) as f64,
            })
            .collect();
        for v in [walk, outliers, close, collide] {
            check(&v, 3);
        }
    }
}
