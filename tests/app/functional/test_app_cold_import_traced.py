"""What a cold start imports with tracing ON (as deployed): the X-Ray SDK patches botocore only, so INIT
loads no database library, and the first request loads no ORM (fresh interpreter, hence functional)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.functional
ROOT = Path(__file__).parents[3]


def loaded_after(statements: str) -> set[str]:
    code = f"import sys; {statements}; print(','.join(sorted(m for m in sys.modules)))"
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "LAMBDA_TASK_ROOT": str(ROOT),  # Powertools' Tracer is only enabled inside Lambda
        "AWS_LAMBDA_FUNCTION_NAME": "serverless-infra-prod-api",
        "AWS_REGION": "us-east-1",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    }
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT, env=env)
    return set(proc.stdout.strip().splitlines()[-1].split(","))


@pytest.mark.parametrize("handler", ["api", "worker"])
def test_traced_init_patches_botocore_but_loads_no_database_library(handler):
    modules = loaded_after(f"import app.handlers.{handler} as h; assert type(h.tracer).__name__ == 'Tracer'")
    assert "aws_xray_sdk.ext.botocore.patch" in modules  # AWS calls are traced
    assert not {"sqlalchemy", "psycopg", "sqlite3", "aws_xray_sdk.ext.sqlalchemy_core"} & modules


def test_first_request_path_loads_no_orm_and_no_boto3():
    modules = loaded_after(
        "import app.handlers.api, app.repository, app.db; from app.config import _default_ssm_client; "
        "from app.iam_auth import auth_token; _default_ssm_client(); auth_token('db.example', 5432, 'app')"
    )
    assert "sqlalchemy" in modules and "botocore.client" in modules
    assert not {"sqlalchemy.orm", "boto3"} & modules
