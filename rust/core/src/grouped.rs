//! 2-D input (one series per column) and `by=` keys (one series per key): split, run each series
//! on the thread pool, put every result back at its original position.

use rayon::prelude::*;

use crate::error::{KernelError, same_length};
use crate::kernel::Kernel;
use crate::scattered::ScatteredOut;
use crate::threads::{current_num_threads, install};
use crate::window::{ColumnTiles, LANES, TileOut, TileView};

/// How a matrix is laid out in memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// C order: rows are contiguous.
    RowMajor,
    /// Fortran order: columns are contiguous.
    ColMajor,
}

/// A borrowed `rows x cols` matrix: axis 0 is time, each column one series.
#[derive(Clone, Copy, Debug)]
pub struct Matrix<'a> {
    data: &'a [f64],
    rows: usize,
    cols: usize,
    layout: Layout,
}

impl<'a> Matrix<'a> {
    pub fn new(
        data: &'a [f64],
        rows: usize,
        cols: usize,
        layout: Layout,
    ) -> Result<Self, KernelError> {
        same_length("x", rows.saturating_mul(cols), data.len())?;
        Ok(Self {
            data,
            rows,
            cols,
            layout,
        })
    }

    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// The values laid out in `layout` (a transposing copy).
    fn relaid(&self, layout: Layout) -> Vec<f64> {
        let (r, c) = (self.rows, self.cols);
        let mut out = Vec::with_capacity(self.data.len());
        match layout {
            Layout::RowMajor => {
                (0..r).for_each(|i| out.extend((0..c).map(|j| self.data[j * r + i])))
            }
            Layout::ColMajor => {
                (0..c).for_each(|j| out.extend((0..r).map(|i| self.data[i * c + j])))
            }
        }
        out
    }
}

/// Copies columns `j0..j0 + width` (`width < LANES`: full tiles are read in place) of a
/// row-major matrix into a row-major tile of [`LANES`] lanes, NaN past `width`.
fn gather_narrow(m: &Matrix<'_>, (j0, width): (usize, usize), tile: &mut Vec<f64>) {
    tile.clear();
    tile.resize(m.rows * LANES, f64::NAN);
    for (dst, src) in tile
        .chunks_exact_mut(LANES)
        .zip(m.data[j0..].chunks(m.cols))
    {
        dst[..width].copy_from_slice(&src[..width]);
    }
}

/// Columns `span` of a row-major matrix as a tile: read in place when the tile is full width,
/// copied into `buf` (padded with NaN) when narrower.
fn tile_view<'a>(
    m: &Matrix<'a>,
    span: (usize, usize),
    buf: &'a mut Vec<f64>,
) -> Result<TileView<'a>, KernelError> {
    if span.1 == LANES {
        TileView::new(m.data, m.cols, span.0, m.rows)
    } else {
        gather_narrow(m, span, buf);
        TileView::contiguous(buf)
    }
}

/// Runs `kernel` on every column; `out` has the layout of `x`.
///
/// Row-major input runs in tiles of [`LANES`] adjacent columns, read a cache line per row and
/// written in place; column-major input runs column by column on borrowed slices.
pub fn run_columns(
    x: &Matrix<'_>,
    y: Option<&Matrix<'_>>,
    out: &mut [f64],
    kernel: &impl Kernel,
) -> Result<(), KernelError> {
    if let Some(y) = y
        && y.shape() != x.shape()
    {
        return Err(KernelError::invalid(
            "y",
            format!(
                "y must have the same shape as x {:?}, got {:?}",
                x.shape(),
                y.shape()
            ),
        ));
    }
    // issue 20: a y in the other memory order (C against Fortran) is copied into x's.
    let relaid = y
        .filter(|y| y.layout != x.layout)
        .map(|y| y.relaid(x.layout));
    let y_in_order = relaid.as_deref().map(|data| Matrix {
        data,
        layout: x.layout,
        ..*x
    });
    let y = y_in_order.as_ref().or(y);
    same_length("out", x.data.len(), out.len())?;
    if x.rows == 0 || x.cols == 0 {
        return Ok(());
    }
    let rows = x.rows;
    match x.layout {
        Layout::ColMajor => install(|| {
            out.par_chunks_mut(rows).enumerate().try_for_each(|(j, o)| {
                let range = j * rows..(j + 1) * rows;
                kernel.series(&x.data[range.clone()], y.map(|y| &y.data[range]), o)
            })
        })?,
        Layout::RowMajor => {
            // A few tasks per thread, each running its tiles in turn on one set of scratch buffers.
            let out = ColumnTiles::new(out, rows, x.cols)?;
            let tiles = out.len();
            let tasks = (current_num_threads() * 4).clamp(1, tiles);
            let per_task = tiles.div_ceil(tasks);
            install(|| {
                (0..tasks).into_par_iter().try_for_each(|task| {
                    let (mut tx, mut ty, mut to) = (Vec::new(), Vec::new(), Vec::new());
                    for t in task * per_task..((task + 1) * per_task).min(tiles) {
                        // Copying the tile first (a cache line per row, streamed) beats
                        // reading it in place twice at the matrix's stride.
                        let span = out.span(t);
                        let txv = tile_view(x, span, &mut tx)?;
                        let tyv = y.map(|y| tile_view(y, span, &mut ty)).transpose()?;
                        // SAFETY: tasks cover disjoint ranges of tile indices, each taken once.
                        if let Some(mut o) = unsafe { out.take(t) } {
                            kernel.tile(&txv, tyv.as_ref(), &mut o)?;
                        } else {
                            // A narrower first or last tile: its padding lanes go nowhere.
                            to.resize(rows * LANES, f64::NAN);
                            kernel.tile(&txv, tyv.as_ref(), &mut TileOut::contiguous(&mut to))?;
                            // SAFETY: as above.
                            unsafe { out.put_narrow(t, &to) };
                        }
                    }
                    Ok(())
                })
            })?
        }
    }
}

