"""Rotation models and their evaluation: diffusion index, top-N backtest, weekly summary.

Layers below: the sector scores (:mod:`sectorflow.sector`) and the kernel faces. Nothing here
imports from the application (:mod:`sectorflow.app`). Each module is named for what it
computes; the public functions are importable from ``sectorflow`` itself.
"""
