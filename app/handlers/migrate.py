"""Migrate handler: ``alembic upgrade head`` against the writer; the deploy invokes it once after compute.

Idempotent (an up-to-date database is a no-op) and serialized by a PostgreSQL advisory lock.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from app.observability import route_library_logs

logger = Logger()
route_library_logs(logger)


@logger.inject_lambda_context(log_event=False)
def lambda_handler(event: dict | None, context: LambdaContext) -> dict[str, Any]:
    from app.config import get_config
    from app.migrate import upgrade

    revision = (event or {}).get("revision", "head")
    result = upgrade(get_config().writer_url(), revision)
    logger.info("migrations applied", extra=result)
    return {"status": "ok", **result}
