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
//!
//! Aggregates run `N` series side by side ("lanes", struct-of-arrays, branch-free selects) so that
//! a tile of adjacent columns of a row-major panel vectorises; `N = 1` is the single-series case and
//! runs exactly the same arithmetic, so every lane's result is bit-identical to its own series run.

// Lane loops index several struct-of-arrays fields by the same k; that is what vectorises.
#![allow(clippy::needless_range_loop)]

use std::marker::PhantomData;

use crate::error::KernelError;

/// How many series a tile holds side by side: one 64-byte cache line of f64 per row.
pub const LANES: usize = 8;

/// A statistic over `N` multisets of observations (one per lane) that can absorb one more row and
/// merge with another. A row's value is missing where it is not finite; `push` skips it per lane
/// with branch-free selects so that the lanes vectorise.
pub(crate) trait Mergeable<const N: usize>: Copy {
    /// One row: `[f64; N]`, or a pair of them for two-series statistics.
    type Row: Copy;
    /// The aggregate of no observations.
    const EMPTY: Self;
    /// Absorbs the present values of `row`.
    fn push(&mut self, row: &Self::Row);
    /// The aggregate of both; `older` holds the earlier rows.
    fn merge(older: &Self, newer: &Self) -> Self;
    /// How many observations lane `k` absorbed.
    fn count(&self, k: usize) -> f64;
}

/// Row access for the driver.
pub(crate) trait Rows<const N: usize> {
    type Row: Copy;
    fn len(&self) -> usize;
    fn get(&self, i: usize) -> Self::Row;
    /// The first series' values of row `i` (the "current value" of a z-score).
    fn current(&self, i: usize) -> [f64; N];
    /// Asks for row `i` to be brought into cache (rows read for the first time, ahead of use).
    #[inline(always)]
    fn prefetch(&self, _i: usize) {}
}

/// One series; NaN and ±inf are missing (pandas' convention).
#[derive(Clone, Copy)]
pub(crate) struct Single<'a>(pub &'a [f64]);

impl Rows<1> for Single<'_> {
    type Row = [f64; 1];
    #[inline(always)]
    fn len(&self) -> usize {
        self.0.len()
    }
    #[inline(always)]
    fn get(&self, i: usize) -> [f64; 1] {
        [self.0[i]]
    }
    #[inline(always)]
    fn current(&self, i: usize) -> [f64; 1] {
        [self.0[i]]
    }
}

/// Two aligned series; a row counts only when both values are present (pairwise complete).
#[derive(Clone, Copy)]
pub(crate) struct Paired<'a>(pub &'a [f64], pub &'a [f64]);

impl Rows<1> for Paired<'_> {
    type Row = ([f64; 1], [f64; 1]);
    #[inline(always)]
    fn len(&self) -> usize {
        self.0.len().min(self.1.len())
    }
    #[inline(always)]
    fn get(&self, i: usize) -> ([f64; 1], [f64; 1]) {
        ([self.0[i]], [self.1[i]])
    }
    #[inline(always)]
    fn current(&self, i: usize) -> [f64; 1] {
        [self.0[i]]
    }
}

/// `LANES` adjacent columns of a row-major matrix, read in place: row `i` is
/// `data[i * stride + offset..][..LANES]`.
#[derive(Clone, Copy, Debug)]
pub struct TileView<'a> {
    data: &'a [f64],
    stride: usize,
    offset: usize,
    rows: usize,
}

impl<'a> TileView<'a> {
    /// Checks that every row of the tile lies inside `data`.
    pub fn new(
        data: &'a [f64],
        stride: usize,
        offset: usize,
        rows: usize,
    ) -> Result<Self, KernelError> {
        let fits = offset + LANES <= stride
            && rows
                .checked_mul(stride)
                .is_some_and(|n| n <= data.len() + stride - offset - LANES);
        if !fits {
            return Err(KernelError::invalid(
                "x",
                format!(
                    "a tile of {rows} rows x {LANES} lanes at offset {offset}, stride {stride} \
                     does not fit in {} values",
                    data.len()
                ),
            ));
        }
        Ok(Self {
            data,
            stride,
            offset,
            rows,
        })
    }

    /// A contiguous tile: `rows * LANES` values, row-major.
    pub fn contiguous(data: &'a [f64]) -> Result<Self, KernelError> {
        Self::new(data, LANES, 0, data.len() / LANES)
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    #[inline(always)]
    pub(crate) fn row(&self, i: usize) -> [f64; LANES] {
        let start = i * self.stride + self.offset;
        let mut row = [0.0; LANES];
        row.copy_from_slice(&self.data[start..start + LANES]);
        row
    }

    /// Asks for row `i` to be brought into cache: each row of an in-place tile is a new page
    /// of the matrix, where the hardware prefetchers stop.
    #[inline(always)]
    pub(crate) fn prefetch(&self, i: usize) {
        #[cfg(target_arch = "x86_64")]
        if let Some(v) = self.data.get(i * self.stride + self.offset) {
            // SAFETY: a prefetch is a hint; the address lies inside `data`.
            unsafe {
                std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                    std::ptr::from_ref(v).cast(),
                )
            };
        }
    }

