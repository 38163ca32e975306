"""`invoke api.key` and `invoke api.flush-cache`: hand a client its key, flush a stage's cache."""

from __future__ import annotations

from invoke.collection import Collection
from invoke.exceptions import Exit
from invoke.tasks import task

from ops.api_keys import (
    ApiKeyError,
    PulumiUnavailableError,
    apigateway_client,
    flush_stage_cache,
    key_value,
    stack_outputs,
)


@task(help={"env": "dev, staging or prod", "tier": "client tier (a usage plan)", "client": "client name",
            "endpoint-url": "API Gateway endpoint (default: AWS)"})
def key(c, env, tier, client, endpoint_url=None):
    """Print one client's API key (id on stderr, value on stdout) for handing over by a secure channel."""
    import sys

    try:
        key_id, value = key_value(apigateway_client(endpoint_url), env, tier, client)
    except (ApiKeyError, ValueError) as error:
        raise Exit(str(error), code=1) from None
    print(f"key id {key_id} (send the value below as the x-api-key header)", file=sys.stderr)
    print(value)


@task(help={"env": "dev, staging or prod"})
def flush_cache(c, env):
    """Flush the stage cache of a deployed env (rest_api_id and stage_name from the api stack's outputs)."""
    try:
        outputs = stack_outputs("api", env)
    except (PulumiUnavailableError, ValueError) as error:
        raise Exit(str(error), code=1) from None
    flush_stage_cache(apigateway_client(), outputs["rest_api_id"], outputs["stage_name"])
    print(f"flushed the cache of stage {outputs['stage_name']} of {outputs['rest_api_id']}")


ns = Collection(key, flush_cache)
