"""API keys and the stage cache of a deployed env, through the operator's own AWS credentials.

Key values never sit in stack outputs: API Gateway generates them and ``invoke api.key`` reads one
(GetApiKeys with includeValues) to hand it to a client. Names come from the api layer's naming.
"""

from __future__ import annotations

from typing import Any

from shared.components.api.clients import api_key_name
from shared.config import REGION, Environment


class ApiKeyError(LookupError):
    """No such key, or more than one with the name."""


def apigateway_client(endpoint_url: str | None = None) -> Any:
    import boto3

    return boto3.client("apigateway", region_name=REGION, endpoint_url=endpoint_url)


def key_value(client: Any, env: str, tier: str, client_name: str) -> tuple[str, str]:
    """(key id, key value) of ``serverless-infra-{env}-key-{tier}-{client}``."""
    name = api_key_name(Environment.parse(env, source="--env"), tier, client_name)
    items = [
        item
        for page in client.get_paginator("get_api_keys").paginate(nameQuery=name, includeValues=True)
        for item in page.get("items", [])
        if item.get("name") == name  # nameQuery is a prefix match
    ]
    if len(items) != 1:
        raise ApiKeyError(
            f"{len(items)} API keys named {name!r} in {REGION}: add client {client_name!r} to tier {tier!r} "
            f"under serverless-infra-api:usagePlans in projects/api/Pulumi.{env}.yaml and deploy the api layer"
        )
    return items[0]["id"], items[0]["value"]


def flush_stage_cache(client: Any, rest_api_id: str, stage_name: str) -> None:
    client.flush_stage_cache(restApiId=rest_api_id, stageName=stage_name)


def stack_outputs(layer: str, env: str, *, show_secrets: bool = False) -> dict[str, Any]:
    """``pulumi stack output --json`` of one layer's stack (the real CLI; ``PulumiUnavailableError`` without it)."""
    import json
    import shutil
    import subprocess

    from shared.config import REPO_ROOT, load_shared_settings
    from shared.stacks import stack_reference_name

    if shutil.which("pulumi") is None:
        raise PulumiUnavailableError("the pulumi CLI is not installed: https://www.pulumi.com/docs/install/")
    environment = Environment.parse(env, source="--env")
    stack = stack_reference_name(load_shared_settings(environment).organization, layer, environment.value)
    command = ["pulumi", "stack", "output", "--json", "--stack", stack, *(["--show-secrets"] if show_secrets else [])]
    proc = subprocess.run(command, cwd=REPO_ROOT / "projects" / layer, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise PulumiUnavailableError(f"{' '.join(command)}: {proc.stderr.strip() or 'failed'}")
    return json.loads(proc.stdout)


class PulumiUnavailableError(RuntimeError):
    """No pulumi CLI, no login, or no such stack."""
