//! The only conversion code in: numpy arrays and Arrow PyCapsule objects (results go out through
//! `crate::pool`).

use std::borrow::Cow;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::ArrowDictionaryKeyType;
use arrow_array::types::Float64Type;
use arrow_array::{
    downcast_dictionary_array, Array, ArrayRef, DictionaryArray, LargeStringArray, StringArray,
    StringViewArray,
};
use arrow_buffer::ArrowNativeType;
use arrow_schema::DataType;
use numpy::{PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3_arrow::input::AnyArray;
use sectorflow_core::{
    code_rows, pack, Codes, Column, KernelError, KeyColumn, Layout, Validity, INLINE,
};

use crate::errors::to_py_err;

/// A Python object holding float64 data: a numpy array, or Arrow chunks cast to float64.
pub(crate) enum Source<'py> {
    Numpy(PyReadonlyArrayDyn<'py, f64>),
    Arrow(Vec<ArrayRef>),
}

/// Borrowed (or, where the input does not allow it, copied) float64 values with NaN for missing.
pub(crate) enum Values<'a> {
    Series(Cow<'a, [f64]>),
    Matrix {
        data: Cow<'a, [f64]>,
        rows: usize,
        cols: usize,
        layout: Layout,
    },
}

impl<'py> Source<'py> {
    /// Accepts a float64 numpy array or any object with `__arrow_c_array__` / `__arrow_c_stream__`.
    pub(crate) fn extract(obj: &Bound<'py, PyAny>, name: &'static str) -> PyResult<Self> {
        if let Ok(arr) = obj.extract::<PyReadonlyArrayDyn<'py, f64>>() {
            return Ok(Self::Numpy(arr));
        }
        if obj.hasattr("__arrow_c_array__")? || obj.hasattr("__arrow_c_stream__")? {
            let (chunks, field) = obj
                .extract::<AnyArray>()?
                .into_chunked_array()?
                .into_inner();
            let dtype = field.data_type();
            if !dtype.is_numeric() {
                return Err(to_py_err(KernelError::dtype(
                    name,
                    format!("{name} must be numeric, got Arrow type {dtype}; cast first"),
                )));
            }
            let chunks = chunks
                .iter()
                .map(|c| arrow_cast::cast(c, &DataType::Float64))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| to_py_err(KernelError::dtype(name, format!("{name}: {e}"))))?;
            return Ok(Self::Arrow(chunks));
        }
        let kind = obj.get_type().name()?;
        Err(to_py_err(KernelError::dtype(
            name,
            format!("{name} must be a float64 numpy array or an Arrow array, got {kind}"),
        )))
    }

    /// The values as one series or one matrix.
    pub(crate) fn values(&self, name: &'static str) -> Result<Values<'_>, KernelError> {
        match self {
            Self::Numpy(arr) => numpy_values(arr, name),
            Self::Arrow(chunks) => {
                let columns = chunks.iter().map(|c| {
                    let a = c.as_primitive::<Float64Type>();
                    let validity = a
                        .nulls()
                        .map(|nb| {
                            let bits = nb.inner();
                            Validity::new(bits.values(), bits.offset(), a.len())
                        })
                        .transpose()?;
                    Ok(Column::with_validity(a.values(), validity))
                });
                Column::join_nan_marked(columns).map(Values::Series)
            }
        }
    }
}

fn numpy_values<'a>(
    arr: &'a PyReadonlyArrayDyn<'_, f64>,
    name: &'static str,
) -> Result<Values<'a>, KernelError> {
    let shape = arr.shape().to_vec();
    let data: Cow<'a, [f64]> = match arr.as_slice() {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(arr.as_array().iter().copied().collect()),
    };
    let copied = matches!(data, Cow::Owned(_));
    match shape.as_slice() {
        [_] => Ok(Values::Series(data)),
        &[rows, cols] => {
            let layout = if copied || arr.is_c_contiguous() {
                Layout::RowMajor
            } else {
                Layout::ColMajor
            };
            Ok(Values::Matrix {
                data,
                rows,
                cols,
                layout,
            })
        }
        other => Err(KernelError::invalid(
            name,
            format!("{name} must be 1-D or 2-D, got {}-D", other.len()),
        )),
    }
}

