//! 2-D input (one series per column) and long single series: split, run each piece on the
//! thread pool, put every result back at its original position.

use rayon::prelude::*;

use crate::error::{KernelError, same_length};
use crate::kernel::Kernel;
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A running sum: order-dependent, so it shows which rows a group took in which order.
    pub(crate) struct CumSum;

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
}
