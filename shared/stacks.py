"""Stack references between layers: ``{org}/{project}/{env}``, read only through the contract.

``require`` checks the contract when the program is built, then fails at run time with a message
that names the upstream stack and the key when the upstream has not published it (yet).
"""

from __future__ import annotations

from typing import Any

import pulumi

from shared.config import StackContext
from shared.contracts import ContractError, check_read, contract, project_name


class MissingStackOutputError(LookupError):
    """The upstream stack exists but does not (yet) publish a key this layer requires."""


def stack_reference_name(organization: str, layer: str, env: str) -> str:
    return f"{organization}/{project_name(layer)}/{env}"


class Upstream:
    """One upstream layer's stack, as seen by the layer ``ctx`` describes."""

    def __init__(self, ctx: StackContext, layer: str, opts: pulumi.ResourceOptions | None = None) -> None:
        contract(layer)
        self._consumer = ctx.layer
        self.layer = layer
        self.stack_name = stack_reference_name(ctx.shared.organization, layer, ctx.env.value)
        self.reference = pulumi.StackReference(self.stack_name, stack_name=self.stack_name, opts=opts)

    def require(self, key: str) -> pulumi.Output[Any]:
        check_read(self._consumer, self.layer, key)
        stack_name, consumer = self.stack_name, self._consumer

        def present(value: Any) -> Any:
            if value is None:
                raise MissingStackOutputError(
                    f"stack {stack_name!r} has no output {key!r}, which layer {consumer!r} requires: "
                    f"deploy (or re-deploy) {project_name(self.layer)} for this env first"
                )
            return value

        # get_output keeps the upstream's secretness; require_output's bare KeyError names neither side.
        return self.reference.get_output(key).apply(present)


def publish(ctx: StackContext, outputs: dict[str, Any]) -> None:
    """Export exactly the keys the contract says this layer publishes: no more, no fewer."""
    promised = set(contract(ctx.layer).publishes)
    missing, extra = promised - set(outputs), set(outputs) - promised
    if missing or extra:
        raise ContractError(
            f"layer {ctx.layer!r} must publish exactly its contract (shared/contracts.py): "
            f"missing {sorted(missing)}, not in contract {sorted(extra)}"
        )
    for key in sorted(outputs):
        pulumi.export(key, outputs[key])