/// The chunks of a string column: an object with `__arrow_c_array__` / `__arrow_c_stream__`
/// holding Utf8, LargeUtf8 or Utf8View (a polars String Series exports Utf8View without a copy),
/// or a dictionary of them (a polars Categorical, a parquet column read as a dictionary).
pub(crate) fn string_chunks(obj: &Bound<'_, PyAny>, name: &'static str) -> PyResult<Vec<ArrayRef>> {
    let (chunks, field) = obj
        .extract::<AnyArray>()?
        .into_chunked_array()?
        .into_inner();
    let dtype = field.data_type();
    let values = match dtype {
        DataType::Dictionary(_, values) => values.as_ref(),
        other => other,
    };
    match values {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Ok(chunks),
        _ => Err(to_py_err(KernelError::dtype(
            name,
            format!("{name} must be strings, got Arrow type {dtype}; cast first"),
        ))),
    }
}

/// `chunks` with dictionaries decoded to strings (for the paths without a dictionary pass).
fn decoded<'a>(
    chunks: &'a [ArrayRef],
    name: &'static str,
) -> Result<Cow<'a, [ArrayRef]>, KernelError> {
    if !chunks.iter().any(|c| c.as_any_dictionary_opt().is_some()) {
        return Ok(Cow::Borrowed(chunks));
    }
    chunks
        .iter()
        .map(|c| match c.data_type() {
            DataType::Dictionary(..) => arrow_cast::cast(c, &DataType::Utf8View)
                .map_err(|e| KernelError::dtype(name, format!("{name}: {e}"))),
            _ => Ok(Arc::clone(c)),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Cow::Owned)
}

/// [`string_codes`] of chunks some of which are dictionaries: each dictionary's entries are
/// coded when a row first uses them (so codes stay in first-seen row order), then its rows are
/// one lookup each.
fn dictionary_codes(
    chunks: &[ArrayRef],
    name: &'static str,
    codes: &mut Codes,
) -> Result<Vec<u32>, KernelError> {
    let mut out = Vec::with_capacity(chunks.iter().map(|c| c.len()).sum());
    for chunk in chunks {
        let row = out.len();
        downcast_dictionary_array!(
            chunk => dictionary_rows(chunk, row, name, codes, &mut out)?,
            _ => each_code(std::slice::from_ref(chunk), name, codes, |i, code| {
                out.push(code.ok_or_else(|| missing(name, row + i))?);
                Ok(())
            })?
        );
    }
    Ok(out)
}

/// The codes of one dictionary chunk's rows (the first at `row`), appended to `out`.
fn dictionary_rows<K: ArrowDictionaryKeyType>(
    dictionary: &DictionaryArray<K>,
    row: usize,
    name: &'static str,
    codes: &mut Codes,
    out: &mut Vec<u32>,
) -> Result<(), KernelError> {
    let values = Strings::of(dictionary.values());
    let mut map = vec![u32::MAX; values.len()];
    let keys = dictionary.keys();
    if let Some(i) = keys.nulls().and_then(|n| n.iter().position(|valid| !valid)) {
        return Err(missing(name, row + i));
    }
    for (i, key) in keys.values().iter().enumerate() {
        let key = key.as_usize();
        let code = match map.get(key) {
            Some(&u32::MAX) => {
                let (text, packed) = values.get(key).ok_or_else(|| missing(name, row + i))?;
                map[key] = codes.code_packed(packed, text, name)?;
                map[key]
            }
            Some(&code) => code,
            None => return Err(missing(name, row + i)),
        };
        out.push(code);
    }
    Ok(())
}

/// Dense codes of the strings in `chunks` (from [`string_chunks`]) through `codes`, which keeps
/// them across calls. A null is refused, naming `name`.
pub(crate) fn string_codes(
    chunks: &[ArrayRef],
    name: &'static str,
    codes: &mut Codes,
) -> Result<Vec<u32>, KernelError> {
    if chunks.iter().any(|c| c.as_any_dictionary_opt().is_some()) {
        return dictionary_codes(chunks, name, codes);
    }
    let total: usize = chunks.iter().map(|c| c.len()).sum();
    if total >= PARALLEL_FROM {
        return string_codes_in_pieces(chunks, name, codes);
    }
    let mut out = Vec::with_capacity(total);
    each_code(chunks, name, codes, |row, code| match code {
        Some(code) => {
            out.push(code);
            Ok(())
        }
        None => Err(missing(name, row)),
    })?;
    Ok(out)
}

/// Rows from which [`string_codes`] codes a part in parallel pieces.
const PARALLEL_FROM: usize = 1 << 17;

fn missing(name: &'static str, row: usize) -> KernelError {
    KernelError::invalid(name, format!("{name} is missing (row {row})"))
}

