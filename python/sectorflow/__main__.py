"""``python -m sectorflow``: the command line (:mod:`sectorflow.app.cli`)."""

import sys

from sectorflow.app.cli import main

if __name__ == "__main__":
    sys.exit(main())
