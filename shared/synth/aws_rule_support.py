"""What every synth-time AWS rule module shares: the one error type, the rule signature, input walking.

`shared.synth.aws_rules` (every service but the observability ones) and
`shared.synth.aws_rules_observability` both build on it, so a value AWS refuses is reported the same
way whichever module knows the rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret


class AwsValidationError(ValueError):
    """A value AWS would reject at deploy time (the message names resource type, name, field and value)."""


# token, resource name, wire-named inputs -> None, or AwsValidationError.
Rule = Callable[[str, str, dict[str, Any]], None]

# An ARN in us-east-1 (or a global service's, with no region); the account may be "aws" (managed policies).
ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:(us-east-1)?:(\d{12}|aws)?:.+$")


def plain(value: Any) -> Any:
    """An input as AWS receives it: a Pulumi secret's value, everything else as is."""
    return unwrap_rpc_secret(value) if is_rpc_secret(value) else value


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (dotted wire path, value) of an input tree; ``[]`` in a path walks a list."""
    value = plain(value)
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(v, f"{path}.{k}" if path else k)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item, f"{path}[]")


def refuse(token: str, name: str, message: str) -> None:
    raise AwsValidationError(f"{token} {name!r}: {message}")
