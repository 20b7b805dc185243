//! Minute bars to session bars, daily bars and intraday features, fed in parts (Arrow record
//! batches of a minute-bar dataset).

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use sectorflow_core::{
    Codes, KernelError, MinuteAccumulator as Core, MinuteBars, MinuteError, MinuteSpec, Outside,
    Session,
};

use super::guarded;
use super::sector::{finished, slice};
use crate::errors::to_py_err;
use crate::input::{string_chunks, string_codes};

/// Session bars, daily bars and features per symbol of minute bars fed in parts; see
/// `sectorflow_core::MinuteAccumulator`.
#[pyclass(module = "sectorflow._native")]
struct MinuteAccumulator {
    inner: Option<Core>,
    symbols: Codes,
}

/// A refused row as an answer for the caller to name: `("order", row, previous, duplicate)` or
/// `("outside", row, row, false)`.
type Refusal = (&'static str, usize, usize, bool);

#[pymethods]
impl MinuteAccumulator {
    #[new]
    #[pyo3(signature = (*, segments, unit_per_minute, label_right, every, outside))]
    fn new(
        segments: Vec<(u32, u32)>,
        unit_per_minute: i64,
        label_right: bool,
        every: Option<u32>,
        outside: &str,
    ) -> PyResult<Self> {
        let outside = match outside {
            "drop" => Outside::Drop,
            "keep" => Outside::Keep,
            "refuse" => Outside::Refuse,
            other => {
                return Err(to_py_err(KernelError::invalid(
                    "outside",
                    format!("outside must be 'drop', 'keep' or 'refuse', got {other:?}"),
                )));
            }
        };
        let session = Session::new(&segments).map_err(to_py_err)?;
        let spec = MinuteSpec {
            session,
            unit_per_minute,
            label_right,
            every,
            outside,
        };
        Ok(Self {
            inner: Some(Core::new(spec).map_err(to_py_err)?),
            symbols: Codes::new(),
        })
    }

    /// Adds one part. Returns `None`, or a refused row (counted over all parts) for the caller
    /// to name.
    #[pyo3(signature = (time, symbol, open, high, low, close, volume, amount))]
    #[allow(clippy::too_many_arguments)]
    fn feed(
        &mut self,
        py: Python<'_>,
        time: PyReadonlyArray1<'_, i64>,
        symbol: &Bound<'_, PyAny>,
        open: PyReadonlyArray1<'_, f64>,
        high: PyReadonlyArray1<'_, f64>,
        low: PyReadonlyArray1<'_, f64>,
        close: PyReadonlyArray1<'_, f64>,
        volume: PyReadonlyArray1<'_, f64>,
        amount: Option<PyReadonlyArray1<'_, f64>>,
    ) -> PyResult<Option<Refusal>> {
        let inner = self.inner.as_mut().ok_or_else(finished)?;
        let symbol = string_chunks(symbol, "symbol")?;
        let time = slice(&time, "datetime")?;
        let (open, high) = (slice(&open, "open")?, slice(&high, "high")?);
        let (low, close) = (slice(&low, "low")?, slice(&close, "close")?);
        let volume = slice(&volume, "volume")?;
        let amount = amount.as_ref().map(|a| slice(a, "amount")).transpose()?;
        let symbols = &mut self.symbols;
        py.detach(|| {
            guarded(|| {
                let codes = string_codes(&symbol, "symbol", symbols)?;
                let bars = MinuteBars {
                    time,
                    symbol: &codes,
                    open,
                    high,
                    low,
                    close,
                    volume,
                    amount,
                };
                match inner.feed(&bars) {
                    Ok(()) => Ok(None),
                    Err(MinuteError::OutOfOrder {
                        row,
                        previous,
                        duplicate,
                    }) => Ok(Some(("order", row, previous, duplicate))),
                    Err(MinuteError::OutsideSession { row }) => {
                        Ok(Some(("outside", row, row, false)))
                    }
                    Err(MinuteError::Invalid(e)) => Err(e),
                }
            })
        })
    }

    /// `(bars, days)`: dicts of arrays (`symbol` as codes into `symbols`).
    fn finish<'py>(
        &mut self,
        py: Python<'py>,
    ) -> PyResult<(Bound<'py, PyDict>, Bound<'py, PyDict>, Vec<String>)> {
        let inner = self.inner.take().ok_or_else(finished)?;
        let (b, d) = py.detach(|| inner.finish());
        let names: Vec<String> = self.symbols.names().iter().map(|s| s.to_string()).collect();
        let bars = PyDict::new(py);
        bars.set_item("day", PyArray1::from_vec(py, b.day))?;
        bars.set_item("minute", PyArray1::from_vec(py, b.minute))?;
        bars.set_item("symbol", PyArray1::from_vec(py, b.symbol))?;
        for (name, v) in [
            ("open", b.open),
            ("high", b.high),
            ("low", b.low),
            ("close", b.close),
            ("volume", b.volume),
            ("amount", b.amount),
        ] {
            bars.set_item(name, PyArray1::from_vec(py, v))?;
        }
        bars.set_item("minutes", PyArray1::from_vec(py, b.minutes))?;
        let days = PyDict::new(py);
        days.set_item("day", PyArray1::from_vec(py, d.day))?;
        days.set_item("symbol", PyArray1::from_vec(py, d.symbol))?;
        days.set_item("minutes", PyArray1::from_vec(py, d.minutes))?;
        days.set_item("last_row", PyArray1::from_vec(py, d.last_row))?;
        for (name, v) in [
            ("open", d.open),
            ("high", d.high),
            ("low", d.low),
            ("close", d.close),
            ("volume", d.volume),
            ("amount", d.amount),
            ("realized_variance", d.realized_variance),
            ("realized_skew", d.realized_skew),
            ("intraday_return", d.intraday_return),
            ("overnight_return", d.overnight_return),
            ("first_30_return", d.first_30_return),
            ("first_30_volume_share", d.first_30_volume),
            ("last_30_return", d.last_30_return),
            ("last_30_volume_share", d.last_30_volume),
            ("range_to_vwap", d.range_to_vwap),
            ("amihud", d.amihud),
            ("max_drawdown", d.max_drawdown),
            ("volume_price_corr", d.volume_price_corr),
        ] {
            days.set_item(name, PyArray1::from_vec(py, v))?;
        }
        Ok((bars, days, names))
    }
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<MinuteAccumulator>()?;
    Ok(())
}
