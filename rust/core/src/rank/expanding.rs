//! Expanding ("since the start") rank of every value: bucket by value, rank within each bucket,
//! then sweep through time.
//!
//! The finite values go into buckets by value, each bucket in time order ([`Buckets`]). A
//! value's smaller elders are then its smaller elders in its own bucket plus all the elders in
//! lower buckets; its equal elders are all in its own bucket.
//!
//! - Within a bucket (in cache, buckets in parallel), the values are sorted, ties in time order.
//!   A sweep through the bucket in value order marks each value's place (in time) seen once its
//!   smaller values went in, and counts the seen places before its own: its smaller elders
//!   ([`FewSeenSlots`], or [`SeenSlots`] for a bucket of more than [`FEW_SLOTS`]). Its equal
//!   elders are the ties before it.
//! - Through time (chunks in parallel, each starting from the bucket counts of the chunks before
//!   it), a sweep counts the elders in lower buckets ([`BucketCounts`]) and adds the counts from
//!   within the bucket, found where the bucket was filled.

use rayon::prelude::*;

use super::RankOptions;
use super::buckets::{BucketCounts, BucketKey, Buckets, ChunkStart};
use super::order_window::order_key;
use super::seen::{FEW_SLOTS, FewSeenSlots, Seen, SeenSlots};
use crate::cpu::{with_avx2, with_avx2_bit_counting};
use crate::error::{KernelError, same_length};
use crate::kernel::Kernel;
use crate::scratch;
use crate::threads::min_len;

/// Places one row of 16 block counts of a [`FewSeenSlots`] covers. A bucket takes the fewest
/// rows that cover it: one for most (1,024 buckets of a 5M-value series hold ~5,000 values
/// each), two or four for the crowded ones (the middle of a random walk's range, or of returns').
/// Rust bin, 5M values, one thread: adding the two-row case took the within-bucket phase from
/// 45 to 42 ms on the walk and from 51 to 47 on returns.
const ROW_SLOTS: usize = 16 * 512;

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
    let mut buckets = Buckets::fill(x);
    rank_in_buckets(x, &mut buckets);
    let min_periods = min_periods.max(1);
    {
        let buckets = &buckets;
        out.par_chunks_mut(buckets.chunk)
            .zip(x.par_chunks(buckets.chunk))
            .zip(buckets.chunks.par_iter())
            .with_min_len(min_len())
            .for_each(|((out, xs), start)| {
                with_avx2(
                    #[inline(always)]
                    || sweep(xs, buckets, start, min_periods, options, out),
                );
            });
    }
    scratch::give_back(buckets.items);
    Ok(())
}

/// Replaces each bucket's items by `less << 32 | equal`: their smaller and equal elders within
/// the bucket.
fn rank_in_buckets(x: &[f64], buckets: &mut Buckets) {
    let mut parts = Vec::with_capacity(buckets.len());
    let mut rest = buckets.items.as_mut_slice();
    for w in buckets.starts.windows(2) {
        let (part, tail) = rest.split_at_mut(w[1] - w[0]);
        parts.push(part);
        rest = tail;
    }
    parts
        .into_par_iter()
        .with_min_len(min_len().max(16))
        .for_each_init(
            || (Vec::new(), Vec::new()),
            |(order, run), items| {
                with_avx2_bit_counting(
                    #[inline(always)]
                    || rank_in_bucket(x, items, order, run),
                );
            },
        );
}

/// One bucket: sorts it (`order`: `code << 32 | place`, its places in time order), then goes
/// through it in value order. A value's smaller elders are the earlier places among the smaller
/// values, all seen by then. Runs of equal codes are ordered by exact value, then place (`run`:
/// order key and place).
#[inline(always)]
fn rank_in_bucket(x: &[f64], items: &mut [u64], order: &mut Vec<u64>, run: &mut Vec<(u64, u32)>) {
    order.clear();
    order.extend(
        (0u64..)
            .zip(items.iter())
            .map(|(q, &t)| t & !u64::from(u32::MAX) | q),
    );
    // Stable: equal codes stay in time order.
    radsort::sort_by_key(order, |&t| Buckets::code(t));
    // The fewest rows of block counts that cover the bucket (see `ROW_SLOTS`).
    let n = items.len();
    match n.div_ceil(ROW_SLOTS) {
        0 | 1 => sweep_bucket(x, order, run, &mut FewSeenSlots::<1>::new(n), items),
        2 => sweep_bucket(x, order, run, &mut FewSeenSlots::<2>::new(n), items),
        _ if n <= FEW_SLOTS => sweep_bucket(x, order, run, &mut FewSeenSlots::<4>::new(n), items),
        _ => sweep_bucket(x, order, run, &mut SeenSlots::new(n), items),
    }
}

/// Through one bucket in value order (`order`), writing over each place's item the seen places
/// below it and its equal elders, as `less << 32 | equal`.
#[inline(always)]
fn sweep_bucket(
    x: &[f64],
    order: &[u64],
    run: &mut Vec<(u64, u32)>,
    seen: &mut impl Seen,
    items: &mut [u64],
) {
    let mut a = 0;
    while a < order.len() {
        let code = Buckets::code(order[a]);
        let mut e = a + 1;
        while e < order.len() && Buckets::code(order[e]) == code {
            e += 1;
        }
        if e == a + 1 {
            let place = halves(order[a]).1;
            items[place] = (seen.below(place) as u64) << 32;
            seen.insert(place);
        } else {
            // Different values can share a code: order by exact value, then place.
            run.clear();
            run.extend(order[a..e].iter().map(|&t| {
                let place = halves(t).1;
                (order_key(x[Buckets::position(items[place])]), place as u32)
            }));
            run.sort_unstable();
            // -0.0 and 0.0 share a key: equal, as pandas ranks them.
            let mut g = 0;
            while g < run.len() {
                let mut h = g + 1;
                while h < run.len() && run[h].0 == run[g].0 {
                    h += 1;
                }
                for (equal, &(_, place)) in run[g..h].iter().enumerate() {
                    let place = place as usize;
                    items[place] = (seen.below(place) as u64) << 32 | equal as u64;
                }
                for &(_, place) in &run[g..h] {
                    seen.insert(place as usize);
                }
                g = h;
            }
        }
        a = e;
    }
}

