"""The api layer: a regional REST API built from app/openapi.yaml, its stage, clients, domain and WAF.

How it survives a destroy and redeploy of compute: the integration targets the api function's
``live`` alias by its deterministic ARN (``function:serverless-infra-{env}-api:live``) and invokes it
with this layer's own IAM role (integration credentials), so no ``lambda.Permission`` on the function
is needed and nothing here holds an id that a new function would change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from shared import iam
from shared.components.api.clients import build_usage_plans
from shared.components.api.domain import build_domain
from shared.components.api.openapi import document_hash, lambda_invoke_uri, load_document, operations, rest_api_body
from shared.components.api.settings import ApiSettings
from shared.components.api.stage import StageArgs, build_stage
from shared.components.api.waf import build_waf
from shared.components.compute.functions import ALIAS_NAME
from shared.config import REGION, Environment
from shared.naming import log_group_name, resource_name

# AWS managed policy for the account's API Gateway CloudWatch role ("Set up CloudWatch API logging").
PUSH_TO_CLOUDWATCH = "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"


def api_function_name(env: Environment) -> str:
    return resource_name(env, "api", service="lambda")


def live_alias_arn(env: Environment, account_id: str) -> str:
    return f"arn:aws:lambda:{REGION}:{account_id}:function:{api_function_name(env)}:{ALIAS_NAME}"


@dataclass
class ApiArgs:
    env: Environment
    """The environment; names derive from it."""
    settings: ApiSettings
    """Validated ``serverless-infra-api:*`` settings."""
    account_id: pulumi.Input[str]
    """The account deployed to (the alias ARN is built from it, not read from compute)."""
    logs_key_arn: pulumi.Input[str]
    """The security layer's KMS key for log groups."""
    compute_function_name: pulumi.Input[str]
    """compute's published api_function_name: checked against the deterministic name, never used."""
    compute_alias_name: pulumi.Input[str]
    """compute's published api_alias_name: checked against ``live``."""
    manage_account_settings: bool
    """Whether this stack owns the account's API Gateway CloudWatch role (shared/components/api/account.py)."""


def _check_compute_names(env: Environment, function_name: Any, alias_name: Any) -> bool:
    expected = (api_function_name(env), ALIAS_NAME)
    if (function_name, alias_name) != expected:
        raise ValueError(
            f"compute publishes api function {function_name!r} alias {alias_name!r}; the api layer "
            f"invokes {expected[0]!r}:{expected[1]!r} by name (shared/components/api/api.py)"
        )
    return True


