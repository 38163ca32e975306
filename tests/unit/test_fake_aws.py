"""The fake AWS answers: per-type shapes, the fallback for other types, and unknown data sources."""

from __future__ import annotations

import pytest

from shared.synth import fake_aws

pytestmark = pytest.mark.unit


def test_ids_are_stable_per_urn_and_differ_across_urns():
    token = "aws:kms/key:Key"
    first = fake_aws.fake_resource(token, "key", "urn:a", {})
    assert fake_aws.fake_resource(token, "key", "urn:a", {}) == first
    assert fake_aws.fake_resource(token, "key", "urn:b", {})[0] != first[0]
    assert first[1]["arn"] == f"arn:aws:kms:us-east-1:123456789012:key/{first[0]}"


def test_a_queue_is_addressed_by_url_and_arn_from_its_name():
    rid, extra = fake_aws.fake_resource("aws:sqs/queue:Queue", "logical", "urn:q", {"name": "orders-dlq"})
    assert rid == extra["url"] == "https://sqs.us-east-1.amazonaws.com/123456789012/orders-dlq"
    assert extra["arn"] == "arn:aws:sqs:us-east-1:123456789012:orders-dlq"


def test_a_type_without_its_own_fake_gets_an_arn_in_its_service_namespace():
    rid, extra = fake_aws.fake_resource("aws:xray/group:Group", "errors", "urn:g", {})
    assert rid.startswith("errors-")
    assert extra == {"arn": "arn:aws:xray:us-east-1:123456789012:group/errors"}


def test_an_unknown_data_source_is_refused_naming_it():
    with pytest.raises(NotImplementedError, match="aws:index/getRegion:getRegion"):
        fake_aws.call("aws:index/getRegion:getRegion", {})
