"""The ``sectorflow`` command run as a user runs it: a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m sectorflow ARGS`` in ``cwd``, its output captured as text."""
    return subprocess.run(  # noqa: S603 (our own command, argv list)
        [sys.executable, "-m", "sectorflow", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        timeout=600,
    )
