"""`invoke build`: deterministic zips, excludes, pins, size limits, the missing-artifact error."""

from __future__ import annotations

import ast
import json
import os
import zipfile
from pathlib import Path

import pytest

from ops import build
from ops.lambda_zip import FIXED_DATE_TIME, excluded, zip_tree
from shared.components.compute.artifacts import MissingArtifactError, load_artifacts

pytestmark = pytest.mark.unit


def make_tree(root: Path) -> Path:
    files = {
        "pkg/__init__.py": "x = 1\n",
        "pkg/mod.py": "def f():\n    return 2\n",
        "pkg/__pycache__/mod.cpython-312.pyc": "junk",
        "pkg/tests/test_mod.py": "assert True\n",
        "pkg/stale.pyc": "junk",
        "pkg-1.0.dist-info/METADATA": "Name: pkg\n",
        "pkg-1.0.dist-info/RECORD": "pkg/mod.py,sha256=...\n",
        "pkg/data/schema.json": "{}\n",
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_same_tree_gives_byte_identical_zip_whatever_the_mtimes_and_modes(tmp_path):
    tree = make_tree(tmp_path / "tree")
    first = zip_tree(tree, tmp_path / "a.zip", prefix="python/")
    for i, path in enumerate(sorted(tree.rglob("*.py"))):
        os.utime(path, (1_700_000_000 + i, 1_700_000_000 + i))
        path.chmod(0o755)
    second = zip_tree(tree, tmp_path / "b.zip", prefix="python/")
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    assert first.sha256 == second.sha256


def test_entries_sorted_fixed_time_mode_and_noise_stripped(tmp_path):
    stats = zip_tree(make_tree(tmp_path / "tree"), tmp_path / "a.zip", prefix="python/")
    with zipfile.ZipFile(stats.path) as archive:
        infos = archive.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names)
    assert names == [
        "python/pkg-1.0.dist-info/METADATA",
        "python/pkg/__init__.py",
        "python/pkg/data/schema.json",
        "python/pkg/mod.py",
    ]
    assert {i.date_time for i in infos} == {FIXED_DATE_TIME}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}
    assert all(i.extra == b"" for i in infos)
    assert stats.files == 4 and stats.unzipped_bytes == sum(i.file_size for i in infos)


def test_excludes_match_folders_anywhere_and_dist_info_paths():
    patterns = ("__pycache__", "tests", "*.dist-info/RECORD")
    assert excluded("a/b/__pycache__/x.pyc", patterns)
    assert excluded("sqlalchemy/tests/x.py", patterns)
    assert excluded("foo-1.0.dist-info/RECORD", patterns)
    assert not excluded("sqlalchemy/testing/x.py", patterns)
    assert not excluded("foo-1.0.dist-info/METADATA", patterns)


def test_layer_requirements_are_the_pinned_runtime_dependencies_without_boto3():
    requirements = build.layer_requirements()
    names = {r.split("==")[0].split("[")[0].lower() for r in requirements}
    assert names == {"aws-lambda-powertools", "aws-xray-sdk", "sqlalchemy", "psycopg", "alembic", "tenacity"}
    assert all("==" in r for r in requirements)
    assert "boto3" in build.RUNTIME_PROVIDED and "botocore" in build.RUNTIME_PROVIDED


