"""The Compute component: artifacts bucket and layer, queues, the four functions, their wiring.

Functions: ``api`` (API Gateway, provisioned concurrency outside dev), ``worker`` (orders queue,
batches of up to 500 with partial failures), ``dlq-analyzer`` (the DLQ) and ``migrate`` (Alembic,
invoked once after each deploy). Each has its own least-privilege role.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from app import contract
from shared import iam
from shared.components.compute.artifacts import ArtifactStore, ArtifactStoreArgs, BuiltArtifact
from shared.components.compute.functions import CodeLocation, LambdaFunction, LambdaFunctionArgs
from shared.components.compute.queues import OrderQueues, OrderQueuesArgs
from shared.components.compute.scaling import ProvisionedScaling, ProvisionedScalingArgs
from shared.components.compute.settings import FUNCTIONS, ComputeSettings, QueueSettings
from shared.components.compute.signing import CodeSigning, CodeSigningArgs
from shared.config import REGION, Environment
from shared.connection_budget import DatabaseLimits, Demand, check
from shared.env_policy import env_policy

HANDLERS = {fn: f"app.handlers.{fn.replace('-', '_')}.lambda_handler" for fn in FUNCTIONS}
QUEUE_CONSUMER_ACTIONS = [
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ChangeMessageVisibility",
]
QUEUE_KEY_ACTIONS = ["kms:GenerateDataKey", "kms:Decrypt"]
# Functions that send to or receive from a queue, so use the queues' KMS key.
QUEUE_KEY_USERS = ("api", "worker", "dlq-analyzer")
# Failed async invocations of api and worker land in the DLQ (the analyzer classifies them). The
# analyzer's own failures do not (it would feed itself); a migration is invoked synchronously.
ASYNC_FAILURES_TO_DLQ = ("api", "worker")
# The security layer's keys this layer uses (kms_key_arns must have each).
KMS_KEY_CATEGORIES = ("logs", "queues", "artifacts", "lambda", "database")
DLQ_ANALYZER_BATCH_SIZE = 10
# Functions that sign in to PostgreSQL (all of them); migrate as the owner, the others as the app role.
DB_USERS = ("api", "worker", "dlq-analyzer", "migrate")
# Functions whose reads go to the reader (list/get orders): with readerRouting 'replica', straight to it.
REPLICA_READERS = ("api",)
DLQ_ANALYZER_MAX_CONCURRENCY = 2  # the smallest SQS mapping maximum: dead letters are a trickle


@dataclass
class ComputeArgs:
    env: Environment
    """The environment."""
    settings: ComputeSettings
    """Validated ``serverless-infra-compute:*`` settings."""
    account_id: pulumi.Input[str]
    """The AWS account id."""
    layer: BuiltArtifact
    """build/lambda/dependencies-layer.zip."""
    app: BuiltArtifact
    """build/lambda/app.zip."""
    subnet_ids: pulumi.Input[list[str]]
    """network: private_subnet_ids."""
    security_group_id: pulumi.Input[str]
    """network: lambda_security_group_id."""
    kms_key_arns: pulumi.Input[dict[str, str]]
    """security: kms_key_arns (logs, queues, artifacts, lambda are used)."""
    parameter_prefixes: pulumi.Input[dict[str, str]]
    """security: parameter_prefixes (database, api, cache)."""
    config_read_policy_arn: pulumi.Input[str]
    """security: the managed policy that reads this env's parameters."""
    db_proxy_arn: pulumi.Input[str]
    """data: the RDS Proxy ARN (its prx- id scopes rds-db:connect)."""
    db_owner_username: pulumi.Input[str]
    """data: the role migrations run as (the migrate function's user)."""
    db_app_username: pulumi.Input[str]
    """data: the role the api, worker and dlq-analyzer sign in as."""
    db_reader_username: pulumi.Input[str]
    """data: the role the api signs in as on the read replica (db_reader_resource_ids)."""
    db_auth_mode: pulumi.Input[str]
    """data: 'iam' (sign IAM tokens; DATABASE_IAM_AUTH=true)."""
    db_reader_resource_ids: pulumi.Input[list[str]]
    """data: the replicas the app reads from directly (their db- ids scope rds-db:connect)."""
    db_master_secret_arn: pulumi.Input[str]
    """data: the break-glass master secret, read only by the migrate function's one-time bootstrap."""
    db_endpoint: pulumi.Input[str]
    """data: the primary instance's hostname (the bootstrap signs in there, not through the proxy)."""
    db_connection_limits: pulumi.Input[dict]
    """data: max connections of the primary, the proxy and the replica (checked against our reservations)."""


