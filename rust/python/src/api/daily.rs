//! Intraday bars to daily bars, fed in parts (the minute files of `sectorflow recompute`).

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use sectorflow_core::{Codes, DailyAccumulator as Core, IntradayBars};

use super::guarded;
use super::sector::{finished, out_of_order, slice};
use crate::input::{string_chunks, string_codes};

/// Daily open/high/low/close/volume/amount per symbol of intraday bars fed in parts; see
/// `sectorflow_core::DailyAccumulator`.
#[pyclass(module = "sectorflow._native")]
struct DailyAccumulator {
    inner: Option<Core>,
    symbols: Codes,
}

#[pymethods]
impl DailyAccumulator {
    #[new]
    fn new() -> Self {
        Self {
            inner: Some(Core::new()),
            symbols: Codes::new(),
        }
    }

    /// Adds one part. Returns `None`, or `(row, previous_row, duplicate)` (rows counted over all
    /// parts) when a symbol's bar is not after its previous one, for the caller to name.
    #[pyo3(signature = (day, time, symbol, open, high, low, close, volume, amount))]
    #[allow(clippy::too_many_arguments)]
    fn feed(
        &mut self,
        py: Python<'_>,
        day: PyReadonlyArray1<'_, i32>,
        time: PyReadonlyArray1<'_, i64>,
        symbol: &Bound<'_, PyAny>,
        open: PyReadonlyArray1<'_, f64>,
        high: PyReadonlyArray1<'_, f64>,
        low: PyReadonlyArray1<'_, f64>,
        close: PyReadonlyArray1<'_, f64>,
        volume: PyReadonlyArray1<'_, f64>,
        amount: Option<PyReadonlyArray1<'_, f64>>,
    ) -> PyResult<Option<(usize, usize, bool)>> {
        let inner = self.inner.as_mut().ok_or_else(finished)?;
        let symbol = string_chunks(symbol, "symbol")?;
        let bars_day = slice(&day, "date")?;
        let bars_time = slice(&time, "datetime")?;
        let (open, high) = (slice(&open, "open")?, slice(&high, "high")?);
        let (low, close) = (slice(&low, "low")?, slice(&close, "close")?);
        let volume = slice(&volume, "volume")?;
        let amount = amount.as_ref().map(|a| slice(a, "amount")).transpose()?;
        let symbols = &mut self.symbols;
        let report = py.detach(|| {
            guarded(|| {
                let codes = string_codes(&symbol, "symbol", symbols)?;
                let bars = IntradayBars {
                    day: bars_day,
                    time: bars_time,
                    symbol: &codes,
                    open,
                    high,
                    low,
                    close,
                    volume,
                    amount,
                };
                out_of_order(inner.feed(&bars))
            })
        })?;
        Ok(report)
    }

    /// The daily bars as arrays (`symbol` as codes into `symbols`), one row per symbol and day.
    fn finish<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let inner = self.inner.take().ok_or_else(finished)?;
        let d = py.detach(|| inner.finish());
        let out = PyDict::new(py);
        let names: Vec<String> = self.symbols.names().iter().map(|s| s.to_string()).collect();
        out.set_item("symbols", names)?;
        out.set_item("day", PyArray1::from_vec(py, d.day))?;
        out.set_item("symbol", PyArray1::from_vec(py, d.symbol))?;
        out.set_item("open", PyArray1::from_vec(py, d.open))?;
        out.set_item("high", PyArray1::from_vec(py, d.high))?;
        out.set_item("low", PyArray1::from_vec(py, d.low))?;
        out.set_item("close", PyArray1::from_vec(py, d.close))?;
        out.set_item("volume", PyArray1::from_vec(py, d.volume))?;
        out.set_item("amount", PyArray1::from_vec(py, d.amount))?;
        out.set_item("bars", PyArray1::from_vec(py, d.bars))?;
        out.set_item("last_row", PyArray1::from_vec(py, d.last_row))?;
        Ok(out)
    }
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<DailyAccumulator>()?;
    Ok(())
}
