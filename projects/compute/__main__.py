"""Compute layer: Lambda functions + dependency layer, artifacts bucket, SQS queue + DLQ, autoscaling.

Reads network (subnets, Lambda security group), security (KMS keys, parameter prefixes, the
config-read policy) and data (RDS Proxy ARN, the owner/app roles, replica ids,
connection limits); publishes the compute contract.
The zips come from `invoke build` (build/lambda/); a missing one stops the program with a message
that names the file and the command.
"""

import pulumi

from shared.accounts import account_budget
from shared.components.compute import Compute, ComputeArgs, ComputeSettings, load_artifacts
from shared.config import REPO_ROOT, current_stack_context
from shared.providers import aws_provider, caller_account_id
from shared.stacks import Upstream, publish

ctx = current_stack_context("compute")
settings = ctx.layer_settings(ComputeSettings)
account_budget(ctx.env, compute=settings)  # these reservations, checked with every env sharing the account
artifacts = load_artifacts(REPO_ROOT / "build" / "lambda")
network, security, data = Upstream(ctx, "network"), Upstream(ctx, "security"), Upstream(ctx, "data")
provider = aws_provider(ctx)
account_id = caller_account_id(provider)

compute = Compute(
    "compute",
    ComputeArgs(
        env=ctx.env,
        settings=settings,
        account_id=account_id,
        layer=artifacts["layer"],
        app=artifacts["app"],
        subnet_ids=network.require("private_subnet_ids"),
        security_group_id=network.require("lambda_security_group_id"),
        kms_key_arns=security.require("kms_key_arns"),
        parameter_prefixes=security.require("parameter_prefixes"),
        config_read_policy_arn=security.require("config_read_policy_arn"),
        db_proxy_arn=data.require("db_proxy_arn"),
        db_owner_username=data.require("db_owner_username"),
        db_app_username=data.require("db_app_username"),
        db_reader_username=data.require("db_reader_username"),
        db_auth_mode=data.require("db_auth_mode"),
        db_reader_resource_ids=data.require("db_reader_resource_ids"),
        db_master_secret_arn=data.require("db_master_secret_arn"),
        db_endpoint=data.require("db_endpoint"),
        db_connection_limits=data.require("db_connection_limits"),
    ),
    opts=pulumi.ResourceOptions(providers=[provider]),
)

functions, queues = compute.functions, compute.queues
api = functions["api"]
publish(
    ctx,
    {
        "api_function_name": api.function_name,
        "api_function_arn": api.function_arn,
        "api_alias_name": api.alias_name,
        "api_alias_arn": api.alias_arn,
        "api_alias_invoke_arn": api.alias_invoke_arn,
        "worker_function_name": functions["worker"].function_name,
        "dlq_analyzer_function_name": functions["dlq-analyzer"].function_name,
        "migrate_function_name": functions["migrate"].function_name,
        "queue_url": queues.queue_url,
        "queue_arn": queues.queue_arn,
        "dlq_url": queues.dlq_url,
        "dlq_arn": queues.dlq_arn,
        "queue_name": queues.queue_name,
        "dlq_name": queues.dlq_name,
        "dlq_archive_url": queues.archive_url,
        "dlq_archive_arn": queues.archive_arn,
        "dlq_archive_name": queues.archive_name,
        "log_group_names": {fn: f.log_group_name for fn, f in functions.items()},
        "function_timeout_seconds": {fn: f.timeout_seconds for fn, f in settings.functions.items()},
        "artifact_bucket_name": compute.artifacts.bucket_name,
        "dependency_layer_arn": compute.artifacts.layer_arn,
    },
)
