"""The AWS API emulator for the ops tooling tests: moto's server on loopback, reached through boto3.

Nothing is patched: the tooling makes real HTTP calls to ``127.0.0.1:<free port>`` as it would to
AWS. Dummy credentials are set for the session so no real profile can ever be used.
"""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from shared.naming import kms_alias_name
from shared.parameters import CATEGORIES

DUMMY_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    with pytest.MonkeyPatch.context() as patch:
        for key, value in DUMMY_ENV.items():
            patch.setenv(key, value)
        for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
            patch.delenv(key, raising=False)
        port = _free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.stop()


@pytest.fixture
def ssm(moto_endpoint: str) -> Any:
    """A clean emulator with this stack's category keys (dev and prod), and an SSM client on it."""
    request = urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10).close()
    kms = boto3.client("kms", region_name="us-east-1", endpoint_url=moto_endpoint)
    for env in ("dev", "prod"):
        for category in CATEGORIES:
            key_id = kms.create_key(Description=f"{env} {category}")["KeyMetadata"]["KeyId"]
            kms.create_alias(AliasName=kms_alias_name(env, category), TargetKeyId=key_id)
    return boto3.client("ssm", region_name="us-east-1", endpoint_url=moto_endpoint)
