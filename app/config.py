"""Configuration: environment pointers -> SSM hierarchies -> one typed settings object, cached with a TTL.

Environment variables carry only pointers (``APP_ENV``, ``PARAMETER_PREFIX_*``, ``CONFIG_TTL_SECONDS``);
values live in SSM under ``/myapp/{env}/{database,api,cache}/``. A miss costs one GetParametersByPath call
per hierarchy page (plus one GetParameters call per 10 pinned names); a hit is an attribute read and a
clock comparison. When SSM fails and a previous value exists, the stale value is served and a warning
logged; the next attempt waits ``STALE_RETRY_SECONDS`` so an outage is not turned into a retry storm.

botocore is imported lazily (only on a miss): the API module's cold start must not pay for it.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

from app import contract
from app.contract import CATEGORIES, CONFIG_TTL, DATABASE_PORT, MAX_BATCH_SIZE, PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX
from app.errors import ConfigError

logger = logging.getLogger(__name__)

DEFAULT_TTL_SECONDS = CONFIG_TTL.default
STALE_RETRY_SECONDS = 30
# A TTL is drawn uniformly from [ttl * (1 - TTL_JITTER), ttl]: never longer than configured (the documented
# staleness bound), and environments started together (a deploy scales out 1,000 in 10 s) drift apart
# instead of refreshing in lockstep against SSM's 40 TPS shared quota.
TTL_JITTER = 0.2
# With nothing cached, a failed load is remembered this long (jittered the same way): requests answer
# 503 + Retry-After at once instead of each paying SSM's timeouts and hammering a throttled SSM.
EMPTY_RETRY_SECONDS = 5
# No password: the functions sign in with IAM tokens (the data layer writes none for its roles; a
# ``password`` parameter is still read when present, for a database without IAM auth).
REQUIRED_DATABASE_KEYS = contract.REQUIRED_DATABASE_KEYS
# Every ``category/key`` this loader reads: what the infrastructure writes must be a subset (a test renders
# each env's graph and checks it), or the key is dead weight nobody reads.
KNOWN_KEYS = frozenset(
    {p.relative for p in contract.INT_PARAMETERS}
    | {f"database/{k}" for k in (*contract.DATABASE_KEYS, *contract.OPTIONAL_DATABASE_KEYS)}
)
DEFAULT_REPLICA_MAX_LAG_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    host: str
    port: int
    name: str
    username: str
    password: str = field(default="", repr=False)
    reader_host: str | None = None
    sslmode: str = "require"
    app_username: str | None = None  # the application role (SSM ``username``), when ``username`` differs
    replica_max_lag_seconds: float = DEFAULT_REPLICA_MAX_LAG_SECONDS
    reader_username: str | None = None  # the role on the replica (capped: app/roles.py), when it has one
    reader_connection_limit: int = contract.READER_CONNECTION_LIMIT.default

    def url(self, *, reader: bool = False) -> str:
        """SQLAlchemy URL for the writer (``host``, the proxy when there is one) or the reader.

        The reader signs in as ``reader_username`` on a host of its own (the replica); reads that go to
        the writer's host (the proxy) sign in as the writer does."""
        host = (self.reader_host or self.host) if reader else self.host
        role = self.reader_username if reader and host != self.host and self.reader_username else self.username
        user = quote(role, safe="")
        secret = f":{quote(self.password, safe='')}" if self.password else ""  # IAM: a token per connection
        return f"postgresql+psycopg://{user}{secret}@{host}:{self.port}/{self.name}?sslmode={self.sslmode}"


@dataclass(frozen=True, slots=True)
class ApiSettings:
    max_batch_size: int = MAX_BATCH_SIZE.default
    page_size_default: int = PAGE_SIZE_DEFAULT.default
    page_size_max: int = PAGE_SIZE_MAX.default


@dataclass(frozen=True, slots=True)
class CacheSettings:
    config_ttl_seconds: int = DEFAULT_TTL_SECONDS


