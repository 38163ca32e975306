"""Connection budget: Lambda concurrency x pool size against RDS Proxy's pool and the instances' limits.

Pure arithmetic shared by the data layer (which publishes its limits) and the compute layer (which checks
its reservations against them at synth and refuses a configuration that cannot fit). docs/data.md shows
the numbers per env; ``python -m shared.connection_budget`` prints them.

RDS for PostgreSQL's default ``max_connections`` is ``LEAST({DBInstanceClassMemory/9531392}, 5000)``
(RDS User Guide, "Maximum number of database connections", CHAP_Limits.MaxConnections). We take the class's
nominal memory, which slightly overstates DBInstanceClassMemory (RDS subtracts what the OS and its agents
use), and keep :data:`OPERATOR_HEADROOM` connections aside on every instance for that and for people.
"""

from __future__ import annotations

from dataclasses import dataclass

GIB = 1024**3
MAX_CONNECTIONS_DIVISOR = 9_531_392
MAX_CONNECTIONS_CEILING = 5_000
# superuser_reserved_connections (3, held for rdsadmin) plus room for the break-glass master, the owner's
# bootstrap, monitoring agents and an operator's psql; and the gap between nominal and usable memory.
RESERVED_CONNECTIONS = 3
OPERATOR_HEADROOM = 10
# Nominal memory (GiB) per size, by family (AWS instance-type pages). Unknown classes are refused, not guessed.
_BURSTABLE = {"micro": 1, "small": 2, "medium": 4, "large": 8, "xlarge": 16, "2xlarge": 32}
_GENERAL = {"large": 8, "xlarge": 16, "2xlarge": 32, "4xlarge": 64, "8xlarge": 128, "12xlarge": 192, "16xlarge": 256}
_MEMORY = {"large": 16, "xlarge": 32, "2xlarge": 64, "4xlarge": 128, "8xlarge": 256, "12xlarge": 384, "16xlarge": 512}
MEMORY_GIB: dict[str, dict[str, int]] = {
    **{family: _BURSTABLE for family in ("t3", "t4g")},
    **{family: _GENERAL for family in ("m5", "m6g", "m6i", "m7g", "m7i", "m8g")},
    **{family: _MEMORY for family in ("r5", "r6g", "r6i", "r7g", "r7i", "r8g")},
}


class ConnectionBudgetError(ValueError):
    """The functions could open more connections than the database side can accept."""


