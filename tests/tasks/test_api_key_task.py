"""`invoke api.key`: finds exactly the named key and prints its value; refuses a missing one clearly."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.functional


def test_key_value_by_name_and_a_clear_refusal():
    moto = pytest.importorskip("moto")
    from ops.api_keys import ApiKeyError, apigateway_client, key_value

    with moto.mock_aws():
        client = apigateway_client()
        made = client.create_api_key(name="serverless-infra-staging-key-partner-acme", enabled=True)
        client.create_api_key(name="serverless-infra-staging-key-partner-acme-2", enabled=True)  # a prefix twin
        assert key_value(client, "staging", "partner", "acme") == (made["id"], made["value"])
        with pytest.raises(ApiKeyError, match="0 API keys named 'serverless-infra-staging-key-partner-zed'.*"
                                              "projects/api/Pulumi.staging.yaml"):
            key_value(client, "staging", "partner", "zed")
