//! Polars expression plugins: Series to float64 values, the core kernel, back.
//!
//! Every expression is one `#[polars_expr]` over [`apply`]: the same core kernels and the same
//! constructors (argument checks, messages) as the numpy/Arrow face. Null and NaN are both
//! missing on the way in; the result is null wherever the kernel writes NaN.
//!
//! Without keys the kernel runs single-threaded on the column it is given (inside `.over(...)`,
//! Polars runs the groups in parallel). With `by=` keys (and `order_by=`) the expression is one
//! call over the whole column: Polars' hash grouping finds each key's rows, each group is put in
//! `order_by` order (sorted only where it is not already), and the grouped kernel runs the groups
//! on sectorflow's own thread pool, writing every result at its row.

mod keyed;
mod rank;
mod rolling;

use pyo3_polars::export::polars_arrow::bitmap::Bitmap;
use pyo3_polars::export::polars_core::prelude::*;
use sectorflow_core::{
    pages, run_series, serial, validity_of_non_nan, Column as CoreColumn, Kernel, KernelError,
    Validity,
};
use serde::Deserialize;

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

/// The values of a float column as the core reads them.
enum Values<'a> {
    /// A single chunk, its validity bitmap (if any) read as it is.
    Chunk(CoreColumn<'a>),
    /// Several chunks joined into one slice, nulls written as NaN.
    Joined(Vec<f64>),
}

impl<'a> Values<'a> {
    fn of(ca: &'a Float64Chunked) -> PolarsResult<Self> {
        let mut columns = ca.downcast_iter().map(|arr| {
            let validity = arr
                .validity()
                .map(|bitmap| {
                    let (bytes, offset, len) = bitmap.as_slice();
                    Validity::new(bytes, offset, len)
                })
                .transpose()?;
            Ok(CoreColumn::with_validity(arr.values(), validity))
        });
        if ca.chunks().len() == 1 {
            if let Some(one) = columns.next() {
                return one.map(Values::Chunk).map_err(to_polars_err);
            }
        }
        let joined = CoreColumn::join_nan_marked(columns).map_err(to_polars_err)?;
        Ok(Values::Joined(joined.into_owned()))
    }

    fn column(&self) -> CoreColumn<'_> {
        match self {
            Values::Chunk(c) => *c,
            Values::Joined(v) => CoreColumn::new(v),
        }
    }
}

/// A float64 Series with null where the kernel wrote NaN.
fn float_series(name: PlSmallStr, out: Vec<f64>) -> Series {
    let validity = validity_of_non_nan(&out).map(|bytes| Bitmap::from_u8_vec(bytes, out.len()));
    Float64Chunked::from_vec_validity(name, out, validity).into_series()
}

/// How many inputs after the values are group keys (`by=`) and order keys (`order_by=`).
#[derive(Deserialize, Default, Clone, Copy, Debug)]
struct Keyed {
    #[serde(default)]
    by: usize,
    #[serde(default)]
    order_by: usize,
}

impl Keyed {
    fn is_keyed(self) -> bool {
        self.by + self.order_by > 0
    }
}

/// Runs `kernel` on the first input (and the second, for two-input kernels). Without keys on this
/// thread only (Polars runs the groups of `.over(...)` and `group_by` in parallel); with keys on
/// every group of the whole column at once, on sectorflow's pool.
fn apply(
    inputs: &[Series],
    kernel: &impl Kernel,
    two_inputs: bool,
    keyed: Keyed,
) -> PolarsResult<Series> {
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
    let first_key = 1 + usize::from(two_inputs);
    let keys = inputs
        .get(first_key..first_key + keyed.by + keyed.order_by)
        .ok_or_else(|| to_polars_err(KernelError::invalid("by", "missing key inputs")))?;
    let (by, order_by) = keys.split_at(keyed.by);
    let name = x.name().clone();
    let n = x.len();
    let x = Values::of(&x)?;
    let y = y.as_ref().map(Values::of).transpose()?;
    let (x, y) = (x.column(), y.as_ref().map(Values::column));
    let mut out = pages::filled(n, f64::NAN);
    if keyed.is_keyed() {
        keyed::run_keyed(x, y, by, order_by, &mut out, kernel)?;
    } else {
        let (x, y) = (x.to_nan_marked(), y.map(|y| y.to_nan_marked()));
        serial(|| run_series(&x, y.as_deref(), &mut out, kernel, false)).map_err(to_polars_err)?;
    }
    Ok(float_series(name, out))
}
