"""`invoke build`: the Lambda dependency layer and the function code, as deterministic zips.

Target: python3.12 on arm64 (Graviton): about 20% cheaper per GB-second than x86_64 and an equal or
faster cold start (lambda-perf: ~78 ms vs ~86 ms init for hello-world python3.12). The layer holds
the app's runtime dependencies, pinned in pyproject.toml, installed from manylinux aarch64 wheels
(never built here, so the host's OS and CPU do not leak into the zip). boto3/botocore and their
own dependencies are *not* packaged: the Lambda python runtime provides them, and shipping a second
copy would add ~25 MB unzipped and slow every cold start.

Outputs in ``build/lambda/``: ``dependencies-layer.zip``, ``app.zip`` and ``manifest.json``
(sha256, sizes, the target). The installed layer tree is cached under ``build/cache/`` by a key
of the requirement pins and the target, so a rebuild with unchanged pins does not touch PyPI.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import asdict
from pathlib import Path

from invoke.exceptions import Exit
from invoke.tasks import task

from ops.lambda_zip import DEFAULT_EXCLUDES, ZipStats, zip_tree

REPO_ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = REPO_ROOT / "build" / "lambda"
CACHE_DIR = REPO_ROOT / "build" / "cache"
LAYER_ZIP = "dependencies-layer.zip"
APP_ZIP = "app.zip"
MANIFEST = "manifest.json"

PYTHON_VERSION = "3.12"
RUNTIME = "python3.12"
ARCHITECTURE = "arm64"
PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64")
# The app's runtime dependencies (names as in pyproject.toml; the pins are read from there).
LAYER_PACKAGES = ("aws-lambda-powertools", "aws-xray-sdk", "sqlalchemy", "psycopg", "alembic", "tenacity")
# Provided by the Lambda python runtime; pulled in transitively (aws-xray-sdk -> botocore) but not shipped.
RUNTIME_PROVIDED = frozenset(
    {
        "boto3",
        "botocore",
        "s3transfer",
        "jmespath",
        "urllib3",
        "python-dateutil",
        "six",
    }
)
LAYER_EXCLUDES = (*DEFAULT_EXCLUDES, "*.pyi")
# The laptop-only modules (HTTP adapter, `invoke serve` wiring, benchmarks) are not Lambda code.
APP_EXCLUDES = (*DEFAULT_EXCLUDES, "local.py", "local_validation.py", "devserver.py", "bench.py")

# Lambda quotas: 250 MB unzipped for the function and all its layers; 50 MB for a direct zip upload.
UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024
ZIPPED_DIRECT_UPLOAD_LIMIT_BYTES = 50 * 1024 * 1024


class BuildError(RuntimeError):
    """The build cannot produce an artifact; the message says what to fix."""


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def layer_requirements(pyproject: Path = REPO_ROOT / "pyproject.toml") -> list[str]:
    """The pinned requirement strings of ``LAYER_PACKAGES`` from pyproject.toml, sorted."""
    declared = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    wanted = {_canonical(p) for p in LAYER_PACKAGES}
    found = {}
    for requirement in declared:
        match = re.match(r"\s*([A-Za-z0-9._-]+)", requirement)
        name = _canonical(match.group(1) if match else requirement)
        if name in wanted:
            if "==" not in requirement:
                raise BuildError(
                    f"pyproject.toml: {requirement!r} is not pinned (==); the layer must be reproducible"
                )
            found[name] = requirement.strip()
    missing = wanted - set(found)
    if missing:
        raise BuildError(f"pyproject.toml lacks the layer dependencies {sorted(missing)}")
    return sorted(found.values())


def _pip(*args: str) -> None:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", *args]
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BuildError(f"pip {args[0]} failed:\n{proc.stderr.strip()[-2000:]}")


def _target_args() -> list[str]:
    args = ["--only-binary=:all:", "--python-version", PYTHON_VERSION, "--implementation", "cp"]
    for platform in PLATFORMS:
        args += ["--platform", platform]
    return args


def _wheel_project(wheel: Path) -> str:
    return _canonical(wheel.name.split("-")[0])


def install_layer_tree(requirements: list[str], cache_dir: Path = CACHE_DIR) -> Path:
    """The installed ``python/`` tree for ``requirements``, from the cache or built from PyPI wheels."""
    key = hashlib.sha256(
        json.dumps([requirements, PYTHON_VERSION, PLATFORMS, sorted(RUNTIME_PROVIDED)]).encode()
    ).hexdigest()[:16]
    tree = cache_dir / f"layer-{key}"
    if (tree / ".complete").exists():
        return tree
    wheels = cache_dir / "wheels"
    _pip("download", "--dest", str(wheels), *_target_args(), *requirements)
    wanted = sorted(w for w in wheels.glob("*.whl") if _wheel_project(w) not in RUNTIME_PROVIDED)
    # Only the wheels this resolution needs: the download folder is a cache shared across pin changes.
    resolved = _resolved_wheels(requirements, wheels)
    wanted = [w for w in wanted if w.name in resolved]
    shutil.rmtree(tree, ignore_errors=True)
    _pip(
        "install",
        "--no-deps",
        "--no-index",
        "--no-compile",
        "--target",
        str(tree),
        *_target_args(),
        *map(str, wanted),
    )
    shutil.rmtree(tree / "bin", ignore_errors=True)  # console scripts with this host's shebang
    (tree / ".complete").write_text("\n".join(w.name for w in wanted) + "\n")
    return tree


def _resolved_wheels(requirements: list[str], wheels: Path) -> set[str]:
    """Wheel file names pip resolves for ``requirements`` from the local wheel cache alone."""
    report = wheels.parent / "resolve-report.json"
    _pip(
        "install",
        "--dry-run",
        "--ignore-installed",
        "--no-index",
        "--find-links",
        str(wheels),
        "--report",
        str(report),
        "--target",
        str(wheels.parent / "dry-run"),
        *_target_args(),
        *requirements,
    )
    items = json.loads(report.read_text())["install"]
    return {item["download_info"]["url"].rsplit("/", 1)[-1] for item in items}


def build_layer(out_dir: Path = OUT_DIR, cache_dir: Path = CACHE_DIR) -> ZipStats:
    tree = install_layer_tree(layer_requirements(), cache_dir)
    excludes = (*LAYER_EXCLUDES, ".complete")
    return zip_tree(tree, out_dir / LAYER_ZIP, prefix="python/", excludes=excludes)  # /opt/python on sys.path


def build_app(app_dir: Path = REPO_ROOT / "app", out_dir: Path = OUT_DIR) -> ZipStats:
    if not (app_dir / "__init__.py").exists():
        raise BuildError(f"{app_dir} is not a Python package (no __init__.py): nothing to package")
    return zip_tree(app_dir, out_dir / APP_ZIP, prefix="app/", excludes=APP_EXCLUDES)


def _entry(stats: ZipStats) -> dict[str, object]:
    entry = asdict(stats)
    entry["path"] = stats.path.name
    return entry


def write_manifest(layer: ZipStats, app: ZipStats, requirements: list[str], out_dir: Path = OUT_DIR) -> Path:
    manifest = {
        "runtime": RUNTIME,
        "architecture": ARCHITECTURE,
        "platforms": list(PLATFORMS),
        "requirements": requirements,
        "runtime_provided": sorted(RUNTIME_PROVIDED),
        "artifacts": {"layer": _entry(layer), "app": _entry(app)},
        "limits": {
            "unzipped_bytes": UNZIPPED_LIMIT_BYTES,
            "zipped_direct_upload_bytes": ZIPPED_DIRECT_UPLOAD_LIMIT_BYTES,
        },
        "unzipped_total_bytes": layer.unzipped_bytes + app.unzipped_bytes,
    }
    path = out_dir / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return path


def check_limits(layer: ZipStats, app: ZipStats) -> list[str]:
    """Problems with Lambda's size quotas (empty when the artifacts fit)."""
    problems = []
    total = layer.unzipped_bytes + app.unzipped_bytes
    if total > UNZIPPED_LIMIT_BYTES:
        problems.append(f"function + layer unzipped is {total / 2**20:.1f} MB; Lambda allows 250 MB")
    for stats in (layer, app):
        if stats.zipped_bytes > ZIPPED_DIRECT_UPLOAD_LIMIT_BYTES:
            problems.append(
                f"{stats.path.name} is {stats.zipped_bytes / 2**20:.1f} MB zipped; over 50 MB "
                "it can only be deployed from S3 (it is: the artifacts bucket)"
            )
    return problems


