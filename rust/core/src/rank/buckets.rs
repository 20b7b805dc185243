//! A series' finite values put into buckets by value, each bucket in time order, for the
//! expanding rank.
//!
//! Values map to 32-bit codes by a monotone map: equal values share a code and a smaller value
//! never gets a larger one. A bucket holds the codes with the same top bits, so every value of a
//! bucket is below every value of a later one. One histogram and one scatter fill the buckets,
//! chunks of the series in parallel. Each chunk runs as two streams side by side, its first and
//! second halves: a level series puts neighbours in one bucket, and with one stream every
//! counter increment would wait for the last. The chunks, and the halves within each, follow
//! each other in every bucket, so each bucket is in time order.
//!
//! The code maps the values' range linearly (`(v - min) * scale`), which spreads a price level or
//! a return evenly. When one bucket would hold most of the series (a few huge outliers squash the
//! rest into one code range), it maps the values' order keys instead, whose top bits follow the
//! exponent.

use rayon::prelude::*;

use super::order_window::order_key;
use super::step::{add, step};
use crate::cpu::with_avx2;
use crate::scattered::ScatteredOut;
use crate::scratch;
use crate::threads::{min_len, parallelism};

/// Buckets are at most `2^10`. Filling the buckets writes at one place per bucket and stream at
/// once (the expanding rank's sweep reads one per bucket), each on its own page: 2,048 pages stay
/// within the reach of the CPU's second-level TLB (~3,000 entries), where 8,192 missed it on
/// every value (5M-value series, one thread: sweep 80-100 ms with 2^12 buckets, 70-80 with 2^10).
const TOP_BITS_MAX: u32 = 10;

/// Most buckets [`BucketCounts`] counts.
const MAX_BUCKETS: usize = 1 << TOP_BITS_MAX;

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

/// Visits a chunk's two streams, its first and second halves, side by side: `f(place in the
/// chunk, value, stream)`, each stream in time order.
#[inline(always)]
fn visit_streams(xs: &[f64], mut f: impl FnMut(usize, f64, usize)) {
    let half = xs.len() / 2;
    let (first, second) = xs.split_at(half);
    for (q, (&u, &v)) in first.iter().zip(second).enumerate() {
        f(q, u, 0);
        f(half + q, v, 1);
    }
    if second.len() > half {
        f(xs.len() - 1, second[half], 1);
    }
}

/// Where one chunk of the series stands in the buckets.
pub(crate) struct ChunkStart {
    /// Per stream and bucket (`stream * buckets + bucket`): the place of the chunk's first item.
    pub(crate) firsts: Vec<u32>,
    /// Per bucket: finite values in the chunks before this one.
    pub(crate) before: Vec<u32>,
}

/// The finite values of a series in buckets by value, each bucket in time order.
pub(crate) struct Buckets {
    /// `code << 32 | position` per finite value, bucket after bucket, then unused values: a
    /// buffer reused from an earlier call may be longer.
    pub(crate) items: Vec<u64>,
    /// Bucket `b` holds `items[starts[b]..starts[b + 1]]`.
    pub(crate) starts: Vec<usize>,
    /// The series in chunks of this many values, as the buckets were filled.
    pub(crate) chunk: usize,
    /// Per chunk, where it stands in the buckets.
    pub(crate) chunks: Vec<ChunkStart>,
    key: BucketKey,
}

/// How a finite value finds its bucket.
#[derive(Clone, Copy)]
pub(crate) struct BucketKey {
    code: Code,
    top_shift: u32,
}

impl BucketKey {
    /// The bucket of the finite value `v`.
    #[inline(always)]
    pub(crate) fn of(self, v: f64) -> usize {
        bucket(self.code.of(v), self.top_shift)
    }
}

impl Buckets {
    /// How a finite value finds its bucket.
    pub(crate) fn key(&self) -> BucketKey {
        self.key
    }

    /// How many buckets there are.
    pub(crate) fn len(&self) -> usize {
        self.starts.len() - 1
    }

    /// The code of a bucket's item.
    pub(crate) fn code(item: u64) -> u32 {
        (item >> 32) as u32
    }

    /// The position in the series of a bucket's item.
    pub(crate) fn position(item: u64) -> usize {
        (item & u64::from(u32::MAX)) as usize
    }

    /// Puts the finite values of `x` into buckets. `x.len()` must fit in u32.
    pub(crate) fn fill(x: &[f64]) -> Self {
        debug_assert!(u32::try_from(x.len()).is_ok());
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
        // Buckets of ~256 values or more.
        let top_bits = (n.max(1).ilog2().saturating_sub(8)).min(TOP_BITS_MAX);
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
        // Bucket by bucket, the chunks' streams in time order.
        let mut chunks: Vec<ChunkStart> = hists
            .iter()
            .map(|_| ChunkStart {
                firsts: vec![0; 2 * buckets],
                before: vec![0; buckets],
            })
            .collect();
        let mut starts = Vec::with_capacity(buckets + 1);
        let mut at = 0u32;
        for b in 0..buckets {
            starts.push(at as usize);
            let mut before = 0;
            for (h, c) in hists.iter().zip(chunks.iter_mut()) {
                c.before[b] = before;
                for stream in [b, buckets + b] {
                    c.firsts[stream] = at;
                    at += h[stream];
                    before += h[stream];
                }
            }
        }
        starts.push(at as usize);
        let mut items = scratch::take(n);
        let out = ScatteredOut::new(&mut items[..n]);
        x.par_chunks(chunk)
            .zip(chunks.par_iter())
            .enumerate()
            .with_min_len(min_len())
            .for_each(|(c, (xs, start))| {
                let mut next = start.firsts.clone();
                visit_streams(xs, |q, v, stream| {
                    if v.is_finite() {
                        let k = code.of(v);
                        let b = stream * buckets + bucket(k, top_shift);
                        let item = u64::from(k) << 32 | (c * chunk + q) as u64;
                        // SAFETY: `next[b]` runs through this chunk's stream's own places in
                        // its bucket, below `n`, each written once.
                        unsafe { out.write(next[b] as usize, item) };
                        next[b] += 1;
                    }
                });
            });
        Self {
            items,
            starts,
            chunk,
            chunks,
            key: BucketKey { code, top_shift },
        }
    }
}

