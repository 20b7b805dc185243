//! One `#[pyfunction]` per rolling kernel; all share `unary` / `binary` and `run`.

use pyo3::prelude::*;
use sectorflow_core::{
    BinaryStat, Ewm, EwmSpec, ExcessReturn, KernelError, PctChange, Rolling, RollingPair,
    RollingSpec, UnaryStat,
};

use super::run;
use crate::errors::to_py_err;

use super::Keys as Codes;

fn unary<'py>(
    py: Python<'py>,
    stat: UnaryStat,
    x: &Bound<'py, PyAny>,
    spec: Result<RollingSpec, KernelError>,
    by: Codes<'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let spec = spec.map_err(to_py_err)?;
    run(py, x, None, by, Rolling { stat, spec })
}

fn binary<'py>(
    py: Python<'py>,
    stat: BinaryStat,
    a: &Bound<'py, PyAny>,
    b: &Bound<'py, PyAny>,
    spec: Result<RollingSpec, KernelError>,
    by: Codes<'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let spec = spec.map_err(to_py_err)?;
    run(py, a, Some(b), by, RollingPair { stat, spec })
}

macro_rules! unary_fn {
    ($name:ident, $stat:expr, ddof) => {
        #[pyfunction]
        #[pyo3(signature = (x, window, *, min_periods=None, ddof=1, by=None))]
        fn $name<'py>(
            py: Python<'py>,
            x: &Bound<'py, PyAny>,
            window: i64,
            min_periods: Option<i64>,
            ddof: i64,
            by: Codes<'py>,
        ) -> PyResult<Bound<'py, PyAny>> {
            unary(
                py,
                $stat,
                x,
                RollingSpec::new(window, min_periods, ddof),
                by,
            )
        }
    };
    ($name:ident, $stat:expr) => {
        #[pyfunction]
        #[pyo3(signature = (x, window, *, min_periods=None, by=None))]
        fn $name<'py>(
            py: Python<'py>,
            x: &Bound<'py, PyAny>,
            window: i64,
            min_periods: Option<i64>,
            by: Codes<'py>,
        ) -> PyResult<Bound<'py, PyAny>> {
            unary(py, $stat, x, RollingSpec::new(window, min_periods, 0), by)
        }
    };
}

unary_fn!(rolling_sum, UnaryStat::Sum);
unary_fn!(rolling_mean, UnaryStat::Mean);
unary_fn!(rolling_var, UnaryStat::Var, ddof);
unary_fn!(rolling_std, UnaryStat::Std, ddof);
unary_fn!(rolling_zscore, UnaryStat::Zscore, ddof);
unary_fn!(rolling_skew, UnaryStat::Skew);
unary_fn!(rolling_kurt, UnaryStat::Kurt);
unary_fn!(rolling_min, UnaryStat::Min);
unary_fn!(rolling_max, UnaryStat::Max);

macro_rules! binary_fn {
    ($name:ident, $stat:expr, $a:ident, $b:ident) => {
        #[pyfunction]
        #[pyo3(signature = ($a, $b, window, *, min_periods=None, ddof=1, by=None))]
        fn $name<'py>(
            py: Python<'py>,
            $a: &Bound<'py, PyAny>,
            $b: &Bound<'py, PyAny>,
            window: i64,
            min_periods: Option<i64>,
            ddof: i64,
            by: Codes<'py>,
        ) -> PyResult<Bound<'py, PyAny>> {
            binary(
                py,
                $stat,
                $a,
                $b,
                RollingSpec::new(window, min_periods, ddof),
                by,
            )
        }
    };
}

binary_fn!(rolling_cov, BinaryStat::Cov, x, y);
binary_fn!(rolling_corr, BinaryStat::Corr, x, y);
binary_fn!(rolling_beta, BinaryStat::Beta, y, x);

/// The excess return of `x` over `benchmark` across `window` rows (`mode` as the core names it).
#[pyfunction]
#[pyo3(signature = (x, benchmark, window, *, mode="ratio", by=None))]
fn rolling_excess_return<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    benchmark: &Bound<'py, PyAny>,
    window: i64,
    mode: &str,
    by: Codes<'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let kernel = ExcessReturn::new(window, mode.parse().map_err(to_py_err)?).map_err(to_py_err)?;
    run(py, x, Some(benchmark), by, kernel)
}

#[pyfunction]
#[pyo3(signature = (x, *, com=None, span=None, halflife=None, alpha=None, adjust=true, min_periods=0, by=None))]
#[allow(clippy::too_many_arguments)]
fn ewm_mean<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    com: Option<f64>,
    span: Option<f64>,
    halflife: Option<f64>,
    alpha: Option<f64>,
    adjust: bool,
    min_periods: i64,
    by: Codes<'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let spec = EwmSpec::new(com, span, halflife, alpha, adjust, min_periods).map_err(to_py_err)?;
    run(py, x, None, by, Ewm(spec))
}

#[pyfunction]
#[pyo3(signature = (x, periods=1, *, by=None))]
fn pct_change<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    periods: i64,
    by: Codes<'py>,
) -> PyResult<Bound<'py, PyAny>> {
    run(py, x, None, by, PctChange(periods))
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(rolling_sum, m)?)?;
    m.add_function(wrap_pyfunction!(rolling_mean, m)?)?;
    m.add_function(wrap_pyfunction!(rolling_var, m)?)?;
    m.add_function(wrap_pyfunction!(rolling_std, m)?)?;
    m.add_function(wrap_pyfunction!(rolling_zscore, m)?)?;
    m.add_function(wrap_pyfunction!(rolling_skew, m)?)?;
    m.add_function(wrap_pyfunction!(rolling_kurt, m)?)?;
    m.add_function(wrap_pyfunction!(rolling_min, m)?)?;
    m.add_function(wrap_pyfunction!(rolling_max, m)?)?;
    m.add_function(wrap_pyfunction!(rolling_cov, m)?)?;
    m.add_function(wrap_pyfunction!(rolling_corr, m)?)?;
    m.add_function(wrap_pyfunction!(rolling_beta, m)?)?;
    m.add_function(wrap_pyfunction!(rolling_excess_return, m)?)?;
    m.add_function(wrap_pyfunction!(ewm_mean, m)?)?;
    m.add_function(wrap_pyfunction!(pct_change, m)?)?;
    Ok(())
}