/// Blocks per lane segment when a long series runs as [`LANES`] segments side by side.
const SEGMENT_BLOCKS: usize = 16;

/// Runs `kernel` on one series. A block-aligned kernel on a long series runs as super-tiles: each
/// cuts `LANES * seg` consecutive values into `LANES` block-aligned segments (plus one block of
/// warm-up each) that run side by side as one tile, bit-identical to the plain run. With
/// `parallel`, super-tiles run on the thread pool.
pub fn run_series(
    x: &[f64],
    y: Option<&[f64]>,
    out: &mut [f64],
    kernel: &impl Kernel,
    parallel: bool,
) -> Result<(), KernelError> {
    same_length("out", x.len(), out.len())?;
    if let Some(y) = y {
        same_length("y", x.len(), y.len())?;
    }
    let n = x.len();
    let Some(w) = kernel.block().filter(|&w| {
        // Only when the series holds at least two segments per lane (no overflow for huge w).
        w >= 1
            && (2 * LANES * SEGMENT_BLOCKS)
                .checked_mul(w)
                .is_some_and(|need| n >= need)
    }) else {
        // Kernels may parallelise inside (the expanding rank's sort and sweep): on our pool.
        return if parallel {
            install(|| kernel.series(x, y, out))?
        } else {
            kernel.series(x, y, out)
        };
    };
    let seg = w * SEGMENT_BLOCKS;
    let span = LANES * seg;
    let rows = seg + w;
    let supers = n.div_ceil(span);
    let tasks = if parallel {
        (current_num_threads() * 4).clamp(1, supers)
    } else {
        1
    };
    let per_task = supers.div_ceil(tasks);
    let work = |task: usize, chunk: &mut [f64]| -> Result<(), KernelError> {
        let mut tx = vec![f64::NAN; rows * LANES];
        let mut ty = vec![f64::NAN; if y.is_some() { rows * LANES } else { 0 }];
        let mut to = vec![f64::NAN; rows * LANES];
        for (t, o) in chunk.chunks_mut(span).enumerate() {
            let base = (task * per_task + t) * span;
            let fill = |src: &[f64], tile: &mut [f64]| {
                // Lane k, row r is the series at base + k * seg - w + r (NaN outside the series).
                let first = base.checked_sub(w);
                let last = base + (LANES - 1) * seg + rows - w;
                if let (Some(first), true) = (first, last <= n) {
                    let lanes: [&[f64]; LANES] =
                        std::array::from_fn(|k| &src[first + k * seg..first + k * seg + rows]);
                    for (r, row) in tile.chunks_exact_mut(LANES).enumerate() {
                        for (k, v) in row.iter_mut().enumerate() {
                            *v = lanes[k][r];
                        }
                    }
                } else {
                    for (r, row) in tile.chunks_exact_mut(LANES).enumerate() {
                        for (k, v) in row.iter_mut().enumerate() {
                            *v = (base + k * seg + r)
                                .checked_sub(w)
                                .and_then(|i| src.get(i))
                                .copied()
                                .unwrap_or(f64::NAN);
                        }
                    }
                }
            };
            fill(x, &mut tx);
            if let Some(y) = y {
                fill(y, &mut ty);
            }
            let tyv = y.map(|_| TileView::contiguous(&ty)).transpose()?;
            kernel.tile(
                &TileView::contiguous(&tx)?,
                tyv.as_ref(),
                &mut TileOut::contiguous(&mut to),
            )?;
            // Lane k, row w + r is the series at base + k * seg + r.
            for (k, dst) in o.chunks_mut(seg).enumerate() {
                for (r, v) in dst.iter_mut().enumerate() {
                    *v = to[(w + r) * LANES + k];
                }
            }
        }
        Ok(())
    };
    if parallel {
        install(|| {
            out.par_chunks_mut(span * per_task)
                .enumerate()
                .try_for_each(|(task, chunk)| work(task, chunk))
        })?
    } else {
        work(0, out)
    }
}