/// The bucket of a code: its top `32 - top_shift` bits (none when the shift is 32).
#[inline(always)]
fn bucket(code: u32, top_shift: u32) -> usize {
    (u64::from(code) >> top_shift) as usize
}

/// Counts per bucket of one chunk's finite values: the first stream's table, then the second's.
fn histogram(x: &[f64], code: Code, top_shift: u32, buckets: usize) -> Vec<u32> {
    let mut h = vec![0u32; 2 * buckets];
    visit_streams(x, |_, v, stream| {
        if v.is_finite() {
            h[stream * buckets + bucket(code.of(v), top_shift)] += 1;
        }
    });
    h
}

/// Values seen per bucket in a sweep through time, counted below any bucket with three loads.
///
/// Three levels of 16: per bucket, the count in the earlier buckets of its 16; per 16 buckets,
/// the count in the earlier sixteens of its 256; per 256, the count in the earlier 256s. Marking
/// a bucket adds one to the later entries of one row of 16 per level.
pub(crate) struct BucketCounts {
    fine: Vec<Row>,
    mid: Vec<Row>,
    top: Row,
}

/// Sixteen counts on one cache line: a row split over two lines would make each update wait
/// for the last one's to land, where the CPU forwards it within one line.
#[derive(Clone, Copy, Default)]
#[repr(align(64))]
struct Row([u32; 16]);

impl Row {
    /// Adds one to the entries after `k`: two vector adds, no compares.
    #[inline(always)]
    fn add_after(&mut self, k: usize) {
        add(&mut self.0, step::<u32, 16>(15 - (k & 15)));
    }
}

impl BucketCounts {
    /// Counts from values per bucket (at most [`MAX_BUCKETS`] buckets).
    pub(crate) fn new(counts: &[u32]) -> Self {
        debug_assert!(counts.len() <= MAX_BUCKETS);
        let mut totals = vec![0u32; MAX_BUCKETS];
        totals[..counts.len()].copy_from_slice(counts);
        let fine = exclusive_sums(&totals);
        let sixteens: Vec<u32> = totals.chunks(16).map(|c| c.iter().sum()).collect();
        let mid = exclusive_sums(&sixteens);
        let wide: Vec<u32> = sixteens.chunks(16).map(|c| c.iter().sum()).collect();
        let top = exclusive_sums(&wide)[0];
        Self { fine, mid, top }
    }

    /// Values seen in the buckets below `b`.
    #[inline(always)]
    pub(crate) fn below(&self, b: usize) -> usize {
        let (top, mid, fine) = (b >> 8, b >> 4, b);
        (self.top.0[top & 15] + self.mid[mid >> 4].0[mid & 15] + self.fine[fine >> 4].0[fine & 15])
            as usize
    }

    /// Counts one more value in bucket `b`.
    #[inline(always)]
    pub(crate) fn insert(&mut self, b: usize) {
        let (mid, fine) = (b >> 4, b);
        self.fine[fine >> 4].add_after(fine & 15);
        self.mid[mid >> 4].add_after(mid & 15);
        self.top.add_after((b >> 8) & 15);
    }
}

/// Rows of 16: within each, the sums of the entries before each entry.
fn exclusive_sums(v: &[u32]) -> Vec<Row> {
    v.chunks(16)
        .map(|c| {
            let mut row = Row::default();
            let mut sum = 0;
            for (e, &k) in row.0.iter_mut().zip(c) {
                (*e, sum) = (sum, sum + k);
            }
            row
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_counts_match_a_tally() {
        let counts: Vec<u32> = (0..MAX_BUCKETS as u32).map(|b| (b * 7919) % 5).collect();
        let mut tally = counts.clone();
        let mut seen = BucketCounts::new(&counts);
        for i in 0..5000usize {
            let b = (i * 104_729 + 17) % MAX_BUCKETS;
            for p in [0, 1, 15, 16, 17, 255, 256, 257, b, b + 1, MAX_BUCKETS - 1] {
                let p = p.min(MAX_BUCKETS - 1);
                let want: u32 = tally[..p].iter().sum();
                assert_eq!(seen.below(p), want as usize, "i={i} p={p}");
            }
            seen.insert(b);
            tally[b] += 1;
        }
    }

    #[test]
    fn buckets_hold_every_value_in_order() {
        // Two-stream chunks: every bucket in time order, buckets in value order.
        let n = 3 * (1 << 14) + 5;
        let x: Vec<f64> = (0..n)
            .map(|i| {
                if i % 97 == 0 {
                    f64::NAN
                } else {
                    ((i * 7919) % 1000) as f64
                }
            })
            .collect();
        let b = Buckets::fill(&x);
        let finite = x.iter().filter(|v| v.is_finite()).count();
        assert_eq!(b.starts[b.len()], finite);
        for k in 0..b.len() {
            let items = &b.items[b.starts[k]..b.starts[k + 1]];
            for w in items.windows(2) {
                assert!(Buckets::position(w[0]) < Buckets::position(w[1]));
            }
            for &t in items {
                let v = x[Buckets::position(t)];
                assert_eq!(b.key.of(v), k);
                assert_eq!(Buckets::code(t), b.key.code.of(v));
            }
        }
    }
}
