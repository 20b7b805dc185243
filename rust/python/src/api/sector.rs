//! Stock bars to sector totals (the first step of the sector layer), fed in parts.

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use sectorflow_core::{BarsError, KernelError, SectorAccumulator as Core, StockBars};

use super::guarded;
use crate::errors::to_py_err;

fn slice<'a, T: numpy::Element>(
    a: &'a PyReadonlyArray1<'_, T>,
    name: &'static str,
) -> PyResult<&'a [T]> {
    a.as_slice()
        .map_err(|e| to_py_err(KernelError::invalid(name, format!("{name}: {e}"))))
}

/// Per (day, group) totals of long-format stock bars fed in parts (column chunks, file
/// partitions); see `sectorflow_core::SectorAccumulator`.
#[pyclass(module = "sectorflow._native")]
struct SectorAccumulator {
    inner: Option<Core>,
}

#[pymethods]
impl SectorAccumulator {
    #[new]
    #[pyo3(signature = (*, groups_of, groups, first_day, last_day))]
    fn new(
        groups_of: Vec<Vec<usize>>,
        groups: usize,
        first_day: i32,
        last_day: i32,
    ) -> PyResult<Self> {
        let inner = Core::new(groups_of, groups, first_day, last_day).map_err(to_py_err)?;
        Ok(Self { inner: Some(inner) })
    }

    /// Adds one part. Returns `None`, or `(row, previous_row, duplicate)` (rows counted over
    /// all parts) when a symbol's days do not strictly increase, for the caller to name.
    #[pyo3(signature = (day, symbol, sector, close, volume, amount, float_mcap, weight))]
    #[allow(clippy::too_many_arguments)]
    fn feed(
        &mut self,
        py: Python<'_>,
        day: PyReadonlyArray1<'_, i32>,
        symbol: PyReadonlyArray1<'_, u32>,
        sector: PyReadonlyArray1<'_, u32>,
        close: PyReadonlyArray1<'_, f64>,
        volume: PyReadonlyArray1<'_, f64>,
        amount: PyReadonlyArray1<'_, f64>,
        float_mcap: PyReadonlyArray1<'_, f64>,
        weight: Option<PyReadonlyArray1<'_, f64>>,
    ) -> PyResult<Option<(usize, usize, bool)>> {
        let inner = self
            .inner
            .as_mut()
            .ok_or_else(|| PyValueError::new_err("this accumulator has already finished"))?;
        let bars = StockBars {
            day: slice(&day, "date")?,
            symbol: slice(&symbol, "symbol")?,
            sector: slice(&sector, "sector")?,
            close: slice(&close, "close")?,
            volume: slice(&volume, "volume")?,
            amount: slice(&amount, "amount")?,
            float_mcap: slice(&float_mcap, "float_mcap")?,
            weight: weight.as_ref().map(|w| slice(w, "weight")).transpose()?,
        };
        // An out-of-order row is an answer for the caller to name, not an error of ours.
        let mut report = None;
        py.detach(|| {
            guarded(|| match inner.feed(&bars) {
                Ok(()) => Ok(()),
                Err(BarsError::OutOfOrder {
                    row,
                    previous,
                    duplicate,
                }) => {
                    report = Some((row, previous, duplicate));
                    Ok(())
                }
                Err(BarsError::Invalid(e)) => Err(e),
            })
        })?;
        Ok(report)
    }

    /// The totals as flat arrays (cell `day_index * groups + group`, the market last), with
    /// `first_day`, `days` and `groups`; index levels start at `base`.
    fn finish<'py>(&mut self, py: Python<'py>, base: f64) -> PyResult<Bound<'py, PyDict>> {
        let inner = self
            .inner
            .take()
            .ok_or_else(|| PyValueError::new_err("this accumulator has already finished"))?;
        let t = py.detach(|| inner.finish(base));
        let out = PyDict::new(py);
        out.set_item("first_day", t.first_day)?;
        out.set_item("days", t.days)?;
        out.set_item("groups", t.groups)?;
        out.set_item("return", PyArray1::from_vec(py, t.ret))?;
        out.set_item("level", PyArray1::from_vec(py, t.level))?;
        out.set_item("amount", PyArray1::from_vec(py, t.amount))?;
        out.set_item("volume", PyArray1::from_vec(py, t.volume))?;
        out.set_item("float_mcap", PyArray1::from_vec(py, t.float_mcap))?;
        out.set_item("members", PyArray1::from_vec(py, t.members))?;
        out.set_item("with_return", PyArray1::from_vec(py, t.with_return))?;
        out.set_item("risers", PyArray1::from_vec(py, t.risers))?;
        Ok(out)
    }
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<SectorAccumulator>()?;
    Ok(())
}