/// [`string_codes`] of a large part: its rows coded in parallel pieces (first-seen order within
/// the part), then each of its keys looked up in `codes` in that order, so the codes are the
/// ones a single pass would give.
fn string_codes_in_pieces(
    chunks: &[ArrayRef],
    name: &'static str,
    codes: &mut Codes,
) -> Result<Vec<u32>, KernelError> {
    let column = StringColumn(chunks.iter().map(Strings::of).collect());
    let part = code_rows(&column, name, false)?;
    let map = part
        .keys
        .names()
        .iter()
        .map(|key| codes.code(key, name))
        .collect::<Result<Vec<u32>, KernelError>>()?;
    part.codes
        .iter()
        .enumerate()
        .map(|(row, &c)| {
            usize::try_from(c)
                .ok()
                .and_then(|c| map.get(c).copied())
                .ok_or_else(|| missing(name, row))
        })
        .collect()
}

/// Dense codes of the strings in `chunks` (`-1` for a null: `by=` keys) in first-seen order, or
/// the keys' sorted order with `sort`, and the first row of each code; coded in parallel
/// pieces (see `sectorflow_core::code_rows`).
pub(crate) fn string_keys(
    chunks: &[ArrayRef],
    name: &'static str,
    sort: bool,
) -> Result<(Vec<i64>, Vec<usize>), KernelError> {
    with_string_column(chunks, name, |column| {
        let coded = code_rows(column, name, sort)?;
        Ok((coded.codes, coded.first_rows))
    })
}

/// Runs `f` on Arrow string chunks (dictionary ones decoded) as the core's [`KeyColumn`].
pub(crate) fn with_string_column<R>(
    chunks: &[ArrayRef],
    name: &'static str,
    f: impl FnOnce(&StringColumn<'_>) -> Result<R, KernelError>,
) -> Result<R, KernelError> {
    let chunks = decoded(chunks, name)?;
    f(&StringColumn(chunks.iter().map(Strings::of).collect()))
}

/// Arrow string chunks as the core's [`KeyColumn`].
pub(crate) struct StringColumn<'a>(Vec<Strings<'a>>);

impl KeyColumn for StringColumn<'_> {
    fn parts(&self) -> usize {
        self.0.len()
    }

    fn part_len(&self, p: usize) -> usize {
        self.0[p].len()
    }

    #[inline]
    fn key(&self, p: usize, i: usize) -> Option<(&str, Option<u128>)> {
        self.0[p].get(i)
    }
}

/// Calls `f(row, code)` for every row of `chunks` in order, `None` for a null.
fn each_code(
    chunks: &[ArrayRef],
    name: &'static str,
    codes: &mut Codes,
    mut f: impl FnMut(usize, Option<u32>) -> Result<(), KernelError>,
) -> Result<(), KernelError> {
    let mut row = 0;
    for chunk in chunks {
        let strings = Strings::of(chunk);
        for i in 0..strings.len() {
            let code = match strings.get(i) {
                Some((key, packed)) => Some(codes.code_packed(packed, key, name)?),
                None => None,
            };
            f(row, code)?;
            row += 1;
        }
    }
    Ok(())
}

/// One chunk of strings of any of the three Arrow string layouts.
pub(crate) enum Strings<'a> {
    Utf8(&'a StringArray),
    Large(&'a LargeStringArray),
    View(&'a StringViewArray),
}

impl<'a> Strings<'a> {
    fn of(a: &'a ArrayRef) -> Self {
        match a.data_type() {
            DataType::Utf8 => Self::Utf8(a.as_string::<i32>()),
            DataType::LargeUtf8 => Self::Large(a.as_string::<i64>()),
            _ => Self::View(a.as_string_view()),
        }
    }

    fn len(&self) -> usize {
        match self {
            Self::Utf8(a) => a.len(),
            Self::Large(a) => a.len(),
            Self::View(a) => a.len(),
        }
    }

    /// Row `i` and its packed key (see `sectorflow_core::pack`); a short view is its own key.
    #[inline]
    fn get(&self, i: usize) -> Option<(&'a str, Option<u128>)> {
        let key = |s: &'a str| (s, pack(s));
        match self {
            Self::Utf8(a) => a.is_valid(i).then(|| key(a.value(i))),
            Self::Large(a) => a.is_valid(i).then(|| key(a.value(i))),
            Self::View(a) => a.is_valid(i).then(|| {
                let view = a.views()[i];
                let len = view as u32 as usize;
                let packed = (len <= INLINE).then(|| {
                    // Bytes past the string are zero in a well-formed view; make sure of it.
                    let bits = 32 + 8 * len;
                    if bits == 128 {
                        view
                    } else {
                        view & ((1u128 << bits) - 1)
                    }
                });
                (a.value(i), packed)
            }),
        }
    }
}
