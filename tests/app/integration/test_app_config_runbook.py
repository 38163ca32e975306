"""Runbooks "Parameter rollback" and "Emergency config change" (docs/security.md), performed on the local stack.

The running app is the real API handler behind the local HTTP server, reading SSM (moto) through its TTL
cache; its page size limit is observable over HTTP (GET /orders?limit=150 is 400 while
api/page_size_max is 100). The operator uses the invoke tasks as documented.

Execution environments are modelled per published version, as Lambda runs them: each version's
environments hold their own config cache, and a request goes to the version `live` points at. The
alias move itself is `invoke release.refresh` against moto's Lambda, wrapped to enforce the AWS rules the
procedure depends on (tests/ops/test_config_refresh.py tests those rules one by one).
"""

from __future__ import annotations

from typing import Any

import pytest
from invoke.context import Context

from app.config import ConfigCache, Pointers, reset_config
from app.local import json_request
from ops import params as params_tasks

pytestmark = [pytest.mark.integration]

NAME = "/myapp/dev/api/page_size_max"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def page_size_max(boto: Any, ssm_params: dict[str, str]) -> Any:
    yield
    boto["ssm"].put_parameter(Name=NAME, Value=ssm_params[NAME], Type="String", Overwrite=True)
    reset_config()


def limit_150(api_url: str) -> int:
    return json_request(api_url, "GET", "/orders?limit=150")[0]


def warm_environment(clock: Clock) -> ConfigCache:
    """One execution environment's cache; rand 0 draws the longest TTL, the documented bound."""
    cache = ConfigCache(Pointers.from_env(), clock=clock, rand=lambda: 0.0)
    reset_config(cache)
    return cache


@pytest.mark.usefixtures("page_size_max", "clean_db")
def test_a_parameter_change_and_its_rollback_reach_a_warm_function_within_the_ttl(
    api_url: str, moto_endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = Clock()
    warm_environment(clock)
    ttl = 300  # /myapp/dev/cache/config_ttl_seconds (conftest)
    assert limit_150(api_url) == 400  # page_size_max 100, now cached

    params_tasks.set_(Context(), env="dev", name="api/page_size_max", value="150", endpoint_url=moto_endpoint)
    clock.now += ttl - 1
    assert limit_150(api_url) == 400  # still the cached value: the TTL is the bound, not sooner
    clock.now += 1.01
    assert limit_150(api_url) == 200  # past the TTL: the new value

    capsys.readouterr()
    params_tasks.history(Context(), env="dev", name="api/page_size_max", endpoint_url=moto_endpoint)
    first = min(int(word[1:]) for word in capsys.readouterr().out.split() if word[:1] == "v" and word[1:].isdigit())
    params_tasks.rollback(Context(), env="dev", name="api/page_size_max", version=str(first), yes=True,
                          endpoint_url=moto_endpoint)
    assert limit_150(api_url) == 200
    clock.now += ttl + 0.01
    assert limit_150(api_url) == 400  # rolled back within one TTL


@pytest.mark.usefixtures("page_size_max", "clean_db")
def test_an_emergency_refresh_makes_the_change_take_effect_at_once(
    api_url: str, moto_endpoint: str, refreshable_lambda: Any
) -> None:
    from ops.config_refresh import refresh
    from shared.config import Environment

    clock = Clock()
    environments: dict[str, ConfigCache] = {}

    def request_through_live() -> int:
        live = refreshable_lambda.get_alias(FunctionName="serverless-infra-dev-api", Name="live")["FunctionVersion"]
        if live not in environments:  # a version's first request starts a new environment
            environments[live] = ConfigCache(Pointers.from_env(), clock=clock, rand=lambda: 0.0)
        reset_config(environments[live])
        return limit_150(api_url)

    assert request_through_live() == 400
    params_tasks.set_(Context(), env="dev", name="api/page_size_max", value="150", endpoint_url=moto_endpoint)
    assert request_through_live() == 400  # warm environments keep their cache for up to the TTL
    moved = refresh(Environment.DEV, refreshable_lambda, reason="page size incident")
    assert any(line.startswith("serverless-infra-dev-api: live v1 -> v") for line in moved)
    assert request_through_live() == 200  # no clock advance: the new version's environment read SSM


@pytest.fixture
def refreshable_lambda(moto_endpoint: str) -> Any:
    """The dev functions deployed in the emulator (each at v1 behind `live`), with AWS's rules enforced."""
    import boto3

    from tests.lambda_rules import StrictLambda, deploy_functions

    client = boto3.client("lambda", region_name="us-east-1", endpoint_url=moto_endpoint)
    if not client.list_functions().get("Functions"):
        deploy_functions(client, boto3.client("iam", region_name="us-east-1", endpoint_url=moto_endpoint), "dev")
    else:  # an earlier test refreshed them: start again from v1 behind live
        for short in ("api", "worker", "dlq-analyzer", "migrate"):
            client.update_alias(FunctionName=f"serverless-infra-dev-{short}", Name="live", FunctionVersion="1")
    return StrictLambda(client)
