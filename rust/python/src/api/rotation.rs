//! Top-N rotation backtests of many configurations in one call.

use numpy::{
    PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods,
};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use sectorflow_core::{top_n_rotations as core, KernelError, RotationConfig, RotationPanel};

use super::guarded;
use super::sector::slice;
use crate::errors::to_py_err;

/// NAV paths (configs x bars), and per configuration a dict of its rebalances.
type Paths<'py> = (Bound<'py, PyArray2<f64>>, Bound<'py, PyList>);

fn index(v: i64, name: &'static str) -> PyResult<usize> {
    usize::try_from(v).map_err(|_| {
        to_py_err(KernelError::invalid(
            name,
            format!("{name} must be >= 0, got {v}"),
        ))
    })
}

/// NAV paths (configs x bars; NaN before each one's first rebalance), and per configuration its
/// rebalances: start bars, one-way turnover, and the columns bought with their weights
/// (`held[held_from[k]..held_from[k + 1]]`). `returns` is bars x series; `scores` is panels of
/// rows x series (flat) and `tradable` rows x series, row `i` on bar `score_bars[i]`; the panels
/// all C order or all Fortran order.
#[pyfunction]
#[pyo3(signature = (scores, returns, tradable, rebalances, score_of, top_n, rebalance_of, *, score_bars, lag, score_weighted, cost_bps))]
#[allow(clippy::too_many_arguments)]
fn top_n_rotations<'py>(
    py: Python<'py>,
    scores: PyReadonlyArray1<'py, f64>,
    returns: PyReadonlyArray2<'py, f64>,
    tradable: PyReadonlyArray2<'py, bool>,
    rebalances: Vec<PyReadonlyArray1<'py, i64>>,
    score_of: PyReadonlyArray1<'py, i64>,
    top_n: PyReadonlyArray1<'py, i64>,
    rebalance_of: PyReadonlyArray1<'py, i64>,
    score_bars: PyReadonlyArray1<'py, i64>,
    lag: i64,
    score_weighted: bool,
    cost_bps: f64,
) -> PyResult<Paths<'py>> {
    let shape = returns.shape();
    let (bars, series) = (shape[0], shape[1]);
    // Bar by bar (C order) or series by series (Fortran order), the same for both panels.
    let column_major = !returns.is_c_contiguous() && returns.is_fortran_contiguous();
    let score_bars = score_bars
        .as_array()
        .iter()
        .map(|&b| index(b, "score_bars"))
        .collect::<PyResult<Vec<usize>>>()?;
    if tradable.shape() != [score_bars.len(), series]
        || !(if column_major {
            tradable.is_fortran_contiguous()
        } else {
            tradable.is_c_contiguous()
        })
    {
        return Err(to_py_err(KernelError::invalid(
            "tradable",
            "tradable must have a row per score bar, the returns' columns and memory order",
        )));
    }
    let rebalances = rebalances
        .iter()
        .map(|r| {
            r.as_array()
                .iter()
                .map(|&d| index(d, "rebalance"))
                .collect()
        })
        .collect::<PyResult<Vec<Vec<usize>>>>()?;
    let (score_of, top_n, rebalance_of) = (
        score_of.as_array(),
        top_n.as_array(),
        rebalance_of.as_array(),
    );
    if score_of.len() != top_n.len() || top_n.len() != rebalance_of.len() {
        return Err(to_py_err(KernelError::invalid(
            "configs",
            "score_of, top_n and rebalance_of must have one value per configuration",
        )));
    }
    let configs = score_of
        .iter()
        .zip(top_n.iter())
        .zip(rebalance_of.iter())
        .map(|((&s, &n), &r)| {
            Ok(RotationConfig {
                score: index(s, "score_of")?,
                top_n: index(n, "top_n")?,
                rebalance: index(r, "rebalance_of")?,
            })
        })
        .collect::<PyResult<Vec<_>>>()?;
    let panel = RotationPanel {
        returns: slice(&returns, "returns")?,
        score_bars: &score_bars,
        tradable: slice(&tradable, "tradable")?,
        bars,
        series,
        column_major,
        lag: index(lag, "lag")?,
        score_weighted,
        cost: cost_bps / 1e4,
    };
    let scores = slice(&scores, "scores")?;
    let paths = py.detach(|| guarded(|| core(&panel, scores, &rebalances, &configs)))?;
    let mut nav = Vec::with_capacity(paths.len() * bars);
    let rebalances = PyList::empty(py);
    let ints = |v: &[usize]| -> Vec<i64> { v.iter().map(|&b| b as i64).collect() };
    for p in paths {
        nav.extend_from_slice(&p.nav);
        let d = PyDict::new(py);
        d.set_item("starts", PyArray1::from_vec(py, ints(&p.starts)))?;
        d.set_item("turnover", PyArray1::from_vec(py, p.turnover))?;
        d.set_item("costs", PyArray1::from_vec(py, p.costs))?;
        d.set_item("held", PyArray1::from_vec(py, ints(&p.held)))?;
        d.set_item("weights", PyArray1::from_vec(py, p.weights))?;
        d.set_item("held_from", PyArray1::from_vec(py, ints(&p.held_from)))?;
        rebalances.append(d)?;
    }
    let nav = PyArray1::from_vec(py, nav).reshape([configs.len(), bars])?;
    Ok((nav, rebalances))
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(top_n_rotations, m)?)
}
