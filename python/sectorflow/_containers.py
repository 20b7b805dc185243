"""The one place that converts containers.

Each input is turned into something ``sectorflow._native`` reads without copying where it can: a
float64 numpy array (numpy, pandas, lists) or the object itself when it speaks the Arrow PyCapsule
interface (pyarrow, polars). The result is rebuilt as the input's type: pandas keeps its index and
names, polars keeps its name, Arrow and polars get null where the result is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sectorflow import _native

Rebuild = Callable[[np.ndarray], Any]
#: The container a kernel face was given, and returns.
C = TypeVar("C")

_NUMERIC_KINDS = frozenset("biuf")


def _module(x: object) -> str:
    return type(x).__module__.split(".", 1)[0]


def _numpy_float(arr: np.ndarray, fn: str, name: str) -> np.ndarray:
    if arr.dtype.kind not in _NUMERIC_KINDS:
        msg = f"{fn}: {name} must be numeric, got {arr.dtype}; cast first"
        raise TypeError(msg)
    if arr.ndim not in (1, 2):
        msg = f"{name} must be 1-D or 2-D, got {arr.ndim}-D"
        raise ValueError(msg)
    return np.asarray(arr, dtype=np.float64)


def to_native(x: object, fn: str, name: str = "x") -> tuple[object, Rebuild]:
    """Return ``(payload for _native, rebuild)``: rebuild turns a numpy result into x's type."""
    if isinstance(x, np.ndarray):
        return _numpy_float(x, fn, name), lambda out: out
    module = _module(x)
    if module == "pandas":
        return _from_pandas(x, fn, name)
    if module == "polars":
        return _from_polars(x, fn, name)
    if isinstance(x, pa.Array | pa.ChunkedArray):
        t = x.type
        if not (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)):
            msg = f"{fn}: {name} must be numeric, got Arrow type {x.type}; cast first"
            raise TypeError(msg)
        chunked = isinstance(x, pa.ChunkedArray)
        return x, lambda out: _to_arrow(out, chunked=chunked)
    if hasattr(x, "__arrow_c_array__") or hasattr(x, "__arrow_c_stream__"):
        return x, lambda out: _to_arrow(out, chunked=False)
    if isinstance(x, list | tuple):
        try:
            arr = np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError) as err:
            msg = f"{fn}: {name} must be numeric; cast first ({err})"
            raise TypeError(msg) from err
        return _numpy_float(arr, fn, name), lambda out: out
    msg = (
        f"{fn}: {name} must be a numpy array, pandas Series/DataFrame, polars Series or "
        f"Arrow array, got {type(x).__name__}"
    )
    raise TypeError(msg)


def _from_pandas(x: Any, fn: str, name: str) -> tuple[object, Rebuild]:
    import pandas as pd

    if isinstance(x, pd.Series):
        if not (pd.api.types.is_numeric_dtype(x.dtype) or pd.api.types.is_bool_dtype(x.dtype)):
            msg = f"{fn}: {name} must be numeric, got {x.dtype}; cast first"
            raise TypeError(msg)
        values = x.to_numpy(dtype=np.float64, na_value=np.nan)
        return values, lambda out: pd.Series(out, index=x.index, name=x.name)
    if isinstance(x, pd.DataFrame):
        bad = [c for c, t in x.dtypes.items() if not pd.api.types.is_numeric_dtype(t)]
        if bad:
            msg = f"{fn}: {name} must be numeric, column {bad[0]!r} is {x.dtypes[bad[0]]}"
            raise TypeError(msg)
        values = x.to_numpy(dtype=np.float64, na_value=np.nan)
        return values, lambda out: pd.DataFrame(out, index=x.index, columns=x.columns)
    msg = f"{fn}: {name} must be a pandas Series or DataFrame, got {type(x).__name__}"
    raise TypeError(msg)


def _from_polars(x: Any, fn: str, name: str) -> tuple[object, Rebuild]:
    import polars as pl

    if not isinstance(x, pl.Series):
        msg = f"{fn}: {name} must be a polars Series (use the .sf expressions for frames)"
        raise TypeError(msg)
    if not x.dtype.is_numeric():
        msg = f"{fn}: {name} must be numeric, got {x.dtype}; cast first"
        raise TypeError(msg)
    # Cast here, once: the Arrow reader knows no 128-bit integers.
    payload = x if x.dtype == pl.Float64 else x.cast(pl.Float64)
    return payload, lambda out: pl.Series(x.name, out, nan_to_null=True)


def _to_arrow(out: np.ndarray, *, chunked: bool) -> pa.Array | pa.ChunkedArray:
    arr = pa.array(out, from_pandas=True)
    return pa.chunked_array([arr]) if chunked else arr


