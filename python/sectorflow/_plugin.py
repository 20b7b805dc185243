"""The single helper that turns a plugin symbol of ``sectorflow._native`` into an expression."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from polars.plugins import register_plugin_function

from sectorflow import _native

if TYPE_CHECKING:
    import polars as pl

#: The extension module file itself: its plugin symbols sit beside the numpy/Arrow functions.
_LIBRARY = Path(_native.__file__)


def call(function_name: str, *args: pl.Expr, **kwargs: Any) -> pl.Expr:
    """Expression running ``function_name`` of the compiled library on ``args`` (single-threaded).

    The kernels are not elementwise: each call sees one whole series (use ``.over(...)`` for
    long-format data, where Polars runs the groups in parallel).
    """
    return register_plugin_function(
        plugin_path=_LIBRARY,
        function_name=function_name,
        args=list(args),
        kwargs=kwargs,
        is_elementwise=False,
    )
