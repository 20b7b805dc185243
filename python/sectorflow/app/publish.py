"""Writing a run's outputs into a folder the user owns: all or nothing, and nothing of theirs.

A run writes every output under a staging folder inside ``out`` (``.sectorflow-partial-<pid>``,
so renames stay on one file system). Publishing then moves the previous run's outputs aside into
the staging folder, moves the new ones in, and replaces the manifest (``.sectorflow-manifest.json``,
the list of what sectorflow wrote there); any failure part way moves everything back, so ``out``
holds the previous complete set or the new complete set. SIGINT and SIGTERM that arrive while
publishing wait until it has finished (or been rolled back).

An entry of ``out`` that has an output's name but is not in the manifest was not written by
sectorflow: the run is refused before anything is computed, and nothing is removed or
overwritten.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

__all__ = ["MANIFEST", "Interrupted", "Staging"]

MANIFEST = ".sectorflow-manifest.json"
_PARTIAL = ".sectorflow-partial-"
_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM; ``published`` when it came while the outputs were being published."""

    def __init__(self, signum: int, *, published: bool = False) -> None:
        """The signal and whether the new outputs are in place."""
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.published = published


class _Runs:
    """Whether this process has published a run's outputs (for what an interrupt reports)."""

    published = False


def raise_on_signals() -> None:
    """Turn SIGTERM (and SIGINT) into :class:`Interrupted`, so a run can clean up after itself."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        raise Interrupted(signum, published=_Runs.published)

    for signum in _SIGNALS:
        signal.signal(signum, handler)


def _owned(out: Path) -> list[str]:
    """The names the manifest of ``out`` lists (the previous run's outputs)."""
    try:
        names = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["outputs"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return [n for n in names if isinstance(n, str) and "/" not in n and n not in ("", ".", "..")]


def _folder(out: Path) -> None:
    """Refuses an ``out`` that is a file or lies under one, naming it."""
    for parent in (out, *out.parents):
        if parent.exists() and not parent.is_dir():
            where = "it is a file" if parent == out else f"it lies under the file {parent}"
            msg = f"{out}: --out must be a folder, but {where}"
            raise ValueError(msg)


class Staging:
    """The staging folder of one run inside ``out``, and the publishing of its outputs."""

    def __init__(self, out: Path, names: Sequence[str]) -> None:
        """Checks ``out`` before any work: a folder, with no foreign entry named as an output.

        Raises ``ValueError`` (``"<out>: <what>"``) otherwise; creates nothing.
        """
        _folder(out)
        self.out = out
        self.owned = [n for n in _owned(out) if (out / n).exists()]
        foreign = [n for n in names if (out / n).exists() and n not in self.owned]
        if foreign:
            msg = (
                f"{out}: --out already holds {foreign[0]!r}, which sectorflow did not write; "
                "choose another folder (nothing was touched)"
            )
            raise ValueError(msg)
        self.folder = out / f"{_PARTIAL}{os.getpid()}"
        self.created_out = False
        _Runs.published = False

    def __enter__(self) -> Path:
        """Creates ``out`` (if needed) and an empty staging folder; returns the staging folder."""
        try:
            if not self.out.exists():
                self.out.mkdir(parents=True)
                self.created_out = True
            shutil.rmtree(self.folder, ignore_errors=True)  # a stale one of this pid is ours
            self.folder.mkdir()
        except BaseException:
            self.__exit__()
            raise
        return self.folder

    def __exit__(self, *_: object) -> None:
        """Removes the staging folder (and ``out`` if this run created it and left it empty).

        A signal that arrives meanwhile waits until the folder is gone.
        """
        with _signals_held() as held:
            shutil.rmtree(self.folder, ignore_errors=True)
            if self.created_out:
                with contextlib.suppress(OSError):
                    self.out.rmdir()  # only if empty
        if held:
            raise Interrupted(held[0], published=_Runs.published)

    def publish(self, names: Sequence[str]) -> list[Path]:
        """Moves ``names`` from the staging folder into ``out``, replacing the previous outputs.

        All or nothing: on any error the previous outputs are put back and the error raised.
        """
        aside = self.folder / ".previous"
        moves: list[tuple[Path, Path]] = []

        def move(src: Path, dst: Path) -> None:
            src.replace(dst)
            moves.append((src, dst))

        manifest = self.folder / MANIFEST
        with _signals_held() as held:
            try:
                manifest.write_text(json.dumps({"outputs": list(names)}), encoding="utf-8")
                if self.owned:
                    aside.mkdir()
                for name in self.owned:
                    move(self.out / name, aside / name)
                for name in names:
                    move(self.folder / name, self.out / name)
                manifest.replace(self.out / MANIFEST)
            except BaseException:
                for src, dst in reversed(moves):
                    dst.replace(src)
                raise
            self.created_out = False  # it holds the outputs now
            _Runs.published = True
        if held:
            raise Interrupted(held[0], published=True)
        return [self.out / n for n in names]


@contextlib.contextmanager
def _signals_held() -> Iterator[list[int]]:
    """SIGINT/SIGTERM received inside are recorded (yielded list) instead of acting at once.

    Only the main thread can set handlers; elsewhere the signals act as usual.
    """
    held: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield held
        return

    def record(signum: int, _frame: FrameType | None) -> None:
        held.append(signum)

    previous: dict[int, Callable[..., Any] | int | None] = {}  # signal number -> its handler
    for signum in _SIGNALS:
        previous[signum] = signal.signal(signum, record)
    try:
        yield held
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
