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

use pyo3_polars::export::polars_arrow::array::{Array, Utf8ViewArray};
use pyo3_polars::export::polars_arrow::bitmap::Bitmap;
use pyo3_polars::export::polars_core::chunked_array::ops::sort::arg_sort;
use pyo3_polars::export::polars_core::prelude::*;
use sectorflow_core::{
    code_rows, run_groups, run_series, serial, Column as CoreColumn, Groups, Kernel, KernelError,
    KeyColumn, Validity, INLINE,
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
///
/// One integer key (or date) with no nulls is coded by its value, one string key by the core's
/// parallel coder; other keys are grouped by Polars. A table already sorted by key runs in place.
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
    let coded = match by {
        [] => Some(Groups::runs(vec![0, n])),
        [key] if key.dtype() == &DataType::String => Some(string_groups(key.str()?)),
        [key] => match Numbers::of(key)? {
            Some(Numbers::I32(v)) => int_groups(v.cont_slice()?),
            Some(Numbers::I64(v)) => int_groups(v.cont_slice()?),
            _ => None,
        },
        _ => None,
    };
    let mut groups = match coded {
        Some(groups) => groups.map_err(to_polars_err)?,
        None => polars_groups(by, n)?,
    };
    let ordered = match order_by {
        [] => Ok(()),
        [key] => match Numbers::of(key)? {
            Some(Numbers::I32(v)) => groups.order_by(v.cont_slice()?),
            Some(Numbers::I64(v)) => groups.order_by(v.cont_slice()?),
            Some(Numbers::F64(v)) => groups.order_by(v.cont_slice()?),
            None => groups.order_by(&sorted_positions(order_by)?),
        },
        _ => groups.order_by(&sorted_positions(order_by)?),
    };
    ordered.map_err(to_polars_err)?;
    Ok(groups)
}

/// One key column's values as numbers that order as Polars sorts them: 32-bit integers (and
/// dates) as they are, other integers (datetimes, durations, times) as i64, floats as f64;
/// `None` for nulls, NaN, integers past i64 or other types.
enum Numbers {
    I32(Int32Chunked),
    I64(Int64Chunked),
    F64(Float64Chunked),
}

impl Numbers {
    fn of(key: &Series) -> PolarsResult<Option<Self>> {
        let physical = key.to_physical_repr();
        if physical.null_count() > 0 {
            return Ok(None);
        }
        let dtype = physical.dtype().clone();
        let physical = if dtype == DataType::Int32 || dtype == DataType::Int64 {
            physical.rechunk()
        } else if dtype.is_integer() {
            physical.cast(&DataType::Int64)?.rechunk()
        } else if dtype.is_float() {
            physical.cast(&DataType::Float64)?.rechunk()
        } else {
            return Ok(None);
        };
        if physical.null_count() > 0 {
            return Ok(None); // an unsigned integer past i64
        }
        Ok(Some(match physical.dtype() {
            DataType::Int32 => Self::I32(physical.i32()?.clone()),
            DataType::Int64 => Self::I64(physical.i64()?.clone()),
            _ => {
                let v = physical.f64()?;
                if v.is_nan().any() {
                    return Ok(None);
                }
                Self::F64(v.clone())
            }
        }))
    }
}

/// Groups of one integer key without nulls, coded by value: the runs of a table sorted by key
/// when each value fills one run, else a counting sort. `None` when the values span more than
/// the number of rows (then Polars groups them).
fn int_groups<T: Copy + Into<i64> + Sync>(v: &[T]) -> Option<Result<Groups, KernelError>> {
    let (min, max) = v
        .iter()
        .map(|&k| k.into())
        .fold((i64::MAX, i64::MIN), |(lo, hi), k| (lo.min(k), hi.max(k)));
    let span = usize::try_from(i128::from(max) - i128::from(min) + 1).ok()?;
    if v.is_empty() || span > v.len() {
        return (v.is_empty()).then(|| Groups::runs(vec![0, 0]));
    }
    let code = |k: T| (k.into() - min) as usize;
    let mut seen = vec![false; span];
    let mut offsets = vec![0usize];
    let mut distinct = true;
    for i in 0..v.len() {
        if i == 0 || code(v[i]) != code(v[i - 1]) {
            let c = code(v[i]);
            distinct &= !std::mem::replace(&mut seen[c], true);
            if !distinct {
                break;
            }
            if i > 0 {
                offsets.push(i);
            }
        }
    }
    if distinct {
        offsets.push(v.len());
        return Some(Groups::runs(offsets));
    }
    Some(Groups::from_dense(v, span, |k| Some(code(k))))
}

/// Groups of one string key: the core codes the rows in parallel; nulls are the last group.
fn string_groups(key: &StringChunked) -> Result<Groups, KernelError> {
    let chunks: Vec<&Utf8ViewArray> = key.downcast_iter().collect();
    let coded = code_rows(&StringViews(&chunks), "by", false)?;
    let nulls = coded.first_rows.len();
    Groups::from_dense(&coded.codes, nulls + 1, |c| {
        Some(usize::try_from(c).unwrap_or(nulls))
    })
}

/// The chunks of a Polars string column as the core's key column.
struct StringViews<'a>(&'a [&'a Utf8ViewArray]);

impl KeyColumn for StringViews<'_> {
    fn parts(&self) -> usize {
        self.0.len()
    }

    fn part_len(&self, p: usize) -> usize {
        self.0[p].len()
    }

    #[inline]
    fn key(&self, p: usize, i: usize) -> Option<(&str, Option<u128>)> {
        let arr = self.0[p];
        if arr.is_null(i) {
            return None;
        }
        let view = arr.views()[i];
        let packed = (view.length as usize <= INLINE).then(|| view.as_u128());
        Some((arr.value(i), packed))
    }
}

/// Polars' hash grouping of the keys (any types, several keys, nulls), each group in row order.
fn polars_groups(by: &[Series], n: usize) -> PolarsResult<Groups> {
    let columns = by.iter().map(|s| s.clone().into_column()).collect();
    let frame = DataFrame::empty();
    let grouped = frame.group_by_with_series(columns, true, false)?;
    let mut rows: Vec<usize> = Vec::with_capacity(n);
    let mut offsets = vec![0usize];
    for g in grouped.get_groups().iter() {
        let start = rows.len();
        match g {
            GroupsIndicator::Idx((_, idx)) => rows.extend(idx.iter().map(|&i| i as usize)),
            GroupsIndicator::Slice([first, len]) => {
                rows.extend(first as usize..(first + len) as usize);
            }
        }
        let group = &mut rows[start..];
        if !group.windows(2).all(|p| p[0] < p[1]) {
            group.sort_unstable();
        }
        offsets.push(rows.len());
    }
    Groups::from_parts(rows, offsets, n).map_err(to_polars_err)
}

/// Each row's position in `order_by` order (Polars' stable sort of the key columns): keys of any
/// types, several keys and nulls order the groups through these.
fn sorted_positions(order_by: &[Series]) -> PolarsResult<Vec<u32>> {
    let columns: Vec<Column> = order_by.iter().map(|s| s.clone().into_column()).collect();
    let options = SortMultipleOptions {
        maintain_order: true,
        ..Default::default()
    };
    let sorted = arg_sort(&columns, options)?;
    let mut position = vec![0u32; sorted.len()];
    for (p, i) in sorted.into_no_null_iter().enumerate() {
        position[i as usize] = p as u32;
    }
    Ok(position)
}