    /// Every lane as its own series, one after the other (`lanes[k * rows + i]`), read in one
    /// pass over the rows.
    pub fn lanes(&self) -> Vec<f64> {
        let mut lanes = vec![0.0; self.rows * LANES];
        for i in 0..self.rows {
            for (k, v) in self.row(i).into_iter().enumerate() {
                lanes[k * self.rows + i] = v;
            }
        }
        lanes
    }
}

/// Where a tile's results go: row `i` of the tile is `LANES` values at `i * stride` from the
/// start, which is either a contiguous `rows x LANES` buffer or `LANES` adjacent columns of a
/// row-major output matrix, written in place.
#[derive(Debug)]
pub struct TileOut<'a> {
    ptr: *mut f64,
    rows: usize,
    stride: usize,
    _out: PhantomData<&'a mut [f64]>,
}

// SAFETY: a TileOut is an exclusive borrow of the values it can reach (see `ColumnTiles::take`).
unsafe impl Send for TileOut<'_> {}

impl<'a> TileOut<'a> {
    /// A contiguous row-major tile: `out[i * LANES + k]`.
    pub fn contiguous(out: &'a mut [f64]) -> Self {
        Self {
            ptr: out.as_mut_ptr(),
            rows: out.len() / LANES,
            stride: LANES,
            _out: PhantomData,
        }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Stores row `i`'s results: one contiguous fixed-size store, which is what lets LLVM
    /// vectorise the arithmetic producing them.
    #[inline(always)]
    pub(crate) fn put(&mut self, i: usize, values: &[f64; LANES]) {
        if i < self.rows {
            // SAFETY: row i < rows holds LANES writable values (see the constructors).
            unsafe {
                self.ptr
                    .add(i * self.stride)
                    .cast::<[f64; LANES]>()
                    .write_unaligned(*values)
            };
        }
    }

    /// Stores lane `k` of every row from `values` (one lane's series).
    pub fn put_lane(&mut self, k: usize, values: &[f64]) {
        if k >= LANES {
            return;
        }
        for (i, &v) in values.iter().enumerate().take(self.rows) {
            // SAFETY: i < rows and k < LANES.
            unsafe { self.ptr.add(i * self.stride + k).write(v) };
        }
    }
}

/// A row-major `rows x cols` output matrix cut into column tiles of [`LANES`] that parallel tasks
/// fill in place.
///
/// Tiles start on 64-byte boundaries of the output: a large numpy array starts 16 bytes past one,
/// and a tile straddling two cache lines in every row would have each line of the output fetched
/// and written back twice, once for each of the tiles sharing it. A narrower first tile takes the
/// columns before the first boundary.
pub(crate) struct ColumnTiles<'a> {
    ptr: *mut f64,
    rows: usize,
    cols: usize,
    /// Columns before the first 64-byte boundary (0 when row 0 starts on one).
    head: usize,
    _out: PhantomData<&'a mut [f64]>,
}

// SAFETY: tiles are disjoint column ranges (see `take`); the pointer itself is never moved.
unsafe impl Sync for ColumnTiles<'_> {}

impl<'a> ColumnTiles<'a> {
    pub(crate) fn new(out: &'a mut [f64], rows: usize, cols: usize) -> Result<Self, KernelError> {
        if rows.checked_mul(cols) != Some(out.len()) {
            return Err(KernelError::invalid(
                "out",
                format!("out must hold {rows} x {cols} values, got {}", out.len()),
            ));
        }
        let line = LANES * std::mem::size_of::<f64>();
        // Every row starts on the same offset within a cache line only when the row length is a
        // whole number of lines; otherwise no column split aligns them all.
        let head = if (cols * std::mem::size_of::<f64>()).is_multiple_of(line) {
            (out.as_ptr().cast::<u8>().align_offset(line) / std::mem::size_of::<f64>()).min(cols)
        } else {
            0
        };
        Ok(Self {
            ptr: out.as_mut_ptr(),
            rows,
            cols,
            head: head % LANES,
            _out: PhantomData,
        })
    }

    /// How many tiles cover the columns.
    pub(crate) fn len(&self) -> usize {
        usize::from(self.head > 0) + (self.cols - self.head).div_ceil(LANES)
    }

    /// The first column and the width of tile `t`.
    pub(crate) fn span(&self, t: usize) -> (usize, usize) {
        let j0 = match (self.head, t) {
            (0, _) => t * LANES,
            (_, 0) => 0,
            (head, _) => head + (t - 1) * LANES,
        };
        let j0 = j0.min(self.cols);
        let width = if self.head > 0 && t == 0 {
            self.head
        } else {
            LANES.min(self.cols - j0)
        };
        (j0, width)
    }

