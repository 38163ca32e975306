"""The compute components' named builders, each on its own: IAM statements, environment variables,
log levels, log group names, bucket lifecycle and the queue policies. Outputs are resolved under
Pulumi mocks in this process; the whole component is built once to check what it registers."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.runtime.settings import SETTINGS
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from app import contract
from shared.components.compute import artifacts, functions, queues
from shared.components.compute.artifacts import ArtifactStore, BuiltArtifact
from shared.components.compute.compute import (
    ASYNC_FAILURES_TO_DLQ,
    Compute,
    ComputeArgs,
    FunctionEnvironment,
    FunctionPermissions,
    SharedFunctionArgs,
    order_queues_args,
)
from shared.components.compute.functions import CodeLocation, LambdaFunction
from shared.components.compute.queues import OrderQueues
from shared.components.compute.settings import FUNCTIONS, ComputeSettings
from shared.config import Environment
from shared.synth.mocks import RecordingMonitor, SynthMocks
from shared.synth.render import layer_config

pytestmark = pytest.mark.unit

ACCOUNT = "123456789012"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/"
PROXY_ARN = f"arn:aws:rds:us-east-1:{ACCOUNT}:db-proxy:prx-0123456789abcdef0"
SECRET_ARN = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:master-abc123"
PREFIXES = {"database": "/myapp/dev/database/", "api": "/myapp/dev/api/", "cache": "/myapp/dev/cache/"}
# Keys the Lambda runtime sets itself; CreateFunction refuses them in Environment.Variables
# (Lambda developer guide, configuration-envvars.html, "Defined runtime environment variables").
LAMBDA_RESERVED_KEYS = {
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
}
# Lambda's LoggingConfig enums (Lambda API reference, LoggingConfig).
APPLICATION_LOG_LEVELS = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}
SYSTEM_LOG_LEVELS = {"DEBUG", "INFO", "WARN"}


@dataclass(frozen=True)
class FakeQueues:
    queue_url: str = "https://sqs.us-east-1.amazonaws.com/123456789012/orders"
    queue_arn: str = f"arn:aws:sqs:us-east-1:{ACCOUNT}:orders"
    dlq_arn: str = f"arn:aws:sqs:us-east-1:{ACCOUNT}:orders-dlq"
    archive_url: str = "https://sqs.us-east-1.amazonaws.com/123456789012/orders-dlq-archive"
    archive_arn: str = f"arn:aws:sqs:us-east-1:{ACCOUNT}:orders-dlq-archive"


class OutputsMonitor(RecordingMonitor):
    """Also records what each component passes to ``register_outputs``."""

    def __init__(self, mocks: SynthMocks) -> None:
        super().__init__(mocks)
        self.registered_outputs: dict[str, set[str]] = {}

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        self.registered_outputs[request.urn] = set(request.outputs.keys())
        return super().RegisterResourceOutputs(request)


def run(program: Callable[[], Any]) -> tuple[Any, OutputsMonitor]:
    """Run ``program`` under mocks; return what it returned, every Output in it resolved, and the monitor."""
    monitor = OutputsMonitor(SynthMocks({}, {}))
    pulumi.runtime.set_mocks(monitor.synth_mocks, project="serverless-infra-compute", stack="dev", preview=False,
                             monitor=monitor)
    box: dict[str, Any] = {}

    def wrapped() -> None:
        pulumi.Output.from_input(program()).apply(lambda value: box.setdefault("value", value))

    try:
        _sync_await(run_pulumi_func(wrapped))
    finally:
        _drain()
    return box.get("value"), monitor


def _drain() -> None:
    """Let the tasks a failed program left behind finish, so they do not fail the next test's program."""
    loop = asyncio.get_event_loop()
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    SETTINGS.outputs.clear()  # the failed outputs pulumi tracks for its final wait


def resolve(build: Callable[[], Any]) -> Any:
    return run(build)[0]


def settings(env: str = "dev") -> ComputeSettings:
    return ComputeSettings.model_validate(layer_config("compute", env))


def permissions(**overrides: Any) -> FunctionPermissions:
    values: dict[str, Any] = {
        "account_id": ACCOUNT, "metrics_namespace": contract.metrics_namespace("dev"), "queues": FakeQueues(),
        "queues_key_arn": KEY + "queues", "database_key_arn": KEY + "database", "db_master_secret_arn": SECRET_ARN,
        "db_proxy_arn": PROXY_ARN, "db_owner_username": "app_owner", "db_app_username": "app_user",
        "db_reader_resource_ids": ["db-REPLICA1"], "db_reader_username": "app_reader",
    }
    return FunctionPermissions(**{**values, **overrides})


