//! What every kernel shares, at the bottom of the crate: the [`Kernel`] trait the runners
//! (`grouped.rs`) drive, and the window arguments ([`RollingSpec`]) the window kernels take.

use crate::error::KernelError;
use crate::window::{LANES, TileOut, TileView};

/// A kernel over one series (and optionally a second aligned one) writing one output series.
pub trait Kernel: Sync {
    /// Runs on one series: `x`, the optional `y` and `out` have the same length.
    fn series(&self, x: &[f64], y: Option<&[f64]>, out: &mut [f64]) -> Result<(), KernelError>;

    /// The block length of a block-aligned window kernel: results are the same whichever block-aligned
    /// stretch of the series a run starts at (after one block of warm-up). `None` for recurrences
    /// that need the whole history (an EWMA).
    fn block(&self) -> Option<usize> {
        None
    }

    /// Runs on a row-major tile of [`LANES`] series side by side (`x[i * LANES + k]`), writing
    /// row by row into `out`. By default the lanes are copied out in one pass over the rows and
    /// each is run through [`Kernel::series`].
    fn tile(
        &self,
        x: &TileView<'_>,
        y: Option<&TileView<'_>>,
        out: &mut TileOut<'_>,
    ) -> Result<(), KernelError> {
        let rows = x.rows();
        let xs = x.lanes();
        let ys = y.map(TileView::lanes);
        let mut lane_out = vec![f64::NAN; rows];
        for k in 0..LANES {
            let range = k * rows..(k + 1) * rows;
            let yk = ys.as_ref().map(|ys| &ys[range.clone()]);
            self.series(&xs[range], yk, &mut lane_out)?;
            out.put_lane(k, &lane_out);
        }
        Ok(())
    }
}

/// Window length, minimum number of valid observations and delta degrees of freedom.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RollingSpec {
    pub window: usize,
    pub min_periods: usize,
    pub ddof: usize,
}

impl RollingSpec {
    /// Validates the arguments as pandas does; `min_periods` defaults to `window`.
    pub fn new(window: i64, min_periods: Option<i64>, ddof: i64) -> Result<Self, KernelError> {
        if window < 1 {
            return Err(KernelError::invalid(
                "window",
                format!("window must be >= 1, got {window}"),
            ));
        }
        let min_periods = min_periods.unwrap_or(window);
        if min_periods < 0 {
            return Err(KernelError::invalid(
                "min_periods",
                format!("min_periods must be >= 0, got {min_periods}"),
            ));
        }
        if min_periods > window {
            return Err(KernelError::invalid(
                "min_periods",
                format!("min_periods must be <= window ({window}), got {min_periods}"),
            ));
        }
        if ddof < 0 {
            return Err(KernelError::invalid(
                "ddof",
                format!("ddof must be >= 0, got {ddof}"),
            ));
        }
        let to_usize = |v: i64, name: &'static str| {
            usize::try_from(v)
                .map_err(|_| KernelError::invalid(name, format!("{name} is too large, got {v}")))
        };
        Ok(Self {
            window: to_usize(window, "window")?,
            min_periods: to_usize(min_periods, "min_periods")?,
            ddof: to_usize(ddof, "ddof")?,
        })
    }
}
