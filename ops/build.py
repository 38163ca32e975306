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

Between install and zip, each tree is staged: trimmed of what never runs (``ops/layer_trim.py``),
native modules stripped of debug info, and compiled to unchecked-hash bytecode by the target's own
interpreter (``ops/bytecode.py``); a step whose tool is missing is skipped and said so, in the output
and in the manifest. ``invoke build --host`` builds the same artifacts for this machine's platform and
interpreter into ``build/lambda-host/``: what the cold-start benchmark unpacks and imports.
"""

from __future__ import annotations

import hashlib
import json
import platform
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

from invoke.exceptions import Exit
from invoke.tasks import task

from ops import bytecode
from ops.lambda_zip import DEFAULT_EXCLUDES, ZipStats, collect, write_zip
from ops.layer_trim import LAYER_TRIM, find_strip_tool, strip_debug_info

REPO_ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = REPO_ROOT / "build" / "lambda"
HOST_OUT_DIR = REPO_ROOT / "build" / "lambda-host"
CACHE_DIR = REPO_ROOT / "build" / "cache"
STAGE_DIR = REPO_ROOT / "build" / "stage"
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
LAYER_EXCLUDES = (*DEFAULT_EXCLUDES, "*.pyi", *LAYER_TRIM)
# The laptop-only modules (HTTP adapter, `invoke serve` wiring, benchmarks, the tools' percentile) are not
# Lambda code; no shipped module may import them (tests/unit/test_compute_build.py).
APP_EXCLUDES = (*DEFAULT_EXCLUDES, "local.py", "local_validation.py", "devserver.py", "bench.py", "percentile.py")

# Lambda quotas: 250 MB unzipped for the function and all its layers; 50 MB for a direct zip upload.
UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024
ZIPPED_DIRECT_UPLOAD_LIMIT_BYTES = 50 * 1024 * 1024
# Ours: what every cold start unpacks (docs/performance.md). Exceeding it is reported, not fatal.
LAYER_BUDGET_BYTES = 25 * 1024 * 1024


@dataclass(frozen=True)
class Target:
    """What the artifacts are built for: the Lambda runtime, or this machine (to import them here)."""

    name: str  # "lambda" or "host"
    python_version: str  # "3.12"
    platforms: tuple[str, ...] | None  # wheel platform tags; None: this machine's
    native: bool  # whether this machine's own tools handle the target's binaries
    out_dir: Path


# GNU strip handles the layer's aarch64 binaries only on an aarch64 build machine.
LAMBDA_TARGET = Target(
    "lambda", PYTHON_VERSION, PLATFORMS, native=platform.machine() in ("aarch64", "arm64"), out_dir=OUT_DIR
)


def host_target(out_dir: Path = HOST_OUT_DIR) -> Target:
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    return Target("host", version, None, native=True, out_dir=out_dir)


def target_interpreter(target: Target) -> bytecode.Interpreter | None:
    if target.name == "host":
        return bytecode.host_interpreter()
    return bytecode.find_interpreter(target.python_version)


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


def _target_args(target: Target = LAMBDA_TARGET) -> list[str]:
    args = ["--only-binary=:all:"]
    if target.platforms is None:  # this machine: pip's own interpreter and platform tags
        return args
    args += ["--python-version", target.python_version, "--implementation", "cp"]
    for tag in target.platforms:
        args += ["--platform", tag]
    return args


def _wheel_project(wheel: Path) -> str:
    return _canonical(wheel.name.split("-")[0])


def install_layer_tree(
    requirements: list[str], cache_dir: Path = CACHE_DIR, target: Target = LAMBDA_TARGET
) -> Path:
    """The installed ``python/`` tree for ``requirements``, from the cache or built from PyPI wheels."""
    platforms = target.platforms or (sysconfig.get_platform(), sys.implementation.cache_tag)
    key = hashlib.sha256(
        json.dumps([requirements, target.python_version, platforms, sorted(RUNTIME_PROVIDED)]).encode()
    ).hexdigest()[:16]
    tree = cache_dir / f"layer-{key}"
    if (tree / ".complete").exists():
        return tree
    wheels = cache_dir / ("wheels" if target.platforms else "wheels-host")
    _pip("download", "--dest", str(wheels), *_target_args(target), *requirements)
    wanted = sorted(w for w in wheels.glob("*.whl") if _wheel_project(w) not in RUNTIME_PROVIDED)
    # Only the wheels this resolution needs: the download folder is a cache shared across pin changes.
    resolved = _resolved_wheels(requirements, wheels, target)
    wanted = [w for w in wanted if w.name in resolved]
    shutil.rmtree(tree, ignore_errors=True)
    _pip(
        "install",
        "--no-deps",
        "--no-index",
        "--no-compile",
        "--target",
        str(tree),
        *_target_args(target),
        *map(str, wanted),
    )
    shutil.rmtree(tree / "bin", ignore_errors=True)  # console scripts with this host's shebang
    (tree / ".complete").write_text("\n".join(w.name for w in wanted) + "\n")
    return tree


def _resolved_wheels(requirements: list[str], wheels: Path, target: Target = LAMBDA_TARGET) -> set[str]:
    """Wheel file names pip resolves for ``requirements`` from the local wheel cache alone."""
    report = wheels.parent / f"resolve-report-{target.name}.json"
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
        *_target_args(target),
        *requirements,
    )
    items = json.loads(report.read_text())["install"]
    return {item["download_info"]["url"].rsplit("/", 1)[-1] for item in items}


def _stage_root(out_dir: Path, target: Target) -> Path:
    return out_dir.parent / f".stage-{out_dir.name}-{target.name}"


def _stage(source: Path, stage: Path, excludes: tuple[str, ...]) -> None:
    """Copy the kept files of ``source`` to a fresh ``stage`` (the cache and app/ stay untouched)."""
    shutil.rmtree(stage, ignore_errors=True)
    for relative, path in collect(source, excludes):
        destination = stage / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)


def _compile(tree: Path, target: Target, deployed_root: str) -> dict[str, object]:
    interpreter = target_interpreter(target)
    if interpreter is None:
        return {
            "shipped": False,
            "note": f"python{target.python_version} not found (set {bytecode.INTERPRETER_ENV}): shipped "
            "without bytecode, so each cold start compiles every module it imports",
        }
    modules = bytecode.compile_tree(tree, interpreter, deployed_root)
    size = sum(p.stat().st_size for p in tree.rglob("*.pyc"))
    return {
        "shipped": True,
        "python": interpreter.version,
        "invalidation": "unchecked-hash",
        "modules": modules,
        "bytes": size,
    }


@dataclass(frozen=True)
class Artifact:
    stats: ZipStats
    report: dict[str, object]  # what the staging did (bytecode, strip, trim), for the manifest


def build_layer(out_dir: Path = OUT_DIR, cache_dir: Path = CACHE_DIR, target: Target = LAMBDA_TARGET) -> Artifact:
    tree = install_layer_tree(layer_requirements(), cache_dir, target)
    stage = _stage_root(out_dir, target) / "layer"
    _stage(tree, stage, (*LAYER_EXCLUDES, ".complete"))
    tool = find_strip_tool(target.native)
    stripped: object = strip_debug_info(stage, tool) if tool else "skipped: no llvm-strip on this machine"
    report = {"bytecode": _compile(stage, target, bytecode.LAYER_ROOT), "stripped_debug_info": stripped}
    stats = write_zip(collect(stage, ()), out_dir / LAYER_ZIP, prefix="python/")  # /opt/python on sys.path
    return Artifact(stats, report)


def build_app(app_dir: Path = REPO_ROOT / "app", out_dir: Path = OUT_DIR, target: Target = LAMBDA_TARGET) -> Artifact:
    if not (app_dir / "__init__.py").exists():
        raise BuildError(f"{app_dir} is not a Python package (no __init__.py): nothing to package")
    stage = _stage_root(out_dir, target) / "function"
    _stage(app_dir, stage / "app", APP_EXCLUDES)
    report: dict[str, object] = {"bytecode": _compile(stage, target, bytecode.FUNCTION_ROOT)}
    return Artifact(write_zip(collect(stage, ()), out_dir / APP_ZIP), report)


def _entry(artifact: Artifact) -> dict[str, object]:
    entry = asdict(artifact.stats)
    entry["path"] = artifact.stats.path.name
    return {**entry, **artifact.report}


def write_manifest(
    layer: Artifact, app: Artifact, requirements: list[str], out_dir: Path = OUT_DIR, target: Target = LAMBDA_TARGET
) -> Path:
    lambda_target = target.name == "lambda"
    manifest = {
        "target": target.name,
        "runtime": RUNTIME if lambda_target else f"python{target.python_version}",
        "architecture": ARCHITECTURE if lambda_target else sysconfig.get_platform(),
        "platforms": list(target.platforms or [sysconfig.get_platform()]),
        "requirements": requirements,
        "runtime_provided": sorted(RUNTIME_PROVIDED),
        "layer_trim": LAYER_TRIM,
        "artifacts": {"layer": _entry(layer), "app": _entry(app)},
        "limits": {
            "unzipped_bytes": UNZIPPED_LIMIT_BYTES,
            "zipped_direct_upload_bytes": ZIPPED_DIRECT_UPLOAD_LIMIT_BYTES,
            "layer_budget_bytes": LAYER_BUDGET_BYTES,
        },
        "unzipped_total_bytes": layer.stats.unzipped_bytes + app.stats.unzipped_bytes,
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


def run_build(out_dir: Path | None = None, echo=print, target: Target = LAMBDA_TARGET) -> Path:
    out_dir = out_dir or target.out_dir
    requirements = layer_requirements()
    layer = build_layer(out_dir, target=target)
    app = build_app(out_dir=out_dir, target=target)
    manifest = write_manifest(layer, app, requirements, out_dir, target)
    for stats in (layer.stats, app.stats):
        echo(
            f"{stats.path.name:<24} {stats.zipped_bytes / 2**20:7.2f} MB zipped  "
            f"{stats.unzipped_bytes / 2**20:7.2f} MB unzipped  {stats.files:5} files  "
            f"sha256 {stats.sha256[:16]}"
        )
    total = layer.stats.unzipped_bytes + app.stats.unzipped_bytes
    share = 100 * total / UNZIPPED_LIMIT_BYTES
    echo(
        f"{'total unzipped':<24} {total / 2**20:7.2f} MB of Lambda's 250 MB ({share:.0f}%); "
        f"{json.loads(manifest.read_text())['runtime']} {json.loads(manifest.read_text())['architecture']}"
    )
    for kind, artifact in (("layer", layer), ("app", app)):
        compiled: dict = artifact.report["bytecode"]  # type: ignore[assignment]
        echo(f"{kind} bytecode: " + (f"{compiled['modules']} modules, CPython {compiled['python']}, unchecked-hash"
                                     if compiled["shipped"] else f"skipped: {compiled['note']}"))
    echo(f"layer native modules stripped of debug info: {layer.report['stripped_debug_info']}")
    layer_sources = layer.stats.unzipped_bytes - int(layer.report["bytecode"].get("bytes", 0))  # type: ignore[union-attr]
    if target.name == "lambda" and layer_sources > LAYER_BUDGET_BYTES:
        echo(f"note: the layer is {layer_sources / 2**20:.1f} MB unzipped (without bytecode), over our 25 MB budget")
    problems = check_limits(layer.stats, app.stats)
    if any("250 MB" in p for p in problems):
        raise BuildError("; ".join(problems))
    for problem in problems:
        echo(f"note: {problem}")
    return manifest


@task(help={"host": "build for this machine's platform and interpreter into build/lambda-host/ (what `invoke bench` imports)"})
def build(c, host=False):
    """Build build/lambda/dependencies-layer.zip and app.zip (deterministic) and their manifest.json."""
    try:
        manifest = run_build(target=host_target() if host else LAMBDA_TARGET)
    except BuildError as error:
        raise Exit(str(error), code=1) from None
    print(f"manifest: {manifest.relative_to(REPO_ROOT)}")
