"""The whole-system offline synth: every layer in deploy order, each in its own process.

Each layer's exports become the outputs of the StackReferences downstream layers read, exactly
as `pulumi up` of the layers in order would hand them over. Writes ``build/synth/<env>/``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.config import REPO_ROOT, Environment, load_shared_settings
from shared.contracts import LAYER_ORDER, contract
from shared.stacks import stack_reference_name
from shared.synth.graph import LayerGraph

DEFAULT_OUT = REPO_ROOT / "build" / "synth"


class SynthError(RuntimeError):
    """A layer failed to render; the message carries the layer's own error."""


@dataclass
class RenderedExports:
    """Exports of the layers rendered so far, keyed by stack reference name: what the fake
    StackReferences of the next layer answer (the offline stand-in for `shared.stacks.Upstream`)."""

    stacks: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, list[str]] = field(default_factory=dict)

    def add(self, stack_name: str, exports: Mapping[str, Any], secret_keys: list[str]) -> None:
        self.stacks[stack_name], self.secrets[stack_name] = dict(exports), list(secret_keys)


@dataclass
class LayerResult:
    graph: LayerGraph
    seconds: float
    path: Path


def render_in_subprocess(
    layer: str,
    env: Environment,
    upstream: RenderedExports,
    out: Path,
    config: Mapping[str, Any] | None = None,
) -> LayerResult:
    """Render one layer in a fresh interpreter; raise `SynthError` with the layer's own message."""
    out.mkdir(parents=True, exist_ok=True)
    upstream_file = out / f"{layer}.upstream.json"
    upstream_file.write_text(json.dumps({"stacks": upstream.stacks, "secrets": upstream.secrets},
                                        indent=2, sort_keys=True))
    command = [sys.executable, "-m", "shared.synth.render", "--layer", layer, "--env", env.value,
               "--upstream", str(upstream_file), "--out", str(out)]
    for key, value in (config or {}).items():
        command += ["--config", f"{key}={value if isinstance(value, str) else json.dumps(value)}"]
    started = time.perf_counter()
    proc = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        detail = proc.stderr.strip() or "(no output)"
        raise SynthError(f"synth stopped at layer {layer!r} ({env.value}): {detail}")
    return LayerResult(LayerGraph.load(out / f"{layer}.json"), seconds, out / f"{layer}.json")


def with_stubs(layer: str, exports: Mapping[str, Any], stubs: Mapping[str, Any] | None) -> dict[str, Any]:
    """A layer's exports as downstream layers see them: its real exports, and stub values (tests only) for
    contract keys it does not publish yet. A real export always wins over its stub; a stub key outside
    the layer's contract is refused, so a stub cannot invent an output."""
    if not stubs:
        return dict(exports)
    unknown = set(stubs) - set(contract(layer).publishes)
    if unknown:
        raise SynthError(f"stub exports for {layer!r} name keys its contract does not publish: {sorted(unknown)}")
    return {**stubs, **exports}


def synth_env(
    env: Environment | str,
    layers: Sequence[str] | None = None,
    out_root: Path = DEFAULT_OUT,
    echo: Callable[[str], None] | None = None,
    stub_exports: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[LayerResult]:
    """Render ``layers`` (default: all) for ``env`` in deploy order; their upstreams are rendered too.

    ``stub_exports`` (tests): per layer, values downstream layers see for contract keys that layer does
    not publish yet (e.g. a layer built in parallel); the layer's own graph keeps its real exports.
    """
    environment = Environment.parse(str(env), source="--env")
    wanted = list(LAYER_ORDER) if not layers else [contract(layer).layer for layer in layers]
    last = max(LAYER_ORDER.index(layer) for layer in wanted)
    organization = load_shared_settings(environment).organization
    out = out_root / environment.value
    upstream = RenderedExports()
    results = []
    for layer in LAYER_ORDER[: last + 1]:
        result = render_in_subprocess(layer, environment, upstream, out)
        exported = json.loads((out / f"{layer}.exports.json").read_text())
        upstream.add(stack_reference_name(organization, layer, environment.value),
                     with_stubs(layer, exported["exports"], (stub_exports or {}).get(layer)), exported["secrets"])
        results.append(result)
        if echo:
            echo(summary_line(result.graph, result.seconds))
    return results


def upstream_of(results: Sequence[LayerResult], organization: str = "organization",
                stub_exports: Mapping[str, Mapping[str, Any]] | None = None) -> RenderedExports:
    """The exports a layer rendered after ``results`` would see (for tests rendering variants)."""
    upstream = RenderedExports()
    for result in results:
        g = result.graph
        exports = with_stubs(g.layer, g.exports, (stub_exports or {}).get(g.layer))
        upstream.add(stack_reference_name(organization, g.layer, g.env), exports, g.secret_exports)
    return upstream


def summary_line(graph: LayerGraph, seconds: float) -> str:
    aws = [r for r in graph.resources if r.custom and r.type.startswith("aws:")]
    kinds = graph.summary()
    top = ", ".join(f"{t.split(':')[-1]} x{n}" for t, n in sorted(kinds.items(), key=lambda kv: -kv[1])[:5])
    return (f"{graph.layer:<14} {len(aws):>4} AWS resources {len(graph.exports):>3} outputs "
            f"{len(graph.reads)} stack refs {seconds:5.1f}s  {top}")
