"""Deterministic zip archives for Lambda: the same tree gives the same bytes, build after build.

A zip carries timestamps, permissions, the creating OS and the entry order; any of them changing
makes a new sha256, a new S3 object and a new layer or function version. So every entry is written
the same way: sorted POSIX paths, 1980-01-01 00:00:00, mode 0644, unix "creator", deflate level 9,
no directory entries, no extra fields, no comment.
"""

from __future__ import annotations

import fnmatch
import hashlib
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644  # regular file, rw-r--r--: Lambda only needs to read (and dlopen) what it unpacks
COMPRESS_LEVEL = 9

# Never shipped: bytecode (Lambda compiles on import; a .pyc for the wrong interpreter is dead weight),
# test suites, docs and caches.
DEFAULT_EXCLUDES: tuple[str, ...] = (
    "__pycache__",
    "*.pyc",
    "*.pyo",
    "tests",
    "test",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    "*.dist-info/RECORD",
    "*.dist-info/INSTALLER",
    "*.dist-info/REQUESTED",
    "*.dist-info/direct_url.json",
    ".DS_Store",
)


@dataclass(frozen=True)
class ZipStats:
    path: Path
    sha256: str
    zipped_bytes: int
    unzipped_bytes: int
    files: int


def excluded(relative: str, patterns: Sequence[str]) -> bool:
    """Whether a POSIX relative path, or any of its parent folders, matches one of ``patterns``."""
    parts = relative.split("/")
    for pattern in patterns:
        if "/" in pattern:
            if any(fnmatch.fnmatchcase("/".join(parts[i:]), pattern) for i in range(len(parts))):
                return True
        elif any(fnmatch.fnmatchcase(part, pattern) for part in parts):
            return True
    return False


def collect(root: Path, excludes: Sequence[str] = DEFAULT_EXCLUDES) -> list[tuple[str, Path]]:
    """(archive-relative POSIX path, file) for every kept regular file under ``root``, sorted."""
    found = []
    for path in root.rglob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        relative = path.relative_to(root).as_posix()
        if not excluded(relative, excludes):
            found.append((relative, path))
    return sorted(found)


def write_zip(entries: Iterable[tuple[str, Path]], destination: Path, prefix: str = "") -> ZipStats:
    """Write ``entries`` (archive path, file) under ``prefix`` deterministically; return its stats."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    temporary = destination.with_suffix(destination.suffix + ".tmp")
    unzipped = files = 0
    with zipfile.ZipFile(temporary, "w") as archive:
        for name, path in sorted((f"{prefix}{name}", path) for name, path in entries):
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE_TIME)
            info.create_system = 3  # unix, so external_attr carries the mode
            info.external_attr = FILE_MODE << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            data = path.read_bytes()
            archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL)
            unzipped += len(data)
            files += 1
    temporary.replace(destination)
    return ZipStats(destination, sha256_of(destination), destination.stat().st_size, unzipped, files)


def zip_tree(
    root: Path, destination: Path, prefix: str = "", excludes: Sequence[str] = DEFAULT_EXCLUDES
) -> ZipStats:
    """Zip every kept file under ``root`` (paths relative to ``root``, under ``prefix``)."""
    return write_zip(collect(root, excludes), destination, prefix)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
