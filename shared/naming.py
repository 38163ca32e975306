"""One function names every resource: ``serverless-infra-{env}-{resource-type}[-{qualifier}]``.

Each AWS service has its own length and character rules; a name that breaks them fails at
`pulumi up` after minutes of work, so we check them here, when the program is built.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.config import Environment

APPLICATION = "serverless-infra"
# The Lambda alias every caller invokes (API Gateway, the migrate step, releases, provisioned concurrency).
LIVE_ALIAS = "live"

_SEGMENT = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class NamingError(ValueError):
    """A resource name that AWS (or our pattern) would refuse."""


@dataclass(frozen=True)
class NameRule:
    """The limits one AWS service puts on a resource name."""

    max_length: int
    pattern: str
    where: str  # the AWS doc section the limit comes from, for the error message

    def check(self, name: str, service: str) -> None:
        if len(name) > self.max_length:
            raise NamingError(
                f"name {name!r} is {len(name)} characters; {service} allows at most "
                f"{self.max_length} ({self.where})"
            )
        if not re.fullmatch(self.pattern, name):
            raise NamingError(
                f"name {name!r} does not match {self.pattern!r}, the charset {service} allows ({self.where})"
            )


# Limits from the AWS service quotas / API references. Our own pattern is stricter than most of
# them (lowercase, digits, hyphen), so the rules mostly bite on length.
NAME_RULES: dict[str, NameRule] = {
    "default": NameRule(255, r"[a-zA-Z0-9-]+", "generic AWS name"),
    "s3": NameRule(63, r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", "S3 bucket naming rules"),
    "lambda": NameRule(64, r"[a-zA-Z0-9_-]+", "Lambda CreateFunction FunctionName"),
    "lambda_layer": NameRule(140, r"[a-zA-Z0-9_-]+", "Lambda PublishLayerVersion LayerName"),
    "iam": NameRule(64, r"[\w+=,.@-]+", "IAM role/policy name quotas"),
    "sqs": NameRule(80, r"[a-zA-Z0-9_-]+", "SQS CreateQueue QueueName"),
    "sns": NameRule(256, r"[a-zA-Z0-9_-]+", "SNS CreateTopic Name"),
    # RDS identifiers: letter first, no two hyphens in a row, no hyphen at the end.
    "rds": NameRule(63, r"[a-z](?!.*--)[a-z0-9-]*[a-z0-9]", "RDS DB instance identifier"),
    "log_group": NameRule(512, r"[\w./#-]+", "CloudWatch Logs CreateLogGroup"),
    "alarm": NameRule(255, r"[\x20-\x7e]+", "CloudWatch PutMetricAlarm AlarmName"),
    "dashboard": NameRule(255, r"[A-Za-z0-9_-]+", "CloudWatch PutDashboard DashboardName"),
    "config_rule": NameRule(128, r"[A-Za-z0-9_-]+", "AWS Config PutConfigRule ConfigRuleName"),
    "security_group": NameRule(255, r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]+", "EC2 CreateSecurityGroup"),
    "kms_alias": NameRule(256, r"alias/[a-zA-Z0-9/_-]+", "KMS CreateAlias AliasName"),
    "api_gateway": NameRule(1024, r"[\x20-\x7e]+", "API Gateway CreateRestApi name"),
    "budget": NameRule(100, r"[^:\\]+", "Budgets CreateBudget BudgetName"),
}


def resource_name(
    env: Environment | str,
    resource_type: str,
    qualifier: str | None = None,
    *,
    service: str = "default",
) -> str:
    """``serverless-infra-{env}-{resource_type}[-{qualifier}]``, checked against ``service``'s limits."""
    environment = Environment.parse(str(env))
    for label, segment in (("resource type", resource_type), ("qualifier", qualifier)):
        if segment is None and label == "qualifier":
            continue
        if not segment or not _SEGMENT.match(segment):
            raise NamingError(
                f"{label} {segment!r} must be lowercase letters and digits in hyphen-separated words"
            )
    if service not in NAME_RULES:
        raise NamingError(f"unknown service {service!r}; known: {', '.join(sorted(NAME_RULES))}")
    parts = [APPLICATION, environment.value, resource_type] + ([qualifier] if qualifier else [])
    name = "-".join(parts)
    NAME_RULES[service].check(name, service)
    return name


def project_name(layer: str) -> str:
    """The Pulumi project of a layer, ``serverless-infra-{layer}`` (``shared.contracts`` checks the layer)."""
    return f"{APPLICATION}-{layer}"


def live_function_name(env: Environment | str, function: str) -> str:
    """``serverless-infra-{env}-{function}:live``: the qualified name callers invoke."""
    return f"{resource_name(env, function, service='lambda')}:{LIVE_ALIAS}"


def kms_alias_name(env: Environment | str, category: str) -> str:
    """``alias/serverless-infra-{env}-{category}``."""
    name = "alias/" + resource_name(env, category)
    NAME_RULES["kms_alias"].check(name, "kms_alias")
    return name


def log_group_name(prefix: str, env: Environment | str, resource_type: str, qualifier: str | None = None) -> str:
    """A log group under an AWS-mandated prefix, e.g. ``/aws/lambda/serverless-infra-prod-api``."""
    if not prefix.startswith("/") or prefix.endswith("/"):
        raise NamingError(f"log group prefix {prefix!r} must start with '/' and not end with '/'")
    name = f"{prefix}/{resource_name(env, resource_type, qualifier)}"
    NAME_RULES["log_group"].check(name, "log_group")
    return name


@dataclass(frozen=True)
class OrderQueueNames:
    """The three queues of the orders flow: the compute layer creates them, the app and `invoke dlq` find them."""

    queue: str
    dlq: str
    archive: str


def order_queue_names(env: Environment | str) -> OrderQueueNames:
    """``serverless-infra-{env}-orders``, ``-orders-dlq`` and ``-orders-dlq-archive``."""
    return OrderQueueNames(
        queue=resource_name(env, "orders", service="sqs"),
        dlq=resource_name(env, "orders", "dlq", service="sqs"),
        archive=resource_name(env, "orders", "dlq-archive", service="sqs"),
    )
