//! One `#[pyfunction]` per rank / order-statistic kernel.

use pyo3::prelude::*;
use sectorflow_core::{
    CrossSection, CsStat, ExpandingRank, Interpolation, RankOptions, RollingQuantile, RollingRank,
    RollingSpec,
};

use super::run;
use crate::errors::to_py_err;

use super::Keys as Codes;

fn options(method: &str, pct: bool, ascending: bool) -> PyResult<RankOptions> {
    RankOptions::parse(method, pct, ascending).map_err(to_py_err)
}

#[pyfunction]
#[pyo3(signature = (x, window, *, min_periods=None, method="average", pct=true, ascending=true, by=None))]
#[allow(clippy::too_many_arguments)]
fn rolling_rank<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    window: i64,
    min_periods: Option<i64>,
    method: &str,
    pct: bool,
    ascending: bool,
    by: Codes<'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let spec = RollingSpec::new(window, min_periods, 0).map_err(to_py_err)?;
    let options = options(method, pct, ascending)?;
    run(py, x, None, by, RollingRank { spec, options })
}

#[pyfunction]
#[pyo3(signature = (x, window, q, *, interpolation="linear", min_periods=None, by=None))]
fn rolling_quantile<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    window: i64,
    q: f64,
    interpolation: &str,
    min_periods: Option<i64>,
    by: Codes<'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let spec = RollingSpec::new(window, min_periods, 0).map_err(to_py_err)?;
    let interpolation = interpolation.parse::<Interpolation>().map_err(to_py_err)?;
    let kernel = RollingQuantile::new(spec, q, interpolation).map_err(to_py_err)?;
    run(py, x, None, by, kernel)
}

#[pyfunction]
#[pyo3(signature = (x, *, min_periods=1, method="average", pct=true, ascending=true, by=None))]
fn expanding_rank<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    min_periods: i64,
    method: &str,
    pct: bool,
    ascending: bool,
    by: Codes<'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let kernel = ExpandingRank::new(min_periods, options(method, pct, ascending)?);
    run(py, x, None, by, kernel.map_err(to_py_err)?)
}

#[pyfunction]
#[pyo3(signature = (x, *, method="average", pct=true, ascending=true, by=None))]
fn cs_rank<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    method: &str,
    pct: bool,
    ascending: bool,
    by: Codes<'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let stat = CsStat::Rank(options(method, pct, ascending)?);
    run(py, x, None, by, CrossSection(stat))
}

#[pyfunction]
#[pyo3(signature = (x, *, ddof=1, by=None))]
fn cs_zscore<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    ddof: i64,
    by: Codes<'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let stat = CsStat::zscore(ddof).map_err(to_py_err)?;
    run(py, x, None, by, CrossSection(stat))
}

#[pyfunction]
#[pyo3(signature = (x, *, by=None))]
fn cs_demean<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    by: Codes<'py>,
) -> PyResult<Bound<'py, PyAny>> {
    run(py, x, None, by, CrossSection(CsStat::Demean))
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(rolling_rank, m)?)?;
    m.add_function(wrap_pyfunction!(rolling_quantile, m)?)?;
    m.add_function(wrap_pyfunction!(expanding_rank, m)?)?;
    m.add_function(wrap_pyfunction!(cs_rank, m)?)?;
    m.add_function(wrap_pyfunction!(cs_zscore, m)?)?;
    m.add_function(wrap_pyfunction!(cs_demean, m)?)?;
    Ok(())
}
