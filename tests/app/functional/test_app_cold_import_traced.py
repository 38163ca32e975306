"""What a cold start imports with tracing ON (as deployed): the X-Ray SDK patches botocore only, so INIT
loads no database library, and the first request loads no ORM (fresh interpreter, hence functional)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.functional
ROOT = Path(__file__).parents[3]


def run_fresh(code: str, **extra_env: str) -> str:
    """``code`` in a fresh interpreter with the environment a traced Lambda function has; its last line."""
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
        **extra_env,
    }
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT, env=env)
    return proc.stdout.strip().splitlines()[-1]


def loaded_after(statements: str) -> set[str]:
    return set(run_fresh(f"import sys; {statements}; print(','.join(sorted(m for m in sys.modules)))").split(","))


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
    # Request validation is API Gateway's job in AWS; the local server's validator stays local.
    assert not {"openapi_core", "jsonschema", "pydantic", "app.local_validation", "app.local"} & modules


def test_the_ssm_client_the_sqs_client_and_the_iam_token_share_one_botocore_session():
    created = run_fresh(
        "import botocore.session as bs; made = []; real = bs.get_session; "
        "bs.get_session = lambda *a: made.append(1) or real(*a); "
        "from app.config import _default_ssm_client; from app.queue import sqs_client; "
        "from app.iam_auth import auth_token; _default_ssm_client(); sqs_client(); "
        "auth_token('db.example', 5432, 'app'); print(len(made))"
    )
    assert created == "1"


GC_PROBE = (
    "import gc; import app.handlers.api as h; paused = not gc.isenabled(); "
    "from app.local import api_event; import types; "
    "ctx = types.SimpleNamespace(function_name='f', memory_limit_in_mb=512, aws_request_id='r', "
    "invoked_function_arn='arn:aws:lambda:us-east-1:123456789012:function:f', "
    "get_remaining_time_in_millis=lambda: 3000); "
    "r = h.lambda_handler(api_event('GET', '/health'), ctx); "
    "print(paused, gc.isenabled(), gc.get_freeze_count() > 0, r['statusCode'])"
)
METRICS_ENV = {"POWERTOOLS_METRICS_NAMESPACE": "ServerlessInfra", "POWERTOOLS_SERVICE_NAME": "api"}


def test_inside_lambda_the_collector_is_paused_from_init_to_the_end_of_the_first_invocation():
    assert run_fresh(GC_PROBE, AWS_LAMBDA_INITIALIZATION_TYPE="on-demand", **METRICS_ENV) == "True True True 200"


def test_outside_lambda_importing_a_handler_leaves_the_collector_alone():
    assert run_fresh(GC_PROBE, **METRICS_ENV) == "False True False 200"
