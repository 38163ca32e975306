"""Fixtures shared by the app's unit tests."""

from __future__ import annotations

import pytest

from app import aws


@pytest.fixture
def role_credentials(monkeypatch):
    """A Lambda role's temporary credentials in the environment, and a fresh shared botocore session
    that reads them (the IAM token is signed with the session's credentials)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "session")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setattr(aws, "_session", None)
