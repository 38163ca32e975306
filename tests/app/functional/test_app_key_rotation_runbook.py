"""Runbook "Rotation: KMS keys" (docs/security.md) on the emulator: rotate a category key on demand by its
ARN, as documented; an alias is refused; the app keeps reading (and SSM keeps writing) the SecureStrings
that key protects, old ciphertext included."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from app.config import SsmFetcher

pytestmark = [pytest.mark.functional]
PREFIX = "/myapp/staging/database/"


def test_on_demand_rotation_by_arn_keeps_every_parameter_readable(moto_endpoint: str) -> None:
    kms = boto3.client("kms", region_name="us-east-1", endpoint_url=moto_endpoint)
    ssm = boto3.client("ssm", region_name="us-east-1", endpoint_url=moto_endpoint)
    key = kms.create_key(Description="serverless-infra-staging-database")["KeyMetadata"]
    alias = "alias/serverless-infra-staging-database-rotation-test"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    ssm.put_parameter(Name=PREFIX + "password", Value="before-rotation", Type="SecureString", KeyId=alias, Overwrite=True)

    with pytest.raises(ClientError):  # RotateKeyOnDemand takes a key id or ARN, not an alias (KMS API reference)
        kms.rotate_key_on_demand(KeyId=alias)
    kms.rotate_key_on_demand(KeyId=key["Arn"])  # the documented command: aws kms rotate-key-on-demand --key-id <arn>
    rotations = kms.list_key_rotations(KeyId=key["Arn"])["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["ON_DEMAND"]
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["Arn"] == key["Arn"]  # same key, alias and ARN

    ssm.put_parameter(Name=PREFIX + "username", Value="after-rotation", Type="SecureString", KeyId=alias, Overwrite=True)
    fetched = SsmFetcher(lambda: ssm)({"database": PREFIX}, {})
    assert fetched["database/password"] == "before-rotation"  # old material still decrypts
    assert fetched["database/username"] == "after-rotation"
    for name in ("password", "username"):
        ssm.delete_parameter(Name=PREFIX + name)
