"""The whole-system offline synth: every layer in deploy order, each in its own process.

Each layer's exports become the outputs of the StackReferences downstream layers read, exactly
as `pulumi up` of the layers in order would hand them over. Writes ``build/synth/<env>/``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from shared.config import REPO_ROOT, Environment, load_shared_settings
from shared.contracts import LAYER_ORDER, contract
from shared.stacks import stack_reference_name
from shared.synth.graph import LayerGraph

DEFAULT_OUT = REPO_ROOT / "build" / "synth"


class SynthError(RuntimeError):
    """A layer failed to render; the message carries the layer's own error."""


@dataclass
class LayerResult:
    graph: LayerGraph
    seconds: float
    path: Path


def synth_env(
    env: Environment | str,
    layers: Sequence[str] | None = None,
    out_root: Path = DEFAULT_OUT,
    echo: Callable[[str], None] | None = None,
) -> list[LayerResult]:
    """Render ``layers`` (default: all, in deploy order) for ``env``; upstream layers are rendered too."""
    environment = Environment.parse(str(env), source="--env")
    wanted = list(LAYER_ORDER) if not layers else [contract(layer).layer for layer in layers]
    # A layer needs its upstreams' exports: render everything up to the last wanted layer.
    last = max(LAYER_ORDER.index(layer) for layer in wanted)
    order = LAYER_ORDER[: last + 1]
    organization = load_shared_settings(environment).organization
    out = out_root / environment.value
    out.mkdir(parents=True, exist_ok=True)
    stacks: dict[str, dict] = {}
    secrets: dict[str, list[str]] = {}
    results = []
    for layer in order:
        upstream_file = out / f"{layer}.upstream.json"
        upstream_file.write_text(json.dumps({"stacks": stacks, "secrets": secrets}, indent=2, sort_keys=True))
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "shared.synth.render", "--layer", layer, "--env", environment.value,
             "--upstream", str(upstream_file), "--out", str(out)],
            cwd=REPO_ROOT, capture_output=True, text=True, check=False,
        )
        seconds = time.perf_counter() - started
        if proc.returncode != 0:
            detail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise SynthError(f"synth stopped at layer {layer!r} ({environment.value}): {detail}")
        graph = LayerGraph.load(out / f"{layer}.json")
        exported = json.loads((out / f"{layer}.exports.json").read_text())
        name = stack_reference_name(organization, layer, environment.value)
        stacks[name], secrets[name] = exported["exports"], exported["secrets"]
        results.append(LayerResult(graph, seconds, out / f"{layer}.json"))
        if echo:
            echo(summary_line(graph, seconds))
    return results


def summary_line(graph: LayerGraph, seconds: float) -> str:
    aws = [r for r in graph.resources if r.custom and r.type.startswith("aws:")]
    kinds = graph.summary()
    top = ", ".join(f"{t.split(':')[-1]}x{n}" for t, n in sorted(kinds.items(), key=lambda kv: -kv[1])[:6])
    return (f"{graph.layer:<14} {len(aws):>4} AWS resources  {len(graph.exports):>3} outputs  "
            f"{len(graph.reads)} stack refs  {seconds:5.1f}s  {top}")
