//! `sectorflow._native`: thin PyO3 and Polars-plugin faces over `sectorflow-core`.

mod api;
mod errors;
mod input;
mod plugin;
mod pool;

use pyo3::prelude::*;
use pyo3_polars::PolarsAllocator;

// Polars plugins share Polars' allocator so buffers can cross the plugin boundary either way.
#[global_allocator]
static ALLOC: PolarsAllocator = PolarsAllocator::new();

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    api::register(m)
}