def _iam_auth(mode: str) -> bool:
    if mode not in contract.DB_AUTH_MODES:
        raise ValueError(f"db_auth_mode {mode!r} from the data layer is not one of {', '.join(contract.DB_AUTH_MODES)}")
    return mode == contract.DB_AUTH_IAM


def rds_db_user_arn(proxy_arn: str, account_id: str, username: str) -> str:
    """``arn:aws:rds-db:<region>:<acct>:dbuser:<prx-id>/<user>`` from the proxy's ARN."""
    resource_id = proxy_arn.rsplit(":", 1)[-1]
    if not resource_id.startswith("prx-"):
        raise ValueError(f"db_proxy_arn {proxy_arn!r} does not end in a prx- resource id")
    return iam.rds_db_user_arn(account_id, resource_id, username)


def connection_demand(s: ComputeSettings) -> Demand:
    """What the functions can open at their reserved concurrency (shared/connection_budget.py)."""
    return Demand(
        pool_size=s.db_pool_size,
        reserved={fn: s.functions[fn].reserved_concurrency for fn in DB_USERS},
        readers=REPLICA_READERS,
        long_holders={
            "worker": min(s.queue.max_concurrency, s.functions["worker"].reserved_concurrency),
            "migrate": s.functions["migrate"].reserved_concurrency,
        },
    )


def checked_pool_size(s: ComputeSettings, limits: dict) -> str:
    """DB_POOL_SIZE, once the budget is known to fit (else the synth stops with the arithmetic)."""
    check(DatabaseLimits.from_output(limits), connection_demand(s))
    return str(s.db_pool_size)


def db_username(fn: str, owner_username: pulumi.Input[str], app_username: pulumi.Input[str]) -> pulumi.Input[str]:
    """The database role ``fn`` signs in as: migrations as the owner, everything else as the app role."""
    return owner_username if fn == "migrate" else app_username


def db_statements(
    fn: str,
    *,
    account_id: pulumi.Input[str],
    proxy_arn: pulumi.Input[str],
    username: pulumi.Input[str],
    reader_resource_ids: pulumi.Input[list[str]],
    reader_username: pulumi.Input[str],
) -> list[iam.Statement]:
    """rds-db:connect for this function's own roles only: the proxy, plus the read replica (as the reader
    role, whose CONNECTION LIMIT caps the replica's direct connections) for readers."""
    targets = pulumi.Output.all(proxy_arn, account_id, username, reader_resource_ids, reader_username).apply(
        lambda a: [rds_db_user_arn(a[0], a[1], a[2])]
        + ([iam.rds_db_user_arn(a[1], rid, a[4]) for rid in a[3]] if fn in REPLICA_READERS else [])
    )
    return [{"Sid": "ConnectAsOwnRole", "Effect": "Allow", "Action": ["rds-db:connect"], "Resource": targets}]


def metrics_statement(namespace: str) -> iam.Statement:
    """PutMetricData has no resource type: the namespace condition is what keeps a function to its own."""
    return iam.allow(
        "PutOwnMetrics", ["cloudwatch:PutMetricData"], ["*"], {"StringEquals": {"cloudwatch:namespace": namespace}}
    )


class QueueEndpoints(Protocol):
    """The queues' URLs and ARNs the functions are wired to (``OrderQueues`` has them)."""

    @property
    def queue_url(self) -> pulumi.Input[str]: ...
    @property
    def queue_arn(self) -> pulumi.Input[str]: ...
    @property
    def dlq_arn(self) -> pulumi.Input[str]: ...
    @property
    def archive_url(self) -> pulumi.Input[str]: ...
    @property
    def archive_arn(self) -> pulumi.Input[str]: ...


