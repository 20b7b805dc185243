"""The package's layers, read from its imports: data flows down and never back up.

app -> models -> sector -> kernel faces -> _native. Nothing imports a layer above it, no module imports
the package's ``__init__``, no sector module calls ``_native``, and no module borrows another
module's private helpers (private modules, named with ``_``, are shared on purpose).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "python" / "sectorflow"
MODULES = sorted(p for p in PACKAGE.rglob("*.py"))


def layer(module: str) -> int:
    """0 the compiled core's face, 1 kernel faces, 2 sector scores, 3 rotation models, 4 the
    application."""
    if module.startswith("sectorflow.app") or module == "sectorflow.__main__":
        return 4
    if module.startswith("sectorflow.models"):
        return 3
    if module.startswith("sectorflow.sector"):
        return 2
    if module == "sectorflow._native":
        return 0
    return 1


def name_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) of every ``import``/``from ... import`` of sectorflow, at any depth."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names if a.name.split(".")[0] == "sectorflow"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sectorflow"):
            out.append((node.module or "", [a.name for a in node.names]))
    return out


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_flow_down_only(path: Path) -> None:
    here = name_of(path)
    if here in ("sectorflow", "sectorflow.__main__"):
        return  # the package's face and ``python -m``: they gather every layer
    for module, names in imports(path):
        targets = [f"{module}.{n}" if module == "sectorflow" else module for n in names or [""]]
        for target in (t.rstrip(".") for t in targets):
            assert target != "sectorflow", f"{here} imports the package __init__"
            assert layer(target) <= layer(here), f"{here} (layer {layer(here)}) imports {target}"
            if layer(here) in (2, 3):  # the sector and model layers
                assert target != "sectorflow._native", f"{here} calls _native directly"
        private = [n for n in names if n.startswith("_")]
        # ``from sectorflow import _plugin`` names a private module: shared on purpose.
        borrowed = module != "sectorflow" and not module.split(".")[-1].startswith("_")
        assert not (private and borrowed), f"{here} borrows {private} from {module}"


def test_the_layers_exist() -> None:
    # A test over an empty package would pass: the layout it checks is there.
    names = {name_of(p) for p in MODULES}
    assert {"sectorflow.rolling", "sectorflow.sector.rrg", "sectorflow.app.cli"} <= names
