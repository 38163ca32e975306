"""IAM tokens for RDS Proxy: signed locally per connection, only when the stack asks for them."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import event

from app import db, iam_auth

pytestmark = pytest.mark.unit


def test_token_replaces_the_password_of_each_new_connection(role_credentials):
    params = {"host": "serverless-infra-prod-proxy.proxy-c1.us-east-1.rds.amazonaws.com", "port": 5432,
              "user": "app_admin", "password": "from-ssm"}
    iam_auth.inject_token(None, None, (), params)
    token = params["password"]
    assert token != "from-ssm"
    parts = urlsplit("https://" + token)
    assert parts.hostname == "serverless-infra-prod-proxy.proxy-c1.us-east-1.rds.amazonaws.com"
    assert parts.port == 5432
    query = parse_qs(parts.query)
    assert query["Action"] == ["connect"] and query["DBUser"] == ["app_admin"]
    assert "us-east-1/rds-db/aws4_request" in query["X-Amz-Credential"][0]
    assert query["X-Amz-Expires"] == ["900"]


@pytest.mark.parametrize("flag, attached", [("true", True), ("false", False), (None, False)])
def test_engine_signs_tokens_only_when_enabled(monkeypatch, flag, attached):
    if flag is None:
        monkeypatch.delenv("DATABASE_IAM_AUTH", raising=False)
    else:
        monkeypatch.setenv("DATABASE_IAM_AUTH", flag)
    engine = db.build_engine("postgresql+psycopg://u:p@127.0.0.1:1/x?sslmode=require")
    try:
        assert event.contains(engine, "do_connect", iam_auth.inject_token) is attached
    finally:
        engine.dispose()