@dataclass(frozen=True, slots=True)
class AppConfig:
    env: str
    api: ApiSettings
    cache: CacheSettings
    database: DatabaseSettings | None
    database_url: str | None = None
    reader_database_url: str | None = None
    local_replica_max_lag_seconds: float = DEFAULT_REPLICA_MAX_LAG_SECONDS

    def writer_url(self) -> str:
        if self.database_url:
            return self.database_url
        if self.database is None:
            raise ConfigError(
                "no database configured: set DATABASE_URL locally or the SSM database hierarchy"
            )
        return self.database.url()

    def reader_url(self) -> str:
        if self.reader_database_url or self.database_url:
            return self.reader_database_url or self.database_url  # type: ignore[return-value]
        return self.writer_url() if self.database is None else self.database.url(reader=True)

    def replica_max_lag_seconds(self) -> float:
        """How far behind the replica may be and still serve reads (SSM, or REPLICA_MAX_LAG_SECONDS locally)."""
        if self.database is not None:
            return self.database.replica_max_lag_seconds
        return self.local_replica_max_lag_seconds

    def app_username(self) -> str | None:
        """The role the API, worker and DLQ analyzer sign in as (the migrations grant it its DML)."""
        return None if self.database is None else self.database.app_username or self.database.username


@dataclass(frozen=True, slots=True)
class Pointers:
    """What the compute layer puts in the environment: where to look, never the values."""

    env: str | None
    prefixes: dict[str, str]
    ttl_seconds: int = DEFAULT_TTL_SECONDS
    pins: dict[str, str] = field(default_factory=dict)
    database_url: str | None = None
    reader_database_url: str | None = None
    database_username: str | None = None  # DATABASE_USERNAME: this function's role (migrate: the owner)
    replica_max_lag_seconds: float = DEFAULT_REPLICA_MAX_LAG_SECONDS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Pointers:
        env = os.environ if environ is None else environ
        app_env = env.get(contract.APP_ENV) or None
        prefixes: dict[str, str] = {}
        for cat in CATEGORIES:
            prefix = env.get(contract.prefix_variable(cat)) or (
                contract.default_prefix(app_env, cat) if app_env else ""
            )
            if prefix:
                prefixes[cat] = prefix if prefix.endswith("/") else prefix + "/"
        return cls(
            env=app_env,
            prefixes=prefixes,
            ttl_seconds=_int(env.get(contract.CONFIG_TTL_SECONDS), DEFAULT_TTL_SECONDS, contract.CONFIG_TTL_SECONDS),
            pins=parse_pins(env.get(contract.CONFIG_PINS, "")),
            database_url=env.get(contract.DATABASE_URL) or None,
            reader_database_url=env.get(contract.READER_DATABASE_URL) or None,
            database_username=env.get(contract.DATABASE_USERNAME) or None,
            replica_max_lag_seconds=_float(
                env.get(contract.REPLICA_MAX_LAG_SECONDS), DEFAULT_REPLICA_MAX_LAG_SECONDS, contract.REPLICA_MAX_LAG_SECONDS
            ),
        )


def parse_pins(spec: str) -> dict[str, str]:
    """``"database/password:3,api/max_batch_size:stable"`` -> ``{"database/password": "3", ...}``.

    A selector is a version number or a label, exactly what SSM accepts after ``name:``.
    """
    pins: dict[str, str] = {}
    for item in filter(None, (s.strip() for s in spec.split(","))):
        key, sep, selector = item.rpartition(":")
        if not sep or not key or not selector or "/" not in key or key.split("/", 1)[0] not in CATEGORIES:
            raise ConfigError(f"bad pin {item!r}: expected '<category>/<key>:<version|label>'")
        pins[key] = selector
    return pins


def _int(raw: str | None, default: int, name: str, lo: int = 1, hi: int = 1_000_000) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if not lo <= value <= hi:
        raise ConfigError(f"{name} must be between {lo} and {hi}, got {value}")
    return value


def _float(raw: str | None, default: float, name: str, lo: float = 0.0, hi: float = 86_400.0) -> float:
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not lo <= value <= hi:
        raise ConfigError(f"{name} must be between {lo:g} and {hi:g}, got {value:g}")
    return value


