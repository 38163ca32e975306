"""Operator access to one environment's SSM parameters: list, read, history, set and rollback.

A plain class over a boto3 SSM client, so the same code runs against AWS and the emulator; the
invoke layer (`ops/params.py`) only parses arguments and prints. Every name is checked against
``/myapp/{env}/(database|api|cache)/`` before any call, and every AWS error becomes a
`ParameterStoreError` with a sentence an operator can act on.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.config import REGION, Environment
from shared.parameters import (
    CATEGORIES,
    ParameterName,
    ParameterNameError,
    parameter_prefix,
    parse_parameter_name,
)
from shared.parameters import (
    check_label as check_label_name,
)

SECURE = "SecureString"
PARAMETER_TYPES = ("String", "StringList", SECURE)
MAX_VALUE_CHARS = {"Standard": 4096, "Advanced": 8192, "Intelligent-Tiering": 8192}
DEFAULT_LABEL = "current"


class ParameterStoreError(Exception):
    """An operation refused or failed; the message names the parameter and what to do."""


@dataclass(frozen=True)
class ParameterVersion:
    """One version of a parameter, as GetParameterHistory (or GetParameter) reports it."""

    name: str
    version: int
    type: str
    value: str | None  # None unless the caller asked for decryption of a SecureString
    modified: datetime | None
    user: str  # LastModifiedUser: the IAM principal that wrote this version
    labels: tuple[str, ...] = ()
    key_id: str | None = None
    description: str = ""
    tier: str = "Standard"

    @property
    def secure(self) -> bool:
        return self.type == SECURE


def ssm_client(endpoint_url: str | None = None) -> Any:
    """A boto3 SSM client in us-east-1; ``endpoint_url`` (or ``AWS_ENDPOINT_URL``) targets an emulator."""
    import boto3

    return boto3.client(
        "ssm", region_name=REGION, endpoint_url=endpoint_url or os.environ.get("AWS_ENDPOINT_URL")
    )


def _version(raw: dict[str, Any], decrypted: bool) -> ParameterVersion:
    secure = raw.get("Type") == SECURE
    return ParameterVersion(
        name=raw["Name"],
        version=int(raw["Version"]),
        type=raw.get("Type", "String"),
        value=raw.get("Value") if (decrypted or not secure) else None,
        modified=raw.get("LastModifiedDate"),
        user=raw.get("LastModifiedUser") or "unknown",
        labels=tuple(raw.get("Labels") or ()),
        key_id=raw.get("KeyId"),
        description=raw.get("Description") or "",
        tier=raw.get("Tier") or "Standard",
    )


class ParameterStore:
    """One environment's hierarchy ``/myapp/{env}/``; nothing outside it is read or written."""

    def __init__(self, client: Any, env: Environment | str) -> None:
        try:
            self.env = Environment.parse(str(env), source="--env")
        except ValueError as error:
            raise ParameterStoreError(str(error)) from None
        self._ssm = client

    # -- names --------------------------------------------------------------------------------
    def resolve(self, name: str) -> ParameterName:
        """A full name or ``category/key``, checked against this env's hierarchy."""
        try:
            return parse_parameter_name(name, self.env)
        except ParameterNameError as error:
            raise ParameterStoreError(str(error)) from None

    # -- reads --------------------------------------------------------------------------------
    def list_parameters(self, category: str | None = None, decrypt: bool = False) -> list[ParameterVersion]:
        """The latest version of every parameter in this env (or one category), sorted by name."""
        if category is not None and category not in CATEGORIES:
            raise ParameterStoreError(f"category {category!r} is not one of {', '.join(CATEGORIES)}")
        found: list[ParameterVersion] = []
        for cat in [category] if category else CATEGORIES:
            path = parameter_prefix(self.env, cat)
            pages = self._call(
                "list",
                path,
                lambda p=path: self._pages(
                    "get_parameters_by_path", "Parameters", Path=p, Recursive=True, WithDecryption=decrypt
                ),
            )
            found += [_version(raw, decrypt) for raw in pages]
        return sorted(found, key=lambda p: p.name)

    def get(self, name: str, selector: str | int | None = None, decrypt: bool = False) -> ParameterVersion:
        """The latest version, or the one ``selector`` (a version number or a label) picks: ``name:3``."""
        path = self.resolve(name).path
        if selector is not None and not str(selector).isdigit():
            self.check_label(str(selector))
        qualified = f"{path}:{selector}" if selector is not None else path
        try:
            raw = self._call(
                "get", qualified, lambda: self._ssm.get_parameter(Name=qualified, WithDecryption=decrypt)
            )
        except ParameterStoreError:
            if selector is not None and self._describe(path):
                raise ParameterStoreError(f"get: {path} has no version or label {selector!r}") from None
            raise
        return _version(raw["Parameter"], decrypt)

    def history(self, name: str, decrypt: bool = False) -> list[ParameterVersion]:
        """Every version still kept (SSM keeps the last 100), oldest first, with user and labels."""
        path = self.resolve(name).path
        pages = self._call(
            "history",
            path,
            lambda: self._pages("get_parameter_history", "Parameters", Name=path, WithDecryption=decrypt),
        )
        return sorted((_version(raw, decrypt) for raw in pages), key=lambda v: v.version)

    def version(
        self, name: str, version: int, decrypt: bool = False
    ) -> tuple[ParameterVersion, ParameterVersion]:
        """(the requested version, the latest version); an unknown version lists the ones that exist."""
        versions = self.history(name, decrypt=decrypt)
        chosen = [v for v in versions if v.version == version]
        if not chosen:
            kept = ", ".join(str(v.version) for v in versions)
            raise ParameterStoreError(f"{self.resolve(name)} has no version {version}; versions kept: {kept}")
        return chosen[0], versions[-1]

    # -- writes -------------------------------------------------------------------------------
    def set(
        self,
        name: str,
        value: str,
        kind: str | None = None,
        description: str | None = None,
        label: str | None = None,
    ) -> int:
        """Write a new version (SecureStrings with the category's key alias); return its number."""
        parameter = self.resolve(name)
        if label is not None:
            self.check_label(label)
        current = self._describe(parameter.path)
        if kind is not None and kind not in PARAMETER_TYPES:
            raise ParameterStoreError(f"type {kind!r} is not one of {', '.join(PARAMETER_TYPES)}")
        if current and kind and kind != current["Type"]:
            raise ParameterStoreError(
                f"{parameter} is a {current['Type']}; changing its type to {kind} would break readers. "
                "Change it in the stack that owns it instead"
            )
        kind = kind or (current or {}).get("Type") or SECURE
        tier = (current or {}).get("Tier") or "Standard"
        if not value or len(value) > MAX_VALUE_CHARS[tier]:
            raise ParameterStoreError(
                f"{parameter}: a {tier} value must be 1-{MAX_VALUE_CHARS[tier]} characters"
            )
        request: dict[str, Any] = {
            "Name": parameter.path,
            "Value": value,
            "Type": kind,
            "Overwrite": True,
            "Tier": tier,
        }
        if kind == SECURE:
            request["KeyId"] = parameter.kms_alias
        if description is not None:
            request["Description"] = description
        elif not current:
            request["Description"] = "set with invoke params"
        written = self._call("set", parameter.path, lambda: self._ssm.put_parameter(**request))
        new_version = int(written["Version"])
        if label is not None:
            self.label(parameter.path, new_version, label)
        return new_version

    def rollback(self, name: str, version: int, label: str = DEFAULT_LABEL) -> int:
        """Write version ``version``'s value back as a new version (same type and key), label it.

        Rolling *forward* to an old value keeps the history linear: the bad version stays visible,
        and readers that follow the latest version or ``label`` both see the restored value.
        """
        self.check_label(label)
        target, latest = self.version(name, version, decrypt=True)
        if target.version == latest.version:
            raise ParameterStoreError(
                f"{target.name} version {version} is already the latest; nothing to roll back"
            )
        if target.value is None:  # pragma: no cover - decrypt=True always returns the value
            raise ParameterStoreError(f"{target.name} version {version} has no readable value")
        request: dict[str, Any] = {
            "Name": target.name,
            "Value": target.value,
            "Type": target.type,
            "Overwrite": True,
            "Tier": latest.tier,
        }
        if target.secure:
            request["KeyId"] = target.key_id or self.resolve(target.name).kms_alias
        written = self._call("rollback", target.name, lambda: self._ssm.put_parameter(**request))
        new_version = int(written["Version"])
        self.label(target.name, new_version, label)
        return new_version

    def label(self, name: str, version: int, label: str) -> None:
        """Attach ``label`` to ``version`` (SSM moves it off whichever version had it)."""
        path = self.resolve(name).path
        self.check_label(label)
        answer = self._call(
            "label",
            path,
            lambda: self._ssm.label_parameter_version(Name=path, ParameterVersion=version, Labels=[label]),
        )
        if answer.get("InvalidLabels"):
            raise ParameterStoreError(f"{path}: SSM refused label(s) {answer['InvalidLabels']}")

    # -- plumbing -----------------------------------------------------------------------------
    @staticmethod
    def check_label(label: str) -> str:
        """``label`` if SSM accepts it as a label, else a `ParameterStoreError`."""
        try:
            return check_label_name(label)
        except ParameterNameError as error:
            raise ParameterStoreError(str(error)) from None

    def _describe(self, path: str) -> dict[str, Any] | None:
        found = self._call(
            "describe",
            path,
            lambda: self._ssm.describe_parameters(
                ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": [path]}]
            ),
        )
        return (found.get("Parameters") or [None])[0]

    def _pages(self, operation: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for page in self._ssm.get_paginator(operation).paginate(**kwargs):
            items += page.get(key, [])
        return items

    def _call(self, what: str, name: str, action: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return action()
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            message = error.response.get("Error", {}).get("Message", str(error))
            if code == "ParameterNotFound":
                raise ParameterStoreError(f"{what}: parameter {name} does not exist in {self.env}") from None
            if code == "ParameterVersionNotFound":
                raise ParameterStoreError(f"{what}: {name}: no such version or label ({message})") from None
            if code == "ParameterMaxVersionLimitExceeded":
                raise ParameterStoreError(
                    f"{what}: {name} has 100 versions and the oldest is labelled; remove that label first "
                    "(aws ssm unlabel-parameter-version)"
                ) from None
            raise ParameterStoreError(f"{what} {name}: {code or 'error'}: {message}") from None
        except BotoCoreError as error:
            raise ParameterStoreError(f"{what} {name}: cannot reach SSM: {error}") from None


def iter_lines(versions: list[ParameterVersion], show_secrets: bool) -> Iterator[str]:
    """Printable rows: version, date, user, labels, value (SecureStrings masked unless asked)."""
    for v in versions:
        when = v.modified.isoformat(timespec="seconds") if v.modified else "-"
        labels = ",".join(v.labels) or "-"
        yield f"v{v.version:<4} {when:<25} {v.user:<40} {labels:<16} {shown_value(v, show_secrets)}"


def shown_value(v: ParameterVersion, show_secrets: bool) -> str:
    if v.secure and not show_secrets:
        return "******** (SecureString; --show-secrets to reveal)"
    return v.value if v.value is not None else "-"
