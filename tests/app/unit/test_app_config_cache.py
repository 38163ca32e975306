"""Config cache: TTL, stale-on-failure, pins, required and optional parameters (fake fetcher and clock)."""

from __future__ import annotations

import logging

import pytest

from app.config import (
    EMPTY_RETRY_SECONDS,
    STALE_RETRY_SECONDS,
    TTL_JITTER,
    ConfigCache,
    Pointers,
    build_config,
    parse_pins,
)
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


def make(
    raw: dict[str, str], env: dict[str, str] | None = None, rand: float = 0.0
) -> tuple[ConfigCache, Fetcher, Clock]:
    """``rand`` 0.0: no jitter, the TTL is exactly the configured one (see the jitter tests)."""
    fetcher, clock = Fetcher(raw), Clock()
    cache = ConfigCache(Pointers.from_env(env or ENV), fetcher, clock=clock, rand=lambda: rand)
    return cache, fetcher, clock


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


def test_first_load_failure_fails_fast_then_retries_and_recovers() -> None:
    """SSM down at the very first load: every request is a quick 503 (Retry-After), not one SSM call
    (with its timeouts) per request; the next attempt comes after EMPTY_RETRY_SECONDS."""
    cache, fetcher, clock = make(DB)
    fetcher.fail = True
    for _ in range(50):
        with pytest.raises(ConfigError) as info:
            cache.get()
    assert fetcher.calls == 1 and info.value.retry_after == EMPTY_RETRY_SECONDS
    clock.now += EMPTY_RETRY_SECONDS
    fetcher.fail = False
    assert cache.get().database.host == "proxy.example" and fetcher.calls == 2


def test_first_load_with_a_missing_parameter_is_remembered_too() -> None:
    cache, fetcher, clock = make({k: v for k, v in DB.items() if k != "database/host"})
    for _ in range(3):
        with pytest.raises(ConfigError, match="host"):
            cache.get()
    assert fetcher.calls == 1


def test_ttl_is_jittered_below_the_configured_value() -> None:
    """Environments started together must not refresh in lockstep; none may keep a value longer than
    the TTL (the documented staleness bound)."""
    expiries = set()
    for r in (0.0, 0.5, 0.999):
        cache, fetcher, clock = make(DB, rand=r)
        cache.get()
        low, high = 300 * (1 - TTL_JITTER), 300
        clock.now += low - 0.001
        cache.get()
        assert fetcher.calls == 1  # never earlier than ttl * (1 - jitter)
        while fetcher.calls == 1:
            clock.now += 1
            cache.get()
        assert clock.now - 1000 <= high + 1
        expiries.add(round(clock.now))
    assert len(expiries) == 3


def test_stale_retry_is_jittered_too() -> None:
    cache, fetcher, clock = make(DB, rand=1.0)
    cache.get()
    fetcher.fail = True
    clock.now += 301
    cache.get()
    clock.now += STALE_RETRY_SECONDS * (1 - TTL_JITTER) + 0.01
    cache.get()
    assert fetcher.calls == 3


def test_missing_required_database_parameter_is_a_clear_error() -> None:
    raw = {k: v for k, v in DB.items() if k != "database/username"}
    with pytest.raises(ConfigError, match=r"/myapp/prod/database/: username"):
        make(raw)[0].get()


def test_no_password_parameter_is_needed_with_iam_tokens() -> None:
    raw = {k: v for k, v in DB.items() if k != "database/password"}
    url = make(raw)[0].get().writer_url()
    assert "@" in url and ":" not in url.split("://", 1)[1].split("@", 1)[0]  # user, no password


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


def test_each_function_signs_in_as_its_own_role_to_the_writer_and_the_replica() -> None:
    """What the data layer writes (username = the app role, no password, reader_host = the replica) and
    compute sets (DATABASE_USERNAME) become TLS URLs without a password, for the IAM token hook."""
    raw = {k: v for k, v in DB.items() if k != "database/password"} | {"database/replica_max_lag_seconds": "2.5"}
    api = make(raw, {**ENV, "DATABASE_USERNAME": "app_user"})[0].get()
    assert api.writer_url() == "postgresql+psycopg://app_user@proxy.example:5432/orders?sslmode=require"
    assert api.reader_url() == "postgresql+psycopg://app_user@ro.example:5432/orders?sslmode=require"
    assert api.replica_max_lag_seconds() == 2.5
    migrate = make(raw, {**ENV, "DATABASE_USERNAME": "app_owner"})[0].get()
    assert migrate.writer_url().startswith("postgresql+psycopg://app_owner@proxy.example:5432/")
    assert migrate.app_username() == "app"  # the role its migrations grant (SSM username)
    with pytest.raises(ConfigError, match="replica_max_lag_seconds must be a number"):
        make({**raw, "database/replica_max_lag_seconds": "soon"})[0].get()
