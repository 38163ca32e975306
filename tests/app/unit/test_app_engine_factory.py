"""One engine factory: no code path of the app builds a database engine any other way."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from app import db

pytestmark = pytest.mark.unit

APP = Path(__file__).resolve().parents[3] / "app"
FACTORY = APP / "db.py"
# Everything in SQLAlchemy (and psycopg) that opens connections without going through build_engine.
ENGINE_MAKERS = {"create_engine", "create_async_engine", "engine_from_config", "create_mock_engine", "connect"}
ENGINE_MODULES = {"sqlalchemy", "psycopg", "psycopg2", "sqlalchemy.ext.asyncio", "sqlalchemy.engine"}


def engine_calls(path: Path) -> list[str]:
    """``create_engine(...)``, ``sqlalchemy.create_engine(...)``, ``psycopg.connect(...)``, and imports of them."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module in ENGINE_MODULES:
            found += [f"{path.name}:{node.lineno} imports {a.name}" for a in node.names if a.name in ENGINE_MAKERS]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if node.func.attr in ENGINE_MAKERS and isinstance(owner, ast.Name) and owner.id in {"sqlalchemy", "sa", "psycopg"}:
                found.append(f"{path.name}:{node.lineno} calls {owner.id}.{node.func.attr}")
    return found


def test_only_the_factory_builds_engines() -> None:
    offenders = [hit for path in sorted(APP.rglob("*.py")) if path != FACTORY for hit in engine_calls(path)]
    assert offenders == [], f"build engines with app.db.build_engine (IAM token, TLS): {offenders}"


def test_the_scan_sees_each_way_of_building_an_engine(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import sqlalchemy as sa\nimport psycopg\nfrom sqlalchemy import create_engine\n"
        "e = sa.create_engine('x')\nc = psycopg.connect('x')\n"
    )
    assert len(engine_calls(sample)) == 3
    assert engine_calls(FACTORY), "the factory itself must be where create_engine is called"


def test_iam_engine_refuses_a_url_without_tls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_IAM_AUTH", "true")
    for url in ("postgresql+psycopg://u@h:5432/d", "postgresql+psycopg://u@h:5432/d?sslmode=prefer"):
        with pytest.raises(db.InsecureEngineError, match="IAM database auth needs TLS"):
            db.build_engine(url)
    db.build_engine("postgresql+psycopg://u@h:5432/d?sslmode=verify-full").dispose()


def test_password_engine_is_allowed_without_iam(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_IAM_AUTH", "false")
    db.build_engine("postgresql+psycopg://u:p@h:5432/d").dispose()
