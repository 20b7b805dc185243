//! Polars expression plugins: Series to float64 values, the core kernel single-threaded, back.
//!
//! Every expression is one `#[polars_expr]` over [`apply`]: the same core kernels and the same
//! constructors (argument checks, messages) as the numpy/Arrow face. Null and NaN are both
//! missing on the way in; the result is null wherever the kernel writes NaN.

mod rank;
mod rolling;

use std::borrow::Cow;

use pyo3_polars::export::polars_arrow::bitmap::Bitmap;
use pyo3_polars::export::polars_core::prelude::*;
use sectorflow_core::{run_series, serial, Column as CoreColumn, Kernel, KernelError, Validity};

use crate::errors::to_polars_err;

/// Input `index` (named `name` in messages) cast to float64.
fn float_input(
    inputs: &[Series],
    index: usize,
    name: &'static str,
) -> PolarsResult<Float64Chunked> {
    let s = inputs.get(index).ok_or_else(|| {
        to_polars_err(KernelError::invalid(name, format!("missing input {name}")))
    })?;
    if !s.dtype().is_numeric() {
        return Err(to_polars_err(KernelError::invalid(
            name,
            format!("{name} must be numeric, got {}; cast first", s.dtype()),
        )));
    }
    Ok(s.cast(&DataType::Float64)?.f64()?.clone())
}

/// The values with NaN for null, borrowed from a single chunk without nulls.
fn nan_marked(ca: &Float64Chunked) -> PolarsResult<Cow<'_, [f64]>> {
    let columns = ca.downcast_iter().map(|arr| {
        let validity = arr
            .validity()
            .map(|bitmap| {
                let (bytes, offset, len) = bitmap.as_slice();
                Validity::new(bytes, offset, len)
            })
            .transpose()?;
        Ok(CoreColumn::with_validity(arr.values(), validity))
    });
    CoreColumn::join_nan_marked(columns).map_err(to_polars_err)
}

/// A float64 Series with null where the kernel wrote NaN.
fn float_series(name: PlSmallStr, out: Vec<f64>) -> Series {
    let validity = out
        .iter()
        .any(|v| v.is_nan())
        .then(|| out.iter().map(|v| !v.is_nan()).collect::<Bitmap>());
    Float64Chunked::from_vec_validity(name, out, validity).into_series()
}

/// Runs `kernel` on the first input (and the second, for two-input kernels) on this thread only:
/// Polars already runs the groups of `.over(...)` and `group_by` in parallel.
fn apply(inputs: &[Series], kernel: &impl Kernel, two_inputs: bool) -> PolarsResult<Series> {
    let x = float_input(inputs, 0, "x")?;
    let y = two_inputs
        .then(|| float_input(inputs, 1, "y"))
        .transpose()?;
    if let Some(y) = &y {
        if y.len() != x.len() {
            return Err(to_polars_err(KernelError::LengthMismatch {
                name: "y",
                expected: x.len(),
                got: y.len(),
            }));
        }
    }
    let name = x.name().clone();
    let x = nan_marked(&x)?;
    let y = y.as_ref().map(nan_marked).transpose()?;
    let mut out = vec![f64::NAN; x.len()];
    serial(|| run_series(&x, y.as_deref(), &mut out, kernel, false)).map_err(to_polars_err)?;
    Ok(float_series(name, out))
}
