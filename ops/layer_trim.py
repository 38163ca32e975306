"""What the dependency layer leaves out, and why; and debug info stripped from its native modules.

Every byte of the layer is unpacked into ``/opt`` of each new execution environment, and Lambda caps a
function plus its layers at 250 MB unzipped. Our budget is 25 MB (docs/performance.md). A pattern
here matches a file name, or (with a ``/``) the tail of a path, anywhere in the installed tree
(``ops.lambda_zip.excluded``); each says why the app can never load it. ``tests/unit/test_layer_trim.py``
imports every handler and the modules their routes import, and fails if any loaded file matches one of
these patterns.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ops.lambda_zip import excluded

# pattern -> why it never runs in our functions
LAYER_TRIM: dict[str, str] = {
    # Test suites and their fixtures: pytest plugins of the libraries, never imported at run time.
    "sqlalchemy/testing/*": "SQLAlchemy's own test-suite plugin (pytest fixtures, requirements)",
    "alembic/testing/*": "Alembic's own test-suite plugin",
    # Database dialects: the app speaks PostgreSQL through psycopg 3 only (app/config.py builds
    # postgresql+psycopg URLs); SQLAlchemy imports a dialect package only when a URL names it.
    "sqlalchemy/dialects/mssql/*": "SQL Server dialect: no such URL is ever built",
    "sqlalchemy/dialects/mysql/*": "MySQL/MariaDB dialect: no such URL is ever built",
    "sqlalchemy/dialects/oracle/*": "Oracle dialect: no such URL is ever built",
    "sqlalchemy/dialects/sqlite/*": "SQLite dialect: no such URL is ever built",
    # Sources of compiled modules: the .so is what is imported.
    "*.pyx": "Cython source of a shipped extension module",
    "*.pxd": "Cython declarations of a shipped extension module",
    "*.c": "C source of a shipped extension module",
    "*.h": "C headers: nothing is compiled on Lambda",
    "wrapt-stubs": "type stubs for type checkers",
    # SQLAlchemy's Cython modules are written in pure-Python mode: each ``_x_cy.py`` is the source of
    # the ``_x_cy.*.so`` beside it, which the import system finds first (extension suffixes come before
    # ``.py`` in FileFinder), so the .py never loads from a platform wheel.
    "sqlalchemy/*_cy.py": "source of the compiled module beside it, which is what is imported",
    "psycopg/crdb/*": "CockroachDB adapters: the database is PostgreSQL",
    # SQLAlchemy extensions the app's Core tables and Alembic never import (alembic uses ext.compiler,
    # which stays). The app is synchronous: no asyncio engine.
    "sqlalchemy/ext/asyncio/*": "asyncio engine and session: the app is synchronous",
    "sqlalchemy/ext/associationproxy.py": "ORM extension, not used",
    "sqlalchemy/ext/automap.py": "ORM reflection extension, not used",
    "sqlalchemy/ext/baked.py": "legacy ORM query cache, not used",
    "sqlalchemy/ext/horizontal_shard.py": "ORM sharding extension, not used",
    "sqlalchemy/ext/hybrid.py": "ORM extension, not used",
    "sqlalchemy/ext/indexable.py": "ORM extension, not used",
    "sqlalchemy/ext/mutable.py": "ORM extension, not used",
    "sqlalchemy/ext/orderinglist.py": "ORM extension, not used",
    "sqlalchemy/ext/serializer.py": "query pickling extension, not used",
    "alembic/templates/*": "`alembic init` project templates: app/migrations is our environment",
    # X-Ray SDK patchers for libraries that are not in the layer (nothing to patch), and frameworks we
    # do not run; the functions trace botocore only (app/observability.py).
    **{
        f"aws_xray_sdk/ext/{name}/*": "X-Ray patcher for a library or framework the functions do not have"
        for name in (
            "aiobotocore", "aiohttp", "bottle", "django", "flask", "flask_sqlalchemy", "httpx", "mysql",
            "pg8000", "psycopg2", "pymongo", "pymysql", "pynamodb", "requests",
        )
    },
    # Static assets of features we do not enable.
    "swagger_ui/*.min.js": "Swagger UI bundle, served only by APIGatewayRestResolver.enable_swagger (not used)",
    "swagger_ui/*.min.css": "Swagger UI stylesheet, same",
    # Powertools utilities the app does not use (it uses batch, data_classes, typing, jmespath_utils
    # through logging/event_handler, and parameters is kept for the config loader's users).
    "aws_lambda_powertools/utilities/parser/*": "Parser needs pydantic, which the layer does not ship",
    "aws_lambda_powertools/utilities/validation/*": "Validation needs fastjsonschema, which the layer does not ship",
    "aws_lambda_powertools/utilities/idempotency/*": "idempotency is the orders table's unique key (docs/app.md)",
    "aws_lambda_powertools/utilities/feature_flags/*": "no AppConfig feature flags in this stack",
    "aws_lambda_powertools/utilities/streaming/*": "no S3 object streaming in this stack",
    "aws_lambda_powertools/utilities/data_masking/*": "no data masking (needs the encryption SDK)",
    "aws_lambda_powertools/utilities/kafka/*": "no Kafka event sources in this stack",
    "aws_lambda_powertools/utilities/circuit_breaker/*": "not used: retries are tenacity's (app/db.py)",
    "aws_lambda_powertools/utilities/auth_alpha/*": "alpha auth helpers: API Gateway does the auth",
}

# Tools that strip an ELF of any architecture (the layer is aarch64, this machine may not be).
STRIP_TOOLS = ("llvm-strip", "aarch64-linux-gnu-strip")
ELF_MAGIC = b"\x7fELF"


def trimmed(relative: str) -> bool:
    return excluded(relative, tuple(LAYER_TRIM))


def find_strip_tool(native: bool) -> str | None:
    """A strip for the target's ELF files: GNU ``strip`` handles only this machine's architecture."""
    for tool in (*STRIP_TOOLS, *(("strip",) if native else ())):
        path = shutil.which(tool)
        if path:
            return path
    return None


def strip_debug_info(tree: Path, tool: str) -> int:
    """``--strip-debug`` every shared object carrying DWARF sections; the number stripped.

    Only debug sections go (``.debug_*``, unused at run time); the dynamic symbol table that ``dlopen``
    resolves against is untouched. The SQLAlchemy Cython modules ship with debug info: about 10 MB of
    the layer's 40 MB.
    """
    count = 0
    for path in sorted(tree.rglob("*.so*")):
        if not path.is_file() or path.is_symlink():
            continue
        data = path.read_bytes()
        if not data.startswith(ELF_MAGIC) or b".debug_info" not in data:
            continue
        proc = subprocess.run([tool, "--strip-debug", str(path)], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"{tool} --strip-debug {path.name} failed: {proc.stderr.strip()}")
        count += 1
    return count
