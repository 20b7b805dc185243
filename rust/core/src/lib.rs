//! sectorflow-core: pure kernels over `f64` slices.
//!
//! Missing values follow pandas: NaN, null (Arrow validity) and ±inf are skipped and not counted.
//! Every kernel writes NaN where its result is missing. No Python, no Polars here.

#[macro_use]
mod options;
mod codes;
mod cpu;
mod error;
mod ewm;
mod excess;
mod grouped;
mod groups;
mod kernel;
mod minute;
pub mod pages;
mod pct_change;
mod pivot;
mod rank;
mod rolling;
mod rotation;
mod rrg;
mod scattered;
mod scratch;
mod sector;
mod sequences;
mod threads;
mod valuation;
mod view;
mod window;

pub use codes::{Codes, INLINE, KeyColumn, RowCodes, code_rows, pack};
pub use error::KernelError;
pub use ewm::{Ewm, EwmSpec, ewm_mean};
pub use excess::{ExcessMode, ExcessReturn, rolling_excess_return};
pub use grouped::{Layout, Matrix, run_columns, run_series};
pub use groups::{Groups, OrderKey, run_coded, run_groups};
pub use kernel::{Kernel, RollingSpec};
pub use minute::{
    DayRows, MinuteAccumulator, MinuteBars, MinuteError, MinuteSpec, Outside, Session, SessionBars,
};
pub use pct_change::{PctChange, pct_change};
pub use pivot::{Calendar, Duplicate, LongRows, Pivot, PivotOptions, pivot_last};
pub use rank::{
    CrossSection, CsStat, ExpandingRank, Interpolation, RankMethod, RankOptions, RollingQuantile,
    RollingRank, cs_demean, cs_rank, cs_zscore, expanding_rank, rolling_quantile, rolling_rank,
};
pub use rolling::{
    BinaryStat, Rolling, RollingPair, UnaryStat, rolling_beta, rolling_binary, rolling_binary_tile,
    rolling_corr, rolling_cov, rolling_kurt, rolling_max, rolling_mean, rolling_min, rolling_skew,
    rolling_std, rolling_sum, rolling_unary, rolling_unary_tile, rolling_var, rolling_zscore,
};
pub use rotation::{RotationConfig, RotationPanel, RotationPath, top_n_rotations};
pub use rrg::{
    IMPROVING, LAGGING, LEADING, RrgAverage, RrgColumns, RrgMethod, RrgNormalize, RrgOut, RrgSpec,
    WEAKENING, rrg,
};
pub use sector::{
    BarsError, SECTOR_CELL_COUNTS, SECTOR_CELL_SUMS, SectorAccumulator, SectorCells, SectorTotals,
    StockBars, sector_totals,
};
pub use sequences::{
    SEQUENCE_FEATURES, SequenceBars, SequenceError, SequenceSpec, Sequences, sequence_features,
};
pub use threads::{current_num_threads, join, serial, set_num_threads};
pub use valuation::{PIECE, VALUATION_SUMS, ValuationRows, ValuationSums, valuation_sums};
pub use view::{Column, Validity, validity_of_non_nan};
pub use window::{LANES, TileOut, TileView};
