"""One botocore session per execution environment, shared by every AWS call the app makes.

A botocore session is where the SDK's data is loaded and cached: the endpoint and partition tables,
the list of service models, the credential chain. Each new session loads them again (~90 ms of a cold
start here, docs/performance.md, "The levers, one at a time"), so the SSM client (config), the SQS
client (the async route) and the RDS IAM token (signed with the session's credentials) all come from
this one. botocore itself, not boto3: the clients are the same, and boto3's session and resource
machinery would be one import more.

Sessions are not thread-safe
(https://boto3.amazonaws.com/v1/documentation/api/latest/guide/session.html#multithreading-or-multiprocessing-with-sessions),
clients are once made
(https://boto3.amazonaws.com/v1/documentation/api/latest/guide/clients.html#multithreading-or-multiprocessing-with-clients):
the session is created, and clients are made from it, under one lock.
"""

from __future__ import annotations

import os
import threading
from typing import Any

_lock = threading.Lock()
_session: Any = None


def region() -> str:
    """The function's region (Lambda sets ``AWS_REGION``)."""
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def _shared_session() -> Any:
    global _session
    if _session is None:
        import botocore.session  # lazy: a cold start pays for it at its first AWS call, not at import

        _session = botocore.session.get_session()
    return _session


def session() -> Any:
    """The shared botocore session (created on first use)."""
    with _lock:
        return _shared_session()


def client(service: str, **config: Any) -> Any:
    """A new botocore client for ``service`` in the function's region; ``config``: ``botocore.config.Config``
    arguments (timeouts, retries)."""
    from botocore.config import Config

    with _lock:
        return _shared_session().create_client(service, region_name=region(), config=Config(**config))


def reset() -> None:
    """Forget the session (tests that change credentials or endpoints in the environment)."""
    global _session
    with _lock:
        _session = None
