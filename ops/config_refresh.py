"""`invoke release.refresh --env E`: make every running function read its configuration now.

Why it is needed: functions cache their SSM configuration for ``config_ttl_seconds`` (300 s, jittered
into [0.8, 1.0] x TTL), so a parameter change or `invoke params.rollback` reaches every warm environment
within that bound and no sooner. Traffic reaches the functions through the ``live`` alias, which points
at a published version whose configuration cannot change, and a compute deploy with nothing changed
publishes nothing: no deploy makes the running environments let go of their cache.

What it does, per function (api, worker, dlq-analyzer, migrate), all resolved before anything changes:
1. check that ``$LATEST`` has the code and configuration ``live`` runs (else publishing ``$LATEST`` would
   also ship something else, e.g. undo a `release.rollback`: refused, naming the difference);
2. set ``CONFIG_EPOCH`` in ``$LATEST``'s environment to a new value (UpdateFunctionConfiguration replaces
   the whole environment, so every other variable is sent back as it is) and wait until the update is
   done (PublishVersion refuses with ResourceConflictException while ``LastUpdateStatus`` is InProgress);
3. publish a version guarded by the code hash and revision id just read ("Only publish a version if the
   hash value matches", PublishVersion API reference): nobody's change slips in between. The epoch is
   what makes it a new version: "Lambda doesn't publish a version if the function's configuration and
   code haven't changed since the last version" (same page);
4. move ``live`` to it. Every invocation after that starts in an environment of the new version, which
   loads its configuration from SSM on its first request. Provisioned concurrency is configured on the
   alias, so it follows: Lambda keeps serving from the old version's provisioned environments until the
   new version's are READY (the command prints the status).

Pulumi does not see the epoch until a `pulumi up --refresh` (which removes it again, publishing one more
version with the same code and the current configuration): harmless either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from invoke.exceptions import Exit
from invoke.tasks import task

from ops.release import provisioned_status
from shared.config import REGION, Environment
from shared.naming import LIVE_ALIAS, resource_name

EPOCH_VARIABLE = "CONFIG_EPOCH"
REFRESHED_FUNCTIONS = ("api", "worker", "dlq-analyzer", "migrate")
# What must be identical between live's version and $LATEST for a publish to change nothing but the epoch.
SAME_KEYS = ("CodeSha256", "Handler", "Runtime", "MemorySize", "Timeout", "Role", "Architectures")


class RefreshRefused(RuntimeError):
    """Publishing $LATEST would ship more than a new epoch: nothing was changed."""


@dataclass(frozen=True)
class Plan:
    function: str
    live_version: str
    variables: dict[str, str]  # $LATEST's environment, epoch excluded
    code_sha256: str


def _comparable(config: dict[str, Any]) -> dict[str, Any]:
    variables = dict((config.get("Environment") or {}).get("Variables") or {})
    variables.pop(EPOCH_VARIABLE, None)
    return {**{key: config.get(key) for key in SAME_KEYS}, "Variables": variables,
            "Layers": sorted(layer["Arn"] for layer in config.get("Layers") or [])}


def plan(env: Environment, client: Any, functions: tuple[str, ...] = REFRESHED_FUNCTIONS) -> list[Plan]:
    """Check every function first (all or nothing)."""
    plans = []
    for short in functions:
        name = resource_name(env, short, service="lambda")
        live_version = client.get_alias(FunctionName=name, Name=LIVE_ALIAS)["FunctionVersion"]
        live = _comparable(client.get_function_configuration(FunctionName=name, Qualifier=live_version))
        latest_config = client.get_function_configuration(FunctionName=name)
        latest = _comparable(latest_config)
        differs = sorted(key for key in live if live[key] != latest[key])
        if differs:
            raise RefreshRefused(
                f"{name}: $LATEST differs from live v{live_version} in {', '.join(differs)} (a `release.rollback`, "
                "or a deploy in progress): a refresh would ship that too; nothing was changed. Deploy the "
                "code you want live, or wait for the config TTL.")
        plans.append(Plan(name, live_version, latest["Variables"], latest_config["CodeSha256"]))
    return plans


def refresh(env: Environment, client: Any, *, epoch: str | None = None, reason: str = "") -> list[str]:
    """Publish a new version of each function with a new ``CONFIG_EPOCH`` and move ``live`` to it."""
    epoch = epoch or datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    done = []
    for p in plan(env, client):
        updated = client.update_function_configuration(
            FunctionName=p.function, Environment={"Variables": {**p.variables, EPOCH_VARIABLE: epoch}})
        client.get_waiter("function_updated").wait(FunctionName=p.function)
        revision = client.get_function_configuration(FunctionName=p.function).get("RevisionId", updated.get("RevisionId"))
        version = client.publish_version(FunctionName=p.function, CodeSha256=p.code_sha256, RevisionId=revision,
                                         Description=f"config refresh {epoch} {reason}".strip()[:256])["Version"]
        client.update_alias(FunctionName=p.function, Name=LIVE_ALIAS, FunctionVersion=version)
        done.append(f"{p.function}: live v{p.live_version} -> v{version} ({EPOCH_VARIABLE}={epoch}, same code)"
                    f"{provisioned_status(p.function, client)}")
    return done


@task(name="refresh", help={"env": "dev, staging or prod", "reason": "recorded in the new versions' description",
                            "endpoint-url": "Lambda endpoint (an emulator); default: real AWS"})
def refresh_task(c, env, reason="", endpoint_url=None):
    """Make every function load its SSM configuration now: same code, new version, `live` moved (seconds)."""
    import boto3

    try:
        client = boto3.client("lambda", region_name=REGION, endpoint_url=endpoint_url)
        for line in refresh(Environment.parse(env, source="--env"), client, reason=reason):
            print(line)
    except Exception as error:  # noqa: BLE001 - config, credentials, refusal or AWS: one clear line
        raise Exit(f"release refresh: {error}", code=1) from None
