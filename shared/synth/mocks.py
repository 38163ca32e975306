"""The mocks the offline synth and the layer tests run under.

`SynthMocks` answers resources and data sources with `fake_aws`, checks values with `aws_rules`,
and serves StackReferences from upstream layers' exports. `RecordingMonitor` keeps what the
stock mock monitor drops: parent, dependencies and provider of every registration.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.runtime.mocks import MockMonitor

from shared.synth import aws_rules, fake_aws

STACK_REFERENCE = "pulumi:pulumi:StackReference"


class UnknownStackError(LookupError):
    """A StackReference to a stack the synth has not rendered (or that is not deployed)."""


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    custom: bool
    parent: str | None
    dependencies: list[str]
    provider: str | None
    inputs: dict[str, Any]
    id: str | None = None
    state: dict[str, Any] | None = None
    secret_outputs: list[str] | None = None  # additionalSecretOutputs: the engine marks these secret
    options: dict[str, Any] | None = None  # lifecycle options the engine acts on (protect, retainOnDelete, ...)


class SynthMocks(pulumi.runtime.Mocks):
    def __init__(self, stacks: Mapping[str, Mapping[str, Any]], secret_outputs: Mapping[str, list[str]]) -> None:
        self._stacks = stacks
        self._secret_outputs = secret_outputs
        # The monitor registers from worker threads; the URN of the registration in flight is
        # per thread, and seeds deterministic fake ids.
        self._local = threading.local()

    @property
    def current_urn(self) -> str:
        return getattr(self._local, "urn", "")

    @current_urn.setter
    def current_urn(self, urn: str) -> None:
        self._local.urn = urn

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if args.typ == STACK_REFERENCE:
            name = args.inputs.get("name") or args.name
            if name not in self._stacks:
                raise UnknownStackError(
                    f"stack reference {name!r}: that stack is not deployed (offline: not rendered). "
                    f"Known stacks: {', '.join(sorted(self._stacks)) or 'none'}"
                )
            return name, {**args.inputs, "outputs": dict(self._stacks[name]),
                          "secretOutputNames": list(self._secret_outputs.get(name, []))}
        if args.typ.startswith("pulumi:providers:"):
            return f"{args.name}-provider-id", dict(args.inputs)
        aws_rules.validate(args.typ, args.name, args.inputs)
        rid, extra = fake_aws.fake_resource(args.typ, args.name, self.current_urn or args.name, args.inputs)
        return rid, {**args.inputs, **extra}

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        return fake_aws.call(args.token, args.args), []


def _lifecycle_options(request: Any) -> dict[str, Any]:
    """What `pulumi destroy` and `pulumi up` do with a resource beyond its inputs: kept, protected, ignored."""
    return {
        "protect": bool(getattr(request, "protect", False)),
        "retainOnDelete": bool(getattr(request, "retainOnDelete", False)),
        "ignoreChanges": sorted(getattr(request, "ignoreChanges", None) or []),
    }


class RecordingMonitor(MockMonitor):
    """A MockMonitor that records each registration's parent, dependencies and provider."""

    def __init__(self, mocks: SynthMocks) -> None:
        super().__init__(mocks)
        self.synth_mocks = mocks
        self.registrations: list[Registration] = []

    def _record(self, request: Any, custom: bool) -> Registration:
        from pulumi.runtime import rpc

        urn = self.make_urn(request.parent, request.type, request.name)
        provider = request.provider.rsplit("::", 1)[0] if request.provider else None
        registration = Registration(
            urn=urn,
            type=request.type,
            name=request.name,
            custom=custom,
            parent=request.parent or None,
            dependencies=list(getattr(request, "dependencies", []) or []),
            provider=provider,
            inputs=rpc.deserialize_properties(request.object if hasattr(request, "object") else request.properties),
            secret_outputs=list(getattr(request, "additionalSecretOutputs", None) or []),
            options=_lifecycle_options(request),
        )
        self.registrations.append(registration)
        self.synth_mocks.current_urn = urn
        return registration

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        registration = self._record(request, custom=bool(request.custom))
        response = super().RegisterResource(request)
        stored = self.resources.get(registration.urn)
        if stored is not None:
            registration.id, registration.state = stored.id, stored.state
        return response

    def ReadResource(self, request: Any) -> Any:  # noqa: N802
        registration = self._record(request, custom=True)
        response = super().ReadResource(request)
        stored = self.resources.get(registration.urn)
        if stored is not None:
            registration.id, registration.state = stored.id, stored.state
        return response
