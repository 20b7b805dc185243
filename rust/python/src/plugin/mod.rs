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

mod rank;
mod rolling;

use std::borrow::Cow;

use pyo3_polars::export::polars_arrow::bitmap::Bitmap;
use pyo3_polars::export::polars_core::chunked_array::ops::sort::arg_sort;
use pyo3_polars::export::polars_core::prelude::*;
use sectorflow_core::{
    run_groups, run_series, serial, Column as CoreColumn, Groups, Kernel, KernelError, Validity,
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
    let x = nan_marked(&x)?;
    let y = y.as_ref().map(nan_marked).transpose()?;
    let mut out = vec![f64::NAN; n];
    if keyed.is_keyed() {
        let groups = keyed_groups(by, order_by, n)?;
        run_groups(&x, y.as_deref(), &groups, &mut out, kernel).map_err(to_polars_err)?;
    } else {
        serial(|| run_series(&x, y.as_deref(), &mut out, kernel, false)).map_err(to_polars_err)?;
    }
    Ok(float_series(name, out))
}

/// The rows of each distinct combination of `by` (nulls a group of their own, as in `.over`),
/// each group in `order_by` order (ties and no `order_by`: row order). No keys: one group.
fn keyed_groups(by: &[Series], order_by: &[Series], n: usize) -> PolarsResult<Groups> {
    for (s, name) in by
        .iter()
        .map(|s| (s, "by"))
        .chain(order_by.iter().map(|s| (s, "order_by")))
    {
        if s.len() != n {
            return Err(to_polars_err(KernelError::LengthMismatch {
                name,
                expected: n,
                got: s.len(),
            }));
        }
    }
    let mut rows: Vec<usize> = Vec::with_capacity(n);
    let mut offsets = vec![0usize];
    if by.is_empty() {
        rows.extend(0..n);
        offsets.push(n);
    } else if let Some(runs) = contiguous_runs(by)? {
        // Each key's rows already together (a table sorted by key): the groups are the runs.
        rows.extend(0..n);
        offsets = runs;
    } else {
        let columns = by.iter().map(|s| s.clone().into_column()).collect();
        let frame = DataFrame::empty();
        let grouped = frame.group_by_with_series(columns, true, false)?;
        for g in grouped.get_groups().iter() {
            match g {
                GroupsIndicator::Idx((_, idx)) => rows.extend(idx.iter().map(|&i| i as usize)),
                GroupsIndicator::Slice([first, len]) => {
                    rows.extend(first as usize..(first + len) as usize);
                }
            }
            offsets.push(rows.len());
        }
    }
    let key = SortKey::of(order_by)?;
    let in_order = key.as_ref().is_some_and(|k| k.ascending(&rows, &offsets));
    if !order_by.is_empty() && !in_order {
        if let Some(key) = &key {
            // One numeric key: each group sorted on its own, the groups side by side.
            let mut groups = Groups::from_parts(rows, offsets, n).map_err(to_polars_err)?;
            match key {
                SortKey::Int(v) => groups.order_by(v),
                SortKey::Float(v) => groups.order_by(v),
            }
            .map_err(to_polars_err)?;
            return Ok(groups);
        }
        // Every row in `order_by` order (stable), then dealt to its group in that order.
        let sorted = rows_in_order(order_by)?;
        let mut group_of = vec![0usize; n];
        for (g, w) in offsets.windows(2).enumerate() {
            for &i in &rows[w[0]..w[1]] {
                group_of[i] = g;
            }
        }
        let mut next = offsets.clone();
        for i in sorted {
            let slot = &mut next[group_of[i]];
            rows[*slot] = i;
            *slot += 1;
        }
    } else if order_by.is_empty() {
        for w in offsets.windows(2) {
            let group = &mut rows[w[0]..w[1]];
            if !group.windows(2).all(|p| p[0] < p[1]) {
                group.sort_unstable();
            }
        }
    }
    Groups::from_parts(rows, offsets, n).map_err(to_polars_err)
}

/// One key column's values as numbers that order as Polars sorts them: integers (and dates,
/// times, durations) as i64, floats as f64 with -0.0 as 0.0; `None` for several keys, nulls,
/// NaN or other types.
enum SortKey {
    Int(Vec<i64>),
    Float(Vec<f64>),
}

impl SortKey {
    fn of(keys: &[Series]) -> PolarsResult<Option<Self>> {
        let [key] = keys else {
            return Ok(None);
        };
        let physical = key.to_physical_repr();
        if physical.null_count() > 0 {
            return Ok(None);
        }
        if physical.dtype().is_integer() {
            let values = physical.cast(&DataType::Int64)?;
            return Ok(Some(Self::Int(values.i64()?.into_no_null_iter().collect())));
        }
        if physical.dtype().is_float() {
            let values = physical.cast(&DataType::Float64)?;
            let v: Vec<f64> = values.f64()?.into_no_null_iter().map(|x| x + 0.0).collect();
            return Ok((!v.iter().any(|x| x.is_nan())).then_some(Self::Float(v)));
        }
        Ok(None)
    }

    /// Whether the key does not decrease along each group.
    fn ascending(&self, rows: &[usize], offsets: &[usize]) -> bool {
        fn along<K: PartialOrd>(v: &[K], rows: &[usize], offsets: &[usize]) -> bool {
            offsets
                .windows(2)
                .all(|w| rows[w[0]..w[1]].windows(2).all(|p| v[p[0]] <= v[p[1]]))
        }
        match self {
            Self::Int(v) => along(v, rows, offsets),
            Self::Float(v) => along(v, rows, offsets),
        }
    }
}

/// The run boundaries of one integer-like key without nulls whose every value fills one
/// contiguous run (`0, end of run 1, ..., n`), or `None` (then Polars groups the rows).
fn contiguous_runs(by: &[Series]) -> PolarsResult<Option<Vec<usize>>> {
    let Some(SortKey::Int(v)) = SortKey::of(by)? else {
        return Ok(None);
    };
    let mut offsets = vec![0usize];
    offsets.extend((1..v.len()).filter(|&i| v[i] != v[i - 1]));
    offsets.push(v.len());
    let mut seen = std::collections::HashSet::with_capacity(offsets.len());
    let distinct = offsets[..offsets.len() - 1]
        .iter()
        .all(|&start| v.get(start).is_none_or(|x| seen.insert(*x)));
    Ok(distinct.then_some(offsets))
}

/// Row numbers in `order_by` order, ties in row order (Polars' sort of the key columns).
fn rows_in_order(order_by: &[Series]) -> PolarsResult<Vec<usize>> {
    let columns: Vec<Column> = order_by.iter().map(|s| s.clone().into_column()).collect();
    let options = SortMultipleOptions {
        maintain_order: true,
        ..Default::default()
    };
    Ok(arg_sort(&columns, options)?
        .into_no_null_iter()
        .map(|i| i as usize)
        .collect())
}
