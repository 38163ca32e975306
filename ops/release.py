"""`invoke release list|rollback --env E [--to VERSION]`: the code behind `live`, and moving it back.

Rollback story (docs/decisions.md): every deploy publishes an immutable Lambda version (``publish=True``)
and moves the ``live`` alias to it; a published version keeps its own copy of the code and its layer
versions (which are never deleted, ``skip_destroy``), so rolling back is moving ``live`` to an older
version: seconds, no rebuild, no deploy. The artifacts bucket keeps the zips' history too (stable keys,
versioned, noncurrent versions kept ``artifactNoncurrentDays``) for rebuilding a stack from an old zip.

api and worker ship the same app.zip, so a release is identified across both by its code hash
(CodeSha256): ``--to`` takes an api version number or a hash prefix, and each function's ``live``
moves to its newest version with that code. Provisioned concurrency is configured on the alias, so it
follows: Lambda allocates it to the new version, serving from the old until the new is ready
(``live`` shows IN_PROGRESS meanwhile). A rollback holds until the next compute deploy that changes
the functions; make it permanent by deploying the reverted commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from invoke.collection import Collection
from invoke.exceptions import Exit
from invoke.tasks import task

from shared.config import REGION, Environment
from shared.naming import LIVE_ALIAS, resource_name

RELEASED_FUNCTIONS = ("api", "worker")


class RollbackRefused(RuntimeError):
    """No such release, or nothing to roll back to: the message says which versions exist."""


@dataclass(frozen=True)
class Version:
    function: str
    version: int
    code_sha256: str
    last_modified: str
    description: str
    live: bool

    def line(self) -> str:
        mark = "live ->" if self.live else "       "
        return (f"{mark} {self.function:<28} v{self.version:<5} code {self.code_sha256[:16]}  "
                f"{self.last_modified}  {self.description}")


def versions(env: Environment, short: str, client: Any) -> list[Version]:
    """Published versions of one function up to and including ``live``, newest first."""
    name = resource_name(env, short, service="lambda")
    live = int(client.get_alias(FunctionName=name, Name=LIVE_ALIAS)["FunctionVersion"])
    found = []
    for page in client.get_paginator("list_versions_by_function").paginate(FunctionName=name):
        for v in page["Versions"]:
            if v["Version"] == "$LATEST" or int(v["Version"]) > live:
                continue
            found.append(Version(name, int(v["Version"]), v["CodeSha256"], v.get("LastModified", ""),
                                 v.get("Description", ""), int(v["Version"]) == live))
    return sorted(found, key=lambda v: v.version, reverse=True)


def release_list(env: Environment, client: Any) -> list[Version]:
    return [v for short in RELEASED_FUNCTIONS for v in versions(env, short, client)]


def _target_code(env: Environment, to: str | None, client: Any) -> str:
    """The code hash to roll back to: ``to`` (api version or hash prefix), else the release before live."""
    api = versions(env, "api", client)
    if to is None:
        live_code = api[0].code_sha256
        older = [v for v in api if v.code_sha256 != live_code]
        if not older:
            raise RollbackRefused(f"{api[0].function}: no version with other code behind live v{api[0].version}")
        return older[0].code_sha256
    if to.isdigit():
        match = [v for v in api if v.version == int(to)]
    else:
        match = [v for v in api if v.code_sha256.startswith(to) or v.code_sha256.encode().hex().startswith(to)]
    if not match:
        known = ", ".join(f"v{v.version} {v.code_sha256[:12]}" for v in api)
        raise RollbackRefused(f"--to {to}: no api version or code hash behind live matches (have: {known})")
    return match[0].code_sha256


def rollback(env: Environment, client: Any, to: str | None = None) -> list[str]:
    """Move ``live`` of api and worker to the release ``to``; return what moved (and PC status)."""
    code = _target_code(env, to, client)
    plan = []
    for short in RELEASED_FUNCTIONS:
        candidates = [v for v in versions(env, short, client) if v.code_sha256 == code]
        if not candidates:
            raise RollbackRefused(f"{resource_name(env, short, service='lambda')}: no version behind live has "
                                  f"code {code[:16]}; nothing was moved")
        plan.append(candidates[0])
    moved = []
    for target in plan:  # every target resolved before anything moves: all or nothing
        current = client.get_alias(FunctionName=target.function, Name=LIVE_ALIAS)["FunctionVersion"]
        client.update_alias(FunctionName=target.function, Name=LIVE_ALIAS, FunctionVersion=str(target.version))
        moved.append(f"{target.function}: live v{current} -> v{target.version} (code {code[:16]})"
                     f"{provisioned_status(target.function, client)}")
    return moved


def provisioned_status(function: str, client: Any) -> str:
    """What the live alias's provisioned concurrency does after a move (empty when it has none)."""
    try:
        config = client.get_provisioned_concurrency_config(FunctionName=function, Qualifier=LIVE_ALIAS)
    except client.exceptions.ProvisionedConcurrencyConfigNotFoundException:
        return ""
    return (f"; provisioned concurrency {config.get('RequestedProvisionedConcurrentExecutions')} "
            f"follows the alias: {config.get('Status')} (old environments serve until READY)")


def _client(endpoint_url: str | None) -> Any:
    import boto3

    return boto3.client("lambda", region_name=REGION, endpoint_url=endpoint_url)


HELP = {"env": "dev, staging or prod", "endpoint-url": "Lambda endpoint (an emulator); default: real AWS"}


@task(name="list", help=HELP)
def list_(c, env, endpoint_url=None):
    """List the api and worker versions behind `live`: version, code hash, date, description."""
    try:
        for v in release_list(Environment.parse(env, source="--env"), _client(endpoint_url)):
            print(v.line())
    except Exception as error:  # noqa: BLE001 - config, credentials or AWS: one clear line
        raise Exit(f"release list: {error}", code=1) from None


@task(name="rollback", help={**HELP, "to": "api version number or code hash prefix (default: the release before live)"})
def rollback_(c, env, to=None, endpoint_url=None):
    """Move `live` of api and worker back to an earlier release (provisioned concurrency follows)."""
    try:
        for line in rollback(Environment.parse(env, source="--env"), _client(endpoint_url), to):
            print(line)
    except Exception as error:  # noqa: BLE001
        raise Exit(f"release rollback: {error}", code=1) from None


ns = Collection(list_, rollback_)