def environment(**overrides: Any) -> FunctionEnvironment:
    values: dict[str, Any] = {
        "env": Environment.DEV, "parameter_prefixes": PREFIXES, "config_ttl_seconds": 300, "db_auth_mode": "iam",
        "db_owner_username": "app_owner", "db_app_username": "app_user", "db_pool_size": "1",
        "db_master_secret_arn": SECRET_ARN, "db_endpoint": "db.example.internal", "log_level": "INFO",
        "logger_sample_rate": 0.0, "metrics_namespace": contract.metrics_namespace("dev"), "queues": FakeQueues(),
    }
    return FunctionEnvironment(**{**values, **overrides})


def grants(statements: list[dict], action: str) -> set[str]:
    """The resources the Allow statements give ``action`` on."""
    found: set[str] = set()
    for statement in statements:
        if statement["Effect"] == "Allow" and action in statement["Action"]:
            found.update(statement["Resource"])
    return found


# --- IAM statements -----------------------------------------------------------------------------

def test_each_queue_is_read_only_by_its_consumer_and_written_only_by_its_producer():
    statements = resolve(lambda: {fn: permissions().statements(fn) for fn in FUNCTIONS})
    q = FakeQueues()
    receivers = {fn: grants(s, "sqs:ReceiveMessage") for fn, s in statements.items()}
    assert receivers == {"api": set(), "worker": {q.queue_arn}, "dlq-analyzer": {q.dlq_arn}, "migrate": set()}
    senders = {fn: grants(s, "sqs:SendMessage") for fn, s in statements.items()}
    assert [fn for fn, arns in senders.items() if q.queue_arn in arns] == ["api"]
    assert [fn for fn, arns in senders.items() if q.archive_arn in arns] == ["dlq-analyzer"]
    assert not senders["migrate"]


def test_every_function_that_touches_a_queue_can_use_the_queues_key_and_no_other_can():
    statements = resolve(lambda: {fn: permissions().statements(fn) for fn in FUNCTIONS})
    for fn, own in statements.items():
        uses_sqs = any(a.startswith("sqs:") for s in own for a in s["Action"])
        assert (KEY + "queues" in grants(own, "kms:GenerateDataKey")) is uses_sqs, fn


def test_async_failure_destination_and_the_permission_to_send_there_go_together():
    """Lambda sends a failed async record with the function's own role: a destination without
    sqs:SendMessage on it loses the record."""
    s = settings()
    shared = shared_args(s)
    statements = resolve(lambda: {fn: permissions().statements(fn) for fn in FUNCTIONS})
    for fn in FUNCTIONS:
        destination = shared.function_args(fn, {}, []).async_failure_destination_arn
        can_send = FakeQueues().dlq_arn in grants(statements[fn], "sqs:SendMessage")
        assert (destination is not None) is can_send is (fn in ASYNC_FAILURES_TO_DLQ), fn


def test_only_migrate_reads_the_master_secret_and_only_through_secrets_manager():
    statements = resolve(lambda: {fn: permissions().statements(fn) for fn in FUNCTIONS})
    readers = [fn for fn, s in statements.items() if grants(s, "secretsmanager:GetSecretValue")]
    assert readers == ["migrate"]
    decrypt = next(s for s in statements["migrate"] if KEY + "database" in s["Resource"])
    assert decrypt["Condition"]["StringEquals"]["kms:ViaService"].startswith("secretsmanager.")


def test_functions_connect_as_their_own_role_and_only_the_reader_reaches_the_replica():
    statements = resolve(lambda: {fn: permissions().statements(fn) for fn in FUNCTIONS})
    connect = {fn: grants(s, "rds-db:connect") for fn, s in statements.items()}
    proxy_user = f"arn:aws:rds-db:us-east-1:{ACCOUNT}:dbuser:prx-0123456789abcdef0/"
    assert connect["migrate"] == {proxy_user + "app_owner"}
    assert connect["worker"] == connect["dlq-analyzer"] == {proxy_user + "app_user"}
    assert connect["api"] == {proxy_user + "app_user", f"arn:aws:rds-db:us-east-1:{ACCOUNT}:dbuser:db-REPLICA1/app_reader"}


