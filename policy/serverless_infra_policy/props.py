"""Reading resource properties the way both the Pulumi engine and the offline synth hand them over.

Properties use the provider's wire names (camelCase). Nested provider config (``defaultTags``)
arrives as a JSON string from the engine and as a dict or string offline: both are accepted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

REQUIRED_TAG_KEYS = ("Environment", "CostCenter", "Owner", "Application", "Backup", "Compliance")
ENVIRONMENTS = ("dev", "staging", "prod")


def decoded(value: Any) -> Any:
    """A value that may be a JSON document in a string (IAM policies, provider config), decoded."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def get(props: Mapping[str, Any], path: str, default: Any = None) -> Any:
    """A nested property by dotted wire path (``tracingConfig.mode``); lists of one item are stepped into."""
    value: Any = props
    for part in path.split("."):
        if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 1:
            value = value[0]
        if not isinstance(value, Mapping) or part not in value:
            return default
        value = value[part]
    return value


def default_tags(provider_props: Mapping[str, Any] | None) -> dict[str, str]:
    """The AWS provider's ``defaultTags.tags`` (what every taggable resource of the stack inherits)."""
    raw = decoded((provider_props or {}).get("defaultTags"))
    tags = decoded(raw.get("tags")) if isinstance(raw, Mapping) else None
    return dict(tags) if isinstance(tags, Mapping) else {}


def effective_tags(props: Mapping[str, Any], provider_props: Mapping[str, Any] | None) -> dict[str, str]:
    """What AWS stores: the provider's default tags overlaid with the resource's own ``tags``."""
    own = decoded(props.get("tags"))
    return {**default_tags(provider_props), **(dict(own) if isinstance(own, Mapping) else {})}


def stack_of(urn: str) -> str:
    """The stack name of a URN (``urn:pulumi:<stack>::<project>::<type>::<name>``): the env in this repo."""
    head = urn.split("::", 1)[0]
    return head.rsplit(":", 1)[-1] if head.startswith("urn:pulumi:") else ""


def name_of(urn: str) -> str:
    """The logical (Pulumi) name at the end of a URN."""
    return urn.rsplit("::", 1)[-1]


def environment(props: Mapping[str, Any], provider_props: Mapping[str, Any] | None, urn: str) -> str:
    """The env a resource belongs to: its effective ``Environment`` tag, else the stack name."""
    return effective_tags(props, provider_props).get("Environment") or stack_of(urn)


def statements(document: Any) -> Iterator[Mapping[str, Any]]:
    """The statements of an IAM or resource policy document (string or dict), always as a list."""
    doc = decoded(document)
    if not isinstance(doc, Mapping):
        return iter(())
    found = doc.get("Statement", [])
    return iter([found] if isinstance(found, Mapping) else [s for s in found if isinstance(s, Mapping)])


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return [value] if isinstance(value, str | Mapping) else list(value)


def denies_insecure_transport(document: Any) -> bool:
    """Whether a resource policy has a Deny for every principal when ``aws:SecureTransport`` is false."""
    for statement in statements(document):
        condition = statement.get("Condition") or {}
        secure = (condition.get("Bool") or {}).get("aws:SecureTransport")
        principal = statement.get("Principal")
        everyone = principal == "*" or (isinstance(principal, Mapping) and principal.get("AWS") == "*")
        if statement.get("Effect") == "Deny" and everyone and str(secure).lower() == "false":
            return True
    return False
