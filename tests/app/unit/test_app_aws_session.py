"""The shared botocore session's loader finds a service without listing botocore's ~450, and otherwise
answers as botocore's own loader does."""

from __future__ import annotations

import os

import pytest
from botocore.exceptions import UnknownServiceError
from botocore.loaders import create_loader

from app import aws

pytestmark = pytest.mark.unit


def test_known_services_answer_as_botocores_list_does():
    loader = aws.session().get_component("data_loader")
    ours, theirs = loader.list_available_services("service-2"), create_loader().list_available_services("service-2")
    assert "ssm" in ours and "sqs" in ours and "no-such-service" not in ours and "../ssm" not in ours
    assert list(ours) == theirs and len(ours) == len(theirs) and ours[0] == theirs[0]


def test_a_client_is_made_without_listing_every_service(monkeypatch: pytest.MonkeyPatch):
    listed: list[str] = []
    real = os.listdir
    monkeypatch.setattr(os, "listdir", lambda path=".": listed.append(str(path)) or real(path))
    aws.client("ssm", connect_timeout=2)
    assert 0 < len(listed) < 20, len(listed)  # botocore's own loader lists ~900 folders here


def test_an_unknown_service_is_refused_as_botocore_refuses_it():
    with pytest.raises(UnknownServiceError, match="no-such-service"):
        aws.client("no-such-service")
