"""Api layer: the API Gateway REST front door, built from app/openapi.yaml.

Reads compute (only to check that the api function and alias carry the names this layer invokes
them by) and security (the logs KMS key); publishes the api contract. Settings: docs/api.md.
"""

import pulumi

from shared.components.api import Api, ApiArgs, ApiSettings
from shared.components.api.account import account_settings_owner
from shared.config import ConfigError, current_stack_context
from shared.env_policy import env_policy
from shared.providers import aws_provider, caller_account_id
from shared.stacks import Upstream, publish

ctx = current_stack_context("api")
settings = ctx.layer_settings(ApiSettings)
errors_only = env_policy(ctx.env).api_execution_logs_errors_only
if errors_only and (settings.data_trace or settings.execution_log_level == "INFO"):
    raise ConfigError(
        f"{ctx.stack_file}: keys 'dataTrace'/'executionLogLevel': {ctx.env.value} logs execution errors only "
        "(executionLogLevel ERROR or OFF, dataTrace false): full request data would land in the logs"
    )
owner = account_settings_owner(ctx.env)
manage_account = settings.manage_account_settings if settings.manage_account_settings is not None else owner == ctx.env
compute, security = Upstream(ctx, "compute"), Upstream(ctx, "security")
provider = aws_provider(ctx)

api = Api(
    "api",
    ApiArgs(
        env=ctx.env,
        settings=settings,
        account_id=caller_account_id(provider),
        logs_key_arn=security.require("kms_key_arns").apply(lambda keys: keys["logs"]),
        compute_function_name=compute.require("api_function_name"),
        compute_alias_name=compute.require("api_alias_name"),
        manage_account_settings=manage_account,
    ),
    opts=pulumi.ResourceOptions(providers=[provider]),
)

publish(
    ctx,
    {
        "rest_api_id": api.rest_api_id,
        "rest_api_name": api.rest_api_name,
        "stage_name": api.stage_name,
        "invoke_url": api.invoke_url,
        "custom_domain_url": api.custom_domain_url,
        "public_url": api.public_url,
        "execution_arn": api.execution_arn,
        "access_log_group_name": api.access_log_group_name,
        "usage_plan_ids": api.usage_plan_ids,
        "web_acl_arn": api.web_acl_arn,
        "web_acl_name": api.web_acl_name,
    },
)
