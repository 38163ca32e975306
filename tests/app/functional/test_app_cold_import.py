"""The cold-start rule, checked in a fresh interpreter (a subprocess, hence not a unit test)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.functional


def test_api_module_import_stays_light() -> None:
    """The cold-start rule: importing the API module pulls in no boto3/SQLAlchemy/pydantic."""
    import subprocess
    import sys

    code = (
        "import sys, app.handlers.api; "
        "heavy = ('boto3', 'sqlalchemy', 'pydantic', 'tenacity', 'aws_xray_sdk'); "
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[3],
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(Path(__file__).parents[3]),
            "POWERTOOLS_TRACE_DISABLED": "true",
        },
    )
    assert out.stdout.strip() == ""
