"""The layer output contract: deploy order, what each layer publishes and what it reads.

This is the one place the contract lives. Renaming or removing a published key breaks every
consumer, so tests check both sides: each layer exports exactly its ``publishes`` keys, and
reads only keys that its upstream layers publish.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from shared import naming

LAYER_ORDER: tuple[str, ...] = ("network", "security", "data", "compute", "api", "observability")


class ContractError(LookupError):
    """A layer reads a key its upstream does not publish, or an unknown layer."""


@dataclass(frozen=True)
class LayerContract:
    layer: str
    reads: tuple[str, ...]
    publishes: Mapping[str, str] = field(default_factory=dict)  # key -> what it is

    @property
    def project(self) -> str:
        return project_name(self.layer)


def project_name(layer: str) -> str:
    if layer not in LAYER_ORDER:
        raise ContractError(f"unknown layer {layer!r}; layers are {', '.join(LAYER_ORDER)}")
    return naming.project_name(layer)


CONTRACTS: dict[str, LayerContract] = {
    "network": LayerContract(
        "network",
        reads=(),
        publishes={
            "vpc_id": "the VPC id",
            "vpc_cidr": "the VPC IPv4 CIDR block",
            "availability_zones": "the AZ names the subnets span, in subnet order",
            "private_subnet_ids": "isolated subnets for Lambda ENIs, one per AZ",
            "database_subnet_ids": "isolated subnets for RDS and RDS Proxy, one per AZ",
            "lambda_security_group_id": "security group of the Lambda functions",
            "database_security_group_id": "security group of RDS and RDS Proxy (5432 from Lambda only)",
            "endpoint_security_group_id": "security group of the interface VPC endpoints (443 from the VPC)",
            "egress_mode": "'none' (no internet route) or 'nat' (opt-in NAT egress)",
        },
    ),
    "security": LayerContract(
        "security",
        reads=(),  # keys and parameters need nothing from the network layer
        publishes={
            "kms_key_arns": "map category -> KMS key ARN (database, api, cache, logs, queues, artifacts, lambda)",
            "parameter_prefixes": "map category -> SSM path prefix (/myapp/{env}/database/ ...)",
            "config_read_policy_arn": "managed IAM policy that reads this env's parameters",
        },
    ),
    "data": LayerContract(
        "data",
        reads=("network", "security"),
        publishes={
            "db_endpoint": "writer endpoint hostname (the primary instance)",
            "db_reader_endpoint": "reader hostname (a read replica, or the primary when there is none)",
            "db_proxy_endpoint": "RDS Proxy hostname the functions connect to",
            "db_proxy_arn": "RDS Proxy ARN (for rds-db:connect)",
            "db_port": "PostgreSQL port",
            "db_name": "database name",
            "db_username": "database user the app connects as (the app role; same as db_app_username)",
            "db_owner_username": "role that owns the tables; the migrate function signs in as it",
            "db_app_username": "role the api, worker and dlq-analyzer sign in as (DML only)",
            "db_reader_username": "role the api signs in as on the read replica (SELECT only, capped by its "
            "CONNECTION LIMIT); its rds-db:connect is scoped to db_reader_resource_ids",
            "db_auth_mode": "'iam': clients sign IAM tokens for RDS Proxy (and the replica), end to end",
            "db_reader_resource_ids": "resource ids (db-...) of the replicas the app reads from directly (empty "
            "when reads go through the proxy): they scope rds-db:connect",
            "db_master_secret_arn": "Secrets Manager ARN of the break-glass master credentials (the migrate "
            "function's one-time owner bootstrap reads it)",
            "db_connection_limits": "max connections of the primary, the proxy's pool and the read replica, "
            "the reader routing and the replica's cap of direct app connections (shared/connection_budget.py)",
            "db_parameter_prefix": "SSM prefix holding host, port, name, username, password, reader and proxy hosts",
            "db_instance_identifier": "the primary instance's identifier (CloudWatch DBInstanceIdentifier dimension)",
            "db_replica_identifiers": "identifiers of the read replicas, in order (empty when there is none)",
            "db_proxy_name": "RDS Proxy name (CloudWatch ProxyName dimension)",
        },
    ),
    "compute": LayerContract(
        "compute",
        reads=("network", "security", "data"),
        publishes={
            "api_function_name": "API handler function name (deterministic)",
            "api_function_arn": "API handler function ARN",
            "api_alias_name": "the alias API Gateway invokes ('live')",
            "api_alias_arn": "ARN of the live alias",
            "api_alias_invoke_arn": "API Gateway integration URI of the live alias",
            "worker_function_name": "SQS batch worker function name",
            "dlq_analyzer_function_name": "DLQ analyzer function name",
            "migrate_function_name": "schema migration runner function name",
            "queue_url": "orders queue URL",
            "queue_arn": "orders queue ARN",
            "dlq_url": "dead-letter queue URL",
            "dlq_arn": "dead-letter queue ARN",
            "queue_name": "orders queue name (CloudWatch QueueName dimension)",
            "dlq_name": "dead-letter queue name (CloudWatch QueueName dimension)",
            "dlq_archive_url": "dead-letter archive queue URL (no consumer; `invoke dlq` reads it)",
            "dlq_archive_arn": "dead-letter archive queue ARN",
            "dlq_archive_name": "dead-letter archive queue name (CloudWatch QueueName dimension)",
            "log_group_names": "map function -> log group name",
            "function_timeout_seconds": "map function -> timeout in seconds (duration alarms sit just below it)",
            "artifact_bucket_name": "deployment artifacts bucket",
            "dependency_layer_arn": "Lambda layer version ARN with the app's dependencies",
        },
    ),
    "api": LayerContract(
        "api",
        reads=("compute", "security"),
        publishes={
            "rest_api_id": "REST API id",
            "rest_api_name": "REST API name (CloudWatch ApiName dimension)",
            "stage_name": "the deployed stage (CloudWatch Stage dimension)",
            "invoke_url": "execute-api URL of the stage, ending in /{stage}",
            "custom_domain_url": "https://{domain} when a custom domain is configured, else ''",
            "public_url": "the URL clients use: custom_domain_url when set, else invoke_url",
            "execution_arn": "execution ARN of the REST API (arn:aws:execute-api:...)",
            "access_log_group_name": "the stage's access log group",
            "usage_plan_ids": "map client tier -> usage plan id",
            "web_acl_arn": "regional WAF web ACL ARN, '' when WAF is off",
            "web_acl_name": "regional WAF web ACL name (CloudWatch WebACL dimension), '' when WAF is off",
        },
    ),
    "observability": LayerContract(
        "observability",
        reads=("data", "compute", "api"),
        publishes={
            "alarm_topic_arn": "SNS topic (KMS-encrypted) that pages: every alarm but the burn-rate windows and the "
                               "replica's, and actual spend past the budget",
            "ticket_topic_arn": "SNS topic (same key) for tickets: the availability composite's burn-rate windows, "
                                "budget forecasts, the replica's alarms",
            "alarm_names": "map alarm key -> CloudWatch alarm name (composite included)",
            "availability_alarm_name": "the composite alarm against the 99.9% availability SLO",
            "dashboard_names": "map dashboard (business, api, lambda, sqs, rds, cost) -> dashboard name",
            "dashboard_urls": "map dashboard -> console URL",
            "log_metric_filter_names": "map filter key -> metric filter name (on the functions' log groups)",
            "query_definition_names": "saved Logs Insights query names",
            "xray_group_name": "X-Ray group of this env's traces",
            "xray_sampling_rule_name": "X-Ray sampling rule of this env",
            "config_recorder_name": "AWS Config recorder in use ('' when the account's existing one is used)",
            "config_rule_names": "map managed rule identifier -> Config rule name",
            "config_bucket_name": "Config delivery bucket ('' when an existing recorder is used)",
            "budget_name": "AWS Budget of this env",
            "billing_alarm_name": "EstimatedCharges alarm ('' when another env of the account owns it)",
        },
    ),
}


def contract(layer: str) -> LayerContract:
    project_name(layer)  # validates the layer name
    return CONTRACTS[layer]


def check_read(consumer: str, producer: str, key: str) -> None:
    """Refuse, at program-build time, a read the contract does not allow."""
    consumer_contract = contract(consumer)
    if producer not in consumer_contract.reads:
        raise ContractError(
            f"layer {consumer!r} does not declare {producer!r} as an upstream (reads: "
            f"{', '.join(consumer_contract.reads) or 'nothing'}); add it in shared/contracts.py"
        )
    published = contract(producer).publishes
    if key not in published:
        raise ContractError(
            f"layer {consumer!r} reads {key!r} from {producer!r}, which does not publish it; "
            f"{producer} publishes: {', '.join(published) or 'nothing'} (shared/contracts.py)"
        )


def downstream_of(layer: str) -> tuple[str, ...]:
    """Layers that read ``layer``, directly or through another layer, in deploy order."""
    found: set[str] = set()
    frontier = {layer}
    while frontier:
        frontier = {c.layer for c in CONTRACTS.values() if set(c.reads) & frontier} - found
        found |= frontier
    return tuple(name for name in LAYER_ORDER if name in found)