def test_a_proxy_arn_without_its_resource_id_is_refused_by_name():
    with pytest.raises(ValueError, match="does not end in a prx- resource id"):
        resolve(lambda: permissions(db_proxy_arn="arn:aws:rds:us-east-1:1:db-proxy:my-proxy").statements("api"))


def test_an_unknown_function_gets_no_permissions_by_accident():
    with pytest.raises(ValueError, match="'reporter'"):
        permissions().statements("reporter")


def test_each_role_document_has_unique_sids_and_puts_metrics_only_in_the_app_namespace(tmp_path):
    """IAM refuses a policy whose statement ids repeat; the app publishes into the namespace its role may write."""
    args = function_args("worker", tmp_path)
    docs = resolve(lambda: {
        fn: functions.execution_statements("arn:aws:logs:us-east-1:1:log-group:/aws/lambda/x", args)
        + permissions().statements(fn)
        for fn in FUNCTIONS
    })
    for fn, statements in docs.items():
        sids = [s["Sid"] for s in statements]
        assert len(sids) == len(set(sids)), fn
        (metrics,) = [s for s in statements if "cloudwatch:PutMetricData" in s["Action"]]
        namespace = metrics["Condition"]["StringEquals"]["cloudwatch:namespace"]
        assert namespace == environment().variables(fn)["POWERTOOLS_METRICS_NAMESPACE"]