/// Rows grouped by key: group `g` holds rows `order[offsets[g]..offsets[g + 1]]` in their given order.
/// Each row appears at most once in `order` (what [`run_groups`] relies on to write in parallel).
#[derive(Clone, Debug)]
pub struct Groups {
    order: Vec<usize>,
    offsets: Vec<usize>,
}

impl Groups {
    /// From dense key codes `0..k`; `-1` marks a missing key, whose rows get NaN.
    pub fn from_codes(codes: &[i64]) -> Result<Self, KernelError> {
        let mut k = 0usize;
        for &c in codes {
            if c < -1 {
                return Err(KernelError::invalid(
                    "by",
                    format!("key codes must be >= -1, got {c}"),
                ));
            }
            if c >= 0 {
                let g = usize::try_from(c).unwrap_or(usize::MAX);
                if g >= codes.len() {
                    return Err(KernelError::invalid(
                        "by",
                        format!(
                            "key codes must be < the number of rows ({}), got {c}",
                            codes.len()
                        ),
                    ));
                }
                k = k.max(g + 1);
            }
        }
        let mut offsets = vec![0usize; k + 1];
        for &c in codes {
            if let Ok(g) = usize::try_from(c) {
                offsets[g + 1] += 1;
            }
        }
        for g in 0..k {
            offsets[g + 1] += offsets[g];
        }
        let mut cursor = offsets.clone();
        let mut order = vec![0usize; offsets[k]];
        for (i, &c) in codes.iter().enumerate() {
            if let Ok(g) = usize::try_from(c) {
                order[cursor[g]] = i;
                cursor[g] += 1;
            }
        }
        Ok(Self { order, offsets })
    }

    /// From explicit parts: group `g` holds rows `order[offsets[g]..offsets[g + 1]]`, in that
    /// order (a key's rows sorted by time, say). Every row `< rows` appears at most once.
    pub fn from_parts(
        order: Vec<usize>,
        offsets: Vec<usize>,
        rows: usize,
    ) -> Result<Self, KernelError> {
        let bad = |msg: &str| KernelError::invalid("by", msg.to_string());
        if offsets.first() != Some(&0) || offsets.last() != Some(&order.len()) {
            return Err(bad(
                "group offsets must run from 0 to the number of grouped rows",
            ));
        }
        if offsets.windows(2).any(|w| w[0] > w[1]) {
            return Err(bad("group offsets must not decrease"));
        }
        let mut seen = vec![false; rows];
        for &i in &order {
            match seen.get_mut(i) {
                Some(s) if !*s => *s = true,
                _ => return Err(bad("each row must be in one group at most, and exist")),
            }
        }
        Ok(Self { order, offsets })
    }

