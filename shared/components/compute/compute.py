"""The Compute component: artifacts bucket and layer, queues, the four functions, their wiring.

Functions: ``api`` (API Gateway, provisioned concurrency outside dev), ``worker`` (orders queue,
batches of up to 500 with partial failures), ``dlq-analyzer`` (the DLQ) and ``migrate`` (Alembic,
invoked once after each deploy). Each has its own least-privilege role.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from app import contract
from shared import iam
from shared.components.compute.artifacts import ArtifactStore, ArtifactStoreArgs, BuiltArtifact
from shared.components.compute.functions import CodeLocation, LambdaFunction, LambdaFunctionArgs
from shared.components.compute.queues import OrderQueues, OrderQueuesArgs
from shared.components.compute.scaling import ProvisionedScaling, ProvisionedScalingArgs
from shared.components.compute.settings import FUNCTIONS, ComputeSettings
from shared.components.compute.signing import CodeSigning, CodeSigningArgs
from shared.config import REGION, Environment
from shared.connection_budget import DatabaseLimits, Demand, check

HANDLERS = {fn: f"app.handlers.{fn.replace('-', '_')}.lambda_handler" for fn in FUNCTIONS}
QUEUE_CONSUMER_ACTIONS = [
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ChangeMessageVisibility",
]
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


def db_statements(fn: str, args: ComputeArgs) -> list[iam.Statement]:
    """rds-db:connect for this function's own role only: the proxy, plus the read replica for readers."""
    user = args.db_owner_username if fn == "migrate" else args.db_app_username
    targets = pulumi.Output.all(args.db_proxy_arn, args.account_id, user, args.db_reader_resource_ids).apply(
        lambda a: [rds_db_user_arn(a[0], a[1], a[2])]
        + ([iam.rds_db_user_arn(a[1], rid, a[2]) for rid in a[3]] if fn in REPLICA_READERS else [])
    )
    return [{"Sid": "ConnectAsOwnRole", "Effect": "Allow", "Action": ["rds-db:connect"], "Resource": targets}]


