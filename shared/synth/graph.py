"""The resource graph a render produces, and the questions tests ask of it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SECRET_MASK = "[secret]"


@dataclass
class GraphResource:
    urn: str
    type: str
    name: str  # logical (Pulumi) name
    physical_name: str | None
    id: str | None
    custom: bool
    parent: str | None
    dependencies: list[str]
    provider: str | None  # URN of the provider resource
    inputs: dict[str, Any]  # secrets masked as SECRET_MASK
    secret_inputs: list[str]  # top-level input keys that carried a secret
    outputs: dict[str, Any]  # computed outputs the fake AWS returned (arn, endpoint, ...)
    taggable: bool
    effective_tags: dict[str, str] | None
    options: dict[str, Any] = field(default_factory=dict)  # protect, retainOnDelete, ignoreChanges

    def input(self, path: str, default: Any = None) -> Any:
        """A nested input by dotted wire path, e.g. ``tracingConfig.mode``."""
        value: Any = self.inputs
        for part in path.split("."):
            if not isinstance(value, dict) or part not in value:
                return default
            value = value[part]
        return value

    def json_input(self, key: str) -> Any:
        """An input that holds a JSON document (IAM policies, redrive policies), decoded."""
        value = self.inputs.get(key)
        return json.loads(value) if isinstance(value, str) else value


@dataclass
class LayerGraph:
    layer: str
    env: str
    project: str
    stack: str
    resources: list[GraphResource]
    exports: dict[str, Any]  # secret exports masked
    secret_exports: list[str]
    reads: list[str] = field(default_factory=list)  # stack references read

    def of_type(self, token: str) -> list[GraphResource]:
        return [r for r in self.resources if r.type == token]

    def one(self, token: str, name: str | None = None) -> GraphResource:
        found = [r for r in self.of_type(token) if name is None or r.name == name]
        if len(found) != 1:
            names = [r.name for r in self.of_type(token)]
            raise LookupError(f"expected one {token} named {name!r}, found {len(found)} among {names}")
        return found[0]

    def by_urn(self, urn: str) -> GraphResource:
        for r in self.resources:
            if r.urn == urn:
                return r
        raise LookupError(f"no resource with urn {urn}")

    def aws_resources(self) -> Iterator[GraphResource]:
        return (r for r in self.resources if r.custom and r.type.startswith("aws:"))

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True, default=str)

    def write(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.layer}.json"
        path.write_text(self.to_json() + "\n")
        return path

    @classmethod
    def load(cls, path: Path) -> LayerGraph:
        raw = json.loads(path.read_text())
        raw["resources"] = [GraphResource(**r) for r in raw["resources"]]
        return cls(**raw)

    def summary(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.resources:
            if r.custom and not r.type.startswith("pulumi:"):
                counts[r.type] = counts.get(r.type, 0) + 1
        return dict(sorted(counts.items()))
