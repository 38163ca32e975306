"""Fixed values AWS accepts, used by settings validation and by the synth's value checks alike.

Where a settings field and a synth rule check the same AWS constraint, the check lives here once:
an annotated type for the settings models (``LogRetentionDays``, ``RdsBackupRetentionDays``...) and the
value the synth rules read (a ``range`` of accepted integers, a frozenset of accepted values, or a plain
``check_*`` function sharing one error message). Grouped by service; each bound cites the AWS page
that states it.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, Field
from pydantic.fields import FieldInfo


def within(accepted: range) -> FieldInfo:
    """The pydantic bounds of an integer range AWS accepts (``range`` objects are also what the synth
    rules test values against), so a settings field and a synth rule cannot drift apart."""
    return Field(ge=accepted.start, le=accepted.stop - 1)


# -- CloudWatch Logs --------------------------------------------------------------------------------
# PutRetentionPolicy: the only retention periods it accepts
# [docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html].
LOG_RETENTION_DAYS = frozenset({1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                                2192, 2557, 2922, 3288, 3653})


def check_log_retention_days(days: int) -> int:
    """``days`` if CloudWatch Logs accepts it as a retention period, else ValueError."""
    if days not in LOG_RETENTION_DAYS:
        raise ValueError(f"CloudWatch Logs accepts only {sorted(LOG_RETENTION_DAYS)}")
    return days


LogRetentionDays = Annotated[int, AfterValidator(check_log_retention_days)]

# -- KMS ------------------------------------------------------------------------------------------
# ScheduleKeyDeletion PendingWindowInDays 7-30; EnableKeyRotation RotationPeriodInDays 90-2560
# [docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html, API_EnableKeyRotation.html].
KMS_DELETION_WINDOW_DAYS = range(7, 31)
KMS_ROTATION_PERIOD_DAYS = range(90, 2561)
KmsDeletionWindowDays = Annotated[int, within(KMS_DELETION_WINDOW_DAYS)]
KmsRotationPeriodDays = Annotated[int, within(KMS_ROTATION_PERIOD_DAYS)]

# -- Lambda ---------------------------------------------------------------------------------------
# CreateFunction: MemorySize 128-10,240 MB, Timeout 1-900 s, EphemeralStorage.Size 512-10,240 MB
# [docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html].
LAMBDA_MEMORY_MB = range(128, 10_241)
LAMBDA_TIMEOUT_SECONDS = range(1, 901)
LAMBDA_EPHEMERAL_STORAGE_MB = range(512, 10_241)
LAMBDA_MIN_MEMORY_MB = LAMBDA_MEMORY_MB.start
LAMBDA_MAX_MEMORY_MB = LAMBDA_MEMORY_MB.stop - 1
LAMBDA_MAX_TIMEOUT_SECONDS = LAMBDA_TIMEOUT_SECONDS.stop - 1
# PutFunctionConcurrency: ReservedConcurrentExecutions >= 0, at most the account's quota (which Service
# Quotas caps far above this ceiling); the provider writes -1 for "no reservation".
LAMBDA_RESERVED_CONCURRENCY = range(-1, 100_001)
# CreateEventSourceMapping: BatchSize 1-10,000 from SQS standard queues, MaximumBatchingWindowInSeconds
# 0-300, ScalingConfig.MaximumConcurrency 2-1,000
# [docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html, API_ScalingConfig.html].
LAMBDA_SQS_BATCH_SIZE = range(1, 10_001)
LAMBDA_BATCHING_WINDOW_SECONDS = range(0, 301)
LAMBDA_ESM_MAX_CONCURRENCY = range(2, 1001)
# PutFunctionEventInvokeConfig: MaximumRetryAttempts 0-2, MaximumEventAgeInSeconds 60-21,600
# [docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html].
LAMBDA_ASYNC_RETRY_ATTEMPTS = range(0, 3)
LAMBDA_ASYNC_MAX_EVENT_AGE_SECONDS = range(60, 21_601)

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


LambdaMemoryMb = Annotated[int, within(LAMBDA_MEMORY_MB)]
LambdaTimeoutSeconds = Annotated[int, within(LAMBDA_TIMEOUT_SECONDS)]
LambdaSqsBatchSize = Annotated[int, within(LAMBDA_SQS_BATCH_SIZE)]
LambdaBatchingWindowSeconds = Annotated[int, within(LAMBDA_BATCHING_WINDOW_SECONDS)]
LambdaEsmMaxConcurrency = Annotated[int, within(LAMBDA_ESM_MAX_CONCURRENCY)]
LambdaAsyncRetryAttempts = Annotated[int, within(LAMBDA_ASYNC_RETRY_ATTEMPTS)]
LambdaAsyncMaxEventAgeSeconds = Annotated[int, within(LAMBDA_ASYNC_MAX_EVENT_AGE_SECONDS)]

# -- SQS ------------------------------------------------------------------------------------------
# SetQueueAttributes: VisibilityTimeout 0-43,200 s, MessageRetentionPeriod 60-1,209,600 s,
# KmsDataKeyReusePeriodSeconds 60-86,400, ReceiveMessageWaitTimeSeconds 0-20, DelaySeconds 0-900,
# MaximumMessageSize 1,024-1,048,576 bytes; RedrivePolicy maxReceiveCount 1-1,000
# [docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html].
SQS_VISIBILITY_TIMEOUT_SECONDS = range(0, 43_201)
SQS_MAX_VISIBILITY_TIMEOUT_SECONDS = SQS_VISIBILITY_TIMEOUT_SECONDS.stop - 1
SQS_MESSAGE_RETENTION_SECONDS = range(60, 1_209_601)
SQS_KMS_DATA_KEY_REUSE_SECONDS = range(60, 86_401)
SQS_RECEIVE_WAIT_SECONDS = range(0, 21)
SQS_DELAY_SECONDS = range(0, 901)
SQS_MAX_MESSAGE_SIZE_BYTES = range(1024, 1_048_577)
SQS_MAX_RECEIVE_COUNT = range(1, 1001)
# RedriveAllowPolicy: byQueue names 1-10 source queues (same page, RedriveAllowPolicy).
SQS_REDRIVE_SOURCE_QUEUES = range(1, 11)

SqsVisibilityTimeoutSeconds = Annotated[int, within(SQS_VISIBILITY_TIMEOUT_SECONDS)]
SqsMessageRetentionSeconds = Annotated[int, within(SQS_MESSAGE_RETENTION_SECONDS)]
SqsKmsDataKeyReuseSeconds = Annotated[int, within(SQS_KMS_DATA_KEY_REUSE_SECONDS)]
SqsMaxReceiveCount = Annotated[int, within(SQS_MAX_RECEIVE_COUNT)]

# -- RDS for PostgreSQL -----------------------------------------------------------------------------
# CreateDBInstance / ModifyDBInstance [docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html]:
# DBInstanceClass db.<family>.<size>; BackupRetentionPeriod 0-35 days (0 disables automated backups, and
# with them read replicas); PreferredBackupWindow hh24:mi-hh24:mi and PreferredMaintenanceWindow
# ddd:hh24:mi-ddd:hh24:mi in UTC, each at least 30 minutes, not overlapping; AllocatedStorage for gp3
# PostgreSQL 20-65,536 GiB (MaxAllocatedStorage up to the same ceiling); MonitoringInterval 0 (off), 1, 5,
# 10, 15, 30 or 60 s; PerformanceInsightsRetentionPeriod 7 (free tier), month x 31 (1-23 months) or 731.
RDS_INSTANCE_CLASS_PATTERN = r"db\.[a-z0-9]+\.[a-z0-9]+"
RDS_BACKUP_RETENTION_DAYS = range(0, 36)
RDS_BACKUP_WINDOW_PATTERN = r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d"
RDS_MAINTENANCE_WINDOW_PATTERN = (
    r"(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d"
)
RDS_MIN_WINDOW_MINUTES = 30
RDS_GP3_MIN_GIB = 20
RDS_MAX_STORAGE_GIB = 65536
RDS_GP3_STORAGE_GIB = range(RDS_GP3_MIN_GIB, RDS_MAX_STORAGE_GIB + 1)
RDS_MONITORING_INTERVALS = frozenset({0, 1, 5, 10, 15, 30, 60})
RDS_PI_RETENTION_DAYS = frozenset({7, 731, *range(31, 731, 31)})
# Instance classes Performance Insights does not support (too small) [USER_PerfInsights.Overview.Engines].
RDS_PI_UNSUPPORTED_SIZES = frozenset({"micro", "small"})
# Read replicas per source instance, RDS for PostgreSQL [USER_PostgreSQL.Replication.ReadReplicas.html].
RDS_MAX_READ_REPLICAS = 15
RDS_READ_REPLICA_COUNT = range(0, RDS_MAX_READ_REPLICAS + 1)
# PostgreSQL majors this repo deploys, each one RDS supports [PostgreSQLReleaseNotes/postgresql-versions.html];
# the parameter group family is postgres<major> (DescribeDBEngineVersions DBParameterGroupFamily).
RdsPostgresMajorVersion = Literal[16, 17]
RDS_POSTGRES_MAJOR_VERSIONS: tuple[int, ...] = get_args(RdsPostgresMajorVersion)
# RDS Proxy: ConnectionPoolConfiguration MaxConnectionsPercent 1-100, MaxIdleConnectionsPercent 0-100,
# ConnectionBorrowTimeout 0-3,600 s [API_ConnectionPoolConfiguration.html]; CreateDBProxy IdleClientTimeout
# 1-28,800 s [API_CreateDBProxy.html].
RDS_PROXY_MAX_CONNECTIONS_PERCENT = range(1, 101)
RDS_PROXY_MAX_IDLE_CONNECTIONS_PERCENT = range(0, 101)
RDS_PROXY_BORROW_TIMEOUT_SECONDS = range(0, 3601)
RDS_PROXY_IDLE_CLIENT_TIMEOUT_SECONDS = range(1, 28801)
# Identifiers (databases, roles): PostgreSQL's 63-byte names; RDS refuses master user names it reserves.
RDS_IDENTIFIER_PATTERN = r"[a-z][a-z0-9_]{0,62}"


def check_rds_pi_retention_days(days: int) -> int:
    """``days`` if Performance Insights keeps data that long, else ValueError."""
    if days not in RDS_PI_RETENTION_DAYS:
        raise ValueError("Performance Insights keeps 7 days (free), a multiple of 31 up to 713, or 731")
    return days


def check_rds_monitoring_interval(seconds: int) -> int:
    """``seconds`` if RDS enhanced monitoring accepts it as an interval (0: off), else ValueError."""
    if seconds not in RDS_MONITORING_INTERVALS:
        raise ValueError(f"RDS enhanced monitoring accepts {sorted(RDS_MONITORING_INTERVALS)} seconds (0: off)")
    return seconds


RdsInstanceClass = Annotated[str, Field(pattern=f"^{RDS_INSTANCE_CLASS_PATTERN}$")]
RdsBackupRetentionDays = Annotated[int, within(RDS_BACKUP_RETENTION_DAYS)]
RdsBackupWindow = Annotated[str, Field(pattern=f"^{RDS_BACKUP_WINDOW_PATTERN}$")]
RdsMaintenanceWindow = Annotated[str, Field(pattern=f"^{RDS_MAINTENANCE_WINDOW_PATTERN}$")]
RdsGp3StorageGib = Annotated[int, within(RDS_GP3_STORAGE_GIB)]
RdsMaxAllocatedStorageGib = Annotated[int, Field(le=RDS_MAX_STORAGE_GIB)]
RdsReadReplicaCount = Annotated[int, within(RDS_READ_REPLICA_COUNT)]
RdsMonitoringInterval = Annotated[int, AfterValidator(check_rds_monitoring_interval)]
RdsPiRetentionDays = Annotated[int, AfterValidator(check_rds_pi_retention_days)]
RdsProxyMaxConnectionsPercent = Annotated[int, within(RDS_PROXY_MAX_CONNECTIONS_PERCENT)]
RdsProxyMaxIdleConnectionsPercent = Annotated[int, within(RDS_PROXY_MAX_IDLE_CONNECTIONS_PERCENT)]
RdsProxyBorrowTimeoutSeconds = Annotated[int, within(RDS_PROXY_BORROW_TIMEOUT_SECONDS)]
RdsProxyIdleClientTimeoutSeconds = Annotated[int, within(RDS_PROXY_IDLE_CLIENT_TIMEOUT_SECONDS)]
RdsIdentifier = Annotated[str, Field(pattern=f"^{RDS_IDENTIFIER_PATTERN}$")]

# -- Secrets Manager --------------------------------------------------------------------------------
# RotateSecret RotationRules.AutomaticallyAfterDays 1-1,000
# [docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotationRulesType.html]; DeleteSecret
# RecoveryWindowInDays 7-30, or ForceDeleteWithoutRecovery (no window; the provider's
# recovery_window_in_days = 0) [docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html].
SECRETS_ROTATION_DAYS = range(1, 1001)
SECRET_RECOVERY_WINDOW_DAYS = range(7, 31)

# -- Lambda account concurrency ---------------------------------------------------------------------
# Service Quotas: service "lambda", quota L-B99A9384 "Concurrent executions",
# default 1,000 per Region; new accounts may start lower). Reservations may not take the account's
# unreserved concurrency below 100: "You can reserve up to the Unreserved account concurrency value
# that is shown, minus 100 for functions that don't have reserved concurrency"
# [docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html]; PutFunctionConcurrency
# refuses otherwise ("decreases account's UnreservedConcurrentExecution below its minimum value of [100]").
LAMBDA_CONCURRENCY_SERVICE_CODE = "lambda"
LAMBDA_CONCURRENCY_QUOTA_CODE = "L-B99A9384"
LAMBDA_DEFAULT_CONCURRENCY_QUOTA = 1000
LAMBDA_UNRESERVED_MINIMUM = 100

# -- API Gateway REST and WAFv2 --------------------------------------------------------------------
# The integration timeout is 50 ms to 29 s by default (regional and private REST APIs
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

# Other values the API validates [docs.aws.amazon.com/apigateway/latest/api/API_CreateStage.html,
# API_MethodSetting.html, API_DomainName.html, API_QuotaSettings.html]. Stage cache sizes in GB:
APIGW_CACHE_CLUSTER_SIZES = frozenset({"0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237"})
APIGW_CACHE_TTL_SECONDS = range(0, 3601)  # MethodSetting cacheTtlInSeconds: 0-3600
APIGW_LOGGING_LEVELS = frozenset({"OFF", "ERROR", "INFO"})
# DomainName securityPolicy: TLS_1_0 / TLS_1_2 (the only two the REST API accepted before the 2025
# enhanced policies; we pin TLS_1_2).
APIGW_TLS_POLICIES = frozenset({"TLS_1_0", "TLS_1_2"})
APIGW_ACCOUNT_RATE_LIMIT = 10_000  # requests per second per account per region (adjustable quota)
APIGW_ACCOUNT_BURST_LIMIT = 5_000
APIGW_QUOTA_PERIODS = frozenset({"DAY", "WEEK", "MONTH"})

# WAFv2 rate-based rule: Limit 10 - 2,000,000,000 per EvaluationWindowSec (60, 120, 300 or 600 s)
# [docs.aws.amazon.com/waf/latest/APIReference/API_RateBasedStatement.html].
WAF_RATE_LIMIT_RANGE = range(10, 2_000_000_001)
WAF_EVALUATION_WINDOWS = frozenset({60, 120, 300, 600})
