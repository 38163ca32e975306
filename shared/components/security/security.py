"""The Security component: the key ring, the parameter hierarchy and the config-read policy."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from shared import iam
from shared.components.security.keys import KeyRing, KeyRingArgs
from shared.components.security.parameters import ParameterHierarchy, ParameterHierarchyArgs
from shared.components.security.settings import SecuritySettings
from shared.config import REGION, Environment
from shared.naming import resource_name
from shared.parameters import CATEGORIES, parameter_prefixes

READ_ACTIONS = ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:GetParameterHistory"]


def config_read_policy(env: Environment, account_id: str, key_arns: Mapping[str, str]) -> dict[str, Any]:
    """Read this env's hierarchies and decrypt them through SSM, nothing else (pure, for tests)."""
    resources = []
    for prefix in parameter_prefixes(env).values():
        path_arn = f"arn:aws:ssm:{REGION}:{account_id}:parameter{prefix.rstrip('/')}"
        resources += [path_arn, f"{path_arn}/*"]  # GetParametersByPath is authorized on the path itself
    return iam.document(
        [
            iam.allow("ReadThisEnvParameters", READ_ACTIONS, resources),
            iam.allow(
                "DecryptThroughSsm",
                ["kms:Decrypt"],
                [key_arns[c] for c in CATEGORIES],
                {
                    "StringEquals": {"kms:ViaService": f"ssm.{REGION}.amazonaws.com"},
                    # SSM encrypts each value with its parameter's ARN as encryption context.
                    "StringLike": {
                        "kms:EncryptionContext:PARAMETER_ARN": [
                            f"arn:aws:ssm:{REGION}:{account_id}:parameter{prefix}*"
                            for prefix in parameter_prefixes(env).values()
                        ]
                    },
                },
            ),
        ]
    )


@dataclass
class SecurityArgs:
    env: Environment
    """The environment; names, paths and policies derive from it."""
    settings: SecuritySettings
    """Validated ``serverless-infra-security:*`` settings."""
    account_id: pulumi.Input[str]
    """The AWS account id, for key policies and ARNs."""


class Security(pulumi.ComponentResource):
    key_arns: dict[str, pulumi.Output[str]]
    parameter_prefixes: dict[str, str]
    config_read_policy_arn: pulumi.Output[str]

    def __init__(self, name: str, args: SecurityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("serverless-infra:security:Security", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        env = args.env
        keys = KeyRing(
            f"{name}-keys",
            KeyRingArgs(env=env, settings=args.settings, account_id=args.account_id),
            opts=child,
        )
        self.key_arns = keys.key_arns
        self.parameters = ParameterHierarchy(
            f"{name}-parameters",
            ParameterHierarchyArgs(env=env, settings=args.settings, key_arns=keys.key_arns),
            opts=child,
        )
        self.parameter_prefixes = parameter_prefixes(env)
        param_keys = [keys.key_arns[c] for c in CATEGORIES]
        policy = aws.iam.Policy(
            f"{name}-config-read",
            name=resource_name(env, "policy", "config-read", service="iam"),
            description=f"Read /myapp/{env.value}/ (database, api, cache) and decrypt it through SSM",
            policy=pulumi.Output.all(args.account_id, *param_keys).apply(
                lambda a: json.dumps(config_read_policy(env, a[0], dict(zip(CATEGORIES, a[1:], strict=True))))
            ),
            opts=child,
        )
        self.config_read_policy_arn = policy.arn
        self.register_outputs(
            {
                "key_arns": self.key_arns,
                "parameter_prefixes": self.parameter_prefixes,
                "config_read_policy_arn": self.config_read_policy_arn,
            }
        )
