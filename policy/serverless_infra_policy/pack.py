"""The policies of the pack: each rule with its enforcement level, config schema and exceptions.

``mandatory`` rules block ``pulumi preview``/``up`` (and fail `invoke policy`); ``advisory`` ones
warn. Every policy takes an ``exceptions`` config property (filled from ``policy/exceptions.yaml``)
that waives named resources with a written reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from serverless_infra_policy import exceptions, resource_rules, stack_rules
from serverless_infra_policy.defaults import DEFAULTS

PACK_NAME = "serverless-infra"
MANDATORY, ADVISORY = EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY

_SCHEMA_TYPES = {bool: "boolean", int: "integer", dict: "object", list: "array", str: "string"}
_EXCEPTIONS_SCHEMA = {"type": "array", "items": {"type": "object"}, "default": []}


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    level: EnforcementLevel
    validate: Callable[..., None]
    stack: bool = False
    config: dict[str, Any] = field(default_factory=dict)


RULES: tuple[Rule, ...] = (
    Rule("resource-naming", "Names follow serverless-infra-<env>-<type>[-<qualifier>] (service-specific shapes "
         "for log groups, aliases, parameters, signing profiles).", MANDATORY, resource_rules.check_naming),
    Rule("required-tags", "Taggable resources carry Environment, CostCenter, Owner, Application, Backup and "
         "Compliance as effective tags (provider default_tags + own tags).", MANDATORY, resource_rules.check_tags),
    Rule("cmk-encryption", "Customer managed KMS keys wherever AWS offers them (logs, queues, topics, secrets, "
         "parameters, Lambda environment, RDS storage and Performance Insights, API cache).", MANDATORY,
         resource_rules.check_encryption),
    Rule("kms-key-rotation", "Symmetric customer managed keys rotate automatically.", MANDATORY,
         resource_rules.check_key_rotation),
    Rule("network-no-internet-path", "No ingress from the internet; no public subnet, internet/NAT gateway, "
         "Elastic IP or default route unless the env's egress mode allows it.", MANDATORY,
         resource_rules.check_network, config=DEFAULTS["network-no-internet-path"]),
    Rule("rds-private-tls", "RDS instances are not public; RDS Proxy requires TLS; PostgreSQL forces SSL.",
         MANDATORY, resource_rules.check_rds_private_tls),
    Rule("iam-least-privilege", "No wildcard actions, NotAction/NotResource or broad managed policies; Resource "
         "'*' only for actions AWS cannot scope (Service Authorization Reference) and with the condition AWS "
         "offers; no unconditioned Allow to every principal.", MANDATORY, resource_rules.check_iam),
    Rule("log-retention", "Log groups expire, and keep at least the env's and the Compliance class's minimum.",
         MANDATORY, resource_rules.check_log_retention, config=DEFAULTS["log-retention"]),
    Rule("xray-tracing", "Lambda functions and API stages trace with X-Ray.", MANDATORY,
         resource_rules.check_tracing),
    Rule("lambda-code-signing", "Every zip function has a code signing config; prod enforces it.", MANDATORY,
         resource_rules.check_code_signing),
    Rule("prod-data-protection", "In prod: databases Multi-AZ, backed up, deletion-protected, final snapshot "
         "kept; buckets not force-destroyed.", MANDATORY, resource_rules.check_prod_data_protection,
         config=DEFAULTS["prod-data-protection"]),
    Rule("lambda-cost-and-limits", "Functions run on arm64 and have a reserved concurrency.", ADVISORY,
         resource_rules.check_lambda_cost_and_limits),
    Rule("s3-bucket-baseline", "Buckets: default encryption (CMK; SSE-S3 only for access-log targets), public "
         "access fully blocked, versioning, lifecycle.", MANDATORY, stack_rules.check_bucket_baseline, stack=True),
    Rule("s3-access-logging", "Buckets log requests to an access-log bucket.", MANDATORY,
         stack_rules.check_bucket_access_logging, stack=True),
    Rule("s3-cross-region-replication", "Buckets replicate to a second region.", MANDATORY,
         stack_rules.check_bucket_replication, stack=True),
    Rule("tls-only-resource-policies", "Bucket, queue and topic policies deny requests without TLS.", MANDATORY,
         stack_rules.check_tls_only_policies, stack=True),
    Rule("sqs-dead-letter-queues", "Every queue a function consumes redrives to a DLQ (DLQs themselves "
         "excepted).", MANDATORY,
         stack_rules.check_dead_letter_queues, stack=True),
    Rule("lambda-async-failure-destination", "Every function's failed async invocations go to an on-failure "
         "destination or DLQ.", MANDATORY, stack_rules.check_async_failure_destinations, stack=True),
    Rule("reserved-concurrency-quota", "Reserved concurrency fits the account quota and leaves the unreserved "
         "minimum.", MANDATORY, stack_rules.check_reserved_concurrency, stack=True,
         config=DEFAULTS["reserved-concurrency-quota"]),
)
POLICY_NAMES = tuple(rule.name for rule in RULES)


def _schema(rule: Rule) -> PolicyConfigSchema:
    properties: dict[str, dict[str, Any]] = {"exceptions": dict(_EXCEPTIONS_SCHEMA)}
    for key, default in rule.config.items():
        properties[key] = {"type": _SCHEMA_TYPES[type(default)], "default": default}
    return PolicyConfigSchema(properties=properties)


def _waivable(rule: Rule) -> Callable[..., None]:
    """The rule's validator, minus the violations its ``exceptions`` config waives."""
    def validate(args: ResourceValidationArgs | StackValidationArgs, report: ReportViolation) -> None:
        waivers = exceptions.from_config(rule.name, args.get_config())
        own_urn = getattr(args, "urn", "")

        def filtered(message: str, urn: str | None = None) -> None:
            if not exceptions.waiver(waivers, rule.name, urn or own_urn):
                report(message, urn)

        rule.validate(args, filtered)

    return validate


def build_policies() -> list[Policy]:
    policies: list[Policy] = []
    for rule in RULES:
        if rule.stack:
            policies.append(StackValidationPolicy(rule.name, rule.description, _waivable(rule), rule.level,
                                                  _schema(rule)))
        else:
            policies.append(ResourceValidationPolicy(rule.name, rule.description, _waivable(rule), rule.level,
                                                     _schema(rule)))
    return policies


def initial_config(
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, EnforcementLevel | dict[str, Any]]:
    """Each policy's config: its defaults, the exceptions file, then ``overrides`` (per policy name)."""
    waivers = exceptions.load(POLICY_NAMES)
    config: dict[str, EnforcementLevel | dict[str, Any]] = {}
    for rule in RULES:
        config[rule.name] = {**rule.config,
                             "exceptions": [w.as_config() for w in waivers if w.policy == rule.name],
                             **dict((overrides or {}).get(rule.name, {}))}
    return config
