//! Stock bars to sector totals (the first step of the sector layer), fed in parts.

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use sectorflow_core::{
    valuation_sums as valuation_core, BarsError, Codes, KernelError, SectorAccumulator as Core,
    SectorCells, StockBars, ValuationRows, VALUATION_SUMS,
};

use super::guarded;
use crate::errors::to_py_err;
use crate::input::{string_chunks, string_codes, with_string_column};

/// The error of a call on an accumulator whose `finish` has run.
pub(super) fn finished() -> PyErr {
    PyValueError::new_err("this accumulator has already finished")
}

/// An out-of-order row, `(row, previous, duplicate)`, as an answer for the caller to name
/// (with its symbol and dates), not an error of ours.
pub(super) fn out_of_order(
    fed: Result<(), BarsError>,
) -> Result<Option<(usize, usize, bool)>, KernelError> {
    match fed {
        Ok(()) => Ok(None),
        Err(BarsError::OutOfOrder {
            row,
            previous,
            duplicate,
        }) => Ok(Some((row, previous, duplicate))),
        Err(BarsError::Invalid(e)) => Err(e),
    }
}

/// A contiguous array (of any dimension, C or Fortran order) as a slice, or a clear error
/// naming it.
pub(super) fn slice<'a, T: numpy::Element, D: numpy::ndarray::Dimension>(
    a: &'a numpy::PyReadonlyArray<'_, T, D>,
    name: &'static str,
) -> PyResult<&'a [T]> {
    a.as_slice()
        .map_err(|e| to_py_err(KernelError::invalid(name, format!("{name}: {e}"))))
}

/// Per (day, group) totals of long-format stock bars fed in parts (column chunks, file
/// partitions); see `sectorflow_core::SectorAccumulator`. Symbols and sectors arrive as Arrow
/// strings and are coded here, with codes kept across parts.
#[pyclass(module = "sectorflow._native")]
struct SectorAccumulator {
    inner: Option<Core>,
    symbols: Codes,
    sectors: Codes,
}

#[pymethods]
impl SectorAccumulator {
    #[new]
    #[pyo3(signature = (*, first_day, last_day))]
    fn new(first_day: i32, last_day: i32) -> PyResult<Self> {
        let inner = Core::new(first_day, last_day).map_err(to_py_err)?;
        Ok(Self {
            inner: Some(inner),
            symbols: Codes::new(),
            sectors: Codes::new(),
        })
    }

    /// The sector names seen so far, indexed by their code.
    fn sectors(&self) -> Vec<String> {
        self.sectors.names().iter().map(|s| s.to_string()).collect()
    }

    /// Adds one part. Returns `None`, or `(row, previous_row, duplicate)` (rows counted over
    /// all parts) when a symbol's days do not strictly increase, for the caller to name.
    #[pyo3(signature = (day, symbol, sector, close, volume, amount, float_mcap, weight))]
    #[allow(clippy::too_many_arguments)]
    fn feed(
        &mut self,
        py: Python<'_>,
        day: PyReadonlyArray1<'_, i32>,
        symbol: &Bound<'_, PyAny>,
        sector: &Bound<'_, PyAny>,
        close: PyReadonlyArray1<'_, f64>,
        volume: PyReadonlyArray1<'_, f64>,
        amount: PyReadonlyArray1<'_, f64>,
        float_mcap: PyReadonlyArray1<'_, f64>,
        weight: Option<PyReadonlyArray1<'_, f64>>,
    ) -> PyResult<Option<(usize, usize, bool)>> {
        let inner = self.inner.as_mut().ok_or_else(finished)?;
        let symbol = string_chunks(symbol, "symbol")?;
        let sector = string_chunks(sector, "sector")?;
        let (day, close) = (slice(&day, "date")?, slice(&close, "close")?);
        let (volume, amount) = (slice(&volume, "volume")?, slice(&amount, "amount")?);
        let float_mcap = slice(&float_mcap, "float_mcap")?;
        let weight = weight.as_ref().map(|w| slice(w, "weight")).transpose()?;
        let (symbols, sectors) = (&mut self.symbols, &mut self.sectors);
        py.detach(|| {
            guarded(|| {
                // Symbols and sectors are coded side by side, then the bars are added.
                let (symbol, sector) = sectorflow_core::join(
                    || string_codes(&symbol, "symbol", symbols),
                    || string_codes(&sector, "sector", sectors),
                )?;
                let bars = StockBars {
                    day,
                    symbol: &symbol?,
                    sector: &sector?,
                    close,
                    volume,
                    amount,
                    float_mcap,
                    weight,
                };
                out_of_order(inner.feed(&bars))
            })
        })
    }

