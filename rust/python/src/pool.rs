//! Large result arrays, kept for the next call once Python has freed them.
//!
//! A fresh 40 MB result costs ~4 ms of the OS zeroing its pages as the kernel first writes them:
//! a quarter of a rolling mean over a 2,500 x 2,000 panel, with two threads. Results of at least
//! [`POOLED_MIN`] values are therefore views of a numpy array held by a [`ResultBuffer`]; when
//! the last view dies, the array goes back to a small pool and the next result of the same size
//! is written over its pages, as an allocator reuses its free blocks. Every kernel writes every
//! value of its result, so what a reused array held before never shows.

use std::sync::Mutex;

use numpy::ndarray::{ArrayView1, ArrayView2, ShapeBuilder};
use numpy::{PyArray1, PyArray2, PyArrayMethods};
use pyo3::prelude::*;
use sectorflow_core::Layout;

/// Smaller results come straight from numpy: their pages are few, or already mapped.
const POOLED_MIN: usize = 1 << 18;

/// The pool holds at most this many bytes of free arrays; an array that would pass it is freed.
const POOL_BYTES: usize = 256 << 20;

/// Free arrays and their lengths.
static FREE: Mutex<Vec<(usize, Py<PyArray1<f64>>)>> = Mutex::new(Vec::new());

/// The owner of a pooled array, set as the base of the result views; dropping it (with the last
/// view) hands the array back to the pool.
#[pyclass(module = "sectorflow._native", frozen)]
pub(crate) struct ResultBuffer {
    array: Option<Py<PyArray1<f64>>>,
    len: usize,
}

impl Drop for ResultBuffer {
    fn drop(&mut self) {
        let Some(array) = self.array.take() else {
            return;
        };
        let Ok(mut free) = FREE.lock() else {
            return;
        };
        let held: usize = free.iter().map(|(n, _)| n * size_of::<f64>()).sum();
        if held + self.len * size_of::<f64>() <= POOL_BYTES {
            free.push((self.len, array));
        }
    }
}

/// A free array of `n` values from the pool (the last freed: its pages are the likeliest still
/// in cache), or a new one.
fn take(py: Python<'_>, n: usize) -> Bound<'_, PyArray1<f64>> {
    let reused = FREE.lock().ok().and_then(|mut free| {
        let at = free.iter().rposition(|(len, _)| *len == n)?;
        Some(free.remove(at).1)
    });
    match reused {
        Some(array) => array.into_bound(py),
        None => PyArray1::zeros(py, n, false),
    }
}

/// The owner of `array`, to be the base of views of it.
fn owner<'py>(array: &Bound<'py, PyArray1<f64>>, n: usize) -> PyResult<Bound<'py, PyAny>> {
    let buffer = ResultBuffer {
        array: Some(array.clone().unbind()),
        len: n,
    };
    Ok(Bound::new(array.py(), buffer)?.into_any())
}

/// A 1-D float64 array of `n` values for a kernel to fill (contents unspecified).
pub(crate) fn series_out(py: Python<'_>, n: usize) -> PyResult<Bound<'_, PyArray1<f64>>> {
    if n < POOLED_MIN {
        return Ok(PyArray1::zeros(py, n, false));
    }
    let array = take(py, n);
    // SAFETY: the view is read only to build the result; the owner keeps `array` alive (and
    // unresized: no one else holds it) for as long as the result exists.
    unsafe {
        let view: ArrayView1<'_, f64> = array.as_array();
        Ok(PyArray1::borrow_from_array(&view, owner(&array, n)?))
    }
}

/// A `rows x cols` float64 array laid out like the input (C order for row-major, Fortran order
/// for column-major) for a kernel to fill (contents unspecified).
pub(crate) fn matrix_out(
    py: Python<'_>,
    rows: usize,
    cols: usize,
    layout: Layout,
) -> PyResult<Bound<'_, PyArray2<f64>>> {
    let fortran = layout == Layout::ColMajor;
    let n = rows * cols;
    if n < POOLED_MIN {
        return Ok(PyArray2::zeros(py, [rows, cols], fortran));
    }
    let array = take(py, n);
    // SAFETY: as in `series_out`; the pooled array is contiguous and holds rows * cols values.
    unsafe {
        let values = array.as_slice().map_err(|e| {
            pyo3::exceptions::PyRuntimeError::new_err(format!("pooled result: {e}"))
        })?;
        let view = ArrayView2::from_shape((rows, cols).set_f(fortran), values).map_err(|e| {
            pyo3::exceptions::PyRuntimeError::new_err(format!("pooled result: {e}"))
        })?;
        Ok(PyArray2::borrow_from_array(&view, owner(&array, n)?))
    }
}
