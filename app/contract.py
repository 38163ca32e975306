"""The one vocabulary the infrastructure and the app share (standard library only).

The Pulumi components in ``shared/`` write these names and values (environment variables of the
functions, SSM parameters, metric namespace); ``app/`` reads them. Both import this module, and it
ships in the function zip, so a name or a bound cannot drift between the two sides: the security
layer used to accept ``maxBatchSize`` up to 10,000 while the app refused anything over 500, so a valid
stack config made every config-reading route answer 503.

No Pulumi, no pydantic, no boto3 here: the API function imports it at cold start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# --- environment variables the compute layer sets (pointers, never values) ---------------------------
APP_ENV = "APP_ENV"
CONFIG_TTL_SECONDS = "CONFIG_TTL_SECONDS"
CONFIG_PINS = "CONFIG_PINS"  # "<category>/<key>:<version|label>,...": pin parameters for a rollback
DATABASE_IAM_AUTH = "DATABASE_IAM_AUTH"  # "true": sign an IAM token per connection (RDS Proxy)
ORDERS_QUEUE_URL = "ORDERS_QUEUE_URL"  # the api function's async route sends here
DLQ_ARCHIVE_QUEUE_URL = "DLQ_ARCHIVE_QUEUE_URL"  # the dlq-analyzer files each dead letter there
CONFIG_EPOCH = "CONFIG_EPOCH"  # set only by `invoke release.refresh`: a new value makes a new version
DB_POOL_SIZE = "DB_POOL_SIZE"
DATABASE_USERNAME = "DATABASE_USERNAME"  # this function's database role (migrate: the owner)
# Local runs and tests only (never set by the compute layer): a URL instead of the SSM hierarchy.
DATABASE_URL = "DATABASE_URL"
READER_DATABASE_URL = "READER_DATABASE_URL"
REPLICA_MAX_LAG_SECONDS = "REPLICA_MAX_LAG_SECONDS"  # with DATABASE_URL: the lag bound SSM gives otherwise

# --- SSM Parameter Store: /myapp/{env}/{category}/{key} ---------------------------------------------
PARAMETER_ROOT = "myapp"
# Parameter categories, each with its own KMS key (alias/serverless-infra-{env}-{category}).
CATEGORIES: tuple[str, ...] = ("database", "api", "cache")


def prefix_variable(category: str) -> str:
    """``PARAMETER_PREFIX_DATABASE`` etc.: the environment variable holding a category's SSM prefix."""
    if category not in CATEGORIES:
        raise ValueError(f"category {category!r} is not one of {', '.join(CATEGORIES)}")
    return f"PARAMETER_PREFIX_{category.upper()}"


def default_prefix(env: str, category: str) -> str:
    return f"/{PARAMETER_ROOT}/{env}/{category}/"