class GroupKeys:
    """Keys of long-format data (one per row), factorized once so they can be reused as ``by=``.

    ``sf.rolling_mean(close, 20, by=keys)`` hashes ``keys`` on every call; with
    ``g = sf.GroupKeys(keys)`` the calls take ``by=g`` and skip that work, as a reused pandas
    ``groupby`` object does. Codes are dense, in first-seen order, with ``-1`` for a missing key.

    Examples
    --------
    >>> import sectorflow as sf
    >>> g = sf.GroupKeys(["a", "b", "a", None])
    >>> g.codes.tolist(), len(g)
    ([0, 1, 0, -1], 4)

    """

    def __init__(self, by: object) -> None:
        """Factorize ``by``: numpy, pandas, polars, pyarrow or a list."""
        self.codes: np.ndarray = _factorize(by)
        self._groups: _native.KeyGroups | None = None

    @property
    def groups(self) -> _native.KeyGroups:
        """The rows of each key, grouped once in the core and reused by every kernel call."""
        if self._groups is None:
            self._groups = _native.KeyGroups(np.ascontiguousarray(self.codes, dtype=np.int64))
        return self._groups

    @classmethod
    def from_codes(cls, codes: np.ndarray) -> GroupKeys:
        """Keys from integer codes (any non-negative integers; negative marks a missing key)."""
        arr = np.asarray(codes, dtype=np.int64)
        return cls(pa.array(arr, mask=arr < 0))

    @classmethod
    def combine(cls, first: object, second: object, n: int) -> GroupKeys:
        """Keys of the pairs (first, second), e.g. (date, sector); missing if either is missing."""
        a, b = key_codes(first, n), key_codes(second, n)
        pair = a * (int(b.max(initial=0)) + 1) + b
        pair[(a < 0) | (b < 0)] = -1
        return cls.from_codes(pair)

    def __len__(self) -> int:
        """The number of rows."""
        return len(self.codes)


_STRING_TYPES = (pa.types.is_string, pa.types.is_large_string, pa.types.is_string_view)
_NESTED_TYPES = (pa.types.is_nested, pa.types.is_dictionary)


def _factorize(by: object) -> np.ndarray:
    """Dense codes in first-seen order, ``-1`` for a missing key: ``pandas.factorize``'s rules.

    Keys are equal when pandas calls them equal: ``-0.0`` and ``0.0`` are one key, NaN, None
    and NaT are missing in every container, and Python objects compare as objects (``1`` and
    ``"1"`` are two keys; ``1``, ``1.0`` and ``True`` one). Unhashable keys raise ``TypeError``.
    """
    module = _module(by)
    if module in _CODERS:
        return _CODERS[module](by)
    if isinstance(by, pa.Array | pa.ChunkedArray):
        return _arrow_codes(by)
    if isinstance(by, np.ndarray):
        return _numpy_codes(by)
    return _sequence_codes(by)


def _sequence_codes(by: object) -> np.ndarray:
    """A list or other sequence: Arrow infers one type, or the keys are Python objects."""
    try:
        arr = pa.array(by, from_pandas=True)  # one inferred type, or refused for mixed keys
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
        return _object_codes(_as_list(by))
    if pa.types.is_nested(arr.type):  # tuples are keys (lists are refused as unhashable)
        return _object_codes(_as_list(by))
    return _arrow_codes(arr)


def _as_list(by: object) -> list[Any]:
    try:
        return list(by)  # type: ignore[call-overload,no-any-return]
    except TypeError as err:
        msg = f"by must be a sequence of keys, got {type(by).__name__}"
        raise TypeError(msg) from err


def _numpy_codes(by: np.ndarray) -> np.ndarray:
    if by.ndim != 1:
        msg = f"by must be 1-D, got {by.ndim}-D"
        raise ValueError(msg)
    if by.dtype.kind == "V":
        msg = f"by must hold one scalar key per row, got structured dtype {by.dtype}"
        raise TypeError(msg)
    if by.dtype.kind in "Oc" or by.dtype == np.longdouble:  # hashed as Python objects
        return _object_codes(by.astype(object, copy=False))
    if not by.dtype.isnative:
        by = by.astype(by.dtype.newbyteorder("="))
    return _arrow_codes(pa.array(by, from_pandas=True))


def _pandas_codes(by: Any) -> np.ndarray:
    import pandas as pd

    if isinstance(by, pd.DataFrame):
        msg = "by must be one key per row (a Series, array or list), got a DataFrame"
        raise TypeError(msg)
    if isinstance(by.dtype, pd.StringDtype):  # strings are coded in the core
        return _arrow_codes(pa.array(by, from_pandas=True))
    try:
        codes, _ = pd.factorize(by, use_na_sentinel=True)
    except TypeError as err:
        msg = f"by must hold one hashable key per row ({err})"
        raise TypeError(msg) from err
    return np.asarray(codes, dtype=np.int64)


