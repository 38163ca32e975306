"""`invoke test`: everything CI checks, in the order that fails fastest."""

from __future__ import annotations

import sys
from pathlib import Path

from invoke.tasks import task

# The tools of the virtualenv invoke runs from, whether or not it is on PATH.
BIN = Path(sys.executable).parent


@task(help={"quick": "skip the type check and lint", "k": "pytest -k expression", "marker": "pytest -m expression"})
def test(c, quick=False, k=None, marker=None):
    """Type-check every package pyproject's [tool.pyright] includes (pyright), lint (ruff), then run the whole suite."""
    if not quick:
        c.run(f"{BIN}/pyright", pty=False)  # what it checks: [tool.pyright] include in pyproject.toml
        code = [p for p in ("shared", "projects", "policy", "ops", "app", "tests", "tasks.py") if Path(p).exists()]
        c.run(f"{BIN}/ruff check {' '.join(code)}", pty=False)
    c.run(f"{BIN}/invoke build", pty=False)  # the compute layer synthesizes from build/lambda/
    args = []
    if k:
        args += ["-k", repr(k)]
    if marker:
        args += ["-m", repr(marker)]
    c.run(f"{BIN}/pytest " + " ".join(args), pty=False)
