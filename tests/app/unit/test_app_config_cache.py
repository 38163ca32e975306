"""Config cache: TTL, stale-on-failure, pins, required and optional parameters (fake fetcher and clock)."""

from __future__ import annotations

import logging

import pytest

from app.config import STALE_RETRY_SECONDS, ConfigCache, Pointers, build_config, parse_pins
from app.errors import ConfigError

pytestmark = pytest.mark.unit

DB = {
    "database/host": "proxy.example",
    "database/port": "5432",
    "database/name": "orders",
    "database/username": "app",
    "database/password": "p@ss/word",
    "database/reader_host": "ro.example",
}
ENV = {
    "APP_ENV": "prod",
    "PARAMETER_PREFIX_DATABASE": "/myapp/prod/database/",
    "PARAMETER_PREFIX_API": "/myapp/prod/api/",
    "PARAMETER_PREFIX_CACHE": "/myapp/prod/cache/",
}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Fetcher:
    def __init__(self, raw: dict[str, str]) -> None:
        self.raw, self.calls, self.fail = dict(raw), 0, False

    def __call__(self, prefixes: dict, pins: dict) -> dict[str, str]:
        self.calls += 1
        if self.fail:
            raise ConnectionError("ssm down")
        return dict(self.raw)


def make(raw: dict[str, str], env: dict[str, str] | None = None) -> tuple[ConfigCache, Fetcher, Clock]:
    fetcher, clock = Fetcher(raw), Clock()
    return ConfigCache(Pointers.from_env(env or ENV), fetcher, clock=clock), fetcher, clock


def test_pointers_from_the_environment_contract() -> None:
    p = Pointers.from_env({**ENV, "CONFIG_TTL_SECONDS": "60", "CONFIG_PINS": "database/password:3"})
    assert p.env == "prod" and p.ttl_seconds == 60 and p.pins == {"database/password": "3"}
    assert p.prefixes == {
        "database": "/myapp/prod/database/",
        "api": "/myapp/prod/api/",
        "cache": "/myapp/prod/cache/",
    }
    assert Pointers.from_env({}).prefixes == {}  # no APP_ENV: local defaults, no SSM
    with pytest.raises(ConfigError):
        Pointers.from_env({**ENV, "CONFIG_TTL_SECONDS": "soon"})


def test_hit_within_ttl_makes_no_call_and_miss_after_ttl_makes_one() -> None:
    cache, fetcher, clock = make({**DB, "cache/config_ttl_seconds": "300"})
    first = cache.get()
    clock.now += 299
    assert cache.get() is first and fetcher.calls == 1
    clock.now += 2
    fetcher.raw["api/max_batch_size"] = "100"
    assert cache.get().api.max_batch_size == 100 and fetcher.calls == 2


def test_default_ttl_is_300_seconds() -> None:
    cache, fetcher, clock = make(DB)
    assert cache.get().cache.config_ttl_seconds == 300


def test_stale_value_served_and_logged_when_ssm_fails(caplog: pytest.LogCaptureFixture) -> None:
    cache, fetcher, clock = make(DB)
    good = cache.get()
    fetcher.fail = True
    clock.now += 301
    with caplog.at_level(logging.WARNING, logger="app.config"):
        assert cache.get() is good
    assert "serving stale config" in caplog.text and cache.stale_served == 1
    clock.now += STALE_RETRY_SECONDS - 1  # no retry storm: the next attempt waits
    cache.get()
    assert fetcher.calls == 2
    clock.now += 2
    fetcher.fail = False
    fetcher.raw["api/page_size_max"] = "150"
    assert cache.get().api.page_size_max == 150 and fetcher.calls == 3


def test_failure_with_nothing_cached_is_a_config_error() -> None:
    cache, fetcher, _ = make(DB)
    fetcher.fail = True
    with pytest.raises(ConfigError, match="nothing cached"):
        cache.get()


def test_missing_required_database_parameter_is_a_clear_error() -> None:
    raw = {k: v for k, v in DB.items() if k != "database/password"}
    with pytest.raises(ConfigError, match=r"/myapp/prod/database/: password"):
        make(raw)[0].get()


def test_optional_parameters_default_and_database_url_is_built_with_tls() -> None:
    config = make(DB)[0].get()
    assert (config.api.max_batch_size, config.api.page_size_default, config.api.page_size_max) == (
        500,
        50,
        200,
    )
    assert (
        config.writer_url()
        == "postgresql+psycopg://app:p%40ss%2Fword@proxy.example:5432/orders?sslmode=require"
    )
    assert config.reader_url().startswith("postgresql+psycopg://app:p%40ss%2Fword@ro.example:5432/")
    assert "p@ss" not in repr(config.database)


def test_database_url_override_is_local_only_and_skips_the_database_hierarchy() -> None:
    config = build_config({}, Pointers.from_env({**ENV, "DATABASE_URL": "postgresql+psycopg://x@h/db"}))
    assert (
        config.database is None
        and config.writer_url() == config.reader_url() == "postgresql+psycopg://x@h/db"
    )


def test_invalid_optional_value_is_an_error_not_a_silent_default() -> None:
    with pytest.raises(ConfigError, match="api/max_batch_size"):
        build_config({**DB, "api/max_batch_size": "900"}, Pointers.from_env(ENV))


def test_pin_syntax() -> None:
    assert parse_pins("database/password:3, api/max_batch_size:stable") == {
        "database/password": "3",
        "api/max_batch_size": "stable",
    }
    for bad in ("password:3", "database/password", "other/x:1", ":3"):
        with pytest.raises(ConfigError):
            parse_pins(bad)
