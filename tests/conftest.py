"""Shared test setup.

* The repo root on sys.path so `shared`, `app` and `ops` import from this tree.
* Markers match folders: a test under a folder named after a registered marker (pyproject's
  `markers`: unit, synth, policy, functional, integration) must carry that marker, and every test
  carries at least one of them, so `pytest -m unit` selects exactly what the folders say is unit.
  A mismatch stops the run at collection with the offending tests listed.
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Iterable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

pytest_plugins = ["pytester"]


def registered_markers(config: pytest.Config) -> set[str]:
    """The marker names the project's own config registers (`"unit: pure Python ..."` -> `unit`).

    Read from the config file, not `getini("markers")`, which also lists every plugin's markers
    (skip, parametrize, timeout...) once the plugins have registered theirs.
    """
    path = config.inipath
    if path is not None and path.suffix == ".toml":
        with path.open("rb") as handle:
            lines = tomllib.load(handle)["tool"]["pytest"]["ini_options"].get("markers", [])
    else:
        raw = config.inicfg.get("markers", "")
        lines = raw.splitlines() if isinstance(raw, str) else list(raw)
    return {str(line).split(":", 1)[0].split("(", 1)[0].strip() for line in lines if str(line).strip()}


def marker_folder_errors(
    tests: Iterable[tuple[str, tuple[str, ...], set[str]]], kinds: set[str]
) -> list[str]:
    """One line per test whose markers disagree with its folders.

    ``tests`` holds (test id, folder names between the tests root and the file, the test's markers).
    """
    errors = []
    for test_id, folders, markers in tests:
        kind_markers = markers & kinds
        missing = sorted(set(folders) & kinds - kind_markers)
        if missing:
            errors.append(f"{test_id}: in folder {'/'.join(missing)} but not marked {', '.join(missing)}")
        elif not kind_markers:
            errors.append(f"{test_id}: marked none of {', '.join(sorted(kinds))}")
    return errors


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    # tryfirst: check every collected test, before `-m`/`-k` deselect any.
    kinds = registered_markers(config)
    root = Path(__file__).resolve().parent
    tests = []
    for item in items:
        path = Path(item.path).resolve()
        folders = path.parent.relative_to(root).parts if path.is_relative_to(root) else ()
        tests.append((item.nodeid, folders, {mark.name for mark in item.iter_markers()}))
    errors = marker_folder_errors(tests, kinds)
    if errors:
        raise pytest.UsageError("markers must match folders (see tests/conftest.py):\n  " + "\n  ".join(errors))
