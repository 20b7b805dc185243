//! Polars expression plugins: Series to float64 values, the core kernel single-threaded, back.

mod rolling;

use pyo3_polars::export::polars_core::prelude::*;
use sectorflow_core::Column as CoreColumn;
use sectorflow_core::Validity;

use crate::errors::to_polars_err;

/// The first input as float64 values with NaN for null.
pub(crate) fn float_values(inputs: &[Series]) -> PolarsResult<(PlSmallStr, Vec<f64>)> {
    let s = inputs
        .first()
        .ok_or_else(|| PolarsError::InvalidOperation("expected one input column".into()))?;
    if !s.dtype().is_primitive_numeric() {
        return Err(PolarsError::InvalidOperation(
            format!("x must be numeric, got {}; cast first", s.dtype()).into(),
        ));
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
    Ok((s.name().clone(), out))
}

/// A float64 Series with null where the kernel wrote NaN.
pub(crate) fn float_series(name: PlSmallStr, out: Vec<f64>) -> Series {
    Float64Chunked::from_iter_options(name, out.into_iter().map(|v| (!v.is_nan()).then_some(v)))
        .into_series()
}