@dataclass(frozen=True, slots=True)
class IntParameter:
    """An integer SSM parameter: where it lives, its default and the range both sides accept."""

    category: str
    key: str
    default: int
    minimum: int
    maximum: int
    description: str

    @property
    def relative(self) -> str:
        """``category/key``, as the app's config loader and ``CONFIG_PINS`` name it."""
        return f"{self.category}/{self.key}"

    def check(self, value: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not self.minimum <= value <= self.maximum:
            raise ValueError(f"{self.relative} must be an integer between {self.minimum} and {self.maximum}, got {value!r}")
        return value


# The API refuses a batch larger than this (one transaction, one 500-row INSERT; SQS event source
# mappings deliver at most 10,000 records, but the worker is sized and benchmarked for 500).
MAX_BATCH_SIZE = IntParameter(
    "api", "max_batch_size", 500, 1, 500, "Most orders one POST /orders/batch or /orders/async may carry"
)
PAGE_SIZE_DEFAULT = IntParameter("api", "page_size_default", 50, 1, 1_000, "Page size when a request sets none")
PAGE_SIZE_MAX = IntParameter("api", "page_size_max", 200, 1, 1_000, "Largest page size a request may ask for")
# A TTL is also how long a parameter rollback takes to reach every warm function.
CONFIG_TTL = IntParameter(
    "cache", "config_ttl_seconds", 300, 5, 3_600, "Seconds a function serves cached config before reloading"
)
INT_PARAMETERS: tuple[IntParameter, ...] = (MAX_BATCH_SIZE, PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX, CONFIG_TTL)

# /myapp/{env}/database/: what the data layer writes (``host`` is the RDS Proxy when there is one; no
# password: the functions sign in with IAM tokens), and what the app reads when present.
# ``reader_username`` is the role the api signs in as on the replica (when ``reader_host`` is not ``host``),
# ``reader_connection_limit`` that role's cap of direct connections, which the migrate step sets.
DATABASE_KEYS: tuple[str, ...] = (
    "host", "port", "name", "username", "reader_host", "replica_max_lag_seconds", "reader_username",
    "reader_connection_limit",
)
REQUIRED_DATABASE_KEYS: tuple[str, ...] = ("host", "port", "name", "username")
DATABASE_PORT = IntParameter("database", "port", 5432, 1, 65_535, "Port of the writer (proxy or primary)")
# The replica's hard cap of direct app connections: PostgreSQL refuses the reader role past it (SQLSTATE
# 53300) and the app reads from the primary through the proxy instead (app/replica.py). 0: none (the
# reader role cannot sign in), as in every env that reads through the proxy. RDS's max_connections tops
# out at 5,000 (shared/connection_budget.py).
READER_CONNECTION_LIMIT = IntParameter(
    "database", "reader_connection_limit", 0, 0, 5_000, "Most direct app connections the read replica accepts"
)
# An execution environment the replica refused (its cap is full) reads from the primary and asks the
# replica again only after a backoff: the first after REPLICA_FULL_BACKOFF_MIN_S (jittered down to half),
# doubling up to REPLICA_FULL_BACKOFF_MAX_S. The connection budget bounds the IAM sign-ins this costs.
REPLICA_FULL_BACKOFF_MIN_S = 30.0
REPLICA_FULL_BACKOFF_MAX_S = 300.0
REPLICA_FULL_JITTER = 0.5  # a wait is drawn from [wait * (1 - jitter), wait]: refused together, retry apart
# Optional, local runs only (the data layer does not write them: RDS forces TLS, "require" is right
# there; a password only for a database without IAM auth).
DATABASE_SSLMODE_KEY = "sslmode"
OPTIONAL_DATABASE_KEYS: tuple[str, ...] = (DATABASE_SSLMODE_KEY, "password")

# --- database authentication modes (data publishes one, compute turns it into DATABASE_IAM_AUTH) -------
DB_AUTH_IAM = "iam"  # functions sign an IAM token per connection to RDS Proxy
DB_AUTH_PASSWORD = "password"  # functions log in with the SSM password
DB_AUTH_MODES: tuple[str, ...] = (DB_AUTH_IAM, DB_AUTH_PASSWORD)

# --- metrics (Powertools EMF; the observability layer alarms on these names) ------------------------
METRICS_NAMESPACE_ROOT = "ServerlessInfra"
_ENV_SEGMENT = re.compile(r"[a-z][a-z0-9-]*")


def metrics_namespace(env: str) -> str:
    """``ServerlessInfra/<env>``: the one CloudWatch namespace of an env's app metrics (EMF, POWERTOOLS_METRICS_NAMESPACE).

    One namespace per env, not an ``Environment`` dimension: envs may share an account (config/<env>.yaml
    ``account``), and the functions' ``cloudwatch:PutMetricData`` is scoped by the ``cloudwatch:namespace``
    condition key, which can fence an env's namespace but cannot see dimensions (docs/decisions.md, issue 10).
    Custom namespaces are ASCII without control characters, 1-255 long, and may not begin with ``AWS/``
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_Metric.html,
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html).
    """
    if not _ENV_SEGMENT.fullmatch(env):
        raise ValueError(f"metrics namespace: env {env!r} is not a lowercase name like dev, staging or prod")
    return f"{METRICS_NAMESPACE_ROOT}/{env}"


METRIC_ORDERS_CREATED = "OrdersCreated"
METRIC_ORDER_VALUE = "OrderValue"
METRIC_IDEMPOTENT_REPLAYS = "IdempotentReplays"
METRIC_BATCH_SIZE = "BatchSize"
METRIC_RECORDS_REJECTED = "RecordsRejected"
METRIC_REQUESTS_REJECTED = "RequestsRejected"
METRIC_DEPENDENCY_UNAVAILABLE = "DependencyUnavailable"
METRIC_DLQ_MESSAGES = "DlqMessages"  # dimension "class": one of DLQ_CLASSES
METRIC_DLQ_MESSAGES_ANALYZED = "DlqMessagesAnalyzed"
METRIC_DLQ_MESSAGES_NOT_FILED = "DlqMessagesNotFiled"  # left in the DLQ for the next try (0 when all filed)
DLQ_CLASSES: tuple[str, ...] = ("validation", "permanent", "database", "timeout", "unknown")
# Reads the primary served because the replica refused the reader role as full (SQLSTATE 53300, app/replica.py):
# the api's, only in envs whose reads go to a replica; the observability layer tickets on it there.
METRIC_REPLICA_FULL_FALLBACKS = "ReplicaFullFallbacks"
METRIC_NAMES: tuple[str, ...] = (
    METRIC_ORDERS_CREATED,
    METRIC_ORDER_VALUE,
    METRIC_IDEMPOTENT_REPLAYS,
    METRIC_BATCH_SIZE,
    METRIC_RECORDS_REJECTED,
    METRIC_REQUESTS_REJECTED,
    METRIC_DEPENDENCY_UNAVAILABLE,
    METRIC_DLQ_MESSAGES,
    METRIC_DLQ_MESSAGES_ANALYZED,
    METRIC_DLQ_MESSAGES_NOT_FILED,
    METRIC_REPLICA_FULL_FALLBACKS,
)

# The spellings Powertools' own strtobool takes for its POWERTOOLS_* flags: one meaning for every flag.
_TRUE = frozenset({"1", "true", "yes", "on", "y", "t"})
_FALSE = frozenset({"0", "false", "no", "off", "n", "f"})


def env_flag(raw: str | None, default: bool) -> bool:
    """The one parser of boolean environment flags: true/false, yes/no, on/off, 1/0, y/n, t/f (any case),
    as Powertools reads its own (``POWERTOOLS_TRACE_DISABLED``).

    Unset or empty gives ``default``; anything else is an error naming the value (a typo must not
    silently flip a flag).
    """
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"expected true/false, yes/no, on/off or 1/0, got {raw!r}")
