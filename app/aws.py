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
from collections.abc import Iterator, Sequence
from typing import Any

_lock = threading.Lock()
_session: Any = None


def region() -> str:
    """The function's region (Lambda sets ``AWS_REGION``)."""
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


class KnownServices(Sequence[str]):
    """The services a botocore loader knows, answering ``name in services`` by looking at that one
    service's folder; listing them (iterating, ``len``) walks them all, as botocore does."""

    def __init__(self, loader: Any, type_name: str) -> None:
        self._loader, self._type_name = loader, type_name
        self._all: list[str] | None = None

    def __contains__(self, service: object) -> bool:
        if not isinstance(service, str) or not service or os.sep in service:
            return False
        for base in self._loader.search_paths:
            folder = os.path.join(base, service)
            if os.path.isdir(folder) and any(
                self._loader.file_loader.exists(os.path.join(folder, version, self._type_name))
                for version in os.listdir(folder)
            ):
                return True
        return False

    def _names(self) -> list[str]:
        if self._all is None:
            from botocore.loaders import Loader

            self._all = Loader.list_available_services(self._loader, self._type_name)
        return self._all

    def __getitem__(self, index: Any) -> Any:
        return self._names()[index]

    def __len__(self) -> int:
        return len(self._names())

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())


def _data_loader(session: Any) -> Any:
    """botocore's data loader, same search paths, except that checking a service exists does not list
    all of them. ``Loader.load_service_model`` asks ``service in list_available_services(type)`` before
    loading a model, and listing walks every service folder of botocore's data (~450, two listings per
    client: 60% of creating the SSM client here, ~40 ms of a cold start's CPU, docs/performance.md)."""
    from botocore.loaders import Loader, create_loader

    class NamedServiceLoader(Loader):
        def list_available_services(self, type_name: str) -> KnownServices:  # type: ignore[override]
            return KnownServices(self, type_name)

    default = create_loader(session.get_config_variable("data_path"))  # what botocore would use
    return NamedServiceLoader(extra_search_paths=default.search_paths, include_default_search_paths=False)


def _shared_session() -> Any:
    global _session
    if _session is None:
        import botocore.session  # lazy: a cold start pays for it at its first AWS call, not at import

        session = botocore.session.get_session()
        session.register_component("data_loader", _data_loader(session))
        _session = session
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