    /// Each group's rows put in the order of `key` (indexed by row), ties in their current
    /// order; the groups are sorted side by side on the pool. A `key` shorter than a row
    /// refers to is refused.
    pub fn order_by<K: PartialOrd + Copy + Send + Sync>(
        &mut self,
        key: &[K],
    ) -> Result<(), KernelError> {
        if self.order.iter().any(|&i| i >= key.len()) {
            return Err(KernelError::LengthMismatch {
                name: "order_by",
                expected: self.order.iter().max().map_or(0, |m| m + 1),
                got: key.len(),
            });
        }
        let mut pieces = Vec::with_capacity(self.len());
        let mut rest = self.order.as_mut_slice();
        for w in self.offsets.windows(2) {
            let (head, tail) = rest.split_at_mut(w[1] - w[0]);
            pieces.push(head);
            rest = tail;
        }
        install(|| {
            pieces
                .into_par_iter()
                .for_each_init(Vec::new, |pairs, rows| {
                    pairs.clear();
                    pairs.extend(rows.iter().enumerate().map(|(at, &i)| (key[i], at, i)));
                    pairs.sort_unstable_by(|a, b| {
                        a.0.partial_cmp(&b.0)
                            .unwrap_or(std::cmp::Ordering::Equal)
                            .then(a.1.cmp(&b.1))
                    });
                    for (r, p) in rows.iter_mut().zip(pairs.iter()) {
                        *r = p.2;
                    }
                });
        })
    }

    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Runs `kernel` on every key's rows; rows without a key get NaN.
pub fn run_groups(
    x: &[f64],
    y: Option<&[f64]>,
    groups: &Groups,
    out: &mut [f64],
    kernel: &impl Kernel,
) -> Result<(), KernelError> {
    same_length("out", x.len(), out.len())?;
    if let Some(y) = y {
        same_length("y", x.len(), y.len())?;
    }
    if groups.order.iter().any(|&i| i >= x.len()) {
        return Err(KernelError::LengthMismatch {
            name: "by",
            expected: x.len(),
            got: groups.order.len(),
        });
    }
    if groups.order.len() == x.len() && groups.order.iter().enumerate().all(|(k, &i)| k == i) {
        // Rows already sorted by key (each key's rows contiguous): run in place, no copies.
        return run_pieces(x, y, &groups.offsets, out, kernel);
    }
    if groups.order.len() < x.len() {
        out.fill(f64::NAN); // rows without a key
    }
    // Each group is gathered into scratch buffers kept per task, run, and written back to its
    // rows: no full-length copies (their pages are what a long, interleaved input pays for).
    let rows_out = ScatteredOut::new(out);
    install(|| {
        (0..groups.len()).into_par_iter().try_for_each_init(
            || (Vec::new(), Vec::new(), Vec::new()),
            |(xs, ys, os): &mut (Vec<f64>, Vec<f64>, Vec<f64>), g| {
                let rows = &groups.order[groups.offsets[g]..groups.offsets[g + 1]];
                xs.clear();
                xs.extend(rows.iter().map(|&i| x[i]));
                if let Some(y) = y {
                    ys.clear();
                    ys.extend(rows.iter().map(|&i| y[i]));
                }
                os.clear();
                os.resize(rows.len(), f64::NAN);
                run_series(xs, y.map(|_| &ys[..]), os, kernel, false)?;
                for (&i, &v) in rows.iter().zip(os.iter()) {
                    // SAFETY: `order` lists each row at most once (built in `from_codes`), all
                    // checked < x.len() == out.len() above, so groups write disjoint rows.
                    unsafe { rows_out.write(i, v) };
                }
                Ok(())
            },
        )
    })?
}

/// Runs `kernel` on `x[offsets[g]..offsets[g + 1]]` for every `g`, in parallel.
fn run_pieces(
    x: &[f64],
    y: Option<&[f64]>,
    offsets: &[usize],
    out: &mut [f64],
    kernel: &impl Kernel,
) -> Result<(), KernelError> {
    let mut pieces = Vec::with_capacity(offsets.len().saturating_sub(1));
    let mut rest = out;
    for w in offsets.windows(2) {
        let (head, tail) = rest.split_at_mut(w[1] - w[0]);
        pieces.push((w[0], w[1], head));
        rest = tail;
    }
    install(|| {
        pieces
            .into_par_iter()
            .try_for_each(|(a, b, o)| run_series(&x[a..b], y.map(|v| &v[a..b]), o, kernel, false))
    })?
}

#[cfg(test)]
mod tests {
    use super::*;

    struct CumSum;

    impl Kernel for CumSum {
        fn series(&self, x: &[f64], _: Option<&[f64]>, out: &mut [f64]) -> Result<(), KernelError> {
            let mut s = 0.0;
            for (o, v) in out.iter_mut().zip(x) {
                s += v;
                *o = s;
            }
            Ok(())
        }
    }

