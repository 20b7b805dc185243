//! Feature sequences for sequence models; see `sectorflow_core::sequence_features`.

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use sectorflow_core::{
    sequence_features as core, KernelError, SequenceBars, SequenceError, SequenceSpec,
    SEQUENCE_FEATURES,
};

use super::guarded;
use super::sector::slice;

/// The features (flat float32, `[entities, days * bars_per_day, width]`), their width and each
/// entity's day closes (`[entities, days]`); or the repeated rows `(row, previous)`.
#[pyfunction]
#[pyo3(signature = (entity, day, slot, open, high, low, close, vwap, volume, amount, extra, *, entities, days, bars_per_day, average_days, fill))]
#[allow(clippy::too_many_arguments)]
fn sequence_features<'py>(
    py: Python<'py>,
    entity: PyReadonlyArray1<'py, u32>,
    day: PyReadonlyArray1<'py, u32>,
    slot: PyReadonlyArray1<'py, u32>,
    open: PyReadonlyArray1<'py, f64>,
    high: PyReadonlyArray1<'py, f64>,
    low: PyReadonlyArray1<'py, f64>,
    close: PyReadonlyArray1<'py, f64>,
    vwap: PyReadonlyArray1<'py, f64>,
    volume: PyReadonlyArray1<'py, f64>,
    amount: PyReadonlyArray1<'py, f64>,
    extra: Vec<PyReadonlyArray1<'py, f64>>,
    entities: usize,
    days: usize,
    bars_per_day: usize,
    average_days: usize,
    fill: f32,
) -> PyResult<Bound<'py, PyAny>> {
    let extra = extra
        .iter()
        .map(|c| slice(c, "extra"))
        .collect::<PyResult<Vec<_>>>()?;
    let bars = SequenceBars {
        entity: slice(&entity, "entity")?,
        day: slice(&day, "day")?,
        slot: slice(&slot, "slot")?,
        open: slice(&open, "open")?,
        high: slice(&high, "high")?,
        low: slice(&low, "low")?,
        close: slice(&close, "close")?,
        vwap: slice(&vwap, "vwap")?,
        volume: slice(&volume, "volume")?,
        amount: slice(&amount, "amount")?,
        extra: &extra,
    };
    let spec = SequenceSpec {
        entities,
        days,
        bars_per_day,
        average_days,
        fill,
    };
    let result = py.detach(|| {
        guarded(|| match core(&bars, &spec) {
            Ok(s) => Ok(Ok(s)),
            Err(SequenceError::Duplicate { row, previous }) => Ok(Err((row, previous))),
            Err(SequenceError::Invalid(e)) => Err::<_, KernelError>(e),
        })
    })?;
    Ok(match result {
        Ok(s) => (
            PyArray1::from_vec(py, s.features),
            s.features_per_bar,
            PyArray1::from_vec(py, s.day_close),
        )
            .into_pyobject(py)?
            .into_any(),
        Err(rows) => rows.into_pyobject(py)?.into_any(),
    })
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(sequence_features, m)?)?;
    m.add("SEQUENCE_FEATURES", SEQUENCE_FEATURES.to_vec())?;
    Ok(())
}
