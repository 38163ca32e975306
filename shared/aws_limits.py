"""Fixed values AWS accepts, used by settings validation and by the synth's value checks alike.

Where a settings field and a synth rule check the same AWS constraint, the check lives here once:
an annotated type for the settings models (``LogRetentionDays``, ``KmsDeletionWindowDays``...) and a
plain function the synth rules call (``check_log_retention_days``...), sharing one error message.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

# CloudWatch Logs PutRetentionPolicy: the only retention periods it accepts
# [docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html].
LOG_RETENTION_DAYS = frozenset({1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                                2192, 2557, 2922, 3288, 3653})


def check_log_retention_days(days: int) -> int:
    """``days`` if CloudWatch Logs accepts it as a retention period, else ValueError."""
    if days not in LOG_RETENTION_DAYS:
        raise ValueError(f"CloudWatch Logs accepts only {sorted(LOG_RETENTION_DAYS)}")
    return days


LogRetentionDays = Annotated[int, AfterValidator(check_log_retention_days)]

# KMS ScheduleKeyDeletion PendingWindowInDays 7-30; EnableKeyRotation RotationPeriodInDays 90-2560
# [docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html, API_EnableKeyRotation.html].
KMS_DELETION_WINDOW_DAYS = range(7, 31)
KMS_ROTATION_PERIOD_DAYS = range(90, 2561)
KmsDeletionWindowDays = Annotated[int, Field(ge=KMS_DELETION_WINDOW_DAYS.start, le=KMS_DELETION_WINDOW_DAYS.stop - 1)]
KmsRotationPeriodDays = Annotated[int, Field(ge=KMS_ROTATION_PERIOD_DAYS.start, le=KMS_ROTATION_PERIOD_DAYS.stop - 1)]

# Secrets Manager DeleteSecret RecoveryWindowInDays 7-30, or ForceDeleteWithoutRecovery (no window; the
# provider's recovery_window_in_days = 0) [docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html].
SECRET_RECOVERY_WINDOW_DAYS = range(7, 31)

# Lambda event source mapping from SQS: a batch over 10 messages needs a batching window of at least 1 s
# (CreateEventSourceMapping BatchSize, "Related setting"
# [docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html]).
SQS_MAX_UNWINDOWED_BATCH_SIZE = 10


def check_sqs_batching_window(batch_size: int, window_seconds: float, *, window_key: str) -> None:
    """ValueError if an SQS event source mapping with this batch size needs a batching window it lacks.

    ``window_key`` names the field as the caller's reader knows it (a stack key, a wire name).
    """
    if batch_size > SQS_MAX_UNWINDOWED_BATCH_SIZE and window_seconds < 1:
        raise ValueError(f"batchSize {batch_size} > {SQS_MAX_UNWINDOWED_BATCH_SIZE} from SQS needs "
                         f"{window_key} >= 1")

# Lambda CreateFunction: MemorySize 128-10,240 MB, Timeout 1-900 s.
LAMBDA_MIN_MEMORY_MB = 128
LAMBDA_MAX_MEMORY_MB = 10_240
LAMBDA_MAX_TIMEOUT_SECONDS = 900

# SQS SetQueueAttributes: VisibilityTimeout 0-43,200 s (12 h).
SQS_MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200

# RDS (CreateDBInstance / ModifyDBInstance API reference): values the API validates.
RDS_INSTANCE_CLASS_PATTERN = r"db\.[a-z0-9]+\.[a-z0-9]+"
RDS_BACKUP_RETENTION_DAYS = range(0, 36)  # 0 disables automated backups (and read replicas)
RDS_BACKUP_WINDOW_PATTERN = r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d"  # hh24:mi-hh24:mi, UTC
RDS_MAINTENANCE_WINDOW_PATTERN = (  # ddd:hh24:mi-ddd:hh24:mi, UTC
    r"(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d"
)
RDS_MIN_WINDOW_MINUTES = 30  # both windows must last at least 30 minutes
RDS_GP3_MIN_GIB = 20  # gp3 storage for RDS PostgreSQL: 20 GiB to 64 TiB
RDS_MAX_STORAGE_GIB = 65536
RDS_MONITORING_INTERVALS = frozenset({0, 1, 5, 10, 15, 30, 60})  # seconds; 0 disables enhanced monitoring
RDS_PI_RETENTION_DAYS = frozenset({7, 731, *range(31, 731, 31)})  # 7 (free tier), month multiples, 731
# Instance classes Performance Insights does not support (too small); the free tier keeps 7 days.
RDS_PI_UNSUPPORTED_SIZES = frozenset({"micro", "small"})
RDS_MAX_READ_REPLICAS = 15  # per source instance, RDS for PostgreSQL
RDS_PROXY_BORROW_TIMEOUT_SECONDS = range(0, 3601)
RDS_PROXY_IDLE_CLIENT_TIMEOUT_SECONDS = range(1, 28801)

# Lambda account concurrency (Service Quotas: service "lambda", quota L-B99A9384 "Concurrent executions",
# default 1,000 per Region; new accounts may start lower). Reservations may not take the account's
# unreserved concurrency below 100: "You can reserve up to the Unreserved account concurrency value
# that is shown, minus 100 for functions that don't have reserved concurrency"
# [docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html]; PutFunctionConcurrency
# refuses otherwise ("decreases account's UnreservedConcurrentExecution below its minimum value of [100]").
LAMBDA_CONCURRENCY_SERVICE_CODE = "lambda"
LAMBDA_CONCURRENCY_QUOTA_CODE = "L-B99A9384"
LAMBDA_DEFAULT_CONCURRENCY_QUOTA = 1000
LAMBDA_UNRESERVED_MINIMUM = 100

# API Gateway REST: the integration timeout is 50 ms to 29 s by default (regional and private REST APIs
# may raise it past 29 s through a quota request, trading account throttle quota; we do not)
# [docs.aws.amazon.com/apigateway/latest/developerguide/limits.html; What's New 2024-06 "integration
# timeout limit increase beyond 29 seconds"]. The api layer sets its integration timeout from this
# constant; the api function must time out earlier by the headroom, so a slow request ends in the
# function (logged, traced, connection released) rather than as API Gateway's bare 504 while the
# function keeps running and billing.
API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS = 29
# 4 s covers a cold start's init (not counted by Lambda's timeout, counted by the gateway), the invoke
# round trip and the app's own 0.5 s deadline margin (app/deadline.py).
API_FUNCTION_TIMEOUT_HEADROOM_SECONDS = 4
API_FUNCTION_MAX_TIMEOUT_SECONDS = API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS - API_FUNCTION_TIMEOUT_HEADROOM_SECONDS

# API Gateway REST, other values the API validates:
# Stage cache cluster sizes in GB (CreateStage cacheClusterSize enum).
APIGW_CACHE_CLUSTER_SIZES = frozenset({"0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237"})
APIGW_CACHE_TTL_SECONDS = range(0, 3601)  # MethodSetting cacheTtlInSeconds: 0-3600
APIGW_LOGGING_LEVELS = frozenset({"OFF", "ERROR", "INFO"})
# DomainName securityPolicy: TLS_1_0 / TLS_1_2 (the only two the REST API accepted before the 2025
# enhanced policies; we pin TLS_1_2).
APIGW_TLS_POLICIES = frozenset({"TLS_1_0", "TLS_1_2"})
APIGW_ACCOUNT_RATE_LIMIT = 10_000  # requests per second per account per region (adjustable quota)
APIGW_ACCOUNT_BURST_LIMIT = 5_000
APIGW_QUOTA_PERIODS = frozenset({"DAY", "WEEK", "MONTH"})

# WAFv2 rate-based rule: Limit 10 - 2,000,000,000 per EvaluationWindowSec (60, 120, 300 or 600 s).
WAF_RATE_LIMIT_RANGE = range(10, 2_000_000_001)
WAF_EVALUATION_WINDOWS = frozenset({60, 120, 300, 600})
