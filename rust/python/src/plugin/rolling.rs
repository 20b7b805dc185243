//! One `#[polars_expr]` per rolling kernel.

use pyo3_polars::derive::polars_expr;
use pyo3_polars::export::polars_core::prelude::*;
use pyo3_polars::export::*;
use sectorflow_core::{rolling_unary, RollingSpec, UnaryStat};
use serde::Deserialize;

use super::{float_series, float_values};
use crate::errors::to_polars_err;

/// Keyword arguments of the window kernels, as `sectorflow.polars` sends them.
#[derive(Deserialize)]
struct WindowKwargs {
    window: i64,
    min_periods: Option<i64>,
    #[serde(default)]
    ddof: i64,
}

fn unary(stat: UnaryStat, inputs: &[Series], kw: &WindowKwargs) -> PolarsResult<Series> {
    let (name, x) = float_values(inputs)?;
    let spec = RollingSpec::new(kw.window, kw.min_periods, kw.ddof).map_err(to_polars_err)?;
    let mut out = vec![f64::NAN; x.len()];
    rolling_unary(stat, &x, &spec, &mut out).map_err(to_polars_err)?;
    Ok(float_series(name, out))
}

#[polars_expr(output_type=Float64)]
fn rolling_mean(inputs: &[Series], kwargs: WindowKwargs) -> PolarsResult<Series> {
    unary(UnaryStat::Mean, inputs, &kwargs)
}