    #[test]
    fn groups_from_parts_run_in_the_given_order_and_refuse_a_row_twice() {
        // Group 0 takes rows 4, 0, 2 in that order; group 1 rows 3, 1; row 5 in none.
        let x = [1.0, 10.0, 2.0, 20.0, 3.0, 5.0];
        let groups = Groups::from_parts(vec![4, 0, 2, 3, 1], vec![0, 3, 5], 6).unwrap();
        let mut out = [0.0; 6];
        run_groups(&x, None, &groups, &mut out, &CumSum).unwrap();
        assert_eq!(out[..5], [4.0, 30.0, 6.0, 20.0, 3.0]);
        assert!(out[5].is_nan());
        let mut ordered = Groups::from_parts(vec![4, 0, 2, 3, 1], vec![0, 3, 5], 6).unwrap();
        ordered.order_by(&[5, 9, 5, 1, 0, 7]).unwrap();
        // Group 0 by key 0, 5, 5 (rows 4, 0, 2: the tie keeps 0 before 2); group 1 by 1, 9.
        assert_eq!(ordered.order, [4, 0, 2, 3, 1]);
        ordered.order_by(&[3, 9, 1, 1, 2, 7]).unwrap();
        assert_eq!(ordered.order, [2, 4, 0, 3, 1]);
        assert!(ordered.order_by(&[1, 2]).is_err());
        assert!(Groups::from_parts(vec![0, 0], vec![0, 2], 2).is_err());
        assert!(Groups::from_parts(vec![0, 2], vec![0, 2], 2).is_err());
        assert!(Groups::from_parts(vec![0, 1], vec![0, 1], 2).is_err());
    }

    #[test]
    fn groups_restart_and_land_in_place() {
        let x = [1.0, 10.0, 2.0, 20.0, 3.0, 5.0];
        let codes = [0, 1, 0, 1, 0, -1];
        let groups = Groups::from_codes(&codes).unwrap();
        let mut out = [0.0; 6];
        run_groups(&x, None, &groups, &mut out, &CumSum).unwrap();
        assert_eq!(out[..5], [1.0, 10.0, 3.0, 30.0, 6.0]);
        assert!(out[5].is_nan());
    }

    #[test]
    fn row_and_column_major_agree_and_keep_their_layout() {
        let c = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]; // 3 x 2 row-major
        let f = [1.0, 3.0, 5.0, 2.0, 4.0, 6.0]; // same matrix, column-major
        let mut a = [0.0; 6];
        let mut b = [0.0; 6];
        run_columns(
            &Matrix::new(&c, 3, 2, Layout::RowMajor).unwrap(),
            None,
            &mut a,
            &CumSum,
        )
        .unwrap();
        run_columns(
            &Matrix::new(&f, 3, 2, Layout::ColMajor).unwrap(),
            None,
            &mut b,
            &CumSum,
        )
        .unwrap();
        // Each result has its input's layout.
        assert_eq!(a, [1.0, 2.0, 4.0, 6.0, 9.0, 12.0]);
        assert_eq!(b, [1.0, 4.0, 9.0, 2.0, 6.0, 12.0]);
    }

    struct Difference;

    impl Kernel for Difference {
        fn series(&self, x: &[f64], y: Option<&[f64]>, out: &mut [f64]) -> Result<(), KernelError> {
            for ((o, a), b) in out.iter_mut().zip(x).zip(y.unwrap_or(x)) {
                *o = a - b;
            }
            Ok(())
        }
    }

