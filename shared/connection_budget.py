"""Connection budget: Lambda concurrency x pool size against RDS Proxy's pool and the instances' limits.

Pure arithmetic shared by the data layer (which publishes its limits) and the compute layer (which checks
its reservations against them at synth and refuses a configuration that cannot fit). docs/data.md shows
the numbers per env; ``python -m shared.connection_budget`` prints them.

RDS for PostgreSQL's default ``max_connections`` is ``LEAST({DBInstanceClassMemory/9531392}, 5000)``
(RDS User Guide, "Maximum number of database connections", CHAP_Limits.MaxConnections). We take the class's
nominal memory, which slightly overstates DBInstanceClassMemory (RDS subtracts what the OS and its agents
use), and keep :data:`OPERATOR_HEADROOM` connections aside on every instance for that and for people.

Direct replica reads are bounded by the replica itself, not by our reservations: the reader role's
``CONNECTION LIMIT`` (``readerConnectionLimit``, app/roles.py) is a hard cap PostgreSQL enforces, and an
environment it refuses reads from the primary through the proxy (app/replica.py). So the rules are: the
cap fits the replica's usable connections, every reader environment can spill to the proxy, and the
spilled environments' retries of the replica stay within what IAM authentication takes.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.contract import REPLICA_FULL_BACKOFF_MIN_S, REPLICA_FULL_JITTER

GIB = 1024**3
MAX_CONNECTIONS_DIVISOR = 9_531_392
MAX_CONNECTIONS_CEILING = 5_000
# superuser_reserved_connections (3, held for rdsadmin) plus room for the break-glass master, the owner's
# bootstrap, monitoring agents and an operator's psql; and the gap between nominal and usable memory.
RESERVED_CONNECTIONS = 3
OPERATOR_HEADROOM = 10
# "use IAM database authentication when your application requires fewer than 200 new IAM database
# authentication connections per second" (RDS User Guide, "IAM database authentication", UsingWithRDS.IAMDBAuth).
IAM_AUTH_CONNECTIONS_PER_S = 200
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
    replica_reader_cap: int = 0  # the reader role's CONNECTION LIMIT on the replica (0: no direct reads)

    @classmethod
    def from_settings(
        cls, instance_class: str, replica_class: str, proxy_percent: int, routing: str, reader_cap: int = 0
    ) -> DatabaseLimits:
        primary = max_connections(instance_class)
        replica = routing == "replica"
        return cls(
            primary_max_connections=primary,
            proxy_max_connections=primary * proxy_percent // 100,
            replica_max_connections=max_connections(replica_class) if replica else 0,
            reader_routing=routing,
            replica_reader_cap=reader_cap if replica else 0,
        )

    @classmethod
    def from_output(cls, published: dict) -> DatabaseLimits:
        """From the stack reference (numbers cross it as floats)."""
        return cls(
            primary_max_connections=int(published["primary_max_connections"]),
            proxy_max_connections=int(published["proxy_max_connections"]),
            replica_max_connections=int(published["replica_max_connections"]),
            reader_routing=str(published["reader_routing"]),
            # A data stack deployed before the cap existed publishes none: no direct reads (check() then
            # refuses 'replica' routing with the reason, instead of a KeyError).
            replica_reader_cap=int(published.get("replica_reader_cap", 0)),
        )

    def as_output(self) -> dict[str, int | str]:
        return {
            "primary_max_connections": self.primary_max_connections,
            "proxy_max_connections": self.proxy_max_connections,
            "replica_max_connections": self.replica_max_connections,
            "reader_routing": self.reader_routing,
            "replica_reader_cap": self.replica_reader_cap,
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
    figures = {"pool_size": demand.pool_size, "proxy_backends": limits.proxy_max_connections,
               "proxy_clients": sum(demand.reserved.values()) * demand.pool_size}
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
        problems += _replica_problems(limits, demand, figures)
    if problems:
        raise ConnectionBudgetError("connection budget does not fit:\n- " + "\n- ".join(problems))
    return figures


def _replica_problems(limits: DatabaseLimits, demand: Demand, figures: dict[str, int]) -> list[str]:
    """Direct replica reads: the cap fits the replica, and what it refuses can go to the proxy.

    The reader environments (reserved x pool) may exceed the cap: PostgreSQL refuses the rest, which read
    through the proxy they already hold a client connection to (their writer engine), so spillover adds
    transactions to the proxy's backends, never clients; rules 1-2 above hold with every read there,
    which is also where reads go when the replica is down.
    """
    cap, room = limits.replica_reader_cap, usable(limits.replica_max_connections)
    environments = sum(demand.reserved.get(f, 0) * demand.pool_size for f in demand.readers)
    spill = max(0, environments - cap)
    retries = spill / (REPLICA_FULL_BACKOFF_MIN_S * (1 - REPLICA_FULL_JITTER))
    figures.update(replica_cap=cap, replica_room=room, replica_connections=min(cap, environments),
                   replica_spillover=spill, replica_retries_per_s=round(retries))
    problems = []
    if cap < 1:
        problems.append("readerRouting 'replica' with readerConnectionLimit 0 reads nothing from the replica: "
                        "set the cap (docs/data.md, Connection budget) or use readerRouting 'proxy'")
    if cap > room:
        problems.append(
            f"readerConnectionLimit {cap} exceeds the replica's usable connections: it takes "
            f"{limits.replica_max_connections} ({room} after {RESERVED_CONNECTIONS + OPERATOR_HEADROOM} kept for "
            "rdsadmin and operators): lower readerConnectionLimit or use a larger replicaInstanceClass"
        )
    no_proxy = [f for f in demand.readers if f not in demand.reserved]
    if no_proxy:
        problems.append(f"{', '.join(no_proxy)} read from the replica but hold no proxy connection to spill to")
    if retries > IAM_AUTH_CONNECTIONS_PER_S:
        problems.append(
            f"{spill} reader environments past readerConnectionLimit {cap} could retry the replica "
            f"{retries:.0f} times/s (backoff >= {REPLICA_FULL_BACKOFF_MIN_S * (1 - REPLICA_FULL_JITTER):g} s), "
            f"over the {IAM_AUTH_CONNECTIONS_PER_S} new IAM-authenticated connections/s RDS recommends: raise the cap"
        )
    return problems


def env_budget(env: str) -> tuple[str, str, int, Demand, DatabaseLimits]:
    """One env's figures from its stack files: primary class, replica class, proxy %, demand, limits."""
    from shared.components.compute.compute import connection_demand
    from shared.components.compute.settings import ComputeSettings
    from shared.components.data.settings import DataSettings
    from shared.synth.render import layer_config

    data = DataSettings.model_validate(layer_config("data", env))
    demand = connection_demand(ComputeSettings.model_validate(layer_config("compute", env)))
    limits = DatabaseLimits.from_settings(
        data.instance_class, data.replica_class, data.proxy_max_connections_percent, data.reader_routing,
        data.reader_connection_limit,
    )
    return data.instance_class, data.replica_class, data.proxy_max_connections_percent, demand, limits


