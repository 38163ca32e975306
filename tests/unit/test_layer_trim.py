"""The dependency layer's trim list: what it leaves out, why, and that the app never loads any of it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ops import build
from ops.lambda_zip import collect
from ops.layer_trim import LAYER_TRIM, trimmed

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]

# Every module a handler imports at INIT, and the ones its routes import on first use (the lazy imports in
# app/handlers/*, app/repository.py, app/db.py, app/queue.py, the migration runner), with tracing on.
_LOADED = """
import json, os, sys
os.environ.update(POWERTOOLS_TRACE_DISABLED="false", LAMBDA_TASK_ROOT="/var/task", AWS_REGION="us-east-1")
import app.handlers.api, app.handlers.worker, app.handlers.dlq_analyzer, app.handlers.migrate
import app.repository, app.db, app.queue, app.migrate, app.iam_auth, app.models
import alembic.command, alembic.config, alembic.runtime.migration, alembic.script
import sqlalchemy.dialects.postgresql.psycopg, psycopg, boto3
print(json.dumps(sorted({getattr(m, "__file__", None) or "" for m in list(sys.modules.values())})))
"""


def loaded_files() -> list[str]:
    proc = subprocess.run([sys.executable, "-c", _LOADED], cwd=ROOT, capture_output=True, text=True, check=True)
    return [f for f in json.loads(proc.stdout.strip().splitlines()[-1]) if f]


def layer_relative(path: str) -> str | None:
    """``.../site-packages/sqlalchemy/sql/base.py`` -> ``sqlalchemy/sql/base.py`` (None outside site-packages)."""
    marker = "/site-packages/"
    return path.split(marker, 1)[1] if marker in path else None


def test_every_exclusion_says_why():
    assert LAYER_TRIM, "the trim list is empty"
    for pattern, reason in LAYER_TRIM.items():
        assert pattern.strip() and len(reason.strip()) >= 10, f"{pattern!r} needs a reason"


def test_nothing_the_functions_load_is_trimmed():
    files = [rel for f in loaded_files() if (rel := layer_relative(f))]
    assert any(f.startswith("sqlalchemy/") for f in files) and any(f.startswith("aws_xray_sdk/") for f in files)
    offending = sorted(f for f in files if trimmed(f))
    assert offending == [], f"the layer trims modules the functions import: {offending}"


def test_trim_keeps_what_postgres_needs_and_drops_what_it_names(tmp_path):
    files = [
        "sqlalchemy/dialects/postgresql/psycopg.py",
        "sqlalchemy/dialects/mysql/base.py",
        "sqlalchemy/dialects/sqlite/pysqlite.py",
        "sqlalchemy/testing/plugin/pytestplugin.py",
        "sqlalchemy/ext/compiler.py",
        "sqlalchemy/ext/asyncio/engine.py",
        "sqlalchemy/engine/_row_cy.py",
        "sqlalchemy/engine/_row_cy.cpython-312-aarch64-linux-gnu.so",
        "aws_lambda_powertools/event_handler/openapi/swagger_ui/swagger-ui-bundle.min.js",
        "aws_lambda_powertools/event_handler/openapi/swagger_ui/html.py",
        "aws_lambda_powertools/utilities/batch/base.py",
        "aws_lambda_powertools/utilities/idempotency/base.py",
        "aws_xray_sdk/ext/botocore/patch.py",
        "aws_xray_sdk/ext/django/middleware.py",
        "wrapt/_wrappers.c",
    ]
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    kept = {rel for rel, _ in collect(tmp_path, build.LAYER_EXCLUDES)}
    assert kept == {
        "sqlalchemy/dialects/postgresql/psycopg.py",
        "sqlalchemy/ext/compiler.py",
        "sqlalchemy/engine/_row_cy.cpython-312-aarch64-linux-gnu.so",
        "aws_lambda_powertools/event_handler/openapi/swagger_ui/html.py",
        "aws_lambda_powertools/utilities/batch/base.py",
        "aws_xray_sdk/ext/botocore/patch.py",
    }


def test_built_layer_fits_the_budget_and_records_its_trim_list():
    manifest_path = build.OUT_DIR / build.MANIFEST
    if not manifest_path.exists():
        pytest.skip("no build/lambda/manifest.json: run `invoke build`")
    manifest = json.loads(manifest_path.read_text())
    layer = manifest["artifacts"]["layer"]
    if not isinstance(layer.get("stripped_debug_info"), int):
        pytest.skip(f"the layer was built without stripping: {layer.get('stripped_debug_info')}")
    sources_only = layer["unzipped_bytes"] - layer["bytecode"].get("bytes", 0)
    # The budget is for what we choose to ship; bytecode for python3.12, when built, adds its own size.
    assert sources_only <= build.LAYER_BUDGET_BYTES, f"layer is {sources_only / 2**20:.2f} MB unzipped"
    assert manifest["layer_trim"] == LAYER_TRIM
