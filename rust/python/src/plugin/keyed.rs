//! `by=` and `order_by=` of the expressions: one call over the whole column, the groups run on
//! sectorflow's pool, every result at its row.
//!
//! One integer key (or date) without nulls is coded by its value, one string key by the core's
//! parallel coder: the core's counting sort then carries each group's values and order keys
//! together ([`run_coded`]). A table already sorted by key runs in place. Other keys (several,
//! nulls in a numeric key, other types) are grouped by Polars.

use pyo3_polars::export::polars_arrow::array::{Array, Utf8ViewArray};
use pyo3_polars::export::polars_core::chunked_array::ops::sort::arg_sort;
use pyo3_polars::export::polars_core::prelude::*;
use sectorflow_core::{
    code_rows, pages, run_coded, run_groups, Column as CoreColumn, Groups, Kernel, KernelError,
    KeyColumn, INLINE,
};

use crate::errors::to_polars_err;

/// Runs `kernel` on the rows of each distinct combination of `by` (nulls a group of their own,
/// as in `.over`), each group in `order_by` order (ties and no `order_by`: row order), writing
/// every result at its row. No keys: one group.
pub(super) fn run_keyed(
    x: CoreColumn<'_>,
    y: Option<CoreColumn<'_>>,
    by: &[Series],
    order_by: &[Series],
    out: &mut [f64],
    kernel: &impl Kernel,
) -> PolarsResult<()> {
    let n = x.len();
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
    let order = Order::of(order_by)?;
    let run = Run { x, y, out, kernel };
    match by {
        [] => run.groups(Groups::runs(vec![0, n]).map_err(to_polars_err)?, &order),
        [key] if key.dtype() == &DataType::String => {
            let chunks: Vec<&Utf8ViewArray> = key.str()?.downcast_iter().collect();
            let coded = code_rows(&StringViews(&chunks), "by", false).map_err(to_polars_err)?;
            // Nulls (code -1) are the group after the keys.
            let nulls = coded.first_rows.len();
            run.coded(&coded.codes, nulls + 1, &order, |c: i64| {
                Some(usize::try_from(c).unwrap_or(nulls))
            })
        }
        [key] => match Numbers::of(key)? {
            Some(Numbers::I32(v)) => run.ints(v.cont_slice()?, &order, by),
            Some(Numbers::I64(v)) => run.ints(v.cont_slice()?, &order, by),
            _ => run.groups(polars_groups(by, n)?, &order),
        },
        _ => run.groups(polars_groups(by, n)?, &order),
    }
}

/// The values, the result and the kernel of one keyed call.
struct Run<'a, K> {
    x: CoreColumn<'a>,
    y: Option<CoreColumn<'a>>,
    out: &'a mut [f64],
    kernel: &'a K,
}