class Compute(pulumi.ComponentResource):
    functions: dict[str, LambdaFunction]

    def __init__(self, name: str, args: ComputeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("serverless-infra:compute:Compute", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        env, s = args.env, args.settings
        keys = pulumi.Output.from_input(args.kms_key_arns)
        key = {
            category: keys.apply(lambda k, c=category: _require(k, c, "kms_key_arns"))
            for category in ("logs", "queues", "artifacts", "lambda", "database")
        }
        prefixes = pulumi.Output.from_input(args.parameter_prefixes)

        self.signing = CodeSigning(f"{name}-code-signing", CodeSigningArgs(env=env), opts=child)
        self.artifacts = ArtifactStore(
            f"{name}-artifacts",
            ArtifactStoreArgs(
                env=env,
                account_id=args.account_id,
                kms_key_arn=key["artifacts"],
                noncurrent_days=s.artifact_noncurrent_days,
                layer=args.layer,
                app=args.app,
                signing_profile_name=self.signing.profile_name,
                access_log_days=s.log_retention_days,
            ),
            opts=child,
        )
        self.queues = OrderQueues(
            f"{name}-queues",
            OrderQueuesArgs(
                env=env,
                settings=s.queue,
                visibility_timeout_seconds=s.visibility_timeout_seconds,
                dlq_visibility_timeout_seconds=s.queue.dlq_visibility_timeout_seconds,
                kms_key_arn=key["queues"],
            ),
            opts=child,
        )
        q = self.queues

        common = [
            iam.allow(
                "PutOwnMetrics",
                ["cloudwatch:PutMetricData"],
                ["*"],
                {"StringEquals": {"cloudwatch:namespace": contract.metrics_namespace(env.value)}},
            ),
        ]
        queue_key = ["kms:GenerateDataKey", "kms:Decrypt"]
        statements = {
            "api": [iam.allow("SendOrders", ["sqs:SendMessage"], [q.queue_arn])],
            "worker": [iam.allow("ConsumeOrders", QUEUE_CONSUMER_ACTIONS, [q.queue_arn])],
            "dlq-analyzer": [
                iam.allow("ConsumeDeadLetters", QUEUE_CONSUMER_ACTIONS, [q.dlq_arn]),
                iam.allow("FileDeadLetters", ["sqs:SendMessage"], [q.archive_arn]),
            ],
            "migrate": [
                # The one-time owner bootstrap signs in as the master (docs/data.md, "Roles").
                iam.allow("ReadMasterSecretForBootstrap", ["secretsmanager:GetSecretValue"], [args.db_master_secret_arn]),
                iam.allow(
                    "DecryptMasterSecret",
                    ["kms:Decrypt"],
                    [key["database"]],
                    {"StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}},
                ),
            ],
        }
        for fn in DB_USERS:
            statements[fn] += db_statements(fn, args)
        pool_size = pulumi.Output.from_input(args.db_connection_limits).apply(lambda lim: checked_pool_size(s, lim))
        # Failed async invocations of api and worker land in the DLQ (the analyzer classifies them). The
        # analyzer's own failures do not (it would feed itself); a migration is invoked synchronously.
        async_destination = {"api": q.dlq_arn, "worker": q.dlq_arn}
        for fn in ("api", "worker"):
            statements[fn].append(iam.allow("AsyncFailuresToDlq", ["sqs:SendMessage"], [q.dlq_arn]))
        for fn in ("api", "worker", "dlq-analyzer"):
            statements[fn].append(iam.allow("UseQueuesKey", queue_key, [key["queues"]]))

        # Prod's logs are audit records (compliance: sox): they outlive a destroy of compute, and each compute
        # lifecycle writes to groups of its own (see LambdaFunctionArgs.retained_logs_suffix).
        logs_suffix: pulumi.Output[str] | None = None
        if env is Environment.PROD:
            logs_suffix = random.RandomId(f"{name}-log-lifecycle", byte_length=3, opts=child).hex
        code = CodeLocation(
            bucket=self.artifacts.bucket_name,
            key=self.artifacts.app_key,
            sha256_base64=args.app.code_sha256_base64,
        )
        self.functions = {}
        for fn in FUNCTIONS:
            variables: dict[str, pulumi.Input[str]] = {
                contract.APP_ENV: env.value,
                **{
                    contract.prefix_variable(cat): prefixes.apply(
                        lambda p, cat=cat: _require(p, cat, "parameter_prefixes")
                    )
                    for cat in contract.CATEGORIES
                },
                contract.CONFIG_TTL_SECONDS: str(s.config_ttl_seconds),
                contract.DATABASE_IAM_AUTH: pulumi.Output.from_input(args.db_auth_mode).apply(
                    lambda mode: str(_iam_auth(mode)).lower()
                ),
                "DATABASE_USERNAME": args.db_owner_username if fn == "migrate" else args.db_app_username,
                "DB_POOL_SIZE": pool_size,
                "POWERTOOLS_SERVICE_NAME": fn,
                "POWERTOOLS_METRICS_NAMESPACE": contract.metrics_namespace(env.value),
                "POWERTOOLS_LOG_LEVEL": s.log_level,
                "POWERTOOLS_LOGGER_SAMPLE_RATE": str(s.logger_sample_rate),
            }
            if fn == "api":
                variables[contract.ORDERS_QUEUE_URL] = q.queue_url
            if fn == "migrate":
                variables["DATABASE_MASTER_SECRET_ARN"] = args.db_master_secret_arn
                variables["DATABASE_PRIMARY_HOST"] = args.db_endpoint
            if fn == "dlq-analyzer":
                # The analyzer files each dead letter here, then the mapping deletes it from the DLQ.
                variables[contract.DLQ_ARCHIVE_QUEUE_URL] = q.archive_url
            self.functions[fn] = LambdaFunction(
                f"{name}-{fn}",
                LambdaFunctionArgs(
                    env=env,
                    function=fn,
                    handler=HANDLERS[fn],
                    settings=s.functions[fn],
                    runtime=args.layer.runtime,
                    architecture=args.layer.architecture,
                    code=code,
                    layer_arns=[self.artifacts.layer_arn],
                    subnet_ids=args.subnet_ids,
                    security_group_id=args.security_group_id,
                    logs_key_arn=key["logs"],
                    env_key_arn=key["lambda"],
                    log_retention_days=s.log_retention_days,
                    log_level=s.log_level,
                    variables=variables,
                    statements=[*common, *statements[fn]],
                    managed_policy_arns=[args.config_read_policy_arn],
                    async_retry_attempts=0 if fn == "migrate" else s.async_invoke.maximum_retry_attempts,
                    async_max_event_age_seconds=s.async_invoke.maximum_event_age_seconds,
                    async_failure_destination_arn=async_destination.get(fn),
                    account_id=args.account_id,
                    code_signing_config_arn=self.signing.config_arn,
                    retained_logs_suffix=logs_suffix,
                ),
                opts=child,
            )

        worker, analyzer = self.functions["worker"], self.functions["dlq-analyzer"]
        aws.lambda_.EventSourceMapping(
            f"{name}-worker-orders",
            event_source_arn=q.queue_arn,
            function_name=worker.alias_arn,
            batch_size=s.queue.batch_size,
            maximum_batching_window_in_seconds=s.queue.batching_window_seconds,
            function_response_types=["ReportBatchItemFailures"],
            scaling_config=aws.lambda_.EventSourceMappingScalingConfigArgs(
                maximum_concurrency=s.queue.max_concurrency
            ),
            opts=child,
        )
        aws.lambda_.EventSourceMapping(
            f"{name}-dlq-analyzer-dead-letters",
            event_source_arn=q.dlq_arn,
            function_name=analyzer.alias_arn,
            batch_size=DLQ_ANALYZER_BATCH_SIZE,
            maximum_batching_window_in_seconds=0,
            function_response_types=["ReportBatchItemFailures"],
            scaling_config=aws.lambda_.EventSourceMappingScalingConfigArgs(
                maximum_concurrency=DLQ_ANALYZER_MAX_CONCURRENCY
            ),
            opts=child,
        )

        api = self.functions["api"]
        if s.provisioned_concurrency is not None:
            ProvisionedScaling(
                f"{name}-api-provisioned",
                ProvisionedScalingArgs(
                    env=env,
                    function_name=api.function_name,
                    alias_name=api.alias_name,
                    settings=s.provisioned_concurrency,
                ),
                opts=child,
            )
        self.register_outputs({"api_alias_arn": api.alias_arn, "queue_arn": q.queue_arn})


def _require(mapping: dict[str, str], key: str, export: str) -> str:
    if key not in mapping:
        raise KeyError(f"upstream export {export!r} has no {key!r} entry (has: {', '.join(sorted(mapping))})")
    return mapping[key]
