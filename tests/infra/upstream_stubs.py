"""Stub exports for upstream layers that do not publish their contract yet (tests only).

The api layer is built in parallel with the observability layer; until its program publishes, the
observability layer is rendered against these values, shaped as the api contract describes
(shared/contracts.py). `shared.synth.runner.with_stubs` lets real exports win over every stub, so
once the api layer publishes, these values are no longer seen.
"""

from __future__ import annotations

from typing import Any

from shared.synth.fake_aws import ACCOUNT_ID, REGION


def api_stub(env: str) -> dict[str, Any]:
    rest_api_id = f"stub{env}api1"
    stage = env
    invoke_url = f"https://{rest_api_id}.execute-api.{REGION}.amazonaws.com/{stage}"
    return {
        "rest_api_id": rest_api_id,
        "rest_api_name": f"serverless-infra-{env}-api",
        "stage_name": stage,
        "invoke_url": invoke_url,
        "custom_domain_url": "",
        "public_url": invoke_url,
        "execution_arn": f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{rest_api_id}",
        "access_log_group_name": f"/aws/apigateway/serverless-infra-{env}-api-access",
        "usage_plan_ids": {"standard": f"stub-{env}-standard"},
        "web_acl_arn": "",
        "web_acl_name": "",
    }


def stub_exports(env: str) -> dict[str, dict[str, Any]]:
    return {"api": api_stub(env)}
