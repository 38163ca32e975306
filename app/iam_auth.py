"""IAM authentication to RDS Proxy: a fresh token as the password of every new connection.

When the data layer's proxy requires IAM auth, compute sets ``DATABASE_IAM_AUTH=true``. The token is
signed locally with the function's role credentials (no API call, valid 15 minutes), so signing at
each new connection costs microseconds and a token never outlives the connection that used it. The
password from SSM is then not used by the functions (RDS Proxy itself logs in to PostgreSQL with its
Secrets Manager secret).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from app.contract import DATABASE_IAM_AUTH, env_flag

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


def enabled() -> bool:
    return env_flag(os.environ.get(DATABASE_IAM_AUTH), default=False)


def _credentials_source() -> Any:
    """The execution environment's botocore session (app/aws.py): the role's credentials.

    An RDS auth token is a SigV4 query-string signature (service ``rds-db``, action ``connect``), made
    locally. ``boto3.client("rds").generate_db_auth_token`` makes the same one, but first loads the
    RDS API model and endpoint rules (~30-130 ms of a cold start here, docs/performance.md) that the
    signature never uses.
    """
    from app import aws

    return aws.session()


def auth_token(host: str, port: int, user: str) -> str:
    """``host:port/?Action=connect&DBUser=user&X-Amz-...``: what RDS Proxy accepts as the password
    (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.Connecting.html)."""
    from botocore.auth import SigV4QueryAuth
    from botocore.awsrequest import AWSRequest

    credentials = _credentials_source().get_credentials()
    if credentials is None:
        raise RuntimeError("no AWS credentials to sign an RDS IAM auth token with")
    from app.aws import region

    request = AWSRequest(method="GET", url=f"https://{host}:{int(port)}/", data={"Action": "connect", "DBUser": user})
    SigV4QueryAuth(credentials.get_frozen_credentials(), "rds-db", region(), expires=900).add_auth(request)
    return request.prepare().url[len("https://") :]


def inject_token(dialect: Any, conn_rec: Any, cargs: Any, cparams: dict[str, Any]) -> None:
    """SQLAlchemy ``do_connect`` hook: replace the URL's password with a fresh IAM token."""
    cparams["password"] = auth_token(cparams["host"], cparams.get("port") or 5432, cparams["user"])


def attach(engine: Engine) -> None:
    from sqlalchemy import event

    event.listen(engine, "do_connect", inject_token)
