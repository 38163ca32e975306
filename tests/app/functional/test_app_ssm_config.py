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
        "proxy_host": "proxy.local",
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
