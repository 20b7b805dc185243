//! One `#[polars_expr]` per rank kernel: rolling, expanding and cross-sectional (per group of
//! `.over(...)`, e.g. per date).

use pyo3_polars::derive::polars_expr;
use pyo3_polars::export::polars_core::prelude::*;
use sectorflow_core::{
    CrossSection, CsStat, ExpandingRank, Interpolation, RankOptions, RollingQuantile, RollingRank,
    RollingSpec,
};
use serde::Deserialize;

use super::{apply, Keyed};
use crate::errors::to_polars_err;

/// How ties share ranks, as pandas names it.
#[derive(Deserialize)]
struct RankKwargs {
    method: String,
    pct: bool,
    ascending: bool,
}

impl RankKwargs {
    fn options(&self) -> PolarsResult<RankOptions> {
        RankOptions::parse(&self.method, self.pct, self.ascending).map_err(to_polars_err)
    }
}

#[derive(Deserialize)]
struct RollingRankKwargs {
    window: i64,
    min_periods: Option<i64>,
    #[serde(flatten)]
    rank: RankKwargs,
    #[serde(flatten)]
    keyed: Keyed,
}

#[polars_expr(output_type=Float64)]
fn rolling_rank(inputs: &[Series], kwargs: RollingRankKwargs) -> PolarsResult<Series> {
    let spec = RollingSpec::new(kwargs.window, kwargs.min_periods, 0).map_err(to_polars_err)?;
    let options = kwargs.rank.options()?;
    apply(inputs, &RollingRank { spec, options }, false, kwargs.keyed)
}

#[derive(Deserialize)]
struct QuantileKwargs {
    window: i64,
    q: f64,
    interpolation: String,
    min_periods: Option<i64>,
    #[serde(flatten)]
    keyed: Keyed,
}

#[polars_expr(output_type=Float64)]
fn rolling_quantile(inputs: &[Series], kwargs: QuantileKwargs) -> PolarsResult<Series> {
    let spec = RollingSpec::new(kwargs.window, kwargs.min_periods, 0).map_err(to_polars_err)?;
    let interpolation = kwargs
        .interpolation
        .parse::<Interpolation>()
        .map_err(to_polars_err)?;
    let kernel = RollingQuantile::new(spec, kwargs.q, interpolation).map_err(to_polars_err)?;
    apply(inputs, &kernel, false, kwargs.keyed)
}

#[derive(Deserialize)]
struct ExpandingRankKwargs {
    min_periods: i64,
    #[serde(flatten)]
    rank: RankKwargs,
    #[serde(flatten)]
    keyed: Keyed,
}

#[polars_expr(output_type=Float64)]
fn expanding_rank(inputs: &[Series], kwargs: ExpandingRankKwargs) -> PolarsResult<Series> {
    let kernel =
        ExpandingRank::new(kwargs.min_periods, kwargs.rank.options()?).map_err(to_polars_err)?;
    apply(inputs, &kernel, false, kwargs.keyed)
}

#[derive(Deserialize)]
struct CsRankKwargs {
    #[serde(flatten)]
    rank: RankKwargs,
    #[serde(flatten)]
    keyed: Keyed,
}

#[polars_expr(output_type=Float64)]
fn cs_rank(inputs: &[Series], kwargs: CsRankKwargs) -> PolarsResult<Series> {
    let stat = CsStat::Rank(kwargs.rank.options()?);
    apply(inputs, &CrossSection(stat), false, kwargs.keyed)
}

#[derive(Deserialize)]
struct ZscoreKwargs {
    ddof: i64,
    #[serde(flatten)]
    keyed: Keyed,
}

#[polars_expr(output_type=Float64)]
fn cs_zscore(inputs: &[Series], kwargs: ZscoreKwargs) -> PolarsResult<Series> {
    let stat = CsStat::zscore(kwargs.ddof).map_err(to_polars_err)?;
    apply(inputs, &CrossSection(stat), false, kwargs.keyed)
}

#[polars_expr(output_type=Float64)]
fn cs_demean(inputs: &[Series], kwargs: Keyed) -> PolarsResult<Series> {
    apply(inputs, &CrossSection(CsStat::Demean), false, kwargs)
}