def _param(raw: Mapping[str, str], spec: contract.IntParameter, default: int | None = None) -> int:
    """An integer parameter within the bounds the infrastructure validates too (app/contract.py)."""
    return _int(raw.get(spec.relative), spec.default if default is None else default, spec.relative,
                lo=spec.minimum, hi=spec.maximum)


def build_config(raw: Mapping[str, str], pointers: Pointers) -> AppConfig:
    """Turn ``{"database/host": ..., "api/max_batch_size": ...}`` into typed settings, defaults filled in."""
    api = ApiSettings(
        max_batch_size=_param(raw, MAX_BATCH_SIZE),
        page_size_default=_param(raw, PAGE_SIZE_DEFAULT),
        page_size_max=_param(raw, PAGE_SIZE_MAX),
    )
    cache = CacheSettings(config_ttl_seconds=_param(raw, CONFIG_TTL, default=pointers.ttl_seconds))
    database: DatabaseSettings | None = None
    if pointers.database_url is None and pointers.env is not None:
        missing = [k for k in REQUIRED_DATABASE_KEYS if not raw.get(f"database/{k}")]
        if missing:
            prefix = pointers.prefixes.get("database", "database/")
            raise ConfigError(f"missing required database parameters under {prefix}: {', '.join(missing)}")
        database = DatabaseSettings(
            host=raw["database/host"],
            port=_param(raw, DATABASE_PORT),
            name=raw["database/name"],
            username=pointers.database_username or raw["database/username"],
            password=raw.get("database/password", ""),
            app_username=raw["database/username"],
            replica_max_lag_seconds=_float(
                raw.get("database/replica_max_lag_seconds"),
                DEFAULT_REPLICA_MAX_LAG_SECONDS,
                "database/replica_max_lag_seconds",
            ),
            reader_host=raw.get("database/reader_host") or None,
            reader_username=raw.get("database/reader_username") or None,
            reader_connection_limit=_param(raw, contract.READER_CONNECTION_LIMIT),
            sslmode=raw.get(f"database/{contract.DATABASE_SSLMODE_KEY}") or "require",
        )
    return AppConfig(
        env=pointers.env or "local",
        api=api,
        cache=cache,
        database=database,
        database_url=pointers.database_url,
        reader_database_url=pointers.reader_database_url,
        local_replica_max_lag_seconds=pointers.replica_max_lag_seconds,
    )


class SsmFetcher:
    """Reads the hierarchies with GetParametersByPath (recursive, decrypted, paginated) and pins with
    GetParameters selectors. One client per execution environment, created on first use."""

    def __init__(self, client_factory: Callable[[], object] | None = None) -> None:
        self._client_factory = client_factory or _default_ssm_client
        self._client: object | None = None
        self.calls = 0  # SSM API calls made, for tests and the bench

    def _ssm(self):  # noqa: ANN202 - a botocore client
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    def __call__(self, prefixes: Mapping[str, str], pins: Mapping[str, str]) -> dict[str, str]:
        ssm = self._ssm()
        raw: dict[str, str] = {}
        for category, prefix in prefixes.items():
            token: str | None = None
            while True:
                kwargs = {"Path": prefix, "Recursive": True, "WithDecryption": True, "MaxResults": 10}
                if token:
                    kwargs["NextToken"] = token
                page = ssm.get_parameters_by_path(**kwargs)  # type: ignore[attr-defined]
                self.calls += 1
                for param in page.get("Parameters", []):
                    raw[f"{category}/{param['Name'][len(prefix) :]}"] = param["Value"]
                token = page.get("NextToken")
                if not token:
                    break
        pinned = [
            (key, f"{prefixes[key.split('/', 1)[0]]}{key.split('/', 1)[1]}:{sel}")
            for key, sel in pins.items()
            if key.split("/", 1)[0] in prefixes
        ]
        for start in range(0, len(pinned), 10):
            chunk = pinned[start : start + 10]
            resp = ssm.get_parameters(Names=[n for _, n in chunk], WithDecryption=True)  # type: ignore[attr-defined]
            self.calls += 1
            if resp.get("InvalidParameters"):
                raise ConfigError(f"pinned parameters not found: {', '.join(resp['InvalidParameters'])}")
            by_name = {}
            for param in resp.get("Parameters", []):
                by_name[param["Name"] + param.get("Selector", "")] = param["Value"]
                by_name.setdefault(param["Name"], param["Value"])
            for key, name in chunk:
                value = by_name.get(name, by_name.get(name.rpartition(":")[0]))
                if value is None:
                    raise ConfigError(f"pinned parameter {name} not returned by SSM")
                raw[key] = value
        return raw