    /// The raw sums of every (sector, day) cell, to add into an accumulator of other symbols:
    /// `sectors` (names, by code), `first_day`, `days`, `sums` (f64, per cell the fields of
    /// `SECTOR_CELL_SUMS`) and `counts` (u32, per cell those of `SECTOR_CELL_COUNTS`).
    fn cells<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let inner = self.inner.as_ref().ok_or_else(finished)?;
        let cells = inner.cells();
        // The core's sectors are the first codes (a sector none of whose rows had a close is
        // coded here but never reached the core).
        let names: Vec<String> = self.sectors.names()[..inner.sectors()]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let out = PyDict::new(py);
        out.set_item("sectors", names)?;
        out.set_item("first_day", cells.first_day)?;
        out.set_item("days", cells.days)?;
        out.set_item("sums", PyArray1::from_vec(py, cells.sums))?;
        out.set_item("counts", PyArray1::from_vec(py, cells.counts))?;
        Ok(out)
    }

    /// Adds the `cells()` of an accumulator fed other symbols over the same dates.
    #[pyo3(signature = (sectors, first_day, days, sums, counts))]
    fn add_cells(
        &mut self,
        sectors: Vec<String>,
        first_day: i32,
        days: usize,
        sums: PyReadonlyArray1<'_, f64>,
        counts: PyReadonlyArray1<'_, u32>,
    ) -> PyResult<()> {
        let inner = self.inner.as_mut().ok_or_else(finished)?;
        let code_of = sectors
            .iter()
            .map(|name| self.sectors.code(name, "sector"))
            .collect::<Result<Vec<_>, _>>()
            .map_err(to_py_err)?;
        let cells = SectorCells {
            first_day,
            days,
            sums: slice(&sums, "sums")?.to_vec(),
            counts: slice(&counts, "counts")?.to_vec(),
        };
        inner.add_cells(&cells, &code_of).map_err(to_py_err)
    }

    /// The totals of `groups` (each a list of sector codes) and the market as flat arrays
    /// (cell `day_index * groups + group`, the market last), with `first_day`, `days` and
    /// `groups`; index levels start at `base`.
    fn finish<'py>(
        &mut self,
        py: Python<'py>,
        groups: Vec<Vec<u32>>,
        base: f64,
    ) -> PyResult<Bound<'py, PyDict>> {
        let inner = self.inner.take().ok_or_else(finished)?;
        let t = py.detach(|| guarded(|| inner.finish(&groups, base)))?;
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

/// The whole-market valuation sums per (sector, day) cell, cell-major, coding the sector
/// strings in the same pass; see `sectorflow_core::valuation_sums`. Returns `(sums, rows,
/// sectors)`: `sums[(key * days + d) * 10 + c]` (`c` indexes `VALUATION_SUMS`),
/// `rows[key * days + d]`, the sectors in first-seen order.
#[pyfunction]
#[pyo3(signature = (sector, day, mcap, earnings, book, amount, float_mcap, *, first_day, days))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn valuation_sums<'py>(
    py: Python<'py>,
    sector: &Bound<'py, PyAny>,
    day: PyReadonlyArray1<'py, i32>,
    mcap: PyReadonlyArray1<'py, f64>,
    earnings: PyReadonlyArray1<'py, f64>,
    book: PyReadonlyArray1<'py, f64>,
    amount: Option<PyReadonlyArray1<'py, f64>>,
    float_mcap: Option<PyReadonlyArray1<'py, f64>>,
    first_day: i32,
    days: usize,
) -> PyResult<(
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<u32>>,
    Vec<String>,
)> {
    let chunks = string_chunks(sector, "sector")?;
    let day = slice(&day, "day")?;
    let (mcap, earnings, book) = (
        slice(&mcap, "mcap")?,
        slice(&earnings, "earnings")?,
        slice(&book, "book")?,
    );
    let amount = amount.as_ref().map(|a| slice(a, "amount")).transpose()?;
    let float_mcap = float_mcap
        .as_ref()
        .map(|a| slice(a, "float_mcap"))
        .transpose()?;
    let out = py.detach(|| {
        guarded(|| {
            with_string_column(&chunks, "sector", |column| {
                let rows = ValuationRows {
                    sector: column,
                    day,
                    mcap,
                    earnings,
                    book,
                    amount,
                    float_mcap,
                };
                valuation_core(&rows, first_day, days)
            })
        })
    })?;
    Ok((
        PyArray1::from_vec(py, out.sums),
        PyArray1::from_vec(py, out.rows),
        out.sectors,
    ))
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<SectorAccumulator>()?;
    m.add_function(wrap_pyfunction!(valuation_sums, m)?)?;
    m.add("VALUATION_SUMS", VALUATION_SUMS.to_vec())?;
    Ok(())
}
