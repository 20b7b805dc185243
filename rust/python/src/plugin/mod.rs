//! Polars expression plugins: Series to float64 values, the core kernel single-threaded, back.
//!
//! Every expression is one `#[polars_expr]` over [`apply`]: the same core kernels and the same
//! constructors (argument checks, messages) as the numpy/Arrow face. Null and NaN are both
//! missing on the way in; the result is null wherever the kernel writes NaN.

mod rank;
mod rolling;

use pyo3_polars::export::polars_arrow::bitmap::Bitmap;
use pyo3_polars::export::polars_core::prelude::*;
use sectorflow_core::{run_series, serial, Column as CoreColumn, Kernel, KernelError, Validity};

use crate::errors::to_polars_err;

/// Input `index` (named `name` in messages) as float64 values with NaN for null.
fn float_values(inputs: &[Series], index: usize, name: &'static str) -> PolarsResult<Vec<f64>> {
    let s = inputs.get(index).ok_or_else(|| {
        to_polars_err(KernelError::invalid(name, format!("missing input {name}")))
    })?;
    if !s.dtype().is_primitive_numeric() {
        return Err(to_polars_err(KernelError::invalid(
            name,
            format!("{name} must be numeric, got {}; cast first", s.dtype()),
        )));
    }
    let cast = s.cast(&DataType::Float64)?;
    let ca = cast.f64()?;
    let mut out = Vec::with_capacity(ca.len());
    for arr in ca.downcast_iter() {
        let validity = match arr.validity() {
            None => None,
            Some(bitmap) => {
                let (bytes, offset, len) = bitmap.as_slice();
                Some(Validity::new(bytes, offset, len).map_err(to_polars_err)?)
            }
        };
        out.extend_from_slice(&CoreColumn::with_validity(arr.values(), validity).to_nan_marked());
    }
    Ok(out)
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
    let name = inputs
        .first()
        .map_or_else(PlSmallStr::default, |s| s.name().clone());
    let x = float_values(inputs, 0, "x")?;
    let y = if two_inputs {
        let y = float_values(inputs, 1, "y")?;
        if y.len() != x.len() {
            return Err(to_polars_err(KernelError::LengthMismatch {
                name: "y",
                expected: x.len(),
                got: y.len(),
            }));
        }
        Some(y)
    } else {
        None
    };
    let mut out = vec![f64::NAN; x.len()];
    serial(|| run_series(&x, y.as_deref(), &mut out, kernel, false)).map_err(to_polars_err)?;
    Ok(float_series(name, out))
}
