"""The RDS IAM token is signed without loading the RDS API model, and is byte-for-byte boto3's token."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from app import iam_auth

pytestmark = pytest.mark.unit


def test_token_equals_the_one_boto3s_rds_client_signs(role_credentials):
    rds = boto3.session.Session().client("rds", region_name="us-east-1")  # not boto3's default session: fresh creds
    host, user = "serverless-infra-prod-proxy.proxy-c1.us-east-1.rds.amazonaws.com", "app_user"
    for _ in range(5):  # both signed within the same second (X-Amz-Date has second resolution)
        ours = iam_auth.auth_token(host, 5432, user)
        theirs = rds.generate_db_auth_token(DBHostname=host, Port=5432, DBUsername=user)
        dates = {parse_qs(urlsplit("https://" + t).query)["X-Amz-Date"][0] for t in (ours, theirs)}
        if len(dates) == 1:
            assert ours == theirs
            return
    pytest.fail("could not sign both tokens within one second")


def test_signing_needs_no_service_model(role_credentials, monkeypatch):
    loaded = []
    import botocore.loaders

    original = botocore.loaders.Loader.load_service_model
    monkeypatch.setattr(
        botocore.loaders.Loader,
        "load_service_model",
        lambda self, name, *a, **kw: loaded.append(name) or original(self, name, *a, **kw),
    )
    iam_auth.auth_token("db.example", 5432, "app_user")
    assert loaded == []
