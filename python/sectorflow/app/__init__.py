"""The application, the top floor: command line, recompute, reports, demo and plots.

It imports the layers below (:mod:`sectorflow.sector`, the kernel faces); nothing below imports
it.
"""