def _polars_codes(by: Any) -> np.ndarray:
    import polars as pl

    s: Any = by
    if not isinstance(s, pl.Series):
        msg = f"by must be one key per row (a Series, array or list), got {type(by).__name__}"
        raise TypeError(msg)
    if isinstance(s.dtype, pl.Categorical | pl.Enum):
        s = s.to_physical().cast(pl.Int64)
    if s.dtype == pl.Object:
        return _object_codes(s.to_list())
    if s.dtype in (pl.Int128, pl.UInt128):  # no Arrow reader takes them; digits are exact keys
        s = s.cast(pl.String)
    if s.dtype == pl.String:  # the core reads polars' string views in place, chunk by chunk
        return _native.string_keys(s)[0]
    return _arrow_codes(s.to_arrow())


_CODERS: dict[str, Callable[[Any], np.ndarray]] = {
    "polars": _polars_codes,
    "pandas": _pandas_codes,
}


def _arrow_codes(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """First-seen dense codes of Arrow keys; strings (polars' among them) are coded in the core."""
    if any(is_string(arr.type) for is_string in _STRING_TYPES):
        return _native.string_keys(arr)[0]
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    if any(is_nested(arr.type) for is_nested in _NESTED_TYPES):
        msg = f"by must hold one scalar key per row, got Arrow type {arr.type}"
        raise TypeError(msg)
    if pa.types.is_floating(arr.type):
        # NaN is missing and -0.0 is 0.0, as in pandas (Arrow hashes the bits).
        arr = arr.cast(pa.float64())
        arr = pc.if_else(pc.is_nan(arr), pa.scalar(None, pa.float64()), pc.add(arr, 0.0))
    try:
        codes = pc.dictionary_encode(arr).indices
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid, pa.ArrowTypeError) as err:
        msg = f"by must hold hashable scalar keys, got Arrow type {arr.type} ({err})"
        raise TypeError(msg) from err
    codes_np: np.ndarray = codes.fill_null(-1).to_numpy(zero_copy_only=False)
    return codes_np.astype(np.int64, copy=False)


def _is_missing(key: object) -> bool:
    """None, NaN, NaT and ``pd.NA``: what ``pandas.factorize`` codes as -1."""
    if key is None:
        return True
    if isinstance(key, float | np.floating | complex | np.complexfloating):
        return bool(key != key)  # noqa: PLR0124
    if isinstance(key, np.datetime64 | np.timedelta64):
        return bool(np.isnat(key))
    return type(key).__name__ in ("NAType", "NaTType")


def _object_codes(keys: np.ndarray | list[Any]) -> np.ndarray:
    """First-seen codes of Python objects, equal as Python compares them."""
    seen: dict[object, int] = {}
    codes = np.empty(len(keys), dtype=np.int64)
    try:
        for i, key in enumerate(keys):
            codes[i] = -1 if _is_missing(key) else seen.setdefault(key, len(seen))
    except TypeError as err:
        msg = f"by must hold one hashable key per row ({err})"
        raise TypeError(msg) from err
    return codes


def key_codes(by: object, n: int) -> np.ndarray:
    """Dense int64 codes of ``by`` for ``n`` rows (``-1`` for a missing key)."""
    codes = by.codes if isinstance(by, GroupKeys) else _factorize(by)
    if len(codes) != n:
        msg = f"by must have the same length as x ({n}), got length {len(codes)}"
        raise ValueError(msg)
    return codes


def apply(
    fn: str,
    x: C,
    *args: object,
    y: object = None,
    by: object = None,
    names: tuple[str, str] = ("x", "y"),
    **kwargs: object,
) -> C:
    """Call ``_native.<fn>`` on x (and y) with ``by`` codes and rebuild x's container.

    ``names`` are the argument names used in error messages (``rolling_beta`` takes ``y`` first).
    """
    payload, rebuild = to_native(x, fn, names[0])
    kernel = getattr(_native, fn)
    codes: np.ndarray | _native.KeyGroups | None = None
    if by is not None:
        codes = key_codes(by, _length(payload))  # checks the length
        if isinstance(by, GroupKeys):
            codes = by.groups  # grouped once, for every call that reuses these keys
    if y is None:
        out = kernel(payload, *args, by=codes, **kwargs)
    else:
        y_payload, _ = to_native(y, fn, names[1])
        out = kernel(payload, y_payload, *args, by=codes, **kwargs)
    return cast("C", rebuild(out))


def _length(payload: object) -> int:
    if isinstance(payload, np.ndarray):
        return int(payload.shape[0])
    return len(payload)  # type: ignore[arg-type]


def length(x: object, fn: str, name: str = "x") -> int:
    """The number of rows of ``x``, checked as the kernels check it."""
    if isinstance(x, np.ndarray) and x.ndim not in (1, 2):
        msg = f"{name} must be 1-D or 2-D, got {x.ndim}-D"
        raise ValueError(msg)
    try:
        return _length(x)
    except TypeError as err:
        msg = f"{fn}: {name} must be an array, Series or list, got {type(x).__name__}"
        raise TypeError(msg) from err
