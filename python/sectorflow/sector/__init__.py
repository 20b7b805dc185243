"""The sector scores: lazy Polars over the kernel faces, from stock bars or sector tables.

Layers below: the kernel faces (:mod:`sectorflow.rolling`, :mod:`sectorflow.rank`,
:mod:`sectorflow.cross_section`, the ``.sf`` expressions, :mod:`sectorflow.tables`). Nothing
here imports from the application (:mod:`sectorflow.app`).

Each module is named for what it computes; the public functions are importable from
``sectorflow`` itself (``sf.excess_return``). Nothing is re-exported here, so
``sectorflow.sector.rrg`` is the module, not the function of the same name.
"""
