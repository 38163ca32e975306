"""Every layer: effective tags on every taggable resource, the tagged provider, names on the pattern."""

from __future__ import annotations

import re

import pytest

from shared.tags import REQUIRED_TAG_KEYS

pytestmark = pytest.mark.policy

# Resources whose name AWS fixes: a proxy's default target group is always called "default".
AWS_NAMED = {"aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup"}
PARAMETER = re.compile(r"^/myapp/(dev|staging|prod)/(database|api|cache)/[A-Za-z0-9_.-]+$")
NAME = re.compile(
    r"^(alias/|/aws/[a-z-]+/([a-z-]+/)?|/myapp/(dev|staging|prod)/)?serverless-infra-(dev|staging|prod)-[a-z0-9-]+"
)


def test_every_taggable_resource_carries_the_required_tags(synth, env):
    for layer, graph in synth(env).items():
        for resource in graph.aws_resources():
            if not resource.taggable:
                continue
            tags = resource.effective_tags or {}
            missing = [k for k in REQUIRED_TAG_KEYS if not tags.get(k)]
            assert not missing, f"{layer}: {resource.type} {resource.name} lacks {missing}"
            assert tags["Environment"] == env


def test_every_aws_resource_uses_the_layer_provider(synth, env):
    for layer, graph in synth(env).items():
        providers = {r.urn for r in graph.resources if r.type == "pulumi:providers:aws"}
        for resource in graph.aws_resources():
            assert resource.provider in providers, f"{layer}: {resource.name} uses the default provider"
        for provider in graph.of_type("pulumi:providers:aws"):
            assert provider.inputs["region"] == "us-east-1"


def test_named_resources_follow_the_pattern(synth, env):
    for layer, graph in synth(env).items():
        for resource in graph.aws_resources():
            if resource.physical_name is None or resource.type in AWS_NAMED:
                continue
            if resource.physical_name.startswith("API-Gateway-Execution-Logs_"):
                continue  # the name API Gateway writes execution logs to: AWS imposes it
            if resource.type == "aws:lambda/alias:Alias" or resource.physical_name.startswith("arn:"):
                continue  # aliases are named by the contract ("live"); an event source mapping by its target ARN
            if resource.type == "aws:ssm/parameter:Parameter":  # named by the hierarchy, not the pattern
                assert PARAMETER.match(resource.physical_name), f"{layer}: {resource.physical_name!r}"
                assert resource.physical_name.startswith(f"/myapp/{env}/")
                continue
            if resource.type == "aws:signer/signingProfile:SigningProfile":  # Signer allows only [a-zA-Z0-9_]
                assert resource.physical_name == f"serverless_infra_{env}_lambda"
                continue
            assert NAME.match(resource.physical_name), f"{layer}: {resource.type} {resource.physical_name!r}"
            assert f"-{env}-" in resource.physical_name
