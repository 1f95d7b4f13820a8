"""The command line: a thin layer over the units of work (``budget-monitor = "jobs.cli:main"``).

One module per group of commands; no SQL here — every query is a function of ``db/``.
"""

from jobs.cli.app import main

__all__ = ["main"]