def artifacts_present(out_dir: Path = OUT_DIR) -> bool:
    return all((out_dir / name).exists() for name in (LAYER_ZIP, APP_ZIP, MANIFEST))


def run_build(out_dir: Path = OUT_DIR, echo=print) -> Path:
    requirements = layer_requirements()
    layer = build_layer(out_dir)
    app = build_app(out_dir=out_dir)
    manifest = write_manifest(layer, app, requirements, out_dir)
    for stats in (layer, app):
        echo(
            f"{stats.path.name:<24} {stats.zipped_bytes / 2**20:7.2f} MB zipped  "
            f"{stats.unzipped_bytes / 2**20:7.2f} MB unzipped  {stats.files:5} files  "
            f"sha256 {stats.sha256[:16]}"
        )
    total = layer.unzipped_bytes + app.unzipped_bytes
    share = 100 * total / UNZIPPED_LIMIT_BYTES
    echo(
        f"{'total unzipped':<24} {total / 2**20:7.2f} MB of Lambda's 250 MB ({share:.0f}%); "
        f"{RUNTIME} {ARCHITECTURE}"
    )
    problems = check_limits(layer, app)
    if any("250 MB" in p for p in problems):
        raise BuildError("; ".join(problems))
    for problem in problems:
        echo(f"note: {problem}")
    return manifest


@task
def build(c):
    """Build build/lambda/dependencies-layer.zip and app.zip (deterministic) and their manifest.json."""
    try:
        manifest = run_build()
    except BuildError as error:
        raise Exit(str(error), code=1) from None
    print(f"manifest: {manifest.relative_to(REPO_ROOT)}")