    /// Tile `t`'s columns as a [`TileOut`]; `None` when it is narrower than [`LANES`] (see
    /// [`ColumnTiles::put_narrow`]).
    ///
    /// # Safety
    /// Each tile index may be taken (or put) at most once while `self` lives.
    pub(crate) unsafe fn take(&self, t: usize) -> Option<TileOut<'a>> {
        let (j0, width) = self.span(t);
        if width < LANES {
            return None;
        }
        // SAFETY: row i's columns j0..j0 + LANES lie inside the rows x cols buffer; tiles are
        // disjoint column ranges and the caller takes each once.
        Some(TileOut {
            ptr: unsafe { self.ptr.add(j0) },
            rows: self.rows,
            stride: self.cols,
            _out: PhantomData,
        })
    }

    /// Copies the columns of tile `t` from a contiguous `rows x LANES` tile (its first `width`
    /// lanes).
    ///
    /// # Safety
    /// As for [`ColumnTiles::take`].
    pub(crate) unsafe fn put_narrow(&self, t: usize, tile: &[f64]) {
        let (j0, width) = self.span(t);
        for (i, row) in tile.chunks_exact(LANES).enumerate().take(self.rows) {
            for (k, &v) in row.iter().enumerate().take(width) {
                // SAFETY: i < rows, j0 + k < cols; the caller owns tile t's columns.
                unsafe { self.ptr.add(i * self.cols + j0 + k).write(v) };
            }
        }
    }
}

/// A tile of `LANES` series.
#[derive(Clone, Copy)]
pub(crate) struct Tile<'a>(pub TileView<'a>);

impl Rows<LANES> for Tile<'_> {
    type Row = [f64; LANES];
    #[inline(always)]
    fn len(&self) -> usize {
        self.0.rows
    }
    #[inline(always)]
    fn get(&self, i: usize) -> [f64; LANES] {
        self.0.row(i)
    }
    #[inline(always)]
    fn current(&self, i: usize) -> [f64; LANES] {
        self.0.row(i)
    }
    #[inline(always)]
    fn prefetch(&self, i: usize) {
        self.0.prefetch(i);
    }
}

/// Two aligned tiles.
#[derive(Clone, Copy)]
pub(crate) struct PairedTile<'a>(pub TileView<'a>, pub TileView<'a>);

impl Rows<LANES> for PairedTile<'_> {
    type Row = ([f64; LANES], [f64; LANES]);
    #[inline(always)]
    fn len(&self) -> usize {
        self.0.rows.min(self.1.rows)
    }
    #[inline(always)]
    fn get(&self, i: usize) -> ([f64; LANES], [f64; LANES]) {
        (self.0.row(i), self.1.row(i))
    }
    #[inline(always)]
    fn current(&self, i: usize) -> [f64; LANES] {
        self.0.row(i)
    }
    #[inline(always)]
    fn prefetch(&self, i: usize) {
        self.0.prefetch(i);
        self.1.prefetch(i);
    }
}

/// How far ahead the forward passes of [`sliding`] ask for rows.
const PREFETCH_ROWS: usize = 16;

/// Calls `emit(i, aggregate of rows i+1-window ..= i)` for every row, in order.
#[inline(always)]
pub(crate) fn sliding<const N: usize, S, R>(
    rows: &R,
    window: usize,
    mut emit: impl FnMut(usize, &S),
) where
    S: Mergeable<N>,
    R: Rows<N, Row = S::Row>,
{
    let n = rows.len();
    let window = window.max(1);
    let mut prefix = S::EMPTY;
    for i in 0..window.min(n) {
        rows.prefetch(i + PREFETCH_ROWS);
        prefix.push(&rows.get(i));
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
            acc.push(&rows.get(block + j));
            suffix[j] = acc;
        }
        let mut prefix = S::EMPTY;
        for (i, older) in (current..end).zip(&suffix[1..]) {
            rows.prefetch(i + PREFETCH_ROWS);
            prefix.push(&rows.get(i));
            emit(i, &S::merge(older, &prefix));
        }
        block = current;
    }
}

/// `if c { a } else { b }`, written for the vectoriser.
#[inline(always)]
pub(crate) fn select(c: bool, a: f64, b: f64) -> f64 {
    if c { a } else { b }
}

/// `v` with a rounding residue below zero clamped to 0; NaN (an overflowed sum of squares) stays
/// NaN, where `f64::max(v, 0.0)` would turn it into a variance of 0.
#[inline(always)]
pub(crate) fn non_negative(v: f64) -> f64 {
    select(v < 0.0, 0.0, v)
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

    impl Mergeable<1> for Span {
        type Row = [f64; 1];
        const EMPTY: Self = Self {
            lo: usize::MAX,
            hi: 0,
            n: 0,
        };
        fn push(&mut self, row: &[f64; 1]) {
            let i = row[0] as usize;
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
        fn count(&self, _: usize) -> f64 {
            self.n as f64
        }
    }

    #[test]
    fn every_window_covers_exactly_its_rows() {
        for n in 0..40 {
            let xs: Vec<f64> = (0..n).map(|i| i as f64).collect();
            for w in 1..45 {
                let mut seen = 0;
                sliding::<1, Span, _>(&Single(&xs), w, |i, s| {
                    assert_eq!(i, seen);
                    seen += 1;
                    let lo = (i + 1).saturating_sub(w);
                    assert_eq!((s.lo, s.hi, s.n), (lo, i, i + 1 - lo), "n={n} w={w} i={i}");
                });
                assert_eq!(seen, n);
            }
        }
    }
}
