"""Reasoned exceptions: a written, reviewed reason why one policy does not hold for named resources.

They live in ``policy/exceptions.yaml`` and reach every policy as its ``exceptions`` config
property (the pack's initial config; ``pulumi preview --policy-pack-config`` can override it).
An exception names the policy, the resources by logical Pulumi name (shell-style globs), the
envs it holds in (default: all) and the reason. A policy with an exception still runs: only the
named resources' violations are waived, and the offline run lists each waiver with its reason.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from serverless_infra_policy.props import ENVIRONMENTS, name_of, stack_of

EXCEPTIONS_FILE = Path(__file__).resolve().parents[1] / "exceptions.yaml"
MIN_REASON_CHARS = 40  # a reason is a sentence a reviewer can check, not "n/a"


class ExceptionsFileError(ValueError):
    """The exceptions file is malformed; the message names the entry and the field."""


@dataclass(frozen=True)
class PolicyException:
    policy: str
    resources: tuple[str, ...]
    envs: tuple[str, ...]
    reason: str

    def covers(self, policy: str, urn: str) -> bool:
        name, env = name_of(urn), stack_of(urn)
        return (policy == self.policy and (not env or env in self.envs)
                and any(fnmatch.fnmatchcase(name, pattern) for pattern in self.resources))

    def as_config(self) -> dict[str, Any]:
        return {"resources": list(self.resources), "envs": list(self.envs), "reason": self.reason}


def parse(entries: Any, policy_names: Iterable[str], source: str = "exceptions.yaml") -> list[PolicyException]:
    """Validated exceptions from the file's ``exceptions`` list; unknown policies and empty reasons refused."""
    known = set(policy_names)
    if not isinstance(entries, list):
        raise ExceptionsFileError(f"{source}: 'exceptions' must be a list")
    parsed = []
    for i, entry in enumerate(entries):
        where = f"{source}: exceptions[{i}]"
        if not isinstance(entry, Mapping) or set(entry) - {"policy", "resources", "envs", "reason"}:
            raise ExceptionsFileError(f"{where}: expected keys policy, resources, envs (optional), reason")
        policy, reason = entry.get("policy"), str(entry.get("reason") or "").strip()
        resources, envs = entry.get("resources") or [], entry.get("envs") or list(ENVIRONMENTS)
        if policy not in known:
            raise ExceptionsFileError(f"{where}: policy {policy!r} is not in the pack ({', '.join(sorted(known))})")
        if not resources or not all(isinstance(r, str) and r for r in resources):
            raise ExceptionsFileError(f"{where}: 'resources' must list logical resource names (globs allowed)")
        if not set(envs) <= set(ENVIRONMENTS):
            raise ExceptionsFileError(f"{where}: envs {envs} must be among {list(ENVIRONMENTS)}")
        if len(reason) < MIN_REASON_CHARS:
            raise ExceptionsFileError(f"{where}: the reason must say why ({MIN_REASON_CHARS}+ characters)")
        parsed.append(PolicyException(policy, tuple(resources), tuple(envs), reason))
    return parsed


def load(policy_names: Iterable[str], path: Path = EXCEPTIONS_FILE) -> list[PolicyException]:
    raw = yaml.safe_load(path.read_text()) or {}
    return parse(raw.get("exceptions", []), policy_names, path.name)


def from_config(policy: str, config: Mapping[str, Any]) -> list[PolicyException]:
    """The exceptions a policy received through its config (what the CLI hands the pack)."""
    return [PolicyException(policy, tuple(e.get("resources", [])), tuple(e.get("envs", ENVIRONMENTS)),
                            str(e.get("reason", "")))
            for e in config.get("exceptions", []) or []]


def waiver(exceptions: Sequence[PolicyException], policy: str, urn: str) -> PolicyException | None:
    """The exception that waives ``policy`` for the resource at ``urn``, if any."""
    return next((e for e in exceptions if e.covers(policy, urn)), None)
