"""Apply the database migrations of a deployed environment: invoke its migrate function once.

The schema lives with the code (Alembic revisions in app/migrations, shipped in the function zip),
and the database sits in isolated subnets, so migrations run *inside* the VPC: the rollout invokes
``serverless-infra-{env}-migrate:live`` right after the compute layer and stops if it fails.
Runnable alone: ``python -m ops.migrate --env staging`` or ``invoke migrate --env staging``.

On a new database the owner role that migrations sign in as does not exist yet: the function answers
``OwnerSignInError``, and this module then invokes it once with ``{"bootstrap": true}`` (it creates the owner
as the master user, docs/data.md "Roles") and migrates again. ``--bootstrap`` runs only the bootstrap.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from invoke.exceptions import Exit
from invoke.tasks import task

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


def _invoke(client: Any, function: str, event: dict[str, Any]) -> dict[str, Any]:
    try:
        response = client.invoke(FunctionName=function, InvocationType="RequestResponse",
                                 Payload=json.dumps(event).encode())
    except Exception as error:  # noqa: BLE001 - botocore raises many types; the message is what matters
        raise MigrationFailed(f"could not invoke {function}: {error}") from None
    payload = json.loads(response["Payload"].read() or b"null")
    if response.get("FunctionError"):
        detail = payload.get("errorMessage") if isinstance(payload, dict) else payload
        failure = MigrationFailed(f"{function} failed: {detail}")
        failure.error_type = payload.get("errorType") if isinstance(payload, dict) else None  # type: ignore[attr-defined]
        raise failure
    return payload


def run_migrations(
    env: Environment | str, client: Any = None, revision: str = "head", *, bootstrap: str = "auto"
) -> dict[str, Any]:
    """Invoke the migrate function synchronously; return its result or raise `MigrationFailed`.

    ``bootstrap``: ``auto`` (bootstrap the owner once if it cannot sign in, then migrate), ``only`` or ``never``.
    """
    environment = Environment.parse(str(env), source="--env")
    if client is None:
        import boto3

        config = client_config(migrate_timeout_seconds(environment))
        client = boto3.client("lambda", region_name=REGION, config=config)
    function = migrate_function(environment)
    if bootstrap == "only":
        return _invoke(client, function, {"bootstrap": True})
    try:
        return _invoke(client, function, {"revision": revision})
    except MigrationFailed as failure:
        if bootstrap != "auto" or getattr(failure, "error_type", None) != "OwnerSignInError":
            raise
    created = _invoke(client, function, {"bootstrap": True})
    return {**_invoke(client, function, {"revision": revision}), "bootstrap": created}


@task(help={"env": "dev, staging or prod", "revision": "Alembic revision to upgrade to (default head)",
            "bootstrap": "only create the owner role as the master user (once per database; migrating does it "
                         "by itself when the owner cannot sign in)"})
def migrate(c, env, revision="head", bootstrap=False):
    """Apply the database migrations of a deployed env (invokes its migrate function)."""
    try:
        print(json.dumps(run_migrations(env, revision=revision, bootstrap="only" if bootstrap else "auto")))
    except Exception as error:  # noqa: BLE001 - config, credentials or the function: one clear line
        raise Exit(f"migrate: {error}", code=1) from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Apply the database migrations of a deployed environment.")
    parser.add_argument("--env", required=True)
    parser.add_argument("--revision", default="head")
    parser.add_argument("--bootstrap", action="store_true", help="only create the owner role (once per database)")
    args = parser.parse_args(argv)
    try:
        print(json.dumps(run_migrations(args.env, revision=args.revision,
                                        bootstrap="only" if args.bootstrap else "auto")))
    except Exception as error:  # noqa: BLE001
        print(f"migrate: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