def _default_ssm_client() -> object:
    # botocore's own session, not boto3's: the client is the same, and boto3 (its session and resource
    # machinery) is one import less in a cold start's first request. botocore is imported by then anyway
    # (the X-Ray recorder imports it at INIT). Lazy: paid only on a config miss.
    import botocore.session
    from botocore.config import Config

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    cfg = Config(connect_timeout=2, read_timeout=3, retries={"max_attempts": 2, "mode": "standard"})
    return botocore.session.get_session().create_client("ssm", region_name=region, config=cfg)


class ConfigCache:
    """TTL cache of the resolved :class:`AppConfig`, stale-on-failure."""

    def __init__(
        self,
        pointers: Pointers,
        fetch: Callable[[Mapping[str, str], Mapping[str, str]], dict[str, str]] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        log: logging.Logger | logging.LoggerAdapter | None = None,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.pointers = pointers
        self._fetch = fetch or SsmFetcher()
        self._clock = clock
        self._rand = rand
        self._failure: ConfigError | None = None  # the last failed load while nothing is cached
        self._log = log or logger
        self._value: AppConfig | None = None
        self._expires = float("-inf")
        self._lock = threading.Lock()
        self.stale_served = 0

    def get(self) -> AppConfig:
        """The settings; a hit is one clock read and two comparisons."""
        value = self._value
        if value is not None and self._clock() < self._expires:
            return value
        return self._refresh()

    def _jittered(self, seconds: float) -> float:
        return seconds * (1.0 - TTL_JITTER * self._rand())

    def _refresh(self) -> AppConfig:
        with self._lock:
            now = self._clock()
            if now < self._expires:
                if self._value is not None:
                    return self._value
                if self._failure is not None:  # a recent first load failed: fail fast, no SSM call
                    raise self._failure
            try:
                raw = (
                    self._fetch(self.pointers.prefixes, self.pointers.pins) if self.pointers.prefixes else {}
                )
                value = build_config(raw, self.pointers)
            except Exception as exc:
                if self._value is None:
                    failure = (
                        exc
                        if isinstance(exc, ConfigError)
                        else ConfigError(f"configuration unavailable and nothing cached: {type(exc).__name__}: {exc}")
                    )
                    failure.retry_after = EMPTY_RETRY_SECONDS  # type: ignore[attr-defined]
                    self._failure = failure
                    self._expires = now + self._jittered(EMPTY_RETRY_SECONDS)
                    self._log.error("config load failed; nothing cached", extra={"error": str(failure)[:300]})
                    if failure is exc:
                        raise
                    raise failure from exc
                self.stale_served += 1
                self._expires = now + self._jittered(min(STALE_RETRY_SECONDS, self._value.cache.config_ttl_seconds))
                self._log.warning(
                    "config refresh failed; serving stale config",
                    extra={"error": f"{type(exc).__name__}: {exc}", "retry_in_s": self._expires - now},
                )
                return self._value
            self._value, self._failure = value, None
            self._expires = now + self._jittered(value.cache.config_ttl_seconds)
            return value


_cache: ConfigCache | None = None


def get_config() -> AppConfig:
    """The execution environment's settings (module-level cache, built from the environment once)."""
    global _cache
    if _cache is None:
        _cache = ConfigCache(Pointers.from_env())
    return _cache.get()


def reset_config(cache: ConfigCache | None = None) -> None:
    """Drop (or replace) the module cache; tests and ``invoke serve`` use it after changing the env."""
    global _cache
    _cache = cache
