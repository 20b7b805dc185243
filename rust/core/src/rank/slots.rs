//! Every finite value's slot in its whole series sorted by value, ties in time order, for the
//! expanding rank.
//!
//! Values map to 32-bit codes by a monotone map: equal values share a code and a smaller value
//! never gets a larger one. One histogram and one scatter put the codes into buckets by their top
//! bits, chunks of the series in parallel (two streams per chunk, even and odd positions). Each
//! bucket is then radix-sorted by code in cache, and a run of equal codes is ordered by exact
//! value, then time.
//!
//! The code maps the values' range linearly (`(v - min) * scale`), which spreads a price level or
//! a return evenly. When one bucket would hold most of the series (a few huge outliers squash the
//! rest into one code range), it maps the values' order keys instead, whose top bits follow the
//! exponent.

use rayon::prelude::*;

use super::order_window::order_key;
use crate::cpu::with_avx2;
use crate::scattered::ScatteredOut;
use crate::threads::{min_len, parallelism};

/// Buckets are at most `2^12`; each then holds ~1/4096 of the series.
const TOP_BITS_MAX: u32 = 12;

/// A slot and a count of equal elders packed per series position: `slot << 32 | equal`.
pub(crate) fn slot(packed: u64) -> usize {
    (packed >> 32) as usize
}

/// The number of earlier values equal to this one, from [`slot`]'s packing.
pub(crate) fn equal_elders(packed: u64) -> usize {
    (packed & u64::from(u32::MAX)) as usize
}

/// A monotone map from finite values to codes.
#[derive(Clone, Copy)]
enum Code {
    /// `(v - min) * scale`, saturated into u32.
    Linear { min: f64, scale: f64 },
    /// `(order_key(v) - min) >> shift`.
    Keys { min: u64, shift: u32 },
}

impl Code {
    #[inline(always)]
    fn of(self, v: f64) -> u32 {
        match self {
            // Rounding is monotone, and `as` saturates (NaN from 0 * inf becomes 0).
            Self::Linear { min, scale } => ((v - min) * scale) as u32,
            Self::Keys { min, shift } => ((order_key(v) - min) >> shift) as u32,
        }
    }
}

/// What a chunk of the series holds: finite values and their range.
#[derive(Clone, Copy)]
struct Extent {
    finite: usize,
    min: f64,
    max: f64,
}

impl Extent {
    #[inline(always)]
    fn of(x: &[f64]) -> Self {
        let (mut min, mut max, mut finite) = (f64::INFINITY, f64::NEG_INFINITY, 0);
        for &v in x {
            let ok = v.is_finite();
            finite += usize::from(ok);
            min = min.min(if ok { v } else { f64::INFINITY });
            max = max.max(if ok { v } else { f64::NEG_INFINITY });
        }
        Self { finite, min, max }
    }

    fn join(self, o: Self) -> Self {
        Self {
            finite: self.finite + o.finite,
            min: self.min.min(o.min),
            max: self.max.max(o.max),
        }
    }
}

/// The bucket of a code: its top `32 - top_shift` bits (none when the shift is 32).
#[inline(always)]
fn bucket(code: u32, top_shift: u32) -> usize {
    (u64::from(code) >> top_shift) as usize
}

/// Counts per bucket of one chunk's finite values: the even positions' table, then the odd
/// positions'. Two tables, because a level series puts neighbours in one bucket, and one table
/// would make every increment wait for the last; the scatter keeps the two streams too.
fn histogram(x: &[f64], code: Code, top_shift: u32, buckets: usize) -> Vec<u32> {
    let mut h = vec![0u32; 2 * buckets];
    let (even, odd) = h.split_at_mut(buckets);
    let mut pairs = x.chunks_exact(2);
    for p in &mut pairs {
        if p[0].is_finite() {
            even[bucket(code.of(p[0]), top_shift)] += 1;
        }
        if p[1].is_finite() {
            odd[bucket(code.of(p[1]), top_shift)] += 1;
        }
    }
    for &v in pairs.remainder() {
        if v.is_finite() {
            even[bucket(code.of(v), top_shift)] += 1;
        }
    }
    h
}

