//! One `#[pyfunction]` per rank / order-statistic kernel.

use numpy::PyReadonlyArray1;
use pyo3::prelude::*;
use sectorflow_core::{
    CrossSection, CsStat, ExpandingRank, Interpolation, KernelError, RankMethod, RankOptions,
    RollingQuantile, RollingRank, RollingSpec,
};

use super::run;
use crate::errors::to_py_err;

type Codes<'py> = Option<PyReadonlyArray1<'py, i64>>;

fn options(method: &str, pct: bool, ascending: bool) -> PyResult<RankOptions> {
    Ok(RankOptions {
        method: method.parse::<RankMethod>().map_err(to_py_err)?,
        pct,
        ascending,
    })
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
    if !(0.0..=1.0).contains(&q) {
        return Err(to_py_err(KernelError::invalid(
            "q",
            format!("q must be between 0 and 1 inclusive, got {q}"),
        )));
    }
    run(
        py,
        x,
        None,
        by,
        RollingQuantile {
            spec,
            q,
            interpolation,
        },
    )
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
    let min_periods = usize::try_from(min_periods).map_err(|_| {
        to_py_err(KernelError::invalid(
            "min_periods",
            format!("min_periods must be >= 0, got {min_periods}"),
        ))
    })?;
    let options = options(method, pct, ascending)?;
    run(
        py,
        x,
        None,
        by,
        ExpandingRank {
            min_periods,
            options,
        },
    )
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
    let ddof = usize::try_from(ddof).map_err(|_| {
        to_py_err(KernelError::invalid(
            "ddof",
            format!("ddof must be >= 0, got {ddof}"),
        ))
    })?;
    run(py, x, None, by, CrossSection(CsStat::Zscore { ddof }))
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
