"""What the observability layer reads from the layers above it, resolved into plain strings.

Alarms and dashboards are pure functions of `Watched` (and the settings), so they can be tested
without Pulumi; the component resolves the upstream Outputs into one `Watched` and feeds it in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi

from shared.config import Environment

# The functions watched one by one (migrate runs once per deploy and is watched by the rollout itself).
WATCHED_FUNCTIONS = ("api", "worker", "dlq-analyzer")


class UpstreamShapeError(ValueError):
    """An upstream export does not have the shape the contract describes."""


@dataclass(frozen=True)
class Watched:
    env: Environment
    rest_api_name: str
    stage_name: str
    access_log_group_name: str
    web_acl_name: str
    functions: dict[str, str]  # function key -> function name
    api_alias_name: str
    timeouts: dict[str, int]  # function key -> timeout (s)
    log_groups: dict[str, str]  # function key -> log group name
    queue_name: str
    dlq_name: str
    db_instance: str
    db_replicas: list[str] = field(default_factory=list)
    proxy_name: str = ""
    dlq_archive_name: str = "dlq-archive"  # where the analyzer files dead letters (docs/app.md)
    # From the data layer's db_connection_limits (shared/connection_budget.py): where reads go, the reader
    # role's cap on the replica and the replica's max_connections (0 when reads do not go to a replica).
    reader_routing: str = "proxy"
    replica_reader_cap: int = 0
    replica_max_connections: int = 0

    @classmethod
    def placeholder(cls, env: Environment) -> Watched:
        """Stand-in names with the right shape: what exists (which alarms, which widgets) never depends on
        upstream *values*, only on the settings, so the component enumerates resources from this."""
        fns = {fn: f"fn-{fn}" for fn in WATCHED_FUNCTIONS}
        return cls(env, "api", "stage", "access-logs", "", fns, "live", dict.fromkeys(WATCHED_FUNCTIONS, 30),
                   {fn: f"/aws/lambda/fn-{fn}" for fn in WATCHED_FUNCTIONS}, "queue", "dlq", "db", [], "proxy")

    @classmethod
    def from_exports(cls, env: Environment, values: dict[str, Any]) -> Watched:
        def mapping(key: str) -> dict[str, Any]:
            value = values[key]
            missing = [fn for fn in WATCHED_FUNCTIONS if not isinstance(value, dict) or fn not in value]
            if missing:
                raise UpstreamShapeError(f"compute export {key!r} has no entry for {missing}: {value!r}")
            return {fn: value[fn] for fn in WATCHED_FUNCTIONS}

        return cls(
            env=env,
            rest_api_name=str(values["rest_api_name"]),
            stage_name=str(values["stage_name"]),
            access_log_group_name=str(values["access_log_group_name"]),
            web_acl_name=str(values.get("web_acl_name") or ""),
            functions={
                "api": values["api_function_name"],
                "worker": values["worker_function_name"],
                "dlq-analyzer": values["dlq_analyzer_function_name"],
            },
            api_alias_name=str(values["api_alias_name"]),
            timeouts={fn: int(t) for fn, t in mapping("function_timeout_seconds").items()},
            log_groups={fn: str(g) for fn, g in mapping("log_group_names").items()},
            queue_name=str(values["queue_name"]),
            dlq_name=str(values["dlq_name"]),
            dlq_archive_name=str(values["dlq_archive_name"]),
            db_instance=str(values["db_instance_identifier"]),
            db_replicas=[str(r) for r in values["db_replica_identifiers"] or []],
            proxy_name=str(values["db_proxy_name"]),
            **_reads(values["db_connection_limits"]),
        )


def _reads(limits: Any) -> dict[str, Any]:
    """The replica figures of ``db_connection_limits`` (numbers cross a stack reference as floats)."""
    if not isinstance(limits, dict) or "reader_routing" not in limits:
        raise UpstreamShapeError(f"data export 'db_connection_limits' has no reader_routing: {limits!r}")
    return {"reader_routing": str(limits["reader_routing"]),
            "replica_reader_cap": int(limits.get("replica_reader_cap", 0)),
            "replica_max_connections": int(limits.get("replica_max_connections", 0))}


# (layer, key) pairs the layer reads; `resolve` turns them into one Output[Watched].
READS = {
    "api": ("rest_api_name", "stage_name", "access_log_group_name", "web_acl_name"),
    "compute": ("api_function_name", "worker_function_name", "dlq_analyzer_function_name", "api_alias_name",
                "function_timeout_seconds", "log_group_names", "queue_name", "dlq_name", "dlq_archive_name"),
    "data": ("db_instance_identifier", "db_replica_identifiers", "db_proxy_name", "db_connection_limits"),
}


def resolve(env: Environment, outputs: dict[str, pulumi.Output[Any]]) -> pulumi.Output[Watched]:
    return pulumi.Output.all(**outputs).apply(lambda values: Watched.from_exports(env, values))
