"""The exceptions file: what it accepts, what it refuses, and exactly what an exception waives."""

from __future__ import annotations

import pytest
from serverless_infra_policy.exceptions import ExceptionsFileError, load, parse, waiver
from serverless_infra_policy.pack import POLICY_NAMES

pytestmark = [pytest.mark.unit, pytest.mark.policy]

REASON = "Invoked only synchronously by invoke migrate, which reads the result."


def entry(**overrides):
    return {"policy": "lambda-async-failure-destination", "resources": ["compute-migrate-*"], "reason": REASON,
            **overrides}


def test_the_repo_exceptions_file_is_valid_and_small():
    exceptions = load(POLICY_NAMES)
    assert 1 <= len(exceptions) <= 8


@pytest.mark.parametrize(("bad", "message"), [
    (entry(policy="no-such-policy"), "is not in the pack"),
    (entry(reason="n/a"), "the reason must say why"),
    (entry(resources=[]), "'resources' must list"),
    (entry(envs=["qa"]), "must be among"),
    (entry(owner="me"), "expected keys"),
])
def test_malformed_exceptions_are_refused_with_the_entry_named(bad, message):
    with pytest.raises(ExceptionsFileError, match=message) as error:
        parse([bad], POLICY_NAMES)
    assert "exceptions[0]" in str(error.value)


def test_an_exception_waives_only_its_policy_its_resources_and_its_envs():
    (exception,) = parse([entry(envs=["prod"])], POLICY_NAMES)
    token = "aws:lambda/function:Function"
    prod = f"urn:pulumi:prod::serverless-infra-compute::{token}::compute-migrate-function"
    assert waiver([exception], "lambda-async-failure-destination", prod) is exception
    assert waiver([exception], "lambda-code-signing", prod) is None
    assert waiver([exception], "lambda-async-failure-destination", prod.replace("migrate", "api")) is None
    assert waiver([exception], "lambda-async-failure-destination", prod.replace(":prod::", ":dev::")) is None


def test_invoke_policy_reports_waivers_and_exceptions_that_match_nothing():
    from shared.synth.crossguard import evaluate
    from shared.synth.graph import GraphResource, LayerGraph

    token = "aws:lambda/function:Function"
    function = GraphResource(
        urn=f"urn:pulumi:prod::serverless-infra-compute::{token}::compute-migrate-function", type=token,
        name="compute-migrate-function", physical_name=None, id=None, custom=True, parent=None, dependencies=[],
        provider=None, inputs={"name": "serverless-infra-prod-migrate"}, secret_inputs=[], outputs={},
        taggable=True, effective_tags=None)
    graph = LayerGraph(layer="compute", env="prod", project="serverless-infra-compute", stack="prod",
                       resources=[function], exports={}, secret_exports=[])
    report = evaluate([graph])
    waived = [f for f in report.waived if f.policy == "lambda-async-failure-destination"]
    assert [f.resource for f in waived] == ["compute-migrate-function"]
    assert waived[0].waived_by is not None and "synchronously" in waived[0].waived_by.reason
    # The dlq-analyzer exception matched nothing in this graph: invoke policy refuses it as stale.
    stale = {r for e in report.unused_exceptions("prod") for r in e.resources}
    assert "compute-dlq-analyzer-function" in stale
    # Unwaived violations of the same function still count.
    assert {f.policy for f in report.blocking} >= {"lambda-code-signing", "xray-tracing"}
