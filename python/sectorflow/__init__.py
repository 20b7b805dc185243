from sectorflow import _native