class Api(pulumi.ComponentResource):
    rest_api_id: pulumi.Output[str]
    rest_api_name: str
    stage_name: pulumi.Output[str]
    invoke_url: pulumi.Output[str]
    custom_domain_url: pulumi.Output[str]
    public_url: pulumi.Output[str]
    execution_arn: pulumi.Output[str]
    access_log_group_name: pulumi.Output[str]
    usage_plan_ids: dict[str, pulumi.Output[str]]
    web_acl_arn: pulumi.Output[str]
    web_acl_name: pulumi.Output[str]

    def __init__(self, name: str, args: ApiArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("serverless-infra:api:Api", name, None, opts)
        env, s = args.env, args.settings
        child = pulumi.ResourceOptions(parent=self)
        alias_arn = pulumi.Output.from_input(args.account_id).apply(lambda account: live_alias_arn(env, account))
        role = self._integration_role(name, env, alias_arn)
        account_settings = self._account_settings(name, env) if args.manage_account_settings else []

        document = load_document()
        routes = [(method, path) for method, path, _ in operations(document)]
        self.rest_api_name = resource_name(env, "api", service="api_gateway")
        body = self._body(document, s, alias_arn, role.arn)
        checked = pulumi.Output.all(args.compute_function_name, args.compute_alias_name).apply(
            lambda names: _check_compute_names(env, names[0], names[1])
        )
        rest_api = aws.apigateway.RestApi(
            f"{name}-rest-api",
            name=self.rest_api_name,
            description="Orders API (app/openapi.yaml + integration extensions added at synth time)",
            body=pulumi.Output.all(body, checked).apply(lambda b: json.dumps(b[0], sort_keys=True)),
            endpoint_configuration=aws.apigateway.RestApiEndpointConfigurationArgs(types="REGIONAL"),
            put_rest_api_mode="overwrite",
            opts=child,
        )
        stage, access_logs = build_stage(
            StageArgs(
                name=name,
                rest_api=rest_api,
                body_hash=body.apply(document_hash),
                settings=s,
                routes=routes,
                access_log_group_name=log_group_name("/aws/apigateway", env, "api", "access"),
                logs_key_arn=args.logs_key_arn,
                depends_on=account_settings,
            ),
            parent=self,
        )
        self.usage_plan_ids = build_usage_plans(name, env, s, rest_api.id, stage, self)
        self.invoke_url = stage.invoke_url
        self._edge(name, env, s, rest_api, stage)
        self.rest_api_id = rest_api.id
        self.stage_name = stage.stage_name
        self.execution_arn = rest_api.execution_arn
        self.access_log_group_name = access_logs.name
        self.register_outputs({"rest_api_id": self.rest_api_id, "invoke_url": self.invoke_url})

    def _body(
        self, document: dict[str, Any], s: ApiSettings, alias_arn: pulumi.Output[str], role_arn: pulumi.Output[str]
    ) -> pulumi.Output[dict[str, Any]]:
        return pulumi.Output.all(alias_arn, role_arn).apply(
            lambda values: rest_api_body(
                document,
                title=self.rest_api_name,
                invoke_uri=lambda_invoke_uri(REGION, values[0]),
                credentials_arn=values[1],
                cached_routes=s.cache.ttl_seconds if s.caching else {},
            )
        )

    def _edge(
        self, name: str, env: Environment, s: ApiSettings, rest_api: aws.apigateway.RestApi, stage: aws.apigateway.Stage
    ) -> None:
        """The custom domain and the WAF, each when configured; the URLs clients use."""
        if s.domain is not None:
            build_domain(name, s.domain, rest_api.id, stage, self)
            self.custom_domain_url = pulumi.Output.from_input(f"https://{s.domain.name}")
            self.public_url = self.custom_domain_url
        else:
            self.custom_domain_url = pulumi.Output.from_input("")
            self.public_url = stage.invoke_url
        if s.waf.enabled:
            acl = build_waf(name, env, s.waf, stage.arn, self)
            self.web_acl_arn, self.web_acl_name = acl.arn, acl.name
        else:
            self.web_acl_arn = self.web_acl_name = pulumi.Output.from_input("")

    def _integration_role(self, name: str, env: Environment, alias_arn: pulumi.Output[str]) -> aws.iam.Role:
        """API Gateway assumes this role to invoke the live alias (integration credentials).

        No aws:SourceAccount/SourceArn condition in the trust: API Gateway's docs show the integration
        role trusted by the service alone, and a key the service does not send would fail every call.
        """
        role = aws.iam.Role(
            f"{name}-integration-role",
            name=resource_name(env, "role", "api-integration", service="iam"),
            description="API Gateway invokes the api function's live alias with this role",
            assume_role_policy=json.dumps(iam.service_trust_policy("apigateway.amazonaws.com")),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicy(
            f"{name}-integration-policy",
            name=resource_name(env, "policy", "api-integration", service="iam"),
            role=role.id,
            policy=pulumi.Output.json_dumps(
                iam.document([iam.allow("InvokeLiveAlias", ["lambda:InvokeFunction"], [alias_arn])])
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return role

    def _account_settings(self, name: str, env: Environment) -> list[pulumi.Resource]:
        """The account-and-region CloudWatch role of API Gateway: one stack per account owns it."""
        role = aws.iam.Role(
            f"{name}-cloudwatch-role",
            name=resource_name(env, "role", "apigw-cloudwatch", service="iam"),
            description="API Gateway account setting: writes access and execution logs to CloudWatch",
            assume_role_policy=json.dumps(iam.service_trust_policy("apigateway.amazonaws.com")),
            opts=pulumi.ResourceOptions(parent=self),
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-cloudwatch-role-policy", role=role.name, policy_arn=PUSH_TO_CLOUDWATCH,
            opts=pulumi.ResourceOptions(parent=self),
        )
        account = aws.apigateway.Account(
            f"{name}-account",
            cloudwatch_role_arn=role.arn,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[attachment]),
        )
        return [account]
