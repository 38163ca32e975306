"""IAM authentication to RDS Proxy: a fresh token as the password of every new connection.

When the data layer's proxy requires IAM auth, compute sets ``DATABASE_IAM_AUTH=true``. The token is
signed locally with the function's role credentials (no API call, valid 15 minutes), so signing at
each new connection costs microseconds and a token never outlives the connection that used it. The
password from SSM is then not used by the functions (RDS Proxy itself logs in to PostgreSQL with its
Secrets Manager secret).
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

from app.contract import DATABASE_IAM_AUTH, env_flag

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

_lock = threading.Lock()
_client: Any = None


def enabled() -> bool:
    return env_flag(os.environ.get(DATABASE_IAM_AUTH), default=False)


def _rds_client() -> Any:
    global _client
    if _client is None:
        with _lock:
            if _client is None:
                import boto3  # lazy: only functions that open a database connection pay for it

                region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
                _client = boto3.client("rds", region_name=region)
    return _client


def auth_token(host: str, port: int, user: str) -> str:
    return _rds_client().generate_db_auth_token(DBHostname=host, Port=int(port), DBUsername=user)


def inject_token(dialect: Any, conn_rec: Any, cargs: Any, cparams: dict[str, Any]) -> None:
    """SQLAlchemy ``do_connect`` hook: replace the URL's password with a fresh IAM token."""
    cparams["password"] = auth_token(cparams["host"], cparams.get("port") or 5432, cparams["user"])


def attach(engine: Engine) -> None:
    from sqlalchemy import event

    event.listen(engine, "do_connect", inject_token)