def report(env: str) -> str:
    """One env's arithmetic from its stack files (what docs/data.md tabulates)."""
    primary, _, percent, demand, limits = env_budget(env)
    clients = sum(demand.reserved.values()) * demand.pool_size
    lines = [
        f"{env}: primary {primary} max_connections {limits.primary_max_connections}; proxy pool "
        f"{percent}% = {limits.proxy_max_connections} backends; "
        f"client connections to the proxy <= {clients} (reserved x pool {demand.pool_size})",
    ]
    try:
        figures = check(limits, demand)
        lines.append(f"  fits: {figures}")
    except ConnectionBudgetError as error:
        lines.append(f"  DOES NOT FIT: {error}")
    return "\n".join(lines)


def markdown(envs: tuple[str, ...] = ("dev", "staging", "prod")) -> str:
    """The budget table of docs/data.md (a generated section: `invoke docs`); raises when an env does not fit."""
    lines = [
        "| env | primary (max_connections) | proxy backends | clients to the proxy (reserved x pool) "
        "| long-held backends (<= 90% of the proxy's) | replica (max_connections / usable) "
        "| `readerConnectionLimit` | api environments on the replica / spilled to the proxy "
        f"| spilled environments' replica retries (<= {IAM_AUTH_CONNECTIONS_PER_S}/s) |",
        "|---|---|---:|---|---|---|---:|---|---:|",
    ]
    for env in envs:
        primary, replica, percent, demand, limits = env_budget(env)
        figures = check(limits, demand)
        clients = "+".join(str(n) for n in demand.reserved.values())
        held = " + ".join(str(n * demand.pool_size) for n in demand.long_holders.values())
        row = [
            env,
            f"{primary.removeprefix('db.')} ({limits.primary_max_connections})",
            f"{limits.proxy_max_connections} ({percent}%)",
            f"{clients} = {figures['proxy_clients']:,}",
            f"{held} = {figures['long_held_backends']} <= {limits.proxy_max_connections * 9 // 10}",
        ]
        if limits.reader_routing == "replica":
            row += [
                f"{replica.removeprefix('db.')} ({limits.replica_max_connections} / {figures['replica_room']})",
                str(figures["replica_cap"]),
                f"{figures['replica_connections']:,} / {figures['replica_spillover']:,}",
                f"{figures['replica_retries_per_s']}/s",
            ]
        else:
            row += ["none (readerRouting: proxy)", "-", "-", "-"]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    for name in ("dev", "staging", "prod"):
        print(report(name))