def test_unpinned_layer_dependency_is_refused(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[project]\ndependencies = ["aws-lambda-powertools>=3", "aws-xray-sdk==2.15.0",'
        ' "sqlalchemy==2.1.9", "psycopg[binary]==3.3.9", "alembic==1.20.1", "tenacity==9.2.1"]\n'
    )
    with pytest.raises(build.BuildError, match="not pinned"):
        build.layer_requirements(pyproject)


def test_size_limits_flag_oversized_artifacts(tmp_path):
    small = zip_tree(make_tree(tmp_path / "tree"), tmp_path / "a.zip")
    assert build.check_limits(small, small) == []
    huge = type(small)(small.path, small.sha256, 51 * 2**20, 260 * 2**20, 1)
    problems = build.check_limits(huge, small)
    assert any("250 MB" in p for p in problems) and any("50 MB" in p for p in problems)


def test_built_manifest_fits_lambda_limits():
    manifest_path = build.OUT_DIR / build.MANIFEST
    if not manifest_path.exists():
        pytest.skip("no build/lambda/manifest.json: run `invoke build`")
    manifest = json.loads(manifest_path.read_text())
    layer, app = manifest["artifacts"]["layer"], manifest["artifacts"]["app"]
    assert layer["unzipped_bytes"] + app["unzipped_bytes"] <= build.UNZIPPED_LIMIT_BYTES
    assert layer["zipped_bytes"] <= build.ZIPPED_DIRECT_UPLOAD_LIMIT_BYTES
    assert (manifest["runtime"], manifest["architecture"]) == ("python3.12", "arm64")
    with zipfile.ZipFile(build.OUT_DIR / layer["path"]) as archive:
        names = archive.namelist()
    assert all(n.startswith("python/") for n in names)
    assert not any(n.startswith("python/boto") for n in names)
    # Bytecode only when the build had the runtime's interpreter, and only for it (cpython-312).
    pycs = [n for n in names if n.endswith(".pyc")]
    if layer["bytecode"]["shipped"]:
        assert pycs and all(".cpython-312.pyc" in n for n in pycs)
    else:
        assert pycs == [] and not any("__pycache__" in n for n in names)
    with zipfile.ZipFile(build.OUT_DIR / app["path"]) as archive:
        app_names = archive.namelist()
    assert "app/handlers/api.py" in app_names and not any("__pycache__" in n for n in app_names)


def test_missing_artifact_names_the_file_and_the_command(tmp_path):
    with pytest.raises(MissingArtifactError, match=r"manifest.json is missing: run `invoke build`"):
        load_artifacts(tmp_path)
    (tmp_path / "manifest.json").write_text(
        json.dumps(
            {
                "runtime": "python3.12",
                "architecture": "arm64",
                "artifacts": {"layer": {"path": "dependencies-layer.zip", "sha256": "00" * 32}},
            }
        )
    )
    with pytest.raises(MissingArtifactError, match=r"dependencies-layer.zip is missing: run `invoke build`"):
        load_artifacts(tmp_path)


@pytest.mark.skipif(
    not os.environ.get("BUILD_TWICE"), reason="set BUILD_TWICE=1: rebuilds the layer (cached)"
)
def test_whole_build_is_reproducible(tmp_path):
    first = build.run_build(tmp_path / "one", echo=lambda _: None)
    second = build.run_build(tmp_path / "two", echo=lambda _: None)
    assert json.loads(first.read_text())["artifacts"] == {
        k: {**v} for k, v in json.loads(second.read_text())["artifacts"].items()
    }
    assert (tmp_path / "one" / build.LAYER_ZIP).read_bytes() == (
        tmp_path / "two" / build.LAYER_ZIP
    ).read_bytes()


def test_function_zip_holds_the_handlers_and_migrations_but_no_laptop_modules(tmp_path):
    from ops.build import build_app

    build_app(out_dir=tmp_path)
    with zipfile.ZipFile(tmp_path / "app.zip") as archive:
        names = set(archive.namelist())
    assert {"app/handlers/api.py", "app/handlers/worker.py", "app/migrations/env.py", "app/openapi.yaml"} <= names
    assert any(n.startswith("app/migrations/versions/") for n in names)
    assert not names & {"app/local.py", "app/local_validation.py", "app/devserver.py", "app/bench.py",
                        "app/percentile.py"}


def _app_imports(source: str) -> set[str]:
    """The ``app.<module>`` names a module imports (``import app.x``, ``from app.x import``, ``from app import x``)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("app.")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "app":
                found |= {a.name for a in node.names}
            elif node.module.startswith("app."):
                found.add(node.module.split(".")[1])
    return found


def test_no_shipped_module_imports_a_laptop_module(tmp_path):
    """What the zip leaves out must be what no handler path can import: else the function fails at import."""
    from ops.build import build_app

    build_app(out_dir=tmp_path)
    with zipfile.ZipFile(tmp_path / "app.zip") as archive:
        shipped = {n: archive.read(n).decode() for n in archive.namelist() if n.endswith(".py")}
    left_out = {p.stem for p in (build.REPO_ROOT / "app").glob("*.py") if f"app/{p.name}" not in shipped}
    assert {"bench", "percentile", "devserver", "local"} <= left_out
    assert _app_imports("import app.local\nfrom app.bench import x\nfrom app import percentile") == {
        "local", "bench", "percentile"}
    offenders = {name: sorted(_app_imports(source) & left_out) for name, source in shipped.items()}
    assert {name: bad for name, bad in offenders.items() if bad} == {}
