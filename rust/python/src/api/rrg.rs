//! The fused Relative Rotation Graph transform.

use numpy::{PyArray1, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use sectorflow_core::{
    pivot_last as pivot_core, rrg as rrg_core, Calendar, KernelError, LongRows, PivotOptions,
    RrgColumns, RrgSpec,
};

use super::guarded;
use super::sector::slice;
use crate::errors::to_py_err;

/// A Fortran-ordered (column-major) float64 matrix as a slice.
fn columns<'a>(a: &'a PyReadonlyArray2<'_, f64>, name: &'static str) -> PyResult<&'a [f64]> {
    if !a.is_fortran_contiguous() {
        return Err(to_py_err(KernelError::invalid(
            name,
            format!("{name} must be a Fortran-ordered float64 matrix"),
        )));
    }
    a.as_slice()
        .map_err(|e| to_py_err(KernelError::invalid(name, e.to_string())))
}

/// RS-Ratio, RS-Momentum, distance, heading, velocity and quadrant code of every column of
/// `prices` (dates x series, Fortran order) against column `bench_of[j]` of `benchmarks`.
#[pyfunction]
#[pyo3(signature = (prices, benchmarks, bench_of, *, method, window, momentum_lag, ddof, ma, normalize, lookback, excess_mode))]
#[allow(clippy::too_many_arguments)]
fn rrg<'py>(
    py: Python<'py>,
    prices: PyReadonlyArray2<'py, f64>,
    benchmarks: PyReadonlyArray2<'py, f64>,
    bench_of: PyReadonlyArray1<'py, i64>,
    method: &str,
    window: i64,
    momentum_lag: i64,
    ddof: Option<i64>,
    ma: &str,
    normalize: &str,
    lookback: i64,
    excess_mode: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let spec = RrgSpec::parse(
        method,
        window,
        momentum_lag,
        ddof,
        ma,
        normalize,
        lookback,
        excess_mode,
    )
    .map_err(to_py_err)?;
    let rows = prices.shape()[0];
    if benchmarks.shape()[0] != rows {
        return Err(to_py_err(KernelError::invalid(
            "benchmark",
            format!(
                "benchmark must have {rows} rows like prices, got {}",
                benchmarks.shape()[0]
            ),
        )));
    }
    let p = columns(&prices, "prices")?;
    let b = columns(&benchmarks, "benchmark")?;
    let bench_of: Vec<usize> = bench_of
        .as_array()
        .iter()
        .map(|&c| usize::try_from(c).unwrap_or(usize::MAX))
        .collect();
    let mut cols = RrgColumns::new(p.len());
    py.detach(|| guarded(|| rrg_core(p, rows, b, &bench_of, &spec, cols.out())))?;
    let out = PyDict::new(py);
    out.set_item("rs_ratio", PyArray1::from_vec(py, cols.rs_ratio))?;
    out.set_item("rs_momentum", PyArray1::from_vec(py, cols.rs_momentum))?;
    out.set_item("distance", PyArray1::from_vec(py, cols.distance))?;
    out.set_item("heading", PyArray1::from_vec(py, cols.heading))?;
    out.set_item("velocity", PyArray1::from_vec(py, cols.velocity))?;
    out.set_item("quadrant", PyArray1::from_vec(py, cols.quadrant))?;
    Ok(out)
}

/// A long table (key code, day, value) scattered into a `bars x keys` matrix, flat in column
/// order: each cell the value of the key's latest day with a value within the bar (or its
/// change from the key's previous bar with a row, with `changes`). Returns `(cells, present,
/// None)` (`present`: which cells have a row, if asked, else None), or `(None, None, (row,
/// previous))` for two rows of one key on one day.
#[pyfunction]
#[pyo3(signature = (key, day, value, *, first_day, bar_of_day, bars, keys, present=false, changes=false))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn pivot_last<'py>(
    py: Python<'py>,
    key: PyReadonlyArray1<'py, i64>,
    day: PyReadonlyArray1<'py, i32>,
    value: PyReadonlyArray1<'py, f64>,
    first_day: i32,
    bar_of_day: PyReadonlyArray1<'py, i64>,
    bars: usize,
    keys: usize,
    present: bool,
    changes: bool,
) -> PyResult<(
    Option<Bound<'py, PyArray1<f64>>>,
    Option<Bound<'py, PyArray1<bool>>>,
    Option<(usize, usize)>,
)> {
    let rows = LongRows {
        key: slice(&key, "key")?,
        day: slice(&day, "day")?,
        value: slice(&value, "value")?,
    };
    let calendar = Calendar {
        first_day,
        bar_of_day: slice(&bar_of_day, "bar_of_day")?,
        bars,
    };
    let options = PivotOptions { present, changes };
    match py.detach(|| guarded(|| pivot_core(&rows, &calendar, keys, options)))? {
        Ok(pivot) => Ok((
            Some(PyArray1::from_vec(py, pivot.cells)),
            present.then(|| PyArray1::from_vec(py, pivot.present)),
            None,
        )),
        Err(d) => Ok((None, None, Some((d.row, d.previous)))),
    }
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(rrg, m)?)?;
    m.add_function(wrap_pyfunction!(pivot_last, m)?)?;
    Ok(())
}