impl<K: Kernel> Run<'_, K> {
    /// Groups built here, put in `order`, then run.
    fn groups(self, mut groups: Groups, order: &Order) -> PolarsResult<()> {
        match order {
            Order::Rows => Ok(()),
            Order::I32(v) => groups.order_by(v.cont_slice()?),
            Order::I64(v) => groups.order_by(v.cont_slice()?),
            Order::F64(v) => groups.order_by(v.cont_slice()?),
            Order::Positions(v) => groups.order_by(v),
        }
        .map_err(to_polars_err)?;
        let (x, y) = (self.x.to_nan_marked(), self.y.map(|y| y.to_nan_marked()));
        run_groups(&x, y.as_deref(), &groups, self.out, self.kernel).map_err(to_polars_err)
    }

    /// Rows grouped by `code(keys[i])` in the core's counting sort, in `order`.
    fn coded<T: Copy + Sync>(
        self,
        keys: &[T],
        groups: usize,
        order: &Order,
        code: impl Fn(T) -> Option<usize> + Sync,
    ) -> PolarsResult<()> {
        let Self { x, y, out, kernel } = self;
        match order {
            Order::Rows => run_coded(x, y, keys, groups, code, None::<&[i64]>, out, kernel),
            Order::I32(v) => {
                run_coded(x, y, keys, groups, code, Some(v.cont_slice()?), out, kernel)
            }
            Order::I64(v) => {
                run_coded(x, y, keys, groups, code, Some(v.cont_slice()?), out, kernel)
            }
            Order::F64(v) => {
                run_coded(x, y, keys, groups, code, Some(v.cont_slice()?), out, kernel)
            }
            Order::Positions(v) => run_coded(x, y, keys, groups, code, Some(&v[..]), out, kernel),
        }
        .map_err(to_polars_err)
    }

    /// One integer key without nulls: the runs of a table sorted by key when each value fills
    /// one run; else coded by value when the values span at most the number of rows; else
    /// grouped by Polars.
    fn ints<T: Copy + Into<i64> + Sync>(
        self,
        v: &[T],
        order: &Order,
        by: &[Series],
    ) -> PolarsResult<()> {
        let n = v.len();
        let (min, max) = v
            .iter()
            .map(|&k| k.into())
            .fold((i64::MAX, i64::MIN), |(lo, hi), k| (lo.min(k), hi.max(k)));
        let span = usize::try_from(i128::from(max) - i128::from(min) + 1)
            .ok()
            .filter(|&span| span <= n);
        let Some(span) = span else {
            return if n == 0 {
                self.groups(Groups::runs(vec![0, 0]).map_err(to_polars_err)?, order)
            } else {
                self.groups(polars_groups(by, n)?, order)
            };
        };
        let code = move |k: T| Some((k.into() - min) as usize);
        match distinct_runs(v, span, |k| code(k).unwrap_or(0)) {
            Some(runs) => self.groups(Groups::runs(runs).map_err(to_polars_err)?, order),
            None => self.coded(v, span, order, code),
        }
    }
}

/// The run boundaries (`0, end of run 1, ..., n`) when every code (`< span`) fills one
/// contiguous run of rows: a table sorted by key.
fn distinct_runs<T: Copy>(v: &[T], span: usize, code: impl Fn(T) -> usize) -> Option<Vec<usize>> {
    let mut seen = vec![false; span];
    let mut offsets = vec![0usize];
    let mut last = None;
    for (i, &k) in v.iter().enumerate() {
        let c = code(k);
        if last != Some(c) {
            if std::mem::replace(&mut seen[c], true) {
                return None;
            }
            if i > 0 {
                offsets.push(i);
            }
            last = Some(c);
        }
    }
    offsets.push(v.len());
    Some(offsets)
}

/// The order within groups: row order, one numeric key's values, or each row's position in
/// Polars' stable sort of the keys (several keys, nulls, NaN, other types).
enum Order {
    Rows,
    I32(Int32Chunked),
    I64(Int64Chunked),
    F64(Float64Chunked),
    Positions(Vec<usize>),
}

impl Order {
    fn of(order_by: &[Series]) -> PolarsResult<Self> {
        Ok(match order_by {
            [] => Self::Rows,
            [key] => match Numbers::of(key)? {
                Some(Numbers::I32(v)) => Self::I32(v),
                Some(Numbers::I64(v)) => Self::I64(v),
                Some(Numbers::F64(v)) => Self::F64(v),
                None => Self::Positions(sorted_positions(order_by)?),
            },
            _ => Self::Positions(sorted_positions(order_by)?),
        })
    }
}

/// One key column's values, single-chunk without nulls, as numbers that order as Polars sorts
/// them: 32-bit integers (and dates) as they are, other integers (datetimes, durations, times)
/// as i64, floats as f64; `None` for nulls, NaN, integers past i64 or other types.
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
    let mut rows: Vec<usize> = pages::with_capacity(n);
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

/// Each row's position in `order_by` order (Polars' stable sort of the key columns).
fn sorted_positions(order_by: &[Series]) -> PolarsResult<Vec<usize>> {
    let columns: Vec<Column> = order_by.iter().map(|s| s.clone().into_column()).collect();
    let options = SortMultipleOptions {
        maintain_order: true,
        ..Default::default()
    };
    let sorted = arg_sort(&columns, options)?;
    let mut position = vec![0usize; sorted.len()];
    for (p, i) in sorted.into_no_null_iter().enumerate() {
        position[i as usize] = p;
    }
    Ok(position)
}
