"""The fake AWS answers: what downstream resources take from them must be what AWS would hand over."""

from __future__ import annotations

import pytest

from shared.synth import fake_aws
from shared.synth.aws_rule_support import ARN, walk

pytestmark = pytest.mark.unit

INPUTS = {"name": "serverless-infra-dev-orders", "functionName": "serverless-infra-dev-api",
          "targetKeyId": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
# An "invoke ARN" is API Gateway's integration URI (arn:aws:apigateway:us-east-1:lambda:path/...), not an
# ARN of a resource in an account: the api layer writes it into the OpenAPI body, where its own rule checks it.
NOT_RESOURCE_ARNS = ("invokeArn", "qualifiedInvokeArn")


@pytest.mark.parametrize("token", sorted(fake_aws.RESOURCES) + ["aws:xray/group:Group"])
def test_every_arn_a_fake_answers_is_one_the_synth_rules_accept(token):
    """Fake outputs become other resources' inputs (policies, mappings, alarms), which the synth's ARN rule
    checks: a fake answering a malformed ARN would fail a correct program, or hide a wrong one."""
    _, outputs = fake_aws.fake_resource(token, "logical", f"urn:{token}", dict(INPUTS))
    arns = [(path, value) for path, value in walk(outputs)
            if isinstance(value, str) and (path == "arn" or path.endswith(("Arn", ".arn")))
            and path not in NOT_RESOURCE_ARNS]
    for path, value in arns:
        assert ARN.match(value), f"{token} {path} = {value!r}"


def test_ids_are_stable_per_urn_and_differ_across_urns():
    """A re-render gives every resource the same id (graphs diff cleanly), two resources never share one."""
    token = "aws:kms/key:Key"
    first = fake_aws.fake_resource(token, "key", "urn:a", {})
    assert fake_aws.fake_resource(token, "key", "urn:a", {}) == first
    assert fake_aws.fake_resource(token, "key", "urn:b", {})[0] != first[0]


def test_a_queue_url_and_arn_name_the_same_queue_in_the_same_account():
    """The app sends to the URL and IAM grants on the ARN: they must point at one queue."""
    url, extra = fake_aws.fake_resource("aws:sqs/queue:Queue", "logical", "urn:q", {"name": "orders-dlq"})
    *_, account, name = url.split("/")
    assert extra["url"] == url
    assert extra["arn"].split(":")[4:] == [account, name]


def test_an_unknown_data_source_is_refused_naming_it():
    with pytest.raises(NotImplementedError, match="aws:index/getRegion:getRegion"):
        fake_aws.call("aws:index/getRegion:getRegion", {})