/// Ranks one chunk of the series (`x`), replaying how it filled the buckets to find each
/// value's counts within its bucket: its two streams (halves, see [`Buckets::fill`]) one after
/// the other, each from its own start.
#[inline(always)]
fn sweep(
    x: &[f64],
    buckets: &Buckets,
    start: &ChunkStart,
    min_periods: usize,
    options: &RankOptions,
    out: &mut [f64],
) {
    let (first, second) = x.split_at(x.len() / 2);
    let (out_first, out_second) = out.split_at_mut(first.len());
    let (a, b) = Stream::pair(buckets, start);
    let key = buckets.key();
    let items = buckets.items.as_slice();
    for (mut stream, xs, out) in [(a, first, out_first), (b, second, out_second)] {
        for (&v, o) in xs.iter().zip(out) {
            *o = stream.step(v, key, items, min_periods, options);
        }
    }
}

/// One stream's sweep: its counts per bucket so far, its next place in every bucket, and the
/// finite values so far.
struct Stream {
    lower: BucketCounts,
    next: Vec<u32>,
    count: usize,
}

impl Stream {
    /// The chunk's two streams at their starts: the second starts where the first ends.
    fn pair(buckets: &Buckets, start: &ChunkStart) -> (Self, Self) {
        let n = buckets.len();
        let (next_a, next_b) = start.firsts.split_at(n);
        // The first stream's values per bucket: where the second's begin, less its own start.
        let in_a: Vec<u32> = next_b.iter().zip(next_a).map(|(b, a)| b - a).collect();
        let before_b: Vec<u32> = start.before.iter().zip(&in_a).map(|(x, y)| x + y).collect();
        let total = |counts: &[u32]| counts.iter().map(|&k| k as usize).sum::<usize>();
        let (count_a, count_before) = (total(&in_a), total(&start.before));
        (
            Self {
                lower: BucketCounts::new(&start.before),
                next: next_a.to_vec(),
                count: count_before,
            },
            Self {
                lower: BucketCounts::new(&before_b),
                next: next_b.to_vec(),
                count: count_before + count_a,
            },
        )
    }

    /// The rank of `v`, or NaN.
    #[inline(always)]
    fn step(
        &mut self,
        v: f64,
        key: BucketKey,
        items: &[u64],
        min_periods: usize,
        options: &RankOptions,
    ) -> f64 {
        if !v.is_finite() {
            return f64::NAN;
        }
        let b = key.of(v);
        let at = &mut self.next[b];
        let within = items[*at as usize];
        *at += 1;
        let (less_within, equal) = halves(within);
        let less = self.lower.below(b) + less_within;
        self.lower.insert(b);
        self.count += 1;
        if self.count >= min_periods {
            options.rank(less, equal + 1, self.count)
        } else {
            f64::NAN
        }
    }
}

/// The two u32 packed in `t`: `(t >> 32, t & u32::MAX)`.
#[inline(always)]
fn halves(t: u64) -> (usize, usize) {
    ((t >> 32) as usize, (t & u64::from(u32::MAX)) as usize)
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

    /// The fill's buffer comes back from an earlier, longer call full of its values (here every
    /// bit set): every value is written before it is read, so none of them shows. (Tests run in
    /// parallel, so another may take the buffer first; then this one checks a fresh buffer.)
    #[test]
    fn a_reused_scratch_buffer_leaves_no_trace() {
        for n in [3 * (1 << 14) + 7, 1000, 5] {
            scratch::give_back(vec![u64::MAX; 1 << 17]);
            let v: Vec<f64> = (0..n).map(|i| ((i * 7919) % 613) as f64).collect();
            check(&v, 2);
        }
    }

    /// Long series: radix-sorted buckets, runs of equal codes, parallel stretches; a random walk
    /// with repeated levels, a series squashed by outliers (order-key codes), near-equal values,
    /// and small values that share linear codes.
    #[test]
    fn long_series_match_a_sorted_list() {
        let n = 3 * (1 << 16) + 123;
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
        // Crowded buckets: ~10,000 values in the first of 512 buckets and ~20,000 in a middle
        // one, so the sweeps within take two and four rows of block counts.
        let crowded: Vec<f64> = (0..n)
            .map(|i| {
                let u = (next() % 1_000_000) as f64 * 1e-6;
                match i % 20 {
                    0 => u * 0.0019,
                    1 | 2 => 0.5 + u * 0.0019,
                    _ => u,
                }
            })
            .collect();
        // Two values, each in a bucket of more than `FEW_SLOTS`.
        let two: Vec<f64> = (0..n).map(|_| (next() % 2) as f64).collect();
        assert!(n / 3 > FEW_SLOTS);
        for v in [walk, outliers, close, collide, crowded, two] {
            check(&v, 3);
        }
    }
}
