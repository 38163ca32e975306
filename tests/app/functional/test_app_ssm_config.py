"""Config from SSM over HTTP to the emulator: hierarchy, decryption, pagination, pins, outage."""

from __future__ import annotations

import logging
from typing import Any

import boto3
import pytest

from app.config import ConfigCache, Pointers, SsmFetcher

pytestmark = pytest.mark.functional

ENV = "fn"
PREFIX = f"/myapp/{ENV}"


def pointers(**extra: str) -> Pointers:
    return Pointers.from_env(
        {
            "APP_ENV": ENV,
            "PARAMETER_PREFIX_DATABASE": f"{PREFIX}/database/",
            "PARAMETER_PREFIX_API": f"{PREFIX}/api/",
            "PARAMETER_PREFIX_CACHE": f"{PREFIX}/cache/",
            **extra,
        }
    )


@pytest.fixture(scope="module")
def params(boto: Any) -> Any:
    ssm = boto["ssm"]
    values = {
        "host": "writer.local",
        "reader_host": "reader.local",
        "port": "5432",
        "name": "orders",
        "username": "app",
    }
    for k, v in values.items():
        ssm.put_parameter(Name=f"{PREFIX}/database/{k}", Value=v, Type="String", Overwrite=True)
    ssm.put_parameter(
        Name=f"{PREFIX}/database/password", Value="secret-v1", Type="SecureString", Overwrite=True
    )
    ssm.put_parameter(
        Name=f"{PREFIX}/database/password", Value="secret-v2", Type="SecureString", Overwrite=True
    )
    ssm.label_parameter_version(Name=f"{PREFIX}/database/password", ParameterVersion=1, Labels=["known-good"])
    for i in range(12):  # more than one page of GetParametersByPath (10 per page)
        ssm.put_parameter(Name=f"{PREFIX}/api/extra/p{i:02d}", Value=str(i), Type="String", Overwrite=True)
    ssm.put_parameter(Name=f"{PREFIX}/api/max_batch_size", Value="250", Type="String", Overwrite=True)
    return ssm


def client_factory(endpoint: str) -> Any:
    return lambda: boto3.client("ssm", region_name="us-east-1", endpoint_url=endpoint)


def test_hierarchies_are_read_decrypted_and_paginated(params: Any, moto_endpoint: str) -> None:
    fetcher = SsmFetcher(client_factory(moto_endpoint))
    config = ConfigCache(pointers(), fetcher).get()
    assert config.database.password == "secret-v2"  # SecureString, decrypted
    assert config.database.host == "writer.local" and config.database.reader_host == "reader.local"
    assert config.api.max_batch_size == 250 and config.api.page_size_max == 200  # default for a missing key
    assert fetcher.calls == 4  # database: 1 page, api: 2 pages (13 params), cache: 1 (empty) page


@pytest.mark.parametrize(
    ("selector", "expected"), [("1", "secret-v1"), ("known-good", "secret-v1"), ("2", "secret-v2")]
)
def test_pin_by_version_or_label(params: Any, moto_endpoint: str, selector: str, expected: str) -> None:
    fetcher = SsmFetcher(client_factory(moto_endpoint))
    config = ConfigCache(pointers(CONFIG_PINS=f"database/password:{selector}"), fetcher).get()
    assert config.database.password == expected
    assert fetcher.calls == 5  # the hierarchy pages + one GetParameters for the pins


def test_unknown_pin_is_an_error(params: Any, moto_endpoint: str) -> None:
    from app.errors import ConfigError

    with pytest.raises(ConfigError, match="password:9"):
        ConfigCache(
            pointers(CONFIG_PINS="database/password:9"), SsmFetcher(client_factory(moto_endpoint))
        ).get()


def test_ssm_outage_is_served_from_cache(params: Any, caplog: pytest.LogCaptureFixture) -> None:
    """A second emulator that we stop: the client then talks to a dead port."""
    import socket

    from moto.server import ThreadedMotoServer

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    now = [0.0]
    fetcher = SsmFetcher(
        lambda: boto3.client(
            "ssm",
            region_name="us-east-1",
            endpoint_url=f"http://127.0.0.1:{port}",
            config=__import__("botocore.config").config.Config(
                retries={"max_attempts": 1}, connect_timeout=1
            ),
        )
    )
    cache = ConfigCache(pointers(), fetcher, clock=lambda: now[0])
    fresh = cache.get()
    server.stop()
    now[0] += 301
    with caplog.at_level(logging.WARNING, logger="app.config"):
        stale = cache.get()
    assert stale is fresh and stale.database.password == "secret-v2"
    assert cache.stale_served == 1 and "serving stale config" in caplog.text


def test_first_load_with_ssm_down_is_a_clean_503_not_a_crash_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new execution environment while SSM is unreachable: the API answers 503 + Retry-After, the
    environment stays up, and the following requests fail fast without calling SSM again."""
    import json
    import socket
    import time

    from app import config
    from app.handlers import api
    from app.local import FakeContext, api_event

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead_port = sock.getsockname()[1]
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{dead_port}")  # nothing listens there
    attempts = []
    fetcher = SsmFetcher()

    def fetch(prefixes: Any, pins: Any) -> dict[str, str]:
        attempts.append(1)
        return fetcher(prefixes, pins)

    config.reset_config(ConfigCache(Pointers.from_env(), fetch))
    body = json.dumps({"customer_id": "c", "items": [{"sku": "s", "quantity": 1, "unit_price": "1.00"}]})
    JSON = "application/json"  # noqa: N806
    started = time.monotonic()
    answers = [
        api.lambda_handler(
            api_event("POST", "/orders", {"Idempotency-Key": "k-ssm-down", "Content-Type": JSON}, body),
            FakeContext(function_name="api"),
        )
        for _ in range(5)
    ]
    assert [a["statusCode"] for a in answers] == [503] * 5
    assert all(a["multiValueHeaders"]["Retry-After"] == ["5"] for a in answers)
    assert len(attempts) == 1  # one SSM attempt, then fail fast until EMPTY_RETRY_SECONDS have passed
    assert time.monotonic() - started < 10
    assert api.lambda_handler(api_event("GET", "/health"), FakeContext(function_name="api"))["statusCode"] == 200
