//! `#[pyfunction]` faces: parse, run the core with the GIL released, wrap.

mod minute;
mod rank;
mod rolling;
mod rotation;
mod rrg;
mod sector;
mod sequences;

use std::borrow::Cow;

use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use sectorflow_core::{run_columns, run_groups, run_series, Groups, Kernel, KernelError, Matrix};

use crate::errors::to_py_err;
use crate::input::{Source, Values};
use crate::pool::{matrix_out, series_out};

/// `by=` as Python hands it over: int64 key codes, or groups built once from them.
#[derive(FromPyObject)]
pub(crate) enum By<'py> {
    Groups(PyRef<'py, KeyGroups>),
    Codes(PyReadonlyArray1<'py, i64>),
}

/// The `by=` argument of every kernel.
pub(crate) type Keys<'py> = Option<By<'py>>;

/// Key codes grouped once (the rows of each key, in order), for `GroupKeys` to reuse across
/// kernel calls instead of grouping its codes again on every call.
#[pyclass(module = "sectorflow._native", frozen)]
pub(crate) struct KeyGroups {
    groups: Groups,
    rows: usize,
}

#[pymethods]
impl KeyGroups {
    #[new]
    fn new(py: Python<'_>, codes: PyReadonlyArray1<'_, i64>) -> PyResult<Self> {
        let codes: Cow<'_, [i64]> = match codes.as_slice() {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => Cow::Owned(codes.as_array().to_vec()),
        };
        let rows = codes.len();
        let groups = py.detach(|| guarded(|| Groups::from_codes(&codes)))?;
        Ok(Self { groups, rows })
    }

    fn __len__(&self) -> usize {
        self.rows
    }
}