/// For every finite value of `x`, its slot and its number of equal elders, packed by [`slot`]
/// at its position (entries at non-finite positions are unspecified). `scratch` (as long as `x`)
/// holds the buckets meanwhile. Returns the packed slots and the number of finite values.
///
/// `x.len()` must fit in u32.
pub(crate) fn sorted_slots(x: &[f64], scratch: &mut [f64]) -> (Vec<u64>, usize) {
    debug_assert!(u32::try_from(x.len()).is_ok() && scratch.len() == x.len());
    let chunk = x.len().div_ceil(4 * parallelism()).max(1 << 14);
    let extent = x
        .par_chunks(chunk)
        .with_min_len(min_len())
        .map(|c| {
            with_avx2(
                #[inline(always)]
                || Extent::of(c),
            )
        })
        .reduce(|| Extent::of(&[]), |a: Extent, b: Extent| a.join(b));
    let n = extent.finite;
    let mut packed = vec![0u64; x.len()];
    if n == 0 {
        return (packed, 0);
    }
    // Buckets of ~256 values or more.
    let top_bits = (n.ilog2().saturating_sub(8)).min(TOP_BITS_MAX);
    let buckets = 1usize << top_bits;
    let top_shift = 32 - top_bits;
    let linear = Code::Linear {
        min: extent.min,
        scale: f64::from(u32::MAX) / (extent.max - extent.min),
    };
    let hist = |code| -> Vec<Vec<u32>> {
        x.par_chunks(chunk)
            .with_min_len(min_len())
            .map(|c| histogram(c, code, top_shift, buckets))
            .collect()
    };
    let (mut code, mut hists) = (linear, hist(linear));
    let largest = (0..buckets)
        .map(|b| {
            hists
                .iter()
                .map(|h| (h[b] + h[buckets + b]) as usize)
                .sum::<usize>()
        })
        .max()
        .unwrap_or(0);
    if largest > (n / 16).max(1 << 16) {
        let (lo, hi) = (order_key(extent.min), order_key(extent.max));
        let shift = (64 - (hi - lo).leading_zeros()).saturating_sub(32);
        code = Code::Keys { min: lo, shift };
        hists = hist(code);
    }
    // Each chunk's streams' first places in every bucket; `starts` holds each bucket's first
    // slot.
    let mut starts = Vec::with_capacity(buckets + 1);
    let mut at = 0u32;
    for b in 0..buckets {
        starts.push(at as usize);
        for h in hists.iter_mut() {
            for stream in [b, buckets + b] {
                (h[stream], at) = (at, at + h[stream]);
            }
        }
    }
    starts.push(at as usize);
    let buffer = ScatteredOut::new(scratch);
    x.par_chunks(chunk)
        .zip(hists.into_par_iter())
        .enumerate()
        .with_min_len(min_len())
        .for_each(|(c, (xs, mut next))| {
            let mut put = |q: usize, v: f64, stream: usize| {
                if v.is_finite() {
                    let k = code.of(v);
                    let b = stream + bucket(k, top_shift);
                    let item = u64::from(k) << 32 | (c * chunk + q) as u64;
                    // SAFETY: `next[b]` runs through this chunk's stream's own places in its
                    // bucket, below `n <= scratch.len()`, each written once.
                    unsafe { buffer.write(next[b] as usize, f64::from_bits(item)) };
                    next[b] += 1;
                }
            };
            for (p, pair) in xs.chunks(2).enumerate() {
                put(2 * p, pair[0], 0);
                if let Some(&v) = pair.get(1) {
                    put(2 * p + 1, v, buckets);
                }
            }
        });
    let scratch: &[f64] = scratch;
    let out = ScatteredOut::new(&mut packed);
    (0..buckets)
        .into_par_iter()
        .with_min_len(min_len().max(16))
        .for_each_init(Vec::new, |items: &mut Vec<u64>, b| {
            let first = starts[b];
            items.clear();
            items.extend(scratch[first..starts[b + 1]].iter().map(|v| v.to_bits()));
            // By code only: `write_slots` orders the runs of equal codes.
            radsort::sort_by_key(items, |&t| (t >> 32) as u32);
            write_slots(x, items, first, &out);
        });
    (packed, n)
}

/// Orders runs of equal codes by exact value, then packs each item's slot (`first` + its
/// place) and equal elders at its position.
fn write_slots(x: &[f64], items: &mut [u64], first: usize, out: &ScatteredOut<'_, u64>) {
    let position = |t: u64| (t & u64::from(u32::MAX)) as usize;
    let mut a = 0;
    while a < items.len() {
        let code = items[a] >> 32;
        let mut e = a + 1;
        while e < items.len() && items[e] >> 32 == code {
            e += 1;
        }
        let run = &mut items[a..e];
        if run.len() > 1 {
            run.sort_unstable_by_key(|&t| (order_key(x[position(t)]), position(t)));
        }
        // -0.0 and 0.0 share a key: equal, as pandas ranks them.
        let mut tie_start = 0;
        for j in 0..run.len() {
            if j > 0 && order_key(x[position(run[j])]) != order_key(x[position(run[j - 1])]) {
                tie_start = j;
            }
            let slot = (first + a + j) as u64;
            // SAFETY: positions are distinct across all buckets and below `x.len()`.
            unsafe { out.write(position(run[j]), slot << 32 | (j - tie_start) as u64) };
        }
        a = e;
    }
}
