"""Bytecode shipped in the Lambda artifacts, compiled by the runtime's own interpreter.

Lambda unpacks layers to ``/opt`` and the function to ``/var/task``, both read-only: Python cannot
write ``__pycache__`` there, so an artifact without bytecode makes every cold start compile every
module it imports from source (measured in docs/performance.md). A ``.pyc`` is only used by the
interpreter whose magic number wrote it (``cpython-312`` for the python3.12 runtime), so the build
compiles with that interpreter, or says plainly that it could not and ships sources only.

``--invalidation-mode unchecked-hash``: the pyc carries a hash of its source and the interpreter never
checks it against the file, so the zip's fixed 1980 timestamps cannot make it stale and the import
does not read the source at all (PEP 552; https://docs.python.org/3/library/compileall.html).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# Where Lambda unpacks each artifact: recorded as co_filename, so tracebacks name the deployed paths
# and the bytes do not depend on the build folder.
LAYER_ROOT = "/opt/python"
FUNCTION_ROOT = "/var/task"
# Override the interpreter used for the Lambda target (e.g. a python3.12 from pyenv or a container).
INTERPRETER_ENV = "LAMBDA_PYTHON"


@dataclass(frozen=True)
class Interpreter:
    command: str
    version: str  # "3.12"


def find_interpreter(version: str) -> Interpreter | None:
    """A CPython ``version`` interpreter on this machine (``$LAMBDA_PYTHON`` or ``python<version>``)."""
    command = os.environ.get(INTERPRETER_ENV) or f"python{version}"
    path = shutil.which(command)
    if path is None:
        return None
    probe = subprocess.run(
        [path, "-c", "import sys, platform; print(platform.python_implementation(), *sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0 or probe.stdout.split() != ["CPython", *version.split(".")]:
        return None
    return Interpreter(path, version)


def host_interpreter() -> Interpreter:
    return Interpreter(sys.executable, f"{sys.version_info.major}.{sys.version_info.minor}")


def compile_tree(tree: Path, interpreter: Interpreter, deployed_root: str) -> int:
    """Compile every ``.py`` under ``tree`` into ``__pycache__`` (unchecked-hash); the number of pycs."""
    command = [
        interpreter.command,
        "-m",
        "compileall",
        "-q",
        "-j",
        "0",
        "--invalidation-mode",
        "unchecked-hash",
        "-s",
        str(tree),
        "-p",
        deployed_root,
        str(tree),
    ]
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        # Some packages ship templates or py2-only files named .py (none in our layer today): a module
        # that cannot compile would fail at import too, so it is an error, not a skip.
        raise RuntimeError(f"compileall with {interpreter.command} failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return sum(1 for _ in tree.rglob(f"*.{pyc_tag(interpreter.version)}.pyc"))


def pyc_tag(version: str) -> str:
    return "cpython-" + re.sub(r"\D", "", version)