def max_connections(instance_class: str) -> int:
    """RDS for PostgreSQL's default max_connections for ``db.<family>.<size>``."""
    _, family, size = instance_class.split(".")
    gib = MEMORY_GIB.get(family, {}).get(size)
    if gib is None:
        raise ConnectionBudgetError(
            f"no memory size known for {instance_class}: add it to MEMORY_GIB in shared/connection_budget.py"
        )
    return min(gib * GIB // MAX_CONNECTIONS_DIVISOR, MAX_CONNECTIONS_CEILING)


def usable(limit: int) -> int:
    return limit - RESERVED_CONNECTIONS - OPERATOR_HEADROOM


@dataclass(frozen=True)
class DatabaseLimits:
    """What the data layer publishes as ``db_connection_limits``."""

    primary_max_connections: int
    proxy_max_connections: int
    replica_max_connections: int  # 0 when reads do not go to a replica
    reader_routing: str

    @classmethod
    def from_settings(cls, instance_class: str, replica_class: str, proxy_percent: int, routing: str) -> DatabaseLimits:
        primary = max_connections(instance_class)
        return cls(
            primary_max_connections=primary,
            proxy_max_connections=primary * proxy_percent // 100,
            replica_max_connections=max_connections(replica_class) if routing == "replica" else 0,
            reader_routing=routing,
        )

    @classmethod
    def from_output(cls, published: dict) -> DatabaseLimits:
        """From the stack reference (numbers cross it as floats)."""
        return cls(
            primary_max_connections=int(published["primary_max_connections"]),
            proxy_max_connections=int(published["proxy_max_connections"]),
            replica_max_connections=int(published["replica_max_connections"]),
            reader_routing=str(published["reader_routing"]),
        )

    def as_output(self) -> dict[str, int | str]:
        return {
            "primary_max_connections": self.primary_max_connections,
            "proxy_max_connections": self.proxy_max_connections,
            "replica_max_connections": self.replica_max_connections,
            "reader_routing": self.reader_routing,
        }


@dataclass(frozen=True)
class Demand:
    """What the compute layer can open: per-environment pool size and each function's reserved concurrency."""

    pool_size: int
    reserved: dict[str, int]  # function -> reserved concurrency
    readers: tuple[str, ...]  # functions whose reads go to the reader (the replica, when routed there)
    long_holders: dict[str, int]  # function -> how many of its environments hold a backend for long


def check(limits: DatabaseLimits, demand: Demand) -> dict[str, int]:
    """Every rule, all problems at once; returns the figures (for docs and logs) when everything fits."""
    problems: list[str] = []
    figures = {"pool_size": demand.pool_size, "proxy_backends": limits.proxy_max_connections}
    primary_room = usable(limits.primary_max_connections)
    if limits.proxy_max_connections > primary_room:
        problems.append(
            f"the proxy may open {limits.proxy_max_connections} of the primary's {limits.primary_max_connections} "
            f"connections, leaving fewer than {RESERVED_CONNECTIONS + OPERATOR_HEADROOM} for rdsadmin, the "
            "break-glass master and operators: lower proxyMaxConnectionsPercent"
        )
    # Worker chunks and the migration (its advisory lock pins the session) hold a backend for a whole
    # transaction; they must leave a tenth of the pool to the API, which borrows per request.
    held = sum(count * demand.pool_size for count in demand.long_holders.values())
    figures["long_held_backends"] = held
    if held > limits.proxy_max_connections * 9 // 10:
        problems.append(
            f"long transactions ({', '.join(f'{f} {n}' for f, n in demand.long_holders.items())} environments x "
            f"pool {demand.pool_size} = {held}) could hold more than 90% of the proxy's "
            f"{limits.proxy_max_connections} backends: lower queue.maxConcurrency or raise the instance class"
        )
    if limits.reader_routing == "replica":
        direct = sum(demand.reserved[f] * demand.pool_size for f in demand.readers)
        room = usable(limits.replica_max_connections)
        figures.update(replica_connections=direct, replica_room=room)
        if direct > room:
            problems.append(
                f"readerRouting 'replica': {' + '.join(f'{f} {demand.reserved[f]}' for f in demand.readers)} "
                f"reserved environments x pool {demand.pool_size} = {direct} direct connections, but the replica "
                f"takes {limits.replica_max_connections} ({room} after {RESERVED_CONNECTIONS + OPERATOR_HEADROOM} "
                "reserved): lower reservedConcurrency, use a larger replicaInstanceClass, or readerRouting 'proxy'"
            )
    if problems:
        raise ConnectionBudgetError("connection budget does not fit:\n- " + "\n- ".join(problems))
    return figures


def report(env: str) -> str:
    """One env's arithmetic from its stack files (what docs/data.md tabulates)."""
    from shared.components.compute.compute import connection_demand
    from shared.components.compute.settings import ComputeSettings
    from shared.components.data.settings import DataSettings
    from shared.synth.render import layer_config

    data = DataSettings.model_validate(layer_config("data", env))
    demand = connection_demand(ComputeSettings.model_validate(layer_config("compute", env)))
    limits = DatabaseLimits.from_settings(
        data.instance_class, data.replica_class, data.proxy_max_connections_percent, data.reader_routing
    )
    clients = sum(demand.reserved.values()) * demand.pool_size
    lines = [
        f"{env}: primary {data.instance_class} max_connections {limits.primary_max_connections}; proxy pool "
        f"{data.proxy_max_connections_percent}% = {limits.proxy_max_connections} backends; "
        f"client connections to the proxy <= {clients} (reserved x pool {demand.pool_size})",
    ]
    try:
        figures = check(limits, demand)
        lines.append(f"  fits: {figures}")
    except ConnectionBudgetError as error:
        lines.append(f"  DOES NOT FIT: {error}")
    return "\n".join(lines)


if __name__ == "__main__":
    for name in ("dev", "staging", "prod"):
        print(report(name))
