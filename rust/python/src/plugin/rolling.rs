//! One `#[polars_expr]` per rolling-window kernel, EWMA and percentage change.

use pyo3_polars::derive::polars_expr;
use pyo3_polars::export::polars_core::prelude::*;
use sectorflow_core::{
    BinaryStat, Ewm, EwmSpec, ExcessReturn, PctChange, Rolling, RollingPair, RollingSpec, UnaryStat,
};
use serde::Deserialize;

use super::{apply, Keyed};
use crate::errors::to_polars_err;

/// Keyword arguments of the window kernels, as `sectorflow.polars` sends them.
#[derive(Deserialize)]
struct WindowKwargs {
    window: i64,
    min_periods: Option<i64>,
    #[serde(default)]
    ddof: i64,
    #[serde(flatten)]
    keyed: Keyed,
}

impl WindowKwargs {
    fn spec(&self) -> PolarsResult<RollingSpec> {
        RollingSpec::new(self.window, self.min_periods, self.ddof).map_err(to_polars_err)
    }
}

fn unary(stat: UnaryStat, inputs: &[Series], kw: &WindowKwargs) -> PolarsResult<Series> {
    let spec = kw.spec()?;
    apply(inputs, &Rolling { stat, spec }, false, kw.keyed)
}

fn binary(stat: BinaryStat, inputs: &[Series], kw: &WindowKwargs) -> PolarsResult<Series> {
    let spec = kw.spec()?;
    apply(inputs, &RollingPair { stat, spec }, true, kw.keyed)
}

macro_rules! window_expr {
    ($name:ident, $run:ident, $stat:expr) => {
        #[polars_expr(output_type=Float64)]
        fn $name(inputs: &[Series], kwargs: WindowKwargs) -> PolarsResult<Series> {
            $run($stat, inputs, &kwargs)
        }
    };
}

window_expr!(rolling_sum, unary, UnaryStat::Sum);
window_expr!(rolling_mean, unary, UnaryStat::Mean);
window_expr!(rolling_var, unary, UnaryStat::Var);
window_expr!(rolling_std, unary, UnaryStat::Std);
window_expr!(rolling_zscore, unary, UnaryStat::Zscore);
window_expr!(rolling_skew, unary, UnaryStat::Skew);
window_expr!(rolling_kurt, unary, UnaryStat::Kurt);
window_expr!(rolling_min, unary, UnaryStat::Min);
window_expr!(rolling_max, unary, UnaryStat::Max);
window_expr!(rolling_cov, binary, BinaryStat::Cov);
window_expr!(rolling_corr, binary, BinaryStat::Corr);
window_expr!(rolling_beta, binary, BinaryStat::Beta);

#[derive(Deserialize)]
struct ExcessKwargs {
    window: i64,
    mode: String,
    #[serde(flatten)]
    keyed: Keyed,
}

#[polars_expr(output_type=Float64)]
fn rolling_excess_return(inputs: &[Series], kwargs: ExcessKwargs) -> PolarsResult<Series> {
    let mode = kwargs.mode.parse().map_err(to_polars_err)?;
    let kernel = ExcessReturn::new(kwargs.window, mode).map_err(to_polars_err)?;
    apply(inputs, &kernel, true, kwargs.keyed)
}

#[derive(Deserialize)]
struct EwmKwargs {
    com: Option<f64>,
    span: Option<f64>,
    halflife: Option<f64>,
    alpha: Option<f64>,
    adjust: bool,
    min_periods: i64,
    #[serde(flatten)]
    keyed: Keyed,
}

#[polars_expr(output_type=Float64)]
fn ewm_mean(inputs: &[Series], kwargs: EwmKwargs) -> PolarsResult<Series> {
    let spec = EwmSpec::new(
        kwargs.com,
        kwargs.span,
        kwargs.halflife,
        kwargs.alpha,
        kwargs.adjust,
        kwargs.min_periods,
    )
    .map_err(to_polars_err)?;
    apply(inputs, &Ewm(spec), false, kwargs.keyed)
}

#[derive(Deserialize)]
struct PctChangeKwargs {
    periods: i64,
    #[serde(flatten)]
    keyed: Keyed,
}

#[polars_expr(output_type=Float64)]
fn pct_change(inputs: &[Series], kwargs: PctChangeKwargs) -> PolarsResult<Series> {
    apply(inputs, &PctChange(kwargs.periods), false, kwargs.keyed)
}
