"""Migrate handler: ``alembic upgrade head`` as the owner role; the deploy invokes it once after compute.

Idempotent (an up-to-date database is a no-op) and serialized by a PostgreSQL advisory lock. It connects
like every function (app.db.build_engine: IAM token through RDS Proxy, TLS), as ``DATABASE_USERNAME`` (the
owner), and sets the replica reader role's CONNECTION LIMIT to the data layer's ``reader_connection_limit``.
``{"bootstrap": true}`` instead creates the owner role as the master user, once per database
(docs/data.md, "Roles").
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import quote

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from app.observability import route_library_logs

logger = Logger()
route_library_logs(logger)


def master_url() -> str:
    """The master user's URL, straight to the primary instance, from the master secret (bootstrap only)."""
    import boto3

    from app.config import get_config
    from app.errors import ConfigError

    secret_arn, host = os.environ.get("DATABASE_MASTER_SECRET_ARN"), os.environ.get("DATABASE_PRIMARY_HOST")
    database = get_config().database
    if not secret_arn or not host or database is None:
        raise ConfigError("bootstrap needs DATABASE_MASTER_SECRET_ARN, DATABASE_PRIMARY_HOST and the SSM database settings")
    secret = json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"])
    user, password = quote(secret["username"], safe=""), quote(secret["password"], safe="")
    return f"postgresql+psycopg://{user}:{password}@{host}:{database.port}/{database.name}?sslmode=require"


@logger.inject_lambda_context(log_event=False)
def lambda_handler(event: dict | None, context: LambdaContext) -> dict[str, Any]:
    from app.config import get_config
    from app.migrate import bootstrap, upgrade

    event = event or {}
    config = get_config()
    if event.get("bootstrap"):
        owner = config.database.username if config.database else os.environ.get("DATABASE_USERNAME", "")
        result = bootstrap(master_url(), owner)
        logger.info("owner role bootstrapped", extra=result)
        return {"status": "ok", **result}
    database = config.database
    result = upgrade(
        config.writer_url(),
        event.get("revision", "head"),
        app_username=config.app_username(),
        # The replica's cap of direct app connections, from the data layer (docs/data.md, Connection budget).
        reader_username=database.reader_username if database else None,
        reader_connection_limit=database.reader_connection_limit if database else None,
    )
    logger.info("migrations applied", extra=result)
    return {"status": "ok", **result}
