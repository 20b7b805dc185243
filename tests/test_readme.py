"""The README's Python examples run as written (in order, sharing one namespace)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # files the examples write (a saved model) land here
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.DOTALL)
    assert len(blocks) >= 2  # the container examples and the Polars plugin
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)  # noqa: S102
    scores = namespace["scores"]
    for column in ("pctile", "since_start", "beta", "xs_rank", "in_sector"):
        assert scores[column].drop_nulls().len() > 0, column  # type: ignore[index]
    # The keyed form and the .over form of the README give the same column.
    assert scores["xs_rank"].equals(scores["over_form"])  # type: ignore[index]