/// Groups of `by`: borrowed when built once, else built from the codes now.
enum GroupsOf<'a> {
    Built(&'a Groups),
    Codes(Cow<'a, [i64]>),
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    rolling::register(m)?;
    rank::register(m)?;
    rrg::register(m)?;
    rotation::register(m)?;
    sector::register(m)?;
    minute::register(m)?;
    sequences::register(m)?;
    m.add_function(wrap_pyfunction!(set_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(get_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(string_keys, m)?)?;
    m.add_class::<KeyGroups>()?;
    Ok(())
}

/// Codes of every row and the first row of each code.
type Coded<'py> = (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<usize>>);

/// Dense int64 codes of an Arrow string column (`-1` for a null), for `GroupKeys` and pivots, in
/// first-seen order (or the keys' sorted order with `sort`), and the first row of each code:
/// short keys compare as their 16-byte views, runs of a key cost one compare, and the rows are
/// coded in parallel pieces.
#[pyfunction]
#[pyo3(signature = (keys, *, sort = false))]
fn string_keys<'py>(py: Python<'py>, keys: &Bound<'py, PyAny>, sort: bool) -> PyResult<Coded<'py>> {
    let chunks = crate::input::string_chunks(keys, "by")?;
    let (codes, first) =
        py.detach(|| guarded(|| crate::input::string_keys(&chunks, "by", sort)))?;
    Ok((PyArray1::from_vec(py, codes), PyArray1::from_vec(py, first)))
}

/// Sets how many threads 2-D and grouped inputs run on.
#[pyfunction]
fn set_num_threads(n: i64) -> PyResult<()> {
    sectorflow_core::set_num_threads(n).map_err(to_py_err)
}

/// How many threads 2-D and grouped inputs run on.
#[pyfunction]
fn get_num_threads() -> usize {
    sectorflow_core::current_num_threads()
}

/// Runs a kernel call, turning its error into the Python exception and a panic (a bug of ours,
/// never expected) into a `RuntimeError` instead of letting it cross into Python.
fn guarded<R>(f: impl FnOnce() -> Result<R, KernelError>) -> PyResult<R> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(result) => result.map_err(to_py_err),
        Err(_) => Err(PyRuntimeError::new_err(
            "sectorflow internal error (a kernel panicked); please report it with the input shape",
        )),
    }
}

/// Runs `kernel` on `x` (and `y`): once for a 1-D series, per key of `by`, or per column of a matrix.
///
/// The result is a numpy array filled with the GIL released: a large one reuses a result array
/// Python has freed since (see `crate::pool`), a new one is allocated by numpy (which asks the OS
/// for huge pages on large arrays, so first-touch page faults stay cheaper).
pub(crate) fn run<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    y: Option<&Bound<'py, PyAny>>,
    by: Keys<'py>,
    kernel: impl Kernel,
) -> PyResult<Bound<'py, PyAny>> {
    let xs = Source::extract(x, "x")?;
    let ys = y.map(|y| Source::extract(y, "y")).transpose()?;
    let xv = xs.values("x").map_err(to_py_err)?;
    let yv = ys
        .as_ref()
        .map(|s| s.values("y"))
        .transpose()
        .map_err(to_py_err)?;
    // Key codes are borrowed (Python hands over a contiguous int64 array); copied only if strided.
    let codes: Option<(usize, GroupsOf<'_>)> = by.as_ref().map(|b| match b {
        By::Groups(g) => (g.rows, GroupsOf::Built(&g.groups)),
        By::Codes(c) => {
            let codes = match c.as_slice() {
                Ok(s) => Cow::Borrowed(s),
                Err(_) => Cow::Owned(c.as_array().to_vec()),
            };
            (codes.len(), GroupsOf::Codes(codes))
        }
    });
    match (xv, yv) {
        (Values::Series(x), y) => {
            let y = match y {
                None => None,
                Some(Values::Series(y)) => Some(y),
                Some(Values::Matrix { .. }) => {
                    return Err(to_py_err(KernelError::invalid(
                        "y",
                        "y must be 1-D like x, got 2-D",
                    )));
                }
            };
            let n = x.len();
            let check = |name: &'static str, got: usize| {
                if got == n {
                    Ok(())
                } else {
                    Err(to_py_err(KernelError::LengthMismatch {
                        name,
                        expected: n,
                        got,
                    }))
                }
            };
            if let Some(y) = &y {
                check("y", y.len())?;
            }
            if let Some((rows, _)) = &codes {
                check("by", *rows)?;
            }
            let result = series_out(py, n)?;
            let mut guard = result.readwrite();
            let out = guard
                .as_slice_mut()
                .map_err(|e| to_py_err(KernelError::invalid("x", e.to_string())))?;
            py.detach(|| {
                guarded(|| match &codes {
                    None => run_series(&x, y.as_deref(), out, &kernel, true),
                    Some((_, GroupsOf::Built(groups))) => {
                        run_groups(&x, y.as_deref(), groups, out, &kernel)
                    }
                    Some((_, GroupsOf::Codes(c))) => {
                        let groups = Groups::from_codes(c)?;
                        run_groups(&x, y.as_deref(), &groups, out, &kernel)
                    }
                })
            })?;
            drop(guard);
            Ok(result.into_any())
        }
        (
            Values::Matrix {
                data,
                rows,
                cols,
                layout,
            },
            y,
        ) => {
            if codes.is_some() {
                return Err(to_py_err(KernelError::invalid(
                    "by",
                    "by= needs 1-D x (long format); a 2-D x already holds one series per column",
                )));
            }
            let ym = match &y {
                None => None,
                Some(Values::Matrix {
                    data,
                    rows,
                    cols,
                    layout,
                }) => Some(Matrix::new(data, *rows, *cols, *layout).map_err(to_py_err)?),
                Some(Values::Series(_)) => {
                    return Err(to_py_err(KernelError::invalid(
                        "y",
                        "y must be 2-D like x, got 1-D",
                    )));
                }
            };
            let xm = Matrix::new(&data, rows, cols, layout).map_err(to_py_err)?;
            let result = matrix_out(py, rows, cols, layout)?;
            let mut guard = result.readwrite();
            let out = guard
                .as_slice_mut()
                .map_err(|e| to_py_err(KernelError::invalid("x", e.to_string())))?;
            py.detach(|| guarded(|| run_columns(&xm, ym.as_ref(), out, &kernel)))?;
            drop(guard);
            Ok(result.into_any())
        }
    }
}
