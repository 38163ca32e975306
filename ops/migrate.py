"""Apply the database migrations of a deployed environment: invoke its migrate function once.

The schema lives with the code (Alembic revisions in app/migrations, shipped in the function zip),
and the database sits in isolated subnets, so migrations run *inside* the VPC: the rollout invokes
``serverless-infra-{env}-migrate:live`` right after the compute layer and stops if it fails.
Runnable alone: ``python -m ops.migrate --env staging`` or ``invoke migrate --env staging``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from invoke import task
from invoke.exceptions import Exit

from shared.config import REGION, Environment
from shared.naming import resource_name

ALIAS = "live"
# Seconds the client waits beyond the function's own timeout for Lambda to return the result.
READ_TIMEOUT_MARGIN_SECONDS = 30


class MigrationFailed(RuntimeError):
    """The migrate function ran and reported an error, or could not be invoked."""


def migrate_function(env: Environment) -> str:
    return f"{resource_name(env, 'migrate', service='lambda')}:{ALIAS}"


def migrate_timeout_seconds(env: Environment) -> int:
    """The migrate function's timeout, from the compute stack file that deploys it."""
    from shared.accounts import compute_stack_values
    from shared.components.compute.settings import ComputeSettings
    from shared.config import validate_settings

    values, source = compute_stack_values(env)
    return validate_settings(ComputeSettings, values, source).functions["migrate"].timeout_seconds


def client_config(function_timeout_seconds: int) -> Any:
    """A Lambda client that waits out the whole migration and never sends it twice.

    boto3's defaults are a 60 s read timeout and automatic retries: a migration longer than a minute
    would be reported failed while it still runs, then invoked again ("Invoking long-running Lambda
    functions synchronously under default parameters will lead to the functions being retried after
    the default timeout of 60 seconds", AWS Knowledge Center lambda-function-retry-timeout-sdk and the
    Lambda Invoke API guide). ``total_max_attempts=1`` is botocore's "initial request, no retries".
    """
    from botocore.config import Config

    return Config(
        read_timeout=function_timeout_seconds + READ_TIMEOUT_MARGIN_SECONDS,
        connect_timeout=10,
        retries={"mode": "standard", "total_max_attempts": 1},
    )


def run_migrations(env: Environment | str, client: Any = None, revision: str = "head") -> dict[str, Any]:
    """Invoke the migrate function synchronously; return its result or raise `MigrationFailed`."""
    environment = Environment.parse(str(env), source="--env")
    if client is None:
        import boto3

        config = client_config(migrate_timeout_seconds(environment))
        client = boto3.client("lambda", region_name=REGION, config=config)
    function = migrate_function(environment)
    try:
        response = client.invoke(FunctionName=function, InvocationType="RequestResponse",
                                 Payload=json.dumps({"revision": revision}).encode())
    except Exception as error:  # noqa: BLE001 - botocore raises many types; the message is what matters
        raise MigrationFailed(f"could not invoke {function}: {error}") from None
    payload = json.loads(response["Payload"].read() or b"null")
    if response.get("FunctionError"):
        detail = payload.get("errorMessage") if isinstance(payload, dict) else payload
        raise MigrationFailed(f"{function} failed: {detail}")
    return payload


@task(help={"env": "dev, staging or prod", "revision": "Alembic revision to upgrade to (default head)"})
def migrate(c, env, revision="head"):
    """Apply the database migrations of a deployed env (invokes its migrate function)."""
    try:
        print(json.dumps(run_migrations(env, revision=revision)))
    except Exception as error:  # noqa: BLE001 - config, credentials or the function: one clear line
        raise Exit(f"migrate: {error}", code=1) from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Apply the database migrations of a deployed environment.")
    parser.add_argument("--env", required=True)
    parser.add_argument("--revision", default="head")
    args = parser.parse_args(argv)
    try:
        print(json.dumps(run_migrations(args.env, revision=args.revision)))
    except Exception as error:  # noqa: BLE001
        print(f"migrate: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
