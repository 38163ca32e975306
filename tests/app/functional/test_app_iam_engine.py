"""With IAM auth on, every path that reaches the database signs a token: the migrate function (as the
owner) and the API (as the app role), through the same factory. The local server trusts its socket, so
the token (recorded here instead of signed) is accepted as the password, exactly where RDS Proxy would
check it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app import db, iam_auth
from app.local import FakeContext
from tests.app.conftest import ROLE_APP, ROLE_OWNER, as_role

pytestmark = [pytest.mark.functional, pytest.mark.usefixtures("clean_db")]


@pytest.fixture
def signed(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, str]]:
    calls: list[tuple[str, int, str]] = []

    def token(host: str, port: int, user: str) -> str:
        calls.append((host, int(port), user))
        return "token"

    monkeypatch.setenv("DATABASE_IAM_AUTH", "true")
    monkeypatch.setattr(iam_auth, "auth_token", token)
    db.dispose_engines()
    yield calls
    db.dispose_engines()


def tls(url: str) -> str:
    return url + ("&" if "?" in url else "?") + "sslmode=require"


def test_migrate_function_signs_an_iam_token_as_the_owner(
    stack: dict, signed: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.handlers import migrate

    monkeypatch.setenv("DATABASE_URL", tls(as_role(stack["pg_url"], ROLE_OWNER)))
    assert migrate.lambda_handler({}, FakeContext(function_name="migrate"))["status"] == "ok"
    assert [user for _, _, user in signed] == [ROLE_OWNER]


def test_migrate_refuses_iam_without_tls(stack: dict, signed: list, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.handlers import migrate

    monkeypatch.setenv("DATABASE_URL", as_role(stack["pg_url"], ROLE_OWNER))
    with pytest.raises(db.InsecureEngineError):
        migrate.lambda_handler({}, FakeContext(function_name="migrate"))
    assert signed == []


def test_api_signs_an_iam_token_as_the_app_role(
    stack: dict, signed: list, monkeypatch: pytest.MonkeyPatch, make_order: Any
) -> None:
    from app.handlers import api

    monkeypatch.setenv("DATABASE_URL", tls(as_role(stack["pg_url"], ROLE_APP)))
    event = {
        "httpMethod": "POST", "path": "/orders", "resource": "/orders",
        "headers": {"Content-Type": "application/json", "Idempotency-Key": "iam-1"},
        "body": json.dumps(make_order()), "requestContext": {"requestId": "r-iam"},
    }
    response = api.lambda_handler(event, FakeContext(function_name="api"))
    assert response["statusCode"] == 201, response
    assert signed and {user for _, _, user in signed} == {ROLE_APP}
