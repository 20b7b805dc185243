//! The one place kernel errors become Python and Polars errors.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::PyErr;
use pyo3_polars::export::polars_error::PolarsError;
use sectorflow_core::KernelError;

/// `UnsupportedDtype` is a `TypeError`; every other refusal is a `ValueError`.
pub(crate) fn to_py_err(e: KernelError) -> PyErr {
    match e {
        KernelError::UnsupportedDtype { .. } => PyTypeError::new_err(e.to_string()),
        KernelError::InvalidArgument { .. } | KernelError::LengthMismatch { .. } => {
            PyValueError::new_err(e.to_string())
        }
    }
}

/// The same text, as the error Polars shows for a bad expression.
pub(crate) fn to_polars_err(e: KernelError) -> PolarsError {
    PolarsError::InvalidOperation(e.to_string().into())
}