@dataclass(frozen=True)
class FunctionPermissions:
    """What every function's role may do beyond its own logs, traces, ENIs and env key (``statements``)."""

    account_id: pulumi.Input[str]
    metrics_namespace: str
    queues: QueueEndpoints
    queues_key_arn: pulumi.Input[str]
    database_key_arn: pulumi.Input[str]
    db_master_secret_arn: pulumi.Input[str]
    db_proxy_arn: pulumi.Input[str]
    db_owner_username: pulumi.Input[str]
    db_app_username: pulumi.Input[str]
    db_reader_resource_ids: pulumi.Input[list[str]]
    db_reader_username: pulumi.Input[str]

    def statements(self, fn: str) -> list[iam.Statement]:
        """``fn``'s statements: metrics, its own queue and secret access, rds-db:connect, DLQ and queue key."""
        q = self.queues
        statements = [metrics_statement(self.metrics_namespace)]
        if fn == "api":
            statements.append(iam.allow("SendOrders", ["sqs:SendMessage"], [q.queue_arn]))
        elif fn == "worker":
            statements.append(iam.allow("ConsumeOrders", QUEUE_CONSUMER_ACTIONS, [q.queue_arn]))
        elif fn == "dlq-analyzer":
            statements.append(iam.allow("ConsumeDeadLetters", QUEUE_CONSUMER_ACTIONS, [q.dlq_arn]))
            statements.append(iam.allow("FileDeadLetters", ["sqs:SendMessage"], [q.archive_arn]))
        elif fn == "migrate":
            # The one-time owner bootstrap signs in as the master (docs/data.md, "Roles").
            statements.append(
                iam.allow("ReadMasterSecretForBootstrap", ["secretsmanager:GetSecretValue"], [self.db_master_secret_arn])
            )
            statements.append(iam.allow(
                "DecryptMasterSecret",
                ["kms:Decrypt"],
                [self.database_key_arn],
                {"StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}},
            ))
        else:
            raise ValueError(f"no permissions are defined for function {fn!r} (functions: {', '.join(FUNCTIONS)})")
        if fn in DB_USERS:
            statements += db_statements(
                fn,
                account_id=self.account_id,
                proxy_arn=self.db_proxy_arn,
                username=db_username(fn, self.db_owner_username, self.db_app_username),
                reader_resource_ids=self.db_reader_resource_ids,
                reader_username=self.db_reader_username,
            )
        if fn in ASYNC_FAILURES_TO_DLQ:
            statements.append(iam.allow("AsyncFailuresToDlq", ["sqs:SendMessage"], [q.dlq_arn]))
        if fn in QUEUE_KEY_USERS:
            statements.append(iam.allow("UseQueuesKey", QUEUE_KEY_ACTIONS, [self.queues_key_arn]))
        return statements


@dataclass(frozen=True)
class FunctionEnvironment:
    """The environment variables of every function (``variables``): pointers and knobs, never secret values."""

    env: Environment
    parameter_prefixes: pulumi.Input[dict[str, str]]
    config_ttl_seconds: int
    db_auth_mode: pulumi.Input[str]
    db_owner_username: pulumi.Input[str]
    db_app_username: pulumi.Input[str]
    db_pool_size: pulumi.Input[str]
    db_master_secret_arn: pulumi.Input[str]
    db_endpoint: pulumi.Input[str]
    log_level: str
    logger_sample_rate: float
    metrics_namespace: str
    queues: QueueEndpoints

    def variables(self, fn: str) -> dict[str, pulumi.Input[str]]:
        """``fn``'s variables: the app contract's (app/contract.py), the database's, Powertools', its own."""
        prefixes = pulumi.Output.from_input(self.parameter_prefixes)
        variables: dict[str, pulumi.Input[str]] = {
            contract.APP_ENV: self.env.value,
            **{
                contract.prefix_variable(cat): prefixes.apply(lambda p, cat=cat: _require(p, cat, "parameter_prefixes"))
                for cat in contract.CATEGORIES
            },
            contract.CONFIG_TTL_SECONDS: str(self.config_ttl_seconds),
            contract.DATABASE_IAM_AUTH: pulumi.Output.from_input(self.db_auth_mode).apply(
                lambda mode: str(_iam_auth(mode)).lower()
            ),
            contract.DATABASE_USERNAME: db_username(fn, self.db_owner_username, self.db_app_username),
            contract.DB_POOL_SIZE: self.db_pool_size,
            "POWERTOOLS_SERVICE_NAME": fn,
            "POWERTOOLS_METRICS_NAMESPACE": self.metrics_namespace,
            "POWERTOOLS_LOG_LEVEL": self.log_level,
            "POWERTOOLS_LOGGER_SAMPLE_RATE": str(self.logger_sample_rate),
        }
        if fn == "api":
            variables[contract.ORDERS_QUEUE_URL] = self.queues.queue_url
        if fn == "migrate":
            variables["DATABASE_MASTER_SECRET_ARN"] = self.db_master_secret_arn
            variables["DATABASE_PRIMARY_HOST"] = self.db_endpoint
        if fn == "dlq-analyzer":
            # The analyzer files each dead letter here, then the mapping deletes it from the DLQ.
            variables[contract.DLQ_ARCHIVE_QUEUE_URL] = self.queues.archive_url
        return variables


def function_permissions(
    args: ComputeArgs, key: Mapping[str, pulumi.Input[str]], queues: QueueEndpoints
) -> FunctionPermissions:
    """The functions' permissions from the layer's inputs (``key``: the ``kms_keys`` this layer uses)."""
    return FunctionPermissions(
        account_id=args.account_id,
        metrics_namespace=contract.metrics_namespace(args.env.value),  # the env's own: envs may share an account
        queues=queues,
        queues_key_arn=key["queues"],
        database_key_arn=key["database"],
        db_master_secret_arn=args.db_master_secret_arn,
        db_proxy_arn=args.db_proxy_arn,
        db_owner_username=args.db_owner_username,
        db_app_username=args.db_app_username,
        db_reader_resource_ids=args.db_reader_resource_ids,
        db_reader_username=args.db_reader_username,
    )


def function_environment(args: ComputeArgs, queues: QueueEndpoints) -> FunctionEnvironment:
    """The functions' environment from the layer's inputs; DB_POOL_SIZE only once the connection budget fits."""
    s = args.settings
    return FunctionEnvironment(
        env=args.env,
        parameter_prefixes=args.parameter_prefixes,
        config_ttl_seconds=s.config_ttl_seconds,
        db_auth_mode=args.db_auth_mode,
        db_owner_username=args.db_owner_username,
        db_app_username=args.db_app_username,
        db_pool_size=pulumi.Output.from_input(args.db_connection_limits).apply(lambda lim: checked_pool_size(s, lim)),
        db_master_secret_arn=args.db_master_secret_arn,
        db_endpoint=args.db_endpoint,
        log_level=s.log_level,
        logger_sample_rate=s.logger_sample_rate,
        metrics_namespace=contract.metrics_namespace(args.env.value),
        queues=queues,
    )


def kms_keys(kms_key_arns: pulumi.Input[dict[str, str]]) -> dict[str, pulumi.Output[str]]:
    """The security layer's keys this layer uses, each checked to be exported (else the error names it)."""
    keys = pulumi.Output.from_input(kms_key_arns)
    return {
        category: keys.apply(lambda k, c=category: _require(k, c, "kms_key_arns"))
        for category in KMS_KEY_CATEGORIES
    }


def worker_mapping(
    name: str, queue_arn: pulumi.Input[str], alias_arn: pulumi.Input[str], queue: QueueSettings,
    opts: pulumi.ResourceOptions,
) -> aws.lambda_.EventSourceMapping:
    """The orders queue -> worker mapping: large batches, partial failures, bounded concurrency."""
    return aws.lambda_.EventSourceMapping(
        name,
        event_source_arn=queue_arn,
        function_name=alias_arn,
        batch_size=queue.batch_size,
        maximum_batching_window_in_seconds=queue.batching_window_seconds,
        function_response_types=["ReportBatchItemFailures"],
        scaling_config=aws.lambda_.EventSourceMappingScalingConfigArgs(maximum_concurrency=queue.max_concurrency),
        opts=opts,
    )


def dlq_analyzer_mapping(
    name: str, dlq_arn: pulumi.Input[str], alias_arn: pulumi.Input[str], opts: pulumi.ResourceOptions
) -> aws.lambda_.EventSourceMapping:
    """The DLQ -> analyzer mapping: small batches at the smallest concurrency (dead letters are a trickle)."""
    return aws.lambda_.EventSourceMapping(
        name,
        event_source_arn=dlq_arn,
        function_name=alias_arn,
        batch_size=DLQ_ANALYZER_BATCH_SIZE,
        maximum_batching_window_in_seconds=0,
        function_response_types=["ReportBatchItemFailures"],
        scaling_config=aws.lambda_.EventSourceMappingScalingConfigArgs(maximum_concurrency=DLQ_ANALYZER_MAX_CONCURRENCY),
        opts=opts,
    )


def order_queues_args(env: Environment, settings: ComputeSettings, kms_key_arn: pulumi.Input[str]) -> OrderQueuesArgs:
    """The queues' args from the layer's settings: the orders queue's visibility follows the worker's timeout."""
    q = settings.queue
    return OrderQueuesArgs(
        env=env,
        max_receive_count=q.max_receive_count,
        message_retention_seconds=q.message_retention_seconds,
        dlq_retention_seconds=q.dlq_retention_seconds,
        kms_data_key_reuse_seconds=q.kms_data_key_reuse_seconds,
        visibility_timeout_seconds=settings.visibility_timeout_seconds,
        dlq_visibility_timeout_seconds=q.dlq_visibility_timeout_seconds,
        kms_key_arn=kms_key_arn,
    )


@dataclass(frozen=True)
class SharedFunctionArgs:
    """What the four functions share; ``function_args`` adds each one's handler, sizes, variables and role."""

    env: Environment
    settings: ComputeSettings
    layer: BuiltArtifact
    code: CodeLocation
    layer_arn: pulumi.Input[str]
    subnet_ids: pulumi.Input[list[str]]
    security_group_id: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    env_key_arn: pulumi.Input[str]
    config_read_policy_arn: pulumi.Input[str]
    dlq_arn: pulumi.Input[str]
    account_id: pulumi.Input[str]
    code_signing_config_arn: pulumi.Input[str]
    retained_logs_suffix: pulumi.Input[str] | None

    def function_args(
        self, fn: str, variables: dict[str, pulumi.Input[str]], statements: list[iam.Statement]
    ) -> LambdaFunctionArgs:
        s = self.settings
        return LambdaFunctionArgs(
            env=self.env,
            function=fn,
            handler=HANDLERS[fn],
            settings=s.functions[fn],
            runtime=self.layer.runtime,
            architecture=self.layer.architecture,
            code=self.code,
            layer_arns=[self.layer_arn],
            subnet_ids=self.subnet_ids,
            security_group_id=self.security_group_id,
            logs_key_arn=self.logs_key_arn,
            env_key_arn=self.env_key_arn,
            log_retention_days=s.log_retention_days,
            log_level=s.log_level,
            variables=variables,
            statements=statements,
            managed_policy_arns=[self.config_read_policy_arn],
            # A migration is invoked synchronously, once per deploy: a retry would run it twice.
            async_retry_attempts=0 if fn == "migrate" else s.async_invoke.maximum_retry_attempts,
            async_max_event_age_seconds=s.async_invoke.maximum_event_age_seconds,
            async_failure_destination_arn=self.dlq_arn if fn in ASYNC_FAILURES_TO_DLQ else None,
            account_id=self.account_id,
            code_signing_config_arn=self.code_signing_config_arn,
            retained_logs_suffix=self.retained_logs_suffix,
        )


class Compute(pulumi.ComponentResource):
    """The compute layer. Its parts are public (the program publishes their outputs); it registers the
    outputs other layers and tasks read."""

    signing: CodeSigning
    """The signing profile and the code signing config every function enforces."""
    artifacts: ArtifactStore
    """The artifacts bucket, the signed app.zip key and the dependency layer."""
    queues: OrderQueues
    """The orders queue, its DLQ and the dead-letter archive."""
    functions: dict[str, LambdaFunction]
    """The four functions by short name (``FUNCTIONS``)."""

    def __init__(self, name: str, args: ComputeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("serverless-infra:compute:Compute", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        s = args.settings
        key = kms_keys(args.kms_key_arns)
        self.signing = CodeSigning(f"{name}-code-signing", CodeSigningArgs(env=args.env), opts=child)
        self.artifacts = self._artifact_store(name, args, key["artifacts"], self.signing.profile_name)
        self.queues = OrderQueues(f"{name}-queues", order_queues_args(args.env, s, key["queues"]), opts=child)
        self.functions = self._functions(name, args, key, self.queues, self.artifacts, self.signing.config_arn)
        worker_mapping(f"{name}-worker-orders", self.queues.queue_arn, self.functions["worker"].alias_arn, s.queue, child)
        dlq_analyzer_mapping(
            f"{name}-dlq-analyzer-dead-letters", self.queues.dlq_arn, self.functions["dlq-analyzer"].alias_arn, child
        )
        api = self.functions["api"]
        if s.provisioned_concurrency is not None:
            ProvisionedScaling(
                f"{name}-api-provisioned",
                ProvisionedScalingArgs(
                    env=args.env,
                    function_name=api.function_name,
                    alias_name=api.alias_name,
                    settings=s.provisioned_concurrency,
                ),
                opts=child,
            )
        self.register_outputs({
            "code_signing_config_arn": self.signing.config_arn,
            "artifact_bucket_name": self.artifacts.bucket_name,
            "dependency_layer_arn": self.artifacts.layer_arn,
            "queue_arn": self.queues.queue_arn,
            "dlq_arn": self.queues.dlq_arn,
            "dlq_archive_arn": self.queues.archive_arn,
            "function_names": {fn: f.function_name for fn, f in self.functions.items()},
            "alias_arns": {fn: f.alias_arn for fn, f in self.functions.items()},
        })

    def _artifact_store(
        self, name: str, args: ComputeArgs, key_arn: pulumi.Input[str], signing_profile_name: pulumi.Input[str]
    ) -> ArtifactStore:
        return ArtifactStore(
            f"{name}-artifacts",
            ArtifactStoreArgs(
                env=args.env,
                account_id=args.account_id,
                kms_key_arn=key_arn,
                noncurrent_days=args.settings.artifact_noncurrent_days,
                layer=args.layer,
                app=args.app,
                signing_profile_name=signing_profile_name,
                access_log_days=args.settings.log_retention_days,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _functions(
        self,
        name: str,
        args: ComputeArgs,
        key: dict[str, pulumi.Output[str]],
        queues: OrderQueues,
        artifacts: ArtifactStore,
        code_signing_config_arn: pulumi.Input[str],
    ) -> dict[str, LambdaFunction]:
        """The four functions, each with its own role, variables and async-failure destination."""
        s, child = args.settings, pulumi.ResourceOptions(parent=self)
        permissions = function_permissions(args, key, queues)
        environment = function_environment(args, queues)
        shared = SharedFunctionArgs(
            env=args.env,
            settings=s,
            layer=args.layer,
            code=CodeLocation(
                bucket=artifacts.bucket_name, key=artifacts.app_key, sha256_base64=args.app.code_sha256_base64
            ),
            layer_arn=artifacts.layer_arn,
            subnet_ids=args.subnet_ids,
            security_group_id=args.security_group_id,
            logs_key_arn=key["logs"],
            env_key_arn=key["lambda"],
            config_read_policy_arn=args.config_read_policy_arn,
            dlq_arn=queues.dlq_arn,
            account_id=args.account_id,
            code_signing_config_arn=code_signing_config_arn,
            retained_logs_suffix=self._logs_suffix(name, args.env),
        )
        return {
            fn: LambdaFunction(
                f"{name}-{fn}", shared.function_args(fn, environment.variables(fn), permissions.statements(fn)), opts=child
            )
            for fn in FUNCTIONS
        }

    def _logs_suffix(self, name: str, env: Environment) -> pulumi.Output[str] | None:
        """Prod's logs are audit records (compliance: sox): they outlive a destroy of compute, and each compute
        lifecycle writes to groups of its own (see LambdaFunctionArgs.retained_logs_suffix)."""
        if not env_policy(env).retain_function_logs:
            return None
        return random.RandomId(f"{name}-log-lifecycle", byte_length=3, opts=pulumi.ResourceOptions(parent=self)).hex


def _require(mapping: dict[str, str], key: str, export: str) -> str:
    if key not in mapping:
        raise KeyError(f"upstream export {export!r} has no {key!r} entry (has: {', '.join(sorted(mapping))})")
    return mapping[key]