    /// issue 20: a y in the other memory order than x was refused as "not the same shape".
    #[test]
    fn y_in_the_other_memory_order_pairs_by_position_20() {
        let c = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]; // 3 x 2 row-major
        let f = [10.0, 30.0, 50.0, 20.0, 40.0, 60.0]; // 10 x that matrix, column-major
        let (rm, cm) = (Layout::RowMajor, Layout::ColMajor);
        let mut out = [0.0; 6];
        let (x, y) = (
            Matrix::new(&c, 3, 2, rm).unwrap(),
            Matrix::new(&f, 3, 2, cm).unwrap(),
        );
        run_columns(&x, Some(&y), &mut out, &Difference).unwrap();
        assert_eq!(out, [-9.0, -18.0, -27.0, -36.0, -45.0, -54.0]);
        let (x, y) = (
            Matrix::new(&f, 3, 2, cm).unwrap(),
            Matrix::new(&c, 3, 2, rm).unwrap(),
        );
        run_columns(&x, Some(&y), &mut out, &Difference).unwrap();
        assert_eq!(out, [9.0, 27.0, 45.0, 18.0, 36.0, 54.0]);
        let y = Matrix::new(&c, 2, 3, rm).unwrap();
        let err = run_columns(&x, Some(&y), &mut out, &Difference).unwrap_err();
        assert_eq!(
            err.to_string(),
            "y must have the same shape as x (3, 2), got (2, 3)"
        );
    }

    #[test]
    fn row_major_tiles_fill_their_columns_in_place_at_every_alignment_of_the_output() {
        use crate::kernel::RollingSpec;
        use crate::rolling::{Rolling, UnaryStat};
        let kernel = Rolling {
            stat: UnaryStat::Std,
            spec: RollingSpec::new(6, Some(2), 1).unwrap(),
        };
        // 3 * LANES columns: rows a whole number of cache lines, so tiles start on the output's
        // line boundaries behind a narrow first tile; 2 * LANES + 3: plain tiles, narrow last.
        for cols in [3 * LANES, 2 * LANES + 3, 5] {
            let rows = 40;
            let c: Vec<f64> = (0..rows * cols)
                .map(|i| ((i * 7919) % 97) as f64 - 40.0)
                .collect();
            let mut want = vec![0.0; rows * cols];
            for j in 0..cols {
                let col: Vec<f64> = (0..rows).map(|i| c[i * cols + j]).collect();
                let mut o = vec![0.0; rows];
                kernel.series(&col, None, &mut o).unwrap();
                for i in 0..rows {
                    want[i * cols + j] = o[i];
                }
            }
            let mut buffer = vec![-1.0; rows * cols + LANES];
            for shift in 0..LANES {
                buffer.fill(-1.0);
                let out = &mut buffer[shift..shift + rows * cols];
                run_columns(
                    &Matrix::new(&c, rows, cols, Layout::RowMajor).unwrap(),
                    None,
                    out,
                    &kernel,
                )
                .unwrap();
                for (got, want) in out.iter().zip(&want) {
                    assert!(
                        got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                        "cols={cols} shift={shift}"
                    );
                }
                let outside = buffer[..shift].iter().chain(&buffer[shift + rows * cols..]);
                assert!(
                    outside.copied().all(|v| v == -1.0),
                    "cols={cols} shift={shift}"
                );
            }
        }
    }

    #[test]
    fn sorted_keys_run_in_place() {
        let x = [1.0, 2.0, 3.0, 10.0, 20.0];
        let groups = Groups::from_codes(&[0, 0, 0, 1, 1]).unwrap();
        let mut out = [0.0; 5];
        run_groups(&x, None, &groups, &mut out, &CumSum).unwrap();
        assert_eq!(out, [1.0, 3.0, 6.0, 10.0, 30.0]);
    }

    #[test]
    fn long_series_in_segments_equal_the_plain_run() {
        use crate::kernel::RollingSpec;
        use crate::rolling::{BinaryStat, Rolling, RollingPair, UnaryStat};
        let n = 2 * LANES * SEGMENT_BLOCKS * 7 + 123;
        let x: Vec<f64> = (0..n)
            .map(|i| {
                if i % 53 == 0 {
                    f64::NAN
                } else {
                    ((i * 7919) % 1009) as f64 * 0.013 + 50.0
                }
            })
            .collect();
        let y: Vec<f64> = x
            .iter()
            .enumerate()
            .map(|(i, v)| v * 0.5 + (i % 7) as f64)
            .collect();
        let same = |a: &[f64], b: &[f64]| {
            a.iter()
                .zip(b)
                .all(|(p, q)| p == q || (p.is_nan() && q.is_nan()))
        };
        for stat in [
            UnaryStat::Sum,
            UnaryStat::Var,
            UnaryStat::Zscore,
            UnaryStat::Kurt,
            UnaryStat::Min,
        ] {
            let k = Rolling {
                stat,
                spec: RollingSpec::new(7, Some(2), 1).unwrap(),
            };
            let (mut a, mut b) = (vec![0.0; n], vec![0.0; n]);
            k.series(&x, None, &mut a).unwrap();
            run_series(&x, None, &mut b, &k, true).unwrap();
            assert!(same(&a, &b), "{stat:?}");
        }
        let k = RollingPair {
            stat: BinaryStat::Corr,
            spec: RollingSpec::new(7, None, 1).unwrap(),
        };
        let (mut a, mut b) = (vec![0.0; n], vec![0.0; n]);
        k.series(&x, Some(&y), &mut a).unwrap();
        run_series(&x, Some(&y), &mut b, &k, false).unwrap();
        assert!(same(&a, &b));
    }

    #[test]
    fn bad_codes_are_refused() {
        assert_eq!(Groups::from_codes(&[0, -2]).unwrap_err().argument(), "by");
        assert_eq!(Groups::from_codes(&[0, 5]).unwrap_err().argument(), "by");
    }
}