def test_execution_role_writes_only_its_own_log_group_and_keeps_the_callers_statements_last(tmp_path):
    extra = {"Sid": "Extra", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/k"]}
    args = function_args("api", tmp_path, statements=[extra])
    group = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/serverless-infra-dev-api"
    statements = resolve(lambda: functions.execution_statements(group, args))
    assert grants(statements, "logs:PutLogEvents") == {group + ":*"}
    assert statements[-1] == extra


# --- environment variables ----------------------------------------------------------------------

def test_variables_are_strings_lambda_accepts_and_fit_its_4_kb():
    """Lambda: keys [a-zA-Z][a-zA-Z0-9_]+, none reserved, all keys and values together at most 4 KB
    (Lambda developer guide, configuration-envvars.html; quotas: "Function environment variables 4 KB")."""
    variables = resolve(lambda: {fn: environment().variables(fn) for fn in FUNCTIONS})
    for fn, values in variables.items():
        assert all(isinstance(v, str) for v in values.values()), fn
        assert not set(values) & LAMBDA_RESERVED_KEYS, fn
        assert all(k[0].isalpha() and k.replace("_", "").isalnum() for k in values), fn
        assert sum(len(k) + len(v) for k, v in values.items()) <= 4096, fn


def test_each_function_gets_its_own_pointers_and_database_role():
    variables = resolve(lambda: {fn: environment().variables(fn) for fn in FUNCTIONS})
    has = {name: [fn for fn, v in variables.items() if name in v] for name in (
        contract.ORDERS_QUEUE_URL, contract.DLQ_ARCHIVE_QUEUE_URL, "DATABASE_MASTER_SECRET_ARN")}
    assert has == {contract.ORDERS_QUEUE_URL: ["api"], contract.DLQ_ARCHIVE_QUEUE_URL: ["dlq-analyzer"],
                   "DATABASE_MASTER_SECRET_ARN": ["migrate"]}
    assert {fn: v[contract.DATABASE_USERNAME] for fn, v in variables.items()} == {
        "api": "app_user", "worker": "app_user", "dlq-analyzer": "app_user", "migrate": "app_owner"}
    assert {v["POWERTOOLS_SERVICE_NAME"] for v in variables.values()} == set(FUNCTIONS)


def test_parameter_prefixes_reach_the_app_under_the_names_it_reads():
    values = resolve(lambda: environment().variables("worker"))
    assert {cat: values[contract.prefix_variable(cat)] for cat in contract.CATEGORIES} == {
        cat: PREFIXES[cat] for cat in contract.CATEGORIES}


@pytest.mark.parametrize(("mode", "signs_tokens"), [(contract.DB_AUTH_IAM, True), (contract.DB_AUTH_PASSWORD, False)])
def test_iam_auth_flag_follows_the_data_layers_mode_as_the_app_reads_it(mode, signs_tokens):
    values = resolve(lambda: environment(db_auth_mode=mode).variables("api"))
    assert contract.env_flag(values[contract.DATABASE_IAM_AUTH], default=not signs_tokens) is signs_tokens


def test_an_unknown_auth_mode_or_a_missing_prefix_is_refused_by_name():
    with pytest.raises(ValueError, match="db_auth_mode 'kerberos'.*iam"):
        resolve(lambda: environment(db_auth_mode="kerberos").variables("api"))
    missing = {k: v for k, v in PREFIXES.items() if k != "cache"}
    with pytest.raises(KeyError, match="parameter_prefixes.*'cache'"):
        resolve(lambda: environment(parameter_prefixes=missing).variables("api"))


# --- function args, log levels, log group names ---------------------------------------------------

def shared_args(s: ComputeSettings, tmp_path: Path | None = None) -> SharedFunctionArgs:
    zip_path = (tmp_path or Path("/nonexistent")) / "app.zip"
    return SharedFunctionArgs(
        env=Environment.DEV, settings=s, layer=BuiltArtifact(zip_path, "ab" * 32, "python3.12", "arm64"),
        code=CodeLocation(bucket="b", key="signed/functions/app.zip", sha256_base64="q80="), layer_arn="arn:layer:1",
        subnet_ids=["subnet-1"], security_group_id="sg-1", logs_key_arn=KEY + "logs", env_key_arn=KEY + "lambda",
        config_read_policy_arn="arn:aws:iam::1:policy/read", dlq_arn=FakeQueues().dlq_arn, account_id=ACCOUNT,
        code_signing_config_arn="arn:csc", retained_logs_suffix=None,
    )


def function_args(fn: str, tmp_path: Path, statements: list | None = None) -> functions.LambdaFunctionArgs:
    return shared_args(settings(), tmp_path).function_args(fn, {"A": "1"}, statements or [])


@pytest.mark.parametrize("env", [e.value for e in Environment])
def test_a_migration_is_never_retried_and_each_function_gets_its_own_sizes(env):
    s = settings(env)
    for fn in FUNCTIONS:
        args = shared_args(s).function_args(fn, {}, [])
        assert args.settings == s.functions[fn]
        assert args.async_retry_attempts == (0 if fn == "migrate" else s.async_invoke.maximum_retry_attempts)


@pytest.mark.parametrize("level", ["DEBUG", "INFO", "WARNING", "ERROR"])
def test_log_levels_are_ones_lambda_accepts_and_the_platform_is_never_chattier_than_info(level):
    application, system = functions.lambda_log_levels(level)
    assert application in APPLICATION_LOG_LEVELS and system in SYSTEM_LOG_LEVELS
    assert system != "DEBUG"
    quiet = level in ("WARNING", "ERROR")
    assert (system == "WARN") is quiet


def test_an_unknown_log_level_is_refused_by_name():
    with pytest.raises(ValueError, match="'VERBOSE'"):
        functions.lambda_log_levels("VERBOSE")


def test_a_retained_log_group_gets_a_name_of_its_own_lifecycle_that_lambda_accepts():
    """LoggingConfig.LogGroup: 1-512 characters of [.-_/#A-Za-z0-9] (Lambda API reference, LoggingConfig)."""
    plain = functions.function_log_group_name(Environment.PROD, "dlq-analyzer", None)
    assert plain == "/aws/lambda/serverless-infra-prod-dlq-analyzer"  # Lambda's default group name for the function
    suffixed = resolve(lambda: functions.function_log_group_name(Environment.PROD, "dlq-analyzer", "a1b2c3"))
    assert suffixed.startswith(plain + "-") and suffixed != plain
    assert re.fullmatch(r"[.\-_/#A-Za-z0-9]{1,512}", suffixed)


def test_async_destination_only_when_there_is_one():
    assert functions.async_destination(None) is None
    destination = functions.async_destination(FakeQueues().dlq_arn)
    assert destination is not None
    assert resolve(lambda: destination.on_failure.destination) == FakeQueues().dlq_arn  # type: ignore[union-attr]


# --- bucket and queues ----------------------------------------------------------------------------

def test_lifecycle_expires_only_replaced_versions_and_aborts_abandoned_uploads():
    rules = artifacts.lifecycle_rules(noncurrent_days=17)
    assert len({r.id for r in rules}) == len(rules)  # S3 refuses duplicate rule ids
    assert all(resolve(lambda r=r: r.expiration) is None for r in rules)  # current versions stay
    expiring = [r for r in rules if r.noncurrent_version_expiration is not None]
    assert [resolve(lambda r=r: r.noncurrent_version_expiration.noncurrent_days) for r in expiring] == [17]


@pytest.mark.parametrize(("policy", "arn", "covered"), [
    (artifacts.tls_only_policy, "arn:aws:s3:::bucket", ["arn:aws:s3:::bucket", "arn:aws:s3:::bucket/*"]),
    (queues.tls_only_policy, "arn:aws:sqs:us-east-1:1:orders", ["arn:aws:sqs:us-east-1:1:orders"]),
])
def test_tls_only_policies_deny_plain_http_on_everything_they_protect(policy, arn, covered):
    (statement,) = json.loads(policy(arn))["Statement"]
    assert statement["Effect"] == "Deny" and statement["Principal"] == "*"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert statement["Resource"] == covered


def test_layer_description_fits_lambdas_256_characters():
    """PublishLayerVersion: Description is 0-256 characters (Lambda API reference, PublishLayerVersion)."""
    layer = BuiltArtifact(Path("x.zip"), "f" * 64, "python3.12", "x86_64")
    description = artifacts.layer_description(layer)
    assert len(description) <= 256 and "python3.12" in description and "f" * 16 in description


def test_only_the_orders_queue_redrives_into_the_dlq():
    redrive = json.loads(queues.redrive_policy("arn:dlq", 5))
    allow = json.loads(queues.redrive_allow_policy("arn:orders"))
    assert redrive == {"deadLetterTargetArn": "arn:dlq", "maxReceiveCount": 5}
    assert allow == {"redrivePermission": "byQueue", "sourceQueueArns": ["arn:orders"]}


@pytest.mark.parametrize("env", [e.value for e in Environment])
def test_queue_visibility_outlasts_the_consumers(env):
    """Lambda refuses an SQS mapping whose queue's visibility timeout is below the function's timeout;
    AWS advises 6 x for the orders queue (Lambda developer guide, with-sqs.html)."""
    s = settings(env)
    args = order_queues_args(Environment(env), s, KEY + "queues")
    assert args.visibility_timeout_seconds >= 6 * s.functions["worker"].timeout_seconds
    assert args.dlq_visibility_timeout_seconds >= s.functions["dlq-analyzer"].timeout_seconds
    assert args.max_receive_count == s.queue.max_receive_count


# --- components: what they register ---------------------------------------------------------------

def _output_attributes(cls: type) -> set[str]:
    return {name for name, hint in cls.__annotations__.items() if str(hint).startswith("pulumi.Output")}


def test_components_declare_and_register_every_public_output(tmp_path):
    for name in ("layer.zip", "app.zip"):
        (tmp_path / name).write_bytes(b"PK")
    built: dict[str, Compute] = {}

    def program() -> None:
        built["compute"] = Compute("compute", ComputeArgs(
            env=Environment.DEV, settings=settings(), account_id=ACCOUNT,
            layer=BuiltArtifact(tmp_path / "layer.zip", "ab" * 32, "python3.12", "arm64"),
            app=BuiltArtifact(tmp_path / "app.zip", "cd" * 32, "python3.12", "arm64"),
            subnet_ids=["subnet-1", "subnet-2"], security_group_id="sg-1",
            kms_key_arns={c: KEY + c for c in ("logs", "queues", "artifacts", "lambda", "database")},
            parameter_prefixes=PREFIXES, config_read_policy_arn=f"arn:aws:iam::{ACCOUNT}:policy/read",
            db_proxy_arn=PROXY_ARN, db_owner_username="app_owner", db_app_username="app_user", db_reader_username="app_reader",
            db_auth_mode="iam",
            db_reader_resource_ids=[], db_master_secret_arn=SECRET_ARN, db_endpoint="db.example.internal",
            db_connection_limits={"primary_max_connections": 112, "proxy_max_connections": 84,
                                  "replica_max_connections": 0, "reader_routing": "proxy"},
        ))

    _, monitor = run(program)
    compute = built["compute"]
    components: list[pulumi.ComponentResource] = [compute.artifacts, compute.queues, *compute.functions.values()]
    for component in components:
        wanted = _output_attributes(type(component))
        assert wanted, type(component).__name__
        urn = _sync_await(component.urn.future())
        assert monitor.registered_outputs[urn] == wanted, type(component).__name__
        assert all(isinstance(getattr(component, attr), pulumi.Output) for attr in wanted)
    compute_urn = _sync_await(compute.urn.future())
    assert {"function_names", "queue_arn", "dependency_layer_arn"} <= monitor.registered_outputs[compute_urn]
    assert {LambdaFunction, OrderQueues, ArtifactStore} == {type(c) for c in components}
